package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tessera-s3/tessera/internal/config"
	"github.com/tessera-s3/tessera/internal/engine"
	"github.com/tessera-s3/tessera/internal/meta"
)

// Timing sets the cluster's clocks; zero fields take the defaults below.
// Tests shorten them.
type Timing struct {
	// Beat is the heartbeat interval: how often the gateway renews its
	// registration and sends its read leases.
	Beat time.Duration
	// TTL is how long a registration lives without a heartbeat.
	TTL time.Duration
	// Jobs is how often the gateway asks for leadership and, leading,
	// collects garbage and reaps dead gateways.
	Jobs time.Duration
	// GarbageGrace is how long garbage waits before a collector removes it
	// while other gateways are registered (engine.ClusterOptions).
	GarbageGrace time.Duration
	// Orphans is how often the leader sweeps blobs no metadata refers to.
	Orphans time.Duration
}

func (t Timing) withDefaults() Timing {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&t.Beat, time.Second)
	def(&t.TTL, engine.DefaultGatewayTTL)
	def(&t.Jobs, 5*time.Second)
	def(&t.GarbageGrace, engine.DefaultGarbageGrace)
	def(&t.Orphans, time.Hour)
	return t
}

// gatewayID is the configured ID, or the host name plus a random suffix.
func gatewayID(cfg config.Config) string {
	if cfg.GatewayID != "" {
		return cfg.GatewayID
	}
	host, _ := os.Hostname()
	host = strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '.' || r == '_' || r == '-' {
			return r
		}
		return '-'
	}, host)
	if len(host) > 48 {
		host = host[:48]
	}
	if host == "" {
		host = "gateway"
	}
	var b [4]byte
	rand.Read(b[:])
	return host + "-" + hex.EncodeToString(b[:])
}

// member is this gateway's part in the cluster: its registration and
// heartbeat, and — when it leads — the jobs exactly one gateway runs.
type member struct {
	id     string
	s      *Server
	timing Timing

	leading   atomic.Bool
	lastSweep time.Time // of orphans; only the jobs goroutine (or Open) uses it
	// leadingSince and healthySince (heartbeats succeeding without a
	// break since) decide when the leader may judge other gateways by
	// their heartbeats (settled). Unix nanoseconds; 0: not now.
	leadingSince atomic.Int64
	healthySince atomic.Int64
	leaderGains  prometheus.Counter
	beatErrors   prometheus.Counter
	reaped       prometheus.Counter

	stop context.CancelFunc
	done sync.WaitGroup
}

// joinWait bounds how long Join waits for a crashed predecessor's
// registration (same fixed ID) to expire.
func (m *member) join(ctx context.Context) error {
	g := meta.Gateway{ID: m.id, Address: m.s.cfg.Address}
	deadline := time.Now().Add(m.timing.TTL + m.timing.Beat)
	for {
		err := m.s.meta.Join(ctx, g, m.timing.TTL)
		if !errors.Is(err, meta.ErrGatewayExists) || time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("server: join as gateway %q: %w", m.id, err)
			}
			m.healthySince.CompareAndSwap(0, time.Now().UnixNano())
			return nil
		}
		m.s.log.Warn("a live gateway has this gateway ID; waiting for its registration to expire", "ttl", m.timing.TTL)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(m.timing.Beat):
		}
	}
}

// start runs the heartbeat and the leader's jobs until close.
func (m *member) start() {
	ctx, cancel := context.WithCancel(context.Background())
	m.stop = cancel
	m.done.Add(2)
	go func() { defer m.done.Done(); m.every(ctx, m.timing.Beat, m.beat) }()
	go func() { defer m.done.Done(); m.every(ctx, m.timing.Jobs, m.jobs) }()
}

func (m *member) every(ctx context.Context, d time.Duration, fn func(context.Context)) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn(ctx)
		}
	}
}

// beat renews the registration with this gateway's read leases. A
// registration reaped while the gateway was cut off is renewed by joining
// again; the leases the reaper dropped are sent anew.
func (m *member) beat(ctx context.Context) {
	at := time.Now()
	leases := m.s.engine.Leased()
	err := m.s.meta.Beat(ctx, m.id, leases)
	if errors.Is(err, meta.ErrGatewayGone) {
		m.s.log.Warn("gateway registration was reaped (heartbeats missed); joining again")
		if err = m.join(ctx); err == nil {
			err = m.s.meta.Beat(ctx, m.id, leases)
		}
	}
	if err != nil {
		if ctx.Err() == nil {
			m.beatErrors.Inc()
			m.healthySince.Store(0)
			m.s.log.Warn("gateway heartbeat failed", "err", err)
		}
		return
	}
	m.healthySince.CompareAndSwap(0, at.UnixNano())
	m.s.engine.Confirmed(at)
}

// lead asks for leadership and logs a change.
func (m *member) lead(ctx context.Context) bool {
	ok, err := m.s.meta.Lead(ctx, m.id)
	if err != nil && ctx.Err() == nil {
		m.s.log.Warn("asking for leadership", "err", err)
	}
	if was := m.leading.Swap(ok); was != ok {
		if ok {
			m.leadingSince.Store(time.Now().UnixNano())
		} else {
			m.leadingSince.Store(0)
		}
		if ok {
			m.leaderGains.Inc()
			m.s.log.Info("this gateway now leads the cluster (garbage collection, orphan sweep, lifecycle)")
		} else {
			m.s.log.Info("this gateway no longer leads the cluster")
		}
	}
	return ok
}

// jobs runs, on the leader only, what one gateway must do for all.
func (m *member) jobs(ctx context.Context) {
	gained := !m.leading.Load()
	if !m.lead(ctx) {
		return
	}
	m.leaderJobs(ctx, gained)
}

// leaderJobs collects garbage, reaps dead gateways and sweeps what they
// left; on gaining leadership and every Timing.Orphans it also sweeps
// orphan blobs.
func (m *member) leaderJobs(ctx context.Context, gained bool) {
	log := m.s.log
	if m.settled(ctx) {
		m.judgeGateways(ctx)
	}
	if gained || time.Since(m.lastSweep) >= m.timing.Orphans {
		m.lastSweep = time.Now()
		if _, err := m.s.engine.SweepOrphans(ctx, engine.OrphanGrace); err != nil && ctx.Err() == nil {
			log.Warn("orphan sweep", "err", err)
		}
	}
}

// judgeGateways runs the jobs that take a gateway without a recent
// heartbeat for dead: garbage collection (its read leases no longer
// count), reaping, and sweeping its temporary files.
func (m *member) judgeGateways(ctx context.Context) {
	log := m.s.log
	if err := m.s.engine.CollectGarbage(ctx); err != nil && ctx.Err() == nil {
		log.Warn("garbage collection", "err", err)
	}
	reaped, err := m.s.meta.Reap(ctx, m.timing.TTL)
	if err != nil && ctx.Err() == nil {
		log.Warn("reaping dead gateways", "err", err)
	}
	for _, g := range reaped {
		m.reaped.Inc()
		log.Warn("gateway presumed dead: no heartbeat within the TTL", "dead_gateway", g.ID, "ttl", m.timing.TTL)
	}
	if err := m.sweepTmp(ctx); err != nil && ctx.Err() == nil {
		log.Warn("sweeping dead gateways' temporary files", "err", err)
	}
}

// settled reports whether a missing heartbeat now means a dead gateway.
// Right after the database comes back (or this gateway reconnects, or
// takes the lead) every live gateway's last heartbeat is old: each had
// as little database as the leader. So the leader waits until it has led,
// and beaten, without a break for a TTL — by then every live gateway has
// beaten too — unless it is the only gateway registered. Either way its
// own registration must be fresh, or it would reap itself. Judging sooner
// reaped live gateways after a PostgreSQL restart and swept the temporary
// file of a PUT in flight.
//
// Nor need it wait when every registered gateway has beaten within TTL/2
// of its own latest heartbeat, which this healthy streak made: no
// registration is stale, so judging reaps none and every lease counts,
// and none can turn stale before the judging is done (TTL/2 is seconds;
// the jobs take milliseconds). This is the common case after a start,
// where waiting a TTL before the first garbage collection held every
// garbage blob for a TTL longer than the grace (2 s more in the
// three-gateway test suite, of which tests waiting for garbage paid ~1.5 s
// each).
func (m *member) settled(ctx context.Context) bool {
	since := func(v *atomic.Int64) bool {
		t := v.Load()
		return t != 0 && time.Since(time.Unix(0, t)) >= m.timing.TTL
	}
	if m.healthySince.Load() == 0 {
		return false // its own registration may be stale: Reap would take it
	}
	if since(&m.leadingSince) && since(&m.healthySince) {
		return true
	}
	gws, err := m.s.meta.Gateways(ctx)
	return err == nil && allFresh(gws, m.id, m.timing.TTL/2)
}

// allFresh reports whether gws holds self and every gateway's heartbeat
// is within margin of self's (the database's clock, as Beat records it).
func allFresh(gws []meta.Gateway, self string, margin time.Duration) bool {
	i := slices.IndexFunc(gws, func(g meta.Gateway) bool { return g.ID == self })
	if i < 0 {
		return false
	}
	for _, g := range gws {
		if g.Beat.Before(gws[i].Beat.Add(-margin)) {
			return false
		}
	}
	return true
}

// sweepTmp removes the temporary directories of gateways that are not
// registered (reaped, or gone before this version kept a registry).
func (m *member) sweepTmp(ctx context.Context) error {
	gws, err := m.s.meta.Gateways(ctx)
	if err != nil {
		return err
	}
	registered := map[string]bool{m.id: true}
	for _, g := range gws {
		registered[g.ID] = true
	}
	_, err = m.s.blobs.SweepTmp(func(id string) bool { return registered[id] })
	return err
}

// close stops the loops and leaves the cluster: the registration, its
// leases and any leadership end now rather than at the TTL.
func (m *member) close() {
	if m.stop != nil {
		m.stop()
		m.done.Wait()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.s.meta.Leave(ctx, m.id); err != nil {
		m.s.log.Warn("leaving the cluster", "err", err)
	}
}
