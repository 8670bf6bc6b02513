package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// gatewayLock is the session advisory lock a gateway holds for as long as
// it serves a database (see ClaimGateway).
const gatewayLock int64 = 0x7465737365726131 // "tessera1"

// ErrGatewayRunning is returned by ClaimGateway when another gateway
// already serves the database.
var ErrGatewayRunning = errors.New("postgres: another tessera server already serves this database (one server per database for now)")

// ClaimGateway makes this store the only gateway of its database until
// Close. The store itself is safe to share; the server above it is not yet:
// it caches accounts, keys, bucket policies and lifecycle rules in memory,
// counts usage by read-modify-write and pins the blobs it is streaming only
// in its own process, so a second server on the same database would act on
// stale state and could free bytes the first is still reading. The claim is
// a session advisory lock on a connection of its own, released when that
// connection closes — by Close, or by PostgreSQL when the process dies.
func (s *Store) ClaimGateway(ctx context.Context) error {
	pc, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: claim gateway: %w", err)
	}
	// Taken out of the pool so that the lock lives exactly as long as the
	// claim, not as long as some pooled connection happens to.
	conn := pc.Hijack()
	// Waiting a little lets a server restarted right after a crash take
	// over once PostgreSQL has noticed the old session is gone.
	_, err = conn.Exec(ctx, fmt.Sprintf("SET lock_timeout = %d", claimWait.Milliseconds()))
	if err == nil {
		_, err = conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, gatewayLock)
	}
	if err != nil {
		conn.Close(context.Background())
		if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) && pgErr.Code == "55P03" { // lock_not_available
			return ErrGatewayRunning
		}
		return fmt.Errorf("postgres: claim gateway: %w", err)
	}
	s.claim = conn
	return nil
}

// claimWait is how long ClaimGateway waits for another server's claim to
// end before giving up.
var claimWait = 5 * time.Second

// releaseClaim ends the claim, if any.
func (s *Store) releaseClaim() {
	if s.claim != nil {
		s.claim.Close(context.Background())
		s.claim = nil
	}
}
