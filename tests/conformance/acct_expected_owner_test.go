package conformance

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// TestAcctExpectedBucketOwnerMultipart: x-amz-expected-bucket-owner on
// ListParts, UploadPart, CompleteMultipartUpload (and Create/Abort): the
// owner's account ID → success; any other ID → 403 AccessDenied before any
// side effect.
func TestAcctExpectedBucketOwnerMultipart(t *testing.T) {
	e := acctNew(t)
	a := e.a.S3
	bucket := acctBucket(t, a)
	right, wrongs := e.a.ID, []string{e.b.ID, tesseratest.RootAccountID, "999999999999"}
	id := acctUpload(t, a, bucket, "mp")

	for _, wrong := range wrongs {
		_, err := acctListParts(a, bucket, "mp", id, func(in *s3.ListPartsInput) { in.ExpectedBucketOwner = aws.String(wrong) })
		acctDenied(t, "ListParts with ExpectedBucketOwner "+wrong, err)
		_, err = acctUploadPart(a, bucket, "mp", id, 1, "must not be stored", func(in *s3.UploadPartInput) { in.ExpectedBucketOwner = aws.String(wrong) })
		acctDenied(t, "UploadPart with ExpectedBucketOwner "+wrong, err)
	}
	lp, err := acctListParts(a, bucket, "mp", id, func(in *s3.ListPartsInput) { in.ExpectedBucketOwner = aws.String(right) })
	if err != nil {
		t.Fatalf("ListParts with the right ExpectedBucketOwner: %v", err)
	}
	if len(lp.Parts) != 0 {
		t.Errorf("ListParts after refused UploadParts: %d parts, want none (a refused part was stored)", len(lp.Parts))
	}

	p1, err := acctUploadPart(a, bucket, "mp", id, 1, "part one", func(in *s3.UploadPartInput) { in.ExpectedBucketOwner = aws.String(right) })
	if err != nil {
		t.Fatalf("UploadPart with the right ExpectedBucketOwner: %v", err)
	}
	parts := []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: p1.ETag}}
	for _, wrong := range wrongs {
		_, err = acctComplete(a, bucket, "mp", id, parts, func(in *s3.CompleteMultipartUploadInput) { in.ExpectedBucketOwner = aws.String(wrong) })
		acctDenied(t, "CompleteMultipartUpload with ExpectedBucketOwner "+wrong, err)
		_, err = a.AbortMultipartUpload(acctCtx(), &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("mp"), UploadId: aws.String(id), ExpectedBucketOwner: aws.String(wrong)})
		acctDenied(t, "AbortMultipartUpload with ExpectedBucketOwner "+wrong, err)
		_, err = a.CreateMultipartUpload(acctCtx(), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("other"), ExpectedBucketOwner: aws.String(wrong)})
		acctDenied(t, "CreateMultipartUpload with ExpectedBucketOwner "+wrong, err)
		_, err = a.ListMultipartUploads(acctCtx(), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), ExpectedBucketOwner: aws.String(wrong)})
		acctDenied(t, "ListMultipartUploads with ExpectedBucketOwner "+wrong, err)
	}
	// Nothing happened: the upload is still there with its one part, no object, no other upload.
	lp, err = acctListParts(a, bucket, "mp", id)
	if err != nil || len(lp.Parts) != 1 {
		t.Fatalf("ListParts after refused Complete/Abort: %v, %v", err, lp)
	}
	if _, err := a.HeadObject(acctCtx(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("mp")}); acctStatus(err) != http.StatusNotFound {
		t.Errorf("HeadObject after refused Complete: %v, want 404", err)
	}
	ups, err := a.ListMultipartUploads(acctCtx(), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), ExpectedBucketOwner: aws.String(right)})
	if err != nil || len(ups.Uploads) != 1 {
		t.Errorf("ListMultipartUploads: %v, %d uploads, want 1 (a refused CreateMultipartUpload left one?)", err, len(ups.Uploads))
	}

	_, err = acctComplete(a, bucket, "mp", id, parts, func(in *s3.CompleteMultipartUploadInput) { in.ExpectedBucketOwner = aws.String(right) })
	acctOK(t, "CompleteMultipartUpload with the right ExpectedBucketOwner", err)
	acctWantBody(t, a, bucket, "mp", "part one")
	id2 := acctUpload(t, a, bucket, "mp2")
	_, err = a.AbortMultipartUpload(acctCtx(), &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("mp2"), UploadId: aws.String(id2), ExpectedBucketOwner: aws.String(right)})
	acctOK(t, "AbortMultipartUpload with the right ExpectedBucketOwner", err)
}

// TestAcctExpectedBucketOwnerObjects: the header on object and bucket
// operations, and the copy-source variant.
func TestAcctExpectedBucketOwnerObjects(t *testing.T) {
	e := acctNew(t)
	a := e.a.S3
	bucket := acctBucket(t, a)
	other := acctBucket(t, e.b.S3) // bob's
	acctPut(t, a, bucket, "k", "original")
	right, wrong := aws.String(e.a.ID), aws.String(e.b.ID)

	_, _, err := acctGet(a, bucket, "k", func(in *s3.GetObjectInput) { in.ExpectedBucketOwner = wrong })
	acctDenied(t, "GetObject with a wrong ExpectedBucketOwner", err)
	body, _, err := acctGet(a, bucket, "k", func(in *s3.GetObjectInput) { in.ExpectedBucketOwner = right })
	if err != nil || body != "original" {
		t.Errorf("GetObject with the right ExpectedBucketOwner: %v %q", err, body)
	}
	_, err = a.HeadObject(acctCtx(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), ExpectedBucketOwner: wrong})
	acctWantErr(t, "HeadObject with a wrong ExpectedBucketOwner", err, "", http.StatusForbidden)

	_, err = a.PutObject(acctCtx(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("overwritten"), ExpectedBucketOwner: wrong})
	acctDenied(t, "PutObject with a wrong ExpectedBucketOwner", err)
	_, err = a.PutObject(acctCtx(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("new"), Body: strings.NewReader("x"), ExpectedBucketOwner: wrong})
	acctDenied(t, "PutObject (new key) with a wrong ExpectedBucketOwner", err)
	_, err = a.DeleteObject(acctCtx(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), ExpectedBucketOwner: wrong})
	acctDenied(t, "DeleteObject with a wrong ExpectedBucketOwner", err)
	_, err = a.DeleteObjects(acctCtx(), &s3.DeleteObjectsInput{Bucket: aws.String(bucket), ExpectedBucketOwner: wrong,
		Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("k")}}}})
	acctDenied(t, "DeleteObjects with a wrong ExpectedBucketOwner", err)
	_, err = a.ListObjectsV2(acctCtx(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), ExpectedBucketOwner: wrong})
	acctDenied(t, "ListObjectsV2 with a wrong ExpectedBucketOwner", err)
	_, err = a.HeadBucket(acctCtx(), &s3.HeadBucketInput{Bucket: aws.String(bucket), ExpectedBucketOwner: wrong})
	acctWantErr(t, "HeadBucket with a wrong ExpectedBucketOwner", err, "", http.StatusForbidden)
	_, err = a.PutBucketPolicy(acctCtx(), &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), ExpectedBucketOwner: wrong,
		Policy: aws.String(acctAllowB(e, bucket, "s3:GetObject"))})
	acctDenied(t, "PutBucketPolicy with a wrong ExpectedBucketOwner", err)
	_, err = a.GetBucketPolicy(acctCtx(), &s3.GetBucketPolicyInput{Bucket: aws.String(bucket), ExpectedBucketOwner: wrong})
	acctDenied(t, "GetBucketPolicy with a wrong ExpectedBucketOwner", err)
	_, err = a.PutBucketRequestPayment(acctCtx(), &s3.PutBucketRequestPaymentInput{Bucket: aws.String(bucket), ExpectedBucketOwner: wrong,
		RequestPaymentConfiguration: &types.RequestPaymentConfiguration{Payer: types.PayerRequester}})
	acctDenied(t, "PutBucketRequestPayment with a wrong ExpectedBucketOwner", err)
	_, err = a.DeleteBucket(acctCtx(), &s3.DeleteBucketInput{Bucket: aws.String(bucket), ExpectedBucketOwner: wrong})
	acctDenied(t, "DeleteBucket with a wrong ExpectedBucketOwner", err)

	// No side effects.
	acctWantBody(t, a, bucket, "k", "original")
	if _, err := a.HeadObject(acctCtx(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("new")}); acctStatus(err) != http.StatusNotFound {
		t.Errorf("HeadObject new after a refused PutObject: %v, want 404", err)
	}
	if _, err := a.GetBucketPolicy(acctCtx(), &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)}); acctCode(err) != "NoSuchBucketPolicy" {
		t.Errorf("GetBucketPolicy after a refused put: %v, want NoSuchBucketPolicy", err)
	}
	if rp, err := a.GetBucketRequestPayment(acctCtx(), &s3.GetBucketRequestPaymentInput{Bucket: aws.String(bucket)}); err != nil || rp.Payer != types.PayerBucketOwner {
		t.Errorf("GetBucketRequestPayment after a refused put: %v %v", err, rp)
	}
	_, err = a.HeadBucket(acctCtx(), &s3.HeadBucketInput{Bucket: aws.String(bucket), ExpectedBucketOwner: right})
	acctOK(t, "HeadBucket with the right ExpectedBucketOwner", err)

	// Copy: x-amz-expected-bucket-owner checks the destination,
	// x-amz-source-expected-bucket-owner the source. Bob may read nothing of
	// alice's, so alice copies within her bucket and into... her own bucket.
	cp := func(mod func(*s3.CopyObjectInput)) error {
		in := &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy"), CopySource: aws.String(bucket + "/k")}
		mod(in)
		_, err := a.CopyObject(acctCtx(), in)
		return err
	}
	acctDenied(t, "CopyObject with a wrong ExpectedSourceBucketOwner", cp(func(in *s3.CopyObjectInput) { in.ExpectedSourceBucketOwner = wrong }))
	acctDenied(t, "CopyObject with a wrong ExpectedBucketOwner", cp(func(in *s3.CopyObjectInput) { in.ExpectedBucketOwner = wrong }))
	if _, err := a.HeadObject(acctCtx(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy")}); acctStatus(err) != http.StatusNotFound {
		t.Errorf("HeadObject copy after refused copies: %v, want 404", err)
	}
	acctOK(t, "CopyObject with the right owners", cp(func(in *s3.CopyObjectInput) {
		in.ExpectedBucketOwner, in.ExpectedSourceBucketOwner = right, right
	}))
	acctWantBody(t, a, bucket, "copy", "original")

	// Cross-account copy: bob copies from alice's bucket (read granted) into his own.
	acctPolicy(t, a, bucket, acctAllowB(e, bucket, "s3:GetObject"))
	bcp := func(src, dst *string) error {
		_, err := e.b.S3.CopyObject(acctCtx(), &s3.CopyObjectInput{Bucket: aws.String(other), Key: aws.String("from-alice"), CopySource: aws.String(bucket + "/k"),
			ExpectedSourceBucketOwner: src, ExpectedBucketOwner: dst})
		return err
	}
	acctDenied(t, "bob CopyObject with ExpectedSourceBucketOwner = bob", bcp(aws.String(e.b.ID), aws.String(e.b.ID)))
	acctDenied(t, "bob CopyObject with ExpectedBucketOwner = alice", bcp(aws.String(e.a.ID), aws.String(e.a.ID)))
	acctOK(t, "bob CopyObject alice's → bob's with the right owners", bcp(aws.String(e.a.ID), aws.String(e.b.ID)))
	acctWantBody(t, e.b.S3, other, "from-alice", "original")

	// UploadPartCopy: the source variant too.
	id := acctUpload(t, e.b.S3, other, "assembled")
	upc := func(src *string) error {
		_, err := e.b.S3.UploadPartCopy(acctCtx(), &s3.UploadPartCopyInput{Bucket: aws.String(other), Key: aws.String("assembled"), UploadId: aws.String(id),
			PartNumber: aws.Int32(1), CopySource: aws.String(bucket + "/k"), ExpectedSourceBucketOwner: src})
		return err
	}
	acctDenied(t, "bob UploadPartCopy with a wrong ExpectedSourceBucketOwner", upc(aws.String(e.c.ID)))
	if lp, err := acctListParts(e.b.S3, other, "assembled", id); err != nil || len(lp.Parts) != 0 {
		t.Errorf("ListParts after a refused UploadPartCopy: %v, %v; want no parts", err, lp)
	}
	acctOK(t, "bob UploadPartCopy with the right ExpectedSourceBucketOwner", upc(aws.String(e.a.ID)))
}

// TestAcctExpectedBucketOwnerCrossAccount: an account granted access by
// policy names the real owner and succeeds; naming itself fails.
func TestAcctExpectedBucketOwnerCrossAccount(t *testing.T) {
	e := acctNew(t)
	a, b := e.a.S3, e.b.S3
	bucket := acctBucket(t, a)
	acctPut(t, a, bucket, "k", "v")
	acctPolicy(t, a, bucket, acctAllowB(e, bucket, "s3:GetObject", "s3:PutObject", "s3:ListMultipartUploadParts"))
	id := acctUpload(t, b, bucket, "bobs")

	_, _, err := acctGet(b, bucket, "k", func(in *s3.GetObjectInput) { in.ExpectedBucketOwner = aws.String(e.a.ID) })
	acctOK(t, "bob GetObject expecting alice", err)
	_, _, err = acctGet(b, bucket, "k", func(in *s3.GetObjectInput) { in.ExpectedBucketOwner = aws.String(e.b.ID) })
	acctDenied(t, "bob GetObject expecting himself", err)

	_, err = acctUploadPart(b, bucket, "bobs", id, 1, "zzz", func(in *s3.UploadPartInput) { in.ExpectedBucketOwner = aws.String(e.b.ID) })
	acctDenied(t, "bob UploadPart expecting himself", err)
	lp, err := acctListParts(b, bucket, "bobs", id, func(in *s3.ListPartsInput) { in.ExpectedBucketOwner = aws.String(e.a.ID) })
	if err != nil || len(lp.Parts) != 0 {
		t.Errorf("bob ListParts expecting alice: %v, %v; want success and no parts", err, lp)
	}
	_, err = acctListParts(b, bucket, "bobs", id, func(in *s3.ListPartsInput) { in.ExpectedBucketOwner = aws.String(e.b.ID) })
	acctDenied(t, "bob ListParts expecting himself", err)
	p, err := acctUploadPart(b, bucket, "bobs", id, 1, "zzz", func(in *s3.UploadPartInput) { in.ExpectedBucketOwner = aws.String(e.a.ID) })
	if err != nil {
		t.Fatalf("bob UploadPart expecting alice: %v", err)
	}
	parts := []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: p.ETag}}
	_, err = acctComplete(b, bucket, "bobs", id, parts, func(in *s3.CompleteMultipartUploadInput) { in.ExpectedBucketOwner = aws.String(e.b.ID) })
	acctDenied(t, "bob Complete expecting himself", err)
	_, err = acctComplete(b, bucket, "bobs", id, parts, func(in *s3.CompleteMultipartUploadInput) { in.ExpectedBucketOwner = aws.String(e.a.ID) })
	acctOK(t, "bob Complete expecting alice", err)
	acctWantBody(t, a, bucket, "bobs", "zzz")
}
