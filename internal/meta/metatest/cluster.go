package metatest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/internal/meta"
)

// The Cluster rows run gateways on h.s and on a peer store (a second
// process, where the backend has them; see WithPeer). Times: live is a ttl
// no test outlives; short is one the tests outlive by sleeping past it.
const (
	live  = time.Hour
	short = 250 * time.Millisecond
)

// stale sleeps until a beat made before the call is older than short.
func stale() { time.Sleep(short + 150*time.Millisecond) }

func gateway(id string) meta.Gateway { return meta.Gateway{ID: id, Address: id + ".example:9000"} }

func join(t *testing.T, s meta.Store, id string, ttl time.Duration) {
	t.Helper()
	noErr(t, "Join("+id+")", s.Join(t.Context(), gateway(id), ttl))
}

func beat(t *testing.T, s meta.Store, id string, leases ...string) {
	t.Helper()
	noErr(t, "Beat("+id+")", s.Beat(t.Context(), id, leases))
}

func gatewaysOf(t *testing.T, s meta.Store) map[string]meta.Gateway {
	t.Helper()
	list, err := s.Gateways(t.Context())
	noErr(t, "Gateways", err)
	out := map[string]meta.Gateway{}
	var ids []string
	for _, g := range list {
		out[g.ID] = g
		ids = append(ids, g.ID)
	}
	if !slices.IsSorted(ids) {
		t.Fatalf("Gateways = %q, want ascending by ID", ids)
	}
	return out
}

func gatewayIDs(gs []meta.Gateway) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.ID)
	}
	return out
}

func testClusterGateways(t *testing.T, h *harness) {
	ctx := t.Context()
	p, _, _ := h.peerStore()
	before := time.Now()
	join(t, h.s, "b", live)
	join(t, h.s, "a", live)
	wantErr(t, "Join(live ID)", h.s.Join(ctx, gateway("a"), live), meta.ErrGatewayExists)
	wantErr(t, "Join(live ID) on the peer", p.Join(ctx, gateway("a"), live), meta.ErrGatewayExists)

	gs := gatewaysOf(t, p)
	if len(gs) != 2 {
		t.Fatalf("Gateways = %v, want a and b", gs)
	}
	for _, g := range gs {
		if g.Address != g.ID+".example:9000" {
			t.Errorf("gateway %s address = %q", g.ID, g.Address)
		}
		// The store's clock, which may be another machine's: a
		// minute's leeway.
		if g.Started.Before(before.Add(-time.Minute)) || g.Started.After(time.Now().Add(time.Minute)) {
			t.Errorf("gateway %s started %v, joined at %v", g.ID, g.Started, before)
		}
		if !g.Beat.Equal(g.Started) {
			t.Errorf("gateway %s: first beat %v, want its start %v", g.ID, g.Beat, g.Started)
		}
	}
	time.Sleep(10 * time.Millisecond)
	beat(t, h.s, "a")
	if a := gatewaysOf(t, p)["a"]; !a.Beat.After(gs["a"].Beat) || !a.Started.Equal(gs["a"].Started) {
		t.Fatalf("after Beat: %+v, before: %+v", a, gs["a"])
	}
	wantErr(t, "Beat(unknown)", h.s.Beat(ctx, "nobody", nil), meta.ErrGatewayGone)

	noErr(t, "Leave", h.s.Leave(ctx, "b"))
	if gs := gatewaysOf(t, p); len(gs) != 1 || gs["a"].ID != "a" {
		t.Fatalf("Gateways after Leave = %v, want a", gs)
	}
	wantErr(t, "Beat(left)", h.s.Beat(ctx, "b", nil), meta.ErrGatewayGone)
	noErr(t, "Leave(again)", h.s.Leave(ctx, "b"))
	join(t, h.s, "b", live) // a left ID is free

	// A registration not renewed within ttl is taken over, as by a
	// gateway restarted (here: in another process) with a fixed ID.
	join(t, h.s, "c", live)
	old := gatewaysOf(t, h.s)["c"]
	stale()
	wantErr(t, "Join(ID renewed within ttl)", p.Join(ctx, gateway("c"), live), meta.ErrGatewayExists)
	noErr(t, "Join(stale ID)", p.Join(ctx, meta.Gateway{ID: "c", Address: "new:1"}, short))
	c := gatewaysOf(t, h.s)["c"]
	if c.Address != "new:1" || !c.Started.After(old.Started) {
		t.Fatalf("taken over: %+v, was %+v", c, old)
	}
}

// testClusterReap: Reap removes and returns the registrations not renewed
// within ttl, and only those.
func testClusterReap(t *testing.T, h *harness) {
	ctx := t.Context()
	p, _, _ := h.peerStore()
	join(t, h.s, "old", live)
	join(t, p, "older", live)
	join(t, h.s, "beating", live)
	for range 8 {
		time.Sleep(50 * time.Millisecond)
		beat(t, h.s, "beating")
	}
	reaped, err := p.Reap(ctx, short)
	noErr(t, "Reap", err)
	if ids := gatewayIDs(reaped); !slices.Equal(ids, []string{"old", "older"}) {
		t.Fatalf("Reap = %q, want [old older] (ascending)", ids)
	}
	if reaped[0].Address != "old.example:9000" || reaped[0].Started.IsZero() {
		t.Errorf("reaped %+v", reaped[0])
	}
	if gs := gatewaysOf(t, h.s); len(gs) != 1 || gs["beating"].ID == "" {
		t.Fatalf("Gateways after Reap = %v, want beating", gs)
	}
	wantErr(t, "Beat(reaped)", h.s.Beat(ctx, "old", nil), meta.ErrGatewayGone)
	reaped, err = h.s.Reap(ctx, short)
	noErr(t, "Reap(again)", err)
	if len(reaped) != 0 {
		t.Fatalf("Reap(again) = %v", reaped)
	}
	join(t, h.s, "old", live) // a reaped gateway may join again
}

// garbage makes n garbage blobs g1..gn through PutObject replacing and
// DeleteObject removing objects, and returns their IDs.
func (h *harness) garbage(n int) []string {
	h.t.Helper()
	h.bucket("gb")
	var out []string
	for i := 1; i <= n; i++ {
		id, key := fmt.Sprintf("g%d", i), fmt.Sprintf("k%d", i)
		h.put(object("gb", key, id))
		if i%2 == 0 {
			h.put(object("gb", key, "kept"+id))
		} else {
			_, _, err := h.s.DeleteObject(h.t.Context(), meta.Deletion{Bucket: "gb", Key: key}, nil)
			noErr(h.t, "DeleteObject", err)
		}
		out = append(out, id)
	}
	return out
}

func collectable(t *testing.T, s meta.Store, minAge, ttl time.Duration) []string {
	t.Helper()
	got, err := s.CollectableGarbage(t.Context(), minAge, ttl, 100)
	noErr(t, "CollectableGarbage", err)
	return got
}

// testClusterGarbage: garbage is collectable once minAge old, limit is
// honoured, and DeleteGarbage forgets it.
func testClusterGarbage(t *testing.T, h *harness) {
	ctx := t.Context()
	p, _, _ := h.peerStore()
	g := h.garbage(2)
	sameSet(t, "collectable with minAge 1h", collectable(t, h.s, time.Hour, live), nil)
	sameSet(t, "collectable with minAge 0", collectable(t, h.s, 0, live), g)
	sameSet(t, "collectable on the peer", collectable(t, p, 0, live), g)
	for _, limit := range []int{0, 1, 2, 3} {
		got, err := h.s.CollectableGarbage(ctx, 0, live, limit)
		noErr(t, "CollectableGarbage", err)
		if len(got) != min(limit, 2) {
			t.Errorf("CollectableGarbage(limit %d) = %q", limit, got)
		}
	}
	noErr(t, "DeleteGarbage", h.s.DeleteGarbage(ctx, g[:1]))
	sameSet(t, "collectable after DeleteGarbage", collectable(t, h.s, 0, live), g[1:])
	left, err := h.s.Garbage(ctx, 10)
	noErr(t, "Garbage", err)
	sameSet(t, "Garbage after DeleteGarbage", left, g[1:])
}

// testClusterLeases: a blob leased by a live gateway is not collectable;
// each Beat replaces the gateway's lease set; Leave, Reap and a beat older
// than ttl end leases.
func testClusterLeases(t *testing.T, h *harness) {
	ctx := t.Context()
	p, _, _ := h.peerStore()
	g := h.garbage(4)
	g1, g2, g3, g4 := g[0], g[1], g[2], g[3]
	join(t, h.s, "A", live)
	join(t, p, "B", live)
	for _, step := range []struct {
		name   string
		s      meta.Store
		id     string
		leases []string
		want   []string // collectable after the beat
	}{
		{"A leases g1 g2", h.s, "A", []string{g1, g2}, []string{g3, g4}},
		{"B leases g2 g3", p, "B", []string{g2, g3}, []string{g4}},
		{"A drops g1, adds g4", h.s, "A", []string{g2, g4}, []string{g1}},
		{"B drops every lease", p, "B", nil, []string{g1, g3}},
		{"B leases g1 twice", p, "B", []string{g1, g1}, []string{g3}},
		{"A renews the same set", h.s, "A", []string{g4, g2}, []string{g3}},
		{"A drops g2", h.s, "A", []string{g4}, []string{g2, g3}},
	} {
		noErr(t, step.name, step.s.Beat(ctx, step.id, step.leases))
		sameSet(t, step.name+": collectable", collectable(t, h.s, 0, live), step.want)
	}
	noErr(t, "Leave(B)", p.Leave(ctx, "B"))
	sameSet(t, "collectable after B left", collectable(t, h.s, 0, live), []string{g1, g2, g3})
	noErr(t, "Leave(A)", h.s.Leave(ctx, "A"))
	sameSet(t, "collectable after A left", collectable(t, h.s, 0, live), g)

	join(t, h.s, "C", live)
	beat(t, h.s, "C", g1, g2)
	stale()
	sameSet(t, "C's leases within ttl", collectable(t, p, 0, live), []string{g3, g4})
	sameSet(t, "C's leases after ttl", collectable(t, p, 0, short), g)
	reaped, err := p.Reap(ctx, short)
	noErr(t, "Reap", err)
	if ids := gatewayIDs(reaped); !slices.Equal(ids, []string{"C"}) {
		t.Fatalf("Reap = %q, want [C]", ids)
	}
	sameSet(t, "collectable after C was reaped", collectable(t, p, 0, live), g)
	wantErr(t, "Beat(reaped)", h.s.Beat(ctx, "C", []string{g1, g2}), meta.ErrGatewayGone)
	// The reaped registration's leases are gone: joining again, C must
	// lease its blobs anew, even the set it beat with before.
	join(t, h.s, "C", live)
	sameSet(t, "collectable after C joined again", collectable(t, p, 0, live), g)
	beat(t, h.s, "C", g1, g2)
	sameSet(t, "collectable after C's first beat", collectable(t, p, 0, live), []string{g3, g4})
}

func lead(t *testing.T, s meta.Store, id string, want bool) {
	t.Helper()
	got, err := s.Lead(t.Context(), id)
	noErr(t, "Lead("+id+")", err)
	if got != want {
		t.Fatalf("Lead(%s) = %v, want %v", id, got, want)
	}
}

// testClusterLead: one gateway leads, until it resigns, leaves, is
// reaped or (in a backend with processes) its store closes.
func testClusterLead(t *testing.T, h *harness) {
	ctx := t.Context()
	p, _, separate := h.peerStore()
	join(t, h.s, "A", live)
	join(t, h.s, "A2", live)
	join(t, p, "B", live)
	lead(t, h.s, "A", true)
	lead(t, p, "B", false)
	lead(t, h.s, "A", true) // still
	lead(t, h.s, "A2", false)
	_, err := h.s.Lead(ctx, "nobody")
	wantErr(t, "Lead(unregistered)", err, meta.ErrGatewayGone)

	noErr(t, "Resign(not the leader)", p.Resign(ctx, "B"))
	lead(t, h.s, "A", true)
	noErr(t, "Resign(A)", h.s.Resign(ctx, "A"))
	lead(t, p, "B", true)
	lead(t, h.s, "A", false)
	noErr(t, "Leave(B)", p.Leave(ctx, "B"))
	lead(t, h.s, "A2", true)
	lead(t, h.s, "A", false)
	noErr(t, "Leave(A2)", h.s.Leave(ctx, "A2"))
	lead(t, h.s, "A", true)

	// A reaped leader learns it is gone, and its leadership is over.
	join(t, p, "B", live)
	for range 8 {
		time.Sleep(50 * time.Millisecond)
		beat(t, p, "B")
	}
	reaped, err := p.Reap(ctx, short)
	noErr(t, "Reap", err)
	if ids := gatewayIDs(reaped); !slices.Equal(ids, []string{"A"}) {
		t.Fatalf("Reap = %q, want [A]", ids)
	}
	_, err = h.s.Lead(ctx, "A")
	wantErr(t, "Lead(reaped)", err, meta.ErrGatewayGone)
	lead(t, p, "B", true)
	noErr(t, "Resign(B)", p.Resign(ctx, "B"))

	if !separate {
		return // one process: there is no other store to lose
	}
	// The leader's process dies (its store closes without Leave): another
	// gateway takes over.
	q, closeQ, _ := h.peerStore()
	join(t, q, "Q", live)
	lead(t, q, "Q", true)
	lead(t, p, "B", false)
	closeQ()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, err := p.Lead(ctx, "B")
		noErr(t, "Lead(B)", err)
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("B did not lead within 10s of the leader's store closing")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// recorder is a subscriber that records the changes it gets, but for
// Kind "" (re-read everything), which a backend may send at any time.
type recorder struct {
	mu  sync.Mutex
	got []meta.Change
}

func (r *recorder) add(c meta.Change) {
	if c.Kind == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, c)
}

func (r *recorder) changes() []meta.Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

func (r *recorder) has(c meta.Change) bool {
	return slices.Contains(r.changes(), c)
}

// testClusterFeed: a change published through any store reaches the
// subscribers of every store, in publication order, before Publish
// returns (for the stores of live gateways).
func testClusterFeed(t *testing.T, h *harness) {
	ctx := t.Context()
	p, _, _ := h.peerStore()
	var r1, r2, late recorder
	h.s.Subscribe(r1.add)
	p.Subscribe(r2.add)
	join(t, h.s, "A", live)
	join(t, p, "B", live)
	var want []meta.Change
	for _, step := range []struct {
		via    meta.Store
		change meta.Change
	}{
		{h.s, meta.Change{Kind: "iam.key", ID: "AKIA1"}},
		{p, meta.Change{Kind: "iam.key", ID: "AKIA2"}},
		{h.s, meta.Change{Kind: "iam.account"}},
		{p, meta.Change{Kind: "kms\x00key", ID: "k\x00/é\xff"}}, // any bytes
	} {
		noErr(t, "Publish", step.via.Publish(ctx, step.change, live))
		want = append(want, step.change)
		for name, r := range map[string]*recorder{"store": &r1, "peer": &r2} {
			if !r.has(step.change) {
				t.Fatalf("Publish(%q) returned before the %s's subscriber had it (it has %q)", step.change, name, r.changes())
			}
		}
	}
	if got := r1.changes(); !slices.Equal(got, want) {
		t.Fatalf("store's subscriber got %q, want %q", got, want)
	}
	if got := r2.changes(); !slices.Equal(got, want) {
		t.Fatalf("peer's subscriber got %q, want %q", got, want)
	}
	// A subscriber gets what is published from its Subscribe on.
	p.Subscribe(late.add)
	c := meta.Change{Kind: "iam.key", ID: "AKIA3"}
	noErr(t, "Publish", h.s.Publish(ctx, c, live))
	if got := late.changes(); !slices.Equal(got, []meta.Change{c}) {
		t.Fatalf("late subscriber got %q, want %q", got, []meta.Change{c})
	}
}

// testClusterFeedConcurrent: changes published at once through both
// stores reach every subscriber in one order.
func testClusterFeedConcurrent(t *testing.T, h *harness) {
	ctx := t.Context()
	p, _, _ := h.peerStore()
	var r1, r2 recorder
	h.s.Subscribe(r1.add)
	p.Subscribe(r2.add)
	join(t, h.s, "A", live)
	join(t, p, "B", live)
	const n = 20
	errs := make([]error, n)
	parallel(n, func(i int) {
		via := h.s
		if i%2 == 1 {
			via = p
		}
		errs[i] = via.Publish(ctx, meta.Change{Kind: "n", ID: fmt.Sprint(i)}, live)
	})
	for _, err := range errs {
		noErr(t, "Publish", err)
	}
	got1, got2 := r1.changes(), r2.changes()
	if len(got1) != n || !slices.Equal(got1, got2) {
		t.Fatalf("subscribers got\n%q\n%q\nwant the same %d changes in the same order", got1, got2, n)
	}
	seen := map[meta.Change]bool{}
	for _, c := range got1 {
		seen[c] = true
	}
	if len(seen) != n {
		t.Fatalf("subscribers got %q, want %d distinct changes", got1, n)
	}
}

// testClusterFeedDeadGateway: Publish waits for a registered gateway that
// never delivers (its process died) only while its beat is within ttl, and
// no longer than ctx.
func testClusterFeedDeadGateway(t *testing.T, h *harness) {
	ctx := t.Context()
	var r recorder
	h.s.Subscribe(r.add)
	join(t, h.s, "A", live)
	ghost, closeGhost, _ := h.peerStore()
	join(t, ghost, "ghost", live)
	closeGhost() // where stores are processes, this one died

	wait, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_ = h.s.Publish(wait, meta.Change{Kind: "k", ID: "1"}, live) // published; not every gateway confirmed it
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("Publish took %v with a ctx of 300ms", d)
	}

	stale()
	beat(t, h.s, "A")
	bounded, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	start = time.Now()
	c := meta.Change{Kind: "k", ID: "2"}
	noErr(t, "Publish", h.s.Publish(bounded, c, short))
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("Publish waited %v for a gateway whose beat is older than ttl", d)
	}
	if !r.has(c) {
		t.Fatalf("Publish returned before the live gateway's subscriber had the change (it has %q)", r.changes())
	}
}
