package engine

import (
	"context"
	"errors"
	"sync"
	"time"
)

// pins counts the readers of each blob. A reader opens a multipart object's
// blobs one after another; if the object is replaced meanwhile, freeBlobs
// must not remove a blob a reader has yet to open, or the read dies half
// way. Pinned garbage stays in the store's garbage list and goes at the
// next maintenance pass.
//
// The gate makes "read the metadata, pin its blobs" atomic with respect to
// freeBlobs' "which blobs are unpinned": readers hold it shared for the
// read and the pin; freeBlobs holds it exclusively only to decide. Blobs
// reach freeBlobs after the metadata commit that dropped them, so a reader
// that starts reading after that decision sees the new metadata and never
// pins them.
//
// Other gateways learn of this gateway's pins as leases: the server's
// heartbeat sends Leased to the store every second or so and reports each
// success with Confirmed (see leaseGuard for why a reader checks that).
type pins struct {
	gate sync.RWMutex
	mu   sync.Mutex // guards n and confirmed; readers pin concurrently under the shared gate
	n    map[string]int
	// confirmed is when the last lease set the store accepted was taken:
	// every pin older than that is a lease other gateways respect.
	confirmed time.Time
}

func (p *pins) add(segs []Segment, delta int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == nil {
		p.n = map[string]int{}
	}
	for _, s := range segs {
		if p.n[s.BlobID] += delta; p.n[s.BlobID] <= 0 {
			delete(p.n, s.BlobID)
		}
	}
}

// unpinned returns the ids no reader holds. The caller may remove them:
// no reader can pin them any more.
func (p *pins) unpinned(ids []string) []string {
	p.gate.Lock()
	defer p.gate.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	var free []string
	for _, id := range ids {
		if p.n[id] == 0 {
			free = append(free, id)
		}
	}
	return free
}

// Leased returns the blobs this gateway's readers hold, for the store's
// lease table. Call Confirmed with the time taken just before calling
// Leased once the store has accepted them.
func (e *Engine) Leased() []string {
	e.pins.mu.Lock()
	defer e.pins.mu.Unlock()
	out := make([]string, 0, len(e.pins.n))
	for id := range e.pins.n {
		out = append(out, id)
	}
	return out
}

// Confirmed records that the lease set taken at t is in the store.
func (e *Engine) Confirmed(t time.Time) {
	e.pins.mu.Lock()
	defer e.pins.mu.Unlock()
	if t.After(e.pins.confirmed) {
		e.pins.confirmed = t
	}
}

// errLeaseLapsed cuts a read short whose blobs another gateway may have
// collected: its lease never reached the store in time.
var errLeaseLapsed = errors.New("engine: read lease lapsed (the metadata store has been unreachable); read cut short")

// leaseGuard tells a reader whether its next blob is still safe to open.
// Another gateway collects a garbage blob only once it has been garbage for
// GarbageGrace and no live gateway leases it. A blob this reader pinned
// became garbage after the reader read the metadata naming it, so within
// GarbageGrace/2 of the pin it is safe on any clock; later, only if a lease
// set holding it reached the store (confirmed after the pin) recently
// enough that the lease is still live.
type leaseGuard struct {
	p        *pins
	pinnedAt time.Time // monotonic
	grace    time.Duration
	ttl      time.Duration
}

func (g leaseGuard) check() error {
	if g.p == nil {
		return nil
	}
	now := time.Now()
	if now.Sub(g.pinnedAt) < g.grace/2 {
		return nil
	}
	g.p.mu.Lock()
	confirmed := g.p.confirmed
	g.p.mu.Unlock()
	if confirmed.After(g.pinnedAt) && now.Sub(confirmed) < g.ttl/2 {
		return nil
	}
	return errLeaseLapsed
}

// pinnedObject reads a version (readVersion's arguments) with its blobs
// pinned; release unpins them (it may be called more than once); guard
// says whether a blob not opened yet may still be opened.
func (e *Engine) pinnedObject(ctx context.Context, bucket, key, versionID, use string) (Object, func(), leaseGuard, error) {
	e.pins.gate.RLock()
	pinnedAt := time.Now()
	obj, err := e.readVersion(ctx, bucket, key, versionID, use)
	if err == nil {
		e.pins.add(obj.Segments, +1)
	}
	e.pins.gate.RUnlock()
	if err != nil {
		return Object{}, nil, leaseGuard{}, err
	}
	var once sync.Once
	guard := leaseGuard{p: &e.pins, pinnedAt: pinnedAt, grace: e.cluster.grace, ttl: e.cluster.ttl}
	return obj, func() { once.Do(func() { e.pins.add(obj.Segments, -1) }) }, guard, nil
}

func sameBlobs(a, b []Segment) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].BlobID != b[i].BlobID {
			return false
		}
	}
	return true
}
