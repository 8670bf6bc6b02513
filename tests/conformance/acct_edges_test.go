package conformance

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestAcctPolicyBucketActions: every bucket-level action name the server
// implements grants its operation to another account, and nothing else.
func TestAcctPolicyBucketActions(t *testing.T) {
	e := acctNew(t)
	a, b := e.a.S3, e.b.S3
	bucket := acctBucket(t, a)
	acctPut(t, a, bucket, "k", "v")
	lifecycle := &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{
		ID: aws.String("r"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("tmp/")},
		AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(1)},
	}}}
	// Keep alice in control whatever bob is granted.
	aliceAll := acctStmt("Allow", map[string]string{"Principal": acctAWS(e.a.ID), "Action": `"s3:*"`,
		"Resource": acctList(acctBucketARN(bucket), acctObjARN(bucket, "*"))})
	ops := []struct {
		action string
		do     func() error
	}{
		{"s3:GetBucketLocation", func() error {
			_, err := b.GetBucketLocation(acctCtx(), &s3.GetBucketLocationInput{Bucket: aws.String(bucket)})
			return err
		}},
		{"s3:ListBucket", func() error {
			_, err := b.HeadBucket(acctCtx(), &s3.HeadBucketInput{Bucket: aws.String(bucket)})
			return err
		}},
		{"s3:GetBucketPolicy", func() error {
			_, err := b.GetBucketPolicy(acctCtx(), &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
			return err
		}},
		{"s3:GetBucketRequestPayment", func() error {
			_, err := b.GetBucketRequestPayment(acctCtx(), &s3.GetBucketRequestPaymentInput{Bucket: aws.String(bucket)})
			return err
		}},
		{"s3:PutBucketRequestPayment", func() error {
			_, err := b.PutBucketRequestPayment(acctCtx(), &s3.PutBucketRequestPaymentInput{Bucket: aws.String(bucket),
				RequestPaymentConfiguration: &types.RequestPaymentConfiguration{Payer: types.PayerBucketOwner}})
			return err
		}},
		{"s3:PutLifecycleConfiguration", func() error {
			_, err := b.PutBucketLifecycleConfiguration(acctCtx(), &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String(bucket), LifecycleConfiguration: lifecycle})
			return err
		}},
		{"s3:GetLifecycleConfiguration", func() error {
			_, err := b.GetBucketLifecycleConfiguration(acctCtx(), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(bucket)})
			return err
		}},
		{"s3:DeleteObject", func() error {
			out, err := b.DeleteObjects(acctCtx(), &s3.DeleteObjectsInput{Bucket: aws.String(bucket),
				Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("absent")}}}})
			if err == nil && len(out.Errors) > 0 {
				return &acctItemErr{aws.ToString(out.Errors[0].Code)}
			}
			return err
		}},
	}
	for _, op := range ops {
		t.Run(op.action, func(t *testing.T) {
			acctPolicy(t, a, bucket, acctDoc(aliceAll))
			err := op.do()
			if ie, ok := err.(*acctItemErr); ok && ie.code == "AccessDenied" {
				err = nil // DeleteObjects refuses key by key
			} else if acctStatus(err) == http.StatusForbidden {
				err = nil
			} else {
				err = fmt.Errorf("got %v", err)
			}
			if err != nil {
				t.Errorf("without a grant: %v, want 403", err)
			}
			acctPolicy(t, a, bucket, acctDoc(aliceAll, acctStmt("Allow", map[string]string{"Principal": acctAWS(e.b.ID), "Action": `"` + op.action + `"`,
				"Resource": acctList(acctBucketARN(bucket), acctObjARN(bucket, "*"))})))
			if err := op.do(); err != nil {
				t.Errorf("with %s granted: %v", op.action, err)
			}
		})
	}
	// Policy management rights, last: bob deletes the policy that grants it.
	acctPolicy(t, a, bucket, acctDoc(aliceAll, acctStmt("Allow", map[string]string{"Principal": acctAWS(e.b.ID),
		"Action": `"s3:PutBucketPolicy"`, "Resource": acctList(acctBucketARN(bucket))})))
	_, err := b.DeleteBucketPolicy(acctCtx(), &s3.DeleteBucketPolicyInput{Bucket: aws.String(bucket)})
	acctDenied(t, "bob DeleteBucketPolicy with only s3:PutBucketPolicy", err)
	acctPolicy(t, a, bucket, acctDoc(aliceAll, acctStmt("Allow", map[string]string{"Principal": acctAWS(e.b.ID),
		"Action": `"s3:DeleteBucketPolicy"`, "Resource": acctList(acctBucketARN(bucket))})))
	_, err = b.DeleteBucketPolicy(acctCtx(), &s3.DeleteBucketPolicyInput{Bucket: aws.String(bucket)})
	acctOK(t, "bob DeleteBucketPolicy with s3:DeleteBucketPolicy", err)
	_, err = b.GetBucketPolicy(acctCtx(), &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	acctDenied(t, "bob GetBucketPolicy after his grant was deleted", err)

	// s3:DeleteBucket.
	if _, err := a.DeleteObject(acctCtx(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	_, err = b.DeleteBucket(acctCtx(), &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
	acctDenied(t, "bob DeleteBucket without a grant", err)
	acctPolicy(t, a, bucket, acctDoc(acctStmt("Allow", map[string]string{"Principal": acctAWS(e.b.ID), "Action": `"s3:DeleteBucket"`, "Resource": acctList(acctBucketARN(bucket))})))
	_, err = b.DeleteBucket(acctCtx(), &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
	acctOK(t, "bob DeleteBucket with s3:DeleteBucket", err)
}

type acctItemErr struct{ code string }

func (e *acctItemErr) Error() string { return "per-key error " + e.code }

// TestAcctGetObjectAttributesPermissions: on an unversioned bucket S3
// requires both s3:GetObject and s3:GetObjectAttributes.
func TestAcctGetObjectAttributesPermissions(t *testing.T) {
	e := acctNew(t)
	a, b := e.a.S3, e.b.S3
	bucket := acctBucket(t, a)
	acctPut(t, a, bucket, "k", "v")
	attrs := func() error {
		_, err := b.GetObjectAttributes(acctCtx(), &s3.GetObjectAttributesInput{Bucket: aws.String(bucket), Key: aws.String("k"),
			ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesEtag, types.ObjectAttributesObjectSize}})
		return err
	}
	acctPolicy(t, a, bucket, acctAllowB(e, bucket, "s3:GetObject", "s3:GetObjectAttributes"))
	acctOK(t, "GetObjectAttributes with both actions", attrs())
	acctPolicy(t, a, bucket, acctAllowB(e, bucket, "s3:GetObjectAttributes"))
	acctDenied(t, "GetObjectAttributes with s3:GetObjectAttributes only", attrs())
	acctPolicy(t, a, bucket, acctAllowB(e, bucket, "s3:GetObject"))
	acctDenied(t, "GetObjectAttributes with s3:GetObject only", attrs())
	// A Deny of either action refuses it.
	acctPolicy(t, a, bucket, acctDoc(
		acctStmt("Allow", map[string]string{"Principal": acctAWS(e.b.ID), "Action": `"s3:*"`, "Resource": acctList(acctObjARN(bucket, "*"))}),
		acctStmt("Deny", map[string]string{"Principal": acctAWS(e.b.ID), "Action": `"s3:GetObjectAttributes"`, "Resource": acctList(acctObjARN(bucket, "*"))})))
	acctDenied(t, "GetObjectAttributes with s3:GetObjectAttributes denied", attrs())
}

// TestAcctMissingKeyWithoutListBucket: reading a key that does not exist
// answers 404 only to callers who may list the bucket; others get 403, so
// that a grant of s3:GetObject does not reveal which keys exist.
func TestAcctMissingKeyWithoutListBucket(t *testing.T) {
	e := acctNew(t)
	a, b := e.a.S3, e.b.S3
	bucket := acctBucket(t, a)
	acctPut(t, a, bucket, "present", "v")
	_, _, err := acctGet(a, bucket, "absent")
	acctWantErr(t, "owner GetObject absent", err, "NoSuchKey", http.StatusNotFound)

	acctPolicy(t, a, bucket, acctAllowB(e, bucket, "s3:GetObject"))
	_, _, err = acctGet(b, bucket, "absent")
	acctDenied(t, "bob (s3:GetObject, no s3:ListBucket) GetObject absent", err)
	_, err = b.HeadObject(acctCtx(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("absent")})
	acctWantErr(t, "bob (no s3:ListBucket) HeadObject absent", err, "", http.StatusForbidden)

	acctPolicy(t, a, bucket, acctAllowB(e, bucket, "s3:GetObject", "s3:ListBucket"))
	_, _, err = acctGet(b, bucket, "absent")
	acctWantErr(t, "bob (s3:GetObject and s3:ListBucket) GetObject absent", err, "NoSuchKey", http.StatusNotFound)

	acctPolicy(t, a, bucket, acctDoc(acctStmt("Allow", map[string]string{"Principal": `"*"`, "Action": `"s3:GetObject"`, "Resource": acctList(acctObjARN(bucket, "*"))})))
	if status, code, _ := acctAnon(t, e.srv, "GET", "/"+bucket+"/absent", nil); status != 403 || code != "AccessDenied" {
		t.Errorf("anonymous GetObject absent (no s3:ListBucket): %d %s, want 403 AccessDenied", status, code)
	}
	if status, _, body := acctAnon(t, e.srv, "GET", "/"+bucket+"/present", nil); status != 200 || string(body) != "v" {
		t.Errorf("anonymous GetObject present: %d %q", status, body)
	}
}

// acctHeaderRT adds headers to every request.
type acctHeaderRT struct {
	base http.RoundTripper
	hdr  map[string]string
}

func (rt acctHeaderRT) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range rt.hdr {
		r.Header.Set(k, v)
	}
	return rt.base.RoundTrip(r)
}

// TestAcctSourceIPNotSpoofable: aws:SourceIp is the connection's address;
// X-Forwarded-For and friends from the client do not change it.
func TestAcctSourceIPNotSpoofable(t *testing.T) {
	e := acctNew(t)
	a := e.a.S3
	bucket := acctBucket(t, a)
	acctPut(t, a, bucket, "k", "v")
	acctPolicy(t, a, bucket, acctDoc(acctStmt("Allow", map[string]string{
		"Principal": acctAWS(e.b.ID), "Action": `"s3:GetObject"`, "Resource": acctList(acctObjARN(bucket, "*")),
		"Condition": `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`})))
	spoof := e.srv.S3As(e.b.AccessKey, e.b.SecretKey, func(o *s3.Options) {
		o.HTTPClient = &http.Client{Transport: acctHeaderRT{base: e.srv.HTTPClient().Transport, hdr: map[string]string{
			"X-Forwarded-For": "203.0.113.9", "X-Real-Ip": "203.0.113.9", "Forwarded": "for=203.0.113.9"}}}
	})
	_, _, err := acctGet(spoof, bucket, "k")
	acctDenied(t, "bob GetObject claiming 203.0.113.9 in forwarding headers", err)
}

// TestAcctPolicyCanonicalUserPrincipal: a Principal {"CanonicalUser": id}
// is either honoured or refused as malformed, never accepted and ignored.
func TestAcctPolicyCanonicalUserPrincipal(t *testing.T) {
	e := acctNew(t)
	a := e.a.S3
	bucket := acctBucket(t, a)
	acctPut(t, a, bucket, "k", "v")
	doc := acctDoc(acctStmt("Allow", map[string]string{
		"Principal": `{"CanonicalUser":"` + e.b.CanonicalID + `"}`, "Action": `"s3:GetObject"`, "Resource": acctList(acctObjARN(bucket, "*"))}))
	_, err := a.PutBucketPolicy(acctCtx(), &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(doc)})
	if err != nil {
		acctWantErr(t, "PutBucketPolicy with a CanonicalUser principal", err, "MalformedPolicy", http.StatusBadRequest)
		return
	}
	_, _, err = acctGet(e.b.S3, bucket, "k")
	acctOK(t, "bob GetObject granted by CanonicalUser (the policy was accepted)", err)
	_, _, err = acctGet(e.c.S3, bucket, "k")
	acctDenied(t, "carol GetObject (not the CanonicalUser)", err)
}

// TestAcctRequesterPaysCopySource: copying out of a Requester Pays bucket
// is a read of that bucket: another account must accept the charge there
// too (CopyObject and UploadPartCopy), even into a bucket of its own.
func TestAcctRequesterPaysCopySource(t *testing.T) {
	e := acctNew(t)
	a, b := e.a.S3, e.b.S3
	src := acctBucket(t, a)
	dst := acctBucket(t, b)
	acctPut(t, a, src, "k", "paid data")
	acctPolicy(t, a, src, acctAllowB(e, src, "s3:GetObject"))
	acctSetPayer(t, a, src, types.PayerRequester)

	_, _, err := acctGet(b, src, "k")
	acctDenied(t, "bob GetObject from the Requester Pays bucket without RequestPayer", err)
	_, err = b.CopyObject(acctCtx(), &s3.CopyObjectInput{Bucket: aws.String(dst), Key: aws.String("copy"), CopySource: aws.String(src + "/k")})
	acctDenied(t, "bob CopyObject out of a Requester Pays bucket without RequestPayer", err)
	if _, err := b.HeadObject(acctCtx(), &s3.HeadObjectInput{Bucket: aws.String(dst), Key: aws.String("copy")}); acctStatus(err) != http.StatusNotFound {
		t.Errorf("HeadObject of the refused copy: %v, want 404", err)
	}
	id := acctUpload(t, b, dst, "mp")
	_, err = b.UploadPartCopy(acctCtx(), &s3.UploadPartCopyInput{Bucket: aws.String(dst), Key: aws.String("mp"), UploadId: aws.String(id),
		PartNumber: aws.Int32(1), CopySource: aws.String(src + "/k")})
	acctDenied(t, "bob UploadPartCopy out of a Requester Pays bucket without RequestPayer", err)

	out, err := b.CopyObject(acctCtx(), &s3.CopyObjectInput{Bucket: aws.String(dst), Key: aws.String("copy"), CopySource: aws.String(src + "/k"),
		RequestPayer: types.RequestPayerRequester})
	if err != nil {
		t.Fatalf("bob CopyObject with RequestPayer: %v", err)
	}
	if out.RequestCharged != types.RequestChargedRequester {
		t.Errorf("bob CopyObject with RequestPayer: RequestCharged %q, want requester", out.RequestCharged)
	}
	acctWantBody(t, b, dst, "copy", "paid data")
}

// TestAcctDeleteObjectsPerKey: DeleteObjects checks s3:DeleteObject key by
// key against the policy's resources.
func TestAcctDeleteObjectsPerKey(t *testing.T) {
	e := acctNew(t)
	a, b := e.a.S3, e.b.S3
	bucket := acctBucket(t, a)
	for _, k := range []string{"tmp/1", "tmp/2", "keep/1"} {
		acctPut(t, a, bucket, k, k)
	}
	acctPolicy(t, a, bucket, acctDoc(acctStmt("Allow", map[string]string{
		"Principal": acctAWS(e.b.ID), "Action": `"s3:DeleteObject"`, "Resource": acctList(acctObjARN(bucket, "tmp/*"))})))
	out, err := b.DeleteObjects(acctCtx(), &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: aws.String("tmp/1")}, {Key: aws.String("keep/1")}, {Key: aws.String("tmp/2")}}}})
	if err != nil {
		t.Fatalf("bob DeleteObjects: %v", err)
	}
	var deleted []string
	for _, d := range out.Deleted {
		deleted = append(deleted, aws.ToString(d.Key))
	}
	if strings.Join(deleted, ",") != "tmp/1,tmp/2" && strings.Join(deleted, ",") != "tmp/2,tmp/1" {
		t.Errorf("Deleted = %v, want tmp/1 and tmp/2", deleted)
	}
	if len(out.Errors) != 1 || aws.ToString(out.Errors[0].Key) != "keep/1" || aws.ToString(out.Errors[0].Code) != "AccessDenied" {
		t.Errorf("Errors = %+v, want keep/1 AccessDenied", out.Errors)
	}
	acctWantBody(t, a, bucket, "keep/1", "keep/1")
}
