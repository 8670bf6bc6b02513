package tesseratest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
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
