package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// SetClaimWait shortens ClaimGateway's wait for tests; it returns a func
// that restores it.
func SetClaimWait(d time.Duration) (restore func()) {
	old := claimWait
	claimWait = d
	return func() { claimWait = old }
}

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
