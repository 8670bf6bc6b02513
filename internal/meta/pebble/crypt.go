package pebblestore

import (
	"bytes"
	"context"
	"fmt"

	"github.com/tessera-s3/tessera/internal/meta"
)

// cryptPage is how many object headers or uploads RewriteCrypt lists
// before visiting them, so no iterator stays open across its writes.
const cryptPage = 500

// RewriteCrypt implements meta.Store: it pages through the object headers
// and the upload index, and rewrites each encrypted object's manifest
// (under its key lock) and each encrypted upload's parts (under its upload
// lock), re-reading them once locked.
func (s *Store) RewriteCrypt(ctx context.Context, fn meta.CryptFunc) (int, error) {
	n := 0
	err := s.pages([]byte{tObject}, []byte{tObject + 1}, func(k, v []byte) (bool, error) {
		return hasEncryption(v)
	}, func(k []byte) error {
		bucket, key, ok := bytes.Cut(k[1:], []byte{0})
		if !ok {
			return fmt.Errorf("pebblestore: malformed object key %q", k)
		}
		m, err := s.rewriteObjectCrypt(ctx, string(bucket), string(key), fn)
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

// rewriteObjectCrypt applies fn to the current object of (bucket, key) and
// writes its manifest back if a record changed.
func (s *Store) rewriteObjectCrypt(ctx context.Context, bucket, key string, fn meta.CryptFunc) (int, error) {
	if err := ctxErr(ctx); err != nil {
		return 0, err
	}
	kmu := s.keyLock(bucket, key)
	kmu.Lock()
	defer kmu.Unlock()
	cur, err := s.readObject(bucket, key)
	if err != nil || cur == nil || cur.Encryption == nil {
		return 0, err // deleted meanwhile (or replaced by plaintext): nothing to do
	}
	n := 0
	for i, seg := range cur.Segments {
		if seg.Crypt == nil {
			continue
		}
		nc, changed, err := fn(cur.Encryption, seg.Crypt)
		if err != nil {
			return 0, err
		}
		if changed {
			cur.Segments[i].Crypt = nc
			n++
		}
	}
	if n == 0 {
		return 0, nil
	}
	wb := s.newBatch()
	wb.setJSON(manifestKey(bucket, key), cur.Segments) // the header is untouched
	if _, err := wb.commit(); err != nil {
		return 0, err
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
