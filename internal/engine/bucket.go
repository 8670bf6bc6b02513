package engine

import (
	"context"
	"errors"
	"maps"
	"net"
	"slices"
	"strings"

	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// ValidBucketName applies AWS's general-purpose bucket naming rules.
func ValidBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' || c == '.':
			if i == 0 || i == len(name)-1 {
				return false
			}
		default:
			return false
		}
	}
	if strings.Contains(name, "..") || strings.Contains(name, ".-") || strings.Contains(name, "-.") {
		return false
	}
	if net.ParseIP(name) != nil {
		return false
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, s) {
			return false
		}
	}
	return true
}

// CreateBucket creates a bucket owned by owner. location is the
// LocationConstraint from the request body ("" when absent); objectLock
// (x-amz-bucket-object-lock-enabled) turns Object Lock on, and with it
// versioning, for good. See createbucket.go for S3's answers when the name
// is taken or the constraint does not fit this server's region. docs are
// the configuration documents the new bucket starts with (S3's defaults
// for new buckets, the request's ownership and tags); they are stored only
// when the bucket is created.
func (e *Engine) CreateBucket(ctx context.Context, owner Owner, name, location string, objectLock bool, docs map[string][]byte) error {
	if !ValidBucketName(name) {
		return s3err.New(s3err.InvalidBucketName).With("BucketName", name)
	}
	if err := e.checkLocation(location); err != nil {
		return e.takenOr(ctx, owner, name, false, err)
	}
	b := Bucket{Name: name, Region: e.region, Owner: owner, Created: e.clock()}
	if objectLock {
		b.ObjectLock, b.Versioning = true, VersioningEnabled
	}
	err := e.meta.CreateBucket(ctx, b)
	if errors.Is(err, meta.ErrBucketExists) {
		return e.takenOr(ctx, owner, name, true, err)
	}
	if err != nil {
		return err
	}
	// Not one atomic step with the creation: a crash in between leaves a
	// bucket without some of its defaults, as buckets made before S3 had
	// them are (no public access block, no ownership controls), which
	// grants no one anything the bucket owner did not.
	for _, n := range slices.Sorted(maps.Keys(docs)) {
		if err := e.meta.PutBucketConfig(ctx, name, n, docs[n]); err != nil {
			return err
		}
	}
	return nil
}

// HeadBucket returns the bucket or NoSuchBucket.
func (e *Engine) HeadBucket(ctx context.Context, name string) (Bucket, error) {
	return e.bucketExists(ctx, name)
}

// DeleteBucket deletes a bucket without objects; in-progress uploads go with it, as in S3.
func (e *Engine) DeleteBucket(ctx context.Context, name string) error {
	dropView(ctx, name)
	garbage, err := e.meta.DeleteBucket(ctx, name)
	switch {
	case errors.Is(err, meta.ErrNotFound):
		return noSuchBucket(name)
	case errors.Is(err, meta.ErrBucketNotEmpty):
		notEmpty := s3err.New(s3err.BucketNotEmpty).With("BucketName", name)
		if b, err := e.meta.GetBucket(ctx, name); err == nil && b.Versioning != "" {
			// LocalStack test_delete_versioned_bucket_with_objects, recorded against AWS.
			notEmpty.Message = "The bucket you tried to delete is not empty. You must delete all versions in the bucket."
		}
		return notEmpty
	case err != nil:
		return err
	}
	e.freeBlobs(garbage)
	return nil
}

// ListBuckets returns the buckets owned by owner, ascending by name.
func (e *Engine) ListBuckets(ctx context.Context, owner Owner) ([]Bucket, error) {
	all, err := e.meta.ListBuckets(ctx)
	if err != nil {
		return nil, err
	}
	mine := all[:0]
	for _, b := range all {
		if b.Owner.ID == owner.ID {
			mine = append(mine, b)
		}
	}
	return mine, nil
}
