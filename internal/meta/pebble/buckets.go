package pebblestore

import (
	"context"
	"fmt"

	"github.com/tessera-s3/tessera/internal/meta"
)

// CreateBucket implements meta.Store. Names containing a NUL byte are
// rejected (no valid S3 bucket name contains one; the key layout relies on it).
func (s *Store) CreateBucket(ctx context.Context, b meta.Bucket) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if !validName(b.Name) {
		return errBadBucketName
	}
	mu := s.bucketLock(b.Name)
	mu.Lock()
	defer mu.Unlock()
	_, ok, err := s.get(bucketKey(b.Name))
	if err != nil {
		return err
	}
	if ok {
		return fmt.Errorf("pebblestore: bucket %q: %w", b.Name, meta.ErrBucketExists)
	}
	wb := s.newBatch()
	wb.setJSON(bucketKey(b.Name), b)
	_, err = wb.commit()
	return err
}

// GetBucket implements meta.Store.
func (s *Store) GetBucket(ctx context.Context, name string) (meta.Bucket, error) {
	if err := ctxErr(ctx); err != nil {
		return meta.Bucket{}, err
	}
	var b meta.Bucket
	if !validName(name) {
		return b, notFound("bucket")
	}
	ok, err := s.getJSON(bucketKey(name), &b)
	if err != nil {
		return meta.Bucket{}, err
	}
	if !ok {
		return meta.Bucket{}, notFound("bucket")
	}
	return b, nil
}

// bucketExists must be called with the bucket's lock held (shared or
// exclusive) when the answer guards a write.
func (s *Store) bucketExists(name string) (bool, error) {
	if !validName(name) {
		return false, nil
	}
	_, ok, err := s.get(bucketKey(name))
	return ok, err
}

// ListBuckets implements meta.Store.
func (s *Store) ListBuckets(ctx context.Context) ([]meta.Bucket, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	var out []meta.Bucket
	lower := []byte{tBucket}
	err := s.scan(lower, successor(lower), -1, func(_, v []byte) (bool, error) {
		var b meta.Bucket
		if err := decode(v, &b); err != nil {
			return false, err
		}
		out = append(out, b)
		return true, nil
	})
	return out, err
}

// DeleteBucket implements meta.Store. It holds the bucket's lock
// exclusively, so no PutObject, CreateUpload or CompleteUpload can add to
// the bucket between the emptiness check and the delete.
func (s *Store) DeleteBucket(ctx context.Context, name string) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if !validName(name) {
		return notFound("bucket")
	}
	mu := s.bucketLock(name)
	mu.Lock()
	defer mu.Unlock()
	ok, err := s.bucketExists(name)
	if err != nil {
		return err
	}
	if !ok {
		return notFound("bucket")
	}
	for _, table := range []byte{tObject, tUpload} {
		p := bucketScoped(table, name)
		nonEmpty, err := s.exists(p, successor(p))
		if err != nil {
			return err
		}
		if nonEmpty {
			return fmt.Errorf("pebblestore: bucket %q: %w", name, meta.ErrBucketNotEmpty)
		}
	}
	wb := s.newBatch()
	wb.del(bucketKey(name))
	if err := s.deleteBucketConfigs(wb, name); err != nil {
		return err
	}
	_, err = wb.commit()
	return err
}

// Garbage implements meta.Store; IDs come back in byte order. limit <= 0
// returns nothing.
func (s *Store) Garbage(ctx context.Context, limit int) ([]string, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	var out []string
	lower := []byte{tGarbage}
	err := s.scan(lower, successor(lower), limit, func(k, _ []byte) (bool, error) {
		out = append(out, string(k[1:]))
		return true, nil
	})
	return out, err
}

// DeleteGarbage implements meta.Store; unknown IDs are ignored.
func (s *Store) DeleteGarbage(ctx context.Context, ids []string) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	wb := s.newBatch()
	for _, id := range ids {
		wb.del(garbageKey(id))
	}
	_, err := wb.commit()
	return err
}
