// Package postgres runs end-to-end user journeys of tests/e2e with metadata
// in PostgreSQL (the scale-out backend): the binary reads TESSERA_POSTGRES,
// and each script gets its own fresh database. The aws cli encryption
// journey is in tests/e2e/postgres/awscli, so each package stays within go
// test's 10-minute limit on a 2-core machine.
package postgres

import (
	"testing"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

var journeys = tesseratest.Journeys{Root: "../../.."}

func TestMain(m *testing.M) { journeys.Main(m) }

func TestAWSCLIPostgres(t *testing.T) { journeys.RunPostgres(t, "bash", "scripts/e2e-awscli.sh") }

func TestBoto3SeedListPartsPostgres(t *testing.T) {
	journeys.RunPostgres(t, "python3", "scripts/e2e_seed_listparts.py")
}

// Retention and legal hold are version metadata, the lock flag bucket
// metadata: the Object Lock journey on PostgreSQL too.
func TestBoto3LockPostgres(t *testing.T) {
	journeys.RunPostgres(t, "python3", "scripts/e2e_boto3_lock.py")
}

// Versions live in the metadata (two tables in PostgreSQL): the boto3
// versioning journey on PostgreSQL too (the conformance suite runs every
// versioning test on PostgreSQL as well).
func TestBoto3VersionsPostgres(t *testing.T) {
	journeys.RunPostgres(t, "python3", "scripts/e2e_boto3_versions.py")
}
