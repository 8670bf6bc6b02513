// Package cp drives `tessera cp`, `ls`, `rm` and `mb` of the built binary
// against a real Tessera server: uploads killed with SIGKILL and resumed,
// resumed across a server restart, a source changed between runs, and
// downloads resumed; the server's request metrics show what was sent.
package cp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

var journeys = tesseratest.Journeys{Root: "../../.."}

func TestMain(m *testing.M) { journeys.Main(m) }

var sentRe = regexp.MustCompile(`(\d+) parts \((\d+) sent, (\d+) resumed\)`)

// sentResumed reads "N parts (S sent, R resumed)" from the output of cp.
func sentResumed(t *testing.T, out string) (parts, sent, resumed int) {
	t.Helper()
	m := sentRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no part counts in the output:\n%s", out)
	}
	fmt.Sscan(m[1], &parts)
	fmt.Sscan(m[2], &sent)
	fmt.Sscan(m[3], &resumed)
	return
}

// A 200 MiB upload in 5 MiB parts (40 parts), killed with SIGKILL once
// the server has taken 16 parts (40 %), resumes: the rerun sends exactly
// the parts the server does not list, and the object is the file.
func TestUploadResumesAfterKill(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, srv)
	src, data := randomFile(t, 200*MiB)
	// Paced to 40 MiB/s so that the kill lands mid-upload on any machine.
	cmd, out := c.start("cp", src, "s3://"+bucket+"/big", "--part-size", "5MiB", "--parallel", "4", "--max-rate", "40MiB")
	killWhen(t, cmd, out, func() bool { return requests(t, srv, "UploadPart", "200") >= 16 })
	id := onlyUpload(t, srv.S3(), "big")
	listed, sentBefore := settledParts(t, srv, "big", id)
	if listed < 16 || listed >= 40 {
		t.Fatalf("after the kill the server lists %d parts, want 16..39", listed)
	}

	res := c.mustRun("cp", src, "s3://"+bucket+"/big", "--part-size", "5MiB")
	sent := requests(t, srv, "UploadPart", "200") - sentBefore
	if sent != 40-listed {
		t.Errorf("the rerun sent %d parts; the server listed %d of 40, so want %d", sent, listed, 40-listed)
	}
	if parts, s, r := sentResumed(t, res); parts != 40 || s != sent || r != listed {
		t.Errorf("cp reports %d parts, %d sent, %d resumed; want 40, %d, %d", parts, s, r, sent, listed)
	}
	if n := requests(t, srv, "ListParts", "200"); n < 1 {
		t.Errorf("the rerun made %d ListParts requests, want at least one", n)
	}
	if !strings.Contains(res, "resuming upload "+id) {
		t.Errorf("the rerun does not say it resumes upload %s:\n%s", id, res)
	}
	assertObject(t, srv.S3(), "big", data)
	if ids := uploads(t, srv.S3(), "big"); len(ids) != 0 {
		t.Errorf("uploads left in progress: %v", ids)
	}
}

// The server stops in the middle of an upload: the client fails (exit 1,
// saying the upload is kept), and once the server is back (on the same
// data directory) the same command resumes it, sending only what the
// restarted server does not list.
func TestUploadResumesAcrossServerRestart(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, srv)
	src, data := randomFile(t, 60*MiB)
	cmd, out := c.start("cp", src, "s3://"+bucket+"/restart", "--part-size", "5MiB", "--parallel", "2", "--max-rate", "15MiB")
	for requests(t, srv, "UploadPart", "200") < 4 {
		time.Sleep(10 * time.Millisecond)
	}
	srv.Stop()
	if err := cmd.Wait(); cmd.ProcessState.ExitCode() != 1 {
		t.Fatalf("with the server gone the client ended with %v, want exit 1:\n%s", err, out)
	}
	if !strings.Contains(out.String(), "run the same command again to resume") {
		t.Errorf("the failure does not say how to resume:\n%s", out)
	}
	srv.Restart()
	c.endpoint(srv)
	id := onlyUpload(t, srv.S3(), "restart")
	listed := len(listedParts(t, srv.S3(), "restart", id))
	if listed < 4 || listed >= 12 {
		t.Fatalf("after the restart the server lists %d parts, want 4..11", listed)
	}
	res := c.mustRun("cp", src, "s3://"+bucket+"/restart")
	if sent := requests(t, srv, "UploadPart", "200"); sent != 12-listed {
		t.Errorf("the rerun sent %d parts; the server listed %d of 12, so want %d", sent, listed, 12-listed)
	}
	if _, _, r := sentResumed(t, res); r != listed {
		t.Errorf("cp reports %d parts resumed, want %d", r, listed)
	}
	assertObject(t, srv.S3(), "restart", data)
}

// A file changed between an interrupted run and the rerun stops the rerun
// with exit 3 and says what to do; nothing is sent and the old upload is
// kept. --no-resume then aborts the old upload and sends the file as it is.
func TestUploadChangedSourceIsDetected(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, srv)
	src, data := randomFile(t, 30*MiB)
	cmd, out := c.start("cp", src, "s3://"+bucket+"/changed", "--part-size", "5MiB", "--parallel", "1", "--max-rate", "10MiB")
	killWhen(t, cmd, out, func() bool { return requests(t, srv, "UploadPart", "200") >= 2 })
	old := onlyUpload(t, srv.S3(), "changed")

	data[3*MiB] ^= 0xff // inside a part the server already holds
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(src, time.Now(), time.Now().Add(time.Second)) // a new mtime even on coarse clocks
	sentBefore := requests(t, srv, "UploadPart", "200")
	code, res := c.run("cp", src, "s3://"+bucket+"/changed", "--part-size", "5MiB")
	if code != 3 || !strings.Contains(res, "source changed") || !strings.Contains(res, "--no-resume") {
		t.Errorf("rerun after a change: exit %d, want 3 with a message naming --no-resume:\n%s", code, res)
	}
	if sent := requests(t, srv, "UploadPart", "200") - sentBefore; sent != 0 {
		t.Errorf("the refused rerun sent %d parts", sent)
	}
	if id := onlyUpload(t, srv.S3(), "changed"); id != old {
		t.Errorf("upload in progress %s, want the interrupted one %s kept", id, old)
	}

	res = c.mustRun("cp", src, "s3://"+bucket+"/changed", "--part-size", "5MiB", "--no-resume")
	if !strings.Contains(res, "aborted the interrupted upload "+old) {
		t.Errorf("--no-resume does not say it aborted %s:\n%s", old, res)
	}
	if ids := uploads(t, srv.S3(), "changed"); len(ids) != 0 {
		t.Errorf("uploads left in progress after --no-resume: %v", ids)
	}
	assertObject(t, srv.S3(), "changed", data)
}

// A download killed part way resumes: the rerun fetches only the chunks
// its state file does not record as on disk, and the file is the object.
func TestDownloadResumesAfterKill(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, srv)
	src, data := randomFile(t, 60*MiB)
	c.mustRun("cp", src, "s3://"+bucket+"/dl", "--quiet")
	dst := filepath.Join(t.TempDir(), "dl.bin")
	cmd, out := c.start("cp", "s3://"+bucket+"/dl", dst, "--part-size", "5MiB", "--parallel", "2", "--max-rate", "15MiB")
	// Two seconds in, at least one state save (every second) has landed.
	killWhen(t, cmd, out, func() bool { return requests(t, srv, "GetObject", "206") >= 6 })
	done := len(downloadState(t, c)["done"].(map[string]any))
	if done < 1 || done >= 12 {
		t.Fatalf("the killed download recorded %d of 12 chunks, want 1..11", done)
	}
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Fatalf("%s exists before it is verified: %v", dst, err)
	}
	before := requests(t, srv, "GetObject", "206")
	res := c.mustRun("cp", "s3://"+bucket+"/dl", dst)
	if got := requests(t, srv, "GetObject", "206") - before; got != 12-done {
		t.Errorf("the rerun fetched %d chunks; %d of 12 were on disk, so want %d", got, done, 12-done)
	}
	if !strings.Contains(res, "CRC64NVME "+crc64(data)+" verified") {
		t.Errorf("the download does not report its verified checksum:\n%s", res)
	}
	got, err := os.ReadFile(dst)
	if err != nil || string(got) != string(data) {
		t.Errorf("downloaded file differs from the object (%d bytes, %v)", len(got), err)
	}
	if _, err := os.Stat(dst + ".tessera-part"); !os.IsNotExist(err) {
		t.Errorf(".tessera-part left behind: %v", err)
	}
}

// mb, cp (all three directions), ls and rm as a script would use them.
func TestCommands(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, srv)
	src, data := randomFile(t, 12*MiB)
	c.mustRun("mb", "s3://made")
	if out := c.mustRun("ls"); !strings.Contains(out, " made\n") || !strings.Contains(out, " "+bucket+"\n") {
		t.Errorf("ls lists no buckets made and %s:\n%s", bucket, out)
	}
	c.mustRun("cp", src, "s3://made/dir/", "--part-size", "5MiB")
	c.mustRun("cp", "s3://made/dir/src.bin", "s3://"+bucket+"/copied", "--part-size", "5MiB")
	assertObject(t, srv.S3(), "copied", data)
	dst := filepath.Join(t.TempDir(), "back.bin")
	c.mustRun("cp", "s3://"+bucket+"/copied", dst)
	if got, _ := os.ReadFile(dst); string(got) != string(data) {
		t.Errorf("round trip differs")
	}
	if out := c.mustRun("ls", "s3://made"); !strings.Contains(out, "PRE dir/") {
		t.Errorf("ls s3://made shows no dir/ prefix:\n%s", out)
	}
	if out := c.mustRun("ls", "--recursive", "s3://made"); !strings.Contains(out, "12582912 dir/src.bin") {
		t.Errorf("ls --recursive shows no dir/src.bin of 12582912 bytes:\n%s", out)
	}
	c.mustRun("rm", "--recursive", "s3://made/dir/")
	out, err := srv.S3().ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("made")})
	if err != nil || len(out.Contents) != 0 {
		t.Errorf("after rm --recursive: %d objects, %v", len(out.Contents), err)
	}
	c.mustRun("rm", "s3://"+bucket+"/copied")
}

// Exit codes a script can rely on, one row per failure.
func TestExitCodes(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, srv)
	src, _ := randomFile(t, 1000)
	tests := []struct {
		name string
		env  []string
		args []string
		want int
		msg  string
	}{
		{"ok", nil, []string{"cp", src, "s3://" + bucket + "/small"}, 0, "verified"},
		{"no arguments", nil, []string{"cp", src}, 2, "want SRC and DST"},
		{"part size under S3's minimum", nil, []string{"cp", "--part-size", "3MiB", src, "s3://" + bucket + "/x"}, 2, "outside S3's limits"},
		{"unknown flag", nil, []string{"cp", "--bogus", src, "s3://" + bucket + "/x"}, 2, "flag provided but not defined"},
		{"local copy", nil, []string{"cp", src, src + ".2"}, 2, "must be an s3://"},
		{"wrong secret", []string{"AWS_SECRET_ACCESS_KEY=wrong"}, []string{"cp", src, "s3://" + bucket + "/x"}, 4, "access denied"},
		{"no such bucket", nil, []string{"cp", src, "s3://no-such-bucket/x"}, 5, "NoSuchBucket"},
		{"no such object", nil, []string{"cp", "s3://" + bucket + "/nope", src + ".3"}, 5, "no such object"},
		{"no such file", nil, []string{"cp", src + ".missing", "s3://" + bucket + "/x"}, 5, "no such file"},
		{"download onto a device", nil, []string{"cp", "s3://" + bucket + "/small", "/dev/null"}, 1, "not a regular file"},
	}
	for _, tt := range tests {
		cc := *c
		cc.env = append(append([]string{}, c.env...), tt.env...)
		code, out := cc.run(tt.args...)
		if code != tt.want || !strings.Contains(out, tt.msg) {
			t.Errorf("%s: exit %d, want %d with %q:\n%s", tt.name, code, tt.want, tt.msg, out)
		}
	}
}
