package conformance

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/sse"
	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// DSSE-KMS (aws:kms:dsse) as S3 answers it. No raw AWS recording of a
// DSSE response was found (research10kms Q5); what is known:
//   - it takes the same key-ID and context headers as aws:kms and answers
//     them the same way (AWS PutObject/GetObject references list
//     aws:kms:dsse as a value of the same x-amz-server-side-encryption
//     header beside the same key-ID header), so the key ARN rules of
//     research10kms Q1 are assumed to hold for it too;
//   - without a key ID S3 uses the account's aws/s3 key (fluent-bit#11410:
//     a DSSE PutObject without a key ID succeeded on eu-west-1, 2026);
//   - "S3 Bucket Keys aren't supported for DSSE-KMS" (AWS user guide), and
//     S3 accepts the bucket-key flag on a DSSE request without applying it
//     (nextcloud/server#62539, checked against a live bucket, 2026): so no
//     BucketKeyEnabled is echoed;
//   - the ETag is assumed not to be the MD5, as for SSE-KMS (no recording).

// dssePut stores body under key with aws:kms:dsse and the given key reference.
func dssePut(c *s3.Client, bucket, key, ref string, body []byte, mods ...func(*s3.PutObjectInput)) (*s3.PutObjectOutput, error) {
	return kmsPut(c, bucket, key, ref, body, append([]func(*s3.PutObjectInput){func(in *s3.PutObjectInput) {
		in.ServerSideEncryption = types.ServerSideEncryptionAwsKmsDsse
	}}, mods...)...)
}

// dsseWant checks the encryption an SDK output reports: aws:kms:dsse, the
// key's ARN, and no bucket key.
func dsseWant(t *testing.T, what string, sse types.ServerSideEncryption, keyID *string, bucketKey *bool, arn string) {
	t.Helper()
	if sse != types.ServerSideEncryptionAwsKmsDsse || aws.ToString(keyID) != arn || bucketKey != nil {
		t.Errorf("%s: %q %q bucket key %v; want aws:kms:dsse, %s, no bucket key", what, sse, aws.ToString(keyID), bucketKey, arn)
	}
}

// dsseBlobSizes returns the sizes of the files under dir.
func dsseBlobSizes(t *testing.T, dir string) map[int64]bool {
	t.Helper()
	sizes := map[int64]bool{}
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			sizes[info.Size()] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return sizes
}

// TestSSEDSSEObject: a DSSE-KMS object answers aws:kms:dsse and its key's
// ARN on PUT, GET (whole, range, partNumber) and HEAD; it is stored as two
// layers (two tags per 64 KiB package on disk, no plaintext); a disabled
// key makes it unreadable as for aws:kms.
func TestSSEDSSEObject(t *testing.T) {
	e := ckNew(t, false)
	id, arn := e.srv.NewKMSKey(tesseratest.RootAccountID)
	body := ckRand(300_000, 111)
	for _, ref := range []string{id, arn} {
		out, err := dssePut(e.c, e.bucket, "k", ref, body)
		if err != nil {
			t.Fatalf("PutObject aws:kms:dsse %s: %v", ref, err)
		}
		dsseWant(t, "PutObject with "+ref, out.ServerSideEncryption, out.SSEKMSKeyId, out.BucketKeyEnabled, arn)
		if aws.ToString(out.ETag) == ckMD5ETag(body) {
			t.Errorf("PutObject ETag is the plaintext's MD5")
		}
	}
	if !dsseBlobSizes(t, e.srv.DataDir)[sse.DualEncryptedSize(int64(len(body)))] {
		t.Errorf("no blob of %d bytes (two layers' tags per package) under the data directory", sse.DualEncryptedSize(int64(len(body))))
	}
	if path := sseDiskHolds(t, e.srv.DataDir, body); path != "" {
		t.Fatalf("plaintext of a DSSE object found in %s", path)
	}
	for _, c := range []struct {
		name string
		mod  func(*s3.GetObjectInput)
		want []byte
	}{
		{"whole", func(*s3.GetObjectInput) {}, body},
		{"range across packages", func(in *s3.GetObjectInput) { in.Range = aws.String("bytes=60000-200000") }, body[60000:200001]},
		{"last byte", func(in *s3.GetObjectInput) { in.Range = aws.String("bytes=-1") }, body[len(body)-1:]},
		{"partNumber 1", func(in *s3.GetObjectInput) { in.PartNumber = aws.Int32(1) }, body},
	} {
		got, out, err := sseGet(e.c, e.bucket, "k", nil, c.mod)
		if err != nil || !bytes.Equal(got, c.want) {
			t.Fatalf("GET %s: %v (%d bytes)", c.name, err, len(got))
		}
		dsseWant(t, "GET "+c.name, out.ServerSideEncryption, out.SSEKMSKeyId, out.BucketKeyEnabled, arn)
	}
	head, err := e.c.HeadObject(ckCtx(), &s3.HeadObjectInput{Bucket: &e.bucket, Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	dsseWant(t, "HEAD", head.ServerSideEncryption, head.SSEKMSKeyId, head.BucketKeyEnabled, arn)

	// No key ID: the account's aws/s3 key; a bucket-key flag is accepted
	// and not applied (nextcloud/server#62539).
	managed, err := dssePut(e.c, e.bucket, "managed", "", body, func(in *s3.PutObjectInput) { in.BucketKeyEnabled = aws.Bool(true) })
	if err != nil {
		t.Fatalf("PutObject aws:kms:dsse without a key ID: %v", err)
	}
	kms, err := kmsPut(e.c, e.bucket, "kms", "", body)
	if err != nil {
		t.Fatal(err)
	}
	dsseWant(t, "PutObject with the aws/s3 key and a bucket key", managed.ServerSideEncryption, managed.SSEKMSKeyId, managed.BucketKeyEnabled, aws.ToString(kms.SSEKMSKeyId))

	ctxJSON := base64.StdEncoding.EncodeToString([]byte(`{"layer":"two"}`))
	withCtx, err := dssePut(e.c, e.bucket, "ctx", id, body, func(in *s3.PutObjectInput) { in.SSEKMSEncryptionContext = &ctxJSON })
	if err != nil || aws.ToString(withCtx.SSEKMSEncryptionContext) != ctxJSON {
		t.Errorf("PutObject with a context: %v, echoed %q", err, aws.ToString(withCtx.SSEKMSEncryptionContext))
	}
	if got, _, err := sseGet(e.c, e.bucket, "ctx", nil); err != nil || !bytes.Equal(got, body) {
		t.Errorf("GET the object with a context: %v", err)
	}

	// The aws:kms errors apply unchanged (research10kms R2, Q7, research10 Q10).
	_, err = dssePut(e.c, e.bucket, "bad", "fake-key-id", body)
	ckWantErr(t, "unknown key", err, "KMS.NotFoundException", 400, "Invalid keyId 'fake-key-id'")
	bad := "not json"
	_, err = dssePut(e.c, e.bucket, "bad", id, body, func(in *s3.PutObjectInput) { in.SSEKMSEncryptionContext = &bad })
	ckWantErr(t, "malformed context", err, "InvalidArgument", 400,
		"The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map")
	e.wantAbsent("bad")

	keys := e.srv.Internal().Keys()
	if err := keys.SetEnabled(context.Background(), id, false); err != nil {
		t.Fatal(err)
	}
	_, _, err = sseGet(e.c, e.bucket, "k", nil)
	ckWantErr(t, "GET under a disabled key", err, "KMS.DisabledException", 400, arn+" is disabled.")
	if err := keys.SetEnabled(context.Background(), id, true); err != nil {
		t.Fatal(err)
	}
	if got, _, err := sseGet(e.c, e.bucket, "k", nil); err != nil || !bytes.Equal(got, body) {
		t.Errorf("GET after enabling the key again: %v", err)
	}
}

// TestSSEDSSEWithCustomerKey: SSE-C headers beside aws:kms:dsse are S3's
// "incompatible" InvalidArgument, as with any x-amz-server-side-encryption
// value (research10 Q10; recorded for AES256 and aws:kms, assumed for DSSE).
func TestSSEDSSEWithCustomerKey(t *testing.T) {
	e := ckNew(t, true)
	k := newSSECKey(12)
	_, err := dssePut(e.c, e.bucket, "both", "", []byte("x"), func(in *s3.PutObjectInput) {
		k.set(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
	})
	ckWantErr(t, "aws:kms:dsse with SSE-C", err, "InvalidArgument", 400, "Server Side Encryption with Customer provided key is incompatible with the encryption method specified")
	e.wantAbsent("both")
}

// TestSSEDSSECopyAndMultipart: every write path S3 takes aws:kms:dsse on —
// CopyObject (from and to DSSE), a multipart upload with a checksum
// algorithm whose parts (UploadPart, UploadPartCopy from a DSSE source)
// and Complete echo it (as aws:kms does, research10kms R5) — and the
// object reads back whole, by range across parts and by partNumber.
func TestSSEDSSECopyAndMultipart(t *testing.T) {
	e := ckNew(t, false, tesseratest.WithMinPartSize(1))
	id, arn := e.srv.NewKMSKey(tesseratest.RootAccountID)
	// Parts of several 64 KiB packages each, not package-aligned.
	parts := [][]byte{ckRand(150_000, 112), ckRand(140_000, 113), ckRand(70_000, 114)}
	if _, err := dssePut(e.c, e.bucket, "src", id, parts[2]); err != nil {
		t.Fatal(err)
	}

	cp, err := e.c.CopyObject(ckCtx(), &s3.CopyObjectInput{Bucket: &e.bucket, Key: aws.String("copy"), CopySource: e.copySource("src"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKmsDsse, SSEKMSKeyId: &id})
	if err != nil {
		t.Fatalf("CopyObject to aws:kms:dsse: %v", err)
	}
	dsseWant(t, "CopyObject", cp.ServerSideEncryption, cp.SSEKMSKeyId, cp.BucketKeyEnabled, arn)
	if got, _, err := sseGet(e.c, e.bucket, "copy", nil); err != nil || !bytes.Equal(got, parts[2]) {
		t.Errorf("GET the copy: %v", err)
	}
	// Copying out of DSSE without encryption headers does not inherit it
	// (AWS CopyObject reference, research10kms Q8).
	plain, err := e.c.CopyObject(ckCtx(), &s3.CopyObjectInput{Bucket: &e.bucket, Key: aws.String("plain"), CopySource: e.copySource("src")})
	if err != nil || plain.ServerSideEncryption == types.ServerSideEncryptionAwsKmsDsse {
		t.Errorf("CopyObject out of DSSE: %v, %q", err, plain.ServerSideEncryption)
	}

	key := "mpu"
	created, err := e.c.CreateMultipartUpload(ckCtx(), &s3.CreateMultipartUploadInput{Bucket: &e.bucket, Key: &key,
		ServerSideEncryption: types.ServerSideEncryptionAwsKmsDsse, SSEKMSKeyId: &id, ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
	if err != nil {
		t.Fatalf("CreateMultipartUpload aws:kms:dsse: %v", err)
	}
	dsseWant(t, "CreateMultipartUpload", created.ServerSideEncryption, created.SSEKMSKeyId, created.BucketKeyEnabled, arn)
	uploadID := aws.ToString(created.UploadId)
	var done []types.CompletedPart
	for i, p := range parts[:2] {
		out, err := e.uploadPart(nil, key, uploadID, int32(i+1), p, "SHA256")
		if err != nil {
			t.Fatalf("UploadPart %d: %v", i+1, err)
		}
		dsseWant(t, fmt.Sprintf("UploadPart %d", i+1), out.ServerSideEncryption, out.SSEKMSKeyId, out.BucketKeyEnabled, arn)
		done = append(done, ckCompleted(int32(i+1), aws.ToString(out.ETag), "SHA256", ckSum("SHA256", p)))
	}
	upc, err := e.c.UploadPartCopy(ckCtx(), &s3.UploadPartCopyInput{Bucket: &e.bucket, Key: &key, UploadId: &uploadID, PartNumber: aws.Int32(3), CopySource: e.copySource("src")})
	if err != nil {
		t.Fatalf("UploadPartCopy from a DSSE source: %v", err)
	}
	dsseWant(t, "UploadPartCopy", upc.ServerSideEncryption, upc.SSEKMSKeyId, upc.BucketKeyEnabled, arn)
	done = append(done, ckCompleted(3, aws.ToString(upc.CopyPartResult.ETag), "SHA256", ckSum("SHA256", parts[2])))
	if lp, err := e.c.ListParts(ckCtx(), &s3.ListPartsInput{Bucket: &e.bucket, Key: &key, UploadId: &uploadID}); err != nil || len(lp.Parts) != 3 {
		t.Fatalf("ListParts: %v", err)
	}
	out, err := e.complete(key, uploadID, done)
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	dsseWant(t, "CompleteMultipartUpload", out.ServerSideEncryption, out.SSEKMSKeyId, out.BucketKeyEnabled, arn)

	all := ckConcat(parts)
	boundary := int64(len(parts[0]))
	for _, c := range []struct {
		name string
		mod  func(*s3.GetObjectInput)
		want []byte
	}{
		{"whole", func(*s3.GetObjectInput) {}, all},
		{"range across parts 1-2", func(in *s3.GetObjectInput) {
			in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", boundary-70_000, boundary+70_000))
		}, all[boundary-70_000 : boundary+70_001]},
		{"partNumber 2", func(in *s3.GetObjectInput) { in.PartNumber = aws.Int32(2) }, parts[1]},
		{"partNumber 3 (copied)", func(in *s3.GetObjectInput) { in.PartNumber = aws.Int32(3) }, parts[2]},
	} {
		got, gout, err := sseGet(e.c, e.bucket, key, nil, c.mod)
		if err != nil || !bytes.Equal(got, c.want) {
			t.Fatalf("GET %s: %v (%d bytes)", c.name, err, len(got))
		}
		dsseWant(t, "GET "+c.name, gout.ServerSideEncryption, gout.SSEKMSKeyId, gout.BucketKeyEnabled, arn)
	}
}

// TestSSEDSSEBucketDefault: an aws:kms:dsse bucket default (the schema's
// third SSEAlgorithm, which S3 accepts with a KMSMasterKeyID: research10 Q9
// message "... not aws:kms or aws:kms:dsse") applies to single and
// multipart writes that ask for nothing; GetBucketEncryption keeps the
// configuration as stored.
func TestSSEDSSEBucketDefault(t *testing.T) {
	e := ckNew(t, false)
	id, arn := e.srv.NewKMSKey(tesseratest.RootAccountID)
	if _, err := e.c.PutBucketEncryption(ckCtx(), &s3.PutBucketEncryptionInput{Bucket: &e.bucket,
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAwsKmsDsse, KMSMasterKeyID: &id},
		}}}}); err != nil {
		t.Fatalf("PutBucketEncryption aws:kms:dsse: %v", err)
	}
	got, err := e.c.GetBucketEncryption(ckCtx(), &s3.GetBucketEncryptionInput{Bucket: &e.bucket})
	if err != nil {
		t.Fatal(err)
	}
	def := got.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault
	if def.SSEAlgorithm != types.ServerSideEncryptionAwsKmsDsse || aws.ToString(def.KMSMasterKeyID) != id {
		t.Errorf("GetBucketEncryption: %q %q", def.SSEAlgorithm, aws.ToString(def.KMSMasterKeyID))
	}
	put := e.put("k", []byte("under the dsse default"))
	dsseWant(t, "PutObject under the default", put.ServerSideEncryption, put.SSEKMSKeyId, put.BucketKeyEnabled, arn)
	created, err := e.c.CreateMultipartUpload(ckCtx(), &s3.CreateMultipartUploadInput{Bucket: &e.bucket, Key: aws.String("mpu")})
	if err != nil {
		t.Fatal(err)
	}
	dsseWant(t, "CreateMultipartUpload under the default", created.ServerSideEncryption, created.SSEKMSKeyId, created.BucketKeyEnabled, arn)
	r := e.ckDo("GET", "/"+e.bucket+"/k", nil, nil, "")
	if r.Status != 200 || string(r.Body) != "under the dsse default" || r.Header.Get("x-amz-server-side-encryption") != "aws:kms:dsse" ||
		!strings.HasSuffix(r.Header.Get("x-amz-server-side-encryption-aws-kms-key-id"), id) {
		t.Errorf("GET: %d %q %v", r.Status, r.Body, r.Header)
	}
}

// TestSSEDSSEKeyRotation: rotating the KMS key of DSSE-KMS objects re-seals
// both data keys of every blob (one record per blob) without touching the
// bytes, and the objects read back byte for byte after the rotation and a
// restart (the rotation rules of TestSSEKMSKeyRotation, for two layers).
func TestSSEDSSEKeyRotation(t *testing.T) {
	e := ckNew(t, false, tesseratest.WithMinPartSize(1))
	id, _ := e.srv.NewKMSKey(tesseratest.RootAccountID)
	want := map[string][]byte{"single": ckRand(150_000, 331)}
	if _, err := dssePut(e.c, e.bucket, "single", id, want["single"]); err != nil {
		t.Fatal(err)
	}
	mpu := ckParts(3, 332)
	e.sseMPU("mpu", types.ServerSideEncryptionAwsKmsDsse, id, mpu)
	want["mpu"] = bytes.Join(mpu, nil)
	k, err := e.srv.Internal().Keys().Rotate(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if k.Resealed != 4 || k.ResealPending() {
		t.Fatalf("rotation re-sealed %d records (pending %v), want 4: 1 single + 3 segments", k.Resealed, k.ResealPending())
	}
	e.sseWantBodies("after rotation", want, nil)
	e.srv.Restart()
	e.c, e.rec = e.client(ckWhenSupported)
	e.sseWantBodies("after restart", want, nil)
}
