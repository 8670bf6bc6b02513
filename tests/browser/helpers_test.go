// Package browser drives a real headless Chromium (through chromedp)
// against a real Tessera server: a test page served from another origin
// talks to Tessera with fetch(), so the browser itself enforces CORS —
// preflights, Access-Control-* checks, exposed headers — exactly as for a
// web application in production.
package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/chromedp/chromedp"
)

// chromiumPath is where Debian's chromium package puts the browser
// (.ci/run installs it).
const chromiumPath = "/usr/bin/chromium"

// scriptTimeout bounds one page visit and its script.
const scriptTimeout = 60 * time.Second

// newBrowser starts a headless Chromium for the test and returns the
// context to run chromedp actions in; it is closed when the test ends.
// extra adds command-line options. A missing browser fails the test: the
// browser tests are part of `go test ./...` and must not pass by not
// running.
func newBrowser(t testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser tests need Chromium at %s (Debian package \"chromium\"; .ci/run installs it): %v", chromiumPath, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		// Tests run as root, where Chromium's sandbox cannot start.
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		// Containers often have a tiny /dev/shm.
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	opts = append(opts, extra...)
	// Start the browser now, so a failure to launch is reported as such.
	// The browser lives as long as the context of this first call, so it
	// has no timeout; each visit gets one (runInPage). A launch can fail
	// when the machine is busy starting many processes at once (Chromium
	// exits before it prints its DevTools address): try again, a little
	// later, before failing.
	var err error
	for attempt := 1; attempt <= browserLaunches; attempt++ {
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelBrowser := chromedp.NewContext(allocCtx)
		if err = chromedp.Do(ctx); err == nil {
			t.Cleanup(func() {
				cancelBrowser()
				cancelAlloc()
			})
			return ctx
		}
		cancelBrowser()
		cancelAlloc()
		t.Logf("starting Chromium, attempt %d of %d: %v", attempt, browserLaunches, err)
		time.Sleep(time.Duration(attempt) * time.Second)
	}
	t.Fatalf("starting Chromium (%s): %v", chromiumPath, err)
	return nil
}

// browserLaunches is how many times newBrowser tries to start Chromium.
const browserLaunches = 3

// servePage serves html at "/" from its own HTTP server on 127.0.0.1: a
// port of its own makes it another origin than the Tessera server's. It
// returns the page's URL (scheme://host:port/); its origin is that without
// the trailing slash.
func servePage(t *testing.T, html string) string {
	t.Helper()
	return serveSite(t, http.NewServeMux(), html)
}

// serveSite is servePage with more: mux also serves the site's other
// paths (a backend's API, say); html is served at "/".
func serveSite(t *testing.T, mux *http.ServeMux, html string) string {
	t.Helper()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(html))
	})
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return hs.URL + "/"
}

// runInPage opens pageURL in the browser and evaluates expr there — an
// expression whose value may be a Promise, awaited — decoding its JSON
// value into out. Scripts run in the page, so every fetch() they make is
// a cross-origin request from the page's origin.
func runInPage(t *testing.T, ctx context.Context, pageURL, expr string, out any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, scriptTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL)); err != nil {
		t.Fatalf("opening %s: %v", pageURL, err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("running the page script: %v", err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("page script result %s: %v", raw, err)
	}
}

// jsArgs renders Go values as a JavaScript argument list (JSON is valid
// JavaScript), for calling a page function from runInPage.
func jsArgs(t *testing.T, args ...any) string {
	t.Helper()
	b, err := json.Marshal(args)
	if err != nil {
		t.Fatalf("jsArgs: %v", err)
	}
	return string(b[1 : len(b)-1])
}

// newBucket creates a bucket for the test.
func newBucket(t *testing.T, c *s3.Client, name string) string {
	t.Helper()
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("CreateBucket %s: %v", name, err)
	}
	return name
}

// presign returns presigned PUT and GET URLs for the key, valid for ten
// minutes, as an application's backend would hand them to its page.
func presign(t *testing.T, c *s3.Client, bucket, key string) (putURL, getURL string) {
	t.Helper()
	putURL, getURL, err := presignURLs(c, bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	return putURL, getURL
}

// presignURLs is presign for code off the test's goroutine (an HTTP
// handler playing the application's backend).
func presignURLs(c *s3.Client, bucket, key string) (putURL, getURL string, err error) {
	ps := s3.NewPresignClient(c)
	put, err := ps.PresignPutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}, s3.WithPresignExpires(10*time.Minute))
	if err != nil {
		return "", "", fmt.Errorf("PresignPutObject: %w", err)
	}
	get, err := ps.PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}, s3.WithPresignExpires(10*time.Minute))
	if err != nil {
		return "", "", fmt.Errorf("PresignGetObject: %w", err)
	}
	return put.URL, get.URL, nil
}

// testBytes is n bytes of every value, not text, so that any re-encoding
// on the way would show.
func testBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/256)
	}
	return b
}
