package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/tessera-s3/tessera/internal/meta"
)

// notNil makes a document non-NULL: the doc columns are NOT NULL, and an
// empty document is still a document.
func notNil(doc []byte) []byte {
	if doc == nil {
		return []byte{}
	}
	return doc
}

// getBytes returns the one bytea column of the row q finds, or ErrNotFound.
func (s *Store) getBytes(ctx context.Context, what, sql string, args ...any) ([]byte, error) {
	var v []byte
	err := s.pool.QueryRow(ctx, sql, args...).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound(what)
	}
	if err != nil {
		return nil, errorf("postgres: get %s: %w", what, err)
	}
	return v, nil
}

// exec runs one statement outside any transaction.
func (s *Store) exec(ctx context.Context, what, sql string, args ...any) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, sql, args...); err != nil {
		return errorf("postgres: %s: %w", what, err)
	}
	return nil
}

// PutDoc implements meta.Store. As in the Pebble store, an empty or
// NUL-containing kind or an empty ID is reported as ErrNotFound.
func (s *Store) PutDoc(ctx context.Context, kind, id string, doc []byte) error {
	if !validName(kind) || id == "" {
		if err := ctxErr(ctx); err != nil {
			return err
		}
		return notFound("document")
	}
	return s.exec(ctx, "put document", `INSERT INTO docs (kind, id, doc) VALUES ($1, $2, $3)
		ON CONFLICT (kind, id) DO UPDATE SET doc = EXCLUDED.doc`, []byte(kind), []byte(id), notNil(doc))
}

// GetDoc implements meta.Store.
func (s *Store) GetDoc(ctx context.Context, kind, id string) ([]byte, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if !validName(kind) || id == "" {
		return nil, notFound("document")
	}
	return s.getBytes(ctx, "document", `SELECT doc FROM docs WHERE kind = $1 AND id = $2`, []byte(kind), []byte(id))
}

// ListDocs implements meta.Store.
func (s *Store) ListDocs(ctx context.Context, kind string) ([]meta.Doc, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if !validName(kind) {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT id, doc FROM docs WHERE kind = $1 ORDER BY id`, []byte(kind))
	if err != nil {
		return nil, errorf("postgres: list documents: %w", err)
	}
	var out []meta.Doc
	var id, doc []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &doc}, func() error {
		out = append(out, meta.Doc{ID: string(id), Data: doc}) // pgx scans into a fresh slice
		return nil
	})
	if err != nil {
		return nil, errorf("postgres: list documents: %w", err)
	}
	return out, nil
}

// DeleteDoc implements meta.Store.
func (s *Store) DeleteDoc(ctx context.Context, kind, id string) error {
	if !validName(kind) || id == "" {
		return ctxErr(ctx)
	}
	return s.exec(ctx, "delete document", `DELETE FROM docs WHERE kind = $1 AND id = $2`, []byte(kind), []byte(id))
}

// PutBucketConfig implements meta.Store. The INSERT reads the bucket row
// FOR KEY SHARE, so it cannot race DeleteBucket: it either commits before
// DeleteBucket removes the bucket's configurations, or finds no bucket.
func (s *Store) PutBucketConfig(ctx context.Context, bucket, name string, doc []byte) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if !validName(bucket) || name == "" {
		return notFound("bucket")
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO bucket_configs (bucket, name, doc)
		SELECT name, $2, $3 FROM buckets WHERE name = $1 FOR KEY SHARE
		ON CONFLICT (bucket, name) DO UPDATE SET doc = EXCLUDED.doc`, []byte(bucket), []byte(name), notNil(doc))
	if err != nil {
		return errorf("postgres: put bucket config: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("bucket")
	}
	return nil
}

// GetBucketConfig implements meta.Store.
func (s *Store) GetBucketConfig(ctx context.Context, bucket, name string) ([]byte, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if !validName(bucket) || name == "" {
		return nil, notFound("bucket config")
	}
	return s.getBytes(ctx, "bucket config", `SELECT doc FROM bucket_configs WHERE bucket = $1 AND name = $2`,
		[]byte(bucket), []byte(name))
}

// GetBucketConfigs implements meta.Store in one query: the bucket row
// joined to those of its documents that are named (no row: no bucket).
func (s *Store) GetBucketConfigs(ctx context.Context, bucket string, names ...string) (meta.Bucket, map[string][]byte, error) {
	if err := ctxErr(ctx); err != nil {
		return meta.Bucket{}, nil, err
	}
	if !validName(bucket) {
		return meta.Bucket{}, nil, notFound("bucket")
	}
	keys := make([][]byte, 0, len(names))
	for _, n := range names {
		keys = append(keys, []byte(n))
	}
	rows, err := s.pool.Query(ctx, `SELECT b.rec, c.name, c.doc FROM buckets b
		LEFT JOIN bucket_configs c ON c.bucket = b.name AND c.name = ANY($2)
		WHERE b.name = $1`, []byte(bucket), keys)
	if err != nil {
		return meta.Bucket{}, nil, errorf("postgres: get bucket configs: %w", err)
	}
	defer rows.Close()
	var rec []byte
	docs := make(map[string][]byte, len(names))
	for rows.Next() {
		var name, doc []byte
		if err := rows.Scan(&rec, &name, &doc); err != nil {
			return meta.Bucket{}, nil, errorf("postgres: get bucket configs: %w", err)
		}
		if name != nil {
			docs[string(name)] = notNil(doc)
		}
	}
	if err := rows.Err(); err != nil {
		return meta.Bucket{}, nil, errorf("postgres: get bucket configs: %w", err)
	}
	if rec == nil {
		return meta.Bucket{}, nil, notFound("bucket")
	}
	var b meta.Bucket
	if err := decode(rec, &b); err != nil {
		return meta.Bucket{}, nil, err
	}
	b.Name = bucket // the key column is exact; JSON may not be (invalid UTF-8)
	return b, docs, nil
}

// DeleteBucketConfig implements meta.Store.
func (s *Store) DeleteBucketConfig(ctx context.Context, bucket, name string) error {
	if !validName(bucket) || name == "" {
		return ctxErr(ctx)
	}
	return s.exec(ctx, "delete bucket config", `DELETE FROM bucket_configs WHERE bucket = $1 AND name = $2`,
		[]byte(bucket), []byte(name))
}
