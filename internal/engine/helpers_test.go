package engine

import (
	"path/filepath"
	"testing"

	"github.com/tessera-s3/tessera/internal/blob"
	pebblestore "github.com/tessera-s3/tessera/internal/meta/pebble"
)

// openDiskStores opens a blob store and an embedded metadata store on a
// fresh directory on the real disk (dir), closed when the test ends.
func openDiskStores(t *testing.T) (dir string, blobs *blob.Store, store *pebblestore.Store) {
	t.Helper()
	dir = t.TempDir()
	var err error
	blobs, err = blob.Open(dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	store, err = pebblestore.Open(filepath.Join(dir, "meta"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return dir, blobs, store
}
