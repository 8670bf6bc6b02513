package meta

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// A service that keeps documents in memory (iam's accounts and keys, kms's
// keys) follows the change feed the same way: it writes a change to the
// store first, then publishes it; every gateway's subscriber re-reads that
// one document, or everything when notifications may have been lost.
// Follower is that shared part, so each service writes only how to re-read.

// DefaultFeedTTL is the gateway TTL Publish is given unless a service is
// told otherwise: gateways that have not renewed their registration for
// this long are presumed dead and not waited for.
const DefaultFeedTTL = 15 * time.Second

// followTimeout bounds the store reads of one notification: they may run
// on the publisher's goroutine, and a hung read must not hold up the feed.
const followTimeout = 10 * time.Second

// Follower applies the change feed to one service's memory.
type Follower struct {
	// Name prefixes log messages ("iam", "kms").
	Name string
	// TTL is given to Publish (the server's heartbeat TTL).
	TTL time.Duration
	// Log receives failures that do not fail a call: a change written but
	// not announced, a notification that could not be applied.
	Log *slog.Logger
	// Resync re-reads every followed document and replaces memory.
	Resync func(ctx context.Context) error
	// Apply re-reads one changed document, by kind. Kinds not here are
	// other services' and ignored.
	Apply map[string]func(ctx context.Context, id string)

	// mu serialises notifications and resyncs: a notification arriving
	// during a resync is applied after it, not overwritten by its older
	// snapshot.
	mu sync.Mutex
}

// Publish announces a change the caller already wrote. The write stands
// whatever happens here, so a failure is logged, not returned: gateways
// that miss it catch up through a resync.
func (f *Follower) Publish(ctx context.Context, feed interface {
	Publish(context.Context, Change, time.Duration) error
}, kind, id string) {
	if err := feed.Publish(ctx, Change{Kind: kind, ID: id}, f.TTL); err != nil {
		f.Log.Warn(f.Name+": change written but not announced to other gateways", "kind", kind, "id", id, "err", err)
	}
}

// Notify is the subscriber to pass to Subscribe. A Change without a kind
// or ID means notifications may have been lost: everything is re-read.
func (f *Follower) Notify(c Change) {
	apply, ok := f.Apply[c.Kind]
	if c.Kind != "" && !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), followTimeout)
	defer cancel()
	f.mu.Lock()
	defer f.mu.Unlock()
	if c.Kind == "" || c.ID == "" {
		if err := f.Resync(ctx); err != nil {
			f.Log.Warn(f.Name+": resync after a change notification", "kind", c.Kind, "err", err)
		}
		return
	}
	apply(ctx, c.ID)
}

// ResyncNow re-reads everything, serialised with notifications: at start,
// and when the feed says notifications may have been lost.
func (f *Follower) ResyncNow(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.Resync(ctx)
}
