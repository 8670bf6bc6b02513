package engine

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// lostAnswer is a store whose writes commit but whose answers are lost,
// as when the database's connection breaks during COMMIT.
type lostAnswer struct{ meta.Store }

func (s lostAnswer) PutObject(ctx context.Context, obj meta.Object, check meta.CheckFunc) (meta.Object, []string, error) {
	if _, _, err := s.Store.PutObject(ctx, obj, check); err != nil {
		return meta.Object{}, nil, err
	}
	return meta.Object{}, nil, fmt.Errorf("test: commit: %w", meta.ErrUnavailable)
}

func (s lostAnswer) PutPart(ctx context.Context, bucket, key string, p meta.Part) ([]string, error) {
	if _, err := s.Store.PutPart(ctx, bucket, key, p); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("test: commit: %w", meta.ErrUnavailable)
}

// TestUnknownOutcome: a write whose commit outcome is unknown is answered
// 503 ServiceUnavailable, and its bytes stay, so that if it did commit the
// object (or part) reads back whole rather than without its blob.
func TestUnknownOutcome(t *testing.T) {
	_, blobs, store := openDiskStores(t)
	ctx := context.Background()
	if err := New(store, blobs, Options{}).CreateBucket(ctx, Owner{ID: "o"}, "bkt", "", false, nil); err != nil {
		t.Fatal(err)
	}
	e := New(lostAnswer{store}, blobs, Options{MinPartSize: 1})

	_, err := e.PutObject(ctx, PutInput{Bucket: "bkt", Key: "k", Body: BodyInput{Body: strings.NewReader("object"), Size: 6}})
	if u, ok := Unavailable(err); !ok || u.Code != s3err.ServiceUnavailable || u.Status() != 503 {
		t.Fatalf("PutObject with its answer lost: %v, want 503 ServiceUnavailable", err)
	}
	out, err := e.GetObject(ctx, GetInput{Bucket: "bkt", Key: "k"})
	if err != nil {
		t.Fatalf("GetObject of the committed object: %v", err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil || string(got) != "object" {
		t.Fatalf("GetObject = %q, %v; want the whole object", got, err)
	}

	u, err := e.CreateMultipartUpload(ctx, CreateUploadInput{Bucket: "bkt", Key: "m"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.UploadPart(ctx, UploadPartInput{Bucket: "bkt", Key: "m", UploadID: u.ID, PartNumber: 1,
		Body: BodyInput{Body: strings.NewReader("part"), Size: 4}})
	if _, ok := Unavailable(err); !ok {
		t.Fatalf("UploadPart with its answer lost: %v, want 503 ServiceUnavailable", err)
	}
	parts, err := store.ListParts(ctx, u.ID, 0, 10)
	if err != nil || len(parts) != 1 {
		t.Fatalf("ListParts: %v, %v", parts, err)
	}
	if _, err := blobs.Size(parts[0].BlobID); err != nil {
		t.Errorf("the committed part's blob is gone: %v", err)
	}
}
