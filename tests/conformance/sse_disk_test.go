package conformance

import (
	"bytes"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// TestSSENoPlaintextOnDisk: no 64-byte run of a random plaintext written
// with SSE-C or SSE-S3 — single PUT, multipart, copy — appears anywhere
// under the data directory; the same scan finds a plaintext object's bytes,
// so it can fail.
func TestSSENoPlaintextOnDisk(t *testing.T) {
	e := ckNew(t, true, tesseratest.WithMinPartSize(1))
	k := newSSECKey(10)
	secret := ckRand(1<<20, 93)
	in := &s3.PutObjectInput{Bucket: &e.bucket, Key: aws.String("c"), Body: bytes.NewReader(secret)}
	k.set(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
	if _, err := e.c.PutObject(ckCtx(), in); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.PutObject(ckCtx(), &s3.PutObjectInput{Bucket: &e.bucket, Key: aws.String("s3"), Body: bytes.NewReader(secret),
		ServerSideEncryption: types.ServerSideEncryptionAes256}); err != nil {
		t.Fatal(err)
	}
	cin := &s3.CreateMultipartUploadInput{Bucket: &e.bucket, Key: aws.String("mpu")}
	k.set(&cin.SSECustomerAlgorithm, &cin.SSECustomerKey, &cin.SSECustomerKeyMD5)
	created, err := e.c.CreateMultipartUpload(ckCtx(), cin)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := e.uploadPart(nil, "mpu", aws.ToString(created.UploadId), int32(i+1), secret[i<<19:(i+1)<<19], "", func(in *s3.UploadPartInput) {
			k.set(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
		}); err != nil {
			t.Fatal(err)
		}
	}
	cp := &s3.CopyObjectInput{Bucket: &e.bucket, Key: aws.String("copy"), CopySource: e.copySource("c"), ServerSideEncryption: types.ServerSideEncryptionAes256}
	k.set(&cp.CopySourceSSECustomerAlgorithm, &cp.CopySourceSSECustomerKey, &cp.CopySourceSSECustomerKeyMD5)
	if _, err := e.c.CopyObject(ckCtx(), cp); err != nil {
		t.Fatal(err)
	}
	if path := sseDiskHolds(t, e.srv.DataDir, secret); path != "" {
		t.Fatalf("plaintext of an encrypted object found in %s", path)
	}
	e.put("plain", secret)
	if path := sseDiskHolds(t, e.srv.DataDir, secret); path == "" {
		t.Fatal("the scan did not find a plaintext object's bytes: it cannot fail")
	}
}

// TestSSEBitFlip: one flipped byte in an encrypted blob makes reads of the
// package holding it fail — never wrong bytes — while other objects, and
// ranges of the same object that avoid that package, still read; for one
// layer (SSE-S3) and for two (DSSE-KMS, whose packages are 32 bytes longer:
// the offsets below fall in the same packages).
func TestSSEBitFlip(t *testing.T) {
	for _, mode := range []types.ServerSideEncryption{types.ServerSideEncryptionAes256, types.ServerSideEncryptionAwsKmsDsse} {
		t.Run(string(mode), func(t *testing.T) {
			e := ckNew(t, false)
			body := ckRand(300_000, 94)
			if _, err := e.c.PutObject(ckCtx(), &s3.PutObjectInput{Bucket: &e.bucket, Key: aws.String("victim"), Body: bytes.NewReader(body),
				ServerSideEncryption: mode}); err != nil {
				t.Fatal(err)
			}
			var blobs []string
			filepath.WalkDir(filepath.Join(e.srv.DataDir, "blobs"), func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					blobs = append(blobs, p)
				}
				return nil
			})
			if len(blobs) != 1 {
				t.Fatalf("%d blobs, want the victim's only", len(blobs))
			}
			b, err := os.ReadFile(blobs[0])
			if err != nil {
				t.Fatal(err)
			}
			b[150_000] ^= 0x01 // inside the third 64 KiB package
			if err := os.WriteFile(blobs[0], b, 0o600); err != nil {
				t.Fatal(err)
			}
			e.put("bystander", []byte("still fine"))

			got, _, err := sseGet(e.c, e.bucket, "victim", nil)
			if err == nil {
				t.Fatalf("GET of the damaged object succeeded (%d bytes, equal %v)", len(got), bytes.Equal(got, body))
			}
			if len(got) > 0 && !bytes.Equal(got, body[:len(got)]) {
				t.Fatal("GET of the damaged object returned wrong bytes")
			}
			if got, _, err := sseGet(e.c, e.bucket, "victim", nil, func(in *s3.GetObjectInput) { in.Range = aws.String("bytes=0-99999") }); err != nil || !bytes.Equal(got, body[:100_000]) {
				t.Errorf("GET of a range before the damage: %v", err)
			}
			if got, _, err := sseGet(e.c, e.bucket, "bystander", nil); err != nil || string(got) != "still fine" {
				t.Errorf("GET of another object: %v", err)
			}
			// Damage in the first package a read needs is found before the
			// response starts: a clean 500, not a cut connection.
			b[100] ^= 0x01
			if err := os.WriteFile(blobs[0], b, 0o600); err != nil {
				t.Fatal(err)
			}
			r := e.ckDo("GET", "/"+e.bucket+"/victim", http.Header{}, nil, "")
			r.wantErr(t, "GET with a damaged first package", 500, "InternalError", "")
		})
	}
}

// TestSSESurvivesRestart: every mode's objects (DSSE-KMS included), an open SSE-KMS upload and
// the KMS key itself survive a restart (the root key is reloaded from the
// data directory; keys and records from the metadata store).
func TestSSESurvivesRestart(t *testing.T) {
	e := ckNew(t, true, tesseratest.WithMinPartSize(1))
	k := newSSECKey(11)
	id, arn := e.srv.NewKMSKey(tesseratest.RootAccountID)
	body := ckRand(100_000, 95)
	in := &s3.PutObjectInput{Bucket: &e.bucket, Key: aws.String("c"), Body: bytes.NewReader(body)}
	k.set(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
	if _, err := e.c.PutObject(ckCtx(), in); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.PutObject(ckCtx(), &s3.PutObjectInput{Bucket: &e.bucket, Key: aws.String("s3"), Body: bytes.NewReader(body), ServerSideEncryption: types.ServerSideEncryptionAes256}); err != nil {
		t.Fatal(err)
	}
	if _, err := kmsPut(e.c, e.bucket, "kms", id, body); err != nil {
		t.Fatal(err)
	}
	if _, err := dssePut(e.c, e.bucket, "dsse", id, body); err != nil {
		t.Fatal(err)
	}
	mpu, err := e.c.CreateMultipartUpload(ckCtx(), &s3.CreateMultipartUploadInput{Bucket: &e.bucket, Key: aws.String("mpu"), ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: &arn})
	if err != nil {
		t.Fatal(err)
	}
	p1, err := e.uploadPart(nil, "mpu", aws.ToString(mpu.UploadId), 1, body, "")
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Restart()
	e.c, _ = e.client(ckWhenSupported)
	for _, tc := range []struct {
		key string
		k   *sseCKey
	}{{"c", &k}, {"s3", nil}, {"kms", nil}, {"dsse", nil}} {
		if got, _, err := sseGet(e.c, e.bucket, tc.key, tc.k); err != nil || !bytes.Equal(got, body) {
			t.Errorf("GET %s after a restart: %v", tc.key, err)
		}
	}
	p2, err := e.uploadPart(nil, "mpu", aws.ToString(mpu.UploadId), 2, body[:10], "")
	if err != nil {
		t.Fatalf("UploadPart after a restart: %v", err)
	}
	if _, err := e.complete("mpu", aws.ToString(mpu.UploadId), []types.CompletedPart{
		{PartNumber: aws.Int32(1), ETag: p1.ETag}, {PartNumber: aws.Int32(2), ETag: p2.ETag}}); err != nil {
		t.Fatalf("Complete after a restart: %v", err)
	}
	if got, _, err := sseGet(e.c, e.bucket, "mpu", nil); err != nil || !bytes.Equal(got, append(append([]byte{}, body...), body[:10]...)) {
		t.Errorf("GET the multipart object: %v", err)
	}
}
