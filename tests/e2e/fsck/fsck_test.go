// Package fsck drives `tessera fsck` of the built binary: objects written
// through the AWS SDK, the server stopped, its data directory damaged in
// known ways, then the report and exit codes of the offline check, of
// --deep and --repair, and of the online check through the running server.
package fsck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	fsckpkg "github.com/tessera-s3/tessera/internal/fsck"
	"github.com/tessera-s3/tessera/internal/meta/postgres/pgtest"
	"github.com/tessera-s3/tessera/internal/tesseratest"
)

var journeys = tesseratest.Journeys{Root: "../../.."}

func TestMain(m *testing.M) { journeys.Main(m) }

const (
	rootUser     = "FSCKE2EROOTKEY000001"
	rootPassword = "fsck/e2e/secret/0123456789abcdef"
	bucket       = "fsck-e2e"
)

// Object sizes, each unique, so the test finds each object's blob on disk
// by its size alone. The SSE-S3 blob holds its plaintext plus one 16-byte
// GCM tag per 64 KiB package.
const (
	smallSize  = 777
	part1Size  = 5 << 20 // S3's minimum for a part that is not the last
	part2Size  = 3333
	sealedSize = 10000
	sealedDisk = sealedSize + 16
)

// server is the built binary serving a data directory.
type server struct {
	cmd *exec.Cmd
	url string
}

func start(t *testing.T, dataDir string, extra ...string) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(journeys.Binary(), append([]string{"server", "--address", addr, "--data", dataDir,
		"--root-user", rootUser, "--root-password", rootPassword, "--log-level", "warn"}, extra...)...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, url: "http://" + addr}
	t.Cleanup(func() { s.stop(t) })
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(s.url + "/_tessera/health/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
	}
	t.Fatal("server did not become ready")
	return nil
}

// stop ends the server gracefully and waits for it (idempotent).
func (s *server) stop(t *testing.T) {
	if s.cmd.ProcessState != nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	if err := s.cmd.Wait(); err != nil {
		t.Errorf("server exited: %v", err)
	}
}

func (s *server) client() *s3.Client {
	return s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(s.url), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(rootUser, rootPassword, ""),
	})
}

// fsckRun runs `tessera fsck args…` and returns its exit code and output.
func fsckRun(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(journeys.Binary(), append([]string{"fsck"}, args...)...)
	cmd.Env = append(os.Environ(), "TESSERA_POSTGRES=", "TESSERA_ROOT_USER=", "TESSERA_ROOT_PASSWORD=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("tessera fsck: %v", err)
	}
	return code, out.String(), errb.String()
}

// report runs fsck with --json and decodes the report, checking the exit code.
func report(t *testing.T, wantCode int, args ...string) *fsckpkg.Report {
	t.Helper()
	code, out, errs := fsckRun(t, append(args, "--json")...)
	var rep fsckpkg.Report
	if code != wantCode || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("tessera fsck %v: exit %d, want %d\n%s%s", args, code, wantCode, out, errs)
	}
	return &rep
}

func counts(rep *fsckpkg.Report) map[fsckpkg.Class]int {
	m := map[fsckpkg.Class]int{}
	for c, f := range rep.Findings {
		m[c] = f.Count
	}
	return m
}

func wantCounts(t *testing.T, what string, rep *fsckpkg.Report, want map[fsckpkg.Class]int) {
	t.Helper()
	got := counts(rep)
	if len(got) != len(want) {
		t.Fatalf("%s: findings %v, want %v", what, got, want)
	}
	for c, n := range want {
		if got[c] != n {
			t.Fatalf("%s: findings %v, want %v", what, got, want)
		}
	}
}

// writeObjects stores a small object, a two-part multipart object and an
// SSE-S3 object through the SDK.
func writeObjects(t *testing.T, c *s3.Client) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	put := func(key string, size int, in *s3.PutObjectInput) {
		in.Bucket, in.Key, in.Body = aws.String(bucket), aws.String(key), bytes.NewReader(bytes.Repeat([]byte("x"), size))
		if _, err := c.PutObject(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	put("small", smallSize, &s3.PutObjectInput{})
	put("sealed", sealedSize, &s3.PutObjectInput{ServerSideEncryption: types.ServerSideEncryptionAes256})
	mpu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("multi")})
	if err != nil {
		t.Fatal(err)
	}
	var parts []types.CompletedPart
	for i, size := range []int{part1Size, part2Size} {
		n := int32(i + 1)
		res, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("multi"), UploadId: mpu.UploadId,
			PartNumber: aws.Int32(n), Body: bytes.NewReader(bytes.Repeat([]byte{byte('a' + i)}, size))})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: res.ETag})
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("multi"),
		UploadId: mpu.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
}

// blobsBySize maps each blob file's size to its path.
func blobsBySize(t *testing.T, dataDir string) map[int64]string {
	t.Helper()
	out := map[int64]string{}
	err := filepath.WalkDir(filepath.Join(dataDir, "blobs"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out[fi.Size()] = p
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// plantBlob writes an unreferenced blob of the given age under its ID's
// place (blobs/xx/yy/<id>), as a crash between a blob's commit and its
// metadata commit leaves one.
func plantBlob(t *testing.T, dataDir, id string, age time.Duration) string {
	t.Helper()
	p := filepath.Join(dataDir, "blobs", id[:2], id[2:4], id)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("nobody refers to me"), 0o644); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-age)
	if err := os.Chtimes(p, at, at); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFsckOfflineAndOnline is the whole journey on the embedded store.
func TestFsckOfflineAndOnline(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	srv := start(t, data)
	writeObjects(t, srv.client())
	creds := []string{"--endpoint", srv.url, "--access-key", rootUser, "--secret-key", rootPassword}

	// Online, while it serves: clean. Offline is refused: Pebble's lock.
	if rep := report(t, 0, append(creds, "--deep")...); rep.Stats.Versions != 3 || rep.Stats.Verified != 4 {
		t.Fatalf("online clean: stats %+v", rep.Stats)
	}
	if code, _, errs := fsckRun(t, "--data", data); code != 2 || !regexp.MustCompile(`a server is running on .*stop it, or check through it with --endpoint`).MatchString(errs) {
		t.Fatalf("offline while serving: exit %d, %s", code, errs)
	}
	srv.stop(t)
	if code, out, errs := fsckRun(t, "--data", data, "--deep"); code != 0 || !regexp.MustCompile(`(?m)^clean: no findings$`).MatchString(out) {
		t.Fatalf("offline clean: exit %d\n%s%s", code, out, errs)
	}

	// Damage: a missing blob, a short one, a flipped byte, an encrypted
	// blob cut to its plaintext size, old and young orphans, and a temp
	// file of a gateway that is gone.
	blobs := blobsBySize(t, data)
	if len(blobs) != 4 {
		t.Fatalf("blobs by size: %v", blobs)
	}
	os.Remove(blobs[smallSize])
	os.Truncate(blobs[part2Size], part2Size-1)
	os.Truncate(blobs[sealedDisk], sealedSize)
	flip(t, blobs[part1Size], part1Size/2)
	oldOrphan := plantBlob(t, data, "aaaa0000000000000000000000000001", 2*time.Hour)
	youngOrphan := plantBlob(t, data, "bbbb0000000000000000000000000002", time.Minute)
	stale := filepath.Join(data, "tmp", "gw-gone", "blob-1")
	os.MkdirAll(filepath.Dir(stale), 0o755)
	os.WriteFile(stale, []byte("half a body"), 0o644)

	quick := map[fsckpkg.Class]int{fsckpkg.MissingBlob: 1, fsckpkg.SizeMismatch: 2, fsckpkg.Orphan: 1, fsckpkg.StaleTemp: 1}
	rep := report(t, 1, "--data", data)
	wantCounts(t, "offline quick", rep, quick)
	if it := rep.Findings[fsckpkg.MissingBlob].Items[0]; it.Bucket != bucket || it.Key != "small" {
		t.Errorf("missing blob item %+v, want %s/small", it, bucket)
	}
	if rep.Stats.InFlight != 1 {
		t.Errorf("in flight %d, want 1 (the young orphan)", rep.Stats.InFlight)
	}
	deep := map[fsckpkg.Class]int{fsckpkg.ChecksumMismatch: 1}
	for c, n := range quick {
		deep[c] = n
	}
	rep = report(t, 1, "--data", data, "--deep")
	wantCounts(t, "offline deep", rep, deep)
	if it := rep.Findings[fsckpkg.ChecksumMismatch].Items[0]; it.Key != "multi" || it.Part != 1 {
		t.Errorf("checksum mismatch item %+v, want multi part 1", it)
	}
	// The human report: counts per class, then the items.
	code, out, _ := fsckRun(t, "--data", data)
	for _, re := range []string{`(?m)^missing-blob +1$`, `(?m)^size-mismatch +2$`, `(?m)^orphan +1$`, `(?m)^stale-temp +1$`,
		`(?m)^  blob [0-9a-f]{32}, fsck-e2e/small version null: the blob does not exist$`, `(?m)^5 findings remain$`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("text report does not match %s:\n%s", re, out)
		}
	}
	if code != 1 {
		t.Errorf("text report: exit %d, want 1", code)
	}

	// --repair removes the old orphan, and nothing else.
	rep = report(t, 1, "--data", data, "--repair")
	if rep.Repaired != 1 {
		t.Errorf("repaired %d, want 1", rep.Repaired)
	}
	for p, want := range map[string]bool{oldOrphan: false, youngOrphan: true, stale: true, blobs[part2Size]: true, blobs[part1Size]: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("after repair, %s exists: %v, want %v", p, err == nil, want)
		}
	}

	// Online again: the restarted server swept the gone gateway's temp
	// directory; the damage to objects remains, and a read-only check
	// removes nothing.
	srv = start(t, data)
	creds = []string{"--endpoint", srv.url, "--access-key", rootUser, "--secret-key", rootPassword}
	rep = report(t, 1, append(creds, "--deep")...)
	wantCounts(t, "online deep", rep, map[fsckpkg.Class]int{fsckpkg.MissingBlob: 1, fsckpkg.SizeMismatch: 2, fsckpkg.ChecksumMismatch: 1})
	if _, err := os.Stat(youngOrphan); err != nil {
		t.Errorf("online check removed the young orphan: %v", err)
	}
	// Wrong credentials: could not check.
	if code, _, errs := fsckRun(t, "--endpoint", srv.url, "--access-key", rootUser, "--secret-key", "wrong"); code != 2 {
		t.Errorf("wrong secret: exit %d, %s", code, errs)
	}
}

// TestFsckPostgresWhileServing: with metadata in PostgreSQL the offline
// check may run beside a serving gateway, and repair old orphans there.
func TestFsckPostgresWhileServing(t *testing.T) {
	t.Parallel()
	data, dsn := t.TempDir(), pgtest.DSN(t)
	srv := start(t, data, "--postgres", dsn)
	writeObjects(t, srv.client())
	if rep := report(t, 0, "--data", data, "--postgres", dsn, "--deep"); rep.Stats.Versions != 3 || rep.Stats.Verified != 4 {
		t.Fatalf("stats %+v", rep.Stats)
	}
	orphan := plantBlob(t, data, "cccc0000000000000000000000000003", 2*time.Hour)
	rep := report(t, 0, "--data", data, "--postgres", dsn, "--repair")
	if rep.Repaired != 1 {
		t.Errorf("repaired %d, want 1", rep.Repaired)
	}
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Errorf("orphan still there: %v", err)
	}
	// The data directory of another store is refused.
	if code, _, errs := fsckRun(t, "--data", t.TempDir(), "--postgres", dsn); code != 2 {
		t.Errorf("foreign data directory: exit %d, %s", code, errs)
	}
}

func flip(t *testing.T, path string, at int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, at); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x01
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
}
