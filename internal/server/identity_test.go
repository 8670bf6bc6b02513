package server

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/internal/blob"
	"github.com/tessera-s3/tessera/internal/engine"
	pebblestore "github.com/tessera-s3/tessera/internal/meta/pebble"
	"github.com/tessera-s3/tessera/internal/meta/postgres/pgtest"
)

// A data directory and a metadata store that do not belong together must
// never both be used: the orphan sweep would delete the directory's bytes,
// or every object would lack its bytes. Each refused start is checked to
// leave the data directory's blobs in place.
func TestStoreBinding(t *testing.T) {
	pgCfg := func(dataDir, dsn string) configForTest { return configForTest{dataDir: dataDir, dsn: dsn} }
	dbA, dbB := pgtest.DSN(t), pgtest.DSN(t)
	dirA := t.TempDir()

	// First start binds dirA and dbA; a blob written there must survive
	// every refused start below.
	s := pgCfg(dirA, dbA).open(t)
	if err := s.engine.CreateBucket(context.Background(), RootOwner, "bound", "", false, nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	plantBlob(t, dirA)

	tests := []struct {
		name string
		cfg  configForTest
		want string
	}{
		{"same database, new data directory", pgCfg(t.TempDir(), dbA), "is new"},
		{"same data directory, new database", pgCfg(dirA, dbB), "metadata store is empty"},
		{"embedded data directory moved to PostgreSQL", pgCfg(embeddedDir(t, true), pgtest.DSN(t)), "metadata store is empty"},
		{"embedded data directory from before store IDs moved to PostgreSQL", pgCfg(embeddedDir(t, false), pgtest.DSN(t)), "embedded (Pebble) metadata"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.cfg.tryOpen()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open: %v, want an error containing %q", err, tc.want)
			}
		})
	}
	bs, err := blob.Open(dirA, "test")
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := countBlobs(bs); n != 1 {
		t.Fatalf("%d blobs left in the bound data directory, want 1", n)
	}
	// dbB was bound to nothing by the refused start, so the pair dirA/dbA
	// still opens.
	s = pgCfg(dirA, dbA).open(t)
	s.Close()
}

// A crash between recording the ID in the metadata and in the data
// directory leaves an empty store that finishes its binding on the next
// start.
func TestStoreBindingFinishesAfterCrash(t *testing.T) {
	c := configForTest{dataDir: t.TempDir(), dsn: pgtest.DSN(t)}
	c.open(t).Close()
	if err := os.Remove(filepath.Join(c.dataDir, storeIDFile)); err != nil {
		t.Fatal(err)
	}
	c.open(t).Close()
	if _, err := os.Stat(filepath.Join(c.dataDir, storeIDFile)); err != nil {
		t.Fatalf("store ID not rewritten: %v", err)
	}
}

type configForTest struct{ dataDir, dsn string }

func (c configForTest) tryOpen() (*Server, error) {
	cfg := testConfig(c.dataDir)
	cfg.RootUser, cfg.RootPassword = "rootuser", "rootpassword"
	cfg.PostgresDSN = c.dsn
	return Open(cfg, Options{Logger: quiet})
}

func (c configForTest) open(t *testing.T) *Server {
	t.Helper()
	s, err := c.tryOpen()
	if err != nil {
		t.Fatalf("Open(%s): %v", c.dataDir, err)
	}
	return s
}

// embeddedDir returns a data directory a server used with Pebble, without
// its store ID unless withID (as a version before store IDs left it).
func embeddedDir(t *testing.T, withID bool) string {
	dir := t.TempDir()
	configForTest{dataDir: dir}.open(t).Close()
	if !withID {
		if err := os.Remove(filepath.Join(dir, storeIDFile)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// plantBlob stores one blob no metadata refers to, old enough for the
// orphan sweep to take it if the sweep ever ran against foreign metadata.
func plantBlob(t *testing.T, dataDir string) {
	t.Helper()
	bs, err := blob.Open(dataDir, "test")
	if err != nil {
		t.Fatal(err)
	}
	w, err := bs.Create()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("precious"))
	id, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * engine.OrphanGrace)
	if err := os.Chtimes(filepath.Join(dataDir, "blobs", id[:2], id[2:4], id), old, old); err != nil {
		t.Fatal(err)
	}
}

// TestCheckStoreID: the read-only verdict fsck relies on, for each way a
// data directory and a metadata store can (not) belong together.
func TestCheckStoreID(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name          string
		file, doc     string // "" when absent
		wantErrSubstr string // "" when they belong together
	}{
		{"both absent", "", "", ""},
		{"same ID", "abc", "abc", ""},
		{"different IDs", "abc", "xyz", "different stores"},
		{"only the directory has one", "abc", "", "metadata store has no store ID"},
		{"only the metadata has one", "", "xyz", "has no store ID"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			store, err := pebblestore.Open(filepath.Join(dir, "meta"))
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			if tc.file != "" {
				os.WriteFile(filepath.Join(dir, storeIDFile), []byte(tc.file+"\n"), 0o644)
			}
			if tc.doc != "" {
				store.PutDoc(ctx, storeIDKind, storeIDDoc, []byte(tc.doc))
			}
			err = CheckStoreID(ctx, dir, store)
			if tc.wantErrSubstr == "" && err != nil || tc.wantErrSubstr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErrSubstr)) {
				t.Fatalf("CheckStoreID = %v, want error containing %q", err, tc.wantErrSubstr)
			}
		})
	}
}
