package pebblestore

import (
	"context"
	"encoding/binary"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tessera-s3/tessera/internal/meta"
)

// cluster is the Pebble store's meta.Cluster. Pebble locks its directory,
// so every gateway of this store lives in this process and the registry,
// leases, leadership and change feed can live in memory: they describe
// running processes, not data, and mean nothing after a restart.
type cluster struct {
	mu       sync.Mutex
	gateways map[string]*gatewayState
	leader   string
	// deliver serialises Publish so subscribers see changes one at a
	// time, in publication order.
	deliver sync.Mutex
	subs    []func(meta.Change)
	// docs serialises UpdateDoc (Pebble has no row locks).
	docs sync.Mutex
}

type gatewayState struct {
	meta.Gateway
	leases map[string]struct{}
}

// live reports whether g beat within ttl of now.
func (g *gatewayState) live(now time.Time, ttl time.Duration) bool {
	return now.Sub(g.Beat) <= ttl
}

// Join implements meta.Cluster.
func (s *Store) Join(ctx context.Context, g meta.Gateway, ttl time.Duration) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	c := &s.cluster
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if old, ok := c.gateways[g.ID]; ok && old.live(now, ttl) {
		return meta.ErrGatewayExists
	}
	if c.gateways == nil {
		c.gateways = map[string]*gatewayState{}
	}
	g.Started, g.Beat = now, now
	c.gateways[g.ID] = &gatewayState{Gateway: g}
	if c.leader == g.ID { // the dead registration's leadership ends with it
		c.leader = ""
	}
	return nil
}

// Beat implements meta.Cluster.
func (s *Store) Beat(ctx context.Context, id string, leases []string) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	c := &s.cluster
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.gateways[id]
	if !ok {
		return meta.ErrGatewayGone
	}
	g.Beat = time.Now()
	g.leases = make(map[string]struct{}, len(leases))
	for _, b := range leases {
		g.leases[b] = struct{}{}
	}
	return nil
}

// Leave implements meta.Cluster.
func (s *Store) Leave(ctx context.Context, id string) error {
	c := &s.cluster
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.gateways, id)
	if c.leader == id {
		c.leader = ""
	}
	return nil
}

// Gateways implements meta.Cluster.
func (s *Store) Gateways(ctx context.Context) ([]meta.Gateway, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	c := &s.cluster
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]meta.Gateway, 0, len(c.gateways))
	for _, g := range c.gateways {
		out = append(out, g.Gateway)
	}
	slices.SortFunc(out, func(a, b meta.Gateway) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Reap implements meta.Cluster.
func (s *Store) Reap(ctx context.Context, ttl time.Duration) ([]meta.Gateway, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	c := &s.cluster
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	var out []meta.Gateway
	for id, g := range c.gateways {
		if g.live(now, ttl) {
			continue
		}
		out = append(out, g.Gateway)
		delete(c.gateways, id)
		if c.leader == id {
			c.leader = ""
		}
	}
	slices.SortFunc(out, func(a, b meta.Gateway) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// leased returns the blobs live gateways hold.
func (c *cluster) leased(now time.Time, ttl time.Duration) map[string]struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]struct{}{}
	for _, g := range c.gateways {
		if !g.live(now, ttl) {
			continue
		}
		for b := range g.leases {
			out[b] = struct{}{}
		}
	}
	return out
}

// CollectableGarbage implements meta.Cluster.
func (s *Store) CollectableGarbage(ctx context.Context, minAge, ttl time.Duration, limit int) ([]string, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	now := time.Now()
	leased := s.cluster.leased(now, ttl)
	cutoff := now.Add(-minAge)
	var out []string
	lower := []byte{tGarbage}
	err := s.scan(lower, successor(lower), -1, func(k, v []byte) (bool, error) {
		id := string(k[1:])
		if _, held := leased[id]; held || garbageTime(v).After(cutoff) {
			return true, nil
		}
		out = append(out, id)
		return len(out) < limit, nil
	})
	return out, err
}

// garbageSince encodes when a blob became garbage.
func garbageSince(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano()))
}

// garbageTime decodes garbageSince; records from before garbage was dated
// are empty and count as long ago.
func garbageTime(v []byte) time.Time {
	if len(v) != 8 {
		return time.Time{}
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(v)))
}

// Lead implements meta.Cluster.
func (s *Store) Lead(ctx context.Context, id string) (bool, error) {
	if err := ctxErr(ctx); err != nil {
		return false, err
	}
	c := &s.cluster
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, registered := c.gateways[id]; !registered {
		return false, meta.ErrGatewayGone
	}
	if c.leader == "" {
		c.leader = id
	}
	return c.leader == id, nil
}

// Resign implements meta.Cluster.
func (s *Store) Resign(ctx context.Context, id string) error {
	c := &s.cluster
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.leader == id {
		c.leader = ""
	}
	return nil
}

// Publish implements meta.Cluster: every subscriber is in this process,
// so delivering to them all is delivering to every gateway.
func (s *Store) Publish(ctx context.Context, ch meta.Change, ttl time.Duration) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	c := &s.cluster
	c.deliver.Lock()
	defer c.deliver.Unlock()
	c.mu.Lock()
	subs := slices.Clone(c.subs)
	c.mu.Unlock()
	for _, fn := range subs {
		fn(ch)
	}
	return nil
}

// Subscribe implements meta.Cluster.
func (s *Store) Subscribe(fn func(meta.Change)) {
	c := &s.cluster
	c.mu.Lock()
	defer c.mu.Unlock()
	c.subs = append(c.subs, fn)
}

// UpdateDoc implements meta.Cluster.
func (s *Store) UpdateDoc(ctx context.Context, kind, id string, fn func(doc []byte, found bool) ([]byte, error)) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if !validName(kind) || id == "" {
		return notFound("document")
	}
	s.cluster.docs.Lock()
	defer s.cluster.docs.Unlock()
	old, found, err := s.get(docKey(kind, id))
	if err != nil {
		return err
	}
	doc, err := fn(old, found)
	if err != nil {
		return err
	}
	wb := s.newBatch()
	if doc == nil {
		wb.del(docKey(kind, id))
	} else {
		wb.set(docKey(kind, id), doc)
	}
	_, err = wb.commit()
	return err
}
