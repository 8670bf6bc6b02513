package admin_test

import (
	"context"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tessera-s3/tessera/internal/admin"
	"github.com/tessera-s3/tessera/internal/fsck"
	"github.com/tessera-s3/tessera/internal/sigv4"
)

// TestFsckEndpoint runs the check inside a running server: read-only
// unless repair is asked for, for the root account only.
func TestFsckEndpoint(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.srv.S3()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("fsck")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("fsck"), Key: aws.String("k"), Body: strings.NewReader("some bytes")}); err != nil {
		t.Fatal(err)
	}
	run := func(in admin.FsckRequest) *fsck.Report {
		t.Helper()
		var rep fsck.Report
		if err := e.client(rootCred).Do(ctx, "POST", "fsck", in, &rep); err != nil {
			t.Fatalf("fsck %+v: %v", in, err)
		}
		return &rep
	}
	if rep := run(admin.FsckRequest{Deep: true}); rep.Problems() != 0 || rep.Stats.Versions != 1 || rep.Stats.Verified != 1 {
		t.Fatalf("clean store: %+v", rep)
	}

	// An old orphan, where a crash between a blob's commit and its
	// metadata commit leaves one (blob's layout: blobs/xx/yy/<id>).
	id := "abcdef0123456789abcdef0123456789"
	orphan := filepath.Join(e.srv.DataDir, "blobs", "ab", "cd", id)
	if err := os.MkdirAll(filepath.Dir(orphan), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(orphan, []byte("lost"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(orphan, old, old)
	rep := run(admin.FsckRequest{})
	if rep.Count(fsck.Orphan) != 1 || rep.Findings[fsck.Orphan].Items[0].Blob != id || rep.Repaired != 0 {
		t.Fatalf("orphan: %+v", rep.Findings)
	}
	if _, err := os.Stat(orphan); err != nil {
		t.Fatalf("a read-only check removed the orphan: %v", err)
	}
	e.wantStatus(&rootCred, "POST", "fsck", []byte(`{"deep": "yes"}`), http.StatusBadRequest)
	user := e.addUser("not-root")
	userCred := &sigv4.Credential{AccessKeyID: user.Key.AccessKeyID, SecretAccessKey: user.Key.SecretAccessKey}
	e.wantStatus(userCred, "POST", "fsck", []byte(`{"repair": true}`), http.StatusForbidden)
	if _, err := os.Stat(orphan); err != nil {
		t.Fatalf("a refused request removed the orphan: %v", err)
	}
	if rep := run(admin.FsckRequest{Repair: true}); rep.Repaired != 1 || rep.Problems() != 0 {
		t.Fatalf("repair: repaired %d, problems %d", rep.Repaired, rep.Problems())
	}
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Fatalf("orphan still there after repair: %v", err)
	}

	// The object's blob, removed from under the server.
	filepath.WalkDir(filepath.Join(e.srv.DataDir, "blobs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			os.Remove(p)
		}
		return nil
	})
	if rep := run(admin.FsckRequest{}); rep.Count(fsck.MissingBlob) != 1 || rep.Findings[fsck.MissingBlob].Items[0].Key != "k" {
		t.Fatalf("missing blob: %+v", rep.Findings)
	}
}
