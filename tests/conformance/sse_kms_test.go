package conformance

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// SSE-KMS as S3 answers it: LocalStack's snapshots recorded against AWS
// (test_s3_sse_validate_kms_key, _key_state, TestS3BucketEncryption),
// compiled in research10kms (R1–R3).

// kmsPut stores body under key with aws:kms and the given key reference.
func kmsPut(c *s3.Client, bucket, key, ref string, body []byte, mods ...func(*s3.PutObjectInput)) (*s3.PutObjectOutput, error) {
	in := &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(body), ServerSideEncryption: types.ServerSideEncryptionAwsKms}
	if ref != "" {
		in.SSEKMSKeyId = &ref
	}
	for _, m := range mods {
		m(in)
	}
	return c.PutObject(ckCtx(), in)
}

// TestSSEKMSObject: a key's objects answer aws:kms and the key's ARN
// whatever form the request named it in; no key ID means the account's
// aws/s3 key; the ETag is not the MD5; a disabled key makes its objects
// unwritable and unreadable until it is enabled again.
func TestSSEKMSObject(t *testing.T) {
	e := ckNew(t, false)
	id, arn := e.srv.NewKMSKey(tesseratest.RootAccountID)
	body := ckRand(150_000, 101)
	for _, ref := range []string{id, arn} {
		out, err := kmsPut(e.c, e.bucket, "k", ref, body)
		if err != nil {
			t.Fatalf("PutObject aws:kms %s: %v", ref, err)
		}
		if out.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(out.SSEKMSKeyId) != arn || aws.ToString(out.ETag) == ckMD5ETag(body) {
			t.Errorf("PutObject with %s: %q %q ETag %s; want aws:kms, %s, not the MD5", ref, out.ServerSideEncryption, aws.ToString(out.SSEKMSKeyId), aws.ToString(out.ETag), arn)
		}
		if out.BucketKeyEnabled != nil {
			t.Errorf("BucketKeyEnabled answered %v without being asked (S3 omits it when false)", *out.BucketKeyEnabled)
		}
	}
	got, out, err := sseGet(e.c, e.bucket, "k", nil, func(in *s3.GetObjectInput) { in.Range = aws.String("bytes=60000-130000") })
	if err != nil || !bytes.Equal(got, body[60000:130001]) || aws.ToString(out.SSEKMSKeyId) != arn {
		t.Fatalf("GET range: %v (key %q)", err, aws.ToString(out.SSEKMSKeyId))
	}
	head, err := e.c.HeadObject(ckCtx(), &s3.HeadObjectInput{Bucket: &e.bucket, Key: aws.String("k")})
	if err != nil || head.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(head.SSEKMSKeyId) != arn {
		t.Errorf("HEAD: %v", err)
	}

	managed, err := kmsPut(e.c, e.bucket, "managed", "", body, func(in *s3.PutObjectInput) { in.BucketKeyEnabled = aws.Bool(true) })
	if err != nil {
		t.Fatalf("PutObject aws:kms without a key ID: %v", err)
	}
	if m := aws.ToString(managed.SSEKMSKeyId); m == arn || !strings.HasPrefix(m, "arn:aws:kms:us-east-1:"+tesseratest.RootAccountID+":key/") || !aws.ToBool(managed.BucketKeyEnabled) {
		t.Errorf("the aws/s3 key: %q, bucket key %v", m, managed.BucketKeyEnabled)
	}
	again, err := kmsPut(e.c, e.bucket, "managed2", "", body)
	if err != nil || aws.ToString(again.SSEKMSKeyId) != aws.ToString(managed.SSEKMSKeyId) {
		t.Errorf("the aws/s3 key is not reused: %v %q", err, aws.ToString(again.SSEKMSKeyId))
	}

	ctxJSON := base64.StdEncoding.EncodeToString([]byte(`{"project":"tessera"}`))
	withCtx, err := kmsPut(e.c, e.bucket, "ctx", id, body, func(in *s3.PutObjectInput) { in.SSEKMSEncryptionContext = &ctxJSON })
	if err != nil || aws.ToString(withCtx.SSEKMSEncryptionContext) != ctxJSON {
		t.Errorf("PutObject with a context: %v, echoed %q", err, aws.ToString(withCtx.SSEKMSEncryptionContext))
	}
	if got, _, err := sseGet(e.c, e.bucket, "ctx", nil); err != nil || !bytes.Equal(got, body) {
		t.Errorf("GET the object with a context: %v", err)
	}

	_, err = kmsPut(e.c, e.bucket, "bad", "fake-key-id", body)
	ckWantErr(t, "unknown key", err, "KMS.NotFoundException", 400, "Invalid keyId 'fake-key-id'")
	bad := "not json"
	_, err = kmsPut(e.c, e.bucket, "bad", id, body, func(in *s3.PutObjectInput) { in.SSEKMSEncryptionContext = &bad })
	ckWantErr(t, "malformed context", err, "InvalidArgument", 400,
		"The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map")
	_, err = e.c.PutObject(ckCtx(), &s3.PutObjectInput{Bucket: &e.bucket, Key: aws.String("bad"), Body: bytes.NewReader(body),
		ServerSideEncryption: types.ServerSideEncryptionAes256, SSEKMSKeyId: &id})
	ckWantErr(t, "a KMS key with AES256", err, "InvalidArgument", 400, "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms")
	e.wantAbsent("bad")

	keys := e.srv.Internal().Keys()
	if err := keys.SetEnabled(context.Background(), id, false); err != nil {
		t.Fatal(err)
	}
	_, _, err = sseGet(e.c, e.bucket, "k", nil)
	ckWantErr(t, "GET under a disabled key", err, "KMS.DisabledException", 400, arn+" is disabled.")
	_, err = kmsPut(e.c, e.bucket, "k2", id, body)
	ckWantErr(t, "PUT under a disabled key", err, "KMS.DisabledException", 400, arn+" is disabled.")
	if got, _, err := sseGet(e.c, e.bucket, "managed", nil); err != nil || !bytes.Equal(got, body) {
		t.Errorf("an object under another key: %v", err)
	}
	if err := keys.SetEnabled(context.Background(), id, true); err != nil {
		t.Fatal(err)
	}
	if got, _, err := sseGet(e.c, e.bucket, "k", nil); err != nil || !bytes.Equal(got, body) {
		t.Errorf("GET after enabling the key again: %v", err)
	}
}

// TestSSEKMSPermissions: using a key takes the key's permission as well as
// the bucket's: another account allowed s3:GetObject and
// s3:ListMultipartUploadParts by the bucket policy still needs kms:Decrypt
// from the key policy — to read, and to list the parts of an upload created
// with a checksum algorithm (the seed's ListParts page) — and
// kms:GenerateDataKey to write (403 AccessDenied as recorded in
// copilot-cli#5500 and boto3#2952).
func TestSSEKMSPermissions(t *testing.T) {
	e := ckNew(t, false, tesseratest.WithMinPartSize(1))
	bob := e.srv.NewAccount("bob")
	id, arn := e.srv.NewKMSKey(tesseratest.RootAccountID)
	acctPolicy(t, e.c, e.bucket, acctDoc(acctStmt("Allow", map[string]string{
		"Principal": acctAWS(bob.ID),
		"Action":    acctList("s3:GetObject", "s3:PutObject", "s3:ListMultipartUploadParts"),
		"Resource":  acctList(acctObjARN(e.bucket, "*")),
	})))
	body := ckRand(70_000, 102)
	if _, err := kmsPut(e.c, e.bucket, "secret", id, body); err != nil {
		t.Fatal(err)
	}
	mpu, err := e.c.CreateMultipartUpload(ckCtx(), &s3.CreateMultipartUploadInput{Bucket: &e.bucket, Key: aws.String("mpu"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: &id, ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
	if err != nil || aws.ToString(mpu.SSEKMSKeyId) != arn {
		t.Fatalf("Create aws:kms: %v", err)
	}
	uploadID := aws.ToString(mpu.UploadId)
	part, err := e.uploadPart(nil, "mpu", uploadID, 1, body, "SHA256")
	if err != nil || part.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(part.SSEKMSKeyId) != arn {
		t.Fatalf("UploadPart: %v", err)
	}
	denied := func(action string) string {
		return fmt.Sprintf("User: arn:aws:iam::%s:root is not authorized to perform: %s on resource: %s because no resource-based policy allows the %s action", bob.ID, action, arn, action)
	}
	listParts := func() error {
		_, err := bob.S3.ListParts(ckCtx(), &s3.ListPartsInput{Bucket: &e.bucket, Key: aws.String("mpu"), UploadId: &uploadID})
		return err
	}
	_, _, err = sseGet(bob.S3, e.bucket, "secret", nil)
	ckWantErr(t, "bob GET without kms:Decrypt", err, "AccessDenied", 403, denied("kms:Decrypt"))
	ckWantErr(t, "bob ListParts without kms:Decrypt", listParts(), "AccessDenied", 403, denied("kms:Decrypt"))
	// Another account's key is named by its ARN: a bare key ID resolves in
	// the requester's own account (AWS PutObject reference).
	_, err = kmsPut(bob.S3, e.bucket, "bobs", id, body)
	ckWantErr(t, "bob PUT naming root's key by bare ID", err, "KMS.NotFoundException", 400, "")
	_, err = kmsPut(bob.S3, e.bucket, "bobs", arn, body)
	ckWantErr(t, "bob PUT without kms:GenerateDataKey", err, "AccessDenied", 403, denied("kms:GenerateDataKey"))

	policy := acctDoc(acctStmt("Allow", map[string]string{"Principal": acctAWS(bob.ID), "Action": acctList("kms:Decrypt", "kms:GenerateDataKey"), "Resource": `"*"`}))
	if err := e.srv.Internal().Keys().PutPolicy(context.Background(), id, []byte(policy)); err != nil {
		t.Fatal(err)
	}
	if got, _, err := sseGet(bob.S3, e.bucket, "secret", nil); err != nil || !bytes.Equal(got, body) {
		t.Errorf("bob GET with kms:Decrypt: %v", err)
	}
	if err := listParts(); err != nil {
		t.Errorf("bob ListParts with kms:Decrypt: %v", err)
	}
	if _, err := kmsPut(bob.S3, e.bucket, "bobs", arn, body); err != nil {
		t.Errorf("bob PUT with kms:GenerateDataKey: %v", err)
	}
	// The owner never needed a key policy.
	out, err := e.complete("mpu", uploadID, []types.CompletedPart{ckCompleted(1, aws.ToString(part.ETag), "SHA256", ckSum("SHA256", body))})
	if err != nil || out.ServerSideEncryption != types.ServerSideEncryptionAwsKms {
		t.Fatalf("Complete: %v", err)
	}
	if got, _, err := sseGet(e.c, e.bucket, "mpu", nil); err != nil || !bytes.Equal(got, body) {
		t.Errorf("GET the SSE-KMS multipart object: %v", err)
	}
}

// TestSSEKMSBucketDefault: an aws:kms bucket default with a key applies to
// writes that ask for nothing; S3 keeps KMSMasterKeyID as stored.
func TestSSEKMSBucketDefault(t *testing.T) {
	e := ckNew(t, false)
	id, arn := e.srv.NewKMSKey(tesseratest.RootAccountID)
	if _, err := e.c.PutBucketEncryption(ckCtx(), &s3.PutBucketEncryptionInput{Bucket: &e.bucket,
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: &id},
			BucketKeyEnabled:                   aws.Bool(true)}}}}); err != nil {
		t.Fatalf("PutBucketEncryption aws:kms: %v", err)
	}
	got, err := e.c.GetBucketEncryption(ckCtx(), &s3.GetBucketEncryptionInput{Bucket: &e.bucket})
	if err != nil || aws.ToString(got.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.KMSMasterKeyID) != id {
		t.Fatalf("GetBucketEncryption: %v", err)
	}
	put := e.put("k", []byte("under the default"))
	if put.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(put.SSEKMSKeyId) != arn || !aws.ToBool(put.BucketKeyEnabled) {
		t.Errorf("PutObject under an aws:kms default: %q %q %v", put.ServerSideEncryption, aws.ToString(put.SSEKMSKeyId), put.BucketKeyEnabled)
	}
	r := e.ckDo("GET", "/"+e.bucket+"/k", http.Header{}, nil, "")
	if r.Status != 200 || string(r.Body) != "under the default" || r.Header.Get("x-amz-server-side-encryption") != "aws:kms" {
		t.Errorf("GET: %d %q", r.Status, r.Body)
	}
}
