package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/sse"
)

// Re-sealing: rotating a KMS key or the root key changes the key-encryption
// key that seals data keys, never the data keys themselves, so only crypt
// records are rewritten (meta.Store.RewriteCrypt) — no blob is read,
// written or freed, and no other field of an object changes. Both walks
// leave records that need nothing alone, so running one again (after a
// crash, an error, or for records written during the walk) is harmless.

// ResealKMS re-seals every data key sealed under the KMS key arn at a
// version older than ring.Current under ring.Current, and returns how many
// records it rewrote (kms.Resealer).
func (e *Engine) ResealKMS(ctx context.Context, arn string, ring sse.KEKRing) (int, error) {
	return e.meta.RewriteCrypt(ctx, func(enc *meta.Encryption, crypt []byte) ([]byte, bool, error) {
		if enc == nil || !isKMS(enc.Mode) || enc.KMSKeyID != arn {
			return nil, false, nil
		}
		rec, err := parseCrypt(crypt)
		if err != nil {
			return nil, false, err
		}
		if (rec.mode != cryptModeKMS && rec.mode != cryptModeDSSE) || rec.version >= ring.Current {
			return nil, false, nil
		}
		aad := kmsAAD(enc.Mode, arn, enc.KMSContext)
		dataKey, err := unsealAt(ring, rec, aad)
		if err != nil {
			return nil, false, fmt.Errorf("engine: re-sealing a data key of %s (version %d): %w", arn, rec.version, err)
		}
		rec.version = ring.Current
		if err := sealAt(ring, &rec, dataKey, aad); err != nil {
			return nil, false, err
		}
		return rec.bytes(), true, nil
	})
}

// ErrNeitherRoot reports a data key that opens under neither the current
// nor the previous root key: the previous key is not the one the data was
// written with, or the record is damaged.
var ErrNeitherRoot = errors.New("engine: a data key opens under neither the current nor the previous root key")

// RotateRoot re-seals every SSE-S3 and SSE-KMS data key sealed under the
// previous root key under the engine's root key (at the same key version),
// and returns how many records it rewrote. Records already under the
// current root are left alone. SSE-C records are not touched: their data
// keys derive from the customer's key, never from the root.
//
// It must run while no other process writes with the previous root (the
// server runs it at start, before serving).
func (e *Engine) RotateRoot(ctx context.Context, previous []byte) (int, error) {
	if e.rootKey == nil || len(previous) != sse.KeySize {
		return 0, errors.New("engine: root key rotation needs the current and the previous root key")
	}
	if bytes.Equal(previous, e.rootKey) {
		return 0, nil
	}
	return e.meta.RewriteCrypt(ctx, func(enc *meta.Encryption, crypt []byte) ([]byte, bool, error) {
		if enc == nil || (enc.Mode != SSES3 && !isKMS(enc.Mode)) {
			return nil, false, nil
		}
		rec, err := parseCrypt(crypt)
		if err != nil {
			return nil, false, err
		}
		ring, aad, err := e.sealing(enc)
		if err != nil {
			return nil, false, err
		}
		if _, err := unsealAt(ring, rec, aad); err == nil {
			return nil, false, nil // already under the current root
		}
		dataKey, err := unsealAt(ring.WithRoot(previous), rec, aad)
		if err != nil {
			return nil, false, fmt.Errorf("%w (%s)", ErrNeitherRoot, enc.Mode)
		}
		if err := sealAt(ring, &rec, dataKey, aad); err != nil {
			return nil, false, err
		}
		return rec.bytes(), true, nil
	})
}

// sealing returns the KEK ring (under the current root) and the context
// that an object or upload encrypted as enc seals its data keys with.
func (e *Engine) sealing(enc *Encryption) (sse.KEKRing, []byte, error) {
	if enc.Mode == SSES3 {
		ring, err := e.s3Ring()
		return ring, []byte(kekS3), err
	}
	if e.keys == nil {
		return sse.KEKRing{}, nil, errors.New("engine: an SSE-KMS record and no key service")
	}
	ring, err := e.keys.Ring(enc.KMSKeyID)
	if err != nil {
		return sse.KEKRing{}, nil, fmt.Errorf("engine: KMS key %s: %w", enc.KMSKeyID, err)
	}
	return ring, kmsAAD(enc.Mode, enc.KMSKeyID, enc.KMSContext), nil
}

// unsealAt opens rec's data keys with ring's KEK at the record's version:
// one, or for DSSE-KMS the inner and the outer (each sealed under its
// layer's context).
func unsealAt(ring sse.KEKRing, rec cryptRecord, aad []byte) ([][]byte, error) {
	kek, err := ring.KEK(rec.version)
	if err != nil {
		return nil, err
	}
	if rec.mode != cryptModeDSSE {
		k, err := sse.Unseal(kek, rec.sealed, aad)
		return [][]byte{k}, err
	}
	if len(rec.sealed) != 2*sse.SealedSize {
		return nil, fmt.Errorf("engine: DSSE record: %w", sse.ErrTampered)
	}
	inner, err := sse.Unseal(kek, rec.sealed[:sse.SealedSize], dsseAAD(aad, dsseInner))
	if err != nil {
		return nil, err
	}
	outer, err := sse.Unseal(kek, rec.sealed[sse.SealedSize:], dsseAAD(aad, dsseOuter))
	return [][]byte{inner, outer}, err
}

// sealAt seals dataKeys (one, or DSSE-KMS's inner and outer) into rec with
// ring's KEK at rec's version.
func sealAt(ring sse.KEKRing, rec *cryptRecord, dataKeys [][]byte, aad []byte) error {
	kek, err := ring.KEK(rec.version)
	if err != nil {
		return err
	}
	if rec.mode != cryptModeDSSE {
		rec.sealed, err = sse.Seal(kek, dataKeys[0], aad)
		return err
	}
	if len(dataKeys) != 2 {
		return errors.New("engine: a DSSE record needs two data keys")
	}
	inner, err := sse.Seal(kek, dataKeys[0], dsseAAD(aad, dsseInner))
	if err != nil {
		return err
	}
	outer, err := sse.Seal(kek, dataKeys[1], dsseAAD(aad, dsseOuter))
	rec.sealed = append(inner, outer...)
	return err
}
