package browser

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// uploadPage is a web application's page in miniature (the README's
// example does the same): it uploads a file to a presigned PUT URL with
// fetch(), reads the ETag S3 exposes, and reads the object back through a
// presigned GET URL. The URLs would come from the application's backend;
// here the test passes them in.
const uploadPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>upload</title></head>
<body>
<script>
async function uploadAndReadBack(putURL, getURL, base64) {
  const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
  const file = new File([bytes], "photo.bin", {type: "application/octet-stream"});
  try {
    const put = await fetch(putURL, {method: "PUT", body: file});
    const etag = put.headers.get("ETag");
    const got = await fetch(getURL);
    const back = new Uint8Array(await got.arrayBuffer());
    let s = "";
    for (const b of back) s += String.fromCharCode(b);
    return {putStatus: put.status, etag: etag, getStatus: got.status, body: btoa(s)};
  } catch (e) {
    return {error: String(e)};
  }
}
</script>
</body></html>`

// pageResult is what uploadAndReadBack returns.
type pageResult struct {
	PutStatus int     `json:"putStatus"`
	ETag      *string `json:"etag"`
	GetStatus int     `json:"getStatus"`
	Body      string  `json:"body"`
	Error     string  `json:"error"`
}

// TestBrowserPresignedUploadWithCORS: a page on another origin uploads a
// file to a bucket whose CORS rules allow that origin, with a presigned
// PUT URL, and reads it back; the bytes arrive intact on the server.
func TestBrowserPresignedUploadWithCORS(t *testing.T) {
	srv := tesseratest.New(t)
	c := srv.S3()
	pageURL := servePage(t, uploadPage)
	origin := strings.TrimSuffix(pageURL, "/")
	bucket := newBucket(t, c, "browser-cors")
	_, err := c.PutBucketCors(context.Background(), &s3.PutBucketCorsInput{
		Bucket: aws.String(bucket),
		CORSConfiguration: &types.CORSConfiguration{CORSRules: []types.CORSRule{{
			AllowedOrigins: []string{origin},
			AllowedMethods: []string{"GET", "PUT"},
			// fetch() sends the File's Content-Type, which is not a
			// CORS-safelisted value, so the preflight asks for it.
			AllowedHeaders: []string{"*"},
			// Scripts may read only the headers a rule exposes.
			ExposeHeaders: []string{"ETag"},
			MaxAgeSeconds: aws.Int32(60),
		}}},
	})
	if err != nil {
		t.Fatalf("PutBucketCors: %v", err)
	}
	data := testBytes(200 << 10)
	putURL, getURL := presign(t, c, bucket, "uploads/photo.bin")

	ctx := newBrowser(t)
	var res pageResult
	runInPage(t, ctx, pageURL, "uploadAndReadBack("+jsArgs(t, putURL, getURL, base64.StdEncoding.EncodeToString(data))+")", &res)
	if res.Error != "" {
		t.Fatalf("the page's upload failed: %s", res.Error)
	}
	if res.PutStatus != 200 || res.GetStatus != 200 {
		t.Errorf("PUT status %d, GET status %d; want 200, 200", res.PutStatus, res.GetStatus)
	}
	sum := md5.Sum(data)
	if want := `"` + hex.EncodeToString(sum[:]) + `"`; res.ETag == nil || *res.ETag != want {
		t.Errorf("ETag the page could read = %v, want %s (exposed by the rule)", res.ETag, want)
	}
	back, err := base64.StdEncoding.DecodeString(res.Body)
	if err != nil || !bytes.Equal(back, data) {
		t.Errorf("the page read back %d bytes (%v), want the %d it uploaded", len(back), err, len(data))
	}
	// The server holds exactly the page's bytes.
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("uploads/photo.bin")})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	defer out.Body.Close()
	stored, _ := io.ReadAll(out.Body)
	if !bytes.Equal(stored, data) {
		t.Errorf("stored object has %d bytes, differing from the %d the page uploaded", len(stored), len(data))
	}
}

// TestBrowserReadmeExample runs the README's example page as it stands:
// a user picks a file, the page gets presigned URLs from its backend,
// uploads the file to Tessera and reads it back.
func TestBrowserReadmeExample(t *testing.T) {
	srv := tesseratest.New(t)
	c := srv.S3()
	bucket := newBucket(t, c, "photos")
	mux := http.NewServeMux()
	// The application's backend: presigned URLs for the chosen name.
	mux.HandleFunc("/upload-urls", func(w http.ResponseWriter, r *http.Request) {
		put, get, err := presignURLs(c, bucket, "uploads/"+r.URL.Query().Get("name"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"put": put, "get": get})
	})
	pageURL := serveSite(t, mux, readmeExamplePage(t))
	_, err := c.PutBucketCors(context.Background(), &s3.PutBucketCorsInput{
		Bucket: aws.String(bucket),
		// The README's rule, for the page's origin.
		CORSConfiguration: &types.CORSConfiguration{CORSRules: []types.CORSRule{{
			AllowedOrigins: []string{strings.TrimSuffix(pageURL, "/")},
			AllowedMethods: []string{"GET", "PUT"},
			AllowedHeaders: []string{"*"},
			ExposeHeaders:  []string{"ETag"},
			MaxAgeSeconds:  aws.Int32(3000),
		}}},
	})
	if err != nil {
		t.Fatalf("PutBucketCors: %v", err)
	}
	data := testBytes(300 << 10)
	file := filepath.Join(t.TempDir(), "cat.jpg")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}

	ctx := newBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, scriptTimeout)
	defer cancel()
	err = chromedp.Do(ctx,
		chromedp.Navigate(pageURL),
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{file}),
		chromedp.Click(chromedp.CSS("#upload")),
	)
	if err != nil {
		t.Fatalf("using the page: %v", err)
	}
	// The page logs its progress; wait for its last line, success or not.
	log, err := chromedp.Run(ctx, chromedp.Poll[string](
		`(t => /read back|failed|blocked/.test(t) && t)(document.getElementById("log").textContent)`))
	if err != nil {
		t.Fatalf("waiting for the page: %v", err)
	}
	sum := md5.Sum(data)
	for _, want := range []string{
		fmt.Sprintf("uploaded, ETag \"%s\"", hex.EncodeToString(sum[:])),
		fmt.Sprintf("read back %d bytes of %d", len(data), len(data)),
	} {
		if !strings.Contains(log, want) {
			t.Errorf("page log %q lacks %q", log, want)
		}
	}
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("uploads/cat.jpg")})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	defer out.Body.Close()
	if stored, _ := io.ReadAll(out.Body); !bytes.Equal(stored, data) {
		t.Errorf("stored object has %d bytes, differing from the %d of the file", len(stored), len(data))
	}
}

// readmeExamplePage is the html block of the README's CORS section.
func readmeExamplePage(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "## CORS and browser uploads")
	_, block, ok2 := strings.Cut(section, "```html\n")
	page, _, ok3 := strings.Cut(block, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("README.md has no html example in its CORS section")
	}
	return page
}

// TestBrowserPreflightRefusedWithoutCORS: the same page against a bucket
// with no CORS configuration: the preflight is refused ("CORS is not
// enabled for this bucket"), so the browser never sends the PUT and fetch()
// fails; nothing is stored.
func TestBrowserPreflightRefusedWithoutCORS(t *testing.T) {
	srv := tesseratest.New(t)
	c := srv.S3()
	pageURL := servePage(t, uploadPage)
	bucket := newBucket(t, c, "browser-nocors")
	putURL, getURL := presign(t, c, bucket, "refused.bin")

	ctx := newBrowser(t)
	var res pageResult
	runInPage(t, ctx, pageURL, "uploadAndReadBack("+jsArgs(t, putURL, getURL, base64.StdEncoding.EncodeToString(testBytes(1024)))+")", &res)
	if res.Error == "" {
		t.Fatalf("fetch() succeeded (%+v); want the browser to refuse it", res)
	}
	if !strings.Contains(res.Error, "Failed to fetch") {
		t.Errorf("fetch() error %q, want Chromium's CORS failure (TypeError: Failed to fetch)", res.Error)
	}
	_, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("refused.bin")})
	if err == nil {
		t.Errorf("the object exists: the browser sent the PUT despite the refused preflight")
	}
}
