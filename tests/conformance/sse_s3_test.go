package conformance

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// TestSSES3: x-amz-server-side-encryption: AES256 on PutObject, CopyObject
// and CreateMultipartUpload encrypts under a server key and is answered on
// the responses S3 answers it on (LocalStack's recorded snapshots: Put,
// Get, Head, Copy, Create, UploadPart, UploadPartCopy, Complete; research10
// Q9). Unlike SSE-C, the ETag stays the plaintext's MD5.
func TestSSES3(t *testing.T) {
	e := ckNew(t, false, tesseratest.WithMinPartSize(1))
	aes := types.ServerSideEncryptionAes256
	body := ckRand(150_000, 91)
	put, err := e.c.PutObject(ckCtx(), &s3.PutObjectInput{Bucket: &e.bucket, Key: aws.String("s3"), Body: bytes.NewReader(body), ServerSideEncryption: aes})
	if err != nil {
		t.Fatalf("PutObject AES256: %v", err)
	}
	if put.ServerSideEncryption != aes || aws.ToString(put.ETag) != ckMD5ETag(body) {
		t.Errorf("PutObject: encryption %q ETag %s, want AES256 and the MD5 %s", put.ServerSideEncryption, aws.ToString(put.ETag), ckMD5ETag(body))
	}
	got, out, err := sseGet(e.c, e.bucket, "s3", nil)
	if err != nil || !bytes.Equal(got, body) || out.ServerSideEncryption != aes {
		t.Fatalf("GET: %v (equal %v, encryption %q)", err, bytes.Equal(got, body), out.ServerSideEncryption)
	}
	got, _, err = sseGet(e.c, e.bucket, "s3", nil, func(in *s3.GetObjectInput) { in.Range = aws.String("bytes=65530-131080") })
	if err != nil || !bytes.Equal(got, body[65530:131081]) {
		t.Errorf("GET range: %v", err)
	}
	head, err := e.c.HeadObject(ckCtx(), &s3.HeadObjectInput{Bucket: &e.bucket, Key: aws.String("s3")})
	if err != nil || head.ServerSideEncryption != aes {
		t.Errorf("HEAD: %v, encryption %q", err, head.ServerSideEncryption)
	}
	e.put("plain", body)
	if h, _ := e.c.HeadObject(ckCtx(), &s3.HeadObjectInput{Bucket: &e.bucket, Key: aws.String("plain")}); h != nil && h.ServerSideEncryption != "" {
		t.Errorf("a plaintext object claims %q", h.ServerSideEncryption)
	}
	cp, err := e.c.CopyObject(ckCtx(), &s3.CopyObjectInput{Bucket: &e.bucket, Key: aws.String("copied"), CopySource: e.copySource("plain"), ServerSideEncryption: aes})
	if err != nil || cp.ServerSideEncryption != aes {
		t.Fatalf("CopyObject to AES256: %v", err)
	}
	if got, _, err := sseGet(e.c, e.bucket, "copied", nil); err != nil || !bytes.Equal(got, body) {
		t.Errorf("GET the copy: %v", err)
	}
	// Re-encrypting an object in place is a legal self-copy.
	if _, err := e.c.CopyObject(ckCtx(), &s3.CopyObjectInput{Bucket: &e.bucket, Key: aws.String("plain"), CopySource: e.copySource("plain"), ServerSideEncryption: aes}); err != nil {
		t.Errorf("self-copy to AES256: %v", err)
	}

	key := "mpu-s3"
	created, err := e.c.CreateMultipartUpload(ckCtx(), &s3.CreateMultipartUploadInput{Bucket: &e.bucket, Key: &key, ServerSideEncryption: aes})
	if err != nil || created.ServerSideEncryption != aes {
		t.Fatalf("Create AES256: %v", err)
	}
	id := aws.ToString(created.UploadId)
	parts := ckParts(2, 92)
	var done []types.CompletedPart
	for i, p := range parts {
		out, err := e.uploadPart(nil, key, id, int32(i+1), p, "")
		if err != nil || out.ServerSideEncryption != aes {
			t.Fatalf("UploadPart %d: %v (encryption %q)", i+1, err, out.ServerSideEncryption)
		}
		done = append(done, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag})
	}
	done2, err := e.c.CompleteMultipartUpload(ckCtx(), &s3.CompleteMultipartUploadInput{Bucket: &e.bucket, Key: &key, UploadId: &id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	if err != nil || done2.ServerSideEncryption != aes || aws.ToString(done2.ETag) != ckMultipartETag(parts) {
		t.Fatalf("Complete: %v (encryption %q, ETag %s)", err, done2.ServerSideEncryption, aws.ToString(done2.ETag))
	}
	if got, out, err := sseGet(e.c, e.bucket, key, nil); err != nil || !bytes.Equal(got, ckConcat(parts)) || out.ServerSideEncryption != aes {
		t.Errorf("GET the multipart object: %v", err)
	}
}

// TestSSEUnsupportedRefused: an unknown method is InvalidArgument and
// nothing is stored; the SSE header on calls that create no object is S3's
// InvalidArgument (recorded on UploadPart and CompleteMultipartUpload:
// ClickHouse#64570, s3cmd#276). (aws:kms:dsse is built: sse_dsse_test.go.)
func TestSSEUnsupportedRefused(t *testing.T) {
	e := ckNew(t, false)
	_, err := e.c.PutObject(ckCtx(), &s3.PutObjectInput{Bucket: &e.bucket, Key: aws.String("rot13"), Body: strings.NewReader("x"), ServerSideEncryption: "rot13"})
	ckWantErr(t, "PutObject rot13", err, "InvalidArgument", 400, "The encryption method specified is not supported")
	e.wantAbsent("rot13")
	if ups, err := e.c.ListMultipartUploads(ckCtx(), &s3.ListMultipartUploadsInput{Bucket: &e.bucket}); err != nil || len(ups.Uploads) != 0 {
		t.Errorf("ListMultipartUploads: %v, %d uploads; want none", err, len(ups.Uploads))
	}
	id := e.mustCreate("mpu", "", "")
	hdr := http.Header{"x-amz-server-side-encryption": {"AES256"}}
	r := e.ckDo("PUT", "/"+e.bucket+"/mpu?partNumber=1&uploadId="+id, hdr, []byte("part"), "")
	r.wantErr(t, "UploadPart with x-amz-server-side-encryption", 400, "InvalidArgument", sseMsgNotForThis)
	r = e.ckDo("GET", "/"+e.bucket+"/mpu?uploadId="+id, hdr, nil, "")
	r.wantErr(t, "ListParts with x-amz-server-side-encryption", 400, "InvalidArgument", sseMsgNotForThis)
	// Complete takes the header only when it names the upload's own mode
	// (minio-go repeats it; see TestSSEMinio): on a plain upload it is S3's
	// refusal, on an SSE-S3 upload it is accepted.
	part := e.mustPart("mpu", id, 1, []byte("part"), "")
	body := []byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>` + aws.ToString(part.ETag) + `</ETag></Part></CompleteMultipartUpload>`)
	r = e.ckDo("POST", "/"+e.bucket+"/mpu?uploadId="+id, hdr, body, "")
	r.wantErr(t, "Complete of a plain upload with x-amz-server-side-encryption", 400, "InvalidArgument", sseMsgNotForThis)
	e.wantAbsent("mpu")
	created, err := e.c.CreateMultipartUpload(ckCtx(), &s3.CreateMultipartUploadInput{Bucket: &e.bucket, Key: aws.String("mpu-s3"), ServerSideEncryption: types.ServerSideEncryptionAes256})
	if err != nil {
		t.Fatal(err)
	}
	id = aws.ToString(created.UploadId)
	part = e.mustPart("mpu-s3", id, 1, []byte("part"), "")
	body = []byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>` + aws.ToString(part.ETag) + `</ETag></Part></CompleteMultipartUpload>`)
	e.ckDo("POST", "/"+e.bucket+"/mpu-s3?uploadId="+id, hdr, body, "").wantOK(t, "Complete of an SSE-S3 upload repeating AES256")
}
