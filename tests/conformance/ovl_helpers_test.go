package conformance

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// rawConn is a hand-driven HTTP/1.1 connection to the server, for clients
// that misbehave in ways net/http will not: stall mid-body, stop reading.
type rawConn struct {
	t    testing.TB
	conn net.Conn
	br   *bufio.Reader
	req  *http.Request
}

// dialRaw connects to srv; a positive rcvBuf shrinks the socket's receive
// buffer (set before connecting, so the TCP window stays small too).
func dialRaw(t testing.TB, srv *tesseratest.Server, rcvBuf int) *rawConn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	if rcvBuf > 0 {
		d.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvBuf) })
			if err != nil {
				return err
			}
			return serr
		}
	}
	conn, err := d.Dial("tcp", srv.Host())
	if err != nil {
		t.Fatalf("dial %s: %v", srv.Host(), err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawConn{t: t, conn: conn, br: bufio.NewReader(conn)}
}

// start signs a request (UNSIGNED-PAYLOAD) declaring a body of size bytes
// and sends its request line and headers only.
func (c *rawConn) start(method, pathQuery string, size int64, hdr http.Header) {
	c.t.Helper()
	r, err := http.NewRequest(method, "http://"+c.conn.RemoteAddr().String()+pathQuery, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	r.ContentLength = size
	for k, vs := range hdr {
		r.Header[k] = vs
	}
	signV4(c.t, r, "UNSIGNED-PAYLOAD")
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, r.URL.RequestURI(), r.URL.Host)
	if size > 0 {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", size)
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	c.req = r
	c.send([]byte(b.String()))
}

// send writes bytes of the request.
func (c *rawConn) send(p []byte) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.conn.Write(p); err != nil {
		c.t.Fatalf("raw write: %v", err)
	}
}

// response reads the response (body included) within wait.
func (c *rawConn) response(wait time.Duration) (*http.Response, []byte) {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(wait))
	resp, err := http.ReadResponse(c.br, c.req)
	if err != nil {
		c.t.Fatalf("no response within %v: %v", wait, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("reading response body: %v", err)
	}
	return resp, body
}

// stallUpload starts a PutObject of size bytes, sends sent of them and
// leaves the rest unsent: a request in flight for as long as the test
// wants.
func stallUpload(t testing.TB, srv *tesseratest.Server, bucket, key string, size, sent int) *rawConn {
	t.Helper()
	c := dialRaw(t, srv, 0)
	c.start(http.MethodPut, objectPath(bucket, key), int64(size), nil)
	c.send(randBytes(sent, 1)[:sent])
	return c
}

// holdUpload is stallUpload that returns once the server has admitted the
// request — some time after its bytes are sent — so that it holds one
// request and its declared size of the upload budget.
func holdUpload(t testing.TB, srv *tesseratest.Server, bucket, key string, size, sent int) *rawConn {
	t.Helper()
	admitted := metricValue(t, srv, "tessera_s3_admitted_requests", "")
	c := stallUpload(t, srv, bucket, key, size, sent)
	deadline := time.Now().Add(10 * time.Second)
	for metricValue(t, srv, "tessera_s3_admitted_requests", "") <= admitted {
		if time.Now().After(deadline) {
			t.Fatalf("holdUpload %s: the server did not admit the request within 10 s", key)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return c
}

// metricValue reads the sample of the server's Prometheus metric name
// whose labels include label (e.g. `reason="requests"`), -1 if absent.
func metricValue(t testing.TB, srv *tesseratest.Server, name, label string) float64 {
	t.Helper()
	return srv.Metric(t, name, label)
}

// drain reads the connection until it ends or its read deadline passes,
// returning the bytes read and what ended it (nil for a clean EOF).
func (c *rawConn) drain() (int64, error) {
	return io.Copy(io.Discard, c.br)
}

// isTimeout reports a deadline that passed (the peer kept the connection open).
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// ovlServer starts a single server with no balancer in front, even in a
// TESSERA_TEST_GATEWAYS run: these tests are about how one server treats
// its own connections and counts its own work.
func ovlServer(t *testing.T, opts ...tesseratest.Option) *tesseratest.Server {
	t.Helper()
	return tesseratest.New(t, append(opts, tesseratest.Standalone())...)
}
