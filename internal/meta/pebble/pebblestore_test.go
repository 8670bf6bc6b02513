package pebblestore_test

import (
	"context"
	"errors"
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

// TestOpenReadOnly: a read-only open sees what was written, refuses while
// the store is open elsewhere, and writes nothing.
func TestOpenReadOnly(t *testing.T) {
	dir := t.TempDir()
	if _, err := pebblestore.OpenReadOnly(dir); err == nil {
		t.Fatal("OpenReadOnly of an empty directory succeeded")
	}
	s, err := pebblestore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.CreateBucket(ctx, meta.Bucket{Name: "b"}); err != nil {
		t.Fatal(err)
	}
	if _, err := pebblestore.OpenReadOnly(dir); !errors.Is(err, pebblestore.ErrLocked) {
		t.Fatalf("OpenReadOnly while open: %v, want ErrLocked", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := pebblestore.OpenReadOnly(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ro.GetBucket(ctx, "b"); err != nil {
		t.Fatalf("GetBucket: %v", err)
	}
	if err := ro.CreateBucket(ctx, meta.Bucket{Name: "c"}); err == nil {
		t.Fatal("a read-only store accepted a write")
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	// The lock is released: the store opens for writing again.
	s, err = pebblestore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}
