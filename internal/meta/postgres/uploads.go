package postgres

import (
	"context"
	"errors"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tessera-s3/tessera/internal/meta"
)

// maxPartNumber is the largest part number accepted, as in the Pebble store
// (whose key encoding holds 32 bits).
const maxPartNumber = 1<<32 - 1

// querier is what the pool and a transaction have in common.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Row-lock clauses for readUpload.
const (
	noLock     = ""
	shareLock  = " FOR KEY SHARE" // keeps the upload from being deleted
	updateLock = " FOR UPDATE"    // before deleting it
)

// readUpload returns the upload with that ID if it belongs to (bucket,
// key), nil if there is none, locking its row as lock says.
func readUpload(ctx context.Context, q querier, bucket, key, uploadID, lock string) (*meta.Upload, error) {
	if !validName(uploadID) {
		return nil, nil
	}
	return scanUpload(q.QueryRow(ctx, selectUpload+lock, []byte(uploadID), []byte(bucket), []byte(key)), bucket, key, uploadID)
}

// selectUpload reads one upload ($1 ID, $2 bucket, $3 key).
const selectUpload = `SELECT rec FROM uploads WHERE id = $1 AND bucket = $2 AND key = $3`

// scanUpload decodes selectUpload's row: nil if there is none.
func scanUpload(row pgx.Row, bucket, key, uploadID string) (*meta.Upload, error) {
	var rec []byte
	err := row.Scan(&rec)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, errorf("postgres: read upload: %w", err)
	}
	var u meta.Upload
	if err := decode(rec, &u); err != nil {
		return nil, err
	}
	u.ID, u.Bucket, u.Key = uploadID, bucket, key // the columns are exact
	return &u, nil
}

// CreateUpload implements meta.Store. The upload ID must be non-empty,
// NUL-free and unused; the caller generates it.
func (s *Store) CreateUpload(ctx context.Context, u meta.Upload) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if !validName(u.ID) {
		return errBadUploadID
	}
	rec, err := encode(u)
	if err != nil {
		return err
	}
	_, err = s.write(ctx, func(t *txn) error {
		ok, err := t.lockBucket(ctx, u.Bucket)
		if err != nil {
			return err
		}
		if !ok {
			return notFound("bucket")
		}
		tag, err := t.Exec(ctx, `INSERT INTO uploads (id, bucket, key, initiated_ns, rec) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (id) DO NOTHING`, []byte(u.ID), []byte(u.Bucket), []byte(u.Key), nanos(u.Initiated), rec)
		if err != nil {
			return errorf("postgres: create upload: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return errorf("postgres: upload ID %q already in use", u.ID)
		}
		return nil
	})
	return err
}

// GetUpload implements meta.Store.
func (s *Store) GetUpload(ctx context.Context, bucket, key, uploadID string) (meta.Upload, error) {
	if err := ctxErr(ctx); err != nil {
		return meta.Upload{}, err
	}
	u, err := readUpload(ctx, s.pool, bucket, key, uploadID, noLock)
	if err != nil {
		return meta.Upload{}, err
	}
	if u == nil {
		return meta.Upload{}, notFound("upload")
	}
	return *u, nil
}

// PutPart implements meta.Store. Part numbers must lie in [0, 2^32-1].
// Parts of one upload are written in parallel: the upload row is only
// share-locked, and racing writers of one part number meet on its row.
func (s *Store) PutPart(ctx context.Context, bucket, key string, p meta.Part) ([]string, error) {
	if p.Number < 0 || p.Number > maxPartNumber {
		return nil, errorf("postgres: part number %d out of range", p.Number)
	}
	rec := encodePart(&p)
	id, blob := []byte(p.UploadID), []byte(p.BlobID)
	return s.write(ctx, func(t *txn) error {
		u, err := readUpload(ctx, t, bucket, key, p.UploadID, shareLock)
		if err != nil {
			return err
		}
		if u == nil {
			return notFound("upload")
		}
		for range maxLookups {
			var old []byte
			err := t.QueryRow(ctx, `SELECT blob_id FROM parts WHERE upload_id = $1 AND number = $2 FOR UPDATE`,
				id, p.Number).Scan(&old)
			switch {
			case err == nil:
				// Locked: no one else can replace it before the commit,
				// so old is returned as garbage exactly once.
				if _, err := t.Exec(ctx, `UPDATE parts SET blob_id = $3, rec = $4 WHERE upload_id = $1 AND number = $2`,
					id, p.Number, blob, rec); err != nil {
					return errorf("postgres: update part: %w", err)
				}
				if string(old) != p.BlobID {
					t.addGarbage(string(old))
				}
				return nil
			case !errors.Is(err, pgx.ErrNoRows):
				return errorf("postgres: lock part: %w", err)
			}
			tag, err := t.Exec(ctx, `INSERT INTO parts (upload_id, number, blob_id, rec) VALUES ($1, $2, $3, $4)
				ON CONFLICT (upload_id, number) DO NOTHING`, id, p.Number, blob, rec)
			if err != nil {
				return errorf("postgres: insert part: %w", err)
			}
			if tag.RowsAffected() == 1 {
				return nil
			}
			// A racing writer inserted the part first: replace theirs.
		}
		return errorf("postgres: part %d of upload %q keeps changing under the writer", p.Number, p.UploadID)
	})
}

// ListParts implements meta.Store: an index range scan from part after+1.
// It does not check that the upload exists; an unknown ID has no parts.
// limit <= 0 returns nothing.
func (s *Store) ListParts(ctx context.Context, uploadID string, after, limit int) ([]meta.Part, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if !validName(uploadID) || limit <= 0 || after >= maxPartNumber {
		return nil, nil
	}
	return readParts(ctx, s.pool, uploadID, max(after+1, 0), limit)
}

// readParts returns up to limit (< 0: all) parts numbered >= from, ascending.
// Only rec is read: it holds the whole part, upload ID and number included
// (PutPart writes the columns from the same meta.Part).
func readParts(ctx context.Context, q querier, uploadID string, from, limit int) ([]meta.Part, error) {
	rows, err := q.Query(ctx, selectParts, partsArgs(uploadID, from, limit)...)
	if err != nil {
		return nil, errorf("postgres: list parts: %w", err)
	}
	return scanParts(rows, limit)
}

// selectParts reads an upload's parts ($1) numbered >= $2, at most $3.
const selectParts = `SELECT rec FROM parts WHERE upload_id = $1 AND number >= $2 ORDER BY number LIMIT $3`

func partsArgs(uploadID string, from, limit int) []any {
	var lim *int // NULL: LIMIT ALL
	if limit >= 0 {
		lim = &limit
	}
	return []any{[]byte(uploadID), from, lim}
}

// scanParts decodes selectParts' rows (limit as readParts's, to size the
// result).
func scanParts(rows pgx.Rows, limit int) ([]meta.Part, error) {
	out := make([]meta.Part, 0, min(uint(limit), 1024)) // as uint, limit < 0 (all) is huge
	// DriverBytes: no copy of the row; the decoder copies what it keeps
	// before the next row overwrites it.
	var rec pgtype.DriverBytes
	_, err := pgx.ForEachRow(rows, []any{&rec}, func() error {
		if len(out) == cap(out) {
			// Double: append grows large slices by only 1.25×, which
			// for Complete's 10,000 parts allocates five times the result.
			out = slices.Grow(out, len(out))
		}
		out = append(out, meta.Part{})
		return decodePart(rec, &out[len(out)-1])
	})
	if err != nil {
		return nil, errorf("postgres: list parts: %w", err)
	}
	if len(out) == 0 {
		return nil, nil // nil, as the Pebble store returns
	}
	return out, nil
}

// UploadParts implements meta.Store: both statements go in one batch, one
// round trip (ListParts' page is read after the upload, as two calls
// would; a part written in between is as if written after).
func (s *Store) UploadParts(ctx context.Context, bucket, key, uploadID string, after, limit int) (meta.Upload, []meta.Part, error) {
	if err := ctxErr(ctx); err != nil {
		return meta.Upload{}, nil, err
	}
	if !validName(uploadID) {
		return meta.Upload{}, nil, notFound("upload")
	}
	if limit <= 0 || after >= maxPartNumber {
		u, err := s.GetUpload(ctx, bucket, key, uploadID)
		return u, nil, err
	}
	b := &pgx.Batch{}
	b.Queue(selectUpload, []byte(uploadID), []byte(bucket), []byte(key))
	b.Queue(selectParts, partsArgs(uploadID, max(after+1, 0), limit)...)
	br := s.pool.SendBatch(ctx, b)
	defer br.Close()
	u, err := scanUpload(br.QueryRow(), bucket, key, uploadID)
	if err != nil {
		return meta.Upload{}, nil, err
	}
	if u == nil {
		return meta.Upload{}, nil, notFound("upload")
	}
	rows, err := br.Query()
	if err != nil {
		return meta.Upload{}, nil, errorf("postgres: list parts: %w", err)
	}
	parts, err := scanParts(rows, limit)
	if err != nil {
		return meta.Upload{}, nil, err
	}
	if err := br.Close(); err != nil {
		return meta.Upload{}, nil, errorf("postgres: list parts: %w", err)
	}
	return *u, parts, nil
}

// CompleteUpload implements meta.Store. The built object's Bucket and Key
// are forced to bucket and key; it is stored as PutObject stores, its
// version following the bucket's versioning. Part blobs the object's
// Segments do not use become garbage, as do the replaced version's blobs.
// The store has no clock, so the Completion's Completed time is the built
// object's LastModified.
//
// Locks: the bucket (so DeleteBucket cannot pass between the object's
// insert and the commit), the upload FOR UPDATE (waiting for PutParts in
// flight; later ones find no upload), then the key.
func (s *Store) CompleteUpload(ctx context.Context, bucket, key, uploadID string, build meta.BuildFunc, check meta.CheckFunc) (meta.Object, []string, error) {
	var obj meta.Object
	garbage, err := s.write(ctx, func(t *txn) error {
		b, err := t.readBucket(ctx, bucket)
		if err != nil {
			return err
		}
		if b == nil { // its uploads went with it
			return notFound("upload")
		}
		u, err := readUpload(ctx, t, bucket, key, uploadID, updateLock)
		if err != nil {
			return err
		}
		if u == nil {
			return notFound("upload")
		}
		parts, err := readParts(ctx, t, uploadID, 0, -1)
		if err != nil {
			return err
		}
		if obj, err = build(*u, parts); err != nil {
			return err
		}
		obj.Bucket, obj.Key = bucket, key
		if obj, _, err = t.putVersion(ctx, b, obj, encodeSegments(obj.Segments), check); err != nil {
			return err
		}
		if _, err := t.Exec(ctx, `DELETE FROM parts WHERE upload_id = $1`, []byte(uploadID)); err != nil {
			return errorf("postgres: complete: delete parts: %w", err)
		}
		if _, err := t.Exec(ctx, `DELETE FROM uploads WHERE id = $1`, []byte(uploadID)); err != nil {
			return errorf("postgres: complete: delete upload: %w", err)
		}
		partSegs := make([]meta.Segment, len(parts))
		for i, p := range parts {
			partSegs[i] = meta.Segment{BlobID: p.BlobID}
		}
		t.addGarbage(meta.UnusedBlobs(partSegs, obj.Segments)...)
		return t.putCompletion(ctx, obj, uploadID)
	})
	if err != nil {
		return meta.Object{}, nil, err
	}
	return obj, garbage, nil
}

// AbortUpload implements meta.Store.
func (s *Store) AbortUpload(ctx context.Context, bucket, key, uploadID string) ([]string, error) {
	return s.write(ctx, func(t *txn) error {
		// Lock first, delete after: a DELETE … RETURNING in the same
		// statement would run on a snapshot taken before the PutParts it
		// waited for had committed, and miss their parts.
		u, err := readUpload(ctx, t, bucket, key, uploadID, updateLock)
		if err != nil {
			return err
		}
		if u == nil {
			return notFound("upload")
		}
		blobs, err := t.deleteParts(ctx, `DELETE FROM parts WHERE upload_id = $1 RETURNING blob_id`, []byte(uploadID))
		if err != nil {
			return err
		}
		t.addGarbage(blobs...)
		if _, err := t.Exec(ctx, `DELETE FROM uploads WHERE id = $1`, []byte(uploadID)); err != nil {
			return errorf("postgres: abort: delete upload: %w", err)
		}
		return nil
	})
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
	var q query
	q.add(`SELECT id, key, rec FROM uploads WHERE bucket = ?`, []byte(bucket))
	if prefix != "" {
		q.add(` AND key >= ?`, []byte(prefix))
		if upper := successor(prefix); upper != nil {
			q.add(` AND key < ?`, upper)
		}
	}
	switch {
	case afterUploadID != "":
		var initiated int64
		err := s.pool.QueryRow(ctx, `SELECT initiated_ns FROM uploads WHERE id = $1 AND bucket = $2 AND key = $3`,
			[]byte(afterUploadID), []byte(bucket), []byte(afterKey)).Scan(&initiated)
		switch {
		case err == nil:
			q.add(` AND (key, initiated_ns, id) > (?, ?, ?)`, []byte(afterKey), initiated, []byte(afterUploadID))
		case !errors.Is(err, pgx.ErrNoRows):
			return nil, errorf("postgres: list uploads: %w", err)
		default:
			q.add(` AND key >= ? AND (key > ? OR id > ?)`, []byte(afterKey), []byte(afterKey), []byte(afterUploadID))
		}
	case afterKey != "":
		q.add(` AND key > ?`, []byte(afterKey))
	}
	q.add(` ORDER BY key, initiated_ns, id LIMIT ?`, limit)
	rows, err := s.pool.Query(ctx, q.sql.String(), q.args...)
	if err != nil {
		return nil, errorf("postgres: list uploads: %w", err)
	}
	var out []meta.Upload
	var id, key, rec []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &key, &rec}, func() error {
		var u meta.Upload
		if err := decode(rec, &u); err != nil {
			return err
		}
		u.ID, u.Bucket, u.Key = string(id), bucket, string(key)
		out = append(out, u)
		return nil
	})
	if err != nil {
		return nil, errorf("postgres: list uploads: %w", err)
	}
	return out, nil
}
