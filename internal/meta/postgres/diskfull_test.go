package postgres

import (
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tessera-s3/tessera/internal/meta"
)

// TestDiskFull: PostgreSQL's disk_full (SQLSTATE 53100, "could not extend
// file ...: No space left on device") is meta.ErrNoSpace and so ENOSPC, as
// a full data directory is; other errors are left as they are.
func TestDiskFull(t *testing.T) {
	tests := []struct {
		name string
		err  error
		full bool
	}{
		{"disk_full", &pgconn.PgError{Code: "53100", Message: `could not extend file "base/16384/16397": No space left on device`}, true},
		{"disk_full wrapped", fmt.Errorf("postgres: commit: %w", &pgconn.PgError{Code: "53100"}), true},
		{"out_of_memory", &pgconn.PgError{Code: "53200"}, false},
		{"serialization_failure", &pgconn.PgError{Code: "40001"}, false},
		{"not a database error", errors.New("boom"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := diskFull(tc.err)
			if got := errors.Is(err, meta.ErrNoSpace) && errors.Is(err, syscall.ENOSPC); got != tc.full {
				t.Errorf("diskFull(%v) full = %v, want %v", tc.err, got, tc.full)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("diskFull(%v) lost the cause", tc.err)
			}
		})
	}
	if diskFull(nil) != nil {
		t.Error("diskFull(nil) != nil")
	}
}
