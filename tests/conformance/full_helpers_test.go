package conformance

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// Helpers for full disks and I/O errors: the server's blob store runs on
// the real disk seen through diskFS, which can report itself full (below
// the server's reserve) or fail writes into the temp directory with an
// errno, as a file system at its quota or a failing device does.

// diskFS is the real disk with a switch for "no space left" and one for
// failing temp-file writes.
type diskFS struct {
	vfs.FS
	full  atomic.Bool
	fault *writeFault
}

// writeFault is an errorfs injector failing every write into a temp file
// with errno while it is set (0: none).
type writeFault struct{ errno atomic.Uintptr }

func (f *writeFault) String() string { return "temp-file writes fail" }

func (f *writeFault) MaybeError(op errorfs.Op) error {
	errno := syscall.Errno(f.errno.Load())
	if errno == 0 || op.Kind != errorfs.OpFileWrite || !strings.Contains(op.Path, string(filepath.Separator)+"tmp"+string(filepath.Separator)) {
		return nil
	}
	return fmt.Errorf("injected: %s: %w", op.Path, errno)
}

func newDiskFS() *diskFS {
	f := &writeFault{}
	return &diskFS{FS: errorfs.Wrap(vfs.Default, f), fault: f}
}

// GetDiskUsage reports no free space while full is set.
func (d *diskFS) GetDiskUsage(path string) (vfs.DiskUsage, error) {
	if d.full.Load() {
		return vfs.DiskUsage{TotalBytes: 1 << 40, UsedBytes: 1 << 40}, nil
	}
	return d.FS.GetDiskUsage(path)
}

// fullServer starts a server whose blobs live on a diskFS.
func fullServer(t *testing.T) (*tesseratest.Server, *diskFS) {
	t.Helper()
	d := newDiskFS()
	return tesseratest.New(t, tesseratest.WithBlobFS(d), tesseratest.WithMinPartSize(1)), d
}

// wantNoTempFiles checks that no write left a file in the data
// directory's tmp/.
func wantNoTempFiles(t *testing.T, srv *tesseratest.Server) {
	t.Helper()
	err := filepath.WalkDir(filepath.Join(srv.DataDir, "tmp"), func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			t.Errorf("temp file left: %s", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
