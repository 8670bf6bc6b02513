package conformance

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// padded is an XML document with root element root whose size passes
// limit by a comment, so that only its size is wrong.
func padded(root string, limit int) []byte {
	open := "<" + root + ` xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><!--`
	tail := "--></" + root + ">"
	return []byte(open + strings.Repeat("x", limit+1-len(open)-len(tail)+1) + tail)
}

// Every request body the server parses is read through a limit before it
// is parsed. How S3 answers a body past its limit is not recorded for
// these calls; the answer kept is the one the configuration documents
// already give for a document too large (MalformedXML, as for the 64 KB
// CORS limit in cors_test.go), the ACL parser's own MalformedACLError, and
// for a policy S3's 20 KB rule text.
func TestRequestBodyLimits(t *testing.T) {
	srv := ovlServer(t)
	c := srv.S3()
	b := newBucket(t, c)
	put(t, c, b, "k", []byte("object"))
	up, err := c.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("mp")})
	if err != nil {
		t.Fatal(err)
	}
	obj := objectPath(b, "k")
	tests := []struct {
		name, method, path string
		body               []byte
		code               string
	}{
		// DeleteObjects: 1000 keys of 1024 bytes are under 2 MiB.
		{"DeleteObjects over 2 MiB", http.MethodPost, "/" + b + "?delete", padded("Delete", 2<<20), "MalformedXML"},
		// CompleteMultipartUpload: 10,000 parts with checksums are ~2 MiB.
		{"CompleteMultipartUpload over 8 MiB", http.MethodPost, objectPath(b, "mp") + "?uploadId=" + *up.UploadId, padded("CompleteMultipartUpload", 8<<20), "MalformedXML"},
		{"PutBucketTagging over 64 KiB", http.MethodPut, "/" + b + "?tagging", padded("Tagging", 64<<10), "MalformedXML"},
		{"PutObjectTagging over 64 KiB", http.MethodPut, obj + "?tagging", padded("Tagging", 64<<10), "MalformedXML"},
		{"PutBucketVersioning over 64 KiB", http.MethodPut, "/" + b + "?versioning", padded("VersioningConfiguration", 64<<10), "MalformedXML"},
		{"PutBucketLifecycle over 8 MiB", http.MethodPut, "/" + b + "?lifecycle", padded("LifecycleConfiguration", 8<<20), "MalformedXML"},
		{"PutBucketCors over 64 KiB", http.MethodPut, "/" + b + "?cors", padded("CORSConfiguration", 64<<10), "MalformedXML"},
		{"PutBucketEncryption over 64 KiB", http.MethodPut, "/" + b + "?encryption", padded("ServerSideEncryptionConfiguration", 64<<10), "MalformedXML"},
		{"PutPublicAccessBlock over 64 KiB", http.MethodPut, "/" + b + "?publicAccessBlock", padded("PublicAccessBlockConfiguration", 64<<10), "MalformedXML"},
		{"PutBucketOwnershipControls over 64 KiB", http.MethodPut, "/" + b + "?ownershipControls", padded("OwnershipControls", 64<<10), "MalformedXML"},
		{"PutBucketRequestPayment over 64 KiB", http.MethodPut, "/" + b + "?requestPayment", padded("RequestPaymentConfiguration", 64<<10), "MalformedXML"},
		{"CreateBucket configuration over 64 KiB", http.MethodPut, "/" + bucketName(t), padded("CreateBucketConfiguration", 64<<10), "MalformedXML"},
		{"PutObjectLockConfiguration over 64 KiB", http.MethodPut, "/" + b + "?object-lock", padded("ObjectLockConfiguration", 64<<10), "MalformedXML"},
		{"PutObjectRetention over 64 KiB", http.MethodPut, obj + "?retention", padded("Retention", 64<<10), "MalformedXML"},
		{"PutObjectLegalHold over 64 KiB", http.MethodPut, obj + "?legal-hold", padded("LegalHold", 64<<10), "MalformedXML"},
		// LocalStack test_s3_bucket_acl_exceptions: an ACL that does not validate.
		{"PutBucketAcl over 64 KiB", http.MethodPut, "/" + b + "?acl", padded("AccessControlPolicy", 64<<10), "MalformedACLError"},
		{"PutObjectAcl over 64 KiB", http.MethodPut, obj + "?acl", padded("AccessControlPolicy", 64<<10), "MalformedACLError"},
		// [DOC] bucket policies are limited to 20 KB.
		{"PutBucketPolicy over 20 KiB", http.MethodPut, "/" + b + "?policy", []byte(`{"Id":"` + strings.Repeat("x", 20<<10) + `"}`), "MalformedPolicy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hdr := http.Header{"Content-Md5": {md5B64(tc.body)}}
			resp, body := srv.Do(t, tc.method, tc.path, tc.body, hdr, "")
			wantRawErr(t, resp, body, tc.code, http.StatusBadRequest)
		})
	}
	// Nothing of it stuck: the bucket has no tags, the object still reads.
	if _, err := c.GetBucketTagging(ctx(), &s3.GetBucketTaggingInput{Bucket: aws.String(b)}); apiCode(err) != "NoSuchTagSet" {
		t.Errorf("GetBucketTagging after refused bodies: %v", err)
	}
	wantBody(t, c, b, "k", []byte("object"))
}
