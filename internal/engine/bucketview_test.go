package engine

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// countingReads counts the store's single reads of buckets and documents.
type countingReads struct {
	meta.Store
	n atomic.Int64
}

func (s *countingReads) GetBucket(ctx context.Context, name string) (meta.Bucket, error) {
	s.n.Add(1)
	return s.Store.GetBucket(ctx, name)
}

func (s *countingReads) GetBucketConfig(ctx context.Context, bucket, name string) ([]byte, error) {
	s.n.Add(1)
	return s.Store.GetBucketConfig(ctx, bucket, name)
}

// TestBucketView: reads of the viewed bucket answer from the view without
// a store call; a document the view did not load, another bucket, a
// change the request makes itself, and the next request go to the store.
func TestBucketView(t *testing.T) {
	_, blobs, store := openDiskStores(t)
	ctx := context.Background()
	reads := &countingReads{Store: store}
	e := New(reads, blobs, Options{})
	for _, b := range []string{"bkt", "other"} {
		if err := e.CreateBucket(ctx, Owner{ID: "o"}, b, "", false, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.PutBucketConfig(ctx, "bkt", "policy", []byte("v1")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		bucket    string
		do        func(ctx context.Context) (string, error) // a read after the view was made
		want      string
		wantCode  s3err.Code
		wantReads int64
	}{
		{"record", "bkt", func(ctx context.Context) (string, error) {
			b, err := e.HeadBucket(ctx, "bkt")
			return b.Owner.ID, err
		}, "o", "", 0},
		{"loaded document", "bkt", func(ctx context.Context) (string, error) {
			doc, err := e.BucketConfig(ctx, "bkt", "policy")
			return string(doc), err
		}, "v1", "", 0},
		{"loaded document, absent", "bkt", func(ctx context.Context) (string, error) {
			doc, err := e.BucketConfig(ctx, "bkt", "cors")
			return string(doc), err
		}, "", "", 0},
		{"changed by another gateway meanwhile: this request keeps its view", "bkt", func(ctx context.Context) (string, error) {
			if err := store.PutBucketConfig(ctx, "bkt", "policy", []byte("v2")); err != nil {
				return "", err
			}
			defer store.PutBucketConfig(ctx, "bkt", "policy", []byte("v1"))
			doc, err := e.BucketConfig(ctx, "bkt", "policy")
			return string(doc), err
		}, "v1", "", 0},
		{"document not loaded", "bkt", func(ctx context.Context) (string, error) {
			doc, err := e.BucketConfig(ctx, "bkt", "tagging")
			return string(doc), err
		}, "", "", 1}, // the document; the bucket (it is absent) from the view
		{"another bucket", "bkt", func(ctx context.Context) (string, error) {
			b, err := e.HeadBucket(ctx, "other")
			return b.Name, err
		}, "other", "", 1},
		{"changed by this request", "bkt", func(ctx context.Context) (string, error) {
			if err := e.PutBucketConfig(ctx, "bkt", "policy", []byte("v3")); err != nil {
				return "", err
			}
			defer store.PutBucketConfig(ctx, "bkt", "policy", []byte("v1"))
			doc, err := e.BucketConfig(ctx, "bkt", "policy")
			return string(doc), err
		}, "v3", "", 1},
		{"absent bucket", "nobkt", func(ctx context.Context) (string, error) {
			_, err := e.BucketConfig(ctx, "nobkt", "policy")
			return "", err
		}, "", s3err.NoSuchBucket, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vctx, err := e.WithBucketView(ctx, tt.bucket, "policy", "cors")
			if err != nil {
				t.Fatal(err)
			}
			before := reads.n.Load()
			got, err := tt.do(vctx)
			switch {
			case tt.wantCode != "":
				if !s3err.HasCode(err, tt.wantCode) {
					t.Fatalf("err = %v, want %s", err, tt.wantCode)
				}
			case err != nil:
				t.Fatal(err)
			case got != tt.want:
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if n := reads.n.Load() - before; n != tt.wantReads {
				t.Errorf("%d single reads, want %d", n, tt.wantReads)
			}
		})
	}
	// The next request (a context without the view) reads the store.
	doc, err := e.BucketConfig(ctx, "bkt", "policy")
	if err != nil || string(doc) != "v1" {
		t.Fatalf("BucketConfig without a view = %q, %v; want v1", doc, err)
	}
}
