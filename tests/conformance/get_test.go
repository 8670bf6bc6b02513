package conformance

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

func TestGetObjectRange(t *testing.T) {
	t.Parallel()
	bothTransports(t, func(t *testing.T, srv *tesseratest.Server) {
		c, rec := recordingS3(srv)
		b := newBucket(t, c)
		const size = 1000
		data := randBytes(size, 3)
		put(t, c, b, "r", data)

		cases := []struct {
			rng         string
			first, last int // expected window (inclusive); first<0 means full 200
		}{
			{"bytes=0-9", 0, 9},
			{"bytes=10-19", 10, 19},
			{"bytes=0-0", 0, 0},
			{"bytes=999-999", 999, 999},
			{"bytes=990-", 990, 999},
			{"bytes=0-", 0, 999},
			{"bytes=-10", 990, 999},
			{"bytes=-1", 999, 999},
			{"bytes=-1000", 0, 999},
			{"bytes=-5000", 0, 999}, // suffix longer than the object: all of it
			{"bytes=995-2000", 995, 999},
			{"bytes=500-999999999999", 500, 999},
			// Syntactically invalid ranges are ignored: the whole object, 200.
			{"bytes=abc", -1, -1},
			{"bytes=20-10", -1, -1},
			{"items=0-5", -1, -1},
		}
		for _, tc := range cases {
			t.Run(tc.rng, func(t *testing.T) {
				out, err := c.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("r"), Range: aws.String(tc.rng)})
				if err != nil {
					t.Fatalf("GetObject Range %s: %v", tc.rng, err)
				}
				got, err := io.ReadAll(out.Body)
				out.Body.Close()
				if err != nil {
					t.Fatalf("reading body: %v", err)
				}
				status := rec.last(http.MethodGet).Status
				if tc.first < 0 {
					if status != http.StatusOK || !bytes.Equal(got, data) {
						t.Errorf("status %d, %d bytes; want 200 with the whole object", status, len(got))
					}
					if out.ContentRange != nil {
						t.Errorf("Content-Range = %q on a full response", *out.ContentRange)
					}
					return
				}
				if status != http.StatusPartialContent {
					t.Errorf("status = %d, want 206", status)
				}
				want := data[tc.first : tc.last+1]
				if !bytes.Equal(got, want) {
					t.Errorf("body = %d bytes, want bytes %d-%d (%d bytes)", len(got), tc.first, tc.last, len(want))
				}
				if cr, want := aws.ToString(out.ContentRange), fmt.Sprintf("bytes %d-%d/%d", tc.first, tc.last, size); cr != want {
					t.Errorf("Content-Range = %q, want %q", cr, want)
				}
				if aws.ToInt64(out.ContentLength) != int64(len(want)) {
					t.Errorf("Content-Length = %d, want %d", aws.ToInt64(out.ContentLength), len(want))
				}
			})
		}
		for _, rng := range []string{"bytes=1000-", "bytes=1000-1005", "bytes=5000-6000"} {
			t.Run("unsatisfiable "+rng, func(t *testing.T) {
				_, err := c.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("r"), Range: aws.String(rng)})
				wantErr(t, err, "InvalidRange", http.StatusRequestedRangeNotSatisfiable)
			})
		}
		t.Run("raw 416 body", func(t *testing.T) {
			r := newRaw(t, srv, http.MethodGet, objectPath(b, "r"), nil)
			r.Header.Set("Range", "bytes=2000-")
			signV4(t, r, emptySHA256)
			resp, body := do(t, srv, r)
			wantRawErr(t, resp, body, "InvalidRange", http.StatusRequestedRangeNotSatisfiable)
		})
		t.Run("minio SetRange", func(t *testing.T) {
			opts := minio.GetObjectOptions{}
			if err := opts.SetRange(100, 199); err != nil {
				t.Fatal(err)
			}
			o, err := srv.Minio().GetObject(ctx(), b, "r", opts)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(o)
			if err != nil || !bytes.Equal(got, data[100:200]) {
				t.Errorf("minio range read = %d bytes, %v; want bytes 100-199", len(got), err)
			}
		})
		t.Run("minio ReadAt", func(t *testing.T) {
			o, err := srv.Minio().GetObject(ctx(), b, "r", minio.GetObjectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			buf := make([]byte, 50)
			n, err := o.ReadAt(buf, 900)
			if err != nil && err != io.EOF || n != 50 || !bytes.Equal(buf, data[900:950]) {
				t.Errorf("ReadAt(900) = %d, %v", n, err)
			}
		})
	})
}

func TestGetObjectConditional(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	b := newBucket(t, c)
	data := []byte("conditional body")
	out := put(t, c, b, "c", data)
	etag := aws.ToString(out.ETag)
	h, _ := head(t, c, b, "c")
	if h == nil || h.LastModified == nil {
		t.Fatal("HeadObject failed")
	}
	lm := *h.LastModified // second precision, as sent in Last-Modified
	earlier, later := lm.Add(-time.Hour), lm.Add(time.Hour)
	const wrong = `"0123456789abcdef0123456789abcdef"`

	type cond struct {
		ifMatch, ifNoneMatch string
		ims, ius             *time.Time
	}
	cases := []struct {
		name string
		cond
		want int
	}{
		{"If-Match current", cond{ifMatch: etag}, 200},
		{"If-Match unquoted", cond{ifMatch: strings.Trim(etag, `"`)}, 200},
		{"If-Match star", cond{ifMatch: "*"}, 200},
		{"If-Match list", cond{ifMatch: wrong + ", " + etag}, 200},
		{"If-Match wrong", cond{ifMatch: wrong}, 412},
		{"If-None-Match current", cond{ifNoneMatch: etag}, 304},
		{"If-None-Match star", cond{ifNoneMatch: "*"}, 304},
		{"If-None-Match wrong", cond{ifNoneMatch: wrong}, 200},
		{"If-Modified-Since earlier", cond{ims: &earlier}, 200},
		{"If-Modified-Since equal", cond{ims: &lm}, 304},
		{"If-Modified-Since later", cond{ims: &later}, 304},
		{"If-Unmodified-Since earlier", cond{ius: &earlier}, 412},
		{"If-Unmodified-Since equal", cond{ius: &lm}, 200},
		{"If-Unmodified-Since later", cond{ius: &later}, 200},
		// S3's precedence (RFC 7232): If-Match decides over If-Unmodified-Since…
		{"If-Match true + If-Unmodified-Since false", cond{ifMatch: etag, ius: &earlier}, 200},
		{"If-Match false + If-Unmodified-Since true", cond{ifMatch: wrong, ius: &later}, 412},
		// …and If-None-Match over If-Modified-Since.
		{"If-None-Match false + If-Modified-Since true", cond{ifNoneMatch: etag, ims: &earlier}, 304},
		{"If-None-Match true + If-Modified-Since false", cond{ifNoneMatch: wrong, ims: &later}, 200},
		// 412 beats 304.
		{"If-Match false + If-None-Match false", cond{ifMatch: wrong, ifNoneMatch: etag}, 412},
		{"If-Unmodified-Since false + If-None-Match false", cond{ius: &earlier, ifNoneMatch: etag}, 412},
		{"If-Match true + If-None-Match false", cond{ifMatch: etag, ifNoneMatch: etag}, 304},
		{"If-Match true + If-Modified-Since false", cond{ifMatch: etag, ims: &later}, 304},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gin := &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("c"), IfModifiedSince: tc.ims, IfUnmodifiedSince: tc.ius}
			hin := &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("c"), IfModifiedSince: tc.ims, IfUnmodifiedSince: tc.ius}
			if tc.ifMatch != "" {
				gin.IfMatch, hin.IfMatch = aws.String(tc.ifMatch), aws.String(tc.ifMatch)
			}
			if tc.ifNoneMatch != "" {
				gin.IfNoneMatch, hin.IfNoneMatch = aws.String(tc.ifNoneMatch), aws.String(tc.ifNoneMatch)
			}
			g, err := c.GetObject(ctx(), gin)
			switch tc.want {
			case 200:
				if err != nil {
					t.Errorf("GET: %v, want 200", err)
				} else {
					got, _ := io.ReadAll(g.Body)
					g.Body.Close()
					if !bytes.Equal(got, data) {
						t.Errorf("GET body = %q", got)
					}
				}
			case 304:
				wantErr(t, err, "", http.StatusNotModified)
			case 412:
				wantErr(t, err, "PreconditionFailed", http.StatusPreconditionFailed)
			}
			_, err = c.HeadObject(ctx(), hin)
			if tc.want == 200 {
				if err != nil {
					t.Errorf("HEAD: %v, want 200", err)
				}
			} else {
				wantErr(t, err, "", tc.want)
			}
		})
	}
	t.Run("304 carries ETag and no body", func(t *testing.T) {
		r := newRaw(t, srv, http.MethodGet, objectPath(b, "c"), nil)
		r.Header.Set("If-None-Match", etag)
		signV4(t, r, emptySHA256)
		resp, body := do(t, srv, r)
		wantStatus(t, resp, body, http.StatusNotModified)
		if len(body) != 0 {
			t.Errorf("304 has a body: %q", body)
		}
		if resp.Header.Get("ETag") != etag {
			t.Errorf("304 ETag = %q, want %q", resp.Header.Get("ETag"), etag)
		}
	})
	t.Run("412 error body", func(t *testing.T) {
		r := newRaw(t, srv, http.MethodGet, objectPath(b, "c"), nil)
		r.Header.Set("If-Match", wrong)
		signV4(t, r, emptySHA256)
		resp, body := do(t, srv, r)
		wantRawErr(t, resp, body, "PreconditionFailed", http.StatusPreconditionFailed)
	})
	t.Run("unparseable date is ignored", func(t *testing.T) {
		r := newRaw(t, srv, http.MethodGet, objectPath(b, "c"), nil)
		r.Header.Set("If-Modified-Since", "not a date")
		signV4(t, r, emptySHA256)
		resp, body := do(t, srv, r)
		wantStatus(t, resp, body, http.StatusOK)
	})
	t.Run("conditions on a missing key", func(t *testing.T) {
		_, err := c.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("missing"), IfMatch: aws.String(etag)})
		wantErr(t, err, "NoSuchKey", http.StatusNotFound)
	})
	t.Run("minio", func(t *testing.T) {
		opts := minio.GetObjectOptions{}
		opts.SetMatchETagExcept(strings.Trim(etag, `"`))
		_, err := srv.Minio().StatObject(ctx(), b, "c", minio.StatObjectOptions(opts))
		wantMinioErr(t, err, "", http.StatusNotModified)
		opts = minio.GetObjectOptions{}
		opts.SetMatchETag("deadbeef")
		o, err := srv.Minio().GetObject(ctx(), b, "c", opts)
		if err == nil {
			_, err = io.ReadAll(o)
		}
		wantMinioErr(t, err, "PreconditionFailed", http.StatusPreconditionFailed)
	})
}

func TestGetObjectResponseOverrides(t *testing.T) {
	t.Parallel()
	bothTransports(t, func(t *testing.T, srv *tesseratest.Server) {
		c := sdkClient(srv)
		b := newBucket(t, c)
		data := []byte("override me")
		put(t, c, b, "o", data, func(in *s3.PutObjectInput) {
			in.ContentType = aws.String("text/plain")
			in.CacheControl = aws.String("no-store")
			in.ContentDisposition = aws.String("inline")
		})
		exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
		out, err := c.GetObject(ctx(), &s3.GetObjectInput{
			Bucket: aws.String(b), Key: aws.String("o"),
			ResponseContentType:        aws.String("application/x-override"),
			ResponseContentLanguage:    aws.String("ja"),
			ResponseExpires:            aws.Time(exp),
			ResponseCacheControl:       aws.String("max-age=60"),
			ResponseContentDisposition: aws.String(`attachment; filename="über.txt"`),
			ResponseContentEncoding:    aws.String("br"),
		})
		if err != nil {
			t.Fatalf("GetObject with response-* overrides: %v", err)
		}
		got, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if !bytes.Equal(got, data) {
			t.Errorf("body = %q", got)
		}
		for _, f := range []struct{ name, got, want string }{
			{"Content-Type", aws.ToString(out.ContentType), "application/x-override"},
			{"Content-Language", aws.ToString(out.ContentLanguage), "ja"},
			{"Cache-Control", aws.ToString(out.CacheControl), "max-age=60"},
			{"Content-Disposition", aws.ToString(out.ContentDisposition), `attachment; filename="über.txt"`},
			{"Content-Encoding", aws.ToString(out.ContentEncoding), "br"},
		} {
			if f.got != f.want {
				t.Errorf("%s = %q, want %q", f.name, f.got, f.want)
			}
		}
		if tm, err := http.ParseTime(aws.ToString(out.ExpiresString)); err != nil || !tm.Equal(exp) {
			t.Errorf("Expires = %q, want %s", aws.ToString(out.ExpiresString), exp.Format(http.TimeFormat))
		}
		// The stored headers are unchanged.
		h, _ := head(t, c, b, "o")
		if h == nil || aws.ToString(h.ContentType) != "text/plain" || aws.ToString(h.CacheControl) != "no-store" {
			t.Errorf("stored headers changed: %+v", h)
		}

		// The common use: a presigned download link that forces a filename.
		ps := s3.NewPresignClient(c)
		req, err := ps.PresignGetObject(ctx(), &s3.GetObjectInput{
			Bucket: aws.String(b), Key: aws.String("o"),
			ResponseContentDisposition: aws.String(`attachment; filename="report.txt"`),
		})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := srv.HTTPClient().Get(req.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Equal(body, data) {
			t.Errorf("presigned GET with override: %d %q", resp.StatusCode, body)
		}
		if got := resp.Header.Get("Content-Disposition"); got != `attachment; filename="report.txt"` {
			t.Errorf("presigned Content-Disposition = %q", got)
		}

		// minio-go passes overrides as query parameters as well.
		q := url.Values{}
		q.Set("response-content-type", "image/png")
		u, err := srv.Minio().PresignedGetObject(ctx(), b, "o", time.Hour, q)
		if err != nil {
			t.Fatal(err)
		}
		resp, err = srv.HTTPClient().Get(u.String())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
			t.Errorf("minio presigned override: %d Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	})
}
