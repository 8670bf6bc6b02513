package tessera_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencyArrows guards the house plan (direct imports): the engine never speaks HTTP,
// the edge never touches storage, and leaf packages stay leaves.
func TestDependencyArrows(t *testing.T) {
	forbidden := map[string][]string{
		"internal/engine":        {"net/http", "encoding/xml"},
		"internal/s3api":         {"internal/meta", "internal/blob", "pebble", "pgx"},
		"internal/sigv4":         {"internal/engine", "internal/meta", "internal/blob"},
		"internal/s3err":         {"github.com/tessera-s3/tessera/internal/"},
		"internal/meta":          {"pebble", "pgx"},
		"internal/meta/postgres": {"internal/engine", "internal/blob", "pebble", "net/http"},
		"internal/meta/pebble":   {"internal/engine", "internal/blob", "pgx", "net/http"},
		"internal/blob":          {"internal/meta", "internal/engine"},
		"internal/checksum":      {"github.com/tessera-s3/tessera/internal/"},
		"internal/iam":           {"internal/engine", "internal/s3api", "net/http"},
		"internal/lifecycle":     {"internal/engine", "internal/meta", "internal/blob", "net/http"},
		"internal/admin":         {"internal/engine", "internal/meta", "internal/blob", "internal/s3api"},
		// The console adds no storage access of its own: the page calls the
		// S3 API, sessions are checked against IAM's keys.
		"internal/console": {"internal/engine", "internal/meta", "internal/blob", "internal/s3api"},
		"internal/session": {"internal/engine", "internal/meta", "internal/blob", "internal/s3api", "internal/iam"},
		// fsck reads through the store contracts only, so that it checks
		// every backend alike, and serves no HTTP itself (admin does).
		"internal/fsck": {"pebble", "pgx", "net/http", "internal/s3api", "internal/server"},
	}
	for pkg, bad := range forbidden {
		out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, "./"+pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, b := range bad {
				if strings.Contains(dep, b) {
					t.Errorf("%s depends on %s (forbidden: %s)", pkg, dep, b)
				}
			}
		}
	}
}

// The binary links no test harness (they start servers and databases).
func TestBinaryLinksNoTestHarness(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./cmd/tessera").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, bad := range []string{"tesseratest", "metatest", "pgtest", "testing"} {
			if strings.HasSuffix(dep, "/"+bad) || dep == bad {
				t.Errorf("cmd/tessera links %s", dep)
			}
		}
	}
}
