package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestResticVersionedBucket is issue 11's "how it is shown": restic, a real
// backup tool, keeps a repository in a VERSIONED bucket of the built
// binary: init, two backups of a changing tree, check --read-data, a
// byte-exact restore of each snapshot, forget --keep-last 1 --prune,
// check --read-data again and a restore after the prune. Restic deletes
// lock and pack files as it goes, so the bucket ends with delete markers
// over noncurrent versions, which must not disturb it. restic comes from
// Debian's package (.ci/run installs it); a machine without it fails here.
func TestResticVersionedBucket(t *testing.T) {
	t.Parallel()
	restic, err := exec.LookPath("restic")
	if err != nil {
		t.Fatalf("restic not installed (.ci/run installs Debian's restic package): %v", err)
	}
	dir := t.TempDir()
	cmd, url := startBinary(t, filepath.Join(dir, "data"))
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	c := crashClient(url)
	const bucket = "restic-repo"
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketVersioning(context.Background(), &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}

	env := []string{
		"RESTIC_REPOSITORY=s3:" + url + "/" + bucket,
		"RESTIC_PASSWORD=tessera restic test",
		"AWS_ACCESS_KEY_ID=" + crashUser,
		"AWS_SECRET_ACCESS_KEY=" + crashSecret,
		"AWS_DEFAULT_REGION=us-east-1",
		"RESTIC_CACHE_DIR=" + filepath.Join(dir, "cache"),
		"HOME=" + dir,
		"PATH=" + os.Getenv("PATH"),
	}
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(restic, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("restic %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}

	src := filepath.Join(dir, "src")
	r := rand.New(rand.NewPCG(11, 11))
	write := func(name string, size int) {
		t.Helper()
		b := make([]byte, size)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("big.bin", 12<<20) // several packs
	write("docs/a.txt", 10_000)
	write("docs/b.txt", 1)
	write("docs/deep/c.bin", 700_000)
	write("empty", 0)
	first := snapshotTree(t, src)

	run("init")
	run("backup", src)
	write("docs/a.txt", 20_000) // changed
	write("new.bin", 3<<20)     // added
	if err := os.Remove(filepath.Join(src, "docs/b.txt")); err != nil {
		t.Fatal(err)
	}
	second := snapshotTree(t, src)
	run("backup", src)
	if snaps := resticSnapshots(t, run("snapshots", "--json")); len(snaps) != 2 {
		t.Fatalf("want 2 snapshots, have %v", snaps)
	}
	run("check", "--read-data")

	restore := func(snapshot string, want map[string][]byte) {
		t.Helper()
		target := filepath.Join(dir, "restore-"+strings.ReplaceAll(snapshot, ":", "-"))
		run("restore", snapshot, "--target", target)
		got := snapshotTree(t, filepath.Join(target, src))
		compareTrees(t, snapshot, got, want)
	}
	restore("latest", second)
	oldest := resticSnapshots(t, run("snapshots", "--json"))[0]
	restore(oldest, first)

	run("forget", "--keep-last", "1", "--prune")
	if snaps := resticSnapshots(t, run("snapshots", "--json")); len(snaps) != 1 {
		t.Errorf("want 1 snapshot after forget, have %v", snaps)
	}
	run("check", "--read-data")
	restore("latest", second)

	// The bucket kept what restic deleted as noncurrent versions under
	// delete markers: versioning was really on.
	var markers, versions int
	p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		markers += len(out.DeleteMarkers)
		versions += len(out.Versions)
	}
	if markers == 0 {
		t.Errorf("no delete markers after restic removed locks and packs: %d versions", versions)
	}
	t.Logf("bucket after prune: %d versions, %d delete markers", versions, markers)
}

// snapshotTree reads every regular file under root: relative path → bytes.
func snapshotTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out[rel] = b
		return nil
	})
	if err != nil {
		t.Fatalf("reading %s: %v", root, err)
	}
	return out
}

func compareTrees(t *testing.T, what string, got, want map[string][]byte) {
	t.Helper()
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("%s: %s not restored", what, name)
		} else if !bytes.Equal(g, w) {
			t.Errorf("%s: %s restored with %d bytes that differ from the %d backed up", what, name, len(g), len(w))
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: %s restored but was not in the snapshot", what, name)
		}
	}
}

// resticSnapshots is the snapshot IDs of restic's `snapshots --json`
// output, oldest first.
func resticSnapshots(t *testing.T, js string) []string {
	t.Helper()
	var snaps []struct {
		ID   string    `json:"id"`
		Time time.Time `json:"time"`
	}
	if err := json.Unmarshal([]byte(js), &snaps); err != nil {
		t.Fatalf("restic snapshots --json: %v: %s", err, js)
	}
	sort.Slice(snaps, func(i, j int) bool { return snaps[i].Time.Before(snaps[j].Time) })
	ids := make([]string, len(snaps))
	for i, s := range snaps {
		ids[i] = s.ID
	}
	return ids
}
