package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/tessera-s3/tessera/internal/meta"
)

// ListVersions implements meta.Store, as the Pebble store does: the
// remaining versions of afterKey (when the position names one of its
// versions), then the keys after it, each key's latest version followed by
// its noncurrent ones. Every statement is an index range scan from the
// position, so a page costs the same however many versions come before it.
// A page is read by up to two statements, each consistent in itself.
func (s *Store) ListVersions(ctx context.Context, bucket, prefix, afterKey, afterVersionID string, limit int) ([]meta.Object, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if limit <= 0 || !validName(bucket) {
		return nil, nil
	}
	var out []meta.Object
	var q query
	q.add(`SELECT key, rank, rec FROM objects WHERE bucket = ?`, []byte(bucket))
	if afterKey != "" && afterKey >= prefix {
		// Every version of afterKey is skipped, or those newer than the
		// named one.
		q.add(` AND key > ?`, []byte(afterKey))
		if afterVersionID != "" {
			rank, err := s.positionRank(ctx, bucket, afterKey, afterVersionID)
			if err != nil {
				return nil, err
			}
			if strings.HasPrefix(afterKey, prefix) {
				if out, err = s.keyVersions(ctx, bucket, afterKey, rank, limit); err != nil {
					return nil, err
				}
			}
		}
	} else {
		if afterVersionID != "" {
			if _, err := s.positionRank(ctx, bucket, afterKey, afterVersionID); err != nil {
				return nil, err
			}
		}
		q.add(` AND key >= ?`, []byte(prefix))
	}
	if len(out) >= limit {
		return out, nil
	}
	if upper := successor(prefix); upper != nil {
		q.add(` AND key < ?`, upper)
	}
	// The keys come from the objects index in order; each key's latest
	// (the smallest rank) and then its noncurrent versions from the
	// object_versions index. Both subqueries are bounded by the page, and
	// the sort only orders each key's rows (an Incremental Sort presorted
	// by key), so the statement stops as soon as the page is full.
	need := limit - len(out)
	q.add(` ORDER BY key LIMIT ?`, need)
	sql := `SELECT o.key, v.latest, v.rec FROM (` + q.sql.String() + `) o
		CROSS JOIN LATERAL (
			SELECT true AS latest, o.rank, o.rec
			UNION ALL
			(SELECT false, n.rank, n.rec FROM object_versions n
				WHERE n.bucket = $1 AND n.key = o.key ORDER BY n.rank LIMIT $` + fmt.Sprint(len(q.args)) + `)
		) v
		ORDER BY o.key, v.rank LIMIT $` + fmt.Sprint(len(q.args))
	rows, err := s.pool.Query(ctx, sql, q.args...)
	if err != nil {
		return nil, errorf("postgres: list versions: %w", err)
	}
	var key, rec []byte
	var latest bool
	_, err = pgx.ForEachRow(rows, []any{&key, &latest, &rec}, func() error {
		o, err := decodeObject(bucket, string(key), rec, nil, latest)
		if err != nil {
			return err
		}
		out = append(out, o)
		return nil
	})
	if err != nil {
		return nil, errorf("postgres: list versions: %w", err)
	}
	return out, nil
}

// positionRank returns the rank a ListVersions position names: the version
// ID's, or the null version's (ErrNotFound when the key has none, or for an
// ID not made by meta.NewVersionID).
func (s *Store) positionRank(ctx context.Context, bucket, key, versionID string) (int64, error) {
	if versionID != meta.NullVersion {
		seq, ok := meta.VersionSeq(versionID)
		if !ok {
			return 0, notFound("version")
		}
		return meta.Rank(seq), nil
	}
	var rank int64
	err := s.pool.QueryRow(ctx, `SELECT rank FROM objects WHERE bucket = $1 AND key = $2 AND version_id = 'null'
		UNION ALL
		SELECT rank FROM object_versions WHERE bucket = $1 AND key = $2 AND version_id = 'null'
		LIMIT 1`, []byte(bucket), []byte(key)).Scan(&rank)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, notFound("version")
	}
	if err != nil {
		return 0, errorf("postgres: list versions: %w", err)
	}
	return rank, nil
}

// keyVersions returns up to limit versions of key older than the position
// rank (ranks above it), newest first, without Segments.
func (s *Store) keyVersions(ctx context.Context, bucket, key string, rank int64, limit int) ([]meta.Object, error) {
	if rank == math.MaxInt64 {
		return nil, nil // nothing is older than Seq 0
	}
	rows, err := s.pool.Query(ctx, `SELECT latest, rec FROM (
			SELECT true AS latest, rank, rec FROM objects WHERE bucket = $1 AND key = $2 AND rank > $3
			UNION ALL
			(SELECT false, rank, rec FROM object_versions WHERE bucket = $1 AND key = $2 AND rank > $3
				ORDER BY rank LIMIT $4)
		) v ORDER BY rank LIMIT $4`, []byte(bucket), []byte(key), rank, limit)
	if err != nil {
		return nil, errorf("postgres: list versions: %w", err)
	}
	var out []meta.Object
	var latest bool
	var rec []byte
	_, err = pgx.ForEachRow(rows, []any{&latest, &rec}, func() error {
		o, err := decodeObject(bucket, key, rec, nil, latest)
		if err != nil {
			return err
		}
		out = append(out, o)
		return nil
	})
	if err != nil {
		return nil, errorf("postgres: list versions: %w", err)
	}
	return out, nil
}
