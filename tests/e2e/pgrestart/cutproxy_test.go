package pgrestart

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// cutProxy stands between the gateways and PostgreSQL and can lose the
// answer to one COMMIT: it forwards the COMMIT of the first transaction
// that carries a marker (an object key, say) after being armed, relays
// nothing the server sends back from then on, and closes the connection
// once the server has applied it. The gateway sees its connection die
// mid-COMMIT — the outcome unknown to it — while the commit happened.
//
// It reads the frontend protocol only as far as it must: the untyped
// startup message, then typed messages (one byte, a length). pgx begins a
// transaction and commits it with the simple protocol (a 'Q' message with
// no arguments), so "begin…" and "commit" are plain text there.
type cutProxy struct {
	t      *testing.T
	ln     net.Listener
	socket string // the server's Unix socket

	mu     sync.Mutex
	marker []byte // armed when non-nil
	cuts   atomic.Int32
}

// startCutProxy listens on 127.0.0.1 in front of the instance's socket.
func startCutProxy(t *testing.T, dsn string) *cutProxy {
	t.Helper()
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{t: t, ln: ln, socket: filepath.Join(cfg.Host, fmt.Sprintf(".s.PGSQL.%d", cfg.Port))}
	t.Cleanup(func() { ln.Close() })
	go p.accept()
	return p
}

// DSN reaches the database through the proxy.
func (p *cutProxy) DSN() string {
	addr := p.ln.Addr().(*net.TCPAddr)
	return fmt.Sprintf("host=127.0.0.1 port=%d user=tessera dbname=postgres sslmode=disable", addr.Port)
}

// arm makes the proxy cut the COMMIT of the next transaction whose
// messages contain marker.
func (p *cutProxy) arm(marker string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.marker = []byte(marker)
}

// armedFor reports whether msg carries the armed marker.
func (p *cutProxy) armedFor(msg []byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.marker != nil && bytes.Contains(msg, p.marker)
}

// fire disarms the proxy; false if another connection fired first.
func (p *cutProxy) fire() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.marker == nil {
		return false
	}
	p.marker = nil
	p.cuts.Add(1)
	return true
}

func (p *cutProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.serve(c)
	}
}

func (p *cutProxy) serve(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("unix", p.socket)
	if err != nil {
		return
	}
	defer server.Close()
	var muted atomic.Bool // nothing more reaches the client
	answered := make(chan struct{})
	go func() {
		defer close(answered)
		// The server closing ends the client's connection too (a
		// CancelRequest's, say, whose client waits for that).
		defer client.Close()
		buf := make([]byte, 32<<10)
		for {
			n, err := server.Read(buf)
			if n > 0 && !muted.Load() {
				if _, werr := client.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
			if muted.Load() && bytes.Contains(buf[:n], []byte("COMMIT")) {
				return // CommandComplete "COMMIT": the server applied it
			}
		}
	}()
	if err := p.relayFrontend(client, server, &muted); err == errCut {
		select { // the server's answer, swallowed
		case <-answered:
		case <-time.After(10 * time.Second):
			p.t.Errorf("cut proxy: the server did not answer the COMMIT within 10 s")
		}
	}
}

var errCut = fmt.Errorf("cut")

// relayFrontend copies the client's messages to the server one by one,
// watching for the armed marker within a transaction and for its COMMIT.
func (p *cutProxy) relayFrontend(client, server net.Conn, muted *atomic.Bool) error {
	// The startup message: int32 length (itself included), no type.
	var hdr [4]byte
	if _, err := io.ReadFull(client, hdr[:]); err != nil {
		return err
	}
	startup := make([]byte, binary.BigEndian.Uint32(hdr[:])-4)
	if _, err := io.ReadFull(client, startup); err != nil {
		return err
	}
	if _, err := server.Write(append(hdr[:], startup...)); err != nil {
		return err
	}
	marked := false
	for {
		var h [5]byte
		if _, err := io.ReadFull(client, h[:]); err != nil {
			return err
		}
		body := make([]byte, binary.BigEndian.Uint32(h[1:])-4)
		if _, err := io.ReadFull(client, body); err != nil {
			return err
		}
		cut := false
		if h[0] == 'Q' {
			q := strings.ToLower(strings.TrimRight(string(body), "\x00"))
			switch {
			case strings.HasPrefix(q, "begin"):
				marked = false
			case q == "commit" && marked:
				cut = p.fire()
			}
		}
		if p.armedFor(body) {
			marked = true
		}
		if cut {
			muted.Store(true)
		}
		if _, err := server.Write(append(h[:], body...)); err != nil {
			return err
		}
		if cut {
			return errCut
		}
	}
}
