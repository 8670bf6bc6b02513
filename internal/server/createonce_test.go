package server

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/internal/blob"
	"github.com/tessera-s3/tessera/internal/config"
	"github.com/tessera-s3/tessera/internal/meta"
	pebblestore "github.com/tessera-s3/tessera/internal/meta/pebble"
)

// race runs fn(i) for i in [0, n) in n goroutines released together, as
// gateways starting at one moment on one shared data directory.
func race(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(i)
		}()
	}
	close(start)
	wg.Wait()
}

// onlyFiles fails unless dir holds exactly the named files: no temp file
// is left behind.
func onlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Fatalf("%s holds %q, want %q", dir, got, names)
	}
}

func TestCreateOnceRace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "once")
	const n = 8
	winners := make([][]byte, n)
	errs := make([]error, n)
	race(n, func(i int) {
		winners[i], errs[i] = createOnce(path, []byte(fmt.Sprintf("content of racer %d\n", i)), 0o640)
	})
	won := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("racer %d: %v", i, errs[i])
		}
		if !bytes.Equal(winners[i], winners[0]) {
			t.Fatalf("racer %d sees %q, racer 0 sees %q", i, winners[i], winners[0])
		}
		if string(winners[i]) == fmt.Sprintf("content of racer %d\n", i) {
			won++
		}
	}
	if won != 1 {
		t.Fatalf("%d racers created the file, want 1", won)
	}
	onDisk, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(onDisk, winners[0]) {
		t.Fatalf("file holds %q (%v), racers saw %q", onDisk, err, winners[0])
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o640 {
		t.Fatalf("file: %v, mode %v; want 0640", err, st.Mode())
	}
	onlyFiles(t, dir, "once")
}

func TestCreateOnceExisting(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "once")
	if err := os.WriteFile(path, []byte("first"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := createOnce(path, []byte("second"), 0o600)
	if err != nil || string(got) != "first" {
		t.Fatalf("createOnce over an existing file = %q, %v; want its content", got, err)
	}
	onlyFiles(t, dir, "once")
}

// Gateways starting at the same moment on an empty shared data directory
// all use the one root key pair, root key and store ID that one of them
// generated.
func TestFirstStartRace(t *testing.T) {
	const n = 8
	t.Run("credentials", func(t *testing.T) {
		dir := t.TempDir()
		creds := make([]rootCredentials, n)
		shown := make([]bytes.Buffer, n)
		race(n, func(i int) {
			var err error
			if creds[i], err = loadOrCreateRoot(dir, &shown[i]); err != nil {
				t.Errorf("racer %d: %v", i, err)
			}
		})
		announced := 0
		for i := range n {
			if creds[i] != creds[0] {
				t.Fatalf("racer %d uses %v, racer 0 %v", i, creds[i], creds[0])
			}
			if shown[i].Len() > 0 {
				announced++
			}
		}
		if announced != 1 {
			t.Fatalf("credentials announced %d times, want once", announced)
		}
		if again, err := loadOrCreateRoot(dir, nil); err != nil || again != creds[0] {
			t.Fatalf("next start reads %v, %v; want %v", again, err, creds[0])
		}
		onlyFiles(t, dir, credentialsFile)
	})
	t.Run("root key", func(t *testing.T) {
		dir := t.TempDir()
		keys := make([][]byte, n)
		race(n, func(i int) {
			var err error
			if keys[i], err = loadRootKey(config.Config{DataDir: dir}, quiet); err != nil {
				t.Errorf("racer %d: %v", i, err)
			}
		})
		for i := range n {
			if len(keys[i]) != 32 || !bytes.Equal(keys[i], keys[0]) {
				t.Fatalf("racer %d uses key %x, racer 0 %x", i, keys[i], keys[0])
			}
		}
		if again, err := loadRootKey(config.Config{DataDir: dir}, quiet); err != nil || !bytes.Equal(again, keys[0]) {
			t.Fatalf("next start reads %x, %v; want %x", again, err, keys[0])
		}
		onlyFiles(t, dir, rootKeyFile)
	})
	t.Run("store ID", func(t *testing.T) {
		dir := t.TempDir()
		store, err := pebblestore.Open(filepath.Join(t.TempDir(), "meta")) // the shared database
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		race(n, func(i int) {
			blobs, err := blob.Open(dir, fmt.Sprintf("gw%d", i))
			if err == nil {
				err = bindStore(context.Background(), dir, store, blobs, true)
			}
			if err != nil {
				t.Errorf("racer %d: %v", i, err)
			}
		})
		file, err := os.ReadFile(filepath.Join(dir, storeIDFile))
		if err != nil {
			t.Fatal(err)
		}
		md, err := store.GetDoc(context.Background(), storeIDKind, storeIDDoc)
		if err != nil || strings.TrimSpace(string(file)) != string(md) {
			t.Fatalf("data directory bound to %q, metadata to %q (%v)", file, md, err)
		}
	})
}

// A data directory and metadata that name different stores are refused,
// unless both are still empty: that is what gateways racing on a new store
// (or one of them crashing mid-race) leave, and the file's ID settles it.
func TestStoreIDMismatch(t *testing.T) {
	for _, withBucket := range []bool{false, true} {
		t.Run(fmt.Sprintf("bucket=%v", withBucket), func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			store, err := pebblestore.Open(filepath.Join(dir, "meta"))
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			blobs, err := blob.Open(dir, "test")
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, storeIDFile), []byte("fromfile\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := store.PutDoc(ctx, storeIDKind, storeIDDoc, []byte("frommeta")); err != nil {
				t.Fatal(err)
			}
			if withBucket {
				if err := store.CreateBucket(ctx, meta.Bucket{Name: "kept", Region: "us-east-1", Created: time.Now()}); err != nil {
					t.Fatal(err)
				}
			}
			err = bindStore(ctx, dir, store, blobs, false)
			md, _ := store.GetDoc(ctx, storeIDKind, storeIDDoc)
			if withBucket {
				if err == nil || !strings.Contains(err.Error(), "different stores") || string(md) != "frommeta" {
					t.Fatalf("bindStore = %v, metadata %q; want refused, unchanged", err, md)
				}
				return
			}
			if err != nil || string(md) != "fromfile" {
				t.Fatalf("bindStore = %v, metadata %q; want bound to the file's ID", err, md)
			}
		})
	}
}
