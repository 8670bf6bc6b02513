package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/tessera-s3/tessera/internal/meta"
)

// CreateBucket implements meta.Store. Names containing a NUL byte are
// rejected, as by the Pebble store.
func (s *Store) CreateBucket(ctx context.Context, b meta.Bucket) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if !validName(b.Name) {
		return errBadBucketName
	}
	rec, err := encode(b)
	if err != nil {
		return err
	}
	// One statement: the primary key decides a race between creators.
	tag, err := s.pool.Exec(ctx, `INSERT INTO buckets (name, rec) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		[]byte(b.Name), rec)
	if err != nil {
		return diskFull(fmt.Errorf("postgres: create bucket: %w", err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: bucket %q: %w", b.Name, meta.ErrBucketExists)
	}
	return nil
}

// GetBucket implements meta.Store.
func (s *Store) GetBucket(ctx context.Context, name string) (meta.Bucket, error) {
	if err := ctxErr(ctx); err != nil {
		return meta.Bucket{}, err
	}
	if !validName(name) {
		return meta.Bucket{}, notFound("bucket")
	}
	var rec []byte
	err := s.pool.QueryRow(ctx, `SELECT rec FROM buckets WHERE name = $1`, []byte(name)).Scan(&rec)
	if errors.Is(err, pgx.ErrNoRows) {
		return meta.Bucket{}, notFound("bucket")
	}
	if err != nil {
		return meta.Bucket{}, fmt.Errorf("postgres: get bucket: %w", err)
	}
	var b meta.Bucket
	if err := decode(rec, &b); err != nil {
		return meta.Bucket{}, err
	}
	b.Name = name // the key column is exact; JSON may not be (invalid UTF-8)
	return b, nil
}

// UpdateBucket implements meta.Store. The bucket row is held FOR UPDATE,
// which waits for every writer holding it FOR KEY SHARE: a write reads the
// bucket's versioning once, and the change waits for the writes that read
// the old one (as the Pebble store's exclusive bucket lock does).
func (s *Store) UpdateBucket(ctx context.Context, name string, fn func(*meta.Bucket) error) error {
	if !validName(name) {
		if err := ctxErr(ctx); err != nil {
			return err
		}
		return notFound("bucket")
	}
	_, err := s.write(ctx, func(t *txn) error {
		var rec []byte
		err := t.QueryRow(ctx, `SELECT rec FROM buckets WHERE name = $1 FOR UPDATE`, []byte(name)).Scan(&rec)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("bucket")
		}
		if err != nil {
			return fmt.Errorf("postgres: update bucket: lock: %w", err)
		}
		var b meta.Bucket
		if err := decode(rec, &b); err != nil {
			return err
		}
		b.Name = name
		if err := fn(&b); err != nil {
			return err
		}
		b.Name = name
		if rec, err = encode(b); err != nil {
			return err
		}
		if _, err := t.Exec(ctx, `UPDATE buckets SET rec = $2 WHERE name = $1`, []byte(name), rec); err != nil {
			return fmt.Errorf("postgres: update bucket: %w", err)
		}
		return nil
	})
	return err
}

// readBucket returns the bucket record with its row held FOR KEY SHARE
// (see the package comment), or nil if there is none.
func (t *txn) readBucket(ctx context.Context, name string) (*meta.Bucket, error) {
	if !validName(name) {
		return nil, nil
	}
	var rec []byte
	err := t.QueryRow(ctx, `SELECT rec FROM buckets WHERE name = $1 FOR KEY SHARE`, []byte(name)).Scan(&rec)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: lock bucket: %w", err)
	}
	var b meta.Bucket
	if err := decode(rec, &b); err != nil {
		return nil, err
	}
	b.Name = name
	return &b, nil
}

// ListBuckets implements meta.Store.
func (s *Store) ListBuckets(ctx context.Context) ([]meta.Bucket, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT name, rec FROM buckets ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list buckets: %w", err)
	}
	var out []meta.Bucket
	var name, rec []byte
	_, err = pgx.ForEachRow(rows, []any{&name, &rec}, func() error {
		var b meta.Bucket
		if err := decode(rec, &b); err != nil {
			return err
		}
		b.Name = string(name)
		out = append(out, b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list buckets: %w", err)
	}
	return out, nil
}

// DeleteBucket implements meta.Store. In-progress uploads do not keep a
// bucket alive (S3 deletes a general-purpose bucket with uploads in
// progress): they are deleted in the same transaction and their part blobs
// become garbage. Completions stay until pruned, as in the Pebble store.
func (s *Store) DeleteBucket(ctx context.Context, name string) ([]string, error) {
	if !validName(name) {
		if err := ctxErr(ctx); err != nil {
			return nil, err
		}
		return nil, notFound("bucket")
	}
	bname := []byte(name)
	return s.write(ctx, func(t *txn) error {
		// FOR UPDATE waits for every writer holding the bucket FOR KEY
		// SHARE, and keeps new ones out until the commit; after it, they
		// find no bucket.
		var found bool
		err := t.QueryRow(ctx, `SELECT true FROM buckets WHERE name = $1 FOR UPDATE`, bname).Scan(&found)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("bucket")
		}
		if err != nil {
			return fmt.Errorf("postgres: delete bucket: lock: %w", err)
		}
		// A new statement, so it sees the objects of the writers just waited for.
		var nonEmpty bool
		if err := t.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM objects WHERE bucket = $1)`, bname).Scan(&nonEmpty); err != nil {
			return fmt.Errorf("postgres: delete bucket: %w", err)
		}
		if nonEmpty {
			return fmt.Errorf("postgres: bucket %q: %w", name, meta.ErrBucketNotEmpty)
		}
		// Lock the uploads (waiting for PutParts in flight), then, in
		// later statements, delete their parts and them.
		rows, err := t.Query(ctx, `SELECT id FROM uploads WHERE bucket = $1 ORDER BY id FOR UPDATE`, bname)
		if err != nil {
			return fmt.Errorf("postgres: delete bucket: lock uploads: %w", err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
		if err != nil {
			return fmt.Errorf("postgres: delete bucket: lock uploads: %w", err)
		}
		if len(ids) > 0 {
			blobs, err := t.deleteParts(ctx, `DELETE FROM parts WHERE upload_id = ANY($1) RETURNING blob_id`, ids)
			if err != nil {
				return err
			}
			t.addGarbage(blobs...)
			if _, err := t.Exec(ctx, `DELETE FROM uploads WHERE bucket = $1`, bname); err != nil {
				return fmt.Errorf("postgres: delete bucket: uploads: %w", err)
			}
		}
		if _, err := t.Exec(ctx, `DELETE FROM bucket_configs WHERE bucket = $1`, bname); err != nil {
			return fmt.Errorf("postgres: delete bucket: configs: %w", err)
		}
		if _, err := t.Exec(ctx, `DELETE FROM buckets WHERE name = $1`, bname); err != nil {
			return fmt.Errorf("postgres: delete bucket: %w", err)
		}
		return nil
	})
}

// deleteParts runs a DELETE … RETURNING blob_id and returns the blob IDs.
func (t *txn) deleteParts(ctx context.Context, sql string, args ...any) ([]string, error) {
	rows, err := t.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: delete parts: %w", err)
	}
	blobs, err := pgx.CollectRows(rows, scanString)
	if err != nil {
		return nil, fmt.Errorf("postgres: delete parts: %w", err)
	}
	return blobs, nil
}
