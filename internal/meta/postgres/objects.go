package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/tessera-s3/tessera/internal/meta"
)

// maxLookups bounds the look-again loop of replaceObject and PutPart. Each
// turn means a concurrent writer created the row and another removed it in
// between; a bound turns a livelock into an error.
const maxLookups = 100

// encodedObject is an object as stored: the header without the manifest,
// and the manifest.
type encodedObject struct {
	bucket, key []byte
	rec, segs   []byte
	segments    []meta.Segment
}

func encodeObject(obj meta.Object) (*encodedObject, error) {
	segs := encodeSegments(obj.Segments)
	header := obj
	header.Segments = nil
	rec, err := encode(header)
	if err != nil {
		return nil, err
	}
	return &encodedObject{bucket: []byte(obj.Bucket), key: []byte(obj.Key), rec: rec, segs: segs, segments: obj.Segments}, nil
}

// decodeObject rebuilds an object from its columns. The bucket and key
// columns are authoritative: JSON replaces invalid UTF-8, bytea does not.
func decodeObject(bucket, key string, rec, segs []byte) (meta.Object, error) {
	var o meta.Object
	if err := decode(rec, &o); err != nil {
		return meta.Object{}, err
	}
	o.Bucket, o.Key = bucket, key
	var err error
	if o.Segments, err = decodeSegments(segs); err != nil {
		return meta.Object{}, err
	}
	return o, nil
}

// lockObject returns the current object of (bucket, key) with its
// Segments, its row locked until the transaction ends; nil, with nothing
// locked, if the key has none.
func (t *txn) lockObject(ctx context.Context, bucket, key string) (*meta.Object, error) {
	var rec, segs []byte
	err := t.QueryRow(ctx, `SELECT rec, segments FROM objects WHERE bucket = $1 AND key = $2 FOR UPDATE`,
		[]byte(bucket), []byte(key)).Scan(&rec, &segs)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: lock object: %w", err)
	}
	o, err := decodeObject(bucket, key, rec, segs)
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// replaceObject makes obj the current object of its key once check (if
// any) accepts the current one; the replaced object's blobs that obj does
// not reuse become garbage. The caller holds the bucket row.
func (t *txn) replaceObject(ctx context.Context, obj *encodedObject, check meta.CheckFunc) error {
	for range maxLookups {
		cur, err := t.lockObject(ctx, string(obj.bucket), string(obj.key))
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(cur); err != nil {
				return err
			}
		}
		if cur != nil {
			if _, err := t.Exec(ctx, `UPDATE objects SET rec = $3, segments = $4 WHERE bucket = $1 AND key = $2`,
				obj.bucket, obj.key, obj.rec, obj.segs); err != nil {
				return fmt.Errorf("postgres: update object: %w", err)
			}
			t.addGarbage(meta.UnusedBlobs(cur.Segments, obj.segments)...)
			return nil
		}
		// No row to lock: the insert itself decides a race with a
		// concurrent creator, waiting for it to commit or roll back.
		tag, err := t.Exec(ctx, `INSERT INTO objects (bucket, key, rec, segments) VALUES ($1, $2, $3, $4)
			ON CONFLICT (bucket, key) DO NOTHING`, obj.bucket, obj.key, obj.rec, obj.segs)
		if err != nil {
			return fmt.Errorf("postgres: insert object: %w", err)
		}
		if tag.RowsAffected() == 1 {
			return nil
		}
		// Another writer created the key first: look again, and let check
		// judge what is current now.
	}
	return fmt.Errorf("postgres: object %q in %q keeps changing under the writer", obj.key, obj.bucket)
}

// PutObject implements meta.Store.
func (s *Store) PutObject(ctx context.Context, obj meta.Object, check meta.CheckFunc) ([]string, error) {
	enc, err := encodeObject(obj)
	if err != nil {
		return nil, err
	}
	return s.write(ctx, func(t *txn) error {
		ok, err := t.lockBucket(ctx, obj.Bucket)
		if err != nil {
			return err
		}
		if !ok {
			return notFound("bucket")
		}
		return t.replaceObject(ctx, enc, check)
	})
}

// GetObject implements meta.Store.
func (s *Store) GetObject(ctx context.Context, bucket, key string) (meta.Object, error) {
	if err := ctxErr(ctx); err != nil {
		return meta.Object{}, err
	}
	if !validName(bucket) {
		return meta.Object{}, notFound("object")
	}
	var rec, segs []byte
	err := s.pool.QueryRow(ctx, `SELECT rec, segments FROM objects WHERE bucket = $1 AND key = $2`,
		[]byte(bucket), []byte(key)).Scan(&rec, &segs)
	if errors.Is(err, pgx.ErrNoRows) {
		return meta.Object{}, notFound("object")
	}
	if err != nil {
		return meta.Object{}, fmt.Errorf("postgres: get object: %w", err)
	}
	return decodeObject(bucket, key, rec, segs)
}

// DeleteObject implements meta.Store.
func (s *Store) DeleteObject(ctx context.Context, bucket, key string, check meta.CheckFunc) ([]string, error) {
	if !validName(bucket) {
		if err := ctxErr(ctx); err != nil {
			return nil, err
		}
		return nil, notFound("object")
	}
	return s.write(ctx, func(t *txn) error {
		cur, err := t.lockObject(ctx, bucket, key)
		if err != nil {
			return err
		}
		if cur == nil {
			return notFound("object")
		}
		if check != nil {
			if err := check(cur); err != nil {
				return err
			}
		}
		if _, err := t.Exec(ctx, `DELETE FROM objects WHERE bucket = $1 AND key = $2`, []byte(bucket), []byte(key)); err != nil {
			return fmt.Errorf("postgres: delete object: %w", err)
		}
		t.addGarbage(meta.UnusedBlobs(cur.Segments, nil)...)
		return nil
	})
}

// ListObjects implements meta.Store: one index range scan over
// [max(prefix, from), successor(prefix)) reading headers only, so the
// returned objects have nil Segments. A missing bucket lists as empty;
// limit <= 0 returns nothing.
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
	q.add(` ORDER BY key LIMIT ?`, limit)
	rows, err := s.pool.Query(ctx, q.sql.String(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list objects: %w", err)
	}
	var out []meta.Object
	var key, rec []byte
	_, err = pgx.ForEachRow(rows, []any{&key, &rec}, func() error {
		o, err := decodeObject(bucket, string(key), rec, nil)
		if err != nil {
			return err
		}
		out = append(out, o)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list objects: %w", err)
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
