package kms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tessera-s3/tessera/internal/sse"
)

// Resealer re-seals the existing data keys of a KMS key under the key's
// newest version (the engine, which owns the crypt records, walks the
// metadata). It returns how many records it rewrote. It must be
// idempotent: records already at ring.Current are left alone, so running
// it again after a failure finishes the job.
type Resealer interface {
	ResealKMS(ctx context.Context, arn string, ring sse.KEKRing) (int, error)
}

// SetResealer wires the resealer (the server does, once the engine exists).
// A Service without one has no data keys to re-seal.
func (s *Service) SetResealer(r Resealer) { s.resealer = r }

// Rotate gives a key a new version and re-seals its existing data keys
// under it, without rewriting any object's bytes.
//
// The re-seal runs synchronously, inside the call: the caller learns that
// every data key is under the new version when Rotate returns, with no job
// to poll and nothing to resume after a restart. (Re-sealing a record is a
// 32-byte unseal and seal plus one small metadata write, so even a large
// store takes seconds to minutes, which an admin command may take.) The
// new version is stored first, so writes made during the walk already use
// it. If the walk fails, the key keeps its new version, ResealPending
// reports the unfinished re-seal, and the returned error says to rotate
// again: that adds one more version and re-seals everything older, which
// includes whatever the failed walk left. Earlier versions stay derivable,
// so no object is ever unreadable on the way. A write that obtained the
// key before the rotation and commits after the walk passed its key keeps
// the previous version: still readable, and re-sealed by the next rotation.
//
// The AWS managed aws/s3 key cannot be rotated on demand (AWS rotates
// managed keys itself; KMS's RotateKeyOnDemand refuses them), and a
// disabled key cannot be rotated (KMS answers KMSInvalidStateException);
// both are followed here.
func (s *Service) Rotate(ctx context.Context, ref string) (Key, error) {
	s.rotateMu.Lock()
	defer s.rotateMu.Unlock()
	k, err := s.update(ctx, ref, func(k *Key) error {
		if k.Managed() {
			return ErrManaged
		}
		if !k.Enabled {
			return fmt.Errorf("%w: key %s is disabled; enable it to rotate it", ErrInvalid, k.ID)
		}
		at := s.now().UTC().Truncate(time.Second)
		k.Version++
		k.RotatedAt = &at
		return nil
	})
	if err != nil {
		return Key{}, err
	}
	n := 0
	if s.resealer != nil {
		if n, err = s.resealer.ResealKMS(ctx, s.ARN(k), s.ring(k)); err != nil {
			return k, fmt.Errorf("kms: key %s is now at version %d, but re-sealing its data keys failed after %d records (rotate it again to finish): %w", k.ID, k.Version, n, err)
		}
	}
	return s.update(ctx, k.ID, func(cur *Key) error {
		// The key's other fields may have changed meanwhile; only these
		// are ours. Another gateway may have rotated it again and finished
		// first: its later version stays the re-sealed one.
		if k.Version > cur.ResealedVersion {
			cur.ResealedVersion, cur.Resealed = k.Version, n
		}
		return nil
	})
}

// Ring returns the key-encryption key ring of the key an ARN names, with
// no permission or state check: it is for maintenance (root key
// rotation), never for requests, which go through Use.
func (s *Service) Ring(arn string) (sse.KEKRing, error) {
	k, err := s.Get(arn)
	if err != nil {
		return sse.KEKRing{}, err
	}
	return s.ring(k), nil
}

// update applies fn to the stored key ref names and writes it in one
// atomic step (UpdateDoc), so that two changes of one key, from any
// gateways, never overwrite each other; then announces it.
func (s *Service) update(ctx context.Context, ref string, fn func(*Key) error) (Key, error) {
	id := ref
	if a, ok := parseARN(ref); ok {
		if a.region != s.region || a.kind != "key" {
			return Key{}, ErrNotFound
		}
		id = a.name
	}
	var k Key
	err := s.docs.UpdateDoc(ctx, kindKey, id, func(doc []byte, found bool) ([]byte, error) {
		if !found {
			return nil, ErrNotFound
		}
		var cur Key // fresh each call: a store may retry fn
		if err := json.Unmarshal(doc, &cur); err != nil {
			return nil, fmt.Errorf("kms: key %s: %w", id, err)
		}
		if ref != id && s.ARN(cur) != ref {
			return nil, ErrNotFound
		}
		if err := fn(&cur); err != nil {
			return nil, err
		}
		k = cur
		return json.Marshal(cur)
	})
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrManaged), errors.Is(err, ErrInvalid):
		return Key{}, err
	case err != nil:
		return Key{}, fmt.Errorf("kms: update key %s: %w", id, err)
	}
	s.remember(k)
	s.publish(ctx, kindKey, k.ID)
	return k, nil
}
