package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tessera-s3/tessera/internal/blob"
	"github.com/tessera-s3/tessera/internal/meta"
)

// A data directory's blobs and the metadata that refers to them belong
// together: the orphan sweep deletes every blob the metadata does not know.
// Pointing a data directory at someone else's metadata (a new or another
// PostgreSQL database, say) would make it delete that directory's bytes.
// So both carry one random store ID, written on the first start, and a
// server refuses to start when they disagree.
const (
	storeIDFile = "store-id"
	storeIDKind = "system"
	storeIDDoc  = "store-id"
)

// bindStore checks that the data directory and the metadata store belong
// to each other, recording a new shared ID when both are new.
func bindStore(ctx context.Context, dataDir string, store meta.Store, blobs *blob.Store, postgres bool) error {
	path := filepath.Join(dataDir, storeIDFile)
	dir, md, err := storeIDs(ctx, path, store)
	if err != nil {
		return err
	}
	switch {
	case dir != "" && md != "":
		if dir == md {
			return nil
		}
		// Gateways starting together on a new store each write their own
		// ID to the metadata before one of them creates the file (see
		// writeStoreID), so a start can see the two differ for a moment,
		// or for good if a loser crashed before correcting the metadata.
		// While nothing is stored there is nothing to damage, and the
		// file, which is created once, settles it.
		empty, err := storeIsEmpty(ctx, store, blobs)
		if err != nil {
			return err
		}
		if !empty {
			return fmt.Errorf("server: data directory %s (store %s) and the metadata store (store %s) belong to different stores; refusing to start, so that neither is damaged", dataDir, dir, md)
		}
		if err := store.PutDoc(ctx, storeIDKind, storeIDDoc, []byte(dir)); err != nil {
			return fmt.Errorf("server: recording the store ID: %w", err)
		}
		return nil
	case dir != "":
		return fmt.Errorf("server: data directory %s belongs to store %s, but the metadata store is empty; refusing to start, because its bytes would look unreferenced and be swept", dataDir, dir)
	case md != "":
		// Left so by a crash between the two writes below, the store is
		// still empty: finish the binding.
		if empty, err := storeIsEmpty(ctx, store, blobs); err != nil || empty {
			if err != nil {
				return err
			}
			return writeStoreID(ctx, store, path, md)
		}
		return fmt.Errorf("server: the metadata store belongs to store %s, but data directory %s is new; refusing to start, because every object's bytes would be missing (use the data directory it was created with)", md, dataDir)
	}
	// Both new, or from a version without store IDs: a data directory
	// moving to PostgreSQL must not bring bytes the new metadata would
	// not know.
	if postgres {
		if _, err := os.Stat(filepath.Join(dataDir, "meta")); err == nil {
			return fmt.Errorf("server: data directory %s holds embedded (Pebble) metadata; refusing to use it with --postgres, whose database does not know its objects (use a new data directory)", dataDir)
		}
		if n, err := countBlobs(blobs); err != nil || n > 0 {
			return fmt.Errorf("server: data directory %s holds %d blobs that the new PostgreSQL metadata does not know (%v); refusing to start (use a new data directory)", dataDir, n, err)
		}
	}
	id := randomString(26, "abcdefghijklmnopqrstuvwxyz0123456789")
	// Metadata first: a crash before the file is written leaves an ID only
	// there, which refuses to start rather than sweeping.
	if err := store.PutDoc(ctx, storeIDKind, storeIDDoc, []byte(id)); err != nil {
		return fmt.Errorf("server: recording the store ID: %w", err)
	}
	return writeStoreID(ctx, store, path, id)
}

// storeIsEmpty reports whether neither side holds anything yet.
func storeIsEmpty(ctx context.Context, store meta.Store, blobs *blob.Store) (bool, error) {
	buckets, err := store.ListBuckets(ctx)
	if err != nil {
		return false, fmt.Errorf("server: %w", err)
	}
	n, err := countBlobs(blobs)
	return len(buckets) == 0 && n == 0, err
}

// writeStoreID records id in the data directory, unless a gateway
// starting at the same moment recorded its own first: then the file's ID
// wins, and the metadata, which every racer wrote before the file, is set
// to it. Each racer's last metadata write is then the file's ID, so the
// two agree once all have started.
func writeStoreID(ctx context.Context, store meta.Store, path, id string) error {
	winner, err := createOnce(path, []byte(id+"\n"), 0o644)
	if err != nil {
		return err
	}
	won := strings.TrimSpace(string(winner))
	if won == id {
		return nil
	}
	if won == "" {
		return fmt.Errorf("server: %s is empty; remove it to bind the data directory again", path)
	}
	if err := store.PutDoc(ctx, storeIDKind, storeIDDoc, []byte(won)); err != nil {
		return fmt.Errorf("server: recording the store ID: %w", err)
	}
	return nil
}

func countBlobs(blobs *blob.Store) (int, error) {
	n := 0
	err := blobs.Walk(func(string) error { n++; return nil })
	return n, err
}

// storeIDs reads the store ID of the data directory (the file at path) and
// of the metadata; "" where there is none.
func storeIDs(ctx context.Context, path string, store meta.Store) (dir, md string, err error) {
	fileID, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", "", fmt.Errorf("server: reading %s: %w", path, err)
	}
	metaID, err := store.GetDoc(ctx, storeIDKind, storeIDDoc)
	if err != nil && !errors.Is(err, meta.ErrNotFound) {
		return "", "", fmt.Errorf("server: reading the store ID from the metadata: %w", err)
	}
	return strings.TrimSpace(string(fileID)), string(metaID), nil
}

// CheckStoreID is bindStore's verdict without its writes, for tools that
// must not act on a data directory and metadata that do not belong
// together (fsck would take every blob for an orphan): an error unless
// both carry the same store ID, or neither carries one (a store from a
// version without IDs, or one never started).
func CheckStoreID(ctx context.Context, dataDir string, store meta.Store) error {
	path := filepath.Join(dataDir, storeIDFile)
	dir, md, err := storeIDs(ctx, path, store)
	if err != nil {
		return err
	}
	switch {
	case dir == md:
		return nil
	case md == "":
		return fmt.Errorf("server: data directory %s belongs to store %s, but the metadata store has no store ID (is it the right database?)", dataDir, dir)
	case dir == "":
		return fmt.Errorf("server: the metadata store belongs to store %s, but data directory %s has no store ID (is it the right directory?)", md, dataDir)
	}
	return fmt.Errorf("server: data directory %s (store %s) and the metadata store (store %s) belong to different stores", dataDir, dir, md)
}
