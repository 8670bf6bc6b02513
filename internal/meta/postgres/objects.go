package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/tessera-s3/tessera/internal/meta"
)

// maxLookups bounds the look-again loop of putVersion and PutPart. Each
// turn means a concurrent writer created the row and another removed it in
// between; a bound turns a livelock into an error.
const maxLookups = 100

// versionRow is a version as stored, in either table: the header without
// the manifest, the manifest, and the columns the queries need (which
// repeat the header's fields).
type versionRow struct {
	bucket, key  []byte
	rank         int64
	versionID    []byte
	deleteMarker bool
	rec, segs    []byte
}

// newVersionRow encodes o, whose manifest is already encoded as segs.
func newVersionRow(o meta.Object, segs []byte) (versionRow, error) {
	header := o
	header.Segments, header.IsLatest = nil, false
	rec, err := encode(header)
	if err != nil {
		return versionRow{}, err
	}
	return versionRow{
		bucket: []byte(o.Bucket), key: []byte(o.Key), rank: meta.Rank(o.Seq),
		versionID: []byte(o.VersionID), deleteMarker: o.DeleteMarker, rec: rec, segs: segs,
	}, nil
}

// decodeObject rebuilds a version from its columns. The bucket and key
// columns are authoritative: JSON replaces invalid UTF-8, bytea does not.
// Records older than versions are the null version; IsLatest is where the
// record lives.
func decodeObject(bucket, key string, rec, segs []byte, latest bool) (meta.Object, error) {
	var o meta.Object
	if err := decode(rec, &o); err != nil {
		return meta.Object{}, err
	}
	o.Bucket, o.Key, o.IsLatest = bucket, key, latest
	if o.VersionID == "" {
		o.VersionID = meta.NullVersion
	}
	var err error
	if o.Segments, err = decodeSegments(segs); err != nil {
		return meta.Object{}, err
	}
	return o, nil
}

// lockLatest returns the latest version of (bucket, key) with its
// Segments, its row locked until the transaction ends; nil, with nothing
// locked, if the key has none. The row lock guards every version of the
// key: a key with noncurrent versions always has a latest one, and every
// writer of a key's versions takes it first.
func (t *txn) lockLatest(ctx context.Context, bucket, key string) (*meta.Object, error) {
	var rec, segs []byte
	err := t.QueryRow(ctx, `SELECT rec, segments FROM objects WHERE bucket = $1 AND key = $2 FOR UPDATE`,
		[]byte(bucket), []byte(key)).Scan(&rec, &segs)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, errorf("postgres: lock object: %w", err)
	}
	o, err := decodeObject(bucket, key, rec, segs, true)
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// lockVersion returns the version of (bucket, key) a request names (""
// for the latest), or nil, holding the key's row lock when it has one.
func (t *txn) lockVersion(ctx context.Context, bucket, key, versionID string) (*meta.Object, error) {
	cur, err := t.lockLatest(ctx, bucket, key)
	if err != nil || cur == nil || versionID == "" || cur.VersionID == versionID {
		return cur, err
	}
	var q query
	q.add(`SELECT rec, segments FROM object_versions WHERE bucket = ? AND key = ? AND `, []byte(bucket), []byte(key))
	if !q.addVersion(versionID) {
		return nil, nil
	}
	var rec, segs []byte
	err = t.QueryRow(ctx, q.sql.String(), q.args...).Scan(&rec, &segs)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, errorf("postgres: read version: %w", err)
	}
	o, err := decodeObject(bucket, key, rec, segs, false)
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// addVersion adds the condition on object_versions that picks versionID:
// the null version by its partial index (the predicate must be the
// literal), any other by its rank. ok is false for an ID that no version
// can have.
func (q *query) addVersion(versionID string) (ok bool) {
	if versionID == meta.NullVersion {
		q.add(`version_id = 'null'`)
		return true
	}
	seq, ok := meta.VersionSeq(versionID)
	if !ok {
		return false
	}
	q.add(`rank = ? AND version_id = ?`, meta.Rank(seq), []byte(versionID))
	return true
}

// writeLatest stores r as the latest version of its key: over the row the
// caller holds locked, or as a new row, reporting whether the insert won
// (false: a concurrent writer created the key first).
func (t *txn) writeLatest(ctx context.Context, r versionRow, exists bool) (bool, error) {
	if exists {
		if _, err := t.Exec(ctx, `UPDATE objects SET rank = $3, version_id = $4, delete_marker = $5, rec = $6, segments = $7
			WHERE bucket = $1 AND key = $2`, r.bucket, r.key, r.rank, r.versionID, r.deleteMarker, r.rec, r.segs); err != nil {
			return false, errorf("postgres: update object: %w", err)
		}
		return true, nil
	}
	// No row to lock: the insert itself decides a race with a concurrent
	// creator, waiting for it to commit or roll back.
	tag, err := t.Exec(ctx, `INSERT INTO objects (bucket, key, rank, version_id, delete_marker, rec, segments)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (bucket, key) DO NOTHING`,
		r.bucket, r.key, r.rank, r.versionID, r.deleteMarker, r.rec, r.segs)
	if err != nil {
		return false, errorf("postgres: insert object: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// putVersion makes obj (its manifest encoded as segs) the latest version
// of its key once check (if any) accepts the current latest, following
// the bucket's versioning (read by the caller under the bucket row's
// lock). It returns obj as stored and the version it replaced (nil if
// none), whose blobs that obj does not reuse become garbage.
func (t *txn) putVersion(ctx context.Context, b *meta.Bucket, obj meta.Object, segs []byte, check meta.CheckFunc) (meta.Object, *meta.Object, error) {
	for range maxLookups {
		cur, err := t.lockLatest(ctx, obj.Bucket, obj.Key)
		if err != nil {
			return meta.Object{}, nil, err
		}
		if check != nil {
			if err := check(cur); err != nil {
				return meta.Object{}, nil, err
			}
		}
		stored, replaced, done, err := t.addLatest(ctx, b, obj, segs, cur)
		if err != nil || done {
			return stored, replaced, err
		}
		// Another writer created the key first: look again, and let check
		// judge what is latest now.
	}
	return meta.Object{}, nil, errorf("postgres: object %q in %q keeps changing under the writer", obj.Key, obj.Bucket)
}

// addLatest writes obj as the new latest version over cur (the latest,
// locked; nil if the key has none), as the Pebble store's addLatest does:
// it assigns obj's Seq and VersionID, keeps cur as a noncurrent version
// unless obj replaces it as the null version, and removes a noncurrent null
// version that obj replaces. done is false if cur was nil and a concurrent
// writer created the key first (nothing was written).
func (t *txn) addLatest(ctx context.Context, b *meta.Bucket, obj meta.Object, segs []byte, cur *meta.Object) (stored meta.Object, replaced *meta.Object, done bool, err error) {
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
	r, err := newVersionRow(obj, segs)
	if err != nil {
		return meta.Object{}, nil, false, err
	}
	switch {
	case cur == nil:
		done, err := t.writeLatest(ctx, r, false)
		return obj, nil, done, err
	case cur.VersionID == obj.VersionID:
		replaced = cur
	default:
		if obj.VersionID == meta.NullVersion {
			if replaced, err = t.deleteNoncurrentNull(ctx, obj.Bucket, obj.Key); err != nil {
				return meta.Object{}, nil, false, err
			}
		}
		// Moved within the server: a manifest of 10,000 segments does
		// not travel (rank and version_id are cur's already).
		if _, err := t.Exec(ctx, `INSERT INTO object_versions (bucket, key, rank, version_id, rec, segments)
			SELECT bucket, key, rank, version_id, rec, segments FROM objects WHERE bucket = $1 AND key = $2`,
			r.bucket, r.key); err != nil {
			return meta.Object{}, nil, false, errorf("postgres: keep noncurrent version: %w", err)
		}
	}
	if _, err := t.writeLatest(ctx, r, true); err != nil {
		return meta.Object{}, nil, false, err
	}
	if replaced != nil {
		t.addGarbage(meta.UnusedBlobs(replaced.Segments, obj.Segments)...)
	}
	return obj, replaced, true, nil
}

// deleteNoncurrentNull removes the key's noncurrent null version and
// returns it, or nil if there is none.
func (t *txn) deleteNoncurrentNull(ctx context.Context, bucket, key string) (*meta.Object, error) {
	var rec, segs []byte
	err := t.QueryRow(ctx, `DELETE FROM object_versions WHERE bucket = $1 AND key = $2 AND version_id = 'null'
		RETURNING rec, segments`, []byte(bucket), []byte(key)).Scan(&rec, &segs)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, errorf("postgres: replace null version: %w", err)
	}
	o, err := decodeObject(bucket, key, rec, segs, false)
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// removeVersion removes version o (read under the key's lock); when o is
// the latest, the newest noncurrent version takes its place. o's blobs
// become garbage.
func (t *txn) removeVersion(ctx context.Context, o meta.Object) error {
	t.addGarbage(meta.UnusedBlobs(o.Segments, nil)...)
	bucket, key := []byte(o.Bucket), []byte(o.Key)
	if !o.IsLatest {
		if _, err := t.Exec(ctx, `DELETE FROM object_versions WHERE bucket = $1 AND key = $2 AND rank = $3`,
			bucket, key, meta.Rank(o.Seq)); err != nil {
			return errorf("postgres: delete version: %w", err)
		}
		return nil
	}
	var next versionRow
	err := t.QueryRow(ctx, `DELETE FROM object_versions WHERE bucket = $1 AND key = $2
		AND rank = (SELECT min(rank) FROM object_versions WHERE bucket = $1 AND key = $2)
		RETURNING rank, version_id, rec, segments`, bucket, key).Scan(&next.rank, &next.versionID, &next.rec, &next.segs)
	if errors.Is(err, pgx.ErrNoRows) {
		if _, err := t.Exec(ctx, `DELETE FROM objects WHERE bucket = $1 AND key = $2`, bucket, key); err != nil {
			return errorf("postgres: delete object: %w", err)
		}
		return nil
	}
	if err != nil {
		return errorf("postgres: promote version: %w", err)
	}
	var header meta.Object
	if err := decode(next.rec, &header); err != nil {
		return err
	}
	next.bucket, next.key, next.deleteMarker = bucket, key, header.DeleteMarker
	_, err = t.writeLatest(ctx, next, true)
	return err
}

// PutObject implements meta.Store.
func (s *Store) PutObject(ctx context.Context, obj meta.Object, check meta.CheckFunc) (meta.Object, []string, error) {
	segs := encodeSegments(obj.Segments) // once, whatever the retries
	var stored meta.Object
	garbage, err := s.write(ctx, func(t *txn) error {
		b, err := t.readBucket(ctx, obj.Bucket)
		if err != nil {
			return err
		}
		if b == nil {
			return notFound("bucket")
		}
		stored, _, err = t.putVersion(ctx, b, obj, segs, check)
		return err
	})
	if err != nil {
		return meta.Object{}, nil, err
	}
	return stored, garbage, nil
}

// GetObject implements meta.Store: one statement, so that a version
// moving between the tables meanwhile is seen in one place or the other.
func (s *Store) GetObject(ctx context.Context, bucket, key, versionID string) (meta.Object, error) {
	if err := ctxErr(ctx); err != nil {
		return meta.Object{}, err
	}
	if !validName(bucket) {
		return meta.Object{}, notFound("object")
	}
	b, k := []byte(bucket), []byte(key)
	var q query
	q.add(`SELECT true, rec, segments FROM objects WHERE bucket = ? AND key = ?`, b, k)
	if versionID != "" {
		q.add(` AND version_id = ?`, []byte(versionID))
		q.add(` UNION ALL SELECT false, rec, segments FROM object_versions WHERE bucket = ? AND key = ? AND `, b, k)
		if !q.addVersion(versionID) {
			return meta.Object{}, notFound("object")
		}
		q.add(` LIMIT 1`)
	}
	var latest bool
	var rec, segs []byte
	err := s.pool.QueryRow(ctx, q.sql.String(), q.args...).Scan(&latest, &rec, &segs)
	if errors.Is(err, pgx.ErrNoRows) {
		return meta.Object{}, notFound("object")
	}
	if err != nil {
		return meta.Object{}, errorf("postgres: get object: %w", err)
	}
	return decodeObject(bucket, key, rec, segs, latest)
}

// DeleteObject implements meta.Store. The bucket row is held FOR KEY SHARE
// throughout: a delete marker adds a record to the bucket, and the
// bucket's versioning decides what the delete does.
func (s *Store) DeleteObject(ctx context.Context, d meta.Deletion, check meta.CheckFunc) (meta.DeleteResult, []string, error) {
	var res meta.DeleteResult
	garbage, err := s.write(ctx, func(t *txn) error {
		res = meta.DeleteResult{}
		b, err := t.readBucket(ctx, d.Bucket)
		if err != nil {
			return err
		}
		if b == nil {
			return notFound("object")
		}
		if d.VersionID == "" && b.Versioning != "" {
			marker := meta.Object{Bucket: d.Bucket, Key: d.Key, DeleteMarker: true, LastModified: d.At, Owner: d.By}
			m, removed, err := t.putVersion(ctx, b, marker, nil, check)
			if err != nil {
				return err
			}
			res.Marker, res.Removed = &m, removed
			return nil
		}
		o, err := t.lockVersion(ctx, d.Bucket, d.Key, d.VersionID)
		if err != nil {
			return err
		}
		if o == nil {
			return notFound("object")
		}
		if check != nil {
			if err := check(o); err != nil {
				return err
			}
		}
		res.Removed = o
		return t.removeVersion(ctx, *o)
	})
	if err != nil {
		return meta.DeleteResult{}, nil, err
	}
	return res, garbage, nil
}

// UpdateObject implements meta.Store. Only the header is rewritten; the
// key's row lock serialises it with the key's other writers.
func (s *Store) UpdateObject(ctx context.Context, bucket, key, versionID string, fn func(*meta.Object) error) (meta.Object, error) {
	if !validName(bucket) {
		if err := ctxErr(ctx); err != nil {
			return meta.Object{}, err
		}
		return meta.Object{}, notFound("object")
	}
	var edited meta.Object
	_, err := s.write(ctx, func(t *txn) error {
		o, err := t.lockVersion(ctx, bucket, key, versionID)
		if err != nil {
			return err
		}
		if o == nil {
			return notFound("object")
		}
		edited = *o
		if err := fn(&edited); err != nil {
			return err
		}
		keepIdentity(&edited, o)
		r, err := newVersionRow(edited, nil)
		if err != nil {
			return err
		}
		if o.IsLatest {
			_, err = t.Exec(ctx, `UPDATE objects SET rec = $3 WHERE bucket = $1 AND key = $2`, r.bucket, r.key, r.rec)
		} else {
			_, err = t.Exec(ctx, `UPDATE object_versions SET rec = $4 WHERE bucket = $1 AND key = $2 AND rank = $3`,
				r.bucket, r.key, r.rank, r.rec)
		}
		if err != nil {
			return errorf("postgres: update version: %w", err)
		}
		return nil
	})
	if err != nil {
		return meta.Object{}, err
	}
	return edited, nil
}

// keepIdentity restores in edited what UpdateObject's fn may not change.
func keepIdentity(edited, o *meta.Object) {
	edited.Bucket, edited.Key, edited.VersionID, edited.Seq = o.Bucket, o.Key, o.VersionID, o.Seq
	edited.Segments, edited.Size, edited.DeleteMarker, edited.IsLatest = o.Segments, o.Size, o.DeleteMarker, o.IsLatest
}

// ListObjects implements meta.Store: one index range scan over
// [max(prefix, from), successor(prefix)) reading headers only, so the
// returned objects have nil Segments, and skipping delete markers by their
// column. A missing bucket lists as empty; limit <= 0 returns nothing.
func (s *Store) ListObjects(ctx context.Context, bucket, prefix, from string, limit int) ([]meta.Object, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if limit <= 0 || !validName(bucket) {
		return nil, nil
	}
	start := max(prefix, from)
	var q query
	q.add(`SELECT key, rec FROM objects WHERE bucket = ?`, []byte(bucket))
	q.add(` AND key >= ?`, []byte(start))
	// Without an upper bound the scan would walk past the prefix to the
	// end of the bucket (a filter does not stop an index scan; a bound does).
	if upper := successor(prefix); upper != nil {
		q.add(` AND key < ?`, upper)
	}
	q.add(` AND NOT delete_marker ORDER BY key LIMIT ?`, limit)
	rows, err := s.pool.Query(ctx, q.sql.String(), q.args...)
	if err != nil {
		return nil, errorf("postgres: list objects: %w", err)
	}
	var out []meta.Object
	var key, rec []byte
	_, err = pgx.ForEachRow(rows, []any{&key, &rec}, func() error {
		o, err := decodeObject(bucket, string(key), rec, nil, true)
		if err != nil {
			return err
		}
		out = append(out, o)
		return nil
	})
	if err != nil {
		return nil, errorf("postgres: list objects: %w", err)
	}
	return out, nil
}

// query builds a statement whose conditions depend on the arguments; each
// ? in a fragment becomes the next $n.
type query struct {
	sql  strings.Builder
	args []any
}

func (q *query) add(fragment string, args ...any) {
	for _, part := range strings.SplitAfter(fragment, "?") {
		if strings.HasSuffix(part, "?") {
			q.args = append(q.args, args[0])
			args = args[1:]
			fmt.Fprintf(&q.sql, "%s$%d", strings.TrimSuffix(part, "?"), len(q.args))
		} else {
			q.sql.WriteString(part)
		}
	}
}
