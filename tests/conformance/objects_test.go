package conformance

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// bothTransports runs f against a plain-HTTP server and an HTTPS one (over
// which the SDK sends aws-chunked bodies with a trailing checksum).
func bothTransports(t *testing.T, f func(t *testing.T, srv *tesseratest.Server)) {
	t.Helper()
	for _, tc := range []struct {
		name string
		opts []tesseratest.Option
	}{{"http", nil}, {"tls", []tesseratest.Option{tesseratest.WithTLS()}}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f(t, tesseratest.New(t, tc.opts...))
		})
	}
}

func TestPutGetHeadDelete(t *testing.T) {
	t.Parallel()
	bothTransports(t, func(t *testing.T, srv *tesseratest.Server) {
		c := sdkClient(srv)
		b := newBucket(t, c)
		data := randBytes(70_000, 1)
		before := time.Now().Add(-2 * time.Second)
		out := put(t, c, b, "dir/obj.bin", data)
		if got, want := aws.ToString(out.ETag), `"`+md5Hex(data)+`"`; got != want {
			t.Errorf("PutObject ETag = %s, want %s", got, want)
		}
		got, gout := get(t, c, b, "dir/obj.bin")
		if !bytes.Equal(got, data) {
			t.Fatalf("GetObject body differs: %d bytes, want %d", len(got), len(data))
		}
		if aws.ToString(gout.ETag) != aws.ToString(out.ETag) {
			t.Errorf("GetObject ETag = %s, want %s", aws.ToString(gout.ETag), aws.ToString(out.ETag))
		}
		if aws.ToInt64(gout.ContentLength) != int64(len(data)) {
			t.Errorf("GetObject Content-Length = %d, want %d", aws.ToInt64(gout.ContentLength), len(data))
		}
		if aws.ToString(gout.ContentType) != "binary/octet-stream" && aws.ToString(gout.ContentType) != "application/octet-stream" {
			t.Errorf("default Content-Type = %q, want binary/octet-stream", aws.ToString(gout.ContentType))
		}
		if aws.ToString(gout.AcceptRanges) != "bytes" {
			t.Errorf("Accept-Ranges = %q, want bytes", aws.ToString(gout.AcceptRanges))
		}
		h, st := head(t, c, b, "dir/obj.bin")
		if st != http.StatusOK {
			t.Fatalf("HeadObject status %d", st)
		}
		if aws.ToInt64(h.ContentLength) != int64(len(data)) || aws.ToString(h.ETag) != aws.ToString(out.ETag) {
			t.Errorf("HeadObject = length %d etag %s, want %d %s", aws.ToInt64(h.ContentLength), aws.ToString(h.ETag), len(data), aws.ToString(out.ETag))
		}
		if h.LastModified == nil || h.LastModified.Before(before) || h.LastModified.After(time.Now().Add(2*time.Second)) {
			t.Errorf("HeadObject Last-Modified = %v, want about now", h.LastModified)
		}

		// Overwrite: the newest version wins.
		data2 := []byte("second version")
		put(t, c, b, "dir/obj.bin", data2)
		wantBody(t, c, b, "dir/obj.bin", data2)

		if _, err := c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("dir/obj.bin")}); err != nil {
			t.Fatalf("DeleteObject: %v", err)
		}
		wantAbsent(t, c, b, "dir/obj.bin")
		_, err := c.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("dir/obj.bin")})
		wantErr(t, err, "NoSuchKey", http.StatusNotFound)
	})
}

func TestGetMissing(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	b := newBucket(t, c)
	_, err := c.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("nope")})
	wantErr(t, err, "NoSuchKey", http.StatusNotFound)
	_, err = c.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("nope")})
	wantErr(t, err, "", http.StatusNotFound)
	_, err = c.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String("no-such-bucket-1"), Key: aws.String("k")})
	wantErr(t, err, "NoSuchBucket", http.StatusNotFound)
	_, err = c.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String("no-such-bucket-1"), Key: aws.String("k"), Body: strings.NewReader("x")})
	wantErr(t, err, "NoSuchBucket", http.StatusNotFound)

	mc := srv.Minio()
	_, err = mc.StatObject(ctx(), b, "nope", minio.StatObjectOptions{})
	wantMinioErr(t, err, "NoSuchKey", http.StatusNotFound)
	o, err := mc.GetObject(ctx(), b, "nope", minio.GetObjectOptions{})
	if err == nil {
		_, err = io.ReadAll(o)
	}
	wantMinioErr(t, err, "NoSuchKey", http.StatusNotFound)
}

func TestDeleteObjectMissing(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	b := newBucket(t, c)
	// Deleting a key that does not exist succeeds with 204.
	r := newRaw(t, srv, http.MethodDelete, objectPath(b, "never-there"), nil)
	signV4(t, r, emptySHA256)
	resp, body := do(t, srv, r)
	wantStatus(t, resp, body, http.StatusNoContent)
	if _, err := c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("never-there")}); err != nil {
		t.Errorf("SDK DeleteObject(missing key): %v", err)
	}
	_, err := c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String("no-such-bucket-2"), Key: aws.String("k")})
	wantErr(t, err, "NoSuchBucket", http.StatusNotFound)
}

func TestPutObjectContentMD5(t *testing.T) {
	t.Parallel()
	bothTransports(t, func(t *testing.T, srv *tesseratest.Server) {
		c := sdkClient(srv)
		b := newBucket(t, c)
		data := randBytes(20_000, 2)

		t.Run("good", func(t *testing.T) {
			put(t, c, b, "good", data, func(in *s3.PutObjectInput) { in.ContentMD5 = aws.String(md5B64(data)) })
			wantBody(t, c, b, "good", data)
		})
		t.Run("bad", func(t *testing.T) {
			_, err := c.PutObject(ctx(), &s3.PutObjectInput{
				Bucket: aws.String(b), Key: aws.String("bad"), Body: bytes.NewReader(data),
				ContentMD5: aws.String(md5B64([]byte("something else"))),
			})
			wantErr(t, err, "BadDigest", http.StatusBadRequest)
			wantAbsent(t, c, b, "bad")
		})
		t.Run("bad keeps previous version", func(t *testing.T) {
			old := []byte("old version")
			put(t, c, b, "keep", old)
			_, err := c.PutObject(ctx(), &s3.PutObjectInput{
				Bucket: aws.String(b), Key: aws.String("keep"), Body: bytes.NewReader(data),
				ContentMD5: aws.String(md5B64(old)),
			})
			wantErr(t, err, "BadDigest", http.StatusBadRequest)
			wantBody(t, c, b, "keep", old)
		})
		t.Run("not base64", func(t *testing.T) {
			_, err := c.PutObject(ctx(), &s3.PutObjectInput{
				Bucket: aws.String(b), Key: aws.String("invalid"), Body: bytes.NewReader(data),
				ContentMD5: aws.String("not-an-md5!"),
			})
			wantErr(t, err, "InvalidDigest", http.StatusBadRequest)
			wantAbsent(t, c, b, "invalid")
		})
		t.Run("raw good and bad", func(t *testing.T) {
			r := newRaw(t, srv, http.MethodPut, objectPath(b, "raw-md5"), data)
			r.Header.Set("Content-MD5", md5B64(data))
			signV4(t, r, "UNSIGNED-PAYLOAD")
			resp, body := do(t, srv, r)
			wantStatus(t, resp, body, http.StatusOK)

			r = newRaw(t, srv, http.MethodPut, objectPath(b, "raw-md5-bad"), data)
			r.Header.Set("Content-MD5", md5B64(data[1:]))
			signV4(t, r, "UNSIGNED-PAYLOAD")
			resp, body = do(t, srv, r)
			wantRawErr(t, resp, body, "BadDigest", http.StatusBadRequest)
			wantAbsent(t, c, b, "raw-md5-bad")
		})
	})
}

func TestPutObjectStandardHeaders(t *testing.T) {
	t.Parallel()
	bothTransports(t, func(t *testing.T, srv *tesseratest.Server) {
		c := sdkClient(srv)
		b := newBucket(t, c)
		expires := time.Date(2031, 5, 17, 8, 30, 0, 0, time.UTC)
		data := []byte(`{"hello":"world"}`)
		put(t, c, b, "doc.json", data, func(in *s3.PutObjectInput) {
			in.ContentType = aws.String("application/json; charset=utf-8")
			in.CacheControl = aws.String("max-age=3600, public")
			in.ContentDisposition = aws.String(`attachment; filename="doc.json"`)
			in.ContentEncoding = aws.String("gzip")
			in.ContentLanguage = aws.String("de-CH")
			in.Expires = aws.Time(expires)
		})
		check := func(t *testing.T, what string, ct, cc, cd, ce, cl *string, exp *string) {
			t.Helper()
			for _, f := range []struct{ name, got, want string }{
				{"Content-Type", aws.ToString(ct), "application/json; charset=utf-8"},
				{"Cache-Control", aws.ToString(cc), "max-age=3600, public"},
				{"Content-Disposition", aws.ToString(cd), `attachment; filename="doc.json"`},
				{"Content-Encoding", aws.ToString(ce), "gzip"},
				{"Content-Language", aws.ToString(cl), "de-CH"},
			} {
				if f.got != f.want {
					t.Errorf("%s %s = %q, want %q", what, f.name, f.got, f.want)
				}
			}
			if exp == nil {
				t.Errorf("%s Expires missing", what)
			} else if tm, err := http.ParseTime(*exp); err != nil || !tm.Equal(expires) {
				t.Errorf("%s Expires = %q, want %s", what, *exp, expires.Format(http.TimeFormat))
			}
		}
		h, st := head(t, c, b, "doc.json")
		if st != http.StatusOK {
			t.Fatalf("HeadObject status %d", st)
		}
		check(t, "HeadObject", h.ContentType, h.CacheControl, h.ContentDisposition, h.ContentEncoding, h.ContentLanguage, h.ExpiresString)
		got, g := get(t, c, b, "doc.json")
		if !bytes.Equal(got, data) {
			t.Errorf("body = %q, want %q", got, data)
		}
		check(t, "GetObject", g.ContentType, g.CacheControl, g.ContentDisposition, g.ContentEncoding, g.ContentLanguage, g.ExpiresString)

		// minio-go sets and reads the same headers.
		mc := srv.Minio()
		_, err := mc.PutObject(ctx(), b, "m.txt", bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{
			ContentType: "text/plain", CacheControl: "no-cache", ContentDisposition: "inline",
			ContentEncoding: "identity", ContentLanguage: "fr", Expires: expires,
		})
		if err != nil {
			t.Fatalf("minio PutObject: %v", err)
		}
		info, err := mc.StatObject(ctx(), b, "m.txt", minio.StatObjectOptions{})
		if err != nil {
			t.Fatalf("minio StatObject: %v", err)
		}
		for name, want := range map[string]string{
			"Content-Type": "text/plain", "Cache-Control": "no-cache", "Content-Disposition": "inline",
			"Content-Encoding": "identity", "Content-Language": "fr",
		} {
			if got := info.Metadata.Get(name); got != want {
				t.Errorf("minio StatObject %s = %q, want %q", name, got, want)
			}
		}
		if !info.Expires.Equal(expires) {
			t.Errorf("minio StatObject Expires = %v, want %v", info.Expires, expires)
		}
	})
}

func TestPutObjectUserMetadata(t *testing.T) {
	t.Parallel()
	bothTransports(t, func(t *testing.T, srv *tesseratest.Server) {
		c := sdkClient(srv)
		b := newBucket(t, c)
		meta := map[string]string{"color": "blue", "Mixed-Case-Key": "Some Value", "empty-ish": "-", "n": "42"}
		put(t, c, b, "m", []byte("x"), func(in *s3.PutObjectInput) { in.Metadata = meta })
		want := map[string]string{}
		for k, v := range meta {
			want[strings.ToLower(k)] = v
		}
		h, st := head(t, c, b, "m")
		if st != http.StatusOK {
			t.Fatalf("HeadObject status %d", st)
		}
		if !maps.Equal(h.Metadata, want) {
			t.Errorf("HeadObject Metadata = %v, want %v", h.Metadata, want)
		}
		_, g := get(t, c, b, "m")
		if !maps.Equal(g.Metadata, want) {
			t.Errorf("GetObject Metadata = %v, want %v", g.Metadata, want)
		}

		// 1 KiB of metadata is fine.
		put(t, c, b, "ok-1k", []byte("x"), func(in *s3.PutObjectInput) {
			in.Metadata = map[string]string{"a": strings.Repeat("v", 1000)}
		})

		// More than 2 KB is MetadataTooLarge, and nothing is stored.
		for name, m := range map[string]map[string]string{
			"one big value": {"big": strings.Repeat("x", 2100)},
			"many values":   {"k1": strings.Repeat("a", 700), "k2": strings.Repeat("b", 700), "k3": strings.Repeat("c", 700)},
		} {
			t.Run(name, func(t *testing.T) {
				_, err := c.PutObject(ctx(), &s3.PutObjectInput{
					Bucket: aws.String(b), Key: aws.String("too-big"), Body: strings.NewReader("x"), Metadata: m,
				})
				wantErr(t, err, "MetadataTooLarge", http.StatusBadRequest)
				wantAbsent(t, c, b, "too-big")
			})
		}

		// minio-go user metadata round-trip.
		mc := srv.Minio()
		if _, err := mc.PutObject(ctx(), b, "mm", strings.NewReader("y"), 1, minio.PutObjectOptions{
			UserMetadata: map[string]string{"Project": "tessera", "x-amz-meta-owner": "team"},
		}); err != nil {
			t.Fatalf("minio PutObject: %v", err)
		}
		info, err := mc.StatObject(ctx(), b, "mm", minio.StatObjectOptions{})
		if err != nil {
			t.Fatalf("minio StatObject: %v", err)
		}
		if info.UserMetadata["Project"] != "tessera" || info.UserMetadata["Owner"] != "team" {
			t.Errorf("minio UserMetadata = %v, want Project=tessera Owner=team", info.UserMetadata)
		}
	})
}

func TestPutObjectStorageClass(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	b := newBucket(t, c)
	for _, sc := range []types.StorageClass{types.StorageClassStandardIa, types.StorageClassGlacier, types.StorageClassIntelligentTiering, types.StorageClassReducedRedundancy} {
		t.Run(string(sc), func(t *testing.T) {
			key := "sc-" + string(sc)
			put(t, c, b, key, []byte("data"), func(in *s3.PutObjectInput) { in.StorageClass = sc })
			h, st := head(t, c, b, key)
			if st != http.StatusOK {
				t.Fatalf("HeadObject status %d", st)
			}
			if h.StorageClass != sc {
				t.Errorf("HeadObject StorageClass = %q, want %q", h.StorageClass, sc)
			}
			_, g := get(t, c, b, key)
			if g.StorageClass != sc {
				t.Errorf("GetObject StorageClass = %q, want %q", g.StorageClass, sc)
			}
			l, err := c.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String(b), Prefix: aws.String(key)})
			if err != nil {
				t.Fatalf("ListObjectsV2: %v", err)
			}
			if len(l.Contents) != 1 || l.Contents[0].StorageClass != types.ObjectStorageClass(sc) {
				t.Errorf("ListObjectsV2 entry = %+v, want StorageClass %s", l.Contents, sc)
			}
		})
	}
	t.Run("STANDARD", func(t *testing.T) {
		put(t, c, b, "std", []byte("d"), func(in *s3.PutObjectInput) { in.StorageClass = types.StorageClassStandard })
		h, _ := head(t, c, b, "std")
		if h == nil || (h.StorageClass != "" && h.StorageClass != types.StorageClassStandard) {
			t.Errorf("HeadObject StorageClass for STANDARD = %v", h)
		}
		l, err := c.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String(b), Prefix: aws.String("std")})
		if err != nil || len(l.Contents) != 1 || l.Contents[0].StorageClass != types.ObjectStorageClassStandard {
			t.Errorf("ListObjectsV2 StorageClass for STANDARD: %+v, %v", l, err)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		_, err := c.PutObject(ctx(), &s3.PutObjectInput{
			Bucket: aws.String(b), Key: aws.String("bad-sc"), Body: strings.NewReader("x"),
			StorageClass: types.StorageClass("SUPER_FAST"),
		})
		wantErr(t, err, "InvalidStorageClass", http.StatusBadRequest)
		wantAbsent(t, c, b, "bad-sc")
	})
	t.Run("minio", func(t *testing.T) {
		mc := srv.Minio()
		if _, err := mc.PutObject(ctx(), b, "m-ia", strings.NewReader("z"), 1, minio.PutObjectOptions{StorageClass: "ONEZONE_IA"}); err != nil {
			t.Fatalf("minio PutObject: %v", err)
		}
		info, err := mc.StatObject(ctx(), b, "m-ia", minio.StatObjectOptions{})
		if err != nil {
			t.Fatalf("StatObject: %v", err)
		}
		// minio-go's StatObject leaves ObjectInfo.StorageClass empty; the header is in Metadata.
		if got := info.Metadata.Get("X-Amz-Storage-Class"); got != "ONEZONE_IA" {
			t.Errorf("minio x-amz-storage-class = %q, want ONEZONE_IA", got)
		}
	})
}

func TestPutObjectConditional(t *testing.T) {
	t.Parallel()
	bothTransports(t, func(t *testing.T, srv *tesseratest.Server) {
		c := sdkClient(srv)
		b := newBucket(t, c)
		putIf := func(key string, body string, mod func(*s3.PutObjectInput)) (*s3.PutObjectOutput, error) {
			in := &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: strings.NewReader(body)}
			mod(in)
			return c.PutObject(ctx(), in)
		}
		ifNoneMatch := func(in *s3.PutObjectInput) { in.IfNoneMatch = aws.String("*") }

		// If-None-Match: * creates a new key…
		out, err := putIf("inm", "first", ifNoneMatch)
		if err != nil {
			t.Fatalf("If-None-Match:* on a new key: %v", err)
		}
		// …and refuses to overwrite an existing one.
		_, err = putIf("inm", "second", ifNoneMatch)
		wantErr(t, err, "PreconditionFailed", http.StatusPreconditionFailed)
		wantBody(t, c, b, "inm", []byte("first"))

		etag := aws.ToString(out.ETag)
		// If-Match with the current ETag overwrites.
		out2, err := putIf("inm", "third", func(in *s3.PutObjectInput) { in.IfMatch = aws.String(etag) })
		if err != nil {
			t.Fatalf("If-Match current ETag: %v", err)
		}
		wantBody(t, c, b, "inm", []byte("third"))
		// If-Match with a stale ETag fails.
		_, err = putIf("inm", "fourth", func(in *s3.PutObjectInput) { in.IfMatch = aws.String(etag) })
		wantErr(t, err, "PreconditionFailed", http.StatusPreconditionFailed)
		wantBody(t, c, b, "inm", []byte("third"))
		// Unquoted ETag works too.
		if _, err := putIf("inm", "fifth", func(in *s3.PutObjectInput) { in.IfMatch = aws.String(strings.Trim(aws.ToString(out2.ETag), `"`)) }); err != nil {
			t.Errorf("If-Match unquoted ETag: %v", err)
		}
		// If-Match on a key that does not exist is NoSuchKey.
		_, err = putIf("absent", "x", func(in *s3.PutObjectInput) { in.IfMatch = aws.String(etag) })
		wantErr(t, err, "NoSuchKey", http.StatusNotFound)
		wantAbsent(t, c, b, "absent")
	})
}

func TestObjectKeys(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	mc := srv.Minio()
	b := newBucket(t, c)
	keys := []string{
		"..../etc/passwd",
		"..escape",
		"a/.../b",
		"./dot/./slash",
		"dir/",
		"/leading-slash",
		"double//slash",
		"unicode/日本語/ключ/😀.txt",
		"spaces in key.txt",
		"plus+sign&amp=eq",
		"percent%20literal%",
		"question?mark#hash",
		"semi;colon,comma:colon@at$dollar'quote\"dq",
		"tilde~star*paren()brackets[]{}",
		"back\\slash",
		"<xml>&entities;</xml>",
		strings.Repeat("k", 1024),
		strings.Repeat("é", 512), // 1024 bytes of two-byte UTF-8
	}
	for i, key := range keys {
		name := key
		if len(name) > 40 {
			name = fmt.Sprintf("long-%d", i)
		}
		t.Run(name, func(t *testing.T) {
			data := []byte(fmt.Sprintf("object %d: %q", i, key))
			put(t, c, b, key, data)
			wantBody(t, c, b, key, data)
			if _, st := head(t, c, b, key); st != http.StatusOK {
				t.Errorf("HeadObject status %d", st)
			}
			// The key lists back exactly.
			l, err := c.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String(b), Prefix: aws.String(key)})
			if err != nil {
				t.Fatalf("ListObjectsV2: %v", err)
			}
			found := false
			for _, o := range l.Contents {
				found = found || aws.ToString(o.Key) == key
			}
			if !found {
				t.Errorf("ListObjectsV2(prefix=key) does not list %q", key)
			}
			// minio-go reads it too.
			o, err := mc.GetObject(ctx(), b, key, minio.GetObjectOptions{})
			if err != nil {
				t.Fatalf("minio GetObject: %v", err)
			}
			got, err := io.ReadAll(o)
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("minio GetObject = %q, %v; want %q", got, err, data)
			}
		})
	}
	// A ".." segment in the request path is refused with a bare 400: AWS
	// answers so for raw and percent-encoded dot-dot paths
	// (floci-io/floci#1231, #1320 and #1325, checked against S3).
	for _, key := range []string{"../../etc/passwd", "../escape", "a/../b"} {
		_, err := c.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: strings.NewReader("x")})
		if st := httpStatus(err); st != http.StatusBadRequest {
			t.Errorf("PutObject(%q): status %d (%v), want 400", key, st, err)
		}
	}
	// Keys are never paths: nothing named passwd or escape was written
	// outside (or inside) the data directory.
	for _, p := range []string{"../../etc/passwd", "../etc/passwd", "../escape", "../../escape"} {
		if _, err := os.Stat(filepath.Join(srv.DataDir, p)); err == nil {
			t.Errorf("a file exists at %s relative to the data directory", p)
		}
	}
	filepath.WalkDir(srv.DataDir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && (d.Name() == "passwd" || d.Name() == "escape") {
			t.Errorf("key became a file path: %s", path)
		}
		return nil
	})
}

func TestKeyTooLong(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	b := newBucket(t, c)
	for name, key := range map[string]string{
		"1025 ascii":    strings.Repeat("k", 1025),
		"1026 utf8":     strings.Repeat("é", 513),
		"1025 mixed":    "x" + strings.Repeat("é", 512),
		"much too long": strings.Repeat("long/", 400),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: strings.NewReader("x")})
			wantErr(t, err, "KeyTooLongError", http.StatusBadRequest)
		})
	}
	l, err := c.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String(b)})
	if err != nil {
		t.Fatalf("ListObjectsV2: %v", err)
	}
	if len(l.Contents) != 0 {
		t.Errorf("too-long keys were stored: %d objects", len(l.Contents))
	}
}

func TestInvalidKeys(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	b := newBucket(t, c)
	// Keys must be valid UTF-8.
	for _, raw := range []string{"%FF", "bad%C3%28seq", "%ED%A0%80surrogate"} {
		t.Run(raw, func(t *testing.T) {
			r := newRaw(t, srv, http.MethodPut, "/"+b+"/"+raw, []byte("x"))
			signV4(t, r, sha256Hex([]byte("x")))
			resp, body := do(t, srv, r)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("PUT key %s: status %d, want 400 (%s)", raw, resp.StatusCode, body)
			}
		})
	}
	if keys := listKeys(t, c, b); len(keys) != 0 {
		t.Errorf("invalid keys were stored: %q", keys)
	}
}

func TestEmptyObject(t *testing.T) {
	t.Parallel()
	bothTransports(t, func(t *testing.T, srv *tesseratest.Server) {
		c := sdkClient(srv)
		b := newBucket(t, c)
		out := put(t, c, b, "empty", nil, func(in *s3.PutObjectInput) { in.Body = bytes.NewReader(nil) })
		if got := aws.ToString(out.ETag); got != `"`+emptyMD5+`"` {
			t.Errorf("ETag of empty object = %s, want %q", got, emptyMD5)
		}
		got, g := get(t, c, b, "empty")
		if len(got) != 0 || aws.ToInt64(g.ContentLength) != 0 {
			t.Errorf("GetObject(empty) = %d bytes, Content-Length %d", len(got), aws.ToInt64(g.ContentLength))
		}
		h, _ := head(t, c, b, "empty")
		if h == nil || aws.ToInt64(h.ContentLength) != 0 {
			t.Errorf("HeadObject(empty) = %+v", h)
		}
		// With no body at all (nil Body).
		if _, err := c.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("nil-body")}); err != nil {
			t.Fatalf("PutObject with nil body: %v", err)
		}
		wantBody(t, c, b, "nil-body", nil)
		// minio-go.
		if _, err := srv.Minio().PutObject(ctx(), b, "m-empty", bytes.NewReader(nil), 0, minio.PutObjectOptions{}); err != nil {
			t.Fatalf("minio PutObject(empty): %v", err)
		}
		wantBody(t, c, b, "m-empty", nil)
	})
}

// TestPutObjectTooLarge announces a body over the 5 GiB single-PUT limit;
// the server must refuse it from the headers, without reading 5 GiB.
func TestPutObjectTooLarge(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	b := newBucket(t, c)
	r := newRaw(t, srv, http.MethodPut, objectPath(b, "huge"), nil)
	r.ContentLength = 5<<30 + 1
	signV4(t, r, "UNSIGNED-PAYLOAD")

	conn, err := net.Dial("tcp", srv.DirectHost())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	var hdr bytes.Buffer
	fmt.Fprintf(&hdr, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", r.URL.RequestURI(), r.URL.Host, r.ContentLength)
	for k, vs := range r.Header {
		for _, v := range vs {
			fmt.Fprintf(&hdr, "%s: %s\r\n", k, v)
		}
	}
	hdr.WriteString("\r\n")
	if _, err := conn.Write(hdr.Bytes()); err != nil {
		t.Fatal(err)
	}
	// Keep sending body bytes (as a real client would) until the server
	// answers or closes; it must not wait for 5 GiB.
	go func() {
		buf := make([]byte, 64<<10)
		for range 64 {
			if _, err := conn.Write(buf); err != nil {
				return
			}
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), r)
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	wantRawErr(t, resp, body, "EntityTooLarge", http.StatusBadRequest)
	wantAbsent(t, c, b, "huge")
}

// TestPutObjectTooLargeChunked: an aws-chunked body announcing a decoded
// length over 5 GiB is refused before it is read.
func TestPutObjectTooLargeChunked(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	b := newBucket(t, c)
	body := unsignedChunked([]byte("tiny"), 16<<10, "", "")
	r := newRaw(t, srv, http.MethodPut, objectPath(b, "huge-chunked"), body)
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(int64(5<<30+1)))
	r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
	signV4(t, r, "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
	resp, rb := do(t, srv, r)
	wantRawErr(t, resp, rb, "EntityTooLarge", http.StatusBadRequest)
	wantAbsent(t, c, b, "huge-chunked")
}

func TestPutObjectMissingContentLength(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	b := newBucket(t, c)
	// A hex payload hash with neither Content-Length nor Transfer-Encoding:
	// HTTP/1.1 then means an empty body, which must not be confused with
	// the signed payload.
	data := []byte("hello")
	conn, err := net.Dial("tcp", srv.DirectHost())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	r := newRaw(t, srv, http.MethodPut, objectPath(b, "nolen"), nil)
	r.ContentLength = -1
	signV4(t, r, sha256Hex(data))
	var hdr bytes.Buffer
	fmt.Fprintf(&hdr, "PUT %s HTTP/1.1\r\nHost: %s\r\n", r.URL.RequestURI(), r.URL.Host)
	for k, vs := range r.Header {
		for _, v := range vs {
			fmt.Fprintf(&hdr, "%s: %s\r\n", k, v)
		}
	}
	hdr.WriteString("\r\n")
	conn.Write(hdr.Bytes())
	resp, err := http.ReadResponse(bufio.NewReader(conn), r)
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 4 {
		t.Errorf("PUT without length and with a non-empty payload hash: status %d, want a 4xx (body %s)", resp.StatusCode, body)
	}
	wantAbsent(t, c, b, "nolen")
}
