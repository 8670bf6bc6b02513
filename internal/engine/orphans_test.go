package engine

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/internal/meta"
)

// TestSweepOrphans: an old blob no metadata refers to (a crash between the
// blob's commit and the metadata commit) is removed; blobs of objects and
// in-progress parts, and young unreferenced blobs, are kept.
func TestSweepOrphans(t *testing.T) {
	dir, blobs, store := openDiskStores(t)
	e := New(store, blobs, Options{})
	ctx := context.Background()
	write := func(data string) string {
		w, err := blobs.Create()
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(w, strings.NewReader(data))
		id, err := w.Commit()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	age := func(id string) {
		old := time.Now().Add(-2 * OrphanGrace)
		if err := os.Chtimes(filepath.Join(dir, "blobs", id[:2], id[2:4], id), old, old); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.CreateBucket(ctx, Owner{ID: "o"}, "bkt", "", false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.PutObject(ctx, PutInput{Bucket: "bkt", Key: "k", Body: BodyInput{Body: strings.NewReader("object"), Size: 6}}); err != nil {
		t.Fatal(err)
	}
	u, err := e.CreateMultipartUpload(ctx, CreateUploadInput{Bucket: "bkt", Key: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.UploadPart(ctx, UploadPartInput{Bucket: "bkt", Key: "m", UploadID: u.ID, PartNumber: 1, Body: BodyInput{Body: strings.NewReader("part"), Size: 4}}); err != nil {
		t.Fatal(err)
	}
	orphan, young := write("orphan"), write("young")
	var all []string
	blobs.Walk(func(id string) error { all = append(all, id); return nil })
	for _, id := range all {
		if id != young {
			age(id)
		}
	}
	n, err := e.SweepOrphans(ctx, OrphanGrace)
	if err != nil || n != 1 {
		t.Fatalf("SweepOrphans = %d, %v; want 1 removed", n, err)
	}
	if _, err := blobs.ModTime(orphan); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("orphan still there: %v", err)
	}
	if _, err := blobs.ModTime(young); err != nil {
		t.Fatalf("young unreferenced blob removed: %v", err)
	}
	obj, err := e.GetObject(ctx, GetInput{Bucket: "bkt", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(obj.Body)
	obj.Body.Close()
	if err != nil || string(got) != "object" {
		t.Fatalf("object after sweep: %q %v", got, err)
	}
	parts, err := store.ListParts(ctx, u.ID, 0, 10)
	if err != nil || len(parts) != 1 {
		t.Fatalf("parts: %v %v", parts, err)
	}
	if _, err := blobs.ModTime(parts[0].BlobID); err != nil {
		t.Fatalf("part blob removed: %v", err)
	}
	var _ meta.Store = store
}
