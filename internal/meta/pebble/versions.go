package pebblestore

import (
	"context"
	"math"
	"strings"

	"github.com/tessera-s3/tessera/internal/meta"
)

// ListVersions implements meta.Store. It walks the latest-version table
// from the position and, for each key, seeks that key's older versions, so
// a page costs the same however many versions come before it.
func (s *Store) ListVersions(ctx context.Context, bucket, prefix, afterKey, afterVersionID string, limit int) ([]meta.Object, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if limit <= 0 || !validName(bucket) {
		return nil, nil
	}
	var out []meta.Object
	full := func() bool { return len(out) >= limit }
	lower := objectKey(bucket, prefix)
	if afterKey != "" && afterKey >= prefix {
		// Every version of afterKey is skipped, or those newer than the
		// named one.
		lower = after(objectKey(bucket, afterKey))
		if afterVersionID != "" {
			seq, err := s.positionSeq(bucket, afterKey, afterVersionID)
			if err != nil {
				return nil, err
			}
			if strings.HasPrefix(afterKey, prefix) {
				cur, err := s.readObject(bucket, afterKey)
				if err != nil {
					return nil, err
				}
				if cur != nil {
					if out, err = s.appendVersions(out, cur, seq, limit); err != nil {
						return nil, err
					}
				}
			}
		}
	} else if afterVersionID != "" {
		if _, err := s.positionSeq(bucket, afterKey, afterVersionID); err != nil {
			return nil, err
		}
	}
	if full() {
		return out, nil
	}
	upper := successor(objectKey(bucket, prefix))
	err := s.scan(lower, upper, -1, func(k, v []byte) (bool, error) {
		var cur meta.Object
		if err := decode(v, &cur); err != nil {
			return false, err
		}
		settle(&cur, bucket, objectKeyName(bucket, k), true)
		var err error
		out, err = s.appendVersions(out, &cur, math.MaxInt64, limit)
		return !full(), err
	})
	return out, err
}

// positionSeq returns the Seq a ListVersions position names: the version
// ID's, or the null version's (ErrNotFound when the key has none, or for an
// ID not made by meta.NewVersionID).
func (s *Store) positionSeq(bucket, key, versionID string) (int64, error) {
	if versionID != meta.NullVersion {
		seq, ok := meta.VersionSeq(versionID)
		if !ok {
			return 0, notFound("version")
		}
		return seq, nil
	}
	cur, err := s.readObject(bucket, key)
	if err != nil {
		return 0, err
	}
	if cur != nil && cur.VersionID == meta.NullVersion {
		return cur.Seq, nil
	}
	seq, ok, err := s.nullSeq(bucket, key)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, notFound("version")
	}
	return seq, nil
}

// appendVersions appends to out, up to limit entries in all, the versions of
// cur's key older than before (a Seq): cur itself (the latest, without its
// Segments), then the noncurrent ones newest first.
func (s *Store) appendVersions(out []meta.Object, cur *meta.Object, before int64, limit int) ([]meta.Object, error) {
	if cur.Seq < before {
		c := *cur
		c.Segments = nil
		out = append(out, c)
	}
	if len(out) >= limit {
		return out, nil
	}
	p := versionPrefix(tVersion, cur.Bucket, cur.Key)
	lower := p
	if before != math.MaxInt64 {
		lower = after(versionKey(tVersion, cur.Bucket, cur.Key, before))
	}
	err := s.scan(lower, successor(p), limit-len(out), func(_, v []byte) (bool, error) {
		var o meta.Object
		if err := decode(v, &o); err != nil {
			return false, err
		}
		settle(&o, cur.Bucket, cur.Key, false)
		out = append(out, o)
		return true, nil
	})
	return out, err
}
