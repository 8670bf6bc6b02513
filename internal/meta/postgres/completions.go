package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tessera-s3/tessera/internal/meta"
)

// putCompletion records the result of completing uploadID with obj, for
// retried CompleteMultipartUpload requests. An upload ID is used once, but
// an old record of a reused ID is replaced rather than failing the commit.
func (t *txn) putCompletion(ctx context.Context, obj meta.Object, uploadID string) error {
	c := meta.CompletionOf(uploadID, obj)
	rec, err := encode(c)
	if err != nil {
		return err
	}
	if _, err := t.Exec(ctx, `INSERT INTO completions (upload_id, bucket, key, completed_ns, rec) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (upload_id) DO UPDATE
		SET bucket = EXCLUDED.bucket, key = EXCLUDED.key, completed_ns = EXCLUDED.completed_ns, rec = EXCLUDED.rec`,
		[]byte(uploadID), []byte(c.Bucket), []byte(c.Key), nanos(c.Completed), rec); err != nil {
		return errorf("postgres: record completion: %w", err)
	}
	return nil
}

// GetCompletion implements meta.Store.
func (s *Store) GetCompletion(ctx context.Context, bucket, key, uploadID string) (meta.Completion, error) {
	if err := ctxErr(ctx); err != nil {
		return meta.Completion{}, err
	}
	if !validName(uploadID) {
		return meta.Completion{}, notFound("completion")
	}
	var rec []byte
	err := s.pool.QueryRow(ctx, `SELECT rec FROM completions WHERE upload_id = $1 AND bucket = $2 AND key = $3`,
		[]byte(uploadID), []byte(bucket), []byte(key)).Scan(&rec)
	if errors.Is(err, pgx.ErrNoRows) {
		return meta.Completion{}, notFound("completion")
	}
	if err != nil {
		return meta.Completion{}, errorf("postgres: get completion: %w", err)
	}
	var c meta.Completion
	if err := decode(rec, &c); err != nil {
		return meta.Completion{}, err
	}
	c.UploadID, c.Bucket, c.Key = uploadID, bucket, key // the columns are exact
	return c, nil
}

// PruneCompletions implements meta.Store: one DELETE over the
// completed_ns index.
func (s *Store) PruneCompletions(ctx context.Context, before time.Time) (int, error) {
	if err := ctxErr(ctx); err != nil {
		return 0, err
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM completions WHERE completed_ns < $1`, nanos(before))
	if err != nil {
		return 0, errorf("postgres: prune completions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
