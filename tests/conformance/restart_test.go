package conformance

import (
	"bytes"
	"io"
	"maps"
	"net/http"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// TestRestart writes buckets and objects, stops the server, starts a new
// one on the same data directory and reads everything back byte-exact.
func TestRestart(t *testing.T) {
	t.Parallel()
	bothTransports(t, func(t *testing.T, srv *tesseratest.Server) {
		c := sdkClient(srv)
		b1 := newBucket(t, c)
		b2 := newBucket(t, c) // stays empty
		b3 := newBucket(t, c) // deleted before the restart

		type object struct {
			key  string
			data []byte
			meta map[string]string
			ct   string
			sc   types.StorageClass
		}
		objects := []object{
			{"big/3MiB.bin", randBytes(3<<20, 30), nil, "", ""},
			{"small.txt", []byte("small object"), map[string]string{"color": "red"}, "text/plain", ""},
			{"empty", []byte{}, nil, "", ""},
			{"ünïcödé/ключ with space", randBytes(10_000, 31), map[string]string{"k": "v"}, "application/x-test", types.StorageClassStandardIa},
			{"..../etc/passwd", []byte("not a path"), nil, "", ""},
		}
		for _, o := range objects {
			put(t, c, b1, o.key, o.data, func(in *s3.PutObjectInput) {
				in.Metadata = o.meta
				if o.ct != "" {
					in.ContentType = aws.String(o.ct)
				}
				in.StorageClass = o.sc
			})
		}
		// Overwritten and deleted objects must stay that way.
		put(t, c, b1, "overwritten", []byte("v1"))
		put(t, c, b1, "overwritten", []byte("v2"))
		put(t, c, b1, "deleted", []byte("gone"))
		if _, err := c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String(b1), Key: aws.String("deleted")}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.DeleteBucket(ctx(), &s3.DeleteBucketInput{Bucket: aws.String(b3)}); err != nil {
			t.Fatal(err)
		}
		// minio-go writes too (streaming signature over HTTP).
		mdata := randBytes(1<<20+5, 32)
		if _, err := srv.Minio().PutObject(ctx(), b1, "minio.bin", bytes.NewReader(mdata), int64(len(mdata)), minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
		before := map[string]string{}
		for _, o := range append(objects, object{key: "overwritten"}, object{key: "minio.bin"}) {
			h, _ := head(t, c, b1, o.key)
			if h == nil {
				t.Fatalf("HeadObject(%q) before restart failed", o.key)
			}
			before[o.key] = aws.ToString(h.ETag) + " " + h.LastModified.String()
		}

		for round := 1; round <= 2; round++ {
			srv.Restart()
			c = sdkClient(srv)

			lb, err := c.ListBuckets(ctx(), &s3.ListBucketsInput{})
			if err != nil {
				t.Fatalf("round %d: ListBuckets: %v", round, err)
			}
			var names []string
			for _, bk := range lb.Buckets {
				names = append(names, aws.ToString(bk.Name))
			}
			want := []string{b1, b2}
			slices.Sort(want)
			if !slices.Equal(names, want) {
				t.Errorf("round %d: buckets = %q, want %q", round, names, want)
			}
			for _, o := range objects {
				got, g := get(t, c, b1, o.key)
				if !bytes.Equal(got, o.data) {
					t.Errorf("round %d: %q: %d bytes (md5 %s), want %d (md5 %s)", round, o.key, len(got), md5Hex(got), len(o.data), md5Hex(o.data))
				}
				if aws.ToString(g.ETag) != `"`+md5Hex(o.data)+`"` {
					t.Errorf("round %d: %q ETag %s", round, o.key, aws.ToString(g.ETag))
				}
				if len(o.meta) > 0 && !maps.Equal(g.Metadata, o.meta) {
					t.Errorf("round %d: %q metadata %v, want %v", round, o.key, g.Metadata, o.meta)
				}
				if o.ct != "" && aws.ToString(g.ContentType) != o.ct {
					t.Errorf("round %d: %q Content-Type %q", round, o.key, aws.ToString(g.ContentType))
				}
				if o.sc != "" && g.StorageClass != o.sc {
					t.Errorf("round %d: %q StorageClass %q", round, o.key, g.StorageClass)
				}
			}
			wantBody(t, c, b1, "overwritten", []byte("v2"))
			wantBody(t, c, b1, "minio.bin", mdata)
			wantAbsent(t, c, b1, "deleted")
			for key, was := range before {
				h, _ := head(t, c, b1, key)
				if h == nil || aws.ToString(h.ETag)+" "+h.LastModified.String() != was {
					t.Errorf("round %d: %q ETag/Last-Modified changed across restart", round, key)
				}
			}
			if _, err := c.HeadBucket(ctx(), &s3.HeadBucketInput{Bucket: aws.String(b3)}); httpStatus(err) != http.StatusNotFound {
				t.Errorf("round %d: deleted bucket is back: %v", round, err)
			}
			keys := listKeys(t, c, b1)
			if len(keys) != len(objects)+2 {
				t.Errorf("round %d: %d keys listed: %q", round, len(keys), keys)
			}
			// Ranged reads of the big object after restart.
			big := objects[0].data
			out, err := c.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(b1), Key: aws.String("big/3MiB.bin"), Range: aws.String("bytes=1048570-2097160")})
			if err != nil {
				t.Fatalf("round %d: ranged GET: %v", round, err)
			}
			rb, _ := io.ReadAll(out.Body)
			out.Body.Close()
			if !bytes.Equal(rb, big[1048570:2097161]) {
				t.Errorf("round %d: ranged read differs", round)
			}
			// The restarted server takes new writes.
			nd := randBytes(500_000, uint64(40+round))
			put(t, c, b2, "after-restart", nd)
			wantBody(t, c, b2, "after-restart", nd)
		}
	})
}
