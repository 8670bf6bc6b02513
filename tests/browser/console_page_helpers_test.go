package browser

// Helpers of the console's browser tests: a Chromium tab on the console,
// waiting for what the page shows, screenshots and the server's metrics.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// screenshotDirEnv names where the console tests save their screenshots
// (e.g. docs/ to refresh the README's); unset, they go to the test's
// temporary directory and the log says where.
const screenshotDirEnv = "TESSERA_CONSOLE_SCREENSHOTS"

// consoleTab is a browser tab on a server's console.
type consoleTab struct {
	t     *testing.T
	ctx   context.Context
	srv   *tesseratest.Server
	base  string // scheme://host:port the tab reaches the server at
	shots string
}

func newConsoleTab(t *testing.T, srv *tesseratest.Server) *consoleTab {
	t.Helper()
	return openConsoleTab(t, srv, newBrowser(t), srv.URL)
}

// insecureHost is a host name that the browser of newInsecureConsoleTab
// resolves to 127.0.0.1. Not being localhost, a page from it over plain
// HTTP is no secure context: it has no crypto.subtle, as for a console
// served over HTTP on a network.
const insecureHost = "tessera-console.test"

// newInsecureConsoleTab is a tab on the console at http://insecureHost:port
// in a browser of its own (the host name is mapped for it alone).
func newInsecureConsoleTab(t *testing.T, srv *tesseratest.Server) *consoleTab {
	t.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t, chromedp.Flag("host-resolver-rules", "MAP "+insecureHost+" 127.0.0.1"))
	return openConsoleTab(t, srv, ctx, "http://"+insecureHost+":"+u.Port())
}

func openConsoleTab(t *testing.T, srv *tesseratest.Server, ctx context.Context, base string) *consoleTab {
	t.Helper()
	shots := os.Getenv(screenshotDirEnv)
	if shots == "" {
		shots = t.TempDir()
	}
	c := &consoleTab{t: t, ctx: ctx, srv: srv, base: base, shots: shots}
	c.run("open the console", chromedp.EmulateViewport(1200, 900), chromedp.Navigate(base+consolePath), chromedp.WaitVisible(`body[data-ready="true"]`))
	return c
}

// run runs actions with a deadline, failing the test with what on error.
func (c *consoleTab) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, scriptTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		c.t.Fatalf("%s: %v", what, err)
	}
}

// evalJS evaluates a JavaScript expression (a Promise is awaited) in the
// tab and decodes its value.
func evalJS[T any](c *consoleTab, expr string) T {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, scriptTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		c.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it is true.
func (c *consoleTab) waitFor(what, cond string) {
	c.t.Helper()
	deadline := time.Now().Add(scriptTimeout)
	for {
		if evalJS[bool](c, "!!("+cond+")") {
			return
		}
		if time.Now().After(deadline) {
			alert := evalJS[string](c, `document.getElementById("alert").textContent`)
			c.screenshot("failed-" + strings.ReplaceAll(what, " ", "-"))
			c.t.Fatalf("waiting for %s (%s): timed out; alert: %q", what, cond, alert)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// goTo opens a console route ("#/b/photos").
func (c *consoleTab) goTo(fragment string) {
	c.t.Helper()
	c.run("open "+fragment, chromedp.Navigate(c.base+consolePath+fragment), chromedp.WaitVisible(`body[data-ready="true"]`))
}

// login signs in through the login form.
func (c *consoleTab) login(accessKey, secretKey string) {
	c.t.Helper()
	c.run("sign in",
		chromedp.WaitVisible(`#login-key`),
		chromedp.SetValue(`#login-key`, accessKey),
		chromedp.SetValue(`#login-secret`, secretKey),
		chromedp.Click(`#login-form button[type=submit]`))
	c.waitFor("the buckets page", `document.querySelector("h1") && document.querySelector("h1").textContent === "Buckets"`)
}

// screenshot saves the page as name.png.
func (c *consoleTab) screenshot(name string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, scriptTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		c.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(c.shots, "console-"+name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		c.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	c.t.Logf("screenshot: %s", path)
}

// metric sums the server's counter series named name whose labels
// contain every one of labels (e.g. `action="UploadPart"`).
func metric(t *testing.T, srv *tesseratest.Server, name string, labels ...string) float64 {
	t.Helper()
	return srv.Metrics(t).Sum(name, tesseratest.LabelSet(t, labels...))
}

// jsString quotes s for JavaScript.
func jsString(s string) string { return strconv.Quote(s) }

// throttleUploads limits the tab's upload throughput (bytes per second;
// -1 lifts the limit), as DevTools' network throttling does.
func (c *consoleTab) throttleUploads(bytesPerSecond float64) {
	c.t.Helper()
	c.run("throttle uploads", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		// Network.emulateNetworkConditions: deprecated, but this
		// Chromium (148) refuses the parameters cdproto sends for its
		// successor, emulateNetworkConditionsByRule.
		var res struct{}
		return t.Call(ctx, "Network.emulateNetworkConditions", map[string]any{
			"offline": false, "latency": 0, "downloadThroughput": -1, "uploadThroughput": bytesPerSecond,
		}, &res)
	}))
}

// allowDownloads makes the browser save downloads under dir.
func (c *consoleTab) allowDownloads(dir string) {
	c.t.Helper()
	c.run("allow downloads", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir,
		})
		return err
	}))
}

// waitDownload waits for a finished download of size bytes in dir.
func waitDownload(t *testing.T, dir string, size int) []byte {
	t.Helper()
	deadline := time.Now().Add(scriptTimeout)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if info, err := e.Info(); err == nil && info.Size() == int64(size) && !strings.HasSuffix(e.Name(), ".crdownload") {
				b, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no download of %d bytes in %s", size, dir)
	return nil
}

// assertLabelled checks that every control on the page has a name a
// screen reader can say (a label, aria-label or text) and can be reached
// with the keyboard.
func (c *consoleTab) assertLabelled(page string) {
	c.t.Helper()
	bad := evalJS[[]string](c, `Array.from(document.querySelectorAll("input, select, textarea, button, a[href]"))
		.filter((e) => !e.closest("[hidden]") && !e.closest("dialog"))
		.filter((e) => {
			const named = (e.labels && e.labels.length) || e.getAttribute("aria-label") || e.textContent.trim();
			return !named || e.tabIndex < 0;
		}).map((e) => e.outerHTML.slice(0, 80))`)
	if len(bad) > 0 {
		c.t.Errorf("%s page: controls without a name or out of the tab order: %v", page, bad)
	}
}

// listPartNumbers is ListParts (every page) of the key's only upload.
func listPartNumbers(t *testing.T, c *s3.Client, bucket, key string) []int32 {
	t.Helper()
	ctx := context.Background()
	ups, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), Prefix: aws.String(key)})
	if err != nil || len(ups.Uploads) != 1 {
		t.Fatalf("ListMultipartUploads: %d uploads, %v", len(ups.Uploads), err)
	}
	var out []int32
	p := s3.NewListPartsPaginator(c, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: ups.Uploads[0].UploadId})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, part := range page.Parts {
			out = append(out, aws.ToInt32(part.PartNumber))
		}
	}
	return out
}

// waitIdle waits until the server has no request in flight.
func waitIdle(t *testing.T, srv *tesseratest.Server) {
	t.Helper()
	for deadline := time.Now().Add(scriptTimeout); metric(t, srv, "tessera_s3_requests_in_flight") > 0; {
		if time.Now().After(deadline) {
			t.Fatal("requests still in flight")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkf is nil if the read err is nil and the state read is ok, else
// an error saying what was read.
func checkf(err error, ok bool, format string, args ...any) error {
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf(format, args...)
	}
	return nil
}

// crc32Base64 is b's x-amz-checksum-crc32 value: base64 of the IEEE
// CRC-32's four big-endian bytes.
func crc32Base64(b []byte) string {
	return base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(b)))
}

// assertPartCRCs checks that the upload has n parts of the console's part
// size, each listed with the CRC-32 of its bytes of data and no SHA-256.
func assertPartCRCs(t *testing.T, c *s3.Client, bucket, key, uploadID string, data []byte, n int) {
	t.Helper()
	out, err := c.ListParts(context.Background(), &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(uploadID)})
	if err != nil {
		t.Fatalf("ListParts: %v", err)
	}
	if len(out.Parts) != n || out.ChecksumAlgorithm != types.ChecksumAlgorithmCrc32 {
		t.Fatalf("ListParts: %d parts, ChecksumAlgorithm %q; want %d, CRC32", len(out.Parts), out.ChecksumAlgorithm, n)
	}
	for _, p := range out.Parts {
		start := int(aws.ToInt32(p.PartNumber)-1) * partSize
		want := crc32Base64(data[start:min(start+partSize, len(data))])
		if aws.ToString(p.ChecksumCRC32) != want || p.ChecksumSHA256 != nil {
			t.Errorf("part %d: ChecksumCRC32 %q, ChecksumSHA256 %q; want %q and none", aws.ToInt32(p.PartNumber), aws.ToString(p.ChecksumCRC32), aws.ToString(p.ChecksumSHA256), want)
		}
	}
}

// assertObject checks the object's bytes and, unless wantCRC32 is "",
// the CRC-32 a HEAD with x-amz-checksum-mode: ENABLED answers.
func assertObject(t *testing.T, c *s3.Client, bucket, key string, data []byte, wantCRC32 string) {
	t.Helper()
	ctx := context.Background()
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject %s: %v", key, err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("GetObject %s: %d bytes (%v), not the %d uploaded", key, len(got), err, len(data))
	}
	if wantCRC32 == "" {
		return
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatalf("HeadObject %s: %v", key, err)
	}
	if aws.ToString(head.ChecksumCRC32) != wantCRC32 {
		t.Errorf("HeadObject %s: ChecksumCRC32 %q, want %q", key, aws.ToString(head.ChecksumCRC32), wantCRC32)
	}
}

// objectChecksumAlgorithm names the checksum a HEAD (with checksum mode)
// answered besides the CRC64NVME every multipart object has.
func objectChecksumAlgorithm(h *s3.HeadObjectOutput) types.ChecksumAlgorithm {
	switch {
	case h.ChecksumSHA256 != nil:
		return types.ChecksumAlgorithmSha256
	case h.ChecksumCRC32 != nil:
		return types.ChecksumAlgorithmCrc32
	}
	return ""
}
