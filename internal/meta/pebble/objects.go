package pebblestore

import (
	"context"
	"strings"

	"github.com/tessera-s3/tessera/internal/meta"
)

// readObject returns the current object of (bucket, key) with its Segments,
// or nil if there is none.
func (s *Store) readObject(bucket, key string) (*meta.Object, error) {
	var o meta.Object
	ok, err := s.getJSON(objectKey(bucket, key), &o)
	if err != nil || !ok {
		return nil, err
	}
	if _, err := s.getJSON(manifestKey(bucket, key), &o.Segments); err != nil {
		return nil, err
	}
	return &o, nil
}

// putObject adds to wb the writes that make obj current, replacing cur
// (may be nil): cur's blobs that obj does not reuse become garbage.
func putObject(wb *batch, obj meta.Object, cur *meta.Object) {
	segs := obj.Segments
	obj.Segments = nil // the header is stored without the manifest
	wb.setJSON(objectKey(obj.Bucket, obj.Key), obj)
	if segs == nil {
		segs = []meta.Segment{}
	}
	wb.setJSON(manifestKey(obj.Bucket, obj.Key), segs)
	if cur != nil {
		wb.addGarbage(meta.UnusedBlobs(cur.Segments, segs)...)
	}
}

// PutObject implements meta.Store.
func (s *Store) PutObject(ctx context.Context, obj meta.Object, check meta.CheckFunc) ([]string, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	bmu := s.bucketLock(obj.Bucket)
	bmu.RLock()
	defer bmu.RUnlock()
	ok, err := s.bucketExists(obj.Bucket)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notFound("bucket")
	}
	kmu := s.keyLock(obj.Bucket, obj.Key)
	kmu.Lock()
	defer kmu.Unlock()
	cur, err := s.readObject(obj.Bucket, obj.Key)
	if err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(cur); err != nil {
			return nil, err
		}
	}
	wb := s.newBatch()
	putObject(wb, obj, cur)
	return wb.commit()
}

// GetObject implements meta.Store.
func (s *Store) GetObject(ctx context.Context, bucket, key string) (meta.Object, error) {
	if err := ctxErr(ctx); err != nil {
		return meta.Object{}, err
	}
	if !validName(bucket) {
		return meta.Object{}, notFound("object")
	}
	o, err := s.readObject(bucket, key)
	if err != nil {
		return meta.Object{}, err
	}
	if o == nil {
		return meta.Object{}, notFound("object")
	}
	return *o, nil
}

// DeleteObject implements meta.Store.
func (s *Store) DeleteObject(ctx context.Context, bucket, key string, check meta.CheckFunc) ([]string, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if !validName(bucket) {
		return nil, notFound("object")
	}
	kmu := s.keyLock(bucket, key)
	kmu.Lock()
	defer kmu.Unlock()
	cur, err := s.readObject(bucket, key)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, notFound("object")
	}
	if check != nil {
		if err := check(cur); err != nil {
			return nil, err
		}
	}
	wb := s.newBatch()
	wb.del(objectKey(bucket, key))
	wb.del(manifestKey(bucket, key))
	wb.addGarbage(meta.UnusedBlobs(cur.Segments, nil)...)
	return wb.commit()
}

// ListObjects implements meta.Store. It scans object headers only, so the
// returned objects have nil Segments. A missing bucket lists as empty;
// limit <= 0 returns nothing.
func (s *Store) ListObjects(ctx context.Context, bucket, prefix, from string, limit int) ([]meta.Object, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if limit <= 0 || !validName(bucket) {
		return nil, nil
	}
	start := prefix
	if from > start {
		start = from
	}
	lower := objectKey(bucket, start)
	upper := successor(objectKey(bucket, prefix))
	var out []meta.Object
	err := s.scan(lower, upper, limit, func(k, v []byte) (bool, error) {
		var o meta.Object
		if err := decode(v, &o); err != nil {
			return false, err
		}
		// The key is authoritative; the header's copy is informational.
		o.Bucket, o.Key = bucket, objectKeyName(bucket, k)
		if !strings.HasPrefix(o.Key, prefix) { // cannot happen with the bounds above
			return false, nil
		}
		out = append(out, o)
		return true, nil
	})
	return out, err
}
