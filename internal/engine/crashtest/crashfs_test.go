package crashtest

import (
	"io"
	"os"
	"sync"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// crashFS counts the mutations made through it (creating, writing,
// syncing, renaming, removing, making directories) and, right after the
// crashAt-th, takes the crash clone of the memory file system beneath:
// exactly what was synced, what a power cut at that moment is sure to
// leave. Mutations are serialised so that none slips in between the
// crashAt-th and the clone. Later mutations still go to the live file
// system, which is thrown away, so the operation in flight finishes
// (unacknowledged: it returned after the power was cut).
//
// The clone keeps no unsynced data (vfs.CrashCloneCfg's zero value). A
// share of unsynced blocks and directory entries kept at random would
// model a disk that wrote some of its cache, but MemFS draws them in map
// order, so a failing seed would not replay, and it keeps directory
// entries independently, a reordering journaling file systems (ext4, XFS)
// never make and that Pebble's MANIFEST marker does not survive (a kept
// marker naming a dropped MANIFEST).
type crashFS struct {
	vfs.FS
	mem *vfs.MemFS

	mu      sync.Mutex
	n       int64      // mutations so far
	crashAt int64      // 0: never
	clone   *vfs.MemFS // set at the crash
}

func newCrashFS(mem *vfs.MemFS, crashAt int64) *crashFS {
	return &crashFS{FS: mem, mem: mem, crashAt: crashAt}
}

// mutate runs one mutation and crashes after it if it is the crashAt-th.
func (c *crashFS) mutate(op func() error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	err := op()
	c.n++
	if c.n == c.crashAt {
		c.clone = c.mem.CrashClone(vfs.CrashCloneCfg{})
	}
	return err
}

// crashed reports whether the power is off; it returns the crash clone.
func (c *crashFS) crashed() *vfs.MemFS {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.clone
}

// mutations returns how many mutations were made so far.
func (c *crashFS) mutations() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func (c *crashFS) Unwrap() vfs.FS { return c.FS }

func (c *crashFS) Create(name string, cat vfs.DiskWriteCategory) (f vfs.File, err error) {
	err = c.mutate(func() error { f, err = c.FS.Create(name, cat); return err })
	return c.wrap(f), err
}

func (c *crashFS) Open(name string, opts ...vfs.OpenOption) (vfs.File, error) {
	f, err := c.FS.Open(name, opts...)
	return c.wrap(f), err
}

func (c *crashFS) OpenDir(name string) (vfs.File, error) {
	f, err := c.FS.OpenDir(name)
	return c.wrap(f), err
}

func (c *crashFS) OpenReadWrite(name string, cat vfs.DiskWriteCategory, opts ...vfs.OpenOption) (f vfs.File, err error) {
	err = c.mutate(func() error { f, err = c.FS.OpenReadWrite(name, cat, opts...); return err })
	return c.wrap(f), err
}

func (c *crashFS) ReuseForWrite(oldname, newname string, cat vfs.DiskWriteCategory) (f vfs.File, err error) {
	err = c.mutate(func() error { f, err = c.FS.ReuseForWrite(oldname, newname, cat); return err })
	return c.wrap(f), err
}

func (c *crashFS) Link(oldname, newname string) error {
	return c.mutate(func() error { return c.FS.Link(oldname, newname) })
}

func (c *crashFS) Remove(name string) error {
	return c.mutate(func() error { return c.FS.Remove(name) })
}

func (c *crashFS) RemoveAll(name string) error {
	return c.mutate(func() error { return c.FS.RemoveAll(name) })
}

func (c *crashFS) Rename(oldname, newname string) error {
	return c.mutate(func() error { return c.FS.Rename(oldname, newname) })
}

func (c *crashFS) MkdirAll(dir string, perm os.FileMode) error {
	return c.mutate(func() error { return c.FS.MkdirAll(dir, perm) })
}

func (c *crashFS) Lock(name string) (l io.Closer, err error) {
	err = c.mutate(func() error { l, err = c.FS.Lock(name); return err })
	return l, err
}

func (c *crashFS) wrap(f vfs.File) vfs.File {
	if f == nil {
		return nil
	}
	return &crashFile{File: f, fs: c}
}

// crashFile counts a file's writes and syncs.
type crashFile struct {
	vfs.File
	fs *crashFS
}

func (f *crashFile) Write(p []byte) (n int, err error) {
	err = f.fs.mutate(func() error { n, err = f.File.Write(p); return err })
	return n, err
}

func (f *crashFile) WriteAt(p []byte, off int64) (n int, err error) {
	err = f.fs.mutate(func() error { n, err = f.File.WriteAt(p, off); return err })
	return n, err
}

func (f *crashFile) Preallocate(off, length int64) error {
	return f.fs.mutate(func() error { return f.File.Preallocate(off, length) })
}

func (f *crashFile) Sync() error {
	return f.fs.mutate(f.File.Sync)
}

func (f *crashFile) SyncData() error {
	return f.fs.mutate(f.File.SyncData)
}

func (f *crashFile) SyncTo(length int64) (full bool, err error) {
	err = f.fs.mutate(func() error { full, err = f.File.SyncTo(length); return err })
	return full, err
}
