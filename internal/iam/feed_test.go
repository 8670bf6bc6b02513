package iam

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/internal/meta"
	pebblestore "github.com/tessera-s3/tessera/internal/meta/pebble"
	"github.com/tessera-s3/tessera/internal/sigv4"
)

var (
	testRoot    = Account{ID: "000000000000", CanonicalID: "root-canonical", Name: "root"}
	testRootKey = Key{AccessKeyID: "ROOTKEY", SecretAccessKey: "rootsecret"}
	testNow     = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

// gateway is one gateway's view of a shared store: it can stop receiving
// change notifications (deaf), count key reads, fail usage updates, and
// run a hook inside a read (to interleave a change with it).
type gateway struct {
	Docs
	deaf       atomic.Bool
	keyReads   atomic.Int64
	failUsage  atomic.Bool
	duringRead func(kind, id string) // nil: none
}

func (g *gateway) Subscribe(fn func(meta.Change)) {
	g.Docs.Subscribe(func(c meta.Change) {
		if !g.deaf.Load() {
			fn(c)
		}
	})
}

func (g *gateway) GetDoc(ctx context.Context, kind, id string) ([]byte, error) {
	if kind == kindKey {
		g.keyReads.Add(1)
	}
	b, err := g.Docs.GetDoc(ctx, kind, id)
	if g.duringRead != nil {
		g.duringRead(kind, id)
	}
	return b, err
}

func (g *gateway) UpdateDoc(ctx context.Context, kind, id string, fn func([]byte, bool) ([]byte, error)) error {
	if kind == kindUsage && g.failUsage.Load() {
		return errors.New("database on fire")
	}
	return g.Docs.UpdateDoc(ctx, kind, id, fn)
}

// twoGateways opens one Pebble store and two services on it, as two
// gateway processes sharing PostgreSQL would be.
func twoGateways(t *testing.T) (a, b *Service, ga, gb *gateway) {
	t.Helper()
	st, err := pebblestore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ga, gb = &gateway{Docs: st}, &gateway{Docs: st}
	if a, err = NewService(t.Context(), ga, testRoot, testRootKey); err != nil {
		t.Fatal(err)
	}
	if b, err = NewService(t.Context(), gb, testRoot, testRootKey); err != nil {
		t.Fatal(err)
	}
	return a, b, ga, gb
}

func wantLookup(t *testing.T, s *Service, what, id string, ok bool) {
	t.Helper()
	c, err := s.Lookup(t.Context(), id)
	switch {
	case ok && (err != nil || c.AccessKeyID != id):
		t.Errorf("%s: Lookup(%s) = %+v, %v; want the key", what, id, c, err)
	case !ok && !errors.Is(err, sigv4.ErrUnknownKey):
		t.Errorf("%s: Lookup(%s) = %+v, %v; want ErrUnknownKey", what, id, c, err)
	}
}

// TestChangesReachOtherGateway: what one gateway changes, the other sees
// from memory when the call returns — through the feed alone, since the
// other gateway's copy of a key is already cached (no read-through).
func TestChangesReachOtherGateway(t *testing.T) {
	ctx := t.Context()
	a, b, _, gb := twoGateways(t)
	acct, key, err := a.CreateAccount(ctx, "alice", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Account(acct.ID); err != nil {
		t.Fatalf("account created on A unknown to B's memory: %v", err)
	}
	if got := b.Keys(acct.ID); len(got) != 1 || got[0].AccessKeyID != key.AccessKeyID {
		t.Fatalf("B's memory holds keys %+v, want %s", got, key.AccessKeyID)
	}
	var key2 Key
	steps := []struct {
		name   string
		change func() error
		key    *Key
		wantOK bool
	}{
		{"created", func() error { return nil }, &key, true},
		{"disabled", func() error { return a.SetKeyDisabled(ctx, key.AccessKeyID, true) }, &key, false},
		{"enabled again", func() error { return a.SetKeyDisabled(ctx, key.AccessKeyID, false) }, &key, true},
		{"second key", func() (err error) { key2, err = a.CreateKey(ctx, acct.ID, testNow); return err }, &key2, true},
		{"deleted", func() error { return a.DeleteKey(ctx, key.AccessKeyID) }, &key, false},
		{"account removed", func() error { return a.RemoveAccount(ctx, acct.ID) }, &key2, false},
	}
	for _, st := range steps {
		if err := st.change(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		before := gb.keyReads.Load()
		wantLookup(t, b, st.name+" (B)", st.key.AccessKeyID, st.wantOK)
		wantLookup(t, a, st.name+" (A)", st.key.AccessKeyID, st.wantOK)
		if st.wantOK && gb.keyReads.Load() != before {
			t.Errorf("%s: B read the key from the store; the feed should have cached it", st.name)
		}
	}
	if _, err := b.Account(acct.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("removed account still in B's memory: %v", err)
	}
	if got := b.Keys(acct.ID); len(got) != 0 {
		t.Errorf("removed account's keys still in B's memory: %+v", got)
	}
	// Changes B makes reach A the same way.
	if err := b.SetKeyDisabled(ctx, "TKNOSUCHKEY", true); !errors.Is(err, ErrNotFound) {
		t.Errorf("disabling an unknown key: %v", err)
	}
	if err := b.DeleteKey(ctx, key.AccessKeyID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting a deleted key: %v", err)
	}
	bob, bobKey, err := b.CreateAccount(ctx, "bob", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Account(bob.ID); err != nil {
		t.Errorf("B's account unknown to A: %v", err)
	}
	wantLookup(t, a, "B's key on A", bobKey.AccessKeyID, true)
}

// TestReadThrough: a gateway that hears nothing still authenticates a key
// (and its account) created through another one, by reading the store;
// unknown keys are remembered briefly, so repeating one costs one read.
func TestReadThrough(t *testing.T) {
	ctx := t.Context()
	a, b, _, gb := twoGateways(t)
	gb.deaf.Store(true)
	acct, key, err := a.CreateAccount(ctx, "alice", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Account(acct.ID); err == nil {
		t.Fatal("deaf gateway learned of the account from the feed; the test proves nothing")
	}
	wantLookup(t, b, "read through", key.AccessKeyID, true)
	reads := gb.keyReads.Load()
	wantLookup(t, b, "cached", key.AccessKeyID, true)
	if n := gb.keyReads.Load() - reads; n != 0 {
		t.Errorf("second lookup read the store %d times; the first should have cached the key", n)
	}
	if _, err := b.Account(acct.ID); err != nil {
		t.Errorf("account read through was not cached: %v", err)
	}

	reads = gb.keyReads.Load()
	for range 100 {
		wantLookup(t, b, "bogus", "TKBOGUSBOGUSBOGUSBOG", false)
	}
	if n := gb.keyReads.Load() - reads; n != 1 {
		t.Errorf("100 lookups of one unknown key read the store %d times, want 1", n)
	}
	// A notification of that key clears the memory of the miss.
	gb.deaf.Store(false)
	if err := a.docs.Publish(ctx, meta.Change{Kind: kindKey, ID: "TKBOGUSBOGUSBOGUSBOG"}, time.Second); err != nil {
		t.Fatal(err)
	}
	reads = gb.keyReads.Load()
	wantLookup(t, b, "bogus after a notification", "TKBOGUSBOGUSBOGUSBOG", false)
	if n := gb.keyReads.Load() - reads; n != 1 {
		t.Errorf("lookup after a notification read the store %d times, want 1", n)
	}
}

// TestReadThroughRacingChange: a read-through that overlaps a change
// notification does not cache what it read, which may predate the change.
func TestReadThroughRacingChange(t *testing.T) {
	ctx := t.Context()
	a, b, _, gb := twoGateways(t)
	gb.deaf.Store(true)
	_, key, err := a.CreateAccount(ctx, "alice", testNow)
	if err != nil {
		t.Fatal(err)
	}
	gb.deaf.Store(false)
	var done atomic.Bool
	gb.duringRead = func(kind, id string) {
		// B has read the key; it is deleted (and B notified, re-reading it
		// itself) before B's read-through caches it.
		if kind == kindKey && id == key.AccessKeyID && done.CompareAndSwap(false, true) {
			if err := a.DeleteKey(ctx, key.AccessKeyID); err != nil {
				t.Error(err)
			}
		}
	}
	// This lookup overlaps the deletion: either answer is linearizable.
	b.Lookup(ctx, key.AccessKeyID)
	wantLookup(t, b, "after the deletion", key.AccessKeyID, false)
}

// TestResync: a change notification with no kind makes a gateway that
// missed changes re-read everything, deletions included.
func TestResync(t *testing.T) {
	ctx := t.Context()
	a, b, _, gb := twoGateways(t)
	alice, aliceKey, err := a.CreateAccount(ctx, "alice", testNow)
	if err != nil {
		t.Fatal(err)
	}
	gb.deaf.Store(true)
	bob, bobKey, err := a.CreateAccount(ctx, "bob", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteKey(ctx, aliceKey.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	wantLookup(t, b, "stale before resync", aliceKey.AccessKeyID, true)
	gb.deaf.Store(false)
	if err := a.docs.Publish(ctx, meta.Change{}, time.Second); err != nil {
		t.Fatal(err)
	}
	wantLookup(t, b, "deleted key after resync", aliceKey.AccessKeyID, false)
	if got := b.Keys(bob.ID); len(got) != 1 || got[0].AccessKeyID != bobKey.AccessKeyID {
		t.Errorf("B's keys of bob after resync: %+v", got)
	}
	if got := b.Keys(alice.ID); len(got) != 0 {
		t.Errorf("B's keys of alice after resync: %+v", got)
	}
	if got, want := fmt.Sprint(b.Accounts()), fmt.Sprint(a.Accounts()); got != want {
		t.Errorf("B's accounts after resync %s, A's %s", got, want)
	}
	wantLookup(t, b, "root key after resync", testRootKey.AccessKeyID, true)
}

// TestUsageAddsUp: two gateways counting and flushing one account at once
// lose nothing; a failed flush keeps its counts for the next one.
func TestUsageAddsUp(t *testing.T) {
	ctx := t.Context()
	a, b, ga, _ := twoGateways(t)
	const rounds, perRound = 20, 50
	var wg sync.WaitGroup
	for _, s := range []*Service{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				for range perRound {
					s.CountUsage("111111111111", 3, 5)
				}
				if err := s.Flush(ctx); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	const n = 2 * rounds * perRound
	want := Usage{Requests: n, BytesIn: 3 * n, BytesOut: 5 * n}
	if u, err := b.Usage(ctx, "111111111111"); err != nil || u != want {
		t.Fatalf("usage %+v %v, want %+v", u, err, want)
	}

	ga.failUsage.Store(true)
	a.CountUsage("111111111111", 1, 1)
	if err := a.Flush(ctx); err == nil {
		t.Fatal("flush with a failing store succeeded")
	}
	a.CountUsage("111111111111", 1, 1)
	ga.failUsage.Store(false)
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	want = want.plus(Usage{Requests: 2, BytesIn: 2, BytesOut: 2})
	if u, err := b.Usage(ctx, "111111111111"); err != nil || u != want {
		t.Fatalf("usage after a failed flush %+v %v, want %+v", u, err, want)
	}
}

// TestAccountNameUnique: two gateways creating one name at once — exactly
// one succeeds; removing the account frees the name on every gateway.
func TestAccountNameUnique(t *testing.T) {
	ctx := t.Context()
	a, b, _, _ := twoGateways(t)
	for i := range 20 {
		name := fmt.Sprintf("racer-%d", i)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		accts := make([]Account, 2)
		start := make(chan struct{})
		for j, s := range []*Service{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				accts[j], _, errs[j] = s.CreateAccount(ctx, name, testNow)
			}()
		}
		close(start)
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, ErrExists):
				t.Fatalf("%s: %v", name, err)
			}
		}
		if ok != 1 {
			t.Fatalf("%s: %d creations succeeded (%v), want 1", name, ok, errs)
		}
	}
	if len(a.Accounts()) != 21 || len(b.Accounts()) != 21 {
		t.Fatalf("accounts: A %d, B %d, want 21", len(a.Accounts()), len(b.Accounts()))
	}
	gone, _, err := a.CreateAccount(ctx, "reused", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.RemoveAccount(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.CreateAccount(ctx, "reused", testNow); err != nil {
		t.Fatalf("name of a removed account: %v", err)
	}
}

// TestAccountNameIndexedAtStart: accounts stored before names were indexed
// get their names claimed at start, so no gateway can reuse them.
func TestAccountNameIndexedAtStart(t *testing.T) {
	ctx := t.Context()
	st, err := pebblestore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	old := []byte(`{"id":"123456789012","canonical_id":"c","name":"veteran"}`)
	if err := st.PutDoc(ctx, kindAccount, "123456789012", old); err != nil {
		t.Fatal(err)
	}
	if _, err := NewService(ctx, st, testRoot, testRootKey); err != nil {
		t.Fatal(err)
	}
	if got, err := st.GetDoc(ctx, kindAccountName, "veteran"); err != nil || string(got) != "123456789012" {
		t.Fatalf("name index: %q %v", got, err)
	}
	// A second gateway's in-memory check would refuse it too; the claim
	// is what a gateway that started before the account existed relies on.
	fresh := &Service{docs: st}
	if err := fresh.claimName(ctx, "veteran", "999999999999"); !errors.Is(err, ErrExists) {
		t.Fatalf("claiming an indexed name: %v", err)
	}
}
