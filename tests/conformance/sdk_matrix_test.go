package conformance

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// objClient is the object round trip, spoken by each client library.
type objClient interface {
	makeBucket(t *testing.T, b string)
	put(t *testing.T, b, k string, data []byte, contentType string, meta map[string]string) (etag string)
	get(t *testing.T, b, k string) []byte
	getRange(t *testing.T, b, k string, first, last int64) []byte
	stat(t *testing.T, b, k string) (size int64, etag, contentType string, meta map[string]string)
	list(t *testing.T, b, prefix string) []string
	remove(t *testing.T, b, k string)
	removeBucket(t *testing.T, b string)
	missing(t *testing.T, b, k string) // asserts the key is gone
}

type sdkObj struct{ c *s3.Client }

func (s sdkObj) makeBucket(t *testing.T, b string) {
	t.Helper()
	if _, err := s.c.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
}

func (s sdkObj) put(t *testing.T, b, k string, data []byte, ct string, meta map[string]string) string {
	t.Helper()
	out := put(t, s.c, b, k, data, func(in *s3.PutObjectInput) {
		in.ContentType = aws.String(ct)
		in.Metadata = meta
	})
	return aws.ToString(out.ETag)
}

func (s sdkObj) get(t *testing.T, b, k string) []byte {
	t.Helper()
	d, _ := get(t, s.c, b, k)
	return d
}

func (s sdkObj) getRange(t *testing.T, b, k string, first, last int64) []byte {
	t.Helper()
	out, err := s.c.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(k), Range: aws.String(fmt.Sprintf("bytes=%d-%d", first, last))})
	if err != nil {
		t.Fatalf("ranged GetObject: %v", err)
	}
	defer out.Body.Close()
	d, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (s sdkObj) stat(t *testing.T, b, k string) (int64, string, string, map[string]string) {
	t.Helper()
	h, err := s.c.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(k)})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	return aws.ToInt64(h.ContentLength), aws.ToString(h.ETag), aws.ToString(h.ContentType), h.Metadata
}

func (s sdkObj) list(t *testing.T, b, prefix string) []string {
	t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(s.c, &s3.ListObjectsV2Input{Bucket: aws.String(b), Prefix: aws.String(prefix), MaxKeys: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx())
		if err != nil {
			t.Fatalf("ListObjectsV2: %v", err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

func (s sdkObj) remove(t *testing.T, b, k string) {
	t.Helper()
	if _, err := s.c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String(k)}); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
}

func (s sdkObj) removeBucket(t *testing.T, b string) {
	t.Helper()
	if _, err := s.c.DeleteBucket(ctx(), &s3.DeleteBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Fatalf("DeleteBucket: %v", err)
	}
}

func (s sdkObj) missing(t *testing.T, b, k string) {
	t.Helper()
	_, err := s.c.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(k)})
	wantErr(t, err, "NoSuchKey", 404)
}

type minioObj struct{ c *minio.Client }

func (m minioObj) makeBucket(t *testing.T, b string) {
	t.Helper()
	if err := m.c.MakeBucket(ctx(), b, minioMakeBucketOptions()); err != nil {
		t.Fatalf("MakeBucket: %v", err)
	}
}

func (m minioObj) put(t *testing.T, b, k string, data []byte, ct string, meta map[string]string) string {
	t.Helper()
	info, err := m.c.PutObject(ctx(), b, k, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{ContentType: ct, UserMetadata: meta})
	if err != nil {
		t.Fatalf("minio PutObject: %v", err)
	}
	return `"` + info.ETag + `"`
}

func (m minioObj) get(t *testing.T, b, k string) []byte {
	t.Helper()
	o, err := m.c.GetObject(ctx(), b, k, minio.GetObjectOptions{})
	if err != nil {
		t.Fatalf("minio GetObject: %v", err)
	}
	defer o.Close()
	d, err := io.ReadAll(o)
	if err != nil {
		t.Fatalf("minio GetObject read: %v", err)
	}
	return d
}

func (m minioObj) getRange(t *testing.T, b, k string, first, last int64) []byte {
	t.Helper()
	opts := minio.GetObjectOptions{}
	if err := opts.SetRange(first, last); err != nil {
		t.Fatal(err)
	}
	o, err := m.c.GetObject(ctx(), b, k, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	d, err := io.ReadAll(o)
	if err != nil {
		t.Fatalf("minio ranged read: %v", err)
	}
	return d
}

func (m minioObj) stat(t *testing.T, b, k string) (int64, string, string, map[string]string) {
	t.Helper()
	info, err := m.c.StatObject(ctx(), b, k, minio.StatObjectOptions{})
	if err != nil {
		t.Fatalf("minio StatObject: %v", err)
	}
	meta := map[string]string{}
	for name, v := range info.UserMetadata {
		meta[strings.ToLower(name)] = v
	}
	return info.Size, `"` + info.ETag + `"`, info.ContentType, meta
}

func (m minioObj) list(t *testing.T, b, prefix string) []string {
	t.Helper()
	var keys []string
	for o := range m.c.ListObjects(ctx(), b, minio.ListObjectsOptions{Prefix: prefix, Recursive: true, MaxKeys: 2}) {
		if o.Err != nil {
			t.Fatalf("minio ListObjects: %v", o.Err)
		}
		keys = append(keys, o.Key)
	}
	return keys
}

func (m minioObj) remove(t *testing.T, b, k string) {
	t.Helper()
	if err := m.c.RemoveObject(ctx(), b, k, minio.RemoveObjectOptions{}); err != nil {
		t.Fatalf("minio RemoveObject: %v", err)
	}
}

func (m minioObj) removeBucket(t *testing.T, b string) {
	t.Helper()
	if err := m.c.RemoveBucket(ctx(), b); err != nil {
		t.Fatalf("minio RemoveBucket: %v", err)
	}
}

func (m minioObj) missing(t *testing.T, b, k string) {
	t.Helper()
	_, err := m.c.StatObject(ctx(), b, k, minio.StatObjectOptions{})
	wantMinioErr(t, err, "NoSuchKey", 404)
}

// TestSDKMatrix runs the main object round trip over HTTP and HTTPS with
// aws-sdk-go-v2 and minio-go, and reads each client's writes with the other.
func TestSDKMatrix(t *testing.T) {
	t.Parallel()
	for _, tls := range []bool{false, true} {
		scheme := "http"
		var opts []tesseratest.Option
		if tls {
			scheme = "https"
			opts = append(opts, tesseratest.WithTLS())
		}
		t.Run(scheme, func(t *testing.T) {
			t.Parallel()
			srv := tesseratest.New(t, opts...)
			clients := map[string]objClient{"sdk": sdkObj{sdkClient(srv)}, "minio": minioObj{srv.Minio()}}
			for _, name := range []string{"sdk", "minio"} {
				t.Run(name, func(t *testing.T) {
					cl := clients[name]
					other := clients["minio"]
					if name == "minio" {
						other = clients["sdk"]
					}
					b := bucketName(t)
					cl.makeBucket(t, b)
					sizes := []int{0, 1, 8 << 10, 100_000, 5<<20 + 3}
					for _, size := range sizes {
						data := randBytes(size, uint64(size)+7)
						key := fmt.Sprintf("dir/obj-%d ü", size)
						meta := map[string]string{"size": fmt.Sprint(size)}
						etag := cl.put(t, b, key, data, "application/x-matrix", meta)
						if want := `"` + md5Hex(data) + `"`; etag != want {
							t.Errorf("%s put %d: ETag %s, want %s", name, size, etag, want)
						}
						for reader, rc := range map[string]objClient{name: cl, "other": other} {
							if got := rc.get(t, b, key); !bytes.Equal(got, data) {
								t.Errorf("%s wrote %d bytes, %s read %d bytes (md5 %s, want %s)", name, size, reader, len(got), md5Hex(got), md5Hex(data))
							}
							sz, et, ct, m := rc.stat(t, b, key)
							if sz != int64(size) || et != `"`+md5Hex(data)+`"` || ct != "application/x-matrix" || !maps.Equal(m, meta) {
								t.Errorf("%s stat by %s: size %d etag %s type %q meta %v", name, reader, sz, et, ct, m)
							}
							if size > 10 {
								first, last := int64(size/3), int64(size/3+size/4)
								if got := rc.getRange(t, b, key, first, last); !bytes.Equal(got, data[first:last+1]) {
									t.Errorf("%s range read by %s: %d bytes", name, reader, len(got))
								}
							}
						}
					}
					var want []string
					for _, size := range sizes {
						want = append(want, fmt.Sprintf("dir/obj-%d ü", size))
					}
					slices.Sort(want)
					for reader, rc := range map[string]objClient{name: cl, "other": other} {
						if got := rc.list(t, b, "dir/"); !slices.Equal(got, want) {
							t.Errorf("%s list by %s = %q, want %q", name, reader, got, want)
						}
					}
					for _, k := range want {
						cl.remove(t, b, k)
						cl.missing(t, b, k)
						other.missing(t, b, k)
					}
					cl.removeBucket(t, b)
					_, err := sdkClient(srv).HeadBucket(ctx(), &s3.HeadBucketInput{Bucket: aws.String(b)})
					wantErr(t, err, "", 404)
				})
			}
		})
	}
}
