package conformance

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/iam"
)

func acctSetPayer(t testing.TB, c *s3.Client, bucket string, payer types.Payer) {
	t.Helper()
	if _, err := c.PutBucketRequestPayment(acctCtx(), &s3.PutBucketRequestPaymentInput{Bucket: aws.String(bucket),
		RequestPaymentConfiguration: &types.RequestPaymentConfiguration{Payer: payer}}); err != nil {
		t.Fatalf("PutBucketRequestPayment(%s, %s): %v", bucket, payer, err)
	}
}

func acctPayer(t testing.TB, c *s3.Client, bucket string) types.Payer {
	t.Helper()
	out, err := c.GetBucketRequestPayment(acctCtx(), &s3.GetBucketRequestPaymentInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("GetBucketRequestPayment(%s): %v", bucket, err)
	}
	return out.Payer
}

// TestAcctRequestPaymentRoundTrip: Put/GetBucketRequestPayment.
func TestAcctRequestPaymentRoundTrip(t *testing.T) {
	e := acctNew(t)
	a := e.a.S3
	bucket := acctBucket(t, a)
	if p := acctPayer(t, a, bucket); p != types.PayerBucketOwner {
		t.Errorf("new bucket Payer = %q, want BucketOwner", p)
	}
	acctSetPayer(t, a, bucket, types.PayerRequester)
	if p := acctPayer(t, a, bucket); p != types.PayerRequester {
		t.Errorf("Payer after put Requester = %q", p)
	}
	e.srv.Restart()
	a = e.srv.S3As(e.a.AccessKey, e.a.SecretKey)
	if p := acctPayer(t, a, bucket); p != types.PayerRequester {
		t.Errorf("Payer after restart = %q, want Requester", p)
	}
	acctSetPayer(t, a, bucket, types.PayerBucketOwner)
	if p := acctPayer(t, a, bucket); p != types.PayerBucketOwner {
		t.Errorf("Payer after put BucketOwner = %q", p)
	}
	_, err := a.PutBucketRequestPayment(acctCtx(), &s3.PutBucketRequestPaymentInput{Bucket: aws.String(bucket),
		RequestPaymentConfiguration: &types.RequestPaymentConfiguration{Payer: types.Payer("Nobody")}})
	acctWantErr(t, "PutBucketRequestPayment Payer=Nobody", err, "MalformedXML", http.StatusBadRequest)
	if p := acctPayer(t, a, bucket); p != types.PayerBucketOwner {
		t.Errorf("Payer after a refused put = %q", p)
	}
}

// TestAcctRequesterPays: on a Requester Pays bucket another account (with
// access by policy) must send x-amz-request-payer: requester, and is then
// charged (RequestCharged "requester"); the owner never is.
func TestAcctRequesterPays(t *testing.T) {
	e := acctNew(t)
	a, b := e.a.S3, e.b.S3
	bucket := acctBucket(t, a)
	const data = "requester pays for these bytes"
	acctPut(t, a, bucket, "obj", data)
	acctPolicy(t, a, bucket, acctDoc(acctStmt("Allow", map[string]string{
		"Principal": acctAWS(e.b.ID),
		"Action":    acctList("s3:GetObject", "s3:PutObject", "s3:ListMultipartUploadParts", "s3:ListBucket", "s3:ListBucketMultipartUploads"),
		"Resource":  acctList(acctBucketARN(bucket), acctObjARN(bucket, "*")),
	}), acctStmt("Allow", map[string]string{
		"Principal": `"*"`, "Action": `"s3:GetObject"`, "Resource": acctList(acctObjARN(bucket, "public/*")),
	})))
	acctPut(t, a, bucket, "public/p", "public")
	upload := acctUpload(t, a, bucket, "mp")
	if _, err := acctUploadPart(a, bucket, "mp", upload, 1, "owner part"); err != nil {
		t.Fatal(err)
	}
	acctSetPayer(t, a, bucket, types.PayerRequester)
	payer := func(in *types.RequestPayer) { *in = types.RequestPayerRequester }

	// Without the header: 403 for every operation of another account.
	_, _, err := acctGet(b, bucket, "obj")
	acctDenied(t, "bob GetObject without RequestPayer", err)
	_, err = b.HeadObject(acctCtx(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("obj")})
	acctWantErr(t, "bob HeadObject without RequestPayer", err, "", http.StatusForbidden)
	_, err = acctListParts(b, bucket, "mp", upload)
	acctDenied(t, "bob ListParts without RequestPayer", err)
	_, err = acctListV2(b, bucket, "", false)
	acctDenied(t, "bob ListObjectsV2 without RequestPayer", err)
	_, err = acctUploadPart(b, bucket, "mp", upload, 2, "bob part")
	acctDenied(t, "bob UploadPart without RequestPayer", err)
	_, err = b.PutObject(acctCtx(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("bob-put"), Body: strings.NewReader("x")})
	acctDenied(t, "bob PutObject without RequestPayer", err)
	if lp, err := acctListParts(a, bucket, "mp", upload); err != nil || len(lp.Parts) != 1 {
		t.Errorf("owner ListParts after refused UploadPart: %v, %v; want 1 part", err, lp)
	}

	// Paying does not grant access: carol has no policy grant.
	_, _, err = acctGet(e.c.S3, bucket, "obj", func(in *s3.GetObjectInput) { payer(&in.RequestPayer) })
	acctDenied(t, "carol GetObject with RequestPayer (no grant)", err)
	// Anonymous callers cannot pay, even where Principal "*" is granted.
	if status, code, _ := acctAnon(t, e.srv, "GET", "/"+bucket+"/public/p", nil); status != 403 || code != "AccessDenied" {
		t.Errorf("anonymous GET on a Requester Pays bucket: %d %s, want 403 AccessDenied", status, code)
	}
	if status, _, _ := acctAnon(t, e.srv, "GET", "/"+bucket+"/public/p?x-amz-request-payer=requester", nil); status != 403 {
		t.Errorf("anonymous GET with the payer in the query: %d, want 403", status)
	}

	// With the header: success, charged to the requester.
	got, out, err := acctGet(b, bucket, "obj", func(in *s3.GetObjectInput) { payer(&in.RequestPayer) })
	if err != nil || got != data {
		t.Fatalf("bob GetObject with RequestPayer: %v %q", err, got)
	}
	if out.RequestCharged != types.RequestChargedRequester {
		t.Errorf("bob GetObject RequestCharged = %q, want requester", out.RequestCharged)
	}
	ho, err := b.HeadObject(acctCtx(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("obj"), RequestPayer: types.RequestPayerRequester})
	if err != nil || ho.RequestCharged != types.RequestChargedRequester {
		t.Errorf("bob HeadObject with RequestPayer: %v, RequestCharged %v", err, ho)
	}
	lp, err := acctListParts(b, bucket, "mp", upload, func(in *s3.ListPartsInput) { payer(&in.RequestPayer) })
	if err != nil {
		t.Fatalf("bob ListParts with RequestPayer: %v", err)
	}
	if lp.RequestCharged != types.RequestChargedRequester {
		t.Errorf("bob ListParts RequestCharged = %q, want requester", lp.RequestCharged)
	}
	up, err := acctUploadPart(b, bucket, "mp", upload, 2, "bob part", func(in *s3.UploadPartInput) { payer(&in.RequestPayer) })
	if err != nil || up.RequestCharged != types.RequestChargedRequester {
		t.Errorf("bob UploadPart with RequestPayer: %v, RequestCharged %v", err, up)
	}
	lo, err := b.ListObjectsV2(acctCtx(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), RequestPayer: types.RequestPayerRequester})
	if err != nil || lo.RequestCharged != types.RequestChargedRequester {
		t.Errorf("bob ListObjectsV2 with RequestPayer: %v, RequestCharged %v", err, lo)
	}
	po, err := b.PutObject(acctCtx(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("bob-put"), Body: strings.NewReader("x"), RequestPayer: types.RequestPayerRequester})
	if err != nil || po.RequestCharged != types.RequestChargedRequester {
		t.Errorf("bob PutObject with RequestPayer: %v, RequestCharged %v", err, po)
	}

	// The owner is never charged, with or without the header.
	_, out, err = acctGet(a, bucket, "obj")
	if err != nil || out.RequestCharged != "" {
		t.Errorf("owner GetObject: %v, RequestCharged %v; want success, not charged", err, out)
	}
	_, out, err = acctGet(a, bucket, "obj", func(in *s3.GetObjectInput) { payer(&in.RequestPayer) })
	if err != nil || out.RequestCharged != "" {
		t.Errorf("owner GetObject with RequestPayer: %v, RequestCharged %q; want not charged", err, out.RequestCharged)
	}
	lp, err = acctListParts(a, bucket, "mp", upload)
	if err != nil || lp.RequestCharged != "" {
		t.Errorf("owner ListParts: %v, RequestCharged %q; want not charged", err, lp.RequestCharged)
	}
	lp, err = acctListParts(a, bucket, "mp", upload, func(in *s3.ListPartsInput) { payer(&in.RequestPayer) })
	if err != nil || lp.RequestCharged != "" {
		t.Errorf("owner ListParts with RequestPayer: %v, RequestCharged %q; want not charged", err, lp.RequestCharged)
	}
	if len(lp.Parts) != 2 {
		t.Errorf("owner ListParts: %d parts, want 2 (bob's paid part stored)", len(lp.Parts))
	}

	// Back to BucketOwner: no header needed and nothing charged.
	acctSetPayer(t, a, bucket, types.PayerBucketOwner)
	_, out, err = acctGet(b, bucket, "obj")
	if err != nil || out.RequestCharged != "" {
		t.Errorf("bob GetObject on an owner-pays bucket: %v, RequestCharged %v", err, out)
	}
	lp, err = acctListParts(b, bucket, "mp", upload, func(in *s3.ListPartsInput) { payer(&in.RequestPayer) })
	if err != nil || lp.RequestCharged != "" {
		t.Errorf("bob ListParts on an owner-pays bucket with RequestPayer: %v, RequestCharged %v; want not charged", err, lp)
	}
	if status, _, body := acctAnon(t, e.srv, "GET", "/"+bucket+"/public/p", nil); status != 200 || string(body) != "public" {
		t.Errorf("anonymous GET public/p on an owner-pays bucket: %d %q", status, body)
	}
}

// TestAcctRequesterPaysUsage: usage (requests and bytes) is counted against
// the payer: the requester on a Requester Pays bucket, the owner otherwise,
// and it survives a flush and a restart.
func TestAcctRequesterPaysUsage(t *testing.T) {
	e := acctNew(t)
	a, b := e.a.S3, e.b.S3
	bucket := acctBucket(t, a)
	data := strings.Repeat("0123456789", 1000) // 10 000 bytes
	acctPut(t, a, bucket, "obj", data)
	acctPolicy(t, a, bucket, acctAllowB(e, bucket, "s3:GetObject", "s3:PutObject", "s3:ListMultipartUploadParts"))
	acctSetPayer(t, a, bucket, types.PayerRequester)
	upload := acctUpload(t, a, bucket, "mp")
	b0 := acctUsage(t, e.srv, e.b.ID)
	// A refused request (no header) is not charged to the requester. (Who
	// pays for it is left open here: S3 bills the owner for 403s.)
	_, _, err := acctGet(b, bucket, "obj")
	acctDenied(t, "bob GetObject without RequestPayer", err)
	// Let the owner's own requests settle in the counters.
	acctUsageReaches(t, e.srv, e.a.ID, func(u iam.Usage) bool { return u.Requests >= 5 })
	a0 := acctUsage(t, e.srv, e.a.ID)
	c0 := acctUsage(t, e.srv, e.c.ID)

	const gets = 3
	for range gets {
		got, out, err := acctGet(b, bucket, "obj", func(in *s3.GetObjectInput) { in.RequestPayer = types.RequestPayerRequester })
		if err != nil || got != data || out.RequestCharged != types.RequestChargedRequester {
			t.Fatalf("bob GetObject with RequestPayer: %v (%d bytes)", err, len(got))
		}
	}
	part := strings.Repeat("p", 5000)
	if _, err := acctUploadPart(b, bucket, "mp", upload, 1, part, func(in *s3.UploadPartInput) { in.RequestPayer = types.RequestPayerRequester }); err != nil {
		t.Fatalf("bob UploadPart with RequestPayer: %v", err)
	}
	lp, err := acctListParts(b, bucket, "mp", upload, func(in *s3.ListPartsInput) { in.RequestPayer = types.RequestPayerRequester })
	if err != nil || lp.RequestCharged != types.RequestChargedRequester {
		t.Fatalf("bob ListParts with RequestPayer: %v %v", err, lp)
	}
	const bobRequests = gets + 2
	b1, ok := acctUsageReaches(t, e.srv, e.b.ID, func(u iam.Usage) bool {
		return u.Requests >= b0.Requests+bobRequests && u.BytesOut >= b0.BytesOut+gets*int64(len(data)) && u.BytesIn >= b0.BytesIn+int64(len(part))
	})
	if !ok {
		t.Errorf("bob's usage %+v after %d paid requests (%d bytes out, %d in), was %+v", b1, bobRequests, gets*len(data), len(part), b0)
	}
	if b1.Requests != b0.Requests+bobRequests {
		t.Errorf("bob's requests = %d, want %d (the refused request must not count)", b1.Requests, b0.Requests+bobRequests)
	}
	if a1 := acctUsage(t, e.srv, e.a.ID); a1 != a0 {
		t.Errorf("owner's usage changed by bob's paid requests: %+v → %+v", a0, a1)
	}
	if c1 := acctUsage(t, e.srv, e.c.ID); c1 != c0 {
		t.Errorf("carol's usage changed: %+v → %+v", c0, c1)
	}

	// The owner's requests on its Requester Pays bucket are charged to the owner.
	acctWantBody(t, a, bucket, "obj", data)
	if a2, ok := acctUsageReaches(t, e.srv, e.a.ID, func(u iam.Usage) bool {
		return u.Requests == a0.Requests+1 && u.BytesOut >= a0.BytesOut+int64(len(data))
	}); !ok {
		t.Errorf("owner's usage after its own GetObject: %+v, was %+v", a2, a0)
	}

	// On an owner-pays bucket, bob's requests are charged to the owner.
	acctSetPayer(t, a, bucket, types.PayerBucketOwner)
	a3, _ := acctUsageReaches(t, e.srv, e.a.ID, func(u iam.Usage) bool { return u.Requests == a0.Requests+2 })
	b3 := acctUsage(t, e.srv, e.b.ID)
	acctWantBody(t, b, bucket, "obj", data)
	if a4, ok := acctUsageReaches(t, e.srv, e.a.ID, func(u iam.Usage) bool {
		return u.Requests == a3.Requests+1 && u.BytesOut >= a3.BytesOut+int64(len(data))
	}); !ok {
		t.Errorf("owner's usage after bob's read on an owner-pays bucket: %+v, was %+v", a4, a3)
	}
	if b4 := acctUsage(t, e.srv, e.b.ID); b4 != b3 {
		t.Errorf("bob charged on an owner-pays bucket: %+v → %+v", b3, b4)
	}

	// Flushed and persisted across a restart.
	bBefore := acctUsage(t, e.srv, e.b.ID)
	if err := e.srv.FlushUsage(acctCtx()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if u := acctUsage(t, e.srv, e.b.ID); u != bBefore {
		t.Errorf("bob's usage changed by Flush: %+v → %+v", bBefore, u)
	}
	e.srv.Restart()
	if u := acctUsage(t, e.srv, e.b.ID); u != bBefore {
		t.Errorf("bob's usage after restart = %+v, want %+v", u, bBefore)
	}
}
