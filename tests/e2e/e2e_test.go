// Package e2e builds the tessera binary and drives it with the aws cli and
// boto3, the way a user would.
package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "tessera")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/tessera")
	cmd.Dir = "../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// run runs a script with the built binary; the script starts and stops its
// own server and exits non-zero on any failed check.
func run(t *testing.T, bin string, name string, args ...string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s not installed (.ci/run installs it): %v", name, err)
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "TESSERA_BIN="+bin)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
}

func TestAWSCLI(t *testing.T) {
	run(t, buildBinary(t), "bash", "scripts/e2e-awscli.sh")
}

func TestBoto3(t *testing.T) {
	run(t, buildBinary(t), "python3", "scripts/e2e_boto3.py")
}
