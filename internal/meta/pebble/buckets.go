package pebblestore

import (
	"context"
	"fmt"
	"github.com/cockroachdb/pebble/v2"
	"sort"

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

// UpdateBucket implements meta.Store.
func (s *Store) UpdateBucket(ctx context.Context, name string, fn func(*meta.Bucket) error) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	mu := s.bucketLock(name)
	mu.Lock()
	defer mu.Unlock()
	b, err := s.readBucket(name)
	if err != nil {
		return err
	}
	if b == nil {
		return notFound("bucket")
	}
	if err := fn(b); err != nil {
		return err
	}
	b.Name = name
	wb := s.newBatch()
	wb.setJSON(bucketKey(name), b)
	_, err = wb.commit()
	return err
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

// DeleteBucket implements meta.Store. In-progress uploads do not keep a
// bucket alive (S3 deletes a general-purpose bucket with uploads in
// progress): they are deleted in the same batch and their part blobs become
// garbage. Lock order is bucket, then uploads (as in CompleteUpload); every
// upload's stripe is held until the commit so that no part can slip in
// between reading an upload's parts and deleting them.
func (s *Store) DeleteBucket(ctx context.Context, name string) ([]string, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if !validName(name) {
		return nil, notFound("bucket")
	}
	mu := s.bucketLock(name)
	mu.Lock()
	defer mu.Unlock()
	ok, err := s.bucketExists(name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notFound("bucket")
	}
	p := bucketScoped(tObject, name)
	nonEmpty, err := s.exists(p, successor(p))
	if err != nil {
		return nil, err
	}
	if nonEmpty {
		return nil, fmt.Errorf("pebblestore: bucket %q: %w", name, meta.ErrBucketNotEmpty)
	}
	var uploads []meta.Upload
	up := bucketScoped(tUpload, name)
	if err := s.scan(up, successor(up), -1, func(_, v []byte) (bool, error) {
		var u meta.Upload
		if err := decode(v, &u); err != nil {
			return false, err
		}
		uploads = append(uploads, u)
		return true, nil
	}); err != nil {
		return nil, err
	}
	stripes := map[uint64]bool{}
	for _, u := range uploads {
		stripes[s.stripe(u.ID)] = true
	}
	order := make([]uint64, 0, len(stripes))
	for i := range stripes {
		order = append(order, i)
	}
	sort.Slice(order, func(i, j int) bool { return order[i] < order[j] })
	for _, i := range order {
		s.uploadLocks[i].Lock()
		defer s.uploadLocks[i].Unlock()
	}
	wb := s.newBatch()
	for _, listed := range uploads {
		id := listed.ID
		u, primary, err := s.readUpload(name, listed.Key, id)
		if err != nil {
			return nil, err
		}
		if u == nil {
			continue
		}
		parts, err := s.parts(id, 0, -1)
		if err != nil {
			return nil, err
		}
		deleteUpload(wb, id, primary, parts)
		for _, part := range parts {
			wb.addGarbage(part.BlobID)
		}
	}
	wb.del(bucketKey(name))
	if err := s.deleteBucketConfigs(wb, name); err != nil {
		return nil, err
	}
	return wb.commit()
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

// ForEachBlobRef implements meta.Store: one pass over the manifest (latest
// and older versions), part and garbage tables of a consistent snapshot.
func (s *Store) ForEachBlobRef(ctx context.Context, fn func(string)) error {
	snap := s.db.NewSnapshot()
	defer snap.Close()
	scan := func(table byte, each func(k, v []byte) error) error {
		lower := []byte{table}
		it, err := snap.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: successor(lower)})
		if err != nil {
			return fmt.Errorf("pebblestore: iterator: %w", err)
		}
		for ok := it.First(); ok; ok = it.Next() {
			if err := ctxErr(ctx); err != nil {
				it.Close()
				return err
			}
			v, err := it.ValueAndErr()
			if err == nil {
				err = each(it.Key(), v)
			}
			if err != nil {
				it.Close()
				return err
			}
		}
		return it.Close()
	}
	for _, table := range []byte{tManifest, tVManifest} {
		if err := scan(table, func(_, v []byte) error {
			var segs []meta.Segment
			if err := decode(v, &segs); err != nil {
				return err
			}
			for _, sg := range segs {
				fn(sg.BlobID)
			}
			return nil
		}); err != nil {
			return err
		}
	}
	if err := scan(tPart, func(_, v []byte) error {
		var p meta.Part
		if err := decode(v, &p); err != nil {
			return err
		}
		fn(p.BlobID)
		return nil
	}); err != nil {
		return err
	}
	return scan(tGarbage, func(k, _ []byte) error {
		fn(string(k[1:]))
		return nil
	})
}
