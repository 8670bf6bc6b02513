// Package blob keeps object bytes as immutable files named by random IDs.
//
// Layout under the store's directory:
//
//	blobs/xx/yy/<id>   committed blobs; xx and yy are the id's first two
//	                   byte pairs. The 256 first-level directories are made
//	                   (and synced) by Open; the 65,536 leaves are made on
//	                   the first commit that needs one, so opening a store
//	                   on a network file system stays quick. At 100 million
//	                   blobs a leaf holds about 1,500 files, which every
//	                   file system lists comfortably.
//	blobs/xx/<id>      blobs committed by versions before the second level.
//	                   They are read, measured, removed and walked where
//	                   they are; nothing moves them.
//	tmp/<gateway>/     in-flight writes of one gateway (one process),
//	                   emptied by that gateway's Open. Several gateways may
//	                   share one store directory; none touches another's
//	                   temp directory except through SweepTmp.
//	tmp/<file>         in-flight writes of versions before per-gateway
//	                   temp directories; SweepTmp removes them once an hour
//	                   old.
//
// A blob is durable once Commit returns: its data is fsynced, it is renamed
// into place, and the directories that name it are fsynced. A crash before
// that leaves at most a temp file (removed by the next Open of the same
// gateway, or by SweepTmp); a crash after it but before the caller records
// the ID in metadata leaves an orphan blob, which a collector comparing
// blobs with metadata (see Walk) can remove.
//
// # File systems
//
// The directory may be local or shared by many gateways on a network or
// cluster file system. These are the only operations the store performs,
// what each needs, and how the file systems it is meant for provide it:
//
//   - Create a temp file in tmp/<gateway>/, named by 64 random bits so no
//     two writes ever pick one name (vfs.FS.Create opens with O_EXCL and,
//     should the name exist after all, replaces it). Only its creator ever
//     names it, so exclusivity across machines is not needed.
//   - Write, fsync, close. The data must be on stable storage when fsync
//     returns: local file systems flush to the device; NFS sends COMMIT for
//     unstable WRITEs (and close flushes too, for close-to-open
//     consistency); CephFS and Lustre flush to the OSDs/OSTs; GPFS to its
//     NSDs; JuiceFS uploads the buffered blocks to its object store. A
//     gateway that later opens the blob (after reading its ID from the
//     metadata, so after the commit) sees all of it: open after close is
//     the consistency every one of them guarantees across clients.
//   - Rename tmp/<gateway>/<temp> to blobs/xx/yy/<id>, across directories.
//     It must be one atomic metadata operation within one file system, and
//     it is on all of them (NFS RENAME; an MDS/MDT operation on CephFS and
//     Lustre, a distributed transaction when the two directories live on
//     different metadata servers; a metadata-engine transaction on JuiceFS).
//     tmp/ and blobs/ must therefore be on one mount and one volume,
//     fileset or subvolume, or the rename fails with EXDEV. NFS adds one
//     hazard: a RENAME the client retransmits after the server applied it
//     (the reply was lost) fails with ENOENT for the now-missing source.
//     Commit treats "ENOENT, source gone, target present with the written
//     size" as success; the target's name is a fresh random ID, so no
//     other file can be there.
//   - Fsync a directory: after a rename into it, and the parent of a leaf
//     this process makes or first finds.
//     Local file systems need it for the name to survive a crash. On NFS
//     metadata operations are synchronous on the server (with the default
//     sync export), and the fsync is a no-op or a COMMIT; CephFS waits for
//     the MDS journal, Lustre and GPFS for their metadata commit, JuiceFS
//     does nothing (its metadata transactions are already durable). None
//     of them fails it, so it is always done.
//   - Mkdir (the store's directories at Open, then fsyncing every
//     directory on the path up to the root; a leaf before this process's
//     first commit into it).
//     Gateways race to make the same leaf; MkdirAll takes an existing
//     directory, from another gateway or from an NFS retransmission of our
//     own MKDIR, as success.
//   - Remove a file (Remove, temp files) and a directory tree (temp
//     directories). ENOENT, from a concurrent remover or a retransmitted
//     REMOVE, is success. On NFS a file removed while another client reads
//     it makes that reader fail with ESTALE; keeping garbage from being
//     removed under a reader is the caller's business, not the store's.
//   - Read a directory's names (Walk, SweepTmp), and stat the few that may
//     be directories. Entries added or removed during
//     the listing may be missed, and on NFS, whose READDIR cookies are not
//     stable under concurrent changes, seen twice; both callers only
//     remove, idempotently.
//   - Free space of the file system (statfs, vfs.FS.GetDiskUsage), at
//     Create and every MiB written, when a reserve is set (space.go). A
//     file system that cannot tell (or lies, as some network ones do
//     about quotas) still stops a write with its own ENOSPC or EDQUOT.
//   - Stat: size, and mtime for the orphan and temp-file grace periods.
//     The mtime comes from the clock the file system trusts — the file
//     server's on NFS, the writing client's on CephFS, Lustre, GPFS and
//     JuiceFS — not from the gateway reading it, and clocks drift. That is
//     why those graces are an hour, not seconds.
//
// Nothing else: no flock or fcntl locks, no inotify, no hard links, no
// O_DIRECT, no mmap, no sparse files, no extended attributes. Their
// semantics on shared file systems range from different to absent, and
// coordination between gateways lives in the metadata database.
//
// Every one of these goes through a vfs.FS (Pebble's file-system seam, the
// one the metadata store uses too): Open works on the real disk
// (vfs.Default); OpenFS takes any vfs.FS, such as the strict in-memory one
// whose CrashClone keeps only what was synced, as a power cut does, or one
// that injects errors or the NFS rename retransmission.
package blob

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// ErrBadID is returned for an ID that is not 32 lower-case hex characters;
// such an ID never reaches the file system, so it cannot escape the store.
var ErrBadID = errors.New("blob: malformed id")

// ErrBadGatewayID is returned by Open for a gateway ID that cannot name a
// directory safely (see ValidGatewayID).
var ErrBadGatewayID = errors.New("blob: malformed gateway id")

// idLen is the length of an ID: 16 random bytes, hex-encoded.
const idLen = 32

// legacyTmpGrace is how old a loose file directly in tmp/ must be before
// SweepTmp removes it. Such files belong to versions before per-gateway temp
// directories, which may still be running during a rolling upgrade; an hour
// is far longer than any write takes, and covers clock skew (see the package
// doc on mtime).
const legacyTmpGrace = time.Hour

// File is an open blob: vfs.Default's is an *os.File underneath, so reads
// and ReadAt cost what they always did.
type File = vfs.File

// Store is a directory of blobs. Its methods are safe for concurrent use.
type Store struct {
	fs      vfs.FS
	blobs   string
	tmp     string // tmp/, the parent of every gateway's temp directory
	own     string // tmp/<gateway>/, this store's in-flight writes
	gateway string
	// readOnly: opened by OpenReadOnly (readonly.go); Create refuses.
	readOnly bool
	// reserve is the free space object bytes leave alone (space.go).
	reserve int64

	// leafSynced[n] is set once this process has made or found leaf n
	// (xxyy as a number) and fsynced blobs/xx so that it is durably named.
	// A leaf another goroutine or gateway just made may not be, and a blob
	// is only as durable as every directory on its path; checking here
	// costs no system call.
	leafSynced [1 << 16]atomic.Bool
}

// ValidGatewayID reports whether id can name a gateway's temp directory:
// 1 to 64 characters of [A-Za-z0-9._-], and neither "." nor "..".
func ValidGatewayID(id string) bool {
	if len(id) == 0 || len(id) > 64 || id == "." || id == ".." {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Open opens the store in dir on the real disk; see OpenFS.
func Open(dir, gatewayID string) (*Store, error) {
	return OpenFS(vfs.Default, dir, gatewayID)
}

// OpenFS opens the store in dir of fsys for the gateway gatewayID, creating
// dir/blobs and its first-level directories as needed, and empties the
// gateway's temp directory dir/tmp/<gatewayID>/ of what an earlier process
// with the same ID left. Any number of Stores may share dir as long as their
// gateway IDs differ: two with the same ID would delete each other's writes.
func OpenFS(fsys vfs.FS, dir, gatewayID string) (*Store, error) {
	if !ValidGatewayID(gatewayID) {
		return nil, fmt.Errorf("%w: %q", ErrBadGatewayID, gatewayID)
	}
	tmp := filepath.Join(dir, "tmp")
	s := &Store{fs: fsys, blobs: filepath.Join(dir, "blobs"), tmp: tmp, own: filepath.Join(tmp, gatewayID), gateway: gatewayID}
	if err := fsys.RemoveAll(s.own); err != nil {
		return nil, fmt.Errorf("blob: empty %s: %w", s.own, err)
	}
	// blobs/ and the path to it must be durably named before any blob
	// relies on them; temp files never need to survive a crash.
	if err := s.mkdirDurable(s.blobs); err != nil {
		return nil, fmt.Errorf("blob: open: %w", err)
	}
	if err := fsys.MkdirAll(s.own, 0o755); err != nil {
		return nil, fmt.Errorf("blob: open: %w", err)
	}
	created := false
	for i := 0; i < 256; i++ {
		d := filepath.Join(s.blobs, fmt.Sprintf("%02x", i))
		if _, err := fsys.Stat(d); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("blob: open: %w", err)
		}
		if err := fsys.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("blob: open: %w", err)
		}
		created = true
	}
	if created {
		if err := s.syncDir(s.blobs); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// mkdirDurable makes dir and its missing parents, then fsyncs every
// directory above dir up to the root, so the whole path survives a crash
// whoever made it (the server makes the data directory without an fsync,
// maybe with parents). That is a handful of fsyncs, once per Open. A
// directory this process may not read was not made by it or recently:
// the walk stops there.
func (s *Store) mkdirDurable(dir string) error {
	if err := s.fs.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for d := dir; ; {
		parent := filepath.Dir(d)
		if parent == d {
			return nil
		}
		if err := s.syncDir(parent); err != nil {
			if errors.Is(err, fs.ErrPermission) {
				return nil
			}
			return err
		}
		d = parent
	}
}

// ValidID reports whether id is a well-formed blob ID.
func ValidID(id string) bool {
	if len(id) != idLen {
		return false
	}
	return isHex(id)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// newID names a new blob; a variable so that a test can crowd many blobs
// into one leaf directory.
var newID = randomID

func randomID() string {
	var b [idLen / 2]byte
	rand.Read(b[:]) // never fails (crypto/rand panics on an unusable source)
	return hex.EncodeToString(b[:])
}

// tmpName names a temp file: 64 random bits.
func tmpName() string {
	var b [8]byte
	rand.Read(b[:])
	return "blob-" + hex.EncodeToString(b[:])
}

// path returns where a valid id is committed: blobs/xx/yy/<id>.
func (s *Store) path(id string) string {
	return filepath.Join(s.blobs, id[0:2], id[2:4], id)
}

// legacyPath returns where versions before the second level committed a
// valid id: blobs/xx/<id>.
func (s *Store) legacyPath(id string) string {
	return filepath.Join(s.blobs, id[0:2], id)
}

// at runs op on the blob's path and, if nothing is there, on its legacy
// path. A blob never moves between the two, so looking in turn is not racy.
// When neither holds the blob the first error is returned.
func (s *Store) at(id string, op func(path string) error) error {
	if !ValidID(id) {
		return fmt.Errorf("%w: %q", ErrBadID, id)
	}
	err := op(s.path(id))
	if errors.Is(err, fs.ErrNotExist) {
		if lerr := op(s.legacyPath(id)); !errors.Is(lerr, fs.ErrNotExist) {
			return lerr
		}
	}
	return err
}

// Create starts a new blob in a temp file. The caller must end the Writer
// with exactly one of Commit or Abort; `defer w.Abort()` right after Create
// is the idiom, since Abort after Commit does nothing.
func (s *Store) Create() (*Writer, error) {
	if s.readOnly {
		return nil, ErrReadOnly
	}
	if err := s.CheckSpace(); err != nil {
		return nil, err
	}
	name := filepath.Join(s.own, tmpName())
	f, err := s.fs.Create(name, vfs.WriteCategoryUnspecified)
	if errors.Is(err, fs.ErrNotExist) {
		// A leader that took this gateway for gone swept its temp
		// directory; this gateway is alive, so take it back.
		if err := s.fs.MkdirAll(s.own, 0o755); err != nil {
			return nil, fmt.Errorf("blob: create: %w", err)
		}
		f, err = s.fs.Create(name, vfs.WriteCategoryUnspecified)
	}
	if err != nil {
		return nil, fmt.Errorf("blob: create: %w", err)
	}
	return &Writer{s: s, f: f, name: name}, nil
}

// Open opens the blob for reading; the caller must close the file.
// A missing blob yields an error satisfying errors.Is(err, fs.ErrNotExist).
func (s *Store) Open(id string) (File, error) {
	var f File
	err := s.at(id, func(p string) (err error) {
		f, err = s.fs.Open(p)
		return err
	})
	if errors.Is(err, ErrBadID) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("blob: open: %w", err)
	}
	return f, nil
}

// stat returns the blob's file information.
func (s *Store) stat(id string) (fs.FileInfo, error) {
	var fi fs.FileInfo
	err := s.at(id, func(p string) (err error) {
		fi, err = s.fs.Stat(p)
		return err
	})
	return fi, err
}

// Size returns the blob's length in bytes.
func (s *Store) Size(id string) (int64, error) {
	fi, err := s.stat(id)
	if errors.Is(err, ErrBadID) {
		return 0, err
	}
	if err != nil {
		return 0, fmt.Errorf("blob: size: %w", err)
	}
	return fi.Size(), nil
}

// ModTime is when the blob was written, by the file system's clock (see
// the package doc). A missing blob's error satisfies
// errors.Is(err, fs.ErrNotExist).
func (s *Store) ModTime(id string) (time.Time, error) {
	fi, err := s.stat(id)
	if errors.Is(err, ErrBadID) {
		return time.Time{}, err
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("blob: mod time: %w", err)
	}
	return fi.ModTime(), nil
}

// Remove deletes the blob; removing a missing blob is not an error, so a
// collector can retry after a crash. The directory is not fsynced: a removal
// lost in a crash only leaves an orphan to remove again.
func (s *Store) Remove(id string) error {
	err := s.at(id, s.fs.Remove)
	switch {
	case err == nil, errors.Is(err, fs.ErrNotExist):
		return nil
	case errors.Is(err, ErrBadID):
		return err
	}
	return fmt.Errorf("blob: remove: %w", err)
}

// Walk calls fn with the ID of every committed blob, in either layout and
// in no particular order, stopping at fn's first error, which it returns.
// Blobs committed or removed during the walk may or may not be seen, and on
// file systems whose directory listings are not stable under concurrent
// changes (NFS) one may be seen twice, so fn must be idempotent. Files
// whose names are not IDs, or that are not where their ID belongs, are
// skipped.
func (s *Store) Walk(fn func(id string) error) error {
	if err := s.walk(fn); err != nil {
		return fmt.Errorf("blob: walk: %w", err)
	}
	return nil
}

// walk lists blobs/xx/ for legacy blobs and blobs/xx/yy/ for the rest.
// Names say what an entry is (a blob ID or a two-digit directory), so
// only the few two-digit names are statted, to skip a stray file.
func (s *Store) walk(fn func(id string) error) error {
	tops, err := s.subdirs(s.blobs)
	if err != nil {
		return err
	}
	for _, xx := range tops {
		top := filepath.Join(s.blobs, xx)
		names, err := s.list(top)
		if err != nil {
			return err
		}
		for _, name := range names {
			if ValidID(name) && name[0:2] == xx {
				if err := fn(name); err != nil {
					return err
				}
			}
		}
		leaves, err := s.subdirs(top)
		if err != nil {
			return err
		}
		for _, yy := range leaves {
			ids, err := s.list(filepath.Join(top, yy))
			if err != nil {
				return err
			}
			for _, id := range ids {
				if ValidID(id) && id[0:2] == xx && id[2:4] == yy {
					if err := fn(id); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// list returns dir's names; a directory removed under us is empty.
func (s *Store) list(dir string) ([]string, error) {
	names, err := s.fs.List(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return names, err
}

// subdirs returns the names of dir's two-hex-digit subdirectories.
func (s *Store) subdirs(dir string) ([]string, error) {
	names, err := s.list(dir)
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, name := range names {
		if len(name) != 2 || !isHex(name) {
			continue
		}
		fi, err := s.fs.Stat(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if fi.IsDir() {
			dirs = append(dirs, name)
		}
	}
	return dirs, nil
}

// SweepTmp removes the temp directories of gateways for which live reports
// false, and loose temp files of older versions once they are an hour old;
// it returns how many it removed. The store's own temp directory is never
// touched, and neither is a directory whose name is no gateway ID. live
// must report false only for gateways that can no longer write (the
// cluster leader knows them): a swept gateway that is in fact alive loses
// its writes in flight, though its later writes work again. Removal goes
// on past errors, which are joined.
func (s *Store) SweepTmp(live func(gatewayID string) bool) (removed int, err error) {
	names, err := s.fs.List(s.tmp)
	if err != nil {
		return 0, fmt.Errorf("blob: sweep tmp: %w", err)
	}
	var errs []error
	for _, name := range names {
		path := filepath.Join(s.tmp, name)
		fi, err := s.fs.Stat(path)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		if fi.IsDir() {
			if name == s.gateway || !ValidGatewayID(name) || live(name) {
				continue
			}
			if err := s.fs.RemoveAll(path); err != nil {
				errs = append(errs, err)
				continue
			}
			removed++
			continue
		}
		if time.Since(fi.ModTime()) < legacyTmpGrace {
			continue
		}
		if err := s.fs.Remove(path); err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		removed++
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("blob: sweep tmp: %w", err)
	}
	return removed, nil
}

// Writer writes one new blob. It is not safe for concurrent use.
type Writer struct {
	s       *Store
	f       vfs.File // nil once committed or aborted
	name    string   // the temp file's path
	written int64
	// unchecked counts the bytes written since the free space was last
	// compared with the reserve.
	unchecked int64
}

// Write appends p to the blob. p is not modified: the FSs a Store runs on
// (the real disk, the in-memory ones of tests) write it as it is.
func (w *Writer) Write(p []byte) (int, error) {
	if w.f == nil {
		return 0, errors.New("blob: write after commit or abort")
	}
	if w.unchecked += int64(len(p)); w.unchecked >= reserveCheckBytes {
		w.unchecked = 0
		if err := w.s.CheckSpace(); err != nil {
			return 0, err
		}
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
	f, tmpName := w.f, w.name
	w.f = nil
	fail := func(err error) (string, error) {
		w.s.fs.Remove(tmpName)
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
	if err := w.s.place(tmpName, id, w.written); err != nil {
		return fail(err)
	}
	if err := w.s.syncPath(id); err != nil {
		// The blob is in place but its name may not survive a crash; the
		// caller must not record it, so take it back out.
		w.s.fs.Remove(w.s.path(id))
		return "", fmt.Errorf("blob: commit: %w", err)
	}
	return id, nil
}

// place renames the temp file to id's path, first making the leaf
// directory if this process has not made or found it yet. Leaves are never
// removed, so one that was there stays, and asking once per leaf per
// process costs a stat; renaming first and making the leaf on ENOENT would
// rely on a failed rename leaving its source alone, which some vfs.FS
// implementations (MemFS) do not.
func (s *Store) place(tmpName, id string, size int64) error {
	if !s.leafSynced[leafIndex(id)].Load() {
		if err := s.makeLeaf(id); err != nil {
			return err
		}
	}
	return s.renameOnce(tmpName, s.path(id), size)
}

// renameOnce renames tmpName to final. An ENOENT after which the source is
// gone and final holds size bytes is the NFS client retransmitting a
// RENAME the server had already applied: success. final is named by a
// fresh random ID, so nothing else can be there.
func (s *Store) renameOnce(tmpName, final string, size int64) error {
	err := s.fs.Rename(tmpName, final)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if _, serr := s.fs.Stat(tmpName); !errors.Is(serr, fs.ErrNotExist) {
		return err
	}
	if fi, serr := s.fs.Stat(final); serr == nil && fi.Mode().IsRegular() && fi.Size() == size {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrTmpSwept, err)
}

// ErrTmpSwept is a commit whose temporary file was removed while it was
// being written: a leader took this gateway for dead (no heartbeat within
// the TTL) and swept its temporary directory. Nothing was stored; the
// write can be retried.
var ErrTmpSwept = errors.New("blob: the temporary file was swept while being written (this gateway was presumed dead)")

// makeLeaf makes id's leaf directory, which another goroutine or gateway
// may be making too, and fsyncs its parent so the leaf's name is durable
// before any blob depends on it: a leaf another gateway just made may not
// be, so this is done once per process per leaf even when it exists.
func (s *Store) makeLeaf(id string) error {
	leaf := filepath.Dir(s.path(id))
	if err := s.fs.MkdirAll(leaf, 0o755); err != nil {
		return err
	}
	if err := s.syncDir(filepath.Dir(leaf)); err != nil {
		return err
	}
	s.leafSynced[leafIndex(id)].Store(true)
	return nil
}

// syncPath makes id's name durable: place has made its leaf's name durable
// already, so fsyncing the leaf is enough.
func (s *Store) syncPath(id string) error {
	return s.syncDir(filepath.Dir(s.path(id)))
}

// leafIndex numbers a valid id's leaf directory: its first four hex digits.
func leafIndex(id string) int {
	n, _ := strconv.ParseUint(id[:4], 16, 16) // valid ids are hex
	return int(n)
}

// Abort discards the blob. It is a no-op after Commit or a previous Abort.
func (w *Writer) Abort() {
	if w.f == nil {
		return
	}
	w.f.Close()
	w.s.fs.Remove(w.name)
	w.f = nil
}

func (s *Store) syncDir(dir string) error {
	d, err := s.fs.OpenDir(dir)
	if err != nil {
		return fmt.Errorf("blob: sync dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("blob: sync dir %s: %w", dir, err)
	}
	return nil
}
