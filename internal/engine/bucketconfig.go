package engine

import (
	"context"
	"errors"

	"github.com/tessera-s3/tessera/internal/meta"
)

// BucketConfig returns a bucket's configuration document by name (nil when
// it has none), or NoSuchBucket.
func (e *Engine) BucketConfig(ctx context.Context, bucket, name string) ([]byte, error) {
	doc, err := e.getBucketConfig(ctx, bucket, name)
	if errors.Is(err, meta.ErrNotFound) {
		if _, berr := e.bucketExists(ctx, bucket); berr != nil {
			return nil, berr
		}
		return nil, nil
	}
	return doc, err
}

// PutBucketConfig stores a bucket configuration document the caller has
// validated.
func (e *Engine) PutBucketConfig(ctx context.Context, bucket, name string, doc []byte) error {
	dropView(ctx, bucket)
	err := e.meta.PutBucketConfig(ctx, bucket, name, doc)
	if errors.Is(err, meta.ErrNotFound) {
		return noSuchBucket(bucket)
	}
	return err
}

// DeleteBucketConfig removes a bucket configuration document.
func (e *Engine) DeleteBucketConfig(ctx context.Context, bucket, name string) error {
	if _, err := e.bucketExists(ctx, bucket); err != nil {
		return err
	}
	dropView(ctx, bucket)
	return e.meta.DeleteBucketConfig(ctx, bucket, name)
}
