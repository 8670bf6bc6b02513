// Package postgres runs the end-to-end user journeys of tests/e2e with
// metadata in PostgreSQL (the scale-out backend): the binary reads
// TESSERA_POSTGRES, and each script gets its own fresh database. It is a
// package of its own so that, run in parallel with tests/e2e, each stays
// within go test's 10-minute package limit on a 2-core machine.
package postgres

import (
	"fmt"
	"os"
	"testing"

	"github.com/tessera-s3/tessera/internal/meta/postgres/pgtest"
	"github.com/tessera-s3/tessera/internal/tesseratest"
)

const root = "../../.."

var binary string

func TestMain(m *testing.M) {
	var cleanup func()
	var err error
	if binary, cleanup, err = tesseratest.BuildBinary(root); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := pgtest.Main(m)
	cleanup()
	os.Exit(code)
}

// run runs one script with a fresh PostgreSQL database behind its servers.
func run(t *testing.T, name string, args ...string) {
	t.Helper()
	t.Parallel()
	tesseratest.RunScript(t, root, binary, []string{"TESSERA_POSTGRES=" + pgtest.DSN(t)}, name, args...)
}

func TestAWSCLIPostgres(t *testing.T) { run(t, "bash", "scripts/e2e-awscli.sh") }

// Encryption records (Part/Segment.Crypt, the SSE-C key check) and KMS
// keys live in the metadata: the encryption journey on PostgreSQL too.
func TestAWSCLISSEPostgres(t *testing.T) { run(t, "bash", "scripts/e2e-awscli-sse.sh") }

func TestBoto3SeedListPartsPostgres(t *testing.T) { run(t, "python3", "scripts/e2e_seed_listparts.py") }

// Retention and legal hold are version metadata, the lock flag bucket
// metadata: the Object Lock journey on PostgreSQL too.
func TestBoto3LockPostgres(t *testing.T) { run(t, "python3", "scripts/e2e_boto3_lock.py") }

// Versions live in the metadata (two tables in PostgreSQL): the boto3
// versioning journey on PostgreSQL too (the cli one is slower and this
// package is near go test's limit; the conformance suite runs every
// versioning test on PostgreSQL as well).
func TestBoto3VersionsPostgres(t *testing.T) { run(t, "python3", "scripts/e2e_boto3_versions.py") }
