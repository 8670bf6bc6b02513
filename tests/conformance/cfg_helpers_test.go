package conformance

// Helpers of the bucket configuration tests (issue 12: configuration
// reads, bucket tags, Object Ownership and ACLs, the public access block).

import (
	"errors"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// cfgEnv is a server with the root client, another account and an
// anonymous client.
type cfgEnv struct {
	srv  *tesseratest.Server
	root *s3.Client
	bob  *tesseratest.Account
	anon *s3.Client
}

func cfgNew(t *testing.T) *cfgEnv {
	t.Helper()
	srv := tesseratest.New(t)
	return &cfgEnv{srv: srv, root: srv.S3(), bob: srv.NewAccount("bob"),
		anon: sdkClient(srv, func(o *s3.Options) { o.Credentials = aws.AnonymousCredentials{} })}
}

// cfgBucket creates a fresh bucket with the root client; mods adjust the
// request (ownership, ACL, tags).
func cfgBucket(t *testing.T, c *s3.Client, mods ...func(*s3.CreateBucketInput)) string {
	t.Helper()
	in := &s3.CreateBucketInput{Bucket: aws.String(bucketName(t))}
	for _, m := range mods {
		m(in)
	}
	if _, err := c.CreateBucket(ctx(), in); err != nil {
		t.Fatalf("CreateBucket(%s): %v", aws.ToString(in.Bucket), err)
	}
	return aws.ToString(in.Bucket)
}

// cfgOpenBucket creates a bucket with ACLs enabled (ObjectWriter) and no
// public access block, the state a test of public ACLs or policies starts
// from: S3 gives new buckets BucketOwnerEnforced and all four block
// settings (LocalStack test_crud_bucket_ownership_controls and
// test_crud_public_access_block, recorded against AWS).
func cfgOpenBucket(t *testing.T, c *s3.Client) string {
	t.Helper()
	b := cfgBucket(t, c, func(in *s3.CreateBucketInput) { in.ObjectOwnership = types.ObjectOwnershipObjectWriter })
	if _, err := c.DeletePublicAccessBlock(ctx(), &s3.DeletePublicAccessBlockInput{Bucket: aws.String(b)}); err != nil {
		t.Fatalf("DeletePublicAccessBlock(%s): %v", b, err)
	}
	return b
}

// cfgAPIErr returns an SDK error's S3 code and message ("" when none).
func cfgAPIErr(err error) (code, message string) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode(), ae.ErrorMessage()
	}
	return "", ""
}

// cfgWant checks an SDK call's outcome: success when code is "", else the
// code, the HTTP status and (when not "") the message.
func cfgWant(t *testing.T, what string, err error, code string, status int, message string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Errorf("%s: %v, want success", what, err)
		}
		return
	}
	if err == nil {
		t.Errorf("%s: success, want %s", what, code)
		return
	}
	gotCode, gotMsg := cfgAPIErr(err)
	if gotCode != code || httpStatus(err) != status || (message != "" && gotMsg != message) {
		t.Errorf("%s: %s (HTTP %d) %q, want %s (HTTP %d) %q", what, gotCode, httpStatus(err), gotMsg, code, status, message)
	}
}

// cfgRaw sends a root-signed raw request and returns status and body.
func cfgRaw(t *testing.T, e *cfgEnv, method, pathQuery string, body []byte, hdr http.Header) (*http.Response, []byte) {
	t.Helper()
	return e.srv.Do(t, method, pathQuery, body, hdr, "")
}
