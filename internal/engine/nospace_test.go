package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"github.com/tessera-s3/tessera/internal/blob"
	"github.com/tessera-s3/tessera/internal/engine"
	"github.com/tessera-s3/tessera/internal/fsck"
	pebblestore "github.com/tessera-s3/tessera/internal/meta/pebble"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// fault is an errorfs injector: while armed it fails file operations of
// one kind under one directory with errno, after letting skip of them pass
// (skip 1 on writes: the body's first 256 KiB reach the temp file, the
// rest does not).
type fault struct {
	kind  errorfs.OpKind
	under string
	skip  int64
	errno syscall.Errno

	armed atomic.Bool
	seen  atomic.Int64
}

func (f *fault) String() string { return fmt.Sprintf("%d under %s: %v", f.kind, f.under, f.errno) }

func (f *fault) MaybeError(op errorfs.Op) error {
	if !f.armed.Load() || op.Kind != f.kind || !strings.HasPrefix(op.Path, f.under) {
		return nil
	}
	if f.seen.Add(1) <= f.skip {
		return nil
	}
	return fmt.Errorf("injected: %s: %w", op.Path, f.errno)
}

const (
	nsDir     = "/data"
	nsTmp     = nsDir + "/tmp/"
	nsBlobs   = nsDir + "/blobs/"
	nsReserve = 8 << 20
	nsBody    = 1 << 20 // four 256 KiB writes into the temp file
)

// nsStores is an engine on a MemFS wrapped in a fault; Pebble shares the
// file system (its files are under meta/, where no fault reaches: a
// failed WAL write stops Pebble for good, which is what the reserve is
// there to prevent, see blob.SetReserve).
type nsStores struct {
	mem   *vfs.MemFS
	f     *fault
	meta  *pebblestore.Store
	blobs *blob.Store
	e     *engine.Engine
}

func openNoSpace(t *testing.T, f *fault) *nsStores {
	t.Helper()
	mem := vfs.NewMem()
	fsys := errorfs.Wrap(mem, f)
	if err := fsys.MkdirAll(nsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	bs, err := blob.OpenFS(fsys, nsDir, "gw")
	if err != nil {
		t.Fatal(err)
	}
	bs.SetReserve(nsReserve)
	st, err := pebblestore.Open(nsDir+"/meta", pebblestore.WithFS(fsys))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := engine.New(st, bs, engine.Options{MinPartSize: 1, Logger: slog.New(slog.DiscardHandler)})
	return &nsStores{mem: mem, f: f, meta: st, blobs: bs, e: e}
}

// fill reports the file system as having less free space than the
// reserve (full: true) or as not knowing its free space (false).
func (s *nsStores) fill(full bool) {
	if full {
		s.mem.TestingSetDiskUsage(vfs.DiskUsage{AvailBytes: nsReserve / 2, TotalBytes: 1 << 30, UsedBytes: 1<<30 - nsReserve/2})
		return
	}
	s.mem.TestingSetDiskUsage(vfs.DiskUsage{})
}

func body(b byte) []byte { return bytes.Repeat([]byte{b, b + 1, b + 2, '\n'}, nsBody/4) }

func bodyIn(b []byte) engine.BodyInput {
	return engine.BodyInput{Body: bytes.NewReader(b), Size: int64(len(b))}
}

// nsWrite is one kind of write, run against a bucket holding key "k"
// (old bytes), key "src" (new bytes) and an upload of "k" whose part 1
// holds old bytes and part 2 new bytes.
type nsWrite struct {
	name string
	// blobless: the write stores no bytes of its own, so only the
	// reserve can stop it.
	blobless bool
	run      func(ctx context.Context, s *nsStores, uploadID string) error
	// after reads what the write changes: "k"'s bytes, or part 1's ETag.
	part bool
}

var nsWrites = []nsWrite{
	{name: "PutObject", run: func(ctx context.Context, s *nsStores, _ string) error {
		_, err := s.e.PutObject(ctx, engine.PutInput{Bucket: "bkt", Key: "k", Body: bodyIn(body('n'))})
		return err
	}},
	{name: "CopyObject", run: func(ctx context.Context, s *nsStores, _ string) error {
		_, err := s.e.CopyObject(ctx, engine.CopyInput{SrcBucket: "bkt", SrcKey: "src", Bucket: "bkt", Key: "k"})
		return err
	}},
	{name: "UploadPart", part: true, run: func(ctx context.Context, s *nsStores, id string) error {
		_, err := s.e.UploadPart(ctx, engine.UploadPartInput{Bucket: "bkt", Key: "k", UploadID: id, PartNumber: 1, Body: bodyIn(body('n'))})
		return err
	}},
	{name: "UploadPartCopy", part: true, run: func(ctx context.Context, s *nsStores, id string) error {
		_, err := s.e.UploadPartCopy(ctx, engine.UploadPartCopyInput{Bucket: "bkt", Key: "k", UploadID: id, PartNumber: 1, SrcBucket: "bkt", SrcKey: "src"})
		return err
	}},
	{name: "CompleteMultipartUpload", blobless: true, run: func(ctx context.Context, s *nsStores, id string) error {
		parts, err := s.e.ListParts(ctx, engine.ListPartsInput{Bucket: "bkt", Key: "k", UploadID: id, MaxParts: 10})
		if err != nil {
			return err
		}
		var in []engine.CompletePart
		for _, p := range parts.Parts[1:] { // part 2: the new bytes
			in = append(in, engine.CompletePart{Number: p.Number, ETag: p.ETag})
		}
		_, err = s.e.CompleteMultipartUpload(ctx, engine.CompleteInput{Bucket: "bkt", Key: "k", UploadID: id, Parts: in, ObjectSize: -1})
		return err
	}},
	{name: "CreateMultipartUpload", blobless: true, run: func(ctx context.Context, s *nsStores, _ string) error {
		_, err := s.e.CreateMultipartUpload(ctx, engine.CreateUploadInput{Bucket: "bkt", Key: "k2"})
		return err
	}},
}

// nsFault is where the disk fails. reserve: the file system reports less
// free space than the reserve (nothing fails on its own; the blob store
// and the engine refuse first).
type nsFault struct {
	name    string
	kind    errorfs.OpKind
	under   string
	skip    int64
	errno   syscall.Errno
	reserve bool
}

var nsFaults = []nsFault{
	{name: "reserve reached", reserve: true, errno: syscall.ENOSPC},
	{name: "ENOSPC creating the temp file", kind: errorfs.OpCreate, under: nsTmp, errno: syscall.ENOSPC},
	{name: "ENOSPC mid-body", kind: errorfs.OpFileWrite, under: nsTmp, skip: 1, errno: syscall.ENOSPC},
	{name: "EDQUOT mid-body", kind: errorfs.OpFileWrite, under: nsTmp, skip: 1, errno: syscall.EDQUOT},
	{name: "EIO mid-body", kind: errorfs.OpFileWrite, under: nsTmp, skip: 1, errno: syscall.EIO},
	// ext4 with delayed allocation, XFS and NFS may report a full disk
	// only at fsync.
	{name: "ENOSPC at fsync", kind: errorfs.OpFileSync, under: nsTmp, errno: syscall.ENOSPC},
	{name: "EIO at fsync", kind: errorfs.OpFileSync, under: nsTmp, errno: syscall.EIO},
	// A rename may need a new directory block.
	{name: "ENOSPC at rename", kind: errorfs.OpRename, under: nsTmp, errno: syscall.ENOSPC},
	{name: "ENOSPC making the leaf directory", kind: errorfs.OpMkdirAll, under: nsBlobs, errno: syscall.ENOSPC},
	{name: "EIO at the directory fsync", kind: errorfs.OpFileSync, under: nsBlobs, errno: syscall.EIO},
}

// TestNoSpace fails every kind of write at every point where a disk can
// fill or fail and checks: the error is the one the edge answers (503
// ServiceUnavailable for a full disk, 500 InternalError for EIO); what the
// write would have replaced still reads back; no blob or temp file is
// left (fsck, with every unreferenced blob old enough to be an orphan);
// and once the fault is lifted the same write succeeds.
func TestNoSpace(t *testing.T) {
	for _, w := range nsWrites {
		for _, fl := range nsFaults {
			if w.blobless && !fl.reserve {
				continue // it writes no file of its own to fail
			}
			t.Run(w.name+"/"+fl.name, func(t *testing.T) { noSpace(t, w, fl) })
		}
	}
}

func noSpace(t *testing.T, w nsWrite, fl nsFault) {
	ctx := context.Background()
	s := openNoSpace(t, &fault{kind: fl.kind, under: fl.under, skip: fl.skip, errno: fl.errno})
	if err := s.e.CreateBucket(ctx, engine.Owner{ID: "o"}, "bkt", "", false, nil); err != nil {
		t.Fatal(err)
	}
	put := func(key string, b []byte) {
		if _, err := s.e.PutObject(ctx, engine.PutInput{Bucket: "bkt", Key: key, Body: bodyIn(b)}); err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
	}
	put("k", body('o'))
	put("src", body('n'))
	u, err := s.e.CreateMultipartUpload(ctx, engine.CreateUploadInput{Bucket: "bkt", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range [][]byte{body('o'), body('n')} {
		if _, err := s.e.UploadPart(ctx, engine.UploadPartInput{Bucket: "bkt", Key: "k", UploadID: u.ID, PartNumber: i + 1, Body: bodyIn(b)}); err != nil {
			t.Fatal(err)
		}
	}
	before := s.state(t, u.ID, w.part)

	if fl.reserve {
		s.fill(true)
	} else {
		s.f.armed.Store(true)
	}
	err = w.run(ctx, s, u.ID)
	s.f.armed.Store(false)
	s.fill(false)
	if !errors.Is(err, fl.errno) {
		t.Fatalf("err = %v, want %v", err, fl.errno)
	}
	full, isFull := s3err.NoSpace(err)
	if wantFull := fl.errno != syscall.EIO; isFull != wantFull {
		t.Fatalf("s3err.NoSpace(%v) = %v, want %v", err, isFull, wantFull)
	}
	if isFull && (full.Status() != 503 || full.Code != s3err.ServiceUnavailable) {
		t.Fatalf("full disk answered %d %s", full.Status(), full.Code)
	}
	if got := s.state(t, u.ID, w.part); got != before {
		t.Fatalf("after the failed write: %s, want %s as before", got, before)
	}
	s.clean(t)

	if err := w.run(ctx, s, u.ID); err != nil {
		t.Fatalf("with space again: %v", err)
	}
	if got := s.state(t, u.ID, w.part); got == before && w.name != "CreateMultipartUpload" {
		t.Fatalf("after the write succeeded: still %s", got)
	}
	s.clean(t)
}

// state is what a write may change: "k"'s bytes (hashed) or part 1's ETag.
func (s *nsStores) state(t *testing.T, uploadID string, part bool) string {
	t.Helper()
	ctx := context.Background()
	if part {
		parts, err := s.e.ListParts(ctx, engine.ListPartsInput{Bucket: "bkt", Key: "k", UploadID: uploadID, MaxParts: 10})
		if err != nil {
			t.Fatal(err)
		}
		return "part 1 " + parts.Parts[0].ETag
	}
	out, err := s.e.GetObject(ctx, engine.GetInput{Bucket: "bkt", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != out.Object.Size {
		t.Fatalf("read %d bytes of %d", len(b), out.Object.Size)
	}
	return fmt.Sprintf("k %s %q…", out.Object.ETag, b[:4])
}

// clean collects garbage and checks, with fsck, that every blob is
// referenced (counting every unreferenced one as an orphan, however
// young) and that no temp file is left.
func (s *nsStores) clean(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if err := s.e.CollectGarbage(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := fsck.Check(ctx, s.meta, s.blobs, fsck.Options{Deep: true, Now: func() time.Time { return time.Now().Add(2 * engine.OrphanGrace) }})
	if err != nil {
		t.Fatal(err)
	}
	var temps int
	if err := s.blobs.TempFiles(func(blob.TempFile) error { temps++; return nil }); err != nil {
		t.Fatal(err)
	}
	if rep.Problems() != 0 || temps != 0 {
		var b strings.Builder
		rep.WriteText(&b)
		t.Fatalf("%d temp files left; fsck:\n%s", temps, b.String())
	}
}
