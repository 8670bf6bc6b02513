package conformance

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// Until Tessera encrypts (issue 10), every request for server-side
// encryption must be refused and store nothing: a 200 would tell the client
// its bytes are encrypted when they are not.

// sseKey is an SSE-C key as the SDKs send it: base64 key and base64 MD5.
func sseKey() (key, keyMD5 string) {
	k := bytes.Repeat([]byte{0x42}, 32)
	sum := md5.Sum(k)
	return base64.StdEncoding.EncodeToString(k), base64.StdEncoding.EncodeToString(sum[:])
}

func TestSSERefusedNothingStored(t *testing.T) {
	e := ckNew(t, true)
	key, keyMD5 := sseKey()
	e.put("plain", []byte("plain bytes"))
	id := e.mustCreate("mpu", "", "")

	ssec := func(alg, k, m **string) { *alg, *k, *m = aws.String("AES256"), aws.String(key), aws.String(keyMD5) }
	tests := []struct {
		name   string
		call   func() error
		status int
		code   string
		absent string // a key that must not exist afterwards
	}{
		{"PutObject SSE-S3", func() error {
			_, err := e.c.PutObject(ckCtx(), &s3.PutObjectInput{Bucket: &e.bucket, Key: aws.String("sse-s3"), Body: strings.NewReader("x"), ServerSideEncryption: types.ServerSideEncryptionAes256})
			return err
		}, 501, "NotImplemented", "sse-s3"},
		{"PutObject SSE-KMS", func() error {
			_, err := e.c.PutObject(ckCtx(), &s3.PutObjectInput{Bucket: &e.bucket, Key: aws.String("sse-kms"), Body: strings.NewReader("x"), ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String("alias/mine")})
			return err
		}, 501, "NotImplemented", "sse-kms"},
		{"PutObject SSE-C", func() error {
			in := &s3.PutObjectInput{Bucket: &e.bucket, Key: aws.String("sse-c"), Body: strings.NewReader("x")}
			ssec(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
			_, err := e.c.PutObject(ckCtx(), in)
			return err
		}, 501, "NotImplemented", "sse-c"},
		// An encryption method S3 does not know: InvalidArgument, as S3 answers.
		{"PutObject unknown method", func() error {
			_, err := e.c.PutObject(ckCtx(), &s3.PutObjectInput{Bucket: &e.bucket, Key: aws.String("sse-bad"), Body: strings.NewReader("x"), ServerSideEncryption: "rot13"})
			return err
		}, 400, "InvalidArgument", "sse-bad"},
		{"CopyObject SSE-S3", func() error {
			_, err := e.c.CopyObject(ckCtx(), &s3.CopyObjectInput{Bucket: &e.bucket, Key: aws.String("copy-sse"), CopySource: aws.String(e.bucket + "/plain"), ServerSideEncryption: types.ServerSideEncryptionAes256})
			return err
		}, 501, "NotImplemented", "copy-sse"},
		{"CopyObject SSE-C destination", func() error {
			in := &s3.CopyObjectInput{Bucket: &e.bucket, Key: aws.String("copy-ssec"), CopySource: aws.String(e.bucket + "/plain")}
			ssec(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
			_, err := e.c.CopyObject(ckCtx(), in)
			return err
		}, 501, "NotImplemented", "copy-ssec"},
		// The source is not encrypted, so its keys are not applicable.
		{"CopyObject SSE-C source", func() error {
			in := &s3.CopyObjectInput{Bucket: &e.bucket, Key: aws.String("copy-src-ssec"), CopySource: aws.String(e.bucket + "/plain")}
			ssec(&in.CopySourceSSECustomerAlgorithm, &in.CopySourceSSECustomerKey, &in.CopySourceSSECustomerKeyMD5)
			_, err := e.c.CopyObject(ckCtx(), in)
			return err
		}, 400, "InvalidRequest", "copy-src-ssec"},
		{"CreateMultipartUpload SSE-KMS", func() error {
			_, err := e.c.CreateMultipartUpload(ckCtx(), &s3.CreateMultipartUploadInput{Bucket: &e.bucket, Key: aws.String("mpu-kms"), ServerSideEncryption: types.ServerSideEncryptionAwsKms})
			return err
		}, 501, "NotImplemented", ""},
		{"CreateMultipartUpload SSE-C", func() error {
			in := &s3.CreateMultipartUploadInput{Bucket: &e.bucket, Key: aws.String("mpu-ssec")}
			ssec(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
			_, err := e.c.CreateMultipartUpload(ckCtx(), in)
			return err
		}, 501, "NotImplemented", ""},
		{"UploadPart SSE-C", func() error {
			in := &s3.UploadPartInput{Bucket: &e.bucket, Key: aws.String("mpu"), UploadId: &id, PartNumber: aws.Int32(1), Body: strings.NewReader("part")}
			ssec(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
			_, err := e.c.UploadPart(ckCtx(), in)
			return err
		}, 501, "NotImplemented", ""},
		{"UploadPartCopy SSE-C", func() error {
			in := &s3.UploadPartCopyInput{Bucket: &e.bucket, Key: aws.String("mpu"), UploadId: &id, PartNumber: aws.Int32(1), CopySource: aws.String(e.bucket + "/plain")}
			ssec(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
			_, err := e.c.UploadPartCopy(ckCtx(), in)
			return err
		}, 501, "NotImplemented", ""},
		// The seed's SSECustomer* fields on ListParts.
		{"ListParts SSE-C", func() error {
			in := &s3.ListPartsInput{Bucket: &e.bucket, Key: aws.String("mpu"), UploadId: &id}
			ssec(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
			_, err := e.c.ListParts(ckCtx(), in)
			return err
		}, 501, "NotImplemented", ""},
		{"CompleteMultipartUpload SSE-C", func() error {
			in := &s3.CompleteMultipartUploadInput{Bucket: &e.bucket, Key: aws.String("mpu"), UploadId: &id,
				MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: aws.String(`"x"`)}}}}
			ssec(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
			_, err := e.c.CompleteMultipartUpload(ckCtx(), in)
			return err
		}, 501, "NotImplemented", "mpu"},
		// Nothing Tessera stores is encrypted: S3's answer for SSE-C keys
		// sent to read an unencrypted object.
		{"GetObject SSE-C", func() error {
			in := &s3.GetObjectInput{Bucket: &e.bucket, Key: aws.String("plain")}
			ssec(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
			_, err := e.c.GetObject(ckCtx(), in)
			return err
		}, 400, "InvalidRequest", ""},
		{"HeadObject SSE-C", func() error {
			in := &s3.HeadObjectInput{Bucket: &e.bucket, Key: aws.String("plain")}
			ssec(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
			_, err := e.c.HeadObject(ckCtx(), in)
			return err
		}, 400, "BadRequest", ""}, // HEAD has no body: the SDK names the status
		{"GetObjectAttributes SSE-C", func() error {
			in := &s3.GetObjectAttributesInput{Bucket: &e.bucket, Key: aws.String("plain"), ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesEtag}}
			ssec(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
			_, err := e.c.GetObjectAttributes(ckCtx(), in)
			return err
		}, 400, "InvalidRequest", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var ae smithy.APIError
			if !errors.As(err, &ae) || ckStatus(err) != tc.status || ae.ErrorCode() != tc.code {
				t.Fatalf("got %v, want %d %s", err, tc.status, tc.code)
			}
			if tc.absent != "" {
				e.wantAbsent(tc.absent)
			}
		})
	}
	// The refused part and Complete left the upload as it was.
	lp, err := e.c.ListParts(ckCtx(), &s3.ListPartsInput{Bucket: &e.bucket, Key: aws.String("mpu"), UploadId: &id})
	if err != nil || len(lp.Parts) != 0 {
		t.Fatalf("ListParts after refused writes: %v, %d parts; want the upload, empty", err, len(lp.Parts))
	}
	ups, err := e.c.ListMultipartUploads(ckCtx(), &s3.ListMultipartUploadsInput{Bucket: &e.bucket})
	if err != nil || len(ups.Uploads) != 1 {
		t.Fatalf("ListMultipartUploads: %v, %d uploads; want only the plain one", err, len(ups.Uploads))
	}
}

// TestSSEHeaderOnPartRefused: S3 refuses x-amz-server-side-encryption on
// calls that create no object (recorded on UploadPart and
// CompleteMultipartUpload in ClickHouse#64570 and s3cmd#276).
func TestSSEHeaderOnPartRefused(t *testing.T) {
	e := ckNew(t, false)
	id := e.mustCreate("mpu", "", "")
	hdr := http.Header{"x-amz-server-side-encryption": {"AES256"}}
	r := e.ckDo("PUT", "/"+e.bucket+"/mpu?partNumber=1&uploadId="+id, hdr, []byte("part"), "")
	r.wantErr(t, "UploadPart with x-amz-server-side-encryption", 400, "InvalidArgument", "x-amz-server-side-encryption header is not supported for this operation.")
	r = e.ckDo("GET", "/"+e.bucket+"/mpu?uploadId="+id, hdr, nil, "")
	r.wantErr(t, "ListParts with x-amz-server-side-encryption", 400, "InvalidArgument", "x-amz-server-side-encryption header is not supported for this operation.")
}
