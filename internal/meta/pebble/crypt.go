package pebblestore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	"github.com/tessera-s3/tessera/internal/meta"
)

// cryptPage is how many object headers or uploads RewriteCrypt lists
// before visiting them, so no iterator stays open across its writes.
const cryptPage = 500

// RewriteCrypt implements meta.Store: it pages through the latest-version
// headers and the upload index. Each key whose latest version is encrypted
// or that has noncurrent versions has all its encrypted versions rewritten
// at once, under its key lock and re-read once locked, so a version that
// changes place meanwhile (made noncurrent by a write, or latest again when
// the latest is removed) is neither missed nor visited twice; each
// encrypted upload's parts are rewritten under its upload lock.
func (s *Store) RewriteCrypt(ctx context.Context, fn meta.CryptFunc) (int, error) {
	n := 0
	err := s.pages([]byte{tObject}, []byte{tObject + 1}, func(k, v []byte) (bool, error) {
		bucket, key, err := splitObjectKey(k)
		if err != nil {
			return false, err
		}
		if enc, err := hasEncryption(v); enc || err != nil {
			return enc, err
		}
		// A key has noncurrent versions only while it has a latest, so
		// visiting the latest-version table finds every key that has any.
		return s.hasNoncurrent(bucket, key)
	}, func(k []byte) error {
		bucket, key, err := splitObjectKey(k)
		if err != nil {
			return err
		}
		m, err := s.rewriteKeyCrypt(ctx, bucket, key, fn)
		n += m
		return err
	})
	if err != nil {
		return n, err
	}
	err = s.pages([]byte{tUploadByID}, []byte{tUploadByID + 1}, func(_, primary []byte) (bool, error) {
		v, ok, err := s.get(primary)
		if err != nil || !ok {
			return false, err
		}
		return hasEncryption(v)
	}, func(k []byte) error {
		m, err := s.rewritePartsCrypt(ctx, string(k[1:]), fn)
		n += m
		return err
	})
	return n, err
}

// hasEncryption reports whether an object header or upload record (both
// JSON) has an Encryption.
func hasEncryption(v []byte) (bool, error) {
	var rec struct{ Encryption *meta.Encryption }
	if err := decode(v, &rec); err != nil {
		return false, err
	}
	return rec.Encryption != nil, nil
}

// pages scans [lower, upper) cryptPage keys at a time, collects the keys
// that want accepts, and calls visit with each once the page's iterator is
// closed.
func (s *Store) pages(lower, upper []byte, want func(k, v []byte) (bool, error), visit func(k []byte) error) error {
	for {
		var keys [][]byte
		var last []byte
		count := 0
		err := s.scan(lower, upper, cryptPage, func(k, v []byte) (bool, error) {
			count++
			last = append(last[:0], k...)
			ok, err := want(k, v)
			if ok {
				keys = append(keys, bytes.Clone(k))
			}
			return true, err
		})
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := visit(k); err != nil {
				return err
			}
		}
		if count < cryptPage {
			return nil
		}
		lower = after(last)
	}
}

// splitObjectKey returns the bucket and key of an objectKey.
func splitObjectKey(k []byte) (bucket, key string, err error) {
	b, rest, ok := bytes.Cut(k[1:], []byte{0})
	if !ok {
		return "", "", fmt.Errorf("pebblestore: malformed object key %q", k)
	}
	return string(b), string(rest), nil
}

// hasNoncurrent reports whether (bucket, key) has noncurrent versions.
func (s *Store) hasNoncurrent(bucket, key string) (bool, error) {
	p := versionPrefix(tVersion, bucket, key)
	found := false
	err := s.scan(p, successor(p), 1, func(_, _ []byte) (bool, error) {
		found = true
		return false, nil
	})
	return found, err
}

// rewriteKeyCrypt applies fn to every encrypted version of (bucket, key),
// the latest and the noncurrent ones as they are once the key is locked
// (versions deleted meanwhile are gone, versions written meanwhile were
// sealed afresh), and writes back in one batch the manifests in which a
// record changed; headers are untouched.
func (s *Store) rewriteKeyCrypt(ctx context.Context, bucket, key string, fn meta.CryptFunc) (int, error) {
	if err := ctxErr(ctx); err != nil {
		return 0, err
	}
	kmu := s.keyLock(bucket, key)
	kmu.Lock()
	defer kmu.Unlock()
	cur, err := s.readObject(bucket, key)
	if err != nil || cur == nil {
		return 0, err // deleted meanwhile: nothing to do
	}
	wb := s.newBatch()
	n, err := rewriteSegments(wb, manifestKey(bucket, key), cur, fn)
	if err != nil {
		wb.abandon()
		return 0, err
	}
	seqs, err := s.encryptedNoncurrent(bucket, key)
	if err != nil {
		wb.abandon()
		return 0, err
	}
	for _, seq := range seqs {
		o, err := s.readNoncurrent(bucket, key, seq)
		if err == nil && o != nil {
			var m int
			m, err = rewriteSegments(wb, versionKey(tVManifest, bucket, key, seq), o, fn)
			n += m
		}
		if err != nil {
			wb.abandon()
			return 0, err
		}
	}
	if n == 0 {
		wb.abandon()
		return 0, nil
	}
	if _, err := wb.commit(); err != nil {
		return 0, err
	}
	return n, nil
}

// encryptedNoncurrent returns the Seqs of the key's encrypted noncurrent
// versions, reading only their headers.
func (s *Store) encryptedNoncurrent(bucket, key string) ([]int64, error) {
	p := versionPrefix(tVersion, bucket, key)
	var seqs []int64
	err := s.scan(p, successor(p), -1, func(k, v []byte) (bool, error) {
		enc, err := hasEncryption(v)
		if enc && len(k) == len(p)+8 {
			seqs = append(seqs, meta.Rank(int64(binary.BigEndian.Uint64(k[len(p):]))))
		}
		return true, err
	})
	return seqs, err
}

// rewriteSegments applies fn to the records of o (if it is encrypted) and
// adds to wb the write of its manifest under segsKey when one changed.
func rewriteSegments(wb *batch, segsKey []byte, o *meta.Object, fn meta.CryptFunc) (int, error) {
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
	if n > 0 {
		wb.setJSON(segsKey, o.Segments)
	}
	return n, nil
}

// rewritePartsCrypt applies fn to every part of an upload that still
// exists and writes back the parts whose record changed, in one batch.
func (s *Store) rewritePartsCrypt(ctx context.Context, uploadID string, fn meta.CryptFunc) (int, error) {
	if err := ctxErr(ctx); err != nil {
		return 0, err
	}
	umu := s.uploadLock(uploadID)
	umu.Lock()
	defer umu.Unlock()
	primary, ok, err := s.get(uploadByIDKey(uploadID))
	if err != nil || !ok {
		return 0, err // completed or aborted meanwhile
	}
	var u meta.Upload
	if ok, err := s.getJSON(primary, &u); err != nil || !ok || u.Encryption == nil {
		return 0, err
	}
	parts, err := s.parts(uploadID, 0, -1)
	if err != nil {
		return 0, err
	}
	wb := s.newBatch()
	n := 0
	for _, p := range parts {
		if p.Crypt == nil {
			continue
		}
		nc, changed, err := fn(u.Encryption, p.Crypt)
		if err != nil {
			wb.abandon()
			return 0, err
		}
		if changed {
			p.Crypt = nc
			wb.setJSON(partKey(uploadID, p.Number), p)
			n++
		}
	}
	if n == 0 {
		wb.abandon()
		return 0, nil
	}
	if _, err := wb.commit(); err != nil {
		return 0, err
	}
	return n, nil
}
