package server

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tessera-s3/tessera/internal/meta/postgres"
	"github.com/tessera-s3/tessera/internal/meta/postgres/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// With --postgres the metadata lives in PostgreSQL (nothing under
// <data>/meta), survives a restart, and a second server on the same
// database is refused until the first closes.
func TestPostgresMetadata(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.RootUser, cfg.RootPassword = "rootuser", "rootpassword"
	cfg.PostgresDSN = pgtest.DSN(t)
	s, err := Open(cfg, Options{Logger: quiet})
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

	other := cfg
	other.DataDir = t.TempDir()
	if s2, err := Open(other, Options{Logger: quiet}); !errors.Is(err, postgres.ErrGatewayRunning) {
		if s2 != nil {
			s2.Close()
		}
		t.Fatalf("second server on the same database: %v, want ErrGatewayRunning", err)
	}

	s.Close()
	s, err = Open(cfg, Options{Logger: quiet})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	bs, err := s.engine.ListBuckets(ctx, RootOwner)
	if err != nil || len(bs) != 1 || bs[0].Name != "kept" {
		t.Fatalf("buckets after restart: %+v, %v", bs, err)
	}
}
