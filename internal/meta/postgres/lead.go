package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tessera-s3/tessera/internal/meta"
)

// leadLock is the session advisory lock the leader's Store holds (see
// Lead). Advisory locks are per database, so one gateway of the database
// leads.
const leadLock int64 = 0x7465737365726132 // "tessera2"

// Lead implements meta.Cluster. Leadership is leadLock, held by a session
// of its own that this Store takes out of the pool, so that it lasts as long
// as that connection: PostgreSQL ends it when the process dies or the
// connection drops. A Store holds it for at most one gateway ID. Each call
// checks, on that connection, that the gateway is still registered (a
// reaped or taken-over registration loses leadership); that query also
// proves the session alive. If the connection died, leadership was lost:
// Lead reconnects and tries again.
func (s *Store) Lead(ctx context.Context, id string) (bool, error) {
	if err := ctxErr(ctx); err != nil {
		return false, err
	}
	gen := s.generationArg(id)
	s.leadMu.Lock()
	defer s.leadMu.Unlock()
	for attempt := 1; ; attempt++ {
		ok, err := s.leadOnce(ctx, id, gen)
		if err == nil || attempt == 2 || s.lead != nil || ctx.Err() != nil {
			return ok, err
		}
		// The connection died (leadOnce dropped it): once more, afresh.
	}
}

// leadOnce is one attempt of Lead, under leadMu. On an error that closed
// the connection it drops the connection and the leadership with it.
func (s *Store) leadOnce(ctx context.Context, id string, gen *time.Time) (bool, error) {
	conn, err := s.leadConn(ctx)
	if err != nil {
		return false, err
	}
	var ok bool
	err = conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM gateways WHERE `+registered+`)`, []byte(id), gen).Scan(&ok)
	if err != nil {
		s.leadFailed(conn)
		return false, errorf("postgres: lead: %w", err)
	}
	if !ok {
		if err := s.resign(ctx, id); err != nil {
			return false, err
		}
		return false, meta.ErrGatewayGone
	}
	if s.leader != "" {
		return s.leader == id, nil
	}
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, leadLock).Scan(&ok); err != nil {
		s.leadFailed(conn)
		return false, errorf("postgres: lead: %w", err)
	}
	if ok {
		s.leader = id
	}
	return ok, nil
}

// leadConn returns the dedicated connection, taking one out of the pool if
// there is none.
func (s *Store) leadConn(ctx context.Context) (*pgx.Conn, error) {
	if s.lead != nil {
		return s.lead, nil
	}
	pc, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, errorf("postgres: lead: %w", err)
	}
	s.lead = pc.Hijack()
	return s.lead, nil
}

// leadFailed drops the dedicated connection after a failed query if the
// failure closed it (with the connection, the session's lock is gone).
func (s *Store) leadFailed(conn *pgx.Conn) {
	if conn.IsClosed() {
		s.dropLead()
	}
}

// dropLead closes the dedicated connection, which ends any leadership.
func (s *Store) dropLead() {
	if s.lead == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.lead.Close(ctx)
	s.lead, s.leader = nil, ""
}

// Resign implements meta.Cluster.
func (s *Store) Resign(ctx context.Context, id string) error {
	s.leadMu.Lock()
	defer s.leadMu.Unlock()
	return s.resign(ctx, id)
}

// resign is Resign under leadMu. If the unlock fails, closing the
// connection releases the lock as surely.
func (s *Store) resign(ctx context.Context, id string) error {
	if s.leader != id || s.lead == nil {
		return nil
	}
	// Resigning must happen even if the caller's context is ending.
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	var released bool
	err := s.lead.QueryRow(uctx, `SELECT pg_advisory_unlock($1)`, leadLock).Scan(&released)
	if err != nil || !released {
		s.dropLead()
		return nil
	}
	s.leader = ""
	return nil
}

// closeLead ends leadership and closes the dedicated connection (Close).
func (s *Store) closeLead() {
	s.leadMu.Lock()
	defer s.leadMu.Unlock()
	s.dropLead()
}
