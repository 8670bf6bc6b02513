// Package postgres is the scale-out meta.Store, kept in a PostgreSQL
// database that many gateway processes share.
//
// Atomicity: every mutating method is one transaction, so a change and the
// garbage blob IDs it frees commit together or not at all. Transactions run
// at READ COMMITTED and serialise read-modify-write steps with row locks,
// which work across processes (an in-process mutex would not). Locks are
// always taken in the same order, so two operations never wait on each other
// in a cycle:
//
//  1. the bucket row: methods that add records to a bucket (PutObject,
//     DeleteObject, CreateUpload, CompleteUpload, PutBucketConfig) hold it
//     FOR KEY SHARE, which does not block other adders but does block
//     DeleteBucket's and UpdateBucket's FOR UPDATE, so a bucket cannot be
//     deleted between that check and the commit, and the versioning a
//     write read stays the bucket's until it commits;
//  2. the upload row: PutPart holds it FOR KEY SHARE (parts of one upload
//     are written in parallel), CompleteUpload, AbortUpload and DeleteBucket
//     FOR UPDATE (they delete it, and must see every part committed first);
//  3. the key's row in objects, which holds its latest version (FOR
//     UPDATE), for methods that add, edit or remove any version of the key:
//     a key with noncurrent versions (object_versions) always has a latest
//     one, so that row guards them all; or a part row (FOR UPDATE) for
//     PutPart replacing a part.
//
// The cluster's rows (cluster.go, lead.go, feed.go) are never locked
// together with those: Join and Publish take feedLock (a transaction
// advisory lock) first; Join, Beat, Leave and Reap then lock gateway rows
// and after them the leases of those gateways (Leave and Reap through ON
// DELETE CASCADE). Statements locking several gateway rows (Reap, the
// listener recording delivery) take them in ID order. UpdateDoc locks one
// docs row alone. leadLock (a session advisory lock) is only tried, never
// waited for, so it cannot be part of a cycle.
//
// Under READ COMMITTED each statement sees what committed before it started,
// so a read that must see the work of a transaction it just waited for is
// always a separate statement issued after the lock was granted.
//
// Absent rows cannot be locked. A writer that found no latest version (or part)
// inserts with ON CONFLICT DO NOTHING; if a concurrent writer created the
// row first, the insert waits for it, does nothing, and the writer looks
// again — calling the CheckFunc again with what is now current.
//
// Deadlocks and serialization failures (which the lock order and READ
// COMMITTED should rule out, but which a DBA's triggers or a proxy could
// still cause) are retried with the whole transaction, BuildFunc and
// CheckFunc included.
//
// Every identifier that is compared or ordered (bucket names, object keys,
// upload, blob and document IDs) is stored as bytea: PostgreSQL text cannot
// hold a NUL byte, and bytea compares bytewise, which is the order S3 lists
// in. Records are JSON in bytea columns, as in the Pebble store, beside the
// columns the queries need; parts and manifests, which come by the
// thousand, are in metacodec's binary form, also as in the Pebble store.
//
// The change feed (feed.go) is LISTEN/NOTIFY. PostgreSQL loses no
// notification on a live connection; when a listener's connection drops,
// it reconnects and tells its subscribers to re-read everything (a Change
// of Kind ""). As a backstop, each listener compares the latest change
// number with what it delivered every feedPoll (5 seconds): a notification
// lost any other way is made up for, the same way, within two feedPoll
// periods (10 seconds) of its publication.
package postgres

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tessera-s3/tessera/internal/meta"
)

var _ meta.Store = (*Store)(nil)

// Store is a meta.Store backed by PostgreSQL. Its methods are safe for
// concurrent use, also by several Stores (in several processes) on one
// database; none may be called after Close.
type Store struct {
	pool *pgxpool.Pool

	mu sync.Mutex // guards the fields below and the feed's state
	// joined holds the registrations Join made through this Store: gateway
	// ID → started, the registration's generation (cluster.go).
	joined map[string]time.Time
	subs   []func(meta.Change)
	feed   *feed // the listener, started by the first Subscribe or Join

	// beatMu serialises Beats and guards sent: per gateway ID, the lease
	// set this Store last sent.
	beatMu sync.Mutex
	sent   map[string]map[string]struct{}

	// leadMu guards lead, the connection holding leadLock (if leader is
	// not ""), and leader, the gateway ID it holds it for.
	leadMu sync.Mutex
	lead   *pgx.Conn
	leader string
}

// Open connects to the database named by dsn (a libpq keyword/value string
// or a postgres:// URL; pgxpool settings such as pool_max_conns apply) and
// creates or upgrades the schema. Several processes may Open one database
// at the same time.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := parseConfig(dsn)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, errorf("postgres: connect: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{pool: pool}, nil
}

// connectTimeout bounds a connection attempt when the DSN sets no
// connect_timeout: a database host that vanished from the network must
// turn requests into 503s within seconds, not after the kernel gives up on
// the TCP handshake (minutes).
const connectTimeout = 5 * time.Second

// parseConfig parses dsn into a pool configuration, with connectTimeout
// unless the DSN says otherwise.
func parseConfig(dsn string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, errorf("postgres: parse dsn: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	return cfg, nil
}

// OpenReadOnly connects to an existing database for reading only: every
// session is read-only (default_transaction_read_only), so no write can
// happen whatever is called, and the schema is not created or upgraded but
// must be the one this binary knows. It is for tools that inspect a store
// (fsck), possibly while gateways serve it.
func OpenReadOnly(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := parseConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, errorf("postgres: connect: %w", err)
	}
	var cur int
	if err := pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&cur); err != nil {
		pool.Close()
		return nil, errorf("postgres: no Tessera schema in this database: %w", err)
	}
	if cur != len(migrations) {
		pool.Close()
		return nil, errorf("postgres: schema version %d, but this binary knows version %d; use the tessera version the gateways run", cur, len(migrations))
	}
	return &Store{pool: pool}, nil
}

// Close stops the change feed's listener, ends this Store's leadership and
// closes every connection of the store, waiting for queries in flight. The
// registrations it made stay until Reap: Close is what a dying process
// does.
func (s *Store) Close() error {
	s.stopFeed()
	s.closeLead()
	s.pool.Close()
	return nil
}

// maxAttempts bounds the retries of a transaction that keeps failing with a
// deadlock or serialization failure.
const maxAttempts = 10

// txn is one attempt at a writing transaction and the garbage it frees.
type txn struct {
	pgx.Tx
	garbage []string
	seen    map[string]bool
}

// addGarbage queues blob IDs to be recorded as garbage before the commit,
// skipping empty and duplicate IDs.
func (t *txn) addGarbage(ids ...string) {
	for _, id := range ids {
		if id == "" || t.seen[id] {
			continue
		}
		if t.seen == nil {
			t.seen = map[string]bool{}
		}
		t.seen[id] = true
		t.garbage = append(t.garbage, id)
	}
}

// write runs fn in a READ COMMITTED transaction, records the garbage fn
// queued in the same transaction and commits; it returns that garbage. fn
// is called again, on a fresh transaction, after a deadlock or serialization
// failure; any other error from fn rolls back and is returned as is.
func (s *Store) write(ctx context.Context, fn func(t *txn) error) ([]string, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		garbage, err := s.attempt(ctx, fn)
		if err == nil || !retryable(err) || attempt == maxAttempts {
			return garbage, diskFull(err)
		}
		// Jittered backoff, so that the transactions that collided do
		// not collide again in lockstep.
		d := time.Duration(rand.Int64N(int64(attempt) * int64(2*time.Millisecond)))
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return nil, errorf("postgres: %w", ctx.Err())
		}
	}
}

func (s *Store) attempt(ctx context.Context, fn func(t *txn) error) (garbage []string, err error) {
	// Explicitly READ COMMITTED, whatever the database's default: the
	// look-again loops rely on each statement seeing the latest commits.
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return nil, errorf("postgres: begin: %w", err)
	}
	defer func() {
		if err != nil {
			// The caller's context may be the reason for the failure;
			// the rollback must still reach the server.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = tx.Rollback(rctx)
		}
	}()
	t := &txn{Tx: tx}
	if err := fn(t); err != nil {
		return nil, err
	}
	if len(t.garbage) > 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO garbage (blob_id) SELECT unnest($1::bytea[]) ON CONFLICT DO NOTHING`,
			byteSlices(t.garbage)); err != nil {
			return nil, errorf("postgres: record garbage: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			// The server answered: the transaction did not commit.
			return nil, errorf("postgres: commit: %w", err)
		}
		return nil, errorf("postgres: commit: %w: %w", errOutcomeUnknown, err)
	}
	return t.garbage, nil
}

// errOutcomeUnknown marks a COMMIT that got no answer: the transaction may
// have committed. pgconn.SafeToRetry reports such a failure as safe when
// the connection was already closed by the time pgx looked (a lost answer,
// seen by tests/e2e/pgrestart's TestCommitAnswerLost), and retrying would
// apply the transaction twice (a second version, or a Complete that finds
// its upload gone).
var errOutcomeUnknown = errors.New("the outcome of the commit is unknown")

// retryable reports whether err is a deadlock or serialization failure,
// after which the whole transaction may simply be tried again, or a
// failure before anything was sent (pgconn.SafeToRetry: a pooled
// connection found dead as the database restarted), which the next
// attempt makes on a fresh connection. A COMMIT whose answer was lost is
// neither: its outcome is unknown, and it is returned.
func retryable(err error) bool {
	if errors.Is(err, errOutcomeUnknown) {
		return false
	}
	if pgconn.SafeToRetry(err) {
		return true
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	return pgErr.Code == "40001" || pgErr.Code == "40P01"
}

// lockBucket takes the bucket row FOR KEY SHARE (see the package comment);
// ok is false if the bucket does not exist.
func (t *txn) lockBucket(ctx context.Context, name string) (ok bool, err error) {
	if !validName(name) {
		return false, nil
	}
	err = t.QueryRow(ctx, `SELECT true FROM buckets WHERE name = $1 FOR KEY SHARE`, []byte(name)).Scan(&ok)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, errorf("postgres: lock bucket: %w", err)
	}
	return true, nil
}

// validName reports whether s is non-empty and free of NUL bytes. The
// Pebble store needs that of bucket names, upload IDs and document kinds;
// this store enforces the same rules so that data moves between backends.
func validName(s string) bool { return s != "" && !strings.ContainsRune(s, 0) }

var (
	errBadBucketName = errors.New("postgres: bucket name is empty or contains a NUL byte")
	errBadUploadID   = errors.New("postgres: upload ID is empty or contains a NUL byte")
)

func notFound(what string) error {
	return errorf("postgres: %s: %w", what, meta.ErrNotFound)
}

func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return errorf("postgres: %w", err)
	}
	return nil
}
