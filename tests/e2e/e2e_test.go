// Package e2e builds the tessera binary once and drives it with the aws cli
// and boto3, the way a user would. Each script starts and stops its own
// server on 127.0.0.1 and exits non-zero on any failed check.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/tessera-s3/tessera/internal/meta/postgres/pgtest"
	"github.com/tessera-s3/tessera/internal/tesseratest"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tessera-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "tessera")
	cmd := exec.Command("go", "build", "-o", binary, "./cmd/tessera")
	cmd.Dir = "../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := pgtest.Main(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// run runs one script against the built binary.
func run(t *testing.T, name string, args ...string) {
	t.Helper()
	runEnv(t, nil, name, args...)
}

// runEnv runs one script with extra environment variables, which reach the
// servers it starts (TESSERA_POSTGRES, say).
func runEnv(t *testing.T, env []string, name string, args ...string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s not installed (.ci/run installs it): %v", name, err)
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = "../.."
	cmd.Env = append(append(os.Environ(), "TESSERA_BIN="+binary), env...)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
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

// The same user journeys with metadata in PostgreSQL (the scale-out
// backend): the binary reads TESSERA_POSTGRES, each script gets its own
// fresh database.
func TestAWSCLIPostgres(t *testing.T) {
	t.Parallel()
	runEnv(t, []string{"TESSERA_POSTGRES=" + pgtest.DSN(t)}, "bash", "scripts/e2e-awscli.sh")
}

// Encryption records (Part/Segment.Crypt, the SSE-C key check) live in the
// metadata: the SSE journey on PostgreSQL too. It is the longest script (the
// aws cli starts a Python process per command), so it runs in the
// PostgreSQL pass of .ci/run (TESSERA_TEST_META=postgres), beside the
// conformance suite's, keeping `go test ./...` inside go test's 10-minute
// package limit on a 2-core machine.
func TestAWSCLISSEPostgres(t *testing.T) {
	if os.Getenv(tesseratest.MetaEnv) != "postgres" {
		t.Skip("runs in the PostgreSQL pass: " + tesseratest.MetaEnv + "=postgres go test ./tests/e2e/ -run SSEPostgres")
	}
	t.Parallel()
	runEnv(t, []string{"TESSERA_POSTGRES=" + pgtest.DSN(t)}, "bash", "scripts/e2e-awscli-sse.sh")
}

func TestBoto3SeedListPartsPostgres(t *testing.T) {
	t.Parallel()
	runEnv(t, []string{"TESSERA_POSTGRES=" + pgtest.DSN(t)}, "python3", "scripts/e2e_seed_listparts.py")
}
