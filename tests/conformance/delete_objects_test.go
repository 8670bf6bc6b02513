package conformance

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

func objectIDs(keys ...string) []types.ObjectIdentifier {
	ids := make([]types.ObjectIdentifier, len(keys))
	for i, k := range keys {
		ids[i] = types.ObjectIdentifier{Key: aws.String(k)}
	}
	return ids
}

func listKeys(t testing.TB, c *s3.Client, bucket string) []string {
	t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
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

func TestDeleteObjects(t *testing.T) {
	t.Parallel()
	bothTransports(t, func(t *testing.T, srv *tesseratest.Server) {
		c := sdkClient(srv)

		t.Run("verbose", func(t *testing.T) {
			b := newBucket(t, c)
			for _, k := range []string{"a", "b", "c", "keep"} {
				put(t, c, b, k, []byte(k))
			}
			out, err := c.DeleteObjects(ctx(), &s3.DeleteObjectsInput{
				Bucket: aws.String(b),
				Delete: &types.Delete{Objects: objectIDs("a", "b", "c", "never-existed")},
			})
			if err != nil {
				t.Fatalf("DeleteObjects: %v", err)
			}
			var deleted []string
			for _, d := range out.Deleted {
				deleted = append(deleted, aws.ToString(d.Key))
			}
			slices.Sort(deleted)
			// A missing key counts as deleted.
			if want := []string{"a", "b", "c", "never-existed"}; !slices.Equal(deleted, want) {
				t.Errorf("Deleted = %q, want %q", deleted, want)
			}
			if len(out.Errors) != 0 {
				t.Errorf("Errors = %+v, want none", out.Errors)
			}
			if got := listKeys(t, c, b); !slices.Equal(got, []string{"keep"}) {
				t.Errorf("remaining keys = %q, want [keep]", got)
			}
		})

		t.Run("quiet", func(t *testing.T) {
			b := newBucket(t, c)
			for _, k := range []string{"x/1", "x/2", "y"} {
				put(t, c, b, k, []byte(k))
			}
			out, err := c.DeleteObjects(ctx(), &s3.DeleteObjectsInput{
				Bucket: aws.String(b),
				Delete: &types.Delete{Objects: objectIDs("x/1", "x/2", "missing"), Quiet: aws.Bool(true)},
			})
			if err != nil {
				t.Fatalf("DeleteObjects quiet: %v", err)
			}
			if len(out.Deleted) != 0 || len(out.Errors) != 0 {
				t.Errorf("quiet DeleteObjects: Deleted=%d Errors=%d, want 0 and 0", len(out.Deleted), len(out.Errors))
			}
			if got := listKeys(t, c, b); !slices.Equal(got, []string{"y"}) {
				t.Errorf("remaining keys = %q, want [y]", got)
			}
		})

		t.Run("per-key errors", func(t *testing.T) {
			b := newBucket(t, c)
			put(t, c, b, "ok", []byte("1"))
			long := strings.Repeat("k", 1025)
			for _, quiet := range []bool{false, true} {
				put(t, c, b, "ok", []byte("1"))
				out, err := c.DeleteObjects(ctx(), &s3.DeleteObjectsInput{
					Bucket: aws.String(b),
					Delete: &types.Delete{Objects: objectIDs("ok", long), Quiet: aws.Bool(quiet)},
				})
				if err != nil {
					t.Fatalf("DeleteObjects: %v", err)
				}
				if len(out.Errors) != 1 || aws.ToString(out.Errors[0].Key) != long || aws.ToString(out.Errors[0].Code) != "KeyTooLongError" {
					t.Errorf("quiet=%v: Errors = %+v, want one KeyTooLongError for the long key", quiet, out.Errors)
				}
				if quiet && len(out.Deleted) != 0 {
					t.Errorf("quiet: Deleted = %d entries, want 0", len(out.Deleted))
				}
				if !quiet && (len(out.Deleted) != 1 || aws.ToString(out.Deleted[0].Key) != "ok") {
					t.Errorf("verbose: Deleted = %+v, want [ok]", out.Deleted)
				}
				wantAbsent(t, c, b, "ok")
			}
		})

		t.Run("1000 keys", func(t *testing.T) {
			b := newBucket(t, c)
			var keys []string
			for i := range 1000 {
				keys = append(keys, fmt.Sprintf("k%04d", i))
			}
			for _, k := range keys[:20] {
				put(t, c, b, k, []byte(k))
			}
			out, err := c.DeleteObjects(ctx(), &s3.DeleteObjectsInput{Bucket: aws.String(b), Delete: &types.Delete{Objects: objectIDs(keys...)}})
			if err != nil {
				t.Fatalf("DeleteObjects(1000): %v", err)
			}
			if len(out.Deleted) != 1000 {
				t.Errorf("Deleted %d, want 1000", len(out.Deleted))
			}
			if got := listKeys(t, c, b); len(got) != 0 {
				t.Errorf("left %d keys", len(got))
			}
			// 1001 keys is too many.
			_, err = c.DeleteObjects(ctx(), &s3.DeleteObjectsInput{Bucket: aws.String(b), Delete: &types.Delete{Objects: objectIDs(append(keys, "one-more")...)}})
			wantErr(t, err, "MalformedXML", http.StatusBadRequest)
		})

		t.Run("missing bucket", func(t *testing.T) {
			_, err := c.DeleteObjects(ctx(), &s3.DeleteObjectsInput{Bucket: aws.String("no-such-bucket-3"), Delete: &types.Delete{Objects: objectIDs("a")}})
			wantErr(t, err, "NoSuchBucket", http.StatusNotFound)
		})

		t.Run("special keys", func(t *testing.T) {
			b := newBucket(t, c)
			keys := []string{"a b", "ü/ñ", "<tag>&amp;", "q?x"}
			for _, k := range keys {
				put(t, c, b, k, []byte("x"))
			}
			out, err := c.DeleteObjects(ctx(), &s3.DeleteObjectsInput{Bucket: aws.String(b), Delete: &types.Delete{Objects: objectIDs(keys...)}})
			if err != nil {
				t.Fatalf("DeleteObjects: %v", err)
			}
			if len(out.Deleted) != len(keys) {
				t.Errorf("Deleted %d, want %d", len(out.Deleted), len(keys))
			}
			if got := listKeys(t, c, b); len(got) != 0 {
				t.Errorf("left keys %q", got)
			}
		})

		t.Run("minio RemoveObjects", func(t *testing.T) {
			b := newBucket(t, c)
			mc := srv.Minio()
			ch := make(chan minio.ObjectInfo, 10)
			for i := range 5 {
				k := fmt.Sprintf("m%d", i)
				put(t, c, b, k, []byte(k))
				ch <- minio.ObjectInfo{Key: k}
			}
			ch <- minio.ObjectInfo{Key: "not-there"}
			close(ch)
			for e := range mc.RemoveObjects(ctx(), b, ch, minio.RemoveObjectsOptions{}) {
				t.Errorf("minio RemoveObjects error: %+v", e)
			}
			if got := listKeys(t, c, b); len(got) != 0 {
				t.Errorf("left keys %q", got)
			}
		})
	})
}

func TestDeleteObjectsRaw(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	b := newBucket(t, c)
	put(t, c, b, "r1", []byte("1"))
	send := func(body []byte, contentMD5 string) (*http.Response, []byte) {
		r := newRaw(t, srv, http.MethodPost, "/"+b+"?delete", body)
		if contentMD5 != "" {
			r.Header.Set("Content-MD5", contentMD5)
		}
		signV4(t, r, sha256Hex(body))
		return do(t, srv, r)
	}
	t.Run("verbose xml", func(t *testing.T) {
		body := []byte(`<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>r1</Key></Object><Object><Key>r2</Key></Object></Delete>`)
		resp, rb := send(body, md5B64(body))
		wantStatus(t, resp, rb, http.StatusOK)
		var res struct {
			XMLName xml.Name `xml:"DeleteResult"`
			Deleted []struct {
				Key string `xml:"Key"`
			} `xml:"Deleted"`
		}
		if err := xml.Unmarshal(rb, &res); err != nil {
			t.Fatalf("DeleteResult: %v (%s)", err, rb)
		}
		if len(res.Deleted) != 2 || res.Deleted[0].Key != "r1" || res.Deleted[1].Key != "r2" {
			t.Errorf("Deleted = %+v, want r1, r2 in request order", res.Deleted)
		}
		if !bytes.Contains(rb, []byte("http://s3.amazonaws.com/doc/2006-03-01/")) {
			t.Errorf("DeleteResult lacks the S3 namespace: %s", rb)
		}
	})
	t.Run("malformed", func(t *testing.T) {
		body := []byte(`<Delete><Object><Key>r1</Key>`)
		resp, rb := send(body, md5B64(body))
		wantRawErr(t, resp, rb, "MalformedXML", http.StatusBadRequest)
	})
	t.Run("empty list", func(t *testing.T) {
		body := []byte(`<Delete></Delete>`)
		resp, rb := send(body, md5B64(body))
		wantRawErr(t, resp, rb, "MalformedXML", http.StatusBadRequest)
	})
	t.Run("bad Content-MD5", func(t *testing.T) {
		put(t, c, b, "r3", []byte("3"))
		body := []byte(`<Delete><Object><Key>r3</Key></Object></Delete>`)
		resp, rb := send(body, md5B64([]byte("other")))
		wantRawErr(t, resp, rb, "BadDigest", http.StatusBadRequest)
		wantBody(t, c, b, "r3", []byte("3"))
	})
}
