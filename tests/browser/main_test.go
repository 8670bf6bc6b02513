package browser

import (
	"os"
	"testing"

	"github.com/tessera-s3/tessera/internal/meta/postgres/pgtest"
)

// TestMain stops the throwaway PostgreSQL server pgtest starts for the
// tests that run several gateways on one database.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
