package postgres

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tessera-s3/tessera/internal/meta"
)

// The change feed is LISTEN/NOTIFY on feedChannel. Each publication has a
// number from change_seq, taken and committed under feedLock, so that
// numbers and notifications (which PostgreSQL delivers in commit order) run
// in the same order. Each Store runs one listener: a goroutine holding a
// connection of its own that LISTENs, delivers each change to the Store's
// subscribers and then records, in gateways.seen, that every gateway joined
// through this Store has delivered up to that number. Publish waits for
// every live gateway's seen to reach its number.

// feedLock is the transaction advisory lock under which a publication
// takes its number and commits (and Join reads the current number).
const feedLock int64 = 0x7465737365726133 // "tessera3"

// feedChannel is the NOTIFY channel of the change feed.
const feedChannel = "tessera_changes"

// currentChange is a query for the number of the latest publication (0 if
// none): the sequence's state, which is not transactional.
const currentChange = `SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM change_seq`

// feedPoll is how often a listener compares the latest publication's
// number with what it delivered, to notice a lost notification.
var feedPoll = 5 * time.Second

// publishPoll is how often Publish looks whether every live gateway has
// delivered its change.
const publishPoll = 5 * time.Millisecond

// feedConnectTimeout bounds one attempt of the listener to connect.
const feedConnectTimeout = 10 * time.Second

// feed is the state of a Store's listener; its fields but stop, done and
// ready are guarded by Store.mu.
type feed struct {
	stop  context.CancelFunc
	done  chan struct{} // closed when the listener has stopped
	ready chan struct{} // closed when its first attempt to listen ended
	// delivered is the largest change number delivered (or known to be
	// older than the listener's LISTEN).
	delivered int64
	pid       uint32 // the listening backend's, for tests
}

// notice is a notification's payload. Kind and ID are []byte, which JSON
// carries as base64, so that any bytes round-trip exactly.
type notice struct {
	Seq  int64  `json:"seq"`
	Kind []byte `json:"kind"`
	ID   []byte `json:"id"`
}

// Publish implements meta.Cluster. When ctx ends while it waits for the
// gateways, the change is published all the same and Publish returns nil:
// the gateways that have not delivered it yet will.
func (s *Store) Publish(ctx context.Context, c meta.Change, ttl time.Duration) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	var seq int64
	_, err := s.write(ctx, func(t *txn) error {
		if _, err := t.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, feedLock); err != nil {
			return errorf("postgres: publish: lock feed: %w", err)
		}
		if err := t.QueryRow(ctx, `SELECT nextval('change_seq')`).Scan(&seq); err != nil {
			return errorf("postgres: publish: %w", err)
		}
		payload, err := json.Marshal(notice{Seq: seq, Kind: []byte(c.Kind), ID: []byte(c.ID)})
		if err != nil {
			return errorf("postgres: publish: %w", err)
		}
		if _, err := t.Exec(ctx, `SELECT pg_notify($1, $2)`, feedChannel, string(payload)); err != nil {
			return errorf("postgres: publish: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.awaitDelivery(ctx, seq, ttl)
}

// awaitDelivery waits until every gateway renewed within ttl has delivered
// change seq, or ctx ends.
func (s *Store) awaitDelivery(ctx context.Context, seq int64, ttl time.Duration) error {
	for {
		var done bool
		err := s.pool.QueryRow(ctx, `SELECT NOT EXISTS (
			SELECT 1 FROM gateways WHERE beat >= now() - $1::interval AND seen < $2)`, ttl, seq).Scan(&done)
		if ctx.Err() != nil || done {
			return nil
		}
		if err != nil {
			return errorf("postgres: publish: await delivery: %w", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(publishPoll):
		}
	}
}

// Subscribe implements meta.Cluster. fn is called on the listener's
// goroutine. It starts the listener if need be and returns once that has
// made its first attempt to listen; if that failed, fn gets a Change with
// Kind "" when the listener does connect.
func (s *Store) Subscribe(fn func(meta.Change)) {
	s.mu.Lock()
	s.subs = append(s.subs, fn)
	s.mu.Unlock()
	_ = s.startFeed(context.Background()) // cannot fail: the context never ends
}

// startFeed starts the listener if it is not running and waits for its
// first attempt to listen, or for ctx to end.
func (s *Store) startFeed(ctx context.Context) error {
	s.mu.Lock()
	f := s.feed
	if f == nil {
		lctx, stop := context.WithCancel(context.Background())
		f = &feed{stop: stop, done: make(chan struct{}), ready: make(chan struct{})}
		s.feed = f
		go s.listen(lctx, f)
	}
	s.mu.Unlock()
	select {
	case <-f.ready:
		return nil
	case <-ctx.Done():
		return errorf("postgres: start change feed: %w", ctx.Err())
	}
}

// stopFeed stops the listener, if any, and waits for it (Close).
func (s *Store) stopFeed() {
	s.mu.Lock()
	f := s.feed
	s.mu.Unlock()
	if f != nil {
		f.stop()
		<-f.done
	}
}

// listen is the listener: it listens, serves the feed until its
// connection fails, and listens again, until ctx ends. Every connection but
// a successful first one starts with a Change of Kind "": changes may have
// been published while it was not listening.
func (s *Store) listen(ctx context.Context, f *feed) {
	defer close(f.done)
	retry := 50 * time.Millisecond
	for attempt := 0; ; attempt++ {
		conn, err := s.feedConnect(ctx)
		if attempt == 0 {
			close(f.ready)
		}
		if err == nil {
			retry = 50 * time.Millisecond
			_ = s.serveFeed(ctx, f, conn, attempt > 0) // it failed; listening again is the remedy
			cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			conn.Close(cctx)
			cancel()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(retry):
		}
		retry = min(2*retry, feedPoll)
	}
}

// feedConnect takes a connection out of the pool (so that the LISTEN lasts
// exactly as long as the listener's use of it) and listens on it.
func (s *Store) feedConnect(ctx context.Context) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, feedConnectTimeout)
	defer cancel()
	pc, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, errorf("postgres: change feed: %w", err)
	}
	conn := pc.Hijack()
	if _, err := conn.Exec(ctx, `LISTEN `+feedChannel); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, errorf("postgres: change feed: listen: %w", err)
	}
	return conn, nil
}

// serveFeed delivers the notifications arriving on conn until it fails or
// ctx ends. resync: changes may have been missed before conn listened.
func (s *Store) serveFeed(ctx context.Context, f *feed, conn *pgx.Conn, resync bool) error {
	s.mu.Lock()
	f.pid = conn.PgConn().PID()
	s.mu.Unlock()
	cur, err := latestChange(ctx, conn)
	if err != nil {
		return err
	}
	if resync {
		s.deliver(meta.Change{})
	}
	if err := s.markDelivered(ctx, f, conn, cur); err != nil {
		return err
	}
	// observed is the latest number at the previous poll: a publication
	// that had its number then and is still not delivered a whole feedPoll
	// later lost its notification. (A number taken since may belong to a
	// publication still committing, whose notification is on its way.)
	observed := cur
	for {
		wctx, cancel := context.WithTimeout(ctx, feedPoll)
		n, err := conn.WaitForNotification(wctx)
		timedOut := wctx.Err() != nil
		cancel()
		switch {
		case err == nil:
			seq, c := decodeNotice(n.Payload)
			s.deliver(c)
			err = s.markDelivered(ctx, f, conn, seq)
		case ctx.Err() != nil:
			return ctx.Err()
		case timedOut && !conn.IsClosed():
			observed, err = s.pollFeed(ctx, f, conn, observed)
		}
		if err != nil {
			return err
		}
	}
}

// pollFeed is the listener's periodic check for lost notifications; it
// returns the latest number now.
func (s *Store) pollFeed(ctx context.Context, f *feed, conn *pgx.Conn, observed int64) (int64, error) {
	cur, err := latestChange(ctx, conn)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	behind := f.delivered < observed
	s.mu.Unlock()
	if behind {
		s.deliver(meta.Change{})
		if err := s.markDelivered(ctx, f, conn, observed); err != nil {
			return 0, err
		}
	}
	return cur, nil
}

// latestChange returns the number of the latest publication.
func latestChange(ctx context.Context, conn *pgx.Conn) (int64, error) {
	var n int64
	if err := conn.QueryRow(ctx, currentChange).Scan(&n); err != nil {
		return 0, errorf("postgres: change feed: %w", err)
	}
	return n, nil
}

// decodeNotice reads a notification's payload. One it cannot read (from a
// newer release, say) becomes a Change of Kind "": re-read everything.
func decodeNotice(payload string) (int64, meta.Change) {
	var n notice
	if err := json.Unmarshal([]byte(payload), &n); err != nil {
		return 0, meta.Change{}
	}
	return n.Seq, meta.Change{Kind: string(n.Kind), ID: string(n.ID)}
}

// deliver calls every subscriber with c. Only the listener calls it, so
// subscribers get changes one at a time, in order.
func (s *Store) deliver(c meta.Change) {
	s.mu.Lock()
	subs := slices.Clone(s.subs)
	s.mu.Unlock()
	for _, fn := range subs {
		fn(c)
	}
}

// markDelivered records that the listener has delivered change seq, for
// this Store's gateways. It reads the joined gateways under the same lock
// as it raises f.delivered, and addJoined the other way round, so that a
// gateway joining meanwhile is brought up to date by one or the other.
func (s *Store) markDelivered(ctx context.Context, f *feed, conn *pgx.Conn, seq int64) error {
	s.mu.Lock()
	f.delivered = max(f.delivered, seq)
	upTo := f.delivered
	ids, gens := s.joinedLocked()
	s.mu.Unlock()
	if len(ids) == 0 {
		return nil
	}
	if _, err := conn.Exec(ctx, markSeen, upTo, ids, gens); err != nil {
		return errorf("postgres: change feed: record delivery: %w", err)
	}
	return nil
}

// markSeen raises seen to $1 for the registrations ($2 IDs, $3 their
// started times) this Store made; a registration another process took over
// is not this Store's to vouch for.
// The rows are locked in ID order (see the package comment).
const markSeen = `WITH mine AS (
		SELECT g.id FROM gateways g JOIN unnest($2::bytea[], $3::timestamptz[]) AS j (id, started)
			ON g.id = j.id AND g.started = j.started
		ORDER BY g.id FOR UPDATE OF g
	) UPDATE gateways g SET seen = greatest(g.seen, $1) FROM mine WHERE g.id = mine.id`

// joinedLocked returns the registrations this Store made; s.mu is held.
func (s *Store) joinedLocked() ([][]byte, []time.Time) {
	ids := make([][]byte, 0, len(s.joined))
	gens := make([]time.Time, 0, len(s.joined))
	for id, started := range s.joined {
		ids = append(ids, []byte(id))
		gens = append(gens, started)
	}
	return ids, gens
}

// addJoined remembers a registration this Store made and marks it as
// having delivered what the listener has (see markDelivered).
func (s *Store) addJoined(ctx context.Context, id string, started time.Time) error {
	s.mu.Lock()
	if s.joined == nil {
		s.joined = map[string]time.Time{}
	}
	s.joined[id] = started
	upTo := s.feed.delivered
	s.mu.Unlock()
	if _, err := s.pool.Exec(ctx, markSeen, upTo, [][]byte{[]byte(id)}, []time.Time{started}); err != nil {
		return errorf("postgres: join: record delivery: %w", err)
	}
	return nil
}

// dropJoined forgets a registration this Store made.
func (s *Store) dropJoined(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.joined, id)
}
