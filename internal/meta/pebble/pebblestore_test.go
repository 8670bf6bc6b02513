package pebblestore_test

import (
	"testing"

	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/meta/metatest"
	pebblestore "github.com/tessera-s3/tessera/internal/meta/pebble"
)

func TestStore(t *testing.T) {
	metatest.RunStoreSuite(t, func(t *testing.T, dir string) meta.Store {
		s, err := pebblestore.Open(dir)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return s
	})
}
