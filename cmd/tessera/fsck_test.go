package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tessera-s3/tessera/internal/fsck"
	"github.com/tessera-s3/tessera/internal/tesseratest"
)

func runFsckCmd(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(append([]string{"fsck"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// TestFsckCommand drives `tessera fsck` in both modes and checks its exit
// codes: 0 clean, 1 findings, 2 could not check. (tests/e2e/fsck runs
// the built binary on a damaged directory.)
func TestFsckCommand(t *testing.T) {
	clearAdminEnv(t)
	t.Setenv("TESSERA_POSTGRES", "")
	srv := tesseratest.New(t)
	ctx := context.Background()
	c := srv.S3()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("fsck")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("fsck"), Key: aws.String("k"), Body: strings.NewReader("bytes")}); err != nil {
		t.Fatal(err)
	}
	creds := []string{"--endpoint", srv.URL, "--access-key", tesseratest.AccessKey, "--secret-key", tesseratest.SecretKey}

	if code, out, errs := runFsckCmd(append(creds, "--deep")...); code != 0 || !strings.Contains(out, "clean: no findings") {
		t.Fatalf("online: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := runFsckCmd("--data", srv.DataDir); code != 2 || !strings.Contains(errs, "a server is running on") {
		t.Fatalf("offline while the server runs: exit %d, %s", code, errs)
	}
	srv.Stop()

	if code, out, errs := runFsckCmd("--data", srv.DataDir, "--deep"); code != 0 {
		t.Fatalf("offline, clean: exit %d\n%s%s", code, out, errs)
	}
	id := "0123456789abcdef0123456789abcdef"
	orphan := filepath.Join(srv.DataDir, "blobs", "01", "23", id)
	os.MkdirAll(filepath.Dir(orphan), 0o755)
	os.WriteFile(orphan, []byte("lost"), 0o644)
	old := time.Now().Add(-3 * time.Hour)
	os.Chtimes(orphan, old, old)
	code, out, errs := runFsckCmd("--data", srv.DataDir, "--json")
	var rep fsck.Report
	if code != 1 || json.Unmarshal([]byte(out), &rep) != nil || rep.Count(fsck.Orphan) != 1 {
		t.Fatalf("offline, orphan: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := runFsckCmd("--data", srv.DataDir, "--repair"); code != 0 || !strings.Contains(out, "removed 1 orphans") {
		t.Fatalf("offline repair: exit %d\n%s%s", code, out, errs)
	}
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Fatalf("orphan still there: %v", err)
	}

	// Could not check: no data directory, arguments, a directory that
	// belongs to another store.
	for _, args := range [][]string{
		{"--data", t.TempDir()},
		{"--data", srv.DataDir, "extra"},
		{"--data", srv.DataDir, "--endpoint", "http://127.0.0.1:1", "--access-key", "a", "--secret-key", "b"},
	} {
		if code, out, errs := runFsckCmd(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s%s", args, code, out, errs)
		}
	}
	os.WriteFile(filepath.Join(srv.DataDir, "store-id"), []byte("someotherstore\n"), 0o644)
	if code, _, errs := runFsckCmd("--data", srv.DataDir); code != 2 || !strings.Contains(errs, "different stores") {
		t.Errorf("mismatched store ID: exit %d, %s", code, errs)
	}
}

func TestFsckHelp(t *testing.T) {
	code, _, errs := runFsckCmd("--help")
	for _, s := range []string{"Usage: tessera fsck", "missing-blob", "Exit status: 0 clean, 1 findings", "--repair", "--deep", "--endpoint"} {
		if !strings.Contains(errs, s) {
			t.Errorf("help lacks %q", s)
		}
	}
	if code != 0 {
		t.Errorf("exit %d", code)
	}
}
