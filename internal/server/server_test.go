package server

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/internal/config"
)

func testConfig(dir string) config.Config {
	return config.Config{Address: "127.0.0.1:0", DataDir: dir, Region: "us-east-1", LogFormat: "text", ShutdownTimeout: 5 * time.Second}
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestGeneratedRootCredentials(t *testing.T) {
	dir := t.TempDir()
	var first bytes.Buffer
	s, err := Open(testConfig(dir), Options{Logger: quiet, Announce: &first})
	if err != nil {
		t.Fatal(err)
	}
	ak, sk := s.RootCredentials()
	s.Close()
	if len(ak) != 20 || len(sk) != 40 {
		t.Fatalf("credentials %q %q", ak, sk)
	}
	if !strings.Contains(first.String(), ak) || !strings.Contains(first.String(), sk) {
		t.Fatalf("first start did not print the credentials:\n%s", first.String())
	}
	st, err := os.Stat(filepath.Join(dir, credentialsFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v, mode %v", err, st.Mode())
	}
	var second bytes.Buffer
	s, err = Open(testConfig(dir), Options{Logger: quiet, Announce: &second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if ak2, sk2 := s.RootCredentials(); ak2 != ak || sk2 != sk {
		t.Fatalf("second start changed credentials")
	}
	if second.Len() != 0 {
		t.Fatalf("second start printed credentials again: %q", second.String())
	}
}

func TestConfiguredRootCredentialsAreNotStored(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	cfg.RootUser, cfg.RootPassword = "admin", "password123"
	s, err := Open(cfg, Options{Logger: quiet, Announce: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(filepath.Join(dir, credentialsFile)); !os.IsNotExist(err) {
		t.Fatalf("credentials file written although credentials were configured: %v", err)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.GatewayID = "gw-1"
	s, err := Open(cfg, Options{Logger: quiet, Announce: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get(pathLive); code != 200 {
		t.Errorf("live: %d", code)
	}
	if code, _ := get(pathReady); code != 200 {
		t.Errorf("ready: %d", code)
	}
	// An unsigned S3 request is refused, and counted.
	if code, body := get("/somebucket"); code != 403 || !strings.Contains(body, "<Code>AccessDenied</Code>") {
		t.Errorf("anonymous request: %d %s", code, body)
	}
	code, body := get(pathMetrics)
	// Every series names its gateway; the only gateway leads.
	for _, want := range []string{
		`tessera_s3_requests_total{action="ListObjects",gateway="gw-1",status="403"} 1`,
		`tessera_lifecycle_uploads_aborted_total{gateway="gw-1"} 0`,
		`tessera_cluster_leader{gateway="gw-1"} 1`,
		`tessera_cluster_leader_gains_total{gateway="gw-1"} 1`,
		`tessera_cluster_gateways{gateway="gw-1"} 1`,
	} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("metrics: %d: no %s in\n%s", code, want, body)
		}
	}
	// A draining gateway tells the load balancer to go elsewhere.
	s.draining.Store(true)
	if code, body := get(pathReady); code != 503 || !strings.Contains(body, "draining") {
		t.Errorf("ready while draining: %d %s", code, body)
	}
}

func TestRunShutsDownGracefully(t *testing.T) {
	s, err := Open(testConfig(t.TempDir()), Options{Logger: quiet, Announce: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, func(a net.Addr) { addrc <- a }) }()
	addr := <-addrc
	resp, err := http.Get("http://" + addr.String() + pathLive)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if _, err := http.Get("http://" + addr.String() + pathLive); err == nil {
		t.Fatal("server still answering after shutdown")
	}
}
