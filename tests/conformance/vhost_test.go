package conformance

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// dialServer returns a transport that connects to srv whatever host a URL
// names, so bucket.localhost (which need not resolve on Linux) reaches it.
func dialServer(srv *tesseratest.Server) *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, srv.Host())
		},
	}
}

func serverPort(srv *tesseratest.Server) string {
	_, port, _ := net.SplitHostPort(srv.Host())
	return port
}

func TestVirtualHostStyle(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t, tesseratest.WithDomains("localhost", "s3.tessera.test"))
	port := serverPort(srv)

	for _, domain := range []string{"localhost", "s3.tessera.test"} {
		t.Run(domain, func(t *testing.T) {
			rec := newRecorder(dialServer(srv))
			c := sdkClient(srv, func(o *s3.Options) {
				o.BaseEndpoint = aws.String("http://" + domain + ":" + port)
				o.UsePathStyle = false
				o.HTTPClient = &http.Client{Transport: rec}
			})
			b := "vhost-" + strings.ReplaceAll(domain, ".", "-")
			if _, err := c.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
				t.Fatalf("CreateBucket (virtual host): %v", err)
			}
			ex := rec.last(http.MethodPut)
			if want := b + "." + domain + ":" + port; ex.Host != want || ex.Path != "/" {
				t.Fatalf("SDK sent Host %q path %q, want Host %q path /: the test does not test virtual-host style", ex.Host, ex.Path, want)
			}
			if _, err := c.HeadBucket(ctx(), &s3.HeadBucketInput{Bucket: aws.String(b)}); err != nil {
				t.Errorf("HeadBucket: %v", err)
			}

			keys := []string{"plain", "dir/sub/obj.txt", "spaces and ünïcode/ключ", "/leading"}
			data := randBytes(100_000, 20)
			for _, k := range keys {
				put(t, c, b, k, data)
				ex := rec.last(http.MethodPut)
				if !strings.HasPrefix(ex.Host, b+".") || strings.HasPrefix(ex.Path, "/"+b+"/") {
					t.Errorf("PutObject(%q) went to Host %q path %q", k, ex.Host, ex.Path)
				}
				wantBody(t, c, b, k, data)
			}
			out, err := c.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String(b)})
			if err != nil {
				t.Fatalf("ListObjectsV2: %v", err)
			}
			var got []string
			for _, o := range out.Contents {
				got = append(got, aws.ToString(o.Key))
			}
			want := slices.Clone(keys)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("ListObjectsV2 = %q, want %q", got, want)
			}
			loc, err := c.GetBucketLocation(ctx(), &s3.GetBucketLocationInput{Bucket: aws.String(b)})
			if err != nil || loc.LocationConstraint != "" {
				t.Errorf("GetBucketLocation: %v %q", err, loc.LocationConstraint)
			}
			// Copy within the bucket, addressed virtual-host style.
			if _, err := c.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("copied"), CopySource: aws.String(copySource(b, "dir/sub/obj.txt"))}); err != nil {
				t.Errorf("CopyObject: %v", err)
			}
			wantBody(t, c, b, "copied", data)

			// The same bucket through a path-style client.
			pc := sdkClient(srv)
			wantBody(t, pc, b, "dir/sub/obj.txt", data)

			// Presigned URLs addressed to the virtual host.
			ps := s3.NewPresignClient(c)
			preq, err := ps.PresignGetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("spaces and ünïcode/ключ")})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(preq.URL, "//"+b+"."+domain) {
				t.Fatalf("presigned URL %s is not virtual-host style", preq.URL)
			}
			hc := &http.Client{Transport: dialServer(srv)}
			resp, err := hc.Get(preq.URL)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !bytes.Equal(body, data) {
				t.Errorf("presigned vhost GET: %d, %d bytes", resp.StatusCode, len(body))
			}

			// Legacy SigV2 presigned URL: the signed resource is /bucket/key
			// although the path is /key.
			exp := strconv.FormatInt(time.Now().Add(5*time.Minute).Unix(), 10)
			sts := "GET\n\n\n" + exp + "\n/" + b + "/plain"
			sig := v2Signature(secretKey, sts)
			u := "http://" + b + "." + domain + ":" + port + "/plain?AWSAccessKeyId=" + accessKey + "&Expires=" + exp + "&Signature=" + urlQueryEscape(sig)
			resp, err = hc.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !bytes.Equal(body, data) {
				t.Errorf("SigV2 presigned vhost GET: %d %.200s", resp.StatusCode, body)
			}

			// Errors name the bucket from the host.
			_, err = c.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("missing")})
			wantErr(t, err, "NoSuchKey", http.StatusNotFound)
			_, err = c.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String("absent-bucket"), Key: aws.String("k")})
			wantErr(t, err, "NoSuchBucket", http.StatusNotFound)

			// Delete everything and the bucket, virtual-host style.
			for _, k := range append(keys, "copied") {
				if _, err := c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String(k)}); err != nil {
					t.Errorf("DeleteObject(%q): %v", k, err)
				}
			}
			if _, err := c.DeleteBucket(ctx(), &s3.DeleteBucketInput{Bucket: aws.String(b)}); err != nil {
				t.Errorf("DeleteBucket: %v", err)
			}
		})
	}

	t.Run("ListBuckets on the bare domain", func(t *testing.T) {
		c := sdkClient(srv, func(o *s3.Options) {
			o.BaseEndpoint = aws.String("http://localhost:" + port)
			o.UsePathStyle = false
			o.HTTPClient = &http.Client{Transport: dialServer(srv)}
		})
		if _, err := c.ListBuckets(ctx(), &s3.ListBucketsInput{}); err != nil {
			t.Errorf("ListBuckets at http://localhost: %v", err)
		}
	})

	t.Run("path style on the domain still works", func(t *testing.T) {
		c := sdkClient(srv, func(o *s3.Options) {
			o.BaseEndpoint = aws.String("http://localhost:" + port)
			o.UsePathStyle = true
			o.HTTPClient = &http.Client{Transport: dialServer(srv)}
		})
		b := newBucket(t, c)
		put(t, c, b, "k", []byte("path style"))
		wantBody(t, c, b, "k", []byte("path style"))
	})

	t.Run("minio-go DNS lookup", func(t *testing.T) {
		rec := newRecorder(dialServer(srv))
		mc, err := minio.New("localhost:"+port, &minio.Options{
			Creds: miniocreds.NewStaticV4(accessKey, secretKey, ""), Region: region,
			BucketLookup: minio.BucketLookupDNS, Transport: rec,
		})
		if err != nil {
			t.Fatal(err)
		}
		b := "minio-vhost"
		if err := mc.MakeBucket(ctx(), b, minioMakeBucketOptions()); err != nil {
			t.Fatalf("minio MakeBucket: %v", err)
		}
		data := randBytes(70_000, 21)
		if _, err := mc.PutObject(ctx(), b, "a/b c", bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
			t.Fatalf("minio PutObject: %v", err)
		}
		if ex := rec.last(http.MethodPut); ex.Host != b+".localhost:"+port {
			t.Fatalf("minio-go sent Host %q: not virtual-host style", ex.Host)
		}
		o, err := mc.GetObject(ctx(), b, "a/b c", minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(o)
		o.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("minio vhost GetObject: %d bytes, %v", len(got), err)
		}
		var keys []string
		for obj := range mc.ListObjects(ctx(), b, minio.ListObjectsOptions{Recursive: true}) {
			if obj.Err != nil {
				t.Fatal(obj.Err)
			}
			keys = append(keys, obj.Key)
		}
		if !slices.Equal(keys, []string{"a/b c"}) {
			t.Errorf("minio vhost list = %q", keys)
		}
	})

	t.Run("unknown host is path style", func(t *testing.T) {
		// A Host outside the configured domains is never read as a bucket.
		c := sdkClient(srv)
		b := newBucket(t, c)
		put(t, c, b, "k", []byte("x"))
		r := newRaw(t, srv, http.MethodGet, "/"+b+"/k", nil)
		r.Host = b + ".elsewhere.test:" + port
		signV4(t, r, emptySHA256)
		hc := &http.Client{Transport: dialServer(srv)}
		resp, err := hc.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "x" {
			t.Errorf("path-style GET with foreign Host: %d %q", resp.StatusCode, body)
		}
	})
}
