package server

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/meta/postgres/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// With --postgres the metadata lives in PostgreSQL (nothing under
// <data>/meta) and survives a restart. Several servers share the database
// and the data directory (scale-out): a second one sees what the first
// stored; one with another data directory is refused (the store binding),
// and so is one that claims a live gateway's ID.
func TestPostgresMetadata(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.RootUser, cfg.RootPassword = "rootuser", "rootpassword"
	cfg.PostgresDSN = pgtest.DSN(t)
	cfg.GatewayID = "gw-a"
	timing := Options{Logger: quiet, Timing: Timing{Beat: 50 * time.Millisecond, TTL: 500 * time.Millisecond}}
	s, err := Open(cfg, timing)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	ctx := context.Background()
	if err := s.engine.CreateBucket(ctx, RootOwner, "kept", "", false, nil); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "meta")); !os.IsNotExist(err) {
		t.Errorf("<data>/meta exists with --postgres: %v", err)
	}

	second := cfg
	second.GatewayID = "gw-b"
	s2, err := Open(second, timing)
	if err != nil {
		t.Fatalf("second gateway on the same database and data directory: %v", err)
	}
	if bs, err := s2.engine.ListBuckets(ctx, RootOwner); err != nil || len(bs) != 1 {
		t.Errorf("the second gateway's buckets: %+v, %v", bs, err)
	}
	if s.Leading() == s2.Leading() {
		t.Errorf("leading: first %v, second %v; want exactly one leader", s.Leading(), s2.Leading())
	}
	s2.Close()

	other := second
	other.DataDir = t.TempDir()
	if s3, err := Open(other, timing); err == nil || !strings.Contains(err.Error(), "belongs to store") {
		if s3 != nil {
			s3.Close()
		}
		t.Fatalf("a gateway with another data directory: %v, want the store binding's refusal", err)
	}
	if s3, err := Open(cfg, timing); !errors.Is(err, meta.ErrGatewayExists) {
		if s3 != nil {
			s3.Close()
		}
		t.Fatalf("a second gateway with a live gateway's ID: %v, want ErrGatewayExists", err)
	}

	s.Close()
	s, err = Open(cfg, timing)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	bs, err := s.engine.ListBuckets(ctx, RootOwner)
	if err != nil || len(bs) != 1 || bs[0].Name != "kept" {
		t.Fatalf("buckets after restart: %+v, %v", bs, err)
	}
}
