package postgres

import "time"

// SetClaimWait shortens ClaimGateway's wait for tests; it returns a func
// that restores it.
func SetClaimWait(d time.Duration) (restore func()) {
	old := claimWait
	claimWait = d
	return func() { claimWait = old }
}
