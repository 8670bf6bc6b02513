package kms_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/internal/iam"
	"github.com/tessera-s3/tessera/internal/kms"
	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// gateway is one gateway's view of a shared store; deaf stops its change
// notifications.
type gateway struct {
	iam.Docs
	deaf atomic.Bool
}

func (g *gateway) Subscribe(fn func(meta.Change)) {
	g.Docs.Subscribe(func(c meta.Change) {
		if !g.deaf.Load() {
			fn(c)
		}
	})
}

// twoGateways opens one Pebble store and two key services on it, as two
// gateway processes sharing PostgreSQL would be.
func twoGateways(t *testing.T) (a, b *kms.Service, ga, gb *gateway) {
	t.Helper()
	st := openStore(t, t.TempDir())
	t.Cleanup(func() { st.Close() })
	ga, gb = &gateway{Docs: st}, &gateway{Docs: st}
	var err error
	if a, err = kms.New(context.Background(), ga, rootKey, region); err != nil {
		t.Fatal(err)
	}
	if b, err = kms.New(context.Background(), gb, rootKey, region); err != nil {
		t.Fatal(err)
	}
	return a, b, ga, gb
}

// TestKeyChangesReachOtherGateway: each change made through A is in effect
// on B when the call returns, and B holds it in memory (Get reads only
// memory, so this is the feed's doing, not a read-through).
func TestKeyChangesReachOtherGateway(t *testing.T) {
	ctx := context.Background()
	a, b, _, _ := twoGateways(t)
	k := mustCreate(t, a, alice)
	allowBob := fmt.Sprintf(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"kms:*","Resource":"*"}]}`, bob)
	steps := []struct {
		name    string
		change  func() error
		caller  string
		wantErr s3err.Code // "" for success
		version uint32
	}{
		{"created", func() error { return nil }, alice, "", 0},
		{"bob without a policy", func() error { return nil }, bob, s3err.AccessDenied, 0},
		{"policy allows bob", func() error { return a.PutPolicy(ctx, k.ID, []byte(allowBob)) }, bob, "", 0},
		{"disabled", func() error { return a.SetEnabled(ctx, k.ID, false) }, alice, s3err.KMSDisabled, 0},
		{"enabled", func() error { return a.SetEnabled(ctx, a.ARN(k), true) }, alice, "", 0},
		{"rotated", func() error { _, err := a.Rotate(ctx, k.ID); return err }, alice, "", 1},
	}
	for _, st := range steps {
		if err := st.change(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		want, _ := a.Get(k.ID)
		if got, err := b.Get(k.ID); err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: B's memory holds %+v %v, A's %+v", st.name, got, err, want)
		}
		_, ring, err := b.Use(ctx, st.caller, alice, b.ARN(k), gen)
		switch {
		case st.wantErr == "" && err != nil:
			t.Errorf("%s: B refuses: %v", st.name, err)
		case st.wantErr == "" && ring.Current != st.version:
			t.Errorf("%s: B seals under version %d, want %d", st.name, ring.Current, st.version)
		case st.wantErr != "" && !s3err.HasCode(err, st.wantErr):
			t.Errorf("%s: B answers %v, want %s", st.name, err, st.wantErr)
		}
	}
}

// TestKeyReadThrough: a gateway that hears nothing still serves a key
// created through another one a moment ago, by reading the store.
func TestKeyReadThrough(t *testing.T) {
	ctx := context.Background()
	a, b, _, gb := twoGateways(t)
	gb.deaf.Store(true)
	k := mustCreate(t, a, alice)
	if _, err := b.Get(k.ID); err == nil {
		t.Fatal("deaf gateway learned of the key from the feed; the test proves nothing")
	}
	for _, ref := range []string{k.ID, b.ARN(k)} {
		if arn, _, err := b.Use(ctx, alice, alice, ref, gen); err != nil || arn != b.ARN(k) {
			t.Errorf("Use(%s) on B: %s %v", ref, arn, err)
		}
	}
	if _, err := b.Get(k.ID); err != nil {
		t.Errorf("key read through was not cached: %v", err)
	}
	// The managed key too, by alias ARN, even for a third account.
	managed, _, err := a.Use(ctx, alice, alice, "", gen)
	if err != nil {
		t.Fatal(err)
	}
	aliasARN := "arn:aws:kms:" + region + ":" + alice + ":alias/aws/s3"
	if got, _, err := b.Use(ctx, alice, bob, aliasARN, gen); err != nil || got != managed {
		t.Errorf("managed key by alias on B: %s %v, want %s", got, err, managed)
	}
	if got, _, err := b.Use(ctx, alice, alice, "", gen); err != nil || got != managed {
		t.Errorf("managed key on B: %s %v, want %s (not a second one)", got, err, managed)
	}
	// A missing key is still KMS's NotFound.
	const missing = "0b6c4e0e-2f0b-4c5d-9d6a-3c1e2f4a5b6c"
	_, _, err = b.Use(ctx, alice, alice, missing, gen)
	wantErr(t, "missing key on B", err, s3err.KMSNotFound, http.StatusBadRequest,
		"Key 'arn:aws:kms:us-east-1:"+alice+":key/"+missing+"' does not exist")
}

// TestKeyResync: a change notification with no kind makes a gateway that
// missed changes re-read every key.
func TestKeyResync(t *testing.T) {
	ctx := context.Background()
	a, b, ga, gb := twoGateways(t)
	k := mustCreate(t, a, alice)
	gb.deaf.Store(true)
	if err := a.SetEnabled(ctx, k.ID, false); err != nil {
		t.Fatal(err)
	}
	k2 := mustCreate(t, a, bob)
	if _, _, err := b.Use(ctx, alice, alice, k.ID, gen); err != nil {
		t.Fatalf("deaf B should still hold the enabled key: %v", err)
	}
	gb.deaf.Store(false)
	if err := ga.Publish(ctx, meta.Change{}, time.Second); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.Get(k.ID); got.Enabled {
		t.Errorf("B still holds the key enabled after a resync")
	}
	if _, err := b.Get(k2.ID); err != nil {
		t.Errorf("B lacks a key created while deaf, after a resync: %v", err)
	}
	if got, want := fmt.Sprint(b.List("")), fmt.Sprint(a.List("")); got != want {
		t.Errorf("B's keys %s, A's %s", got, want)
	}
}

// TestManagedKeyOnceAcrossGateways: gateways racing to create an account's
// aws/s3 key end up with one key; the losers' candidates are gone.
func TestManagedKeyOnceAcrossGateways(t *testing.T) {
	ctx := context.Background()
	a, b, ga, _ := twoGateways(t)
	for i := range 10 {
		account := fmt.Sprintf("%012d", 300000000000+i)
		var wg sync.WaitGroup
		arns := make([]string, 8)
		start := make(chan struct{})
		for j := range arns {
			s := a
			if j%2 == 1 {
				s = b
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				var err error
				if arns[j], _, err = s.Use(ctx, account, account, "", gen); err != nil {
					t.Error(err)
				}
			}()
		}
		close(start)
		wg.Wait()
		for _, arn := range arns {
			if arn != arns[0] {
				t.Fatalf("account %s: racing gateways gave different managed keys: %v", account, arns)
			}
		}
		for name, s := range map[string]*kms.Service{"A": a, "B": b} {
			if keys := s.List(account); len(keys) != 1 || s.ARN(keys[0]) != arns[0] {
				t.Errorf("account %s: %s lists %+v, want the one managed key", account, name, keys)
			}
		}
	}
	docs, err := ga.ListDocs(ctx, "kms.key")
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 10 {
		t.Errorf("%d keys stored, want 10 (a losing candidate was left)", len(docs))
	}
}

// TestManagedKeyIndexedAtStart: an aws/s3 key stored before managed keys
// were indexed stays the account's managed key.
func TestManagedKeyIndexedAtStart(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	defer st.Close()
	const id = "5d1e7c9a-0b1c-4d2e-8f3a-4b5c6d7e8f90"
	doc := `{"id":"` + id + `","account_id":"` + alice + `","alias":"aws/s3","description":"d","enabled":true,"created":"2025-01-01T00:00:00Z"}`
	if err := st.PutDoc(ctx, "kms.key", id, []byte(doc)); err != nil {
		t.Fatal(err)
	}
	for range 2 { // two gateways starting on it
		s, err := kms.New(ctx, st, rootKey, region)
		if err != nil {
			t.Fatal(err)
		}
		if arn, _, err := s.Use(ctx, alice, alice, "", gen); err != nil || arn != "arn:aws:kms:us-east-1:"+alice+":key/"+id {
			t.Errorf("managed key: %s %v, want the stored one", arn, err)
		}
	}
	if docs, err := st.ListDocs(ctx, "kms.key"); err != nil || len(docs) != 1 {
		t.Errorf("%d keys stored (%v), want the one", len(docs), err)
	}
}
