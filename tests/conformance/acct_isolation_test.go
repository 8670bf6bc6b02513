package conformance

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// TestAcctAccountsAreDistinct: every account has a 12-digit ID, a 64-hex
// canonical ID and its own name; the root account has the fixed ID.
func TestAcctAccountsAreDistinct(t *testing.T) {
	e := acctNew(t)
	seen := map[string]bool{tesseratest.RootAccountID: true}
	for _, a := range []*tesseratest.Account{e.a, e.b, e.c} {
		if len(a.ID) != 12 || strings.Trim(a.ID, "0123456789") != "" {
			t.Errorf("%s: account ID %q is not 12 digits", a.Name, a.ID)
		}
		if len(a.CanonicalID) != 64 || strings.Trim(a.CanonicalID, "0123456789abcdef") != "" {
			t.Errorf("%s: canonical ID %q is not 64 hex characters", a.Name, a.CanonicalID)
		}
		if seen[a.ID] || seen[a.CanonicalID] {
			t.Errorf("%s: ID %s / canonical ID %s not unique", a.Name, a.ID, a.CanonicalID)
		}
		seen[a.ID], seen[a.CanonicalID] = true, true
	}
	if tesseratest.RootAccountID != "000000000000" {
		t.Errorf("root account ID = %q", tesseratest.RootAccountID)
	}
}

// TestAcctIsolation: by default only the owning account can touch a bucket;
// every other account gets 403 AccessDenied, with no side effect.
func TestAcctIsolation(t *testing.T) {
	e := acctNew(t)
	a := e.a.S3
	bucket := acctBucket(t, a)
	acctPut(t, a, bucket, "doc.txt", "alice's data")
	id := acctUpload(t, a, bucket, "big")
	p1, err := acctUploadPart(a, bucket, "big", id, 1, "part one")
	if err != nil {
		t.Fatalf("UploadPart by owner: %v", err)
	}

	for _, intruder := range []*tesseratest.Account{e.b, e.c} {
		x := intruder.S3
		who := intruder.Name + ": "
		_, err := acctListV2(x, bucket, "", false)
		acctDenied(t, who+"ListObjectsV2", err)
		_, err = x.ListObjects(acctCtx(), &s3.ListObjectsInput{Bucket: aws.String(bucket)})
		acctDenied(t, who+"ListObjects", err)
		_, _, err = acctGet(x, bucket, "doc.txt")
		acctDenied(t, who+"GetObject", err)
		_, err = x.HeadObject(acctCtx(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc.txt")})
		acctWantErr(t, who+"HeadObject", err, "", http.StatusForbidden)
		_, err = x.HeadBucket(acctCtx(), &s3.HeadBucketInput{Bucket: aws.String(bucket)})
		acctWantErr(t, who+"HeadBucket", err, "", http.StatusForbidden)
		_, err = x.PutObject(acctCtx(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("intruder.txt"), Body: strings.NewReader("x")})
		acctDenied(t, who+"PutObject", err)
		_, err = x.PutObject(acctCtx(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc.txt"), Body: strings.NewReader("overwritten")})
		acctDenied(t, who+"PutObject (overwrite)", err)
		_, err = x.DeleteObject(acctCtx(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc.txt")})
		acctDenied(t, who+"DeleteObject", err)
		dout, err := x.DeleteObjects(acctCtx(), &s3.DeleteObjectsInput{Bucket: aws.String(bucket),
			Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("doc.txt")}}}})
		if err == nil {
			if len(dout.Deleted) != 0 || len(dout.Errors) != 1 || aws.ToString(dout.Errors[0].Code) != "AccessDenied" {
				t.Errorf("%sDeleteObjects: Deleted %d, Errors %+v; want one AccessDenied error", who, len(dout.Deleted), dout.Errors)
			}
		} else {
			acctDenied(t, who+"DeleteObjects", err)
		}
		_, err = x.CopyObject(acctCtx(), &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy"), CopySource: aws.String(bucket + "/doc.txt")})
		acctDenied(t, who+"CopyObject", err)
		_, err = x.CreateMultipartUpload(acctCtx(), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("mine")})
		acctDenied(t, who+"CreateMultipartUpload", err)
		_, err = x.ListMultipartUploads(acctCtx(), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
		acctDenied(t, who+"ListMultipartUploads", err)
		_, err = acctListParts(x, bucket, "big", id)
		acctDenied(t, who+"ListParts", err)
		_, err = acctUploadPart(x, bucket, "big", id, 2, "intruder part")
		acctDenied(t, who+"UploadPart", err)
		_, err = x.UploadPartCopy(acctCtx(), &s3.UploadPartCopyInput{Bucket: aws.String(bucket), Key: aws.String("big"), UploadId: aws.String(id),
			PartNumber: aws.Int32(3), CopySource: aws.String(bucket + "/doc.txt")})
		acctDenied(t, who+"UploadPartCopy", err)
		_, err = acctComplete(x, bucket, "big", id, []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: p1.ETag}})
		acctDenied(t, who+"CompleteMultipartUpload", err)
		acctDenied(t, who+"AbortMultipartUpload", acctAbort(x, bucket, "big", id))
		_, err = x.GetObjectAttributes(acctCtx(), &s3.GetObjectAttributesInput{Bucket: aws.String(bucket), Key: aws.String("doc.txt"),
			ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesEtag}})
		acctDenied(t, who+"GetObjectAttributes", err)
		_, err = x.GetBucketLocation(acctCtx(), &s3.GetBucketLocationInput{Bucket: aws.String(bucket)})
		acctDenied(t, who+"GetBucketLocation", err)
		_, err = x.GetBucketPolicy(acctCtx(), &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
		acctDenied(t, who+"GetBucketPolicy", err)
		_, err = x.PutBucketPolicy(acctCtx(), &s3.PutBucketPolicyInput{Bucket: aws.String(bucket),
			Policy: aws.String(acctDoc(acctStmt("Allow", map[string]string{"Principal": `"*"`, "Action": `"s3:*"`, "Resource": acctList(acctObjARN(bucket, "*"))})))})
		acctDenied(t, who+"PutBucketPolicy", err)
		_, err = x.DeleteBucketPolicy(acctCtx(), &s3.DeleteBucketPolicyInput{Bucket: aws.String(bucket)})
		acctDenied(t, who+"DeleteBucketPolicy", err)
		_, err = x.GetBucketRequestPayment(acctCtx(), &s3.GetBucketRequestPaymentInput{Bucket: aws.String(bucket)})
		acctDenied(t, who+"GetBucketRequestPayment", err)
		_, err = x.PutBucketRequestPayment(acctCtx(), &s3.PutBucketRequestPaymentInput{Bucket: aws.String(bucket),
			RequestPaymentConfiguration: &types.RequestPaymentConfiguration{Payer: types.PayerRequester}})
		acctDenied(t, who+"PutBucketRequestPayment", err)
		_, err = x.GetBucketLifecycleConfiguration(acctCtx(), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(bucket)})
		acctDenied(t, who+"GetBucketLifecycleConfiguration", err)
		_, err = x.DeleteBucket(acctCtx(), &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
		acctDenied(t, who+"DeleteBucket", err)
	}

	// Nothing the intruders tried left a trace.
	acctWantBody(t, a, bucket, "doc.txt", "alice's data")
	list, err := acctListV2(a, bucket, "", false)
	if err != nil {
		t.Fatalf("owner ListObjectsV2: %v", err)
	}
	var keys []string
	for _, o := range list.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	if !slices.Equal(keys, []string{"doc.txt"}) {
		t.Errorf("owner sees keys %v, want [doc.txt]", keys)
	}
	parts, err := acctListParts(a, bucket, "big", id)
	if err != nil {
		t.Fatalf("owner ListParts after intrusions: %v (the upload must survive)", err)
	}
	if len(parts.Parts) != 1 || aws.ToInt32(parts.Parts[0].PartNumber) != 1 {
		t.Errorf("owner ListParts: %d parts, want only part 1", len(parts.Parts))
	}
	ups, err := a.ListMultipartUploads(acctCtx(), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil || len(ups.Uploads) != 1 {
		t.Errorf("owner ListMultipartUploads: %v, %d uploads; want just the owner's", err, len(ups.Uploads))
	}
	if _, err := a.GetBucketPolicy(acctCtx(), &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)}); acctCode(err) != "NoSuchBucketPolicy" {
		t.Errorf("owner GetBucketPolicy after intruder PutBucketPolicy: %v, want NoSuchBucketPolicy", err)
	}
	rp, err := a.GetBucketRequestPayment(acctCtx(), &s3.GetBucketRequestPaymentInput{Bucket: aws.String(bucket)})
	if err != nil || rp.Payer != types.PayerBucketOwner {
		t.Errorf("owner GetBucketRequestPayment: %v, %v; want BucketOwner", err, rp)
	}

	// The owner's own operations all work.
	p2, err := acctUploadPart(a, bucket, "big", id, 2, "part two")
	acctOK(t, "owner UploadPart", err)
	_, err = acctComplete(a, bucket, "big", id, []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: p1.ETag}, {PartNumber: aws.Int32(2), ETag: p2.ETag}})
	acctOK(t, "owner CompleteMultipartUpload", err)
	acctWantBody(t, a, bucket, "big", "part onepart two")
	id2 := acctUpload(t, a, bucket, "big2")
	acctOK(t, "owner AbortMultipartUpload", acctAbort(a, bucket, "big2", id2))
	_, err = a.DeleteObject(acctCtx(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc.txt")})
	acctOK(t, "owner DeleteObject", err)

	// The root account is an account like any other: not the owner.
	_, _, err = acctGet(e.root, bucket, "big")
	acctDenied(t, "root GetObject in alice's bucket", err)
	_, err = e.root.DeleteObject(acctCtx(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("big")})
	acctDenied(t, "root DeleteObject in alice's bucket", err)
}

// TestAcctNoSuchBucketForOthers: another account asking about a bucket that
// does not exist is told NoSuchBucket (nothing to protect).
func TestAcctNoSuchBucketForOthers(t *testing.T) {
	e := acctNew(t)
	_, err := acctListV2(e.b.S3, "acct-does-not-exist", "", false)
	acctWantErr(t, "ListObjectsV2 on a missing bucket", err, "NoSuchBucket", http.StatusNotFound)
}

// TestAcctListBucketsOwnOnly: ListBuckets shows only the caller's buckets,
// with the caller as Owner.
func TestAcctListBucketsOwnOnly(t *testing.T) {
	e := acctNew(t)
	mine := map[string][]string{}
	for _, acc := range []*tesseratest.Account{e.a, e.b, e.a} {
		mine[acc.Name] = append(mine[acc.Name], acctBucket(t, acc.S3))
	}
	rootBucket := acctBucket(t, e.root)
	check := func(name string, c *s3.Client, want []string, ownerID, ownerName string) {
		t.Helper()
		out, err := c.ListBuckets(acctCtx(), &s3.ListBucketsInput{})
		if err != nil {
			t.Fatalf("%s ListBuckets: %v", name, err)
		}
		var got []string
		for _, b := range out.Buckets {
			got = append(got, aws.ToString(b.Name))
		}
		slices.Sort(got)
		want = slices.Sorted(slices.Values(want))
		if !slices.Equal(got, want) {
			t.Errorf("%s ListBuckets = %v, want %v", name, got, want)
		}
		if out.Owner == nil || aws.ToString(out.Owner.ID) != ownerID || aws.ToString(out.Owner.DisplayName) != ownerName {
			t.Errorf("%s ListBuckets Owner = %+v, want {%s %s}", name, out.Owner, ownerID, ownerName)
		}
	}
	check("alice", e.a.S3, mine["alice"], e.a.CanonicalID, e.a.Name)
	check("bob", e.b.S3, mine["bob"], e.b.CanonicalID, e.b.Name)
	check("carol", e.c.S3, nil, e.c.CanonicalID, e.c.Name)
	rid, rname := acctRootOwner()
	check("root", e.root, []string{rootBucket}, rid, rname)

	// Anonymous ListBuckets is refused.
	status, code, _ := acctAnon(t, e.srv, "GET", "/", nil)
	if status != http.StatusForbidden || code != "AccessDenied" {
		t.Errorf("anonymous ListBuckets: %d %s, want 403 AccessDenied", status, code)
	}
}

// TestAcctBucketNames: bucket names are global. Another account may use any
// free name; a taken name is BucketAlreadyExists for others, and for the
// owner a success in us-east-1 (S3's legacy rule; BucketAlreadyOwnedByYou
// elsewhere, TestCreateBucketAlreadyOwnedByYou).
func TestAcctBucketNames(t *testing.T) {
	e := acctNew(t)
	taken := acctBucket(t, e.a.S3)
	free := taken + "-b"
	if _, err := e.b.S3.CreateBucket(acctCtx(), &s3.CreateBucketInput{Bucket: aws.String(free)}); err != nil {
		t.Fatalf("bob CreateBucket(%s), a name nobody uses: %v", free, err)
	}
	_, err := e.b.S3.CreateBucket(acctCtx(), &s3.CreateBucketInput{Bucket: aws.String(taken)})
	acctWantErr(t, "bob CreateBucket(alice's name)", err, "BucketAlreadyExists", http.StatusConflict)
	_, err = e.root.CreateBucket(acctCtx(), &s3.CreateBucketInput{Bucket: aws.String(taken)})
	acctWantErr(t, "root CreateBucket(alice's name)", err, "BucketAlreadyExists", http.StatusConflict)
	// us-east-1 answers 200 to the owner re-creating her bucket
	// (aws-sdk-go-v2 types.BucketAlreadyOwnedByYou doc: "if you re-create an
	// existing bucket that you already own in the North Virginia Region,
	// Amazon S3 returns 200 OK").
	if _, err = e.a.S3.CreateBucket(acctCtx(), &s3.CreateBucketInput{Bucket: aws.String(taken)}); err != nil {
		t.Errorf("alice CreateBucket(her own name) in us-east-1: %v, want 200", err)
	}
	_, err = e.a.S3.CreateBucket(acctCtx(), &s3.CreateBucketInput{Bucket: aws.String(free)})
	acctWantErr(t, "alice CreateBucket(bob's name)", err, "BucketAlreadyExists", http.StatusConflict)

	// The failed attempts changed no ownership.
	acctPut(t, e.a.S3, taken, "k", "v")
	acctPut(t, e.b.S3, free, "k", "v")
	_, _, err = acctGet(e.b.S3, taken, "k")
	acctDenied(t, "bob GetObject in alice's bucket after the failed create", err)

	// Once the owner deletes it, the name is free for another account.
	for _, k := range []string{"k"} {
		if _, err := e.a.S3.DeleteObject(acctCtx(), &s3.DeleteObjectInput{Bucket: aws.String(taken), Key: aws.String(k)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.a.S3.DeleteBucket(acctCtx(), &s3.DeleteBucketInput{Bucket: aws.String(taken)}); err != nil {
		t.Fatalf("alice DeleteBucket: %v", err)
	}
	if _, err := e.c.S3.CreateBucket(acctCtx(), &s3.CreateBucketInput{Bucket: aws.String(taken)}); err != nil {
		t.Fatalf("carol CreateBucket(%s) after alice deleted it: %v", taken, err)
	}
	_, _, err = acctGet(e.a.S3, taken, "k")
	acctDenied(t, "alice GetObject in the bucket carol now owns", err)
}

// TestAcctOwnerAndInitiator: uploads and objects report the bucket owner as
// Owner and the account that created the upload as Initiator, with real
// ID and DisplayName, in ListParts, ListMultipartUploads, ListObjectsV2
// with FetchOwner and ListObjects.
func TestAcctOwnerAndInitiator(t *testing.T) {
	e := acctNew(t)
	a, b := e.a.S3, e.b.S3
	bucket := acctBucket(t, a)
	acctPolicy(t, a, bucket, acctDoc(acctStmt("Allow", map[string]string{
		"Principal": acctAWS(e.b.ID),
		"Action":    acctList("s3:PutObject", "s3:ListMultipartUploadParts", "s3:ListBucketMultipartUploads", "s3:ListBucket"),
		"Resource":  acctList(acctBucketARN(bucket), acctObjARN(bucket, "*")),
	})))

	byA := acctUpload(t, a, bucket, "by-alice")
	byB := acctUpload(t, b, bucket, "by-bob")
	if _, err := acctUploadPart(b, bucket, "by-bob", byB, 1, "bob's part"); err != nil {
		t.Fatalf("bob UploadPart: %v", err)
	}

	for _, viewer := range []*tesseratest.Account{e.a, e.b} {
		lp, err := acctListParts(viewer.S3, bucket, "by-bob", byB)
		if err != nil {
			t.Fatalf("%s ListParts(by-bob): %v", viewer.Name, err)
		}
		if lp.Initiator == nil || lp.Owner == nil {
			t.Fatalf("%s ListParts(by-bob): Initiator %v Owner %v, want both", viewer.Name, lp.Initiator, lp.Owner)
		}
		acctWantOwner(t, viewer.Name+" ListParts(by-bob) Initiator", lp.Initiator.ID, lp.Initiator.DisplayName, e.b)
		acctWantOwner(t, viewer.Name+" ListParts(by-bob) Owner", lp.Owner.ID, lp.Owner.DisplayName, e.a)
	}
	lp, err := acctListParts(a, bucket, "by-alice", byA)
	if err != nil || lp.Initiator == nil || lp.Owner == nil {
		t.Fatalf("alice ListParts(by-alice): %v %+v", err, lp)
	}
	acctWantOwner(t, "ListParts(by-alice) Initiator", lp.Initiator.ID, lp.Initiator.DisplayName, e.a)
	acctWantOwner(t, "ListParts(by-alice) Owner", lp.Owner.ID, lp.Owner.DisplayName, e.a)

	for _, viewer := range []*tesseratest.Account{e.a, e.b} {
		lu, err := viewer.S3.ListMultipartUploads(acctCtx(), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatalf("%s ListMultipartUploads: %v", viewer.Name, err)
		}
		if len(lu.Uploads) != 2 {
			t.Fatalf("%s ListMultipartUploads: %d uploads, want 2", viewer.Name, len(lu.Uploads))
		}
		for _, u := range lu.Uploads {
			if u.Initiator == nil || u.Owner == nil {
				t.Errorf("%s ListMultipartUploads %s: Initiator %v Owner %v", viewer.Name, aws.ToString(u.Key), u.Initiator, u.Owner)
				continue
			}
			want := map[string]*tesseratest.Account{"by-alice": e.a, "by-bob": e.b}[aws.ToString(u.Key)]
			acctWantOwner(t, viewer.Name+" ListMultipartUploads "+aws.ToString(u.Key)+" Initiator", u.Initiator.ID, u.Initiator.DisplayName, want)
			acctWantOwner(t, viewer.Name+" ListMultipartUploads "+aws.ToString(u.Key)+" Owner", u.Owner.ID, u.Owner.DisplayName, e.a)
		}
	}

	// Bob completes his upload and puts an object: the bucket owner owns both.
	lp, _ = acctListParts(b, bucket, "by-bob", byB)
	if _, err := acctComplete(b, bucket, "by-bob", byB, []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: lp.Parts[0].ETag}}); err != nil {
		t.Fatalf("bob CompleteMultipartUpload: %v", err)
	}
	acctPut(t, b, bucket, "put-by-bob", "x")
	acctPut(t, a, bucket, "put-by-alice", "y")
	for _, viewer := range []*tesseratest.Account{e.a, e.b} {
		lo, err := acctListV2(viewer.S3, bucket, "", true)
		if err != nil {
			t.Fatalf("%s ListObjectsV2 FetchOwner: %v", viewer.Name, err)
		}
		if len(lo.Contents) != 3 {
			t.Errorf("%s ListObjectsV2: %d objects, want 3", viewer.Name, len(lo.Contents))
		}
		for _, o := range lo.Contents {
			if o.Owner == nil {
				t.Errorf("%s ListObjectsV2 FetchOwner %s: no Owner", viewer.Name, aws.ToString(o.Key))
				continue
			}
			acctWantOwner(t, viewer.Name+" ListObjectsV2 "+aws.ToString(o.Key)+" Owner", o.Owner.ID, o.Owner.DisplayName, e.a)
		}
		lo, err = acctListV2(viewer.S3, bucket, "", false)
		if err != nil {
			t.Fatalf("%s ListObjectsV2: %v", viewer.Name, err)
		}
		for _, o := range lo.Contents {
			if o.Owner != nil {
				t.Errorf("%s ListObjectsV2 without FetchOwner %s: Owner %+v, want none", viewer.Name, aws.ToString(o.Key), o.Owner)
			}
		}
	}
	l1, err := a.ListObjects(acctCtx(), &s3.ListObjectsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("ListObjects: %v", err)
	}
	for _, o := range l1.Contents {
		if o.Owner == nil {
			t.Errorf("ListObjects %s: no Owner", aws.ToString(o.Key))
			continue
		}
		acctWantOwner(t, "ListObjects "+aws.ToString(o.Key)+" Owner", o.Owner.ID, o.Owner.DisplayName, e.a)
	}
}

// TestAcctOwnershipSurvivesRestart: accounts, keys, owners and initiators
// are persisted in the metadata store.
func TestAcctOwnershipSurvivesRestart(t *testing.T) {
	e := acctNew(t)
	bucket := acctBucket(t, e.a.S3)
	acctPolicy(t, e.a.S3, bucket, acctDoc(acctStmt("Allow", map[string]string{
		"Principal": acctAWS(e.b.ID), "Action": `"s3:PutObject"`, "Resource": acctList(acctObjARN(bucket, "*"))})))
	id := acctUpload(t, e.b.S3, bucket, "k")
	e.srv.Restart()
	a := e.srv.S3As(e.a.AccessKey, e.a.SecretKey)
	b := e.srv.S3As(e.b.AccessKey, e.b.SecretKey)
	lp, err := acctListParts(a, bucket, "k", id)
	if err != nil || lp.Initiator == nil || lp.Owner == nil {
		t.Fatalf("ListParts after restart: %v %+v", err, lp)
	}
	acctWantOwner(t, "Initiator after restart", lp.Initiator.ID, lp.Initiator.DisplayName, e.b)
	acctWantOwner(t, "Owner after restart", lp.Owner.ID, lp.Owner.DisplayName, e.a)
	acctPut(t, b, bucket, "still-allowed", "policy persisted")
	_, _, err = acctGet(b, bucket, "still-allowed")
	acctDenied(t, "bob GetObject after restart (policy grants only PutObject)", err)
	out, err := b.ListBuckets(acctCtx(), &s3.ListBucketsInput{})
	if err != nil || len(out.Buckets) != 0 {
		t.Errorf("bob ListBuckets after restart: %v, %d buckets, want 0", err, len(out.Buckets))
	}
}
