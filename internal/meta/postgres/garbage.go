package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// Garbage implements meta.Store; IDs come back in byte order. limit <= 0
// returns nothing.
func (s *Store) Garbage(ctx context.Context, limit int) ([]string, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT blob_id FROM garbage ORDER BY blob_id LIMIT $1`, limit)
	if err != nil {
		return nil, errorf("postgres: garbage: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanString)
	if err != nil {
		return nil, errorf("postgres: garbage: %w", err)
	}
	return out, nil
}

// DeleteGarbage implements meta.Store; unknown IDs are ignored.
func (s *Store) DeleteGarbage(ctx context.Context, ids []string) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM garbage WHERE blob_id = ANY($1)`, byteSlices(ids)); err != nil {
		return errorf("postgres: delete garbage: %w", err)
	}
	return nil
}

// ForEachBlobRef implements meta.Store: one REPEATABLE READ transaction
// reads the manifests of every version, parts and garbage from one snapshot, so a blob moving
// from a part to a manifest or to the garbage list meanwhile is not missed.
// fn is called while rows stream in; it must not block for long.
func (s *Store) ForEachBlobRef(ctx context.Context, fn func(blobID string)) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return errorf("postgres: blob refs: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()

	// DriverBytes: the manifest is decoded before the next row replaces it.
	var manifest pgtype.DriverBytes
	for _, table := range []string{"objects", "object_versions"} {
		if err := forEach(ctx, tx, `SELECT segments FROM `+table+` WHERE segments IS NOT NULL`, &manifest, func() error {
			segs, err := decodeSegments(manifest)
			if err != nil {
				return err
			}
			for _, sg := range segs {
				fn(sg.BlobID)
			}
			return nil
		}); err != nil {
			return err
		}
	}
	var id []byte
	for _, q := range []string{`SELECT blob_id FROM parts`, `SELECT blob_id FROM garbage`} {
		if err := forEach(ctx, tx, q, &id, func() error {
			fn(string(id))
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// forEach scans each row of a one-column query into dst and calls fn.
func forEach(ctx context.Context, tx pgx.Tx, sql string, dst any, fn func() error) error {
	rows, err := tx.Query(ctx, sql)
	if err != nil {
		return errorf("postgres: blob refs: %w", err)
	}
	if _, err := pgx.ForEachRow(rows, []any{dst}, fn); err != nil {
		return errorf("postgres: blob refs: %w", err)
	}
	return nil
}

// scanString reads a one-column bytea row as a string.
func scanString(r pgx.CollectableRow) (string, error) {
	var b []byte
	err := r.Scan(&b)
	return string(b), err
}
