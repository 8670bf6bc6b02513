package conformance

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tessera-s3/tessera/internal/meta/postgres/pgtest"
	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// TestMain stops the throwaway PostgreSQL server that pgtest starts when
// the suite runs with TESSERA_TEST_META=postgres (or a test asks for one).
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestMetaBackendFollowsEnv makes sure a TESSERA_TEST_META=postgres run
// really keeps metadata in PostgreSQL (and a default run in Pebble), so the
// scale-out pass in .ci/run cannot silently test the embedded store.
func TestMetaBackendFollowsEnv(t *testing.T) {
	srv := tesseratest.New(t)
	_, err := os.Stat(filepath.Join(srv.DataDir, "meta"))
	onPebble := err == nil
	wantPostgres := os.Getenv(tesseratest.MetaEnv) == "postgres" || len(srv.Gateways()) > 1
	if onPebble == wantPostgres {
		t.Fatalf("%s=%q, yet the server keeps metadata in Pebble: %v", tesseratest.MetaEnv, os.Getenv(tesseratest.MetaEnv), onPebble)
	}
}
