package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/tessera-s3/tessera/internal/meta"
)

// cryptPage is how many objects or uploads RewriteCrypt lists per query.
const cryptPage = 500

// RewriteCrypt implements meta.Store: it pages through objects and uploads
// by primary key (no lock held between pages). Each key whose latest
// version is encrypted or that has noncurrent versions has all its
// encrypted versions' segments rewritten in one transaction holding the
// key's objects row FOR UPDATE (the lock every writer of the key takes), so
// a version that changes place meanwhile (made noncurrent by a write, or
// latest again when the latest is removed) is neither missed nor visited
// twice. Each encrypted upload's parts are rewritten in a transaction
// holding the upload row FOR KEY SHARE (as PutPart does, so it cannot
// complete or abort meanwhile) and the part rows FOR UPDATE.
func (s *Store) RewriteCrypt(ctx context.Context, fn meta.CryptFunc) (int, error) {
	n := 0
	bucket, key := []byte{}, []byte{} // the last object seen; ("", "") sorts before every row (nil would be NULL)
	for {
		page, err := s.encryptedObjects(ctx, bucket, key)
		if err != nil {
			return n, err
		}
		for _, o := range page.keys {
			m, err := s.rewriteKeyCrypt(ctx, o[0], o[1], fn)
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

// encryptedObjects lists a page of keys, keeping those whose latest
// version is encrypted or that have noncurrent versions (a key has those
// only while it has a latest, so listing objects finds every such key).
func (s *Store) encryptedObjects(ctx context.Context, afterBucket, afterKey []byte) (*cryptListing, error) {
	rows, err := s.pool.Query(ctx, `SELECT o.bucket, o.key, o.rec,
		EXISTS (SELECT 1 FROM object_versions v WHERE v.bucket = o.bucket AND v.key = o.key)
		FROM objects o WHERE (o.bucket, o.key) > ($1, $2)
		ORDER BY o.bucket, o.key LIMIT $3`, afterBucket, afterKey, cryptPage)
	if err != nil {
		return nil, errorf("postgres: list encrypted objects: %w", err)
	}
	var l cryptListing
	var b, k, rec []byte
	var versions bool
	_, err = pgx.ForEachRow(rows, []any{&b, &k, &rec, &versions}, func() error {
		key := [][]byte{append([]byte(nil), b...), append([]byte(nil), k...)}
		if versions {
			l.count++
			l.last = key
			l.keys = append(l.keys, key)
			return nil
		}
		return l.add(rec, key...)
	})
	if err != nil {
		return nil, errorf("postgres: list encrypted objects: %w", err)
	}
	return &l, nil
}

func (s *Store) encryptedUploads(ctx context.Context, afterID []byte) (*cryptListing, error) {
	if afterID == nil {
		afterID = []byte{}
	}
	rows, err := s.pool.Query(ctx, `SELECT id, rec FROM uploads WHERE id > $1 ORDER BY id LIMIT $2`, afterID, cryptPage)
	if err != nil {
		return nil, errorf("postgres: list encrypted uploads: %w", err)
	}
	var l cryptListing
	var id, rec []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &rec}, func() error {
		return l.add(rec, append([]byte(nil), id...))
	})
	if err != nil {
		return nil, errorf("postgres: list encrypted uploads: %w", err)
	}
	return &l, nil
}

// rewriteKeyCrypt applies fn to every encrypted version of (bucket, key),
// the latest and the noncurrent ones as they are once the key is locked
// (versions deleted meanwhile are gone, versions written meanwhile were
// sealed afresh), and writes back the segments in which a record changed;
// the rec column (the header) is untouched.
func (s *Store) rewriteKeyCrypt(ctx context.Context, bucket, key []byte, fn meta.CryptFunc) (int, error) {
	var n int
	_, err := s.write(ctx, func(t *txn) error {
		n = 0 // a retried transaction starts over
		cur, err := t.lockLatest(ctx, string(bucket), string(key))
		if err != nil || cur == nil {
			return err // deleted meanwhile
		}
		m, err := rewriteSegments(cur, fn)
		if err != nil {
			return err
		}
		if m > 0 {
			if _, err := t.Exec(ctx, `UPDATE objects SET segments = $3 WHERE bucket = $1 AND key = $2`,
				bucket, key, encodeSegments(cur.Segments)); err != nil {
				return errorf("postgres: rewrite object crypt: %w", err)
			}
			n += m
		}
		vs, err := encryptedNoncurrent(ctx, t, bucket, key)
		if err != nil {
			return err
		}
		for _, v := range vs {
			m, err := rewriteSegments(&v.obj, fn)
			if err != nil {
				return err
			}
			if m == 0 {
				continue
			}
			if _, err := t.Exec(ctx, `UPDATE object_versions SET segments = $4 WHERE bucket = $1 AND key = $2 AND rank = $3`,
				bucket, key, v.rank, encodeSegments(v.obj.Segments)); err != nil {
				return errorf("postgres: rewrite version crypt: %w", err)
			}
			n += m
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

type rankedVersion struct {
	rank int64
	obj  meta.Object
}

// encryptedNoncurrent reads the key's encrypted noncurrent versions with
// their segments; the caller holds the key's lock.
func encryptedNoncurrent(ctx context.Context, t *txn, bucket, key []byte) ([]rankedVersion, error) {
	rows, err := t.Query(ctx, `SELECT rank, rec, segments FROM object_versions WHERE bucket = $1 AND key = $2 ORDER BY rank`, bucket, key)
	if err != nil {
		return nil, errorf("postgres: read versions: %w", err)
	}
	var out []rankedVersion
	var rank int64
	var rec, segs []byte
	_, err = pgx.ForEachRow(rows, []any{&rank, &rec, &segs}, func() error {
		o, err := decodeObject(string(bucket), string(key), rec, segs, false)
		if err == nil && o.Encryption != nil {
			out = append(out, rankedVersion{rank, o})
		}
		return err
	})
	if err != nil {
		return nil, errorf("postgres: read versions: %w", err)
	}
	return out, nil
}

// rewriteSegments applies fn to the records of o, if it is encrypted, and
// reports how many changed.
func rewriteSegments(o *meta.Object, fn meta.CryptFunc) (int, error) {
	if o.Encryption == nil {
		return 0, nil
	}
	n := 0
	for i, seg := range o.Segments {
		if seg.Crypt == nil {
			continue
		}
		nc, changed, err := fn(o.Encryption, seg.Crypt)
		if err != nil {
			return 0, err
		}
		if changed {
			o.Segments[i].Crypt = nc
			n++
		}
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
			return errorf("postgres: lock upload: %w", err)
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
				return errorf("postgres: rewrite part crypt: %w", err)
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
		return nil, errorf("postgres: lock parts: %w", err)
	}
	var out []meta.Part
	var rec []byte
	_, err = pgx.ForEachRow(rows, []any{&rec}, func() error {
		out = append(out, meta.Part{})
		return decodePart(rec, &out[len(out)-1])
	})
	if err != nil {
		return nil, errorf("postgres: lock parts: %w", err)
	}
	return out, nil
}
