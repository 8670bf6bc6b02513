package conformance

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// TestSSECMultipartSeedFields: a 3-part SSE-C upload with a checksum
// algorithm, listed with the seed's three ListParts fields. Every part
// repeats the upload's key (S3-LANDSCAPE §3.23: LocalStack's recorded
// texts); the part checksums are protected: ListParts and Complete need the
// key for them (AWS API reference: "needed only when the object was created
// using a checksum algorithm"; texts research10 Q5), and a copied part is
// encrypted under the upload's key too.
func TestSSECMultipartSeedFields(t *testing.T) {
	e := ckNew(t, true, tesseratest.WithMinPartSize(1))
	k1, k2 := newSSECKey(7), newSSECKey(8)
	key := "mpu-ssec"
	cin := &s3.CreateMultipartUploadInput{Bucket: &e.bucket, Key: &key, ChecksumAlgorithm: types.ChecksumAlgorithmSha256}
	k1.set(&cin.SSECustomerAlgorithm, &cin.SSECustomerKey, &cin.SSECustomerKeyMD5)
	created, err := e.c.CreateMultipartUpload(ckCtx(), cin)
	if err != nil {
		t.Fatalf("CreateMultipartUpload SSE-C: %v", err)
	}
	if aws.ToString(created.SSECustomerAlgorithm) != "AES256" || aws.ToString(created.SSECustomerKeyMD5) != k1.md5 {
		t.Errorf("Create answered %q %q", aws.ToString(created.SSECustomerAlgorithm), aws.ToString(created.SSECustomerKeyMD5))
	}
	id := aws.ToString(created.UploadId)
	parts := ckParts(3, 83)
	e.put("copy-src", parts[2])

	part := func(n int32, body []byte, k *sseCKey) (*s3.UploadPartOutput, error) {
		return e.uploadPart(nil, key, id, n, body, "SHA256", func(in *s3.UploadPartInput) {
			if k != nil {
				k.set(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
			}
		})
	}
	_, err = part(1, parts[0], nil)
	ckWantErr(t, "UploadPart without the key", err, "InvalidRequest", 400, sseMsgPartNoKey)
	_, err = part(1, parts[0], &k2)
	ckWantErr(t, "UploadPart with another key", err, "InvalidRequest", 400, sseMsgMismatch)

	var done []types.CompletedPart
	for i, p := range parts[:2] {
		out, err := part(int32(i+1), p, &k1)
		if err != nil {
			t.Fatalf("UploadPart %d: %v", i+1, err)
		}
		if aws.ToString(out.SSECustomerKeyMD5) != k1.md5 || aws.ToString(out.ETag) == ckMD5ETag(p) {
			t.Errorf("UploadPart %d: key MD5 %q, ETag %s (must not be the plaintext's MD5)", i+1, aws.ToString(out.SSECustomerKeyMD5), aws.ToString(out.ETag))
		}
		done = append(done, ckCompleted(int32(i+1), aws.ToString(out.ETag), "SHA256", ckSum("SHA256", p)))
	}
	upc := &s3.UploadPartCopyInput{Bucket: &e.bucket, Key: &key, UploadId: &id, PartNumber: aws.Int32(3), CopySource: e.copySource("copy-src")}
	k1.set(&upc.SSECustomerAlgorithm, &upc.SSECustomerKey, &upc.SSECustomerKeyMD5)
	cp, err := e.c.UploadPartCopy(ckCtx(), upc)
	if err != nil {
		t.Fatalf("UploadPartCopy: %v", err)
	}
	if aws.ToString(cp.SSECustomerKeyMD5) != k1.md5 {
		t.Errorf("UploadPartCopy key MD5 %q", aws.ToString(cp.SSECustomerKeyMD5))
	}
	done = append(done, ckCompleted(3, aws.ToString(cp.CopyPartResult.ETag), "SHA256", ckSum("SHA256", parts[2])))

	list := func(k *sseCKey) (*s3.ListPartsOutput, error) {
		in := &s3.ListPartsInput{Bucket: &e.bucket, Key: &key, UploadId: &id}
		if k != nil {
			k.set(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
		}
		return e.c.ListParts(ckCtx(), in)
	}
	lp, err := list(&k1)
	if err != nil || len(lp.Parts) != 3 {
		t.Fatalf("ListParts with the seed's SSECustomer* fields: %v", err)
	}
	for i, p := range lp.Parts {
		if aws.ToString(p.ChecksumSHA256) != ckSum("SHA256", parts[i]) || aws.ToString(p.ETag) != aws.ToString(done[i].ETag) {
			t.Errorf("ListParts part %d: SHA256 %q ETag %s", i+1, aws.ToString(p.ChecksumSHA256), aws.ToString(p.ETag))
		}
	}
	_, err = list(nil)
	ckWantErr(t, "ListParts without the key", err, "InvalidRequest", 400, sseMsgListNoKey)
	_, err = list(&k2)
	ckWantErr(t, "ListParts with another key", err, "InvalidRequest", 400, sseMsgMismatch)

	_, err = e.complete(key, id, done)
	ckWantErr(t, "Complete without the key", err, "InvalidRequest", 400, sseMsgCompNoKey)
	out, err := e.complete(key, id, done, func(in *s3.CompleteMultipartUploadInput) {
		k1.set(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
	})
	if err != nil {
		t.Fatalf("Complete with the key: %v", err)
	}
	if got := aws.ToString(out.ChecksumSHA256); got != ckComposite("SHA256", parts) {
		t.Errorf("Complete SHA256 %q, want %q", got, ckComposite("SHA256", parts))
	}
	whole := ckConcat(parts)
	got, _, err := sseGet(e.c, e.bucket, key, &k1)
	if err != nil || !bytes.Equal(got, whole) {
		t.Fatalf("GET the SSE-C multipart object: %v", err)
	}
	got, _, err = sseGet(e.c, e.bucket, key, &k1, func(in *s3.GetObjectInput) { in.PartNumber = aws.Int32(2) })
	if err != nil || !bytes.Equal(got, parts[1]) {
		t.Errorf("GET partNumber=2: %v", err)
	}
	off := len(parts[0]) - 10
	got, _, err = sseGet(e.c, e.bucket, key, &k1, func(in *s3.GetObjectInput) {
		in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", off, off+len(parts[1])+19))
	})
	if err != nil || !bytes.Equal(got, whole[off:off+len(parts[1])+20]) {
		t.Errorf("GET a range across three parts: %v", err)
	}
	if _, _, err := sseGet(e.c, e.bucket, key, nil); err == nil {
		t.Error("the SSE-C multipart object reads without a key")
	}
}

// TestSSECMultipartNoChecksum: without a checksum algorithm, ListParts and
// Complete of an SSE-C upload need no key (LocalStack's recorded Complete
// without the key answers 200).
func TestSSECMultipartNoChecksum(t *testing.T) {
	e := ckNew(t, true, tesseratest.WithMinPartSize(1))
	plain, _ := e.client(ckWhenRequired)
	k := newSSECKey(9)
	key := "mpu-plain-ck"
	cin := &s3.CreateMultipartUploadInput{Bucket: &e.bucket, Key: &key}
	k.set(&cin.SSECustomerAlgorithm, &cin.SSECustomerKey, &cin.SSECustomerKeyMD5)
	created, err := plain.CreateMultipartUpload(ckCtx(), cin)
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.UploadId)
	body := ckRand(100_000, 84)
	up, err := e.uploadPart(plain, key, id, 1, body, "", func(in *s3.UploadPartInput) {
		k.set(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
	})
	if err != nil {
		t.Fatal(err)
	}
	if lp, err := plain.ListParts(ckCtx(), &s3.ListPartsInput{Bucket: &e.bucket, Key: &key, UploadId: &id}); err != nil || len(lp.Parts) != 1 {
		t.Fatalf("ListParts without the key: %v", err)
	}
	if _, err := plain.CompleteMultipartUpload(ckCtx(), &s3.CompleteMultipartUploadInput{Bucket: &e.bucket, Key: &key, UploadId: &id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: up.ETag}}}}); err != nil {
		t.Fatalf("Complete without the key: %v", err)
	}
	if got, _, err := sseGet(e.c, e.bucket, key, &k); err != nil || !bytes.Equal(got, body) {
		t.Errorf("GET: %v", err)
	}
}
