package pebblestore

import (
	"context"

	"github.com/tessera-s3/tessera/internal/meta"
)

// Tables for small documents, beside those listed in keys.go:
//
//	tDoc          | kind 0x00 | id          → document bytes
//	tBucketConfig | bucket 0x00 | name      → configuration document bytes
const (
	tDoc          byte = 'd'
	tBucketConfig byte = 'k'
)

func docKey(kind, id string) []byte {
	return append(bucketScoped(tDoc, kind), id...)
}

func bucketConfigKey(bucket, name string) []byte {
	return append(bucketScoped(tBucketConfig, bucket), name...)
}

// PutDoc implements meta.Store.
func (s *Store) PutDoc(ctx context.Context, kind, id string, doc []byte) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if !validName(kind) || id == "" {
		return notFound("document")
	}
	wb := s.newBatch()
	wb.set(docKey(kind, id), doc)
	_, err := wb.commit()
	return err
}

// GetDoc implements meta.Store.
func (s *Store) GetDoc(ctx context.Context, kind, id string) ([]byte, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if !validName(kind) || id == "" {
		return nil, notFound("document")
	}
	v, ok, err := s.get(docKey(kind, id))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notFound("document")
	}
	return v, nil
}

// ListDocs implements meta.Store.
func (s *Store) ListDocs(ctx context.Context, kind string) ([]meta.Doc, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if !validName(kind) {
		return nil, nil
	}
	p := bucketScoped(tDoc, kind)
	var out []meta.Doc
	err := s.scan(p, successor(p), -1, func(k, v []byte) (bool, error) {
		out = append(out, meta.Doc{ID: string(k[len(p):]), Data: append([]byte(nil), v...)})
		return true, nil
	})
	return out, err
}

// DeleteDoc implements meta.Store.
func (s *Store) DeleteDoc(ctx context.Context, kind, id string) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if !validName(kind) || id == "" {
		return nil
	}
	wb := s.newBatch()
	wb.del(docKey(kind, id))
	_, err := wb.commit()
	return err
}

// PutBucketConfig implements meta.Store. It holds the bucket's read lock so
// that it cannot race DeleteBucket.
func (s *Store) PutBucketConfig(ctx context.Context, bucket, name string, doc []byte) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if !validName(bucket) || name == "" {
		return notFound("bucket")
	}
	mu := s.bucketLock(bucket)
	mu.RLock()
	defer mu.RUnlock()
	ok, err := s.bucketExists(bucket)
	if err != nil {
		return err
	}
	if !ok {
		return notFound("bucket")
	}
	wb := s.newBatch()
	wb.set(bucketConfigKey(bucket, name), doc)
	_, err = wb.commit()
	return err
}

// GetBucketConfig implements meta.Store.
func (s *Store) GetBucketConfig(ctx context.Context, bucket, name string) ([]byte, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if !validName(bucket) || name == "" {
		return nil, notFound("bucket config")
	}
	v, ok, err := s.get(bucketConfigKey(bucket, name))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notFound("bucket config")
	}
	return v, nil
}

// GetBucketConfigs implements meta.Store: the bucket and its documents
// are read from one snapshot.
func (s *Store) GetBucketConfigs(ctx context.Context, bucket string, names ...string) (meta.Bucket, map[string][]byte, error) {
	if err := ctxErr(ctx); err != nil {
		return meta.Bucket{}, nil, err
	}
	if !validName(bucket) {
		return meta.Bucket{}, nil, notFound("bucket")
	}
	snap := s.db.NewSnapshot()
	defer snap.Close()
	rec, ok, err := getFrom(snap, bucketKey(bucket))
	if err != nil {
		return meta.Bucket{}, nil, err
	}
	if !ok {
		return meta.Bucket{}, nil, notFound("bucket")
	}
	var b meta.Bucket
	if err := decode(rec, &b); err != nil {
		return meta.Bucket{}, nil, err
	}
	docs := make(map[string][]byte, len(names))
	for _, name := range names {
		if name == "" {
			continue
		}
		doc, ok, err := getFrom(snap, bucketConfigKey(bucket, name))
		if err != nil {
			return meta.Bucket{}, nil, err
		}
		if ok {
			docs[name] = append([]byte{}, doc...) // an empty document is not nil
		}
	}
	return b, docs, nil
}

// DeleteBucketConfig implements meta.Store.
func (s *Store) DeleteBucketConfig(ctx context.Context, bucket, name string) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if !validName(bucket) || name == "" {
		return nil
	}
	wb := s.newBatch()
	wb.del(bucketConfigKey(bucket, name))
	_, err := wb.commit()
	return err
}

// deleteBucketConfigs adds the deletion of every configuration of the
// bucket to wb (DeleteBucket uses it, so a new bucket of the same name
// starts bare).
func (s *Store) deleteBucketConfigs(wb *batch, bucket string) error {
	p := bucketScoped(tBucketConfig, bucket)
	return s.scan(p, successor(p), -1, func(k, _ []byte) (bool, error) {
		wb.del(append([]byte(nil), k...))
		return true, nil
	})
}
