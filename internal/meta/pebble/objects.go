package pebblestore

import (
	"context"
	"encoding/binary"
	"strings"

	"github.com/tessera-s3/tessera/internal/meta"
)

// readObject returns the latest version of (bucket, key) with its
// Segments, or nil if the key has none.
func (s *Store) readObject(bucket, key string) (*meta.Object, error) {
	var o meta.Object
	ok, err := s.getJSON(objectKey(bucket, key), &o)
	if err != nil || !ok {
		return nil, err
	}
	if _, err := s.getJSON(manifestKey(bucket, key), &o.Segments); err != nil {
		return nil, err
	}
	settle(&o, bucket, key, true)
	return &o, nil
}

// readNoncurrent returns the noncurrent version of (bucket, key) with that
// Seq, with its Segments, or nil.
func (s *Store) readNoncurrent(bucket, key string, seq int64) (*meta.Object, error) {
	var o meta.Object
	ok, err := s.getJSON(versionKey(tVersion, bucket, key, seq), &o)
	if err != nil || !ok {
		return nil, err
	}
	if _, err := s.getJSON(versionKey(tVManifest, bucket, key, seq), &o.Segments); err != nil {
		return nil, err
	}
	settle(&o, bucket, key, false)
	return &o, nil
}

// settle fills what a stored header leaves to its key: the key is
// authoritative (JSON replaces invalid UTF-8), records older than versions
// are the null version, and IsLatest is where the record lives.
func settle(o *meta.Object, bucket, key string, latest bool) {
	o.Bucket, o.Key, o.IsLatest = bucket, key, latest
	if o.VersionID == "" {
		o.VersionID = meta.NullVersion
	}
}

// nullSeq returns the Seq of the key's noncurrent null version.
func (s *Store) nullSeq(bucket, key string) (int64, bool, error) {
	v, ok, err := s.get(nullVersionKey(bucket, key))
	if err != nil || !ok || len(v) != 8 {
		return 0, false, err
	}
	return int64(binary.BigEndian.Uint64(v)), true, nil
}

// findVersion returns the version of (bucket, key) a request names ("" for
// the latest), or nil. The caller holds the key's lock when it will write.
func (s *Store) findVersion(bucket, key, versionID string) (*meta.Object, error) {
	cur, err := s.readObject(bucket, key)
	if err != nil || cur == nil || versionID == "" || cur.VersionID == versionID {
		return cur, err
	}
	var seq int64
	if versionID == meta.NullVersion {
		var ok bool
		if seq, ok, err = s.nullSeq(bucket, key); err != nil || !ok {
			return nil, err
		}
	} else {
		var ok bool
		if seq, ok = meta.VersionSeq(versionID); !ok {
			return nil, nil
		}
	}
	o, err := s.readNoncurrent(bucket, key, seq)
	if err != nil || o == nil || o.VersionID != versionID {
		return nil, err
	}
	return o, nil
}

// putLatest adds to wb the writes that make obj the key's latest version.
func putLatest(wb *batch, obj meta.Object) {
	putRecords(wb, objectKey(obj.Bucket, obj.Key), manifestKey(obj.Bucket, obj.Key), obj)
}

// putNoncurrent adds to wb the writes that keep o as an older version.
func putNoncurrent(wb *batch, o meta.Object) {
	putRecords(wb, versionKey(tVersion, o.Bucket, o.Key, o.Seq), versionKey(tVManifest, o.Bucket, o.Key, o.Seq), o)
	if o.VersionID == meta.NullVersion {
		wb.set(nullVersionKey(o.Bucket, o.Key), binary.BigEndian.AppendUint64(nil, uint64(o.Seq)))
	}
}

func putRecords(wb *batch, headerKey, segsKey []byte, o meta.Object) {
	segs := o.Segments
	o.Segments, o.IsLatest = nil, false // the header is stored without the manifest
	wb.setJSON(headerKey, o)
	if segs == nil {
		segs = []meta.Segment{}
	}
	wb.setJSON(segsKey, segs)
}

// delNoncurrent adds to wb the removal of the older version o.
func delNoncurrent(wb *batch, o meta.Object) {
	wb.del(versionKey(tVersion, o.Bucket, o.Key, o.Seq))
	wb.del(versionKey(tVManifest, o.Bucket, o.Key, o.Seq))
	if o.VersionID == meta.NullVersion {
		wb.del(nullVersionKey(o.Bucket, o.Key))
	}
}

// addLatest adds to wb the writes that make obj the new latest version of
// its key over cur (the latest, may be nil), following the bucket's
// versioning: it assigns obj's Seq and VersionID, keeps cur as an older
// version unless obj replaces it as the null version, and removes a
// noncurrent null version that obj replaces. It returns obj as stored and
// the version it replaced (nil if none); the replaced version's blobs that
// obj does not reuse become garbage. The caller holds the bucket's lock
// (shared) and the key's.
func (s *Store) addLatest(wb *batch, b *meta.Bucket, obj meta.Object, cur *meta.Object) (meta.Object, *meta.Object, error) {
	var latestSeq int64
	if cur != nil {
		latestSeq = cur.Seq
		// A writer whose request began first can commit second: its
		// version is the newer one, so it is never dated before cur, and
		// LastModified falls as listings go newest first.
		if obj.LastModified.Before(cur.LastModified) {
			obj.LastModified = cur.LastModified
		}
	}
	obj.Seq = meta.NextSeq(obj.LastModified, latestSeq)
	obj.VersionID = meta.NullVersion
	if b.Versioning == meta.VersioningEnabled {
		obj.VersionID = meta.NewVersionID(obj.Seq)
	}
	obj.IsLatest = true
	var replaced *meta.Object
	switch {
	case cur == nil:
	case cur.VersionID == obj.VersionID:
		replaced = cur
	default:
		putNoncurrent(wb, *cur)
		if obj.VersionID == meta.NullVersion {
			seq, ok, err := s.nullSeq(obj.Bucket, obj.Key)
			if err != nil {
				return meta.Object{}, nil, err
			}
			if ok {
				if replaced, err = s.readNoncurrent(obj.Bucket, obj.Key, seq); err != nil {
					return meta.Object{}, nil, err
				}
				if replaced != nil {
					delNoncurrent(wb, *replaced)
				}
			}
		}
	}
	if replaced != nil {
		wb.addGarbage(meta.UnusedBlobs(replaced.Segments, obj.Segments)...)
	}
	putLatest(wb, obj)
	return obj, replaced, nil
}

// readBucket returns the bucket record, or nil. The caller holds the
// bucket's lock when the answer guards a write.
func (s *Store) readBucket(name string) (*meta.Bucket, error) {
	if !validName(name) {
		return nil, nil
	}
	var b meta.Bucket
	ok, err := s.getJSON(bucketKey(name), &b)
	if err != nil || !ok {
		return nil, err
	}
	return &b, nil
}

// PutObject implements meta.Store.
func (s *Store) PutObject(ctx context.Context, obj meta.Object, check meta.CheckFunc) (meta.Object, []string, error) {
	if err := ctxErr(ctx); err != nil {
		return meta.Object{}, nil, err
	}
	bmu := s.bucketLock(obj.Bucket)
	bmu.RLock()
	defer bmu.RUnlock()
	b, err := s.readBucket(obj.Bucket)
	if err != nil {
		return meta.Object{}, nil, err
	}
	if b == nil {
		return meta.Object{}, nil, notFound("bucket")
	}
	kmu := s.keyLock(obj.Bucket, obj.Key)
	kmu.Lock()
	defer kmu.Unlock()
	cur, err := s.readObject(obj.Bucket, obj.Key)
	if err != nil {
		return meta.Object{}, nil, err
	}
	if check != nil {
		if err := check(cur); err != nil {
			return meta.Object{}, nil, err
		}
	}
	wb := s.newBatch()
	stored, _, err := s.addLatest(wb, b, obj, cur)
	if err != nil {
		wb.abandon()
		return meta.Object{}, nil, err
	}
	garbage, err := wb.commit()
	if err != nil {
		return meta.Object{}, nil, err
	}
	return stored, garbage, nil
}

// GetObject implements meta.Store.
func (s *Store) GetObject(ctx context.Context, bucket, key, versionID string) (meta.Object, error) {
	if err := ctxErr(ctx); err != nil {
		return meta.Object{}, err
	}
	if !validName(bucket) {
		return meta.Object{}, notFound("object")
	}
	o, err := s.findVersion(bucket, key, versionID)
	if err != nil {
		return meta.Object{}, err
	}
	if o == nil {
		return meta.Object{}, notFound("object")
	}
	return *o, nil
}

// DeleteObject implements meta.Store.
func (s *Store) DeleteObject(ctx context.Context, d meta.Deletion, check meta.CheckFunc) (meta.DeleteResult, []string, error) {
	var res meta.DeleteResult
	if err := ctxErr(ctx); err != nil {
		return res, nil, err
	}
	// Shared bucket lock: a delete marker adds a record to the bucket.
	bmu := s.bucketLock(d.Bucket)
	bmu.RLock()
	defer bmu.RUnlock()
	b, err := s.readBucket(d.Bucket)
	if err != nil {
		return res, nil, err
	}
	if b == nil {
		return res, nil, notFound("object")
	}
	kmu := s.keyLock(d.Bucket, d.Key)
	kmu.Lock()
	defer kmu.Unlock()
	wb := s.newBatch()
	if d.VersionID == "" && b.Versioning != "" {
		cur, err := s.readObject(d.Bucket, d.Key)
		if err == nil && check != nil {
			err = check(cur)
		}
		if err != nil {
			wb.abandon()
			return res, nil, err
		}
		marker := meta.Object{Bucket: d.Bucket, Key: d.Key, DeleteMarker: true, LastModified: d.At, Owner: d.By}
		m, removed, err := s.addLatest(wb, b, marker, cur)
		if err != nil {
			wb.abandon()
			return res, nil, err
		}
		res.Marker, res.Removed = &m, removed
	} else {
		o, err := s.findVersion(d.Bucket, d.Key, d.VersionID)
		if err == nil && o == nil {
			err = notFound("object")
		}
		if err == nil && check != nil {
			err = check(o)
		}
		if err == nil {
			err = s.removeVersion(wb, *o)
		}
		if err != nil {
			wb.abandon()
			return res, nil, err
		}
		res.Removed = o
	}
	garbage, err := wb.commit()
	if err != nil {
		return meta.DeleteResult{}, nil, err
	}
	return res, garbage, nil
}

// removeVersion adds to wb the removal of version o (read under the key's
// lock); when o is the latest, the newest older version takes its place.
func (s *Store) removeVersion(wb *batch, o meta.Object) error {
	wb.addGarbage(meta.UnusedBlobs(o.Segments, nil)...)
	if !o.IsLatest {
		delNoncurrent(wb, o)
		return nil
	}
	wb.del(objectKey(o.Bucket, o.Key))
	wb.del(manifestKey(o.Bucket, o.Key))
	var next *meta.Object
	p := versionPrefix(tVersion, o.Bucket, o.Key)
	err := s.scan(p, successor(p), 1, func(k, _ []byte) (bool, error) {
		seq := meta.Rank(int64(binary.BigEndian.Uint64(k[len(p):])))
		var err error
		next, err = s.readNoncurrent(o.Bucket, o.Key, seq)
		return false, err
	})
	if err != nil || next == nil {
		return err
	}
	delNoncurrent(wb, *next)
	putLatest(wb, *next)
	return nil
}

// UpdateObject implements meta.Store. Only the header is rewritten.
func (s *Store) UpdateObject(ctx context.Context, bucket, key, versionID string, fn func(*meta.Object) error) (meta.Object, error) {
	if err := ctxErr(ctx); err != nil {
		return meta.Object{}, err
	}
	if !validName(bucket) {
		return meta.Object{}, notFound("object")
	}
	kmu := s.keyLock(bucket, key)
	kmu.Lock()
	defer kmu.Unlock()
	o, err := s.findVersion(bucket, key, versionID)
	if err != nil {
		return meta.Object{}, err
	}
	if o == nil {
		return meta.Object{}, notFound("object")
	}
	edited := *o
	if err := fn(&edited); err != nil {
		return meta.Object{}, err
	}
	keepIdentity(&edited, o)
	header := edited
	header.Segments, header.IsLatest = nil, false
	wb := s.newBatch()
	if o.IsLatest {
		wb.setJSON(objectKey(bucket, key), header)
	} else {
		wb.setJSON(versionKey(tVersion, bucket, key, o.Seq), header)
	}
	if _, err := wb.commit(); err != nil {
		return meta.Object{}, err
	}
	return edited, nil
}

// keepIdentity restores in edited what UpdateObject's fn may not change.
func keepIdentity(edited, o *meta.Object) {
	edited.Bucket, edited.Key, edited.VersionID, edited.Seq = o.Bucket, o.Key, o.VersionID, o.Seq
	edited.Segments, edited.Size, edited.DeleteMarker, edited.IsLatest = o.Segments, o.Size, o.DeleteMarker, o.IsLatest
}

// ListObjects implements meta.Store. It scans latest-version headers only,
// skipping delete markers, so the returned objects have nil Segments. A
// missing bucket lists as empty; limit <= 0 returns nothing.
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
	err := s.scan(lower, upper, -1, func(k, v []byte) (bool, error) {
		var o meta.Object
		if err := decode(v, &o); err != nil {
			return false, err
		}
		settle(&o, bucket, objectKeyName(bucket, k), true)
		if !strings.HasPrefix(o.Key, prefix) { // cannot happen with the bounds above
			return false, nil
		}
		if !o.DeleteMarker {
			out = append(out, o)
		}
		return len(out) < limit, nil
	})
	return out, err
}
