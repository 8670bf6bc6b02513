// Package pebblestore is the embedded meta.Store, kept in a cockroachdb/pebble
// database in one directory.
//
// Atomicity: every mutating method commits exactly one Pebble batch with
// pebble.Sync, so a change, and the garbage blob IDs it frees, become durable
// together or not at all. Pebble has no conflict-detecting transactions, so
// read-modify-write methods are serialised in-process with striped locks:
//
//   - a per-bucket RWMutex: methods that add records to a bucket (PutObject,
//     CreateUpload, CompleteUpload) hold it shared and check the bucket still
//     exists; CreateBucket and DeleteBucket hold it exclusively, so a bucket
//     can't be deleted between that check and the commit;
//   - a per-(bucket, key) mutex for methods that read then write an object;
//   - a per-upload-ID mutex for methods that read then write an upload or its
//     parts.
//
// Locks are always taken in that order (bucket, key, upload). Because the
// locks are in-process, one directory must be opened by one Store at a time;
// Pebble's own directory lock enforces that across processes.
//
// Completions (the remembered results of completed uploads) are kept
// forever in this version; a TTL sweep can be added without a format change
// since they sit in their own table keyed by upload ID.
package pebblestore

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/tessera-s3/tessera/internal/meta"
)

var _ meta.Store = (*Store)(nil)

const stripes = 256

// Store is a meta.Store backed by Pebble. Its methods are safe for
// concurrent use; none may be called after Close.
type Store struct {
	db *pebble.DB

	seed        maphash.Seed
	bucketLocks [stripes]sync.RWMutex
	keyLocks    [stripes]sync.Mutex
	uploadLocks [stripes]sync.Mutex

	cluster cluster // the in-memory Cluster (cluster.go)

	// lock is the directory lock OpenReadOnly takes itself (nil for Open,
	// whose lock Pebble holds and releases).
	lock *pebble.Lock
}

// Option configures Open.
type Option func(*pebble.Options)

// WithFS keeps the database in fs instead of on the real disk: the seam the
// blob store shares, so that a test can cut the power under both at once.
func WithFS(fs vfs.FS) Option {
	return func(o *pebble.Options) { o.FS = fs }
}

// Open opens (creating if needed) the store in dir.
func Open(dir string, opts ...Option) (*Store, error) {
	o := &pebble.Options{Logger: quietLogger{}}
	for _, opt := range opts {
		opt(o)
	}
	db, err := pebble.Open(dir, o)
	if err != nil {
		return nil, fmt.Errorf("pebblestore: open %s: %w", dir, err)
	}
	return &Store{db: db, seed: maphash.MakeSeed()}, nil
}

// ErrLocked is returned by OpenReadOnly when another process (a running
// server) or this one already has the store open.
var ErrLocked = errors.New("pebblestore: the store is in use (is a server running on this data directory?)")

// OpenReadOnly opens an existing store in dir for reading only: nothing is
// written, and writes fail. Pebble locks its directory even then, so it
// refuses (ErrLocked) while a server has the store open: a reader beside a
// writer would see files the writer is about to delete.
func OpenReadOnly(dir string) (*Store, error) {
	// Every store has its LOCK file: checking first keeps LockDirectory
	// from creating one where there is no store.
	if _, err := os.Stat(filepath.Join(dir, "LOCK")); err != nil {
		return nil, fmt.Errorf("pebblestore: open %s: no store there: %w", dir, err)
	}
	lock, err := pebble.LockDirectory(dir, vfs.Default)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrLocked, err)
	}
	db, err := pebble.Open(dir, &pebble.Options{Logger: quietLogger{}, ReadOnly: true, ErrorIfNotExists: true, Lock: lock})
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("pebblestore: open %s read-only: %w", dir, err)
	}
	return &Store{db: db, seed: maphash.MakeSeed(), lock: lock}, nil
}

// Close flushes and closes the database.
func (s *Store) Close() error {
	err := s.db.Close()
	if s.lock != nil {
		if lerr := s.lock.Close(); err == nil {
			err = lerr
		}
	}
	if err != nil {
		return fmt.Errorf("pebblestore: close: %w", err)
	}
	return nil
}

// quietLogger drops Pebble's informational chatter but keeps errors, which
// still go to the default logger.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any)      {}
func (quietLogger) Errorf(f string, a ...any) { pebble.DefaultLogger.Errorf(f, a...) }
func (quietLogger) Fatalf(f string, a ...any) { pebble.DefaultLogger.Fatalf(f, a...) }

func (s *Store) stripe(parts ...string) uint64 {
	var h maphash.Hash
	h.SetSeed(s.seed)
	for _, p := range parts {
		h.WriteString(p)
		h.WriteByte(0) // separates ("a","bc") from ("ab","c")
	}
	return h.Sum64() % stripes
}

func (s *Store) bucketLock(bucket string) *sync.RWMutex {
	return &s.bucketLocks[s.stripe(bucket)]
}

func (s *Store) keyLock(bucket, key string) *sync.Mutex {
	return &s.keyLocks[s.stripe(bucket, key)]
}

func (s *Store) uploadLock(uploadID string) *sync.Mutex {
	return &s.uploadLocks[s.stripe(uploadID)]
}

// get returns a copy of the value of k, or (nil, false, nil) if absent.
func (s *Store) get(k []byte) ([]byte, bool, error) { return getFrom(s.db, k) }

// getFrom is get from a reader (the database or a snapshot of it).
func getFrom(r pebble.Reader, k []byte) ([]byte, bool, error) {
	v, closer, err := r.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("pebblestore: get: %w", err)
	}
	defer closer.Close()
	return append([]byte(nil), v...), true, nil
}

// getJSON decodes the value of k into v; found is false if k is absent.
func (s *Store) getJSON(k []byte, v any) (found bool, err error) {
	b, ok, err := s.get(k)
	if err != nil || !ok {
		return false, err
	}
	return true, decode(b, v)
}

// scan calls fn for each key in [lower, upper) in order until fn returns
// false or limit calls have been made (limit < 0: no limit). The slices are
// only valid during the call.
func (s *Store) scan(lower, upper []byte, limit int, fn func(k, v []byte) (bool, error)) error {
	if limit == 0 || string(lower) >= string(upper) {
		return nil
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return fmt.Errorf("pebblestore: iterator: %w", err)
	}
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			it.Close()
			return fmt.Errorf("pebblestore: scan: %w", err)
		}
		more, err := fn(it.Key(), v)
		if err != nil {
			it.Close()
			return err
		}
		n++
		if !more || (limit > 0 && n >= limit) {
			break
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("pebblestore: scan: %w", err)
	}
	return nil
}

// exists reports whether any key lies in [lower, upper).
func (s *Store) exists(lower, upper []byte) (bool, error) {
	found := false
	err := s.scan(lower, upper, 1, func(_, _ []byte) (bool, error) {
		found = true
		return false, nil
	})
	return found, err
}

// batch accumulates one atomic change. Set errors are impossible for an
// open batch except on misuse, so they are kept and reported by commit.
type batch struct {
	b       *pebble.Batch
	err     error
	garbage []string
}

func (s *Store) newBatch() *batch { return &batch{b: s.db.NewBatch()} }

func (b *batch) set(k []byte, v []byte) {
	if err := b.b.Set(k, v, nil); err != nil && b.err == nil {
		b.err = err
	}
}

func (b *batch) setJSON(k []byte, v any) {
	enc, err := encode(v)
	if err != nil {
		if b.err == nil {
			b.err = err
		}
		return
	}
	b.set(k, enc)
}

func (b *batch) del(k []byte) {
	if err := b.b.Delete(k, nil); err != nil && b.err == nil {
		b.err = err
	}
}

// addGarbage records blob IDs as garbage in the batch and remembers them for
// the caller, skipping empty and duplicate IDs.
func (b *batch) addGarbage(ids ...string) {
	for _, id := range ids {
		if id == "" || contains(b.garbage, id) {
			continue
		}
		b.garbage = append(b.garbage, id)
		b.set(garbageKey(id), garbageSince(time.Now()))
	}
}

func contains(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// commit writes the batch durably and returns the garbage it recorded.
func (b *batch) commit() ([]string, error) {
	defer b.b.Close()
	if b.err != nil {
		return nil, fmt.Errorf("pebblestore: batch: %w", b.err)
	}
	if err := b.b.Commit(pebble.Sync); err != nil {
		return nil, fmt.Errorf("pebblestore: commit: %w", err)
	}
	return b.garbage, nil
}

// abandon discards a batch that will not be committed.
func (b *batch) abandon() { _ = b.b.Close() }

func notFound(what string) error {
	return fmt.Errorf("pebblestore: %s: %w", what, meta.ErrNotFound)
}

func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pebblestore: %w", err)
	}
	return nil
}
