package meta

import (
	"context"
	"errors"
	"time"
)

// Scale-out: several gateway processes may share one store (the PostgreSQL
// backend) and one data directory. Nothing a gateway keeps in memory is
// authoritative; what gateways must agree on goes through the Cluster half
// of the store contract:
//
//   - a registry of gateways, each renewing its registration with Beat;
//     a registration not renewed within a TTL belongs to a dead gateway;
//   - leases: with each Beat a gateway names the blobs its readers still
//     hold, and no gateway collects a leased blob while the lease's
//     gateway is live;
//   - leadership: one gateway at a time runs the background jobs (garbage
//     collection, orphan sweep, completion pruning, lifecycle);
//   - a change feed: a gateway that changed shared state its peers cache
//     (accounts, keys, KMS keys) publishes the change, and every gateway's
//     subscribers see it.
//
// The embedded (Pebble) store has exactly one process by construction
// (Pebble locks its directory), so its Cluster is in memory — but it keeps
// the same semantics, so that two gateways in one process (as tests run
// them) behave as two processes on PostgreSQL would.

// Gateway is a registered gateway. Times are the store's clock.
type Gateway struct {
	ID string
	// Address is where it serves (informational, for operators).
	Address string
	Started time.Time
	// Beat is when the registration was last renewed.
	Beat time.Time
}

// Change is one entry of the change feed: something of a kind (a Doc
// kind, e.g. "iam.key") with an ID changed; subscribers re-read it. An
// empty ID means "anything of the kind may have changed" (re-read all).
type Change struct {
	Kind string
	ID   string
}

// Errors of the Cluster contract.
var (
	// ErrGatewayExists: Join with the ID of a live gateway.
	ErrGatewayExists = errors.New("meta: a live gateway already has this ID")
	// ErrGatewayGone: Beat after the registration was reaped (the gateway
	// was presumed dead; it must not trust its leases and should Join again).
	ErrGatewayGone = errors.New("meta: gateway registration was reaped")
)

// Cluster is the coordination half of the store contract.
type Cluster interface {
	// Join registers a gateway (g.Beat is ignored; now is its first beat).
	// A registration with the same ID that has not beaten within ttl is
	// taken over (a gateway restarted with a fixed ID); a live one gives
	// ErrGatewayExists. Change notifications are delivered to this store's
	// subscribers from Join on.
	Join(ctx context.Context, g Gateway, ttl time.Duration) error
	// Beat renews the registration of gateway id and makes leases the set of
	// blob IDs the gateway's readers hold (replacing the previous set).
	// ErrGatewayGone if the registration was reaped.
	Beat(ctx context.Context, id string, leases []string) error
	// Leave ends the registration, its leases and its leadership.
	Leave(ctx context.Context, id string) error
	// Gateways lists every registration, live or not, ascending by ID.
	Gateways(ctx context.Context) ([]Gateway, error)
	// Reap removes the registrations (and leases) not renewed within ttl
	// and returns them: their gateways are presumed dead, and what they
	// left (temporary files) may be cleaned up.
	Reap(ctx context.Context, ttl time.Duration) ([]Gateway, error)

	// CollectableGarbage returns up to limit garbage blob IDs that were
	// recorded at least minAge ago (by the store's clock) and that no
	// gateway renewed within ttl holds a lease on.
	CollectableGarbage(ctx context.Context, minAge, ttl time.Duration, limit int) ([]string, error)

	// Lead makes gateway id the leader if no gateway is, and reports
	// whether id is the leader now. Leadership lasts until Resign or Leave,
	// or until the store loses the gateway (on PostgreSQL: the session
	// holding it ends, as when the process dies); a leader calls Lead
	// again before each job to learn whether it still leads.
	Lead(ctx context.Context, id string) (bool, error)
	// Resign gives up leadership if id holds it.
	Resign(ctx context.Context, id string) error

	// Publish announces c to the subscribers of every store on the
	// database, this one included. It returns once every gateway renewed
	// within ttl has delivered it (so a change made through one gateway is
	// in effect on all of them when the request that made it returns), or
	// when ctx ends. The change reaches a gateway not waited for all the
	// same: its notification is committed, and a listener whose
	// connection broke re-reads everything when it is back.
	Publish(ctx context.Context, c Change, ttl time.Duration) error
	// Subscribe calls fn for every change published from now on, in
	// publication order, one at a time (possibly on the publisher's
	// goroutine: fn must not call Publish, and should be quick). A Change with Kind "" means changes may have been
	// missed (the feed's connection was lost): re-read everything.
	Subscribe(fn func(Change))

	// UpdateDoc atomically replaces a document with fn's result: fn gets
	// the stored document (nil, false if none) and returns the new one (nil
	// deletes it). Concurrent UpdateDocs of one document, from any
	// gateway, serialise. An error from fn is returned unchanged and
	// nothing is stored.
	UpdateDoc(ctx context.Context, kind, id string, fn func(doc []byte, found bool) ([]byte, error)) error
}
