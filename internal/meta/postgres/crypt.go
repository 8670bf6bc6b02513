package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/tessera-s3/tessera/internal/meta"
)

// cryptPage is how many objects or uploads RewriteCrypt lists per query.
const cryptPage = 500

// RewriteCrypt implements meta.Store: it pages through objects and uploads
// by primary key (no lock held between pages), and rewrites each
// encrypted object's segments column in a transaction holding its row FOR
// UPDATE, and each encrypted upload's parts in a transaction holding the
// upload row FOR KEY SHARE (as PutPart does, so it cannot complete or
// abort meanwhile) and the part rows FOR UPDATE.
func (s *Store) RewriteCrypt(ctx context.Context, fn meta.CryptFunc) (int, error) {
	n := 0
	bucket, key := []byte{}, []byte{} // the last object seen; ("", "") sorts before every row (nil would be NULL)
	for {
		page, err := s.encryptedObjects(ctx, bucket, key)
		if err != nil {
			return n, err
		}
		for _, o := range page.keys {
			m, err := s.rewriteObjectCrypt(ctx, o[0], o[1], fn)
			n += m
			if err != nil {
				return n, err
			}
		}
		if page.count < cryptPage {
			break
		}
		bucket, key = page.last[0], page.last[1]
	}
	var id []byte
	for {
		page, err := s.encryptedUploads(ctx, id)
		if err != nil {
			return n, err
		}
		for _, u := range page.keys {
			m, err := s.rewritePartsCrypt(ctx, u[0], fn)
			n += m
			if err != nil {
				return n, err
			}
		}
		if page.count < cryptPage {
			return n, nil
		}
		id = page.last[0]
	}
}

// cryptListing is one page of RewriteCrypt's listing: the rows whose
// record has an Encryption, how many rows the page read, and the last.
type cryptListing struct {
	keys  [][][]byte
	count int
	last  [][]byte
}

func (l *cryptListing) add(rec []byte, key ...[]byte) error {
	var r struct{ Encryption *meta.Encryption }
	if err := decode(rec, &r); err != nil {
		return err
	}
	l.count++
	l.last = key
	if r.Encryption != nil {
		l.keys = append(l.keys, key)
	}
	return nil
}

func (s *Store) encryptedObjects(ctx context.Context, afterBucket, afterKey []byte) (*cryptListing, error) {
	rows, err := s.pool.Query(ctx, `SELECT bucket, key, rec FROM objects WHERE (bucket, key) > ($1, $2)
		ORDER BY bucket, key LIMIT $3`, afterBucket, afterKey, cryptPage)
	if err != nil {
		return nil, fmt.Errorf("postgres: list encrypted objects: %w", err)
	}
	var l cryptListing
	var b, k, rec []byte
	_, err = pgx.ForEachRow(rows, []any{&b, &k, &rec}, func() error {
		return l.add(rec, append([]byte(nil), b...), append([]byte(nil), k...))
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list encrypted objects: %w", err)
	}
	return &l, nil
}

func (s *Store) encryptedUploads(ctx context.Context, afterID []byte) (*cryptListing, error) {
	if afterID == nil {
		afterID = []byte{}
	}
	rows, err := s.pool.Query(ctx, `SELECT id, rec FROM uploads WHERE id > $1 ORDER BY id LIMIT $2`, afterID, cryptPage)
	if err != nil {
		return nil, fmt.Errorf("postgres: list encrypted uploads: %w", err)
	}
	var l cryptListing
	var id, rec []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &rec}, func() error {
		return l.add(rec, append([]byte(nil), id...))
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list encrypted uploads: %w", err)
	}
	return &l, nil
}

// rewriteObjectCrypt applies fn to the current object of (bucket, key)
// and writes its segments column back if a record changed.
func (s *Store) rewriteObjectCrypt(ctx context.Context, bucket, key []byte, fn meta.CryptFunc) (int, error) {
	var n int
	_, err := s.write(ctx, func(t *txn) error {
		n = 0 // a retried transaction starts over
		cur, err := t.lockObject(ctx, string(bucket), string(key))
		if err != nil || cur == nil || cur.Encryption == nil {
			return err // deleted meanwhile (or replaced by plaintext)
		}
		for i, seg := range cur.Segments {
			if seg.Crypt == nil {
				continue
			}
			nc, changed, err := fn(cur.Encryption, seg.Crypt)
			if err != nil {
				return err
			}
			if changed {
				cur.Segments[i].Crypt = nc
				n++
			}
		}
		if n == 0 {
			return nil
		}
		if _, err := t.Exec(ctx, `UPDATE objects SET segments = $3 WHERE bucket = $1 AND key = $2`,
			bucket, key, encodeSegments(cur.Segments)); err != nil {
			return fmt.Errorf("postgres: rewrite object crypt: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// rewritePartsCrypt applies fn to every part of an upload that still
// exists and writes back the parts whose record changed.
func (s *Store) rewritePartsCrypt(ctx context.Context, uploadID []byte, fn meta.CryptFunc) (int, error) {
	var n int
	_, err := s.write(ctx, func(t *txn) error {
		n = 0
		var rec []byte
		err := t.QueryRow(ctx, `SELECT rec FROM uploads WHERE id = $1`+shareLock, uploadID).Scan(&rec)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // completed or aborted meanwhile
		}
		if err != nil {
			return fmt.Errorf("postgres: lock upload: %w", err)
		}
		var u meta.Upload
		if err := decode(rec, &u); err != nil || u.Encryption == nil {
			return err
		}
		parts, err := lockParts(ctx, t, uploadID)
		if err != nil {
			return err
		}
		for _, p := range parts {
			if p.Crypt == nil {
				continue
			}
			nc, changed, err := fn(u.Encryption, p.Crypt)
			if err != nil {
				return err
			}
			if !changed {
				continue
			}
			p.Crypt = nc
			if _, err := t.Exec(ctx, `UPDATE parts SET rec = $3 WHERE upload_id = $1 AND number = $2`,
				uploadID, p.Number, encodePart(&p)); err != nil {
				return fmt.Errorf("postgres: rewrite part crypt: %w", err)
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// lockParts reads every part of an upload, ascending, locking the rows.
func lockParts(ctx context.Context, t *txn, uploadID []byte) ([]meta.Part, error) {
	rows, err := t.Query(ctx, `SELECT rec FROM parts WHERE upload_id = $1 ORDER BY number FOR UPDATE`, uploadID)
	if err != nil {
		return nil, fmt.Errorf("postgres: lock parts: %w", err)
	}
	var out []meta.Part
	var rec []byte
	_, err = pgx.ForEachRow(rows, []any{&rec}, func() error {
		out = append(out, meta.Part{})
		return decodePart(rec, &out[len(out)-1])
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: lock parts: %w", err)
	}
	return out, nil
}
