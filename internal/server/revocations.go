package server

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/session"
)

// kindRevokedSession is the store-wide document kind of the console
// sessions logged out: ID the token's ID, document its expiry in Unix
// seconds.
const kindRevokedSession = "console.revoked-session"

// revocations keeps the console's revoked sessions in the metadata store,
// where every gateway of a cluster reads them: a point get per session
// request (Pebble) or one round trip (PostgreSQL), and no cache, so a
// logout through one gateway holds on all of them when it returns.
//
// The set stays bounded: a revocation matters only until its token
// expires (a session lasts session.DefaultTTL), and the leader's
// maintenance (sweep) removes the expired ones, so the set holds at most
// the logouts of the last TTL plus a maintenance interval.
type revocations struct {
	store meta.Store
	now   func() time.Time
}

var _ session.Revocations = revocations{}

// Revoke implements session.Revocations.
func (r revocations) Revoke(ctx context.Context, id string, expires time.Time) error {
	if err := r.store.PutDoc(ctx, kindRevokedSession, id, []byte(strconv.FormatInt(expires.Unix(), 10))); err != nil {
		return fmt.Errorf("server: revoking session: %w", err)
	}
	return nil
}

// Revoked implements session.Revocations.
func (r revocations) Revoked(ctx context.Context, id string) (bool, error) {
	_, err := r.store.GetDoc(ctx, kindRevokedSession, id)
	switch {
	case errors.Is(err, meta.ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("server: reading session revocation: %w", err)
	}
	return true, nil
}

// sweep removes the revocations of sessions that have expired (their
// tokens are refused by their expiry alone) and returns how many. A
// document that does not parse is removed too: nothing refers to it.
func (r revocations) sweep(ctx context.Context) (int, error) {
	docs, err := r.store.ListDocs(ctx, kindRevokedSession)
	if err != nil {
		return 0, fmt.Errorf("server: listing session revocations: %w", err)
	}
	now := r.now()
	n := 0
	for _, d := range docs {
		exp, err := strconv.ParseInt(string(d.Data), 10, 64)
		if err == nil && now.Before(time.Unix(exp, 0)) {
			continue
		}
		if err := r.store.DeleteDoc(ctx, kindRevokedSession, d.ID); err != nil {
			return n, fmt.Errorf("server: removing session revocation: %w", err)
		}
		n++
	}
	return n, nil
}
