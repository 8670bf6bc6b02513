// Package blob keeps object bytes as immutable files named by random IDs.
//
// Layout under the store's directory:
//
//	blobs/xx/<id>      committed blobs; xx is the id's first byte pair. The
//	                   256 fan-out directories are made (and synced) once by
//	                   Open, so a commit never pays for a mkdir: a second
//	                   level would mean a mkdir and a parent fsync on most
//	                   commits until 65,536 directories existed.
//	tmp/               in-flight writes, emptied by Open
//
// A blob is durable once Commit returns: its data is fsynced, it is renamed
// into place, and the directories that name it are fsynced. A crash before
// that leaves at most a temp file (removed by the next Open); a crash after
// it but before the caller records the ID in metadata leaves an orphan blob,
// which a collector comparing blobs with metadata (see Walk) can remove.
//
// There is no file-system seam yet: the package calls os directly. Fault
// injection, when needed, can put one behind the few os calls here.
package blob

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// ErrBadID is returned for an ID that is not 32 lower-case hex characters;
// such an ID never reaches the file system, so it cannot escape the store.
var ErrBadID = errors.New("blob: malformed id")

// idLen is the length of an ID: 16 random bytes, hex-encoded.
const idLen = 32

// Store is a directory of blobs. Its methods are safe for concurrent use.
type Store struct {
	blobs string
	tmp   string
}

// Open opens the store in dir, creating dir/blobs and dir/tmp as needed,
// and removes whatever an earlier process left in dir/tmp. Only one Store
// may use a directory at a time: Open would delete another's writes in progress.
func Open(dir string) (*Store, error) {
	s := &Store{blobs: filepath.Join(dir, "blobs"), tmp: filepath.Join(dir, "tmp")}
	if err := os.RemoveAll(s.tmp); err != nil {
		return nil, fmt.Errorf("blob: empty %s: %w", s.tmp, err)
	}
	for _, d := range []string{s.blobs, s.tmp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("blob: open: %w", err)
		}
	}
	created := false
	for i := 0; i < 256; i++ {
		d := filepath.Join(s.blobs, fmt.Sprintf("%02x", i))
		err := os.Mkdir(d, 0o755)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("blob: open: %w", err)
		}
		created = created || err == nil
	}
	if created {
		if err := syncDir(s.blobs); err != nil {
			return nil, err
		}
	}
	// Make the top-level directories themselves durable, so a committed
	// blob's path never depends on an unsynced mkdir.
	if err := syncDir(dir); err != nil {
		return nil, err
	}
	return s, nil
}

// ValidID reports whether id is a well-formed blob ID.
func ValidID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func newID() string {
	var b [idLen / 2]byte
	rand.Read(b[:]) // never fails (crypto/rand panics on an unusable source)
	return hex.EncodeToString(b[:])
}

// path returns the file of a valid id.
func (s *Store) path(id string) string {
	return filepath.Join(s.blobs, id[0:2], id)
}

// Create starts a new blob in a temp file. The caller must end the Writer
// with exactly one of Commit or Abort; `defer w.Abort()` right after Create
// is the idiom, since Abort after Commit does nothing.
func (s *Store) Create() (*Writer, error) {
	f, err := os.CreateTemp(s.tmp, "blob-*")
	if err != nil {
		return nil, fmt.Errorf("blob: create: %w", err)
	}
	return &Writer{s: s, f: f}, nil
}

// Open opens the blob for reading; the caller must close the file.
// A missing blob yields an error satisfying errors.Is(err, fs.ErrNotExist).
func (s *Store) Open(id string) (*os.File, error) {
	if !ValidID(id) {
		return nil, fmt.Errorf("%w: %q", ErrBadID, id)
	}
	f, err := os.Open(s.path(id))
	if err != nil {
		return nil, fmt.Errorf("blob: open: %w", err)
	}
	return f, nil
}

// Size returns the blob's length in bytes.
func (s *Store) Size(id string) (int64, error) {
	if !ValidID(id) {
		return 0, fmt.Errorf("%w: %q", ErrBadID, id)
	}
	fi, err := os.Stat(s.path(id))
	if err != nil {
		return 0, fmt.Errorf("blob: size: %w", err)
	}
	return fi.Size(), nil
}

// Remove deletes the blob; removing a missing blob is not an error, so a
// collector can retry after a crash. The directory is not fsynced: a removal
// lost in a crash only leaves an orphan to remove again.
func (s *Store) Remove(id string) error {
	if !ValidID(id) {
		return fmt.Errorf("%w: %q", ErrBadID, id)
	}
	if err := os.Remove(s.path(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob: remove: %w", err)
	}
	return nil
}

// Walk calls fn with the ID of every committed blob, in no particular
// order, stopping at fn's first error, which it returns. Blobs committed or
// removed during the walk may or may not be seen. Files whose names are not
// IDs are skipped.
func (s *Store) Walk(fn func(id string) error) error {
	err := filepath.WalkDir(s.blobs, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) { // removed under us
				return nil
			}
			return err
		}
		if d.IsDir() || !ValidID(d.Name()) || path != s.path(d.Name()) {
			return nil
		}
		return fn(d.Name())
	})
	if err != nil {
		return fmt.Errorf("blob: walk: %w", err)
	}
	return nil
}

// Writer writes one new blob. It is not safe for concurrent use.
type Writer struct {
	s       *Store
	f       *os.File // nil once committed or aborted
	written int64
}

// Write appends p to the blob.
func (w *Writer) Write(p []byte) (int, error) {
	if w.f == nil {
		return 0, errors.New("blob: write after commit or abort")
	}
	n, err := w.f.Write(p)
	w.written += int64(n)
	if err != nil {
		return n, fmt.Errorf("blob: write: %w", err)
	}
	return n, nil
}

// Written returns the number of bytes written so far.
func (w *Writer) Written() int64 { return w.written }

// Commit makes the blob durable under a new random ID and returns it. On
// error the temp file is removed and the Writer is finished.
func (w *Writer) Commit() (string, error) {
	if w.f == nil {
		return "", errors.New("blob: commit after commit or abort")
	}
	f := w.f
	tmpName := f.Name()
	w.f = nil
	fail := func(err error) (string, error) {
		os.Remove(tmpName)
		return "", fmt.Errorf("blob: commit: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	id := newID()
	final := w.s.path(id)
	if err := os.Rename(tmpName, final); err != nil {
		return fail(err)
	}
	if err := syncDir(filepath.Dir(final)); err != nil {
		// The blob is in place but its name may not survive a crash; the
		// caller must not record it, so take it back out.
		os.Remove(final)
		return "", fmt.Errorf("blob: commit: %w", err)
	}
	return id, nil
}

// Abort discards the blob. It is a no-op after Commit or a previous Abort.
func (w *Writer) Abort() {
	if w.f == nil {
		return
	}
	name := w.f.Name()
	w.f.Close()
	os.Remove(name)
	w.f = nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("blob: sync dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("blob: sync dir %s: %w", dir, err)
	}
	return nil
}

// ModTime is when the blob was written.
func (s *Store) ModTime(id string) (time.Time, error) {
	if !ValidID(id) {
		return time.Time{}, ErrBadID
	}
	st, err := os.Stat(s.path(id))
	if err != nil {
		return time.Time{}, err
	}
	return st.ModTime(), nil
}
