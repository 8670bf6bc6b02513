package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// CreateSchemaAt creates the schema of an earlier release (version v) in
// the database named by dsn, as that release's Open would have.
func CreateSchemaAt(ctx context.Context, dsn string, v int) error {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return err
	}
	defer pool.Close()
	return migrateTo(ctx, pool, v)
}

// SetFeedPoll shortens the listener's poll for lost notifications; it
// returns a func that restores it. Stores opened before keep theirs only
// until their listener's next wait.
func SetFeedPoll(d time.Duration) (restore func()) {
	old := feedPoll
	feedPoll = d
	return func() { feedPoll = old }
}

// FeedPID returns the backend PID of the store's listener (0 if none).
func FeedPID(s *Store) uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.feed == nil {
		return 0
	}
	return s.feed.pid
}

// LeadPID returns the backend PID of the store's leadership connection (0
// if none).
func LeadPID(s *Store) uint32 {
	s.leadMu.Lock()
	defer s.leadMu.Unlock()
	if s.lead == nil {
		return 0
	}
	return s.lead.PgConn().PID()
}

// Errorf is errorf, for the table of what counts as the database away.
var Errorf = errorf

// Retryable and ErrOutcomeUnknown expose the retry rule to its table test.
var (
	Retryable         = retryable
	ErrOutcomeUnknown = errOutcomeUnknown
)
