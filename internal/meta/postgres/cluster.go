package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tessera-s3/tessera/internal/meta"
)

// The registry lives in the gateways table, each gateway's leases in
// leases. Every time is the database's clock (now()), so that gateways whose
// clocks disagree still agree on who is live: a registration is live while
// beat >= now() - ttl.
//
// A Store remembers, for each registration it made, the started time Join
// gave it: a registration's generation. Beat and Lead through this Store
// check it, so that a gateway presumed dead whose ID a new process took over
// (a restart with a fixed ID) learns it is gone instead of renewing, and
// overwriting the leases of, its successor's registration.

// Join implements meta.Cluster. It starts this Store's change feed first,
// so that the gateway delivers every change published after Join returns.
func (s *Store) Join(ctx context.Context, g meta.Gateway, ttl time.Duration) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if err := s.startFeed(ctx); err != nil {
		return err
	}
	var started time.Time
	_, err := s.write(ctx, func(t *txn) error {
		// Under the feed lock no publication is between taking its
		// number and committing, so the current number is exactly what
		// has been published: the new gateway need not deliver any of it
		// (it reads current state after joining) and must deliver all
		// that follows (its listener already listens).
		if _, err := t.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, feedLock); err != nil {
			return errorf("postgres: join: lock feed: %w", err)
		}
		err := t.QueryRow(ctx, `INSERT INTO gateways (id, address, started, beat, seen)
			VALUES ($1, $2, now(), now(), (`+currentChange+`))
			ON CONFLICT (id) DO UPDATE SET address = EXCLUDED.address, started = EXCLUDED.started,
				beat = EXCLUDED.beat, seen = EXCLUDED.seen
			WHERE gateways.beat < now() - $3::interval
			RETURNING started`, []byte(g.ID), g.Address, ttl).Scan(&started)
		if errors.Is(err, pgx.ErrNoRows) {
			return meta.ErrGatewayExists
		}
		if err != nil {
			return errorf("postgres: join: %w", err)
		}
		// A taken-over registration's leases died with its gateway.
		if _, err := t.Exec(ctx, `DELETE FROM leases WHERE gateway = $1`, []byte(g.ID)); err != nil {
			return errorf("postgres: join: drop old leases: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.forgetLeases(g.ID)
	// The dead registration's leadership ends with it, as in the Pebble
	// store, if this Store held it.
	if err := s.Resign(ctx, g.ID); err != nil {
		return err
	}
	return s.addJoined(ctx, g.ID, started)
}

// generation returns the started time of the registration this Store made
// for id, if it made one.
func (s *Store) generation(id string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	started, ok := s.joined[id]
	return started, ok
}

// registered is the condition, on gateways, that the row is id's
// registration of the generation this Store made ($1 the ID, $2 the
// started time or NULL if this Store made none).
const registered = `id = $1 AND ($2::timestamptz IS NULL OR started = $2)`

// generationArg is the started time for the registered condition.
func (s *Store) generationArg(id string) *time.Time {
	if started, ok := s.generation(id); ok {
		return &started
	}
	return nil
}

// Beat implements meta.Cluster. A Store sends only the difference between
// the lease set and the one it last sent for the gateway (a 10,000-part
// object read pins 10,000 blobs, renewed every few seconds); after an
// error, or ErrGatewayGone, it forgets what it sent and the next Beat sends
// the whole set.
func (s *Store) Beat(ctx context.Context, id string, leases []string) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	want := make(map[string]struct{}, len(leases))
	for _, b := range leases {
		want[b] = struct{}{}
	}
	// Beats of one Store are serialised: two computed against the same
	// last-sent set and committed in either order would leave neither set.
	s.beatMu.Lock()
	defer s.beatMu.Unlock()
	prev, known := s.sent[id]
	gen := s.generationArg(id)
	_, err := s.write(ctx, func(t *txn) error {
		tag, err := t.Exec(ctx, `UPDATE gateways SET beat = now() WHERE `+registered, []byte(id), gen)
		if err != nil {
			return errorf("postgres: beat: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return meta.ErrGatewayGone
		}
		if !known {
			return replaceLeases(ctx, t, id, want)
		}
		return updateLeases(ctx, t, id, prev, want)
	})
	if errors.Is(err, meta.ErrGatewayGone) {
		delete(s.sent, id)
		// A gateway presumed dead must not lead either; resigning now
		// lets another lead without waiting for this one's next Lead.
		if rerr := s.Resign(ctx, id); rerr != nil {
			return rerr
		}
		return err
	}
	if err != nil {
		delete(s.sent, id)
		return err
	}
	if s.sent == nil {
		s.sent = map[string]map[string]struct{}{}
	}
	s.sent[id] = want
	return nil
}

// replaceLeases makes want the gateway's whole lease set.
func replaceLeases(ctx context.Context, t *txn, id string, want map[string]struct{}) error {
	if _, err := t.Exec(ctx, `DELETE FROM leases WHERE gateway = $1`, []byte(id)); err != nil {
		return errorf("postgres: beat: drop leases: %w", err)
	}
	return addLeases(ctx, t, id, keys(want, nil))
}

// updateLeases turns the gateway's lease set from prev into want.
func updateLeases(ctx context.Context, t *txn, id string, prev, want map[string]struct{}) error {
	if gone := keys(prev, want); len(gone) > 0 {
		if _, err := t.Exec(ctx, `DELETE FROM leases WHERE gateway = $1 AND blob_id = ANY($2)`,
			[]byte(id), byteSlices(gone)); err != nil {
			return errorf("postgres: beat: drop leases: %w", err)
		}
	}
	return addLeases(ctx, t, id, keys(want, prev))
}

// addLeases adds blob IDs to the gateway's lease set, in one statement.
func addLeases(ctx context.Context, t *txn, id string, blobs []string) error {
	if len(blobs) == 0 {
		return nil
	}
	if _, err := t.Exec(ctx, `INSERT INTO leases (gateway, blob_id) SELECT $1, unnest($2::bytea[])
		ON CONFLICT DO NOTHING`, []byte(id), byteSlices(blobs)); err != nil {
		return errorf("postgres: beat: add leases: %w", err)
	}
	return nil
}

// keys returns the members of set that are not in minus.
func keys(set, minus map[string]struct{}) []string {
	var out []string
	for k := range set {
		if _, ok := minus[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

// forgetLeases makes the next Beat for id send its whole lease set.
func (s *Store) forgetLeases(id string) {
	s.beatMu.Lock()
	defer s.beatMu.Unlock()
	delete(s.sent, id)
}

// Leave implements meta.Cluster: the registration goes, its leases with it
// (ON DELETE CASCADE), and its leadership if this Store holds it.
func (s *Store) Leave(ctx context.Context, id string) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM gateways WHERE `+registered, []byte(id), s.generationArg(id)); err != nil {
		return errorf("postgres: leave: %w", err)
	}
	s.forgetLeases(id)
	s.dropJoined(id)
	return s.Resign(ctx, id)
}

// Gateways implements meta.Cluster.
func (s *Store) Gateways(ctx context.Context) ([]meta.Gateway, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT id, address, started, beat FROM gateways ORDER BY id`)
	if err != nil {
		return nil, errorf("postgres: gateways: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanGateway)
	if err != nil {
		return nil, errorf("postgres: gateways: %w", err)
	}
	return out, nil
}

// Reap implements meta.Cluster.
func (s *Store) Reap(ctx context.Context, ttl time.Duration) ([]meta.Gateway, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	// The rows are locked in ID order (see the package comment); a
	// gateway that beat while Reap waited for its row is spared.
	rows, err := s.pool.Query(ctx, `WITH dead AS (
			SELECT id FROM gateways WHERE beat < now() - $1::interval ORDER BY id FOR UPDATE
		), reaped AS (
			DELETE FROM gateways g USING dead WHERE g.id = dead.id
			RETURNING g.id, g.address, g.started, g.beat
		) SELECT * FROM reaped ORDER BY id`, ttl)
	if err != nil {
		return nil, errorf("postgres: reap: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanGateway)
	if err != nil {
		return nil, errorf("postgres: reap: %w", err)
	}
	return out, nil
}

// scanGateway reads a row of (id, address, started, beat).
func scanGateway(r pgx.CollectableRow) (meta.Gateway, error) {
	var id []byte
	var g meta.Gateway
	err := r.Scan(&id, &g.Address, &g.Started, &g.Beat)
	g.ID = string(id)
	return g, err
}

// CollectableGarbage implements meta.Cluster, in one statement, so the
// leases and beats it weighs are one snapshot; IDs come back in byte order.
func (s *Store) CollectableGarbage(ctx context.Context, minAge, ttl time.Duration, limit int) ([]string, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT g.blob_id FROM garbage g
		WHERE g.since <= now() - $1::interval
		AND NOT EXISTS (
			SELECT 1 FROM leases l JOIN gateways gw ON gw.id = l.gateway
			WHERE l.blob_id = g.blob_id AND gw.beat >= now() - $2::interval
		)
		ORDER BY g.blob_id LIMIT $3`, minAge, ttl, limit)
	if err != nil {
		return nil, errorf("postgres: collectable garbage: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanString)
	if err != nil {
		return nil, errorf("postgres: collectable garbage: %w", err)
	}
	return out, nil
}

// UpdateDoc implements meta.Cluster. The document's row is locked FOR
// UPDATE, which serialises UpdateDocs across processes. An absent row
// cannot be locked: the insert tolerates a concurrent creator (ON CONFLICT
// DO NOTHING waits for it), and if one got there first, the step starts
// over with its document. So fn may be called more than once; only its
// last result is stored.
func (s *Store) UpdateDoc(ctx context.Context, kind, id string, fn func(doc []byte, found bool) ([]byte, error)) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if !validName(kind) || id == "" {
		return notFound("document")
	}
	k, i := []byte(kind), []byte(id)
	_, err := s.write(ctx, func(t *txn) error {
		for {
			done, err := updateDocOnce(ctx, t, k, i, fn)
			if done || err != nil {
				return err
			}
		}
	})
	return err
}

// updateDocOnce is one step of UpdateDoc; done is false if a concurrent
// creator inserted the document first.
func updateDocOnce(ctx context.Context, t *txn, kind, id []byte, fn func([]byte, bool) ([]byte, error)) (done bool, err error) {
	var old []byte
	err = t.QueryRow(ctx, `SELECT doc FROM docs WHERE kind = $1 AND id = $2 FOR UPDATE`, kind, id).Scan(&old)
	found := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return false, errorf("postgres: update document: %w", err)
	}
	doc, err := fn(old, found)
	if err != nil {
		return false, err
	}
	switch {
	case doc == nil && !found:
		return true, nil
	case doc == nil:
		_, err = t.Exec(ctx, `DELETE FROM docs WHERE kind = $1 AND id = $2`, kind, id)
	case found:
		_, err = t.Exec(ctx, `UPDATE docs SET doc = $3 WHERE kind = $1 AND id = $2`, kind, id, doc)
	default:
		tag, err := t.Exec(ctx, `INSERT INTO docs (kind, id, doc) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, kind, id, doc)
		if err != nil {
			return false, errorf("postgres: update document: %w", err)
		}
		return tag.RowsAffected() == 1, nil
	}
	if err != nil {
		return false, errorf("postgres: update document: %w", err)
	}
	return true, nil
}
