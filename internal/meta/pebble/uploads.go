package pebblestore

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/tessera-s3/tessera/internal/meta"
)

// CreateUpload implements meta.Store. The upload ID must be non-empty,
// NUL-free and unused; the caller generates it.
func (s *Store) CreateUpload(ctx context.Context, u meta.Upload) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if !validName(u.ID) {
		return errBadUploadID
	}
	bmu := s.bucketLock(u.Bucket)
	bmu.RLock()
	defer bmu.RUnlock()
	ok, err := s.bucketExists(u.Bucket)
	if err != nil {
		return err
	}
	if !ok {
		return notFound("bucket")
	}
	umu := s.uploadLock(u.ID)
	umu.Lock()
	defer umu.Unlock()
	_, taken, err := s.get(uploadByIDKey(u.ID))
	if err != nil {
		return err
	}
	if taken {
		return fmt.Errorf("pebblestore: upload ID %q already in use", u.ID)
	}
	k := uploadKey(u.Bucket, u.Key, u.Initiated, u.ID)
	wb := s.newBatch()
	wb.setJSON(k, u)
	wb.set(uploadByIDKey(u.ID), k)
	_, err = wb.commit()
	return err
}

// readUpload returns the upload with that ID if it belongs to (bucket, key),
// with its primary key; nil if there is none. Callers that write based on
// the answer hold the upload's lock.
func (s *Store) readUpload(bucket, key, uploadID string) (*meta.Upload, []byte, error) {
	if !validName(uploadID) {
		return nil, nil, nil
	}
	k, ok, err := s.get(uploadByIDKey(uploadID))
	if err != nil || !ok {
		return nil, nil, err
	}
	// The index points at the primary key, which encodes bucket and key:
	// a prefix test rejects an ID used under another bucket or key
	// without decoding anything.
	if !bytes.HasPrefix(k, uploadKeyPrefix(bucket, key)) {
		return nil, nil, nil
	}
	var u meta.Upload
	ok, err = s.getJSON(k, &u)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, fmt.Errorf("pebblestore: upload index for %q points at a missing record", uploadID)
	}
	return &u, k, nil
}

// GetUpload implements meta.Store.
func (s *Store) GetUpload(ctx context.Context, bucket, key, uploadID string) (meta.Upload, error) {
	if err := ctxErr(ctx); err != nil {
		return meta.Upload{}, err
	}
	u, _, err := s.readUpload(bucket, key, uploadID)
	if err != nil {
		return meta.Upload{}, err
	}
	if u == nil {
		return meta.Upload{}, notFound("upload")
	}
	return *u, nil
}

// PutPart implements meta.Store. Part numbers must lie in [0, 2^32-1].
func (s *Store) PutPart(ctx context.Context, bucket, key string, p meta.Part) ([]string, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if p.Number < 0 || p.Number > maxPartNumber {
		return nil, fmt.Errorf("pebblestore: part number %d out of range", p.Number)
	}
	umu := s.uploadLock(p.UploadID)
	umu.Lock()
	defer umu.Unlock()
	u, _, err := s.readUpload(bucket, key, p.UploadID)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, notFound("upload")
	}
	pk := partKey(p.UploadID, p.Number)
	var old meta.Part
	replaced, err := s.getJSON(pk, &old)
	if err != nil {
		return nil, err
	}
	wb := s.newBatch()
	wb.setJSON(pk, p)
	if replaced && old.BlobID != p.BlobID {
		wb.addGarbage(old.BlobID)
	}
	return wb.commit()
}

// ListParts implements meta.Store: a range scan from part after+1. It does
// not check that the upload exists; an unknown ID has no parts. limit <= 0
// returns nothing.
func (s *Store) ListParts(ctx context.Context, uploadID string, after, limit int) ([]meta.Part, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if !validName(uploadID) || limit <= 0 || after >= maxPartNumber {
		return nil, nil
	}
	return s.parts(uploadID, max(after+1, 0), limit)
}

// UploadParts implements meta.Store: in one process, GetUpload then
// ListParts (a part written between the two is as if written after).
func (s *Store) UploadParts(ctx context.Context, bucket, key, uploadID string, after, limit int) (meta.Upload, []meta.Part, error) {
	u, err := s.GetUpload(ctx, bucket, key, uploadID)
	if err != nil {
		return meta.Upload{}, nil, err
	}
	parts, err := s.ListParts(ctx, uploadID, after, limit)
	return u, parts, err
}

// parts returns up to limit (< 0: all) parts numbered >= from, ascending.
func (s *Store) parts(uploadID string, from, limit int) ([]meta.Part, error) {
	var out []meta.Part
	upper := successor(partPrefix(uploadID))
	err := s.scan(partKey(uploadID, from), upper, limit, func(_, v []byte) (bool, error) {
		var p meta.Part
		if err := decode(v, &p); err != nil {
			return false, err
		}
		out = append(out, p)
		return true, nil
	})
	return out, err
}

// deleteUpload adds to wb the deletion of the upload and all its parts.
func deleteUpload(wb *batch, uploadID string, primary []byte, parts []meta.Part) {
	wb.del(primary)
	wb.del(uploadByIDKey(uploadID))
	for _, p := range parts {
		wb.del(partKey(uploadID, p.Number))
	}
}

// CompleteUpload implements meta.Store. The built object's Bucket and Key
// are forced to bucket and key. Part blobs the object's Segments do not use
// become garbage, as do the replaced object's blobs. The store has no clock,
// so the Completion's Completed time is the built object's LastModified.
func (s *Store) CompleteUpload(ctx context.Context, bucket, key, uploadID string, build meta.BuildFunc, check meta.CheckFunc) (meta.Object, []string, error) {
	if err := ctxErr(ctx); err != nil {
		return meta.Object{}, nil, err
	}
	bmu := s.bucketLock(bucket)
	bmu.RLock()
	defer bmu.RUnlock()
	kmu := s.keyLock(bucket, key)
	kmu.Lock()
	defer kmu.Unlock()
	umu := s.uploadLock(uploadID)
	umu.Lock()
	defer umu.Unlock()

	// The upload exists only while its bucket does (DeleteBucket deletes a
	// bucket's uploads under the bucket lock we hold shared).
	u, primary, err := s.readUpload(bucket, key, uploadID)
	if err != nil {
		return meta.Object{}, nil, err
	}
	if u == nil {
		return meta.Object{}, nil, notFound("upload")
	}
	b, err := s.readBucket(bucket)
	if err != nil {
		return meta.Object{}, nil, err
	}
	if b == nil {
		return meta.Object{}, nil, notFound("bucket")
	}
	parts, err := s.parts(uploadID, 0, -1)
	if err != nil {
		return meta.Object{}, nil, err
	}
	obj, err := build(*u, parts)
	if err != nil {
		return meta.Object{}, nil, err
	}
	obj.Bucket, obj.Key = bucket, key
	cur, err := s.readObject(bucket, key)
	if err != nil {
		return meta.Object{}, nil, err
	}
	if check != nil {
		if err := check(cur); err != nil {
			return meta.Object{}, nil, err
		}
	}

	wb := s.newBatch()
	if obj, _, err = s.addLatest(wb, b, obj, cur); err != nil {
		wb.abandon()
		return meta.Object{}, nil, err
	}
	deleteUpload(wb, uploadID, primary, parts)
	partSegs := make([]meta.Segment, len(parts))
	for i, p := range parts {
		partSegs[i] = meta.Segment{BlobID: p.BlobID}
	}
	wb.addGarbage(meta.UnusedBlobs(partSegs, obj.Segments)...)
	wb.setJSON(completionKey(uploadID), meta.CompletionOf(uploadID, obj))
	garbage, err := wb.commit()
	if err != nil {
		return meta.Object{}, nil, err
	}
	return obj, garbage, nil
}

// PruneCompletions implements meta.Store. It scans the completion table
// (small: one record per completed upload since the last prune) and deletes
// old records in one batch per call.
func (s *Store) PruneCompletions(ctx context.Context, before time.Time) (int, error) {
	if err := ctxErr(ctx); err != nil {
		return 0, err
	}
	p := []byte{tCompletion}
	wb := s.newBatch()
	n := 0
	err := s.scan(p, successor(p), -1, func(k, v []byte) (bool, error) {
		var c meta.Completion
		if err := decode(v, &c); err != nil {
			return false, err
		}
		if c.Completed.Before(before) {
			wb.del(append([]byte(nil), k...))
			n++
		}
		return true, nil
	})
	if err != nil || n == 0 {
		return 0, err
	}
	_, err = wb.commit()
	return n, err
}

// GetCompletion implements meta.Store.
func (s *Store) GetCompletion(ctx context.Context, bucket, key, uploadID string) (meta.Completion, error) {
	if err := ctxErr(ctx); err != nil {
		return meta.Completion{}, err
	}
	var c meta.Completion
	if !validName(uploadID) {
		return c, notFound("completion")
	}
	ok, err := s.getJSON(completionKey(uploadID), &c)
	if err != nil {
		return meta.Completion{}, err
	}
	if !ok || c.Bucket != bucket || c.Key != key {
		return meta.Completion{}, notFound("completion")
	}
	return c, nil
}

// AbortUpload implements meta.Store.
func (s *Store) AbortUpload(ctx context.Context, bucket, key, uploadID string) ([]string, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	umu := s.uploadLock(uploadID)
	umu.Lock()
	defer umu.Unlock()
	u, primary, err := s.readUpload(bucket, key, uploadID)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, notFound("upload")
	}
	parts, err := s.parts(uploadID, 0, -1)
	if err != nil {
		return nil, err
	}
	wb := s.newBatch()
	deleteUpload(wb, uploadID, primary, parts)
	for _, p := range parts {
		wb.addGarbage(p.BlobID)
	}
	return wb.commit()
}

// ListUploads implements meta.Store. When afterUploadID is set but that
// upload no longer exists under afterKey (completed or aborted since the
// previous page), its position in (initiated, ID) order is unknown; the
// uploads of afterKey whose ID sorts after afterUploadID are returned then,
// which is S3's documented upload-id-marker rule. limit <= 0 returns nothing.
func (s *Store) ListUploads(ctx context.Context, bucket, prefix, afterKey, afterUploadID string, limit int) ([]meta.Upload, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if limit <= 0 || !validName(bucket) {
		return nil, nil
	}
	scope := uploadPrefixScope(bucket, prefix)
	lower, upper := scope, successor(scope)
	filterKey, filterID := "", "" // uploads of filterKey with ID <= filterID are skipped
	if afterKey != "" || afterUploadID != "" {
		var start []byte
		switch {
		case afterUploadID == "":
			start = successor(uploadKeyPrefix(bucket, afterKey))
		default:
			_, primary, err := s.readUpload(bucket, afterKey, afterUploadID)
			if err != nil {
				return nil, err
			}
			if primary != nil {
				start = after(primary)
			} else {
				start = uploadKeyPrefix(bucket, afterKey)
				filterKey, filterID = afterKey, afterUploadID
			}
		}
		if bytes.Compare(start, lower) > 0 {
			lower = start
		}
	}
	var out []meta.Upload
	err := s.scan(lower, upper, -1, func(_, v []byte) (bool, error) {
		var u meta.Upload
		if err := decode(v, &u); err != nil {
			return false, err
		}
		if filterID != "" && u.Key == filterKey && u.ID <= filterID {
			return true, nil
		}
		out = append(out, u)
		return len(out) < limit, nil
	})
	return out, err
}
