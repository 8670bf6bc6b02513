package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tessera-s3/tessera/internal/meta"
)

// errorf is fmt.Errorf for every error this package returns: when the
// error it wraps says the database could not be reached or went away
// mid-statement, the result also wraps meta.ErrUnavailable, so that the
// gateway answers 503 (retry) rather than 500.
func errorf(format string, a ...any) error {
	err := diskFull(fmt.Errorf(format, a...))
	if unavailable(err) {
		return fmt.Errorf("%w: %w", meta.ErrUnavailable, err)
	}
	return err
}

// unavailable reports whether err is the database being away rather than
// a fault of the request or of the data: a failed connection attempt, a
// connection that broke, or the server refusing work while it shuts down
// or recovers. A statement cut short by its own context is not.
func unavailable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return unavailableCode(pgErr.Code)
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		return true
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// unavailableCode reports whether a SQLSTATE is the server going or not
// yet there: class 08 (connection exception), 57P01 admin_shutdown (a
// fast or immediate shutdown ended the session), 57P02 crash_shutdown
// (another backend crashed), 57P03 cannot_connect_now (starting up or
// recovering).
func unavailableCode(code string) bool {
	return strings.HasPrefix(code, "08") || code == "57P01" || code == "57P02" || code == "57P03"
}

// diskFull marks err with meta.ErrNoSpace when the database could not
// extend a file (SQLSTATE 53100 disk_full; the statement and its
// transaction are rolled back, so nothing is half-stored). The database
// stays up and takes writes again once space is freed.
func diskFull(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "53100" {
		return fmt.Errorf("%w: %w", meta.ErrNoSpace, err)
	}
	return err
}
