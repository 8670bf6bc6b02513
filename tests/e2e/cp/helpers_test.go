package cp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/checksum"
	"github.com/tessera-s3/tessera/internal/tesseratest"
)

const (
	MiB    = 1 << 20
	bucket = "cp-e2e"
)

// client runs the built binary as a person would: credentials and endpoint
// from AWS_* variables, a state directory and home of its own (so no
// ~/.aws of the machine leaks in).
type client struct {
	t        *testing.T
	env      []string
	stateDir string
}

func newClient(t *testing.T, srv *tesseratest.Server) *client {
	home := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "XDG_") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	c := &client{t: t, stateDir: filepath.Join(home, "state")}
	c.env = append(env, "HOME="+home, "XDG_STATE_HOME="+c.stateDir,
		"AWS_ACCESS_KEY_ID="+tesseratest.AccessKey, "AWS_SECRET_ACCESS_KEY="+tesseratest.SecretKey,
		"AWS_REGION="+srv.Region())
	c.endpoint(srv)
	return c
}

// endpoint points the client at srv (whose URL changes on restart).
func (c *client) endpoint(srv *tesseratest.Server) {
	c.env = append(c.env, "AWS_ENDPOINT_URL="+srv.URL)
}

// start starts `tessera args...`, its output collected.
func (c *client) start(args ...string) (*exec.Cmd, *bytes.Buffer) {
	c.t.Helper()
	cmd := exec.Command(journeys.Binary(), args...)
	cmd.Env = c.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	return cmd, &out
}

// run runs `tessera args...` to the end: its exit code and output.
func (c *client) run(args ...string) (int, string) {
	c.t.Helper()
	cmd, out := c.start(args...)
	err := cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		c.t.Fatal(err)
	}
	c.t.Logf("tessera %s → %d\n%s", strings.Join(args, " "), cmd.ProcessState.ExitCode(), out)
	return cmd.ProcessState.ExitCode(), out.String()
}

// mustRun runs and fails the test unless the command exits 0.
func (c *client) mustRun(args ...string) string {
	c.t.Helper()
	code, out := c.run(args...)
	if code != 0 {
		c.t.Fatalf("tessera %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

// newServer starts a server with the test bucket.
func newServer(t *testing.T) *tesseratest.Server {
	srv := tesseratest.New(t)
	if _, err := srv.S3().CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	return srv
}

// randomFile writes size random bytes (fast, not secret) to a new file.
func randomFile(t *testing.T, size int) (string, []byte) {
	t.Helper()
	r := rand.NewChaCha8([32]byte{byte(size), byte(size >> 8), byte(size >> 16)})
	data := make([]byte, size)
	r.Read(data)
	p := filepath.Join(t.TempDir(), "src.bin")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, data
}

// requests is the server's count of answered requests of an action with
// the status (tessera_s3_requests_total), summed over gateways. Counters
// start at zero with each server process.
func requests(t *testing.T, srv *tesseratest.Server, action, status string) int {
	t.Helper()
	resp, err := http.Get(srv.URL + "/_tessera/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	n := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		l := sc.Text()
		if !strings.HasPrefix(l, "tessera_s3_requests_total{") || !strings.Contains(l, `action="`+action+`"`) ||
			!strings.Contains(l, `status="`+status+`"`) {
			continue
		}
		v, err := strconv.ParseFloat(l[strings.LastIndexByte(l, ' ')+1:], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", l, err)
		}
		n += int(v)
	}
	return n
}

// killWhen kills cmd with SIGKILL (no cleanup of any kind) once cond
// holds, checked every 10 ms, and fails the test if the command ends
// first or cond never holds within a minute.
func killWhen(t *testing.T, cmd *exec.Cmd, out *bytes.Buffer, cond func() bool) {
	t.Helper()
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	deadline := time.After(time.Minute)
	for !cond() {
		select {
		case <-exited:
			t.Fatalf("the client ended before it could be killed:\n%s", out)
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("the kill condition never held:\n%s", out)
		case <-time.After(10 * time.Millisecond):
		}
	}
	cmd.Process.Kill()
	<-exited
}

// listedParts is every part of the upload, read through all pages.
func listedParts(t *testing.T, c *s3.Client, key, uploadID string) []types.Part {
	t.Helper()
	var parts []types.Part
	p := s3.NewListPartsPaginator(c, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: &key, UploadId: &uploadID})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, out.Parts...)
	}
	return parts
}

// onlyUpload is the one upload in progress for key.
func onlyUpload(t *testing.T, c *s3.Client, key string) string {
	t.Helper()
	ids := uploads(t, c, key)
	if len(ids) != 1 {
		t.Fatalf("uploads in progress for %s: %v, want one", key, ids)
	}
	return ids[0]
}

func uploads(t *testing.T, c *s3.Client, key string) []string {
	t.Helper()
	out, err := c.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), Prefix: &key})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, u := range out.Uploads {
		if aws.ToString(u.Key) == key {
			ids = append(ids, aws.ToString(u.UploadId))
		}
	}
	return ids
}

// assertObject checks that the object is data, byte for byte, and that its
// full-object CRC64NVME is data's.
func assertObject(t *testing.T, c *s3.Client, key string, data []byte) {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: &key, ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("%s: object differs from the file (%d bytes, want %d)", key, len(got), len(data))
	}
	if c, want := aws.ToString(out.ChecksumCRC64NVME), crc64(data); c != want || out.ChecksumType != types.ChecksumTypeFullObject {
		t.Errorf("%s: CRC64NVME %q (%s), want %q FULL_OBJECT", key, c, out.ChecksumType, want)
	}
}

func crc64(data []byte) string {
	h := checksum.CRC64NVME.New()
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// downloadState is the download state file the client left, decoded.
func downloadState(t *testing.T, c *client) map[string]any {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(c.stateDir, "tessera", "download-*.json"))
	if len(m) != 1 {
		t.Fatalf("download state files: %v, want one", m)
	}
	b, err := os.ReadFile(m[0])
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// settledParts lists the upload's parts and counts the UploadParts the
// server has answered, until the two agree: a part whose body reached the
// server before the client was killed may still be committing.
func settledParts(t *testing.T, srv *tesseratest.Server, key, uploadID string) (listed, answered int) {
	t.Helper()
	for range 100 {
		answered = requests(t, srv, "UploadPart", "200")
		listed = len(listedParts(t, srv.S3(), key, uploadID))
		if requests(t, srv, "UploadPart", "200") == answered {
			return listed, answered
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the server's UploadPart count never settled")
	return 0, 0
}
