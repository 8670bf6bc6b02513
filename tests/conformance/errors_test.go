package conformance

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// TestErrorEnvelope checks S3's XML error body — Code, Message, Resource,
// RequestId (and HostId) — with the right status and Content-Type, for a
// spread of errors raised at different layers (routing, auth, engine).
func TestErrorEnvelope(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	b := newBucket(t, c)
	put(t, c, b, "exists", []byte("x"))

	cases := []struct {
		name     string
		method   string
		path     string
		sign     bool
		header   map[string]string
		code     string
		status   int
		resource string
	}{
		{"NoSuchKey", http.MethodGet, objectPath(b, "missing/key.txt"), true, nil, "NoSuchKey", 404, "/" + b + "/missing/key.txt"},
		{"NoSuchBucket", http.MethodGet, "/no-such-bucket-7?list-type=2", true, nil, "NoSuchBucket", 404, "/no-such-bucket-7"},
		{"NoSuchBucket on object", http.MethodGet, "/no-such-bucket-7/k", true, nil, "NoSuchBucket", 404, "/no-such-bucket-7/k"},
		{"AccessDenied", http.MethodGet, objectPath(b, "exists"), false, nil, "AccessDenied", 403, "/" + b + "/exists"},
		{"InvalidRange", http.MethodGet, objectPath(b, "exists"), true, map[string]string{"Range": "bytes=5-"}, "InvalidRange", 416, "/" + b + "/exists"},
		{"PreconditionFailed", http.MethodGet, objectPath(b, "exists"), true, map[string]string{"If-Match": `"nope"`}, "PreconditionFailed", 412, "/" + b + "/exists"},
		{"BucketNotEmpty", http.MethodDelete, "/" + b, true, nil, "BucketNotEmpty", 409, "/" + b},
		{"InvalidBucketName", http.MethodPut, "/Bad_Bucket", true, nil, "InvalidBucketName", 400, "/Bad_Bucket"},
		{"MethodNotAllowed", http.MethodPost, objectPath(b, "exists"), true, nil, "MethodNotAllowed", 405, "/" + b + "/exists"},
		// GetBucketWebsite now answers NoSuchWebsiteConfiguration (issue 12);
		// setting a website is what Tessera does not implement.
		{"NotImplemented", http.MethodPut, "/" + b + "?website", true, nil, "NotImplemented", 501, "/" + b},
		{"InvalidArgument", http.MethodGet, "/" + b + "?list-type=2&max-keys=-5", true, nil, "InvalidArgument", 400, "/" + b},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRaw(t, srv, tc.method, tc.path, nil)
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			if tc.sign {
				signV4(t, r, emptySHA256)
			}
			resp, body := do(t, srv, r)
			e := wantRawErr(t, resp, body, tc.code, tc.status)
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/xml") {
				t.Errorf("Content-Type = %q, want application/xml", ct)
			}
			if !bytes.HasPrefix(body, []byte("<?xml")) {
				t.Errorf("body does not start with an XML declaration: %.80s", body)
			}
			if e.Message == "" {
				t.Errorf("empty <Message>")
			}
			if e.Resource != tc.resource {
				t.Errorf("<Resource> = %q, want %q", e.Resource, tc.resource)
			}
			reqID := resp.Header.Get("x-amz-request-id")
			if reqID == "" || e.RequestID != reqID {
				t.Errorf("<RequestId> = %q, x-amz-request-id = %q: want equal and non-empty", e.RequestID, reqID)
			}
			if hostID := resp.Header.Get("x-amz-id-2"); hostID == "" || (e.HostID != "" && e.HostID != hostID) {
				t.Errorf("<HostId> = %q, x-amz-id-2 = %q", e.HostID, hostID)
			}
		})
	}

	t.Run("SDK sees code, message and request IDs", func(t *testing.T) {
		_, err := c.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("missing")})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "NoSuchKey" || ae.ErrorMessage() == "" {
			t.Fatalf("err = %v, want NoSuchKey with a message", err)
		}
		var re *awshttp.ResponseError
		if !errors.As(err, &re) || re.ServiceRequestID() == "" {
			t.Errorf("no request ID in %v", err)
		}
		var hid interface{ ServiceHostID() string }
		if !errors.As(err, &hid) || hid.ServiceHostID() == "" {
			t.Errorf("no host ID (x-amz-id-2) in %v", err)
		}
	})
}

// TestRequestIDHeaders: every response — success, error, HEAD, 304, 204,
// 206, anonymous — carries x-amz-request-id and x-amz-id-2, and request IDs
// are unique.
func TestRequestIDHeaders(t *testing.T) {
	t.Parallel()
	bothTransports(t, func(t *testing.T, srv *tesseratest.Server) {
		c, rec := recordingS3(srv)
		b := newBucket(t, c)
		out := put(t, c, b, "k", []byte("hello world"))
		get(t, c, b, "k")
		head(t, c, b, "k")
		head(t, c, b, "missing")
		c.HeadBucket(ctx(), &s3.HeadBucketInput{Bucket: aws.String("missing-bucket-8")})
		c.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k"), IfNoneMatch: out.ETag})
		c.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Range: aws.String("bytes=0-1")})
		c.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Range: aws.String("bytes=100-")})
		c.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String(b)})
		c.ListBuckets(ctx(), &s3.ListBucketsInput{})
		// Re-creating your own bucket is 200 in us-east-1 (S3's legacy
		// rule, aws-sdk-go-v2 types.BucketAlreadyOwnedByYou doc); the 409
		// comes from deleting the bucket while it holds "k".
		c.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: aws.String(b)})
		c.DeleteBucket(ctx(), &s3.DeleteBucketInput{Bucket: aws.String(b)})
		c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
		anon, arec := recordingS3(srv, func(o *s3.Options) { o.Credentials = aws.AnonymousCredentials{} })
		anon.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
		anon.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("k")})

		all := append(rec.all(), arec.all()...)
		statuses := map[int]bool{}
		ids := map[string]bool{}
		for _, ex := range all {
			statuses[ex.Status] = true
			id := ex.RespHeader.Get("x-amz-request-id")
			if id == "" || ex.RespHeader.Get("x-amz-id-2") == "" {
				t.Errorf("%s %s → %d: x-amz-request-id %q x-amz-id-2 %q", ex.Method, ex.Path, ex.Status, id, ex.RespHeader.Get("x-amz-id-2"))
			}
			if ids[id] {
				t.Errorf("request ID %q used twice", id)
			}
			ids[id] = true
		}
		for _, st := range []int{200, 204, 206, 304, 403, 404, 409, 416} {
			if !statuses[st] {
				t.Errorf("no response with status %d was checked (statuses %v)", st, statuses)
			}
		}
	})
}
