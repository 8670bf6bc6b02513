package engine_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/tessera-s3/tessera/internal/blob"
	"github.com/tessera-s3/tessera/internal/engine"
	pebblestore "github.com/tessera-s3/tessera/internal/meta/pebble"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// tmpfsSize is the size-limited file system's size: Pebble's files, a few
// objects and the reserve.
const tmpfsSize = 24 << 20

// mountTmpfs mounts a tmpfs of size bytes on a fresh directory, unmounted
// when the test ends. It needs root (CAP_SYS_ADMIN), which the
// development machines and CI have; without it the test fails rather than
// pretend.
func mountTmpfs(t *testing.T, size int64) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tessera-test", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, fmt.Sprintf("size=%d", size)); err != nil {
		t.Fatalf("mounting a %d-byte tmpfs on %s (needs root): %v", size, dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// TestNoSpaceTmpfs fills a real, size-limited file system (a 24 MiB tmpfs
// holding both the blobs and Pebble): writes stop at the reserve with
// ENOSPC (503 at the edge) and leave nothing behind; without a reserve a
// body larger than the disk fails with the file system's own ENOSPC and
// leaves nothing behind either; reads go on throughout; deletes go on
// inside the reserve, and once garbage collection has freed their space
// writes resume.
func TestNoSpaceTmpfs(t *testing.T) {
	ctx := context.Background()
	dir := mountTmpfs(t, tmpfsSize)
	bs, err := blob.Open(dir, "gw")
	if err != nil {
		t.Fatal(err)
	}
	const reserve = 4 << 20
	bs.SetReserve(reserve)
	st, err := pebblestore.Open(filepath.Join(dir, "meta"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := &nsStores{meta: st, blobs: bs, e: engine.New(st, bs, engine.Options{Logger: slog.New(slog.DiscardHandler)})}
	if err := s.e.CreateBucket(ctx, engine.Owner{ID: "o"}, "bkt", "", false, nil); err != nil {
		t.Fatal(err)
	}
	mib := func() []byte {
		b := make([]byte, 1<<20)
		rand.Read(b)
		return b
	}
	put := func(key string, b []byte) error {
		_, err := s.e.PutObject(ctx, engine.PutInput{Bucket: "bkt", Key: key, Body: bodyIn(b)})
		return err
	}
	keep := mib()
	if err := put("keep", keep); err != nil {
		t.Fatal(err)
	}
	checkKeep := func() {
		t.Helper()
		out, err := s.e.GetObject(ctx, engine.GetInput{Bucket: "bkt", Key: "keep"})
		if err != nil {
			t.Fatalf("read while full: %v", err)
		}
		defer out.Body.Close()
		got, err := io.ReadAll(out.Body)
		if err != nil || !bytes.Equal(got, keep) {
			t.Fatalf("read while full: %d bytes, err %v", len(got), err)
		}
	}

	// Fill to the reserve.
	var filled int
	for ; filled < 2*tmpfsSize>>20; filled++ {
		if err = put(fmt.Sprintf("fill-%d", filled), mib()); err != nil {
			break
		}
	}
	if !errors.Is(err, blob.ErrNoSpace) {
		t.Fatalf("after %d MiB: err = %v, want the reserve's ENOSPC", filled, err)
	}
	if e, ok := s3err.NoSpace(err); !ok || e.Status() != 503 {
		t.Fatalf("a full disk is answered %v", e)
	}
	t.Logf("%d objects of 1 MiB fit before the %d MiB reserve of a %d MiB tmpfs", filled, reserve>>20, tmpfsSize>>20)
	checkKeep()
	s.clean(t)

	// No reserve: the file system itself runs out mid-body.
	bs.SetReserve(0)
	big := bytes.Repeat(keep, 2*tmpfsSize>>20)
	err = put("big", big)
	if !errors.Is(err, syscall.ENOSPC) || errors.Is(err, blob.ErrNoSpace) {
		t.Fatalf("a body larger than the disk: err = %v, want the file system's ENOSPC", err)
	}
	if _, ok := s3err.NoSpace(err); !ok {
		t.Fatalf("the file system's ENOSPC is not answered as a full disk: %v", err)
	}
	bs.SetReserve(reserve)
	checkKeep()
	s.clean(t)

	// Deletes work inside the reserve; collecting their garbage frees
	// room and writes resume.
	for i := 0; i < filled; i++ {
		if _, err := s.e.DeleteObject(ctx, engine.DeleteInput{Bucket: "bkt", Key: fmt.Sprintf("fill-%d", i)}); err != nil {
			t.Fatalf("delete while full: %v", err)
		}
	}
	s.clean(t)
	for i := 0; i < filled; i++ {
		if err := put(fmt.Sprintf("again-%d", i), mib()); err != nil {
			t.Fatalf("write %d after space was freed: %v", i, err)
		}
	}
	checkKeep()
	s.clean(t)
}
