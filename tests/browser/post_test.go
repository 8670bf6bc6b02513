package browser

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/chromedp/chromedp"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// TestBrowserFormUpload is the browser upload of AWS's POST Object guide
// (sigv4-post-example), done by a real Chromium: a page on another origin
// holds an HTML form whose action is the bucket URL, with the signed
// policy in hidden fields, a key ending in ${filename} and
// success_action_redirect back to the page's site. The user picks a file
// and submits; a form navigation needs no CORS. S3 answers 303 to the
// redirect with bucket, key and etag appended (AWS HTTPPOSTForms), the
// browser follows it, and the page's server sees where the object went.
func TestBrowserFormUpload(t *testing.T) {
	srv := tesseratest.New(t)
	c := srv.S3()
	bucket := "browser-form-upload"
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	data := []byte(strings.Repeat("a report uploaded from a browser form\n", 1000))
	file := filepath.Join(t.TempDir(), "report.txt")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}

	// The web application: its own port, so another origin than Tessera's.
	mux := http.NewServeMux()
	site := httptest.NewServer(mux)
	t.Cleanup(site.Close)
	redirect := site.URL + "/done"
	fields := append([]postField{
		{"key", "uploads/${filename}"},
		{"Content-Type", "text/plain"},
		{"x-amz-meta-uploader", "browser"},
		{"success_action_redirect", redirect},
	}, postPolicyFields(t,
		map[string]string{"bucket": bucket},
		[]string{"starts-with", "$key", "uploads/"},
		[]string{"starts-with", "$Content-Type", "text/"},
		map[string]string{"x-amz-meta-uploader": "browser"},
		map[string]string{"success_action_redirect": redirect},
		[]any{"content-length-range", 1, 1 << 20},
	)...)
	page := postFormHTML(srv.URL+"/"+bucket, fields)
	arrived := make(chan url.Values, 1)
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	})
	mux.HandleFunc("/done", func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- r.URL.Query():
		default:
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><p id="done">uploaded</p>`)
	})

	ctx, cancel := context.WithTimeout(postBrowser(t), 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(site.URL+"/"),
		chromedp.SetUploadFiles("#file", []string{file}),
		chromedp.Click("#send"),
		chromedp.WaitVisible("#done"),
	); err != nil {
		t.Fatalf("uploading from the page: %v", err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(data)
	etag := `"` + hex.EncodeToString(sum[:]) + `"`
	var q url.Values
	select {
	case q = <-arrived:
	case <-ctx.Done():
		t.Fatal("the browser never came back to the page's site")
	}
	if !strings.HasPrefix(loc, redirect+"?") || q.Get("bucket") != bucket || q.Get("key") != "uploads/report.txt" || q.Get("etag") != etag {
		t.Fatalf("redirected to %s (query %v), want bucket %s key uploads/report.txt etag %s", loc, q, bucket, etag)
	}

	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("uploads/report.txt")})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	got, _ := io.ReadAll(out.Body)
	if string(got) != string(data) || aws.ToString(out.ETag) != etag || aws.ToString(out.ContentType) != "text/plain" || out.Metadata["uploader"] != "browser" {
		t.Fatalf("object: %d bytes, ETag %s, Content-Type %s, metadata %v", len(got), aws.ToString(out.ETag), aws.ToString(out.ContentType), out.Metadata)
	}
}
