package tesseratest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/tessera-s3/tessera/internal/meta/postgres/pgtest"
)

// BuildBinary builds ./cmd/tessera of the module at root into a temporary
// directory, for end-to-end tests that drive the real binary; cleanup
// removes it.
func BuildBinary(root string) (binary string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "tessera-e2e")
	if err != nil {
		return "", nil, err
	}
	binary = filepath.Join(dir, "tessera")
	cmd := exec.Command("go", "build", "-o", binary, "./cmd/tessera")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("go build: %v\n%s", err, out)
	}
	return binary, func() { os.RemoveAll(dir) }, nil
}

// RunScript runs one end-to-end script from the module root with
// TESSERA_BIN set to binary and extra environment variables (which reach
// the servers it starts: TESSERA_POSTGRES, say). The script's output is
// logged; a non-zero exit fails the test. A missing interpreter fails too:
// .ci/run installs them.
func RunScript(t *testing.T, root, binary string, env []string, name string, args ...string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s not installed (.ci/run installs it): %v", name, err)
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = root
	cmd.Env = append(append(os.Environ(), "TESSERA_BIN="+binary), env...)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
}

// Journeys is a package of end-to-end journeys run against one binary,
// built by Main. go test gives each package 10 minutes: journeys are split
// into packages (tests/e2e/...) so that each stays well inside that on a
// 2-core machine, and the packages run in parallel.
type Journeys struct {
	// Root is the module root, relative to the package directory.
	Root   string
	binary string
}

// Main builds the binary, runs the package's tests (with pgtest's
// throwaway PostgreSQL available), and cleans up; call it from TestMain.
func (j *Journeys) Main(m *testing.M) {
	binary, cleanup, err := BuildBinary(j.Root)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	j.binary = binary
	code := pgtest.Main(m)
	cleanup()
	os.Exit(code)
}

// Run runs one script (in parallel with the package's other journeys).
func (j *Journeys) Run(t *testing.T, name string, args ...string) {
	t.Helper()
	t.Parallel()
	RunScript(t, j.Root, j.binary, nil, name, args...)
}

// RunPostgres runs one script with a fresh PostgreSQL database behind the
// servers it starts (the binary reads TESSERA_POSTGRES).
func (j *Journeys) RunPostgres(t *testing.T, name string, args ...string) {
	t.Helper()
	t.Parallel()
	RunScript(t, j.Root, j.binary, []string{"TESSERA_POSTGRES=" + pgtest.DSN(t)}, name, args...)
}

// Binary is the built tessera binary (set once Main runs).
func (j *Journeys) Binary() string { return j.binary }
