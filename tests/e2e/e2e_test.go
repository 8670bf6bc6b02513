// Package e2e builds the tessera binary once and drives it with the aws cli
// and boto3, the way a user would. Each script starts and stops its own
// server on 127.0.0.1 and exits non-zero on any failed check.
package e2e

import (
	"fmt"
	"os"
	"testing"

	"github.com/tessera-s3/tessera/internal/meta/postgres/pgtest"
	"github.com/tessera-s3/tessera/internal/tesseratest"
)

var binary string

func TestMain(m *testing.M) {
	var cleanup func()
	var err error
	if binary, cleanup, err = tesseratest.BuildBinary("../.."); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := pgtest.Main(m)
	cleanup()
	os.Exit(code)
}

// run runs one script against the built binary.
func run(t *testing.T, name string, args ...string) {
	t.Helper()
	tesseratest.RunScript(t, "../..", binary, nil, name, args...)
}

func TestAWSCLI(t *testing.T)    { t.Parallel(); run(t, "bash", "scripts/e2e-awscli.sh") }
func TestBoto3(t *testing.T)     { t.Parallel(); run(t, "python3", "scripts/e2e_boto3.py") }
func TestAWSCLISSE(t *testing.T) { t.Parallel(); run(t, "bash", "scripts/e2e-awscli-sse.sh") }
func TestBoto3SSE(t *testing.T)  { t.Parallel(); run(t, "python3", "scripts/e2e_boto3_sse.py") }

// TestAdminCLI: accounts, sharing, keys and KMS keys through `tessera admin`
// and the AWS CLI.
func TestAdminCLI(t *testing.T) { t.Parallel(); run(t, "bash", "scripts/e2e-admin.sh") }
func TestBoto3SeedListParts(t *testing.T) {
	t.Parallel()
	run(t, "python3", "scripts/e2e_seed_listparts.py")
}
func TestBoto3Checksums(t *testing.T) {
	t.Parallel()
	run(t, "python3", "scripts/e2e_boto3_checksums.py")
}
func TestBoto3Lifecycle(t *testing.T) {
	t.Parallel()
	run(t, "python3", "scripts/e2e_boto3_lifecycle.py")
}

// TestBoto3Lock: Object Lock (issue 11) — lock buckets, retention, legal
// hold, protected deletes and S3's refusals, across a restart.
func TestBoto3Lock(t *testing.T) {
	t.Parallel()
	run(t, "python3", "scripts/e2e_boto3_lock.py")
}

// The same journeys with metadata in PostgreSQL are in tests/e2e/postgres:
// a package of their own, so each stays within go test's 10-minute limit.

// TestBoto3Post: browser form uploads with boto3's generate_presigned_post
// (SigV4 and SigV2 forms), S3's success answers and policy refusals.
func TestBoto3Post(t *testing.T) {
	t.Parallel()
	run(t, "python3", "scripts/e2e_boto3_post.py")
}
