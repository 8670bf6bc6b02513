package engine

import (
	"context"
	"time"
)

// ClusterOptions place an engine among the gateways sharing its metadata
// store and data directory (the PostgreSQL backend; the embedded one has
// one gateway).
type ClusterOptions struct {
	// GatewayID is this gateway's registration in the store.
	GatewayID string
	// TTL is how long a gateway's registration, and with it its leases,
	// lives without a heartbeat (default DefaultGatewayTTL).
	TTL time.Duration
	// GarbageGrace is how long a blob stays garbage before another
	// gateway's collector may remove it (default DefaultGarbageGrace).
	GarbageGrace time.Duration
}

// Defaults of ClusterOptions. A reader's lease reaches the store with the
// next heartbeat (about a second); GarbageGrace covers that with a wide
// margin, so a blob is never collected from under a read that began
// before it became garbage, even when a heartbeat is late.
const (
	DefaultGatewayTTL   = 15 * time.Second
	DefaultGarbageGrace = time.Minute
)

type clusterSettings struct {
	gateway    string
	ttl, grace time.Duration
}

func (o ClusterOptions) settings() clusterSettings {
	c := clusterSettings{gateway: o.GatewayID, ttl: o.TTL, grace: o.GarbageGrace}
	if c.ttl <= 0 {
		c.ttl = DefaultGatewayTTL
	}
	if c.grace <= 0 {
		c.grace = DefaultGarbageGrace
	}
	return c
}

// alone reports whether no other gateway is registered with the store, so
// that garbage can go at once: a gateway that registers after this answer
// reads only metadata committed after it, which names no blob that was
// garbage before it. A registration not yet reaped counts (it may be a
// live gateway whose heartbeat is late). On error, not alone: the leader's
// collector will do it.
func (e *Engine) alone(ctx context.Context) bool {
	gws, err := e.meta.Gateways(ctx)
	if err != nil {
		e.log.Warn("engine: listing gateways", "err", err)
		return false
	}
	for _, g := range gws {
		if g.ID != e.cluster.gateway {
			return false
		}
	}
	return true
}
