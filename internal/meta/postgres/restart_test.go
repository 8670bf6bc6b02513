package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/meta/postgres"
	"github.com/tessera-s3/tessera/internal/meta/postgres/pgtest"
)

// downFor bounds how long a call may take to fail while the database is
// down: a refused connection, not a hang.
const downFor = 5 * time.Second

// TestDatabaseRestart kills the database under two stores and restarts
// it: while it is away every call fails fast with meta.ErrUnavailable and
// leadership is lost; afterwards the same stores work again, exactly one
// leads, and the change feed tells its subscribers to re-read.
func TestDatabaseRestart(t *testing.T) {
	db := pgtest.StartInstance(t)
	a, b := open(t, db.DSN()), open(t, db.DSN())
	t.Cleanup(func() { a.Close(); b.Close() })
	ctx := t.Context()
	for i, s := range []*struct {
		id string
		s  meta.Cluster
	}{{"gw-a", a}, {"gw-b", b}} {
		must(t, fmt.Sprint("join ", i), s.s.Join(ctx, meta.Gateway{ID: s.id}, live))
	}
	var mu sync.Mutex
	resyncs := 0
	a.Subscribe(func(c meta.Change) {
		if c.Kind == "" {
			mu.Lock()
			resyncs++
			mu.Unlock()
		}
	})
	must(t, "create bucket", a.CreateBucket(ctx, meta.Bucket{Name: "b", Created: time.Now()}))
	leadA, err := a.Lead(ctx, "gw-a")
	must(t, "lead", err)
	if !leadA {
		t.Fatal("the only candidate does not lead")
	}

	db.Kill()
	for name, call := range map[string]func(context.Context) error{
		"ListBuckets": func(ctx context.Context) error { _, err := a.ListBuckets(ctx); return err },
		"GetBucket":   func(ctx context.Context) error { _, err := b.GetBucket(ctx, "b"); return err },
		"CreateBucket": func(ctx context.Context) error {
			return a.CreateBucket(ctx, meta.Bucket{Name: "c", Created: time.Now()})
		},
		"Beat": func(ctx context.Context) error { return a.Beat(ctx, "gw-a", nil) },
		"Lead": func(ctx context.Context) error { _, err := a.Lead(ctx, "gw-a"); return err },
	} {
		cctx, cancel := context.WithTimeout(ctx, 2*downFor)
		start := time.Now()
		err := call(cctx)
		cancel()
		if !errors.Is(err, meta.ErrUnavailable) {
			t.Errorf("%s with the database down: %v, want meta.ErrUnavailable", name, err)
		}
		if d := time.Since(start); d > downFor {
			t.Errorf("%s with the database down took %v, want under %v", name, d, downFor)
		}
	}

	db.Restart()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := a.GetBucket(ctx, "b")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GetBucket 10s after the restart: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	must(t, "beat after restart", a.Beat(ctx, "gw-a", nil))
	okA, errA := a.Lead(ctx, "gw-a")
	okB, errB := b.Lead(ctx, "gw-b")
	must(t, "lead a", errA)
	must(t, "lead b", errB)
	if okA == okB {
		t.Errorf("after the restart: a leads %v, b leads %v; want exactly one", okA, okB)
	}
	// The listener reconnects with backoff (at most feedPoll) and
	// resyncs its subscribers.
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		n := resyncs
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the change feed did not resync within 15s of the restart")
		}
	}
}

// TestUnavailableErrors lists which driver errors make a store error
// wrap meta.ErrUnavailable (the gateway answers 503) and which do not.
// TestRetryable: which failed transactions are tried again. A COMMIT
// without an answer never is, even when pgconn calls its error safe to
// retry (it does for a connection closed under it: TestCommitAnswerLost
// in tests/e2e/pgrestart saw a PUT applied twice that way).
func TestRetryable(t *testing.T) {
	var beforeSend error = safeToRetry{} // what pgconn says when nothing was sent
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nothing sent", beforeSend, true},
		{"40001 serialization_failure", &pgconn.PgError{Code: "40001"}, true},
		{"40P01 deadlock_detected", &pgconn.PgError{Code: "40P01"}, true},
		{"23505 unique_violation", &pgconn.PgError{Code: "23505"}, false},
		{"unexpected EOF", io.ErrUnexpectedEOF, false},
		{"commit without an answer", fmt.Errorf("postgres: commit: %w: %w", postgres.ErrOutcomeUnknown, io.ErrUnexpectedEOF), false},
		{"commit without an answer, pgconn says safe", fmt.Errorf("postgres: commit: %w: %w", postgres.ErrOutcomeUnknown, beforeSend), false},
		{"serialization failure at commit", fmt.Errorf("postgres: commit: %w", &pgconn.PgError{Code: "40001"}), true},
	} {
		if got := postgres.Retryable(tc.err); got != tc.want {
			t.Errorf("%s: retryable = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// safeToRetry is an error pgconn.SafeToRetry accepts, as pgconn's own
// errors for a request never sent are.
type safeToRetry struct{}

func (safeToRetry) Error() string     { return "nothing was sent" }
func (safeToRetry) SafeToRetry() bool { return true }

func TestUnavailableErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, true},
		{"connection reset", &net.OpError{Op: "read", Err: syscall.ECONNRESET}, true},
		{"unexpected EOF", io.ErrUnexpectedEOF, true},
		{"conn closed", pgconn.ErrConnClosed, true},
		{"08006 connection_failure", &pgconn.PgError{Code: "08006"}, true},
		{"57P01 admin_shutdown", &pgconn.PgError{Code: "57P01"}, true},
		{"57P02 crash_shutdown", &pgconn.PgError{Code: "57P02"}, true},
		{"57P03 cannot_connect_now", &pgconn.PgError{Code: "57P03"}, true},
		{"57014 query_canceled", &pgconn.PgError{Code: "57014"}, false},
		{"23505 unique_violation", &pgconn.PgError{Code: "23505"}, false},
		{"context canceled", context.Canceled, false},
		{"deadline exceeded", context.DeadlineExceeded, false},
		{"no rows", pgx.ErrNoRows, false},
		{"not found", meta.ErrNotFound, false},
	} {
		err := postgres.Errorf("postgres: op: %w", tc.err)
		if got := errors.Is(err, meta.ErrUnavailable); got != tc.want {
			t.Errorf("%s: unavailable = %v, want %v", tc.name, got, tc.want)
		}
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: the cause is no longer wrapped", tc.name)
		}
	}
}
