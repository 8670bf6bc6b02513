package kms_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/tessera-s3/tessera/internal/kms"
	"github.com/tessera-s3/tessera/internal/sse"
)

// fakeResealer records what Rotate asks of it and fails when told to.
type fakeResealer struct {
	calls []uint32 // ring.Current of each call
	arns  []string
	fail  error
	n     int
}

func (f *fakeResealer) ResealKMS(_ context.Context, arn string, ring sse.KEKRing) (int, error) {
	f.calls = append(f.calls, ring.Current)
	f.arns = append(f.arns, arn)
	return f.n, f.fail
}

// TestRotate: each rotation adds a version that Use then seals under,
// while every earlier version stays derivable (version 0 is the key's
// pre-rotation KEK); the resealer runs with the new version before Rotate
// returns; a failed re-seal leaves the key pending, and the next rotation
// finishes it. The state survives a reload.
func TestRotate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := openStore(t, dir)
	s, err := kms.New(ctx, st, rootKey, region)
	if err != nil {
		t.Fatal(err)
	}
	rs := &fakeResealer{n: 3}
	s.SetResealer(rs)
	k := mustCreate(t, s, alice)
	_, before, err := s.Use(ctx, alice, alice, k.ID, gen)
	if err != nil || before.Current != 0 {
		t.Fatalf("Use before rotation: version %d, %v", before.Current, err)
	}
	v0, _ := before.KEK(0)

	r, err := s.Rotate(ctx, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != 1 || r.ResealedVersion != 1 || r.Resealed != 3 || r.ResealPending() || r.RotatedAt == nil {
		t.Fatalf("after rotation: %+v", r)
	}
	if len(rs.calls) != 1 || rs.calls[0] != 1 || rs.arns[0] != s.ARN(k) {
		t.Fatalf("resealer calls %v %v, want one at version 1 for %s", rs.calls, rs.arns, s.ARN(k))
	}
	_, after, err := s.Use(ctx, alice, alice, k.ID, dec)
	if err != nil || after.Current != 1 {
		t.Fatalf("Use after rotation: version %d, %v", after.Current, err)
	}
	if old, _ := after.KEK(0); !bytes.Equal(old, v0) {
		t.Fatal("version 0 is no longer derivable after a rotation")
	}
	if cur, _ := after.KEK(1); bytes.Equal(cur, v0) {
		t.Fatal("the new version has the old key material")
	}

	rs.fail = errors.New("disk on fire")
	if _, err := s.Rotate(ctx, k.ID); !errors.Is(err, rs.fail) {
		t.Fatalf("Rotate with a failing re-seal: %v", err)
	}
	if got, _ := s.Get(k.ID); got.Version != 2 || got.ResealedVersion != 1 || !got.ResealPending() {
		t.Fatalf("after a failed re-seal: %+v, want version 2 pending", got)
	}
	rs.fail = nil
	if r, err = s.Rotate(ctx, k.ID); err != nil || r.Version != 3 || r.ResealPending() {
		t.Fatalf("rotating again: %+v, %v", r, err)
	}

	// Refusals: unknown, disabled, managed.
	if _, err := s.Rotate(ctx, "0b6c4e0e-2f0b-4c5d-9d6a-3c1e2f4a5b6c"); !errors.Is(err, kms.ErrNotFound) {
		t.Errorf("unknown key: %v", err)
	}
	if err := s.SetEnabled(ctx, k.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rotate(ctx, k.ID); !errors.Is(err, kms.ErrInvalid) {
		t.Errorf("disabled key: %v", err)
	}
	managed, _, err := s.Use(ctx, alice, alice, "", gen)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rotate(ctx, managed); !errors.Is(err, kms.ErrManaged) {
		t.Errorf("managed key: %v", err)
	}
	if len(rs.calls) != 3 {
		t.Errorf("refused rotations reached the resealer: %v", rs.calls)
	}

	// Reload: the version, rotation time and re-seal state persist, and
	// so does the disable that came after the rotations.
	st.Close()
	st = openStore(t, dir)
	defer st.Close()
	s2, err := kms.New(ctx, st, rootKey, region)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s2.Get(k.ID)
	if err != nil || got.Version != 3 || got.ResealedVersion != 3 || got.RotatedAt == nil || got.Enabled {
		t.Fatalf("reloaded key %+v, %v", got, err)
	}
	ring, err := s2.Ring(s2.ARN(got))
	if err != nil || ring.Current != 3 {
		t.Fatalf("Ring after reload: %+v, %v", ring, err)
	}
}
