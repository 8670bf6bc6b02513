package browser

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"html"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tessera-s3/tessera/internal/sigv4"
	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// Helpers for the browser form-upload (POST Object) tests.

// postChromium is Debian's chromium package's browser (.ci/run installs it).
const postChromium = "/usr/bin/chromium"

// postBrowser starts a headless Chromium and returns the context to run
// chromedp actions in, closed when the test ends. A missing browser fails
// the test: these tests must not pass by not running.
func postBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(postChromium); err != nil {
		t.Fatalf("the browser tests need Chromium at %s (Debian package \"chromium\"; .ci/run installs it): %v", postChromium, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(postChromium),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root, where the sandbox cannot start
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium (%s): %v", postChromium, err)
	}
	return ctx
}

// postField is one hidden field of an upload form.
type postField struct{ name, value string }

// postFormHTML is an upload page as a web application serves it: a form
// POSTing to the bucket URL with hidden fields, then the file input, then
// a submit button (no name, so the browser sends no field for it).
func postFormHTML(action string, fields []postField) string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html><body><form id="upload" method="post" enctype="multipart/form-data" action="` + html.EscapeString(action) + `">` + "\n")
	for _, f := range fields {
		b.WriteString(`<input type="hidden" name="` + html.EscapeString(f.name) + `" value="` + html.EscapeString(f.value) + `">` + "\n")
	}
	b.WriteString(`<input type="file" id="file" name="file">` + "\n")
	b.WriteString(`<button id="send" type="submit">Upload</button></form></body></html>`)
	return b.String()
}

// postPolicyFields signs a policy with the root key as a SigV4 form does:
// the conditions plus the algorithm, credential and date ones.
func postPolicyFields(t *testing.T, conds ...any) []postField {
	t.Helper()
	now := time.Now().UTC()
	date := now.Format("20060102T150405Z")
	cred := tesseratest.AccessKey + "/" + date[:8] + "/" + tesseratest.Region + "/s3/aws4_request"
	conds = append(conds,
		map[string]string{"x-amz-algorithm": "AWS4-HMAC-SHA256"},
		map[string]string{"x-amz-credential": cred},
		map[string]string{"x-amz-date": date})
	doc, err := json.Marshal(map[string]any{"expiration": now.Add(time.Hour).Format("2006-01-02T15:04:05Z"), "conditions": conds})
	if err != nil {
		t.Fatal(err)
	}
	policy := base64.StdEncoding.EncodeToString(doc)
	m := hmac.New(sha256.New, sigv4.DeriveSigningKey(tesseratest.SecretKey, date[:8], tesseratest.Region, "s3"))
	m.Write([]byte(policy))
	return []postField{
		{"x-amz-algorithm", "AWS4-HMAC-SHA256"}, {"x-amz-credential", cred}, {"x-amz-date", date},
		{"policy", policy}, {"x-amz-signature", hex.EncodeToString(m.Sum(nil))},
	}
}
