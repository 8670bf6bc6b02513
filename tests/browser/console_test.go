package browser

// The web console in a real headless Chromium against a real server:
// sign in, create a bucket, upload a 40 MiB file as multipart (progress
// moving), reload in the middle and resume without resending the parts
// already there, download it byte-exact, show the part map of an upload
// with gaps made by aws-sdk-go-v2 and abort it, and show AccessDenied to
// an account without permission.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/chromedp/chromedp"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

const (
	bigSize  = 40 << 20
	partSize = 8 << 20 // the console's part size (upload.js)
)

func TestConsoleBrowser(t *testing.T) {
	srv := tesseratest.New(t)
	c := newConsoleTab(t, srv)
	c.login(tesseratest.AccessKey, tesseratest.SecretKey)
	c.assertLabelled("buckets")
	c.run("create a bucket", chromedp.SetValue(`#bucket-name`, "photos"), chromedp.Click(`#create-bucket button[type=submit]`))
	c.waitFor("the new bucket in the list", `document.querySelector('tr[data-bucket="photos"]')`)
	c.screenshot("buckets")

	data := testBytes(bigSize)
	path := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("multipart upload, reload, resume", func(t *testing.T) {
		c.t = t
		reloadResume(t, c, srv, "photos", path, bigSize, "upload-progress", nil)
		c.screenshot("objects")
	})

	t.Run("pause and resume", func(t *testing.T) {
		c.t = t
		pauseResume(t, c, srv)
	})

	t.Run("download byte-exact", func(t *testing.T) {
		c.t = t
		dir := t.TempDir()
		c.allowDownloads(dir)
		c.goTo("#/o/photos/big.bin")
		c.waitFor("the object's details", `document.querySelector("#download") && document.querySelector("#share-form")`)
		c.waitFor("the object's checksums", `document.body.textContent.includes("ChecksumSHA256")`)
		c.assertLabelled("object")
		c.run("make a share link", chromedp.SetValue(`#share-expiry`, "86400"), chromedp.Click(`#share-form button[type=submit]`))
		c.waitFor("the share link", `document.querySelector("#share-url").value.startsWith("http")`)
		c.screenshot("object")
		shared := evalJS[string](c, `document.querySelector("#share-url").value`)
		if !strings.Contains(shared, "X-Amz-Expires=86400") {
			t.Errorf("share link %s: want a day's expiry", shared)
		}
		resp, err := srv.HTTPClient().Get(shared) // anyone with the link
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Equal(body, data) {
			t.Fatalf("share link: %d, %d bytes", resp.StatusCode, len(body))
		}
		c.run("download", chromedp.Click(`#download`))
		got := waitDownload(t, dir, bigSize)
		if !bytes.Equal(got, data) {
			t.Fatalf("downloaded %d bytes differ from the %d uploaded", len(got), len(data))
		}
	})

	t.Run("a bucket that is not empty stays", func(t *testing.T) {
		c.t = t
		c.goTo("#/buckets")
		c.run("delete photos", chromedp.Click(`tr[data-bucket="photos"] button.danger`), chromedp.WaitVisible(`#confirm-ok`), chromedp.Click(`#confirm-ok`))
		c.waitFor("S3's refusal in the page", `document.getElementById("alert").dataset.code === "BucketNotEmpty"`)
	})

	t.Run("part map of an upload with gaps, abort", func(t *testing.T) {
		c.t = t
		partMap(t, c, srv)
	})

	t.Run("part map of an aws cli upload with gaps", func(t *testing.T) {
		c.t = t
		cliPartMap(t, c, srv)
	})

	t.Run("account without permission sees AccessDenied", func(t *testing.T) {
		c.t = t
		mallory := srv.NewAccount("mallory")
		c.run("log out", chromedp.Click(`#logout`))
		c.waitFor("the login form", `document.querySelector("#login-key")`)
		c.login(mallory.AccessKey, mallory.SecretKey)
		c.goTo("#/b/photos")
		c.waitFor("AccessDenied in the page", `document.getElementById("alert").dataset.code === "AccessDenied"`)
		c.screenshot("access-denied")
		c.goTo("#/admin")
		c.waitFor("the admin API's refusal in the page", `!document.getElementById("alert").hidden && document.getElementById("alert").textContent.includes("root")`)
	})

	t.Run("narrow window", func(t *testing.T) {
		c.t = t
		c.run("narrow the window", chromedp.EmulateViewport(380, 800))
		c.goTo("#/buckets")
		c.waitFor("the buckets page", `document.querySelector("#create-bucket")`)
		if w := evalJS[int](c, `document.documentElement.scrollWidth - window.innerWidth`); w > 0 {
			t.Errorf("the page is %d px wider than a 380 px window", w)
		}
		c.screenshot("narrow")
	})
}

// reloadResume uploads the file at path (size bytes, more than one part)
// into bucket from the console, throttled; reloads the page once some
// parts are on the server (after a screenshot named shot, unless ""),
// calls midway (if not nil) with their numbers, and has the page resume
// the upload. It checks that the progress bar
// moved, that the page says how many parts it kept, and (by the server's
// count of UploadPart answers) that no part was sent twice: the server's
// count must start at 0.
func reloadResume(t *testing.T, c *consoleTab, srv *tesseratest.Server, bucket, path string, size int, shot string, midway func(present []int32)) {
	key := filepath.Base(path)
	parts := (size + partSize - 1) / partSize
	c.goTo("#/b/" + bucket)
	c.assertLabelled("objects")
	// Slow the browser's uploads down (to about 3 s for 40 MiB) so that
	// the test can reload in the middle.
	c.throttleUploads(12 << 20)
	c.run("choose the file", chromedp.SetUploadFiles(`#upload-input`, []string{path}))
	card := `document.querySelector('.upload[data-key=` + jsString(key) + `]')`
	moving := map[float64]bool{}
	for {
		v := evalJS[float64](c, card+`.querySelector("progress").value`)
		if v > 0 && v < float64(size) {
			moving[v] = true
		}
		if evalJS[int](c, `Number(`+card+`.dataset.partsDone)`) >= 1 {
			break
		}
		if evalJS[string](c, card+`.dataset.state`) == "failed" {
			t.Fatalf("upload failed: %s", evalJS[string](c, card+`.textContent`))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(moving) < 3 {
		t.Errorf("the progress bar showed %d values between 0 and the size before the first part was done, want it moving", len(moving))
	}
	if shot != "" {
		c.screenshot(shot)
	}
	c.run("reload mid-upload", chromedp.Reload(), chromedp.WaitVisible(`body[data-ready="true"]`))
	c.throttleUploads(-1)
	waitIdle(t, srv) // parts cut off by the reload end, as failures or (all sent) successes
	present := listPartNumbers(t, srv.S3(), bucket, key)
	sent := metric(t, srv, "tessera_s3_requests_total", `action="UploadPart"`, `status="200"`)
	if len(present) == 0 || len(present) >= parts || float64(len(present)) != sent {
		t.Fatalf("after the reload: parts %v on the server, %v UploadPart answered 200; want some but not all, one request each", present, sent)
	}
	if midway != nil {
		midway(present)
	}
	c.waitFor("the objects page", `document.querySelector("#upload-input")`)
	c.run("choose the file again", chromedp.SetUploadFiles(`#upload-input`, []string{path}))
	c.waitFor("the resumed upload to finish", card+` && `+card+`.dataset.state === "done"`)
	resumed := evalJS[string](c, card+`.querySelector(".resumed").textContent`)
	if want := fmt.Sprintf("%d of %d parts", len(present), parts); !strings.Contains(resumed, want) {
		t.Errorf("resume note %q, want %q", resumed, want)
	}
	if got := metric(t, srv, "tessera_s3_requests_total", `action="UploadPart"`, `status="200"`); got != float64(parts) {
		t.Errorf("%v UploadPart requests answered 200 in all, want %d: parts already present were sent again", got, parts)
	}
	c.waitFor("the object in the list", `document.querySelector('tr[data-key=`+jsString(key)+`]')`)
}

// partMap shows a 25-part upload made by aws-sdk-go-v2 with parts 4, 11,
// 12 and 19 missing, watches it refresh when a gap is filled, and aborts
// it from the page.
func partMap(t *testing.T, c *consoleTab, srv *tesseratest.Server) {
	ctx := context.Background()
	s3c := srv.S3()
	newBucket(t, s3c, "parts")
	const rule = "abort-after-3-days"
	if _, err := s3c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String("parts"),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{
			ID: aws.String(rule), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("")},
			AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(3)},
		}}}}); err != nil {
		t.Fatal(err)
	}
	up, err := s3c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("parts"), Key: aws.String("video/raw.mov"), ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
	if err != nil {
		t.Fatal(err)
	}
	uploadPart := func(n int32) {
		size := 32 << 10
		if n == 25 {
			size = 1000
		}
		if _, err := s3c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("parts"), Key: aws.String("video/raw.mov"), UploadId: up.UploadId,
			PartNumber: aws.Int32(n), Body: bytes.NewReader(testBytes(size)), ChecksumAlgorithm: types.ChecksumAlgorithmSha256}); err != nil {
			t.Fatalf("UploadPart %d: %v", n, err)
		}
	}
	gaps := map[int32]bool{4: true, 11: true, 12: true, 19: true}
	for n := int32(1); n <= 25; n++ {
		if !gaps[n] {
			uploadPart(n)
		}
	}
	c.goTo("#/u/parts")
	c.waitFor("the upload in the list", `document.querySelector('tr[data-key="video/raw.mov"]')`)
	c.run("open its part map", chromedp.Click(`tr[data-key="video/raw.mov"] a`))
	c.waitFor("the part map", `document.querySelector('#partmap[data-parts="21"][data-max="25"]')`)
	if n := evalJS[int](c, `document.querySelectorAll("#partmap .part.missing").length`); n != 4 {
		t.Errorf("%d parts shown missing, want 4", n)
	}
	if got := evalJS[string](c, `document.querySelector('[data-field="Abort rule ID"]').textContent`); got != rule {
		t.Errorf("Abort rule ID %q, want %q", got, rule)
	}
	if got := evalJS[string](c, `document.querySelector('[data-field="Abort date"]').textContent`); got == "" || strings.Contains(got, "no lifecycle") {
		t.Errorf("Abort date %q", got)
	}
	c.run("focus part 3", chromedp.Focus(`#partmap [data-part="3"]`))
	if info := evalJS[string](c, `document.getElementById("partinfo").textContent`); !strings.Contains(info, "ETag") || !strings.Contains(info, "SHA-256") || !strings.Contains(info, "32768 bytes") {
		t.Errorf("part 3's details %q", info)
	}
	c.assertLabelled("part map")
	c.screenshot("part-map")
	uploadPart(4) // the page refreshes by itself
	c.waitFor("the filled gap", `document.querySelector('#partmap[data-parts="22"]')`)
	c.run("abort", chromedp.Click(`#abort-upload`), chromedp.WaitVisible(`#confirm-ok`), chromedp.Click(`#confirm-ok`))
	c.waitFor("the uploads list again", `document.querySelector("#upload-list") && document.querySelector("#upload-list").textContent.includes("No multipart uploads")`)
	out, err := s3c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("parts")})
	if err != nil || len(out.Uploads) != 0 {
		t.Fatalf("after abort: %v uploads, %v", len(out.Uploads), err)
	}
}

// pauseResume pauses a throttled multipart upload, checks that nothing
// moves while paused, resumes it and reads the object back.
func pauseResume(t *testing.T, c *consoleTab, srv *tesseratest.Server) {
	const size = 3 * partSize
	data := testBytes(size)
	path := filepath.Join(t.TempDir(), "paused.bin")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	c.goTo("#/b/photos")
	c.throttleUploads(8 << 20)
	c.run("choose the file", chromedp.SetUploadFiles(`#upload-input`, []string{path}))
	card := `document.querySelector('.upload[data-key="paused.bin"]')`
	c.waitFor("some progress", card+` && `+card+`.querySelector("progress").value > (1 << 20)`)
	c.run("pause", chromedp.Click(`.upload[data-key="paused.bin"] button.pause`))
	c.waitFor("the paused state", card+`.dataset.state === "paused"`)
	// The server finishes the requests the pause cut off; then nothing
	// more may come.
	waitIdle(t, srv)
	before := metric(t, srv, "tessera_s3_requests_total", `action="UploadPart"`)
	time.Sleep(300 * time.Millisecond)
	if after := metric(t, srv, "tessera_s3_requests_total", `action="UploadPart"`); after != before {
		t.Errorf("UploadPart requests went on while paused: %v then %v", before, after)
	}
	c.throttleUploads(-1)
	c.run("resume", chromedp.Click(`.upload[data-key="paused.bin"] button.resume`))
	c.waitFor("the finished upload", card+`.dataset.state === "done"`)
	out, err := srv.S3().GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String("paused.bin")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes, not what was uploaded", len(got))
	}
}

// cliPartMap shows the part map of an upload the aws cli made with parts
// 1, 2, 3, 5, 24 and 25 (gaps at 4 and 6 to 23), and aborts it from the
// page. Few parts, because each cli process takes a second or more to
// start; partMap shows a full 25-part map made by aws-sdk-go-v2.
func cliPartMap(t *testing.T, c *consoleTab, srv *tesseratest.Server) {
	const key = "cli/upload.bin"
	aws := awsCLI(t, srv)
	id := strings.TrimSpace(aws("s3api", "create-multipart-upload", "--bucket", "parts", "--key", key, "--checksum-algorithm", "SHA256", "--query", "UploadId", "--output", "text"))
	if t.Failed() {
		t.FailNow()
	}
	body := filepath.Join(t.TempDir(), "part")
	if err := os.WriteFile(body, testBytes(16<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	// Four cli processes at a time: each takes a second or two to start.
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for _, n := range []int{1, 2, 3, 5, 24, 25} {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			aws("s3api", "upload-part", "--bucket", "parts", "--key", key, "--upload-id", id, "--part-number", strconv.Itoa(n), "--body", body, "--checksum-algorithm", "SHA256")
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	c.goTo("#/u/parts/" + id + "/" + url.PathEscape(key))
	c.waitFor("the part map", `document.querySelector('#partmap[data-parts="6"][data-max="25"]')`)
	missing := evalJS[[]string](c, `Array.from(document.querySelectorAll("#partmap .part.missing")).map((e) => e.dataset.part)`)
	if strings.Join(missing, ",") != "4,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23" {
		t.Errorf("parts shown missing %v, want 4 and 6 to 23", missing)
	}
	c.screenshot("part-map-cli")
	c.run("abort", chromedp.Click(`#abort-upload`), chromedp.WaitVisible(`#confirm-ok`), chromedp.Click(`#confirm-ok`))
	c.waitFor("the uploads list again", `document.querySelector("#upload-list") && document.querySelector("#upload-list").textContent.includes("No multipart uploads")`)
	if out := aws("s3api", "list-multipart-uploads", "--bucket", "parts", "--output", "json"); strings.Contains(out, key) {
		t.Fatalf("after abort the aws cli still lists the upload: %s", out)
	}
}

// awsCLI returns a function running the installed aws cli against srv
// with the root key and nothing from the machine's own AWS settings; it
// returns the command's output and fails the test if it fails.
func awsCLI(t *testing.T, srv *tesseratest.Server) func(args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Fatalf("the console's part map test needs the aws cli (.ci/run installs it): %v", err)
	}
	home := t.TempDir()
	env := append(os.Environ(), "AWS_ACCESS_KEY_ID="+tesseratest.AccessKey, "AWS_SECRET_ACCESS_KEY="+tesseratest.SecretKey,
		"AWS_DEFAULT_REGION="+srv.Region(), "AWS_CONFIG_FILE="+filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "credentials"))
	env = slices.DeleteFunc(env, func(kv string) bool {
		return strings.HasPrefix(kv, "AWS_PROFILE=") || strings.HasPrefix(kv, "AWS_SESSION_TOKEN=")
	})
	return func(args ...string) string {
		cmd := exec.Command(bin, append([]string{"--endpoint-url", srv.URL}, args...)...)
		cmd.Env = env
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Errorf("aws %v: %v\n%s%s", args, err, out, stderr.String())
		}
		return string(out)
	}
}
