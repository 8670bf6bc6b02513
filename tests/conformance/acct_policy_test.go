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

// acctAllowB grants bob the actions on the bucket and its objects.
func acctAllowB(e *acctEnv, bucket string, actions ...string) string {
	return acctDoc(acctStmt("Allow", map[string]string{
		"Principal": acctAWS(e.b.ID),
		"Action":    acctList(actions...),
		"Resource":  acctList(acctBucketARN(bucket), acctObjARN(bucket, "*")),
	}))
}

// TestAcctPolicyRoundTrip: Put/Get/DeleteBucketPolicy, NoSuchBucketPolicy
// on none.
func TestAcctPolicyRoundTrip(t *testing.T) {
	e := acctNew(t)
	a := e.a.S3
	bucket := acctBucket(t, a)
	_, err := a.GetBucketPolicy(acctCtx(), &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	acctWantErr(t, "GetBucketPolicy with none", err, "NoSuchBucketPolicy", http.StatusNotFound)

	doc := acctAllowB(e, bucket, "s3:GetObject")
	acctPolicy(t, a, bucket, doc)
	out, err := a.GetBucketPolicy(acctCtx(), &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("GetBucketPolicy: %v", err)
	}
	if aws.ToString(out.Policy) != doc {
		t.Errorf("GetBucketPolicy = %s\nwant %s", aws.ToString(out.Policy), doc)
	}
	acctPut(t, a, bucket, "k", "v")
	acctWantBody(t, e.b.S3, bucket, "k", "v")

	// A new policy replaces the old one.
	doc2 := acctAllowB(e, bucket, "s3:ListBucket")
	acctPolicy(t, a, bucket, doc2)
	out, err = a.GetBucketPolicy(acctCtx(), &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	if err != nil || aws.ToString(out.Policy) != doc2 {
		t.Errorf("GetBucketPolicy after replace = %v, %v", err, aws.ToString(out.Policy))
	}
	_, _, err = acctGet(e.b.S3, bucket, "k")
	acctDenied(t, "bob GetObject after the policy was replaced", err)
	_, err = acctListV2(e.b.S3, bucket, "", false)
	acctOK(t, "bob ListObjectsV2 under the new policy", err)

	if _, err := a.DeleteBucketPolicy(acctCtx(), &s3.DeleteBucketPolicyInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("DeleteBucketPolicy: %v", err)
	}
	_, err = a.GetBucketPolicy(acctCtx(), &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	acctWantErr(t, "GetBucketPolicy after delete", err, "NoSuchBucketPolicy", http.StatusNotFound)
	_, err = acctListV2(e.b.S3, bucket, "", false)
	acctDenied(t, "bob ListObjectsV2 after the policy was deleted", err)
	_, err = a.DeleteBucketPolicy(acctCtx(), &s3.DeleteBucketPolicyInput{Bucket: aws.String(bucket)})
	acctOK(t, "DeleteBucketPolicy with none (idempotent)", err)

	_, err = a.GetBucketPolicy(acctCtx(), &s3.GetBucketPolicyInput{Bucket: aws.String(bucket + "-missing")})
	acctWantErr(t, "GetBucketPolicy on a missing bucket", err, "NoSuchBucket", http.StatusNotFound)
}

// TestAcctPolicyMalformed: a policy S3 would refuse → 400 MalformedPolicy,
// and the stored policy stays as it was.
func TestAcctPolicyMalformed(t *testing.T) {
	e := acctNew(t)
	a := e.a.S3
	bucket := acctBucket(t, a)
	good := acctAllowB(e, bucket, "s3:GetObject")
	acctPolicy(t, a, bucket, good)
	obj := acctList(acctObjARN(bucket, "*"))
	pr := acctAWS(e.b.ID)
	cases := map[string]string{
		"not JSON":          `{"Version":"2012-10-17","Statement":[`,
		"JSON array":        `[]`,
		"no statement":      `{"Version":"2012-10-17"}`,
		"empty statement":   `{"Version":"2012-10-17","Statement":[]}`,
		"bad version":       `{"Version":"2020-01-01","Statement":[` + acctStmt("Allow", map[string]string{"Principal": pr, "Action": `"s3:GetObject"`, "Resource": obj}) + `]}`,
		"bad effect":        acctDoc(acctStmt("Maybe", map[string]string{"Principal": pr, "Action": `"s3:GetObject"`, "Resource": obj})),
		"no principal":      acctDoc(acctStmt("Allow", map[string]string{"Action": `"s3:GetObject"`, "Resource": obj})),
		"bad principal":     acctDoc(acctStmt("Allow", map[string]string{"Principal": `"bob"`, "Action": `"s3:GetObject"`, "Resource": obj})),
		"no action":         acctDoc(acctStmt("Allow", map[string]string{"Principal": pr, "Resource": obj})),
		"non-s3 action":     acctDoc(acctStmt("Allow", map[string]string{"Principal": pr, "Action": `"iam:CreateUser"`, "Resource": obj})),
		"no resource":       acctDoc(acctStmt("Allow", map[string]string{"Principal": pr, "Action": `"s3:GetObject"`})),
		"other bucket":      acctDoc(acctStmt("Allow", map[string]string{"Principal": pr, "Action": `"s3:GetObject"`, "Resource": `"arn:aws:s3:::someone-else/*"`})),
		"not an ARN":        acctDoc(acctStmt("Allow", map[string]string{"Principal": pr, "Action": `"s3:GetObject"`, "Resource": `"` + bucket + `/*"`})),
		"both Action kinds": acctDoc(acctStmt("Allow", map[string]string{"Principal": pr, "Action": `"s3:GetObject"`, "NotAction": `"s3:PutObject"`, "Resource": obj})),
		"unknown element":   strings.Replace(good, `"Effect"`, `"Colour":"blue","Effect"`, 1),
		"unknown operator":  acctDoc(acctStmt("Allow", map[string]string{"Principal": pr, "Action": `"s3:GetObject"`, "Resource": obj, "Condition": `{"StringSortOf":{"s3:prefix":"a"}}`})),
		"bad IP":            acctDoc(acctStmt("Allow", map[string]string{"Principal": pr, "Action": `"s3:GetObject"`, "Resource": obj, "Condition": `{"IpAddress":{"aws:SourceIp":"300.1.2.3/8"}}`})),
	}
	for name, doc := range cases {
		_, err := a.PutBucketPolicy(acctCtx(), &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(doc)})
		acctWantErr(t, "PutBucketPolicy "+name, err, "MalformedPolicy", http.StatusBadRequest)
	}
	out, err := a.GetBucketPolicy(acctCtx(), &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	if err != nil || aws.ToString(out.Policy) != good {
		t.Errorf("GetBucketPolicy after refused puts = %v, %s; want the good policy", err, aws.ToString(out.Policy))
	}
}

// TestAcctPolicyPrincipals: Principal as account ID, as
// arn:aws:iam::<id>:root, as "*" and {"AWS":"*"}; a grant to one account
// grants nothing to another.
func TestAcctPolicyPrincipals(t *testing.T) {
	e := acctNew(t)
	a := e.a.S3
	bucket := acctBucket(t, a)
	acctPut(t, a, bucket, "k", "v")
	obj := acctList(acctObjARN(bucket, "*"))
	cases := []struct {
		name       string
		principal  string
		bob, carol bool
	}{
		{"account ID string", `{"AWS":"` + e.b.ID + `"}`, true, false},
		{"account ID list", acctAWS(e.b.ID), true, false},
		{"root ARN", `{"AWS":"arn:aws:iam::` + e.b.ID + `:root"}`, true, false},
		{"two accounts", acctAWS(e.b.ID, "arn:aws:iam::"+e.c.ID+":root"), true, true},
		{"other account", acctAWS(e.c.ID), false, true},
		{"unknown account", acctAWS("123456789012"), false, false},
		{"star", `"*"`, true, true},
		{"AWS star", `{"AWS":"*"}`, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			acctPolicy(t, a, bucket, acctDoc(acctStmt("Allow", map[string]string{"Principal": tc.principal, "Action": `"s3:GetObject"`, "Resource": obj})))
			for _, who := range []struct {
				acc  *tesseratest.Account
				want bool
			}{{e.b, tc.bob}, {e.c, tc.carol}} {
				_, _, err := acctGet(who.acc.S3, bucket, "k")
				if who.want {
					acctOK(t, who.acc.Name+" GetObject", err)
				} else {
					acctDenied(t, who.acc.Name+" GetObject", err)
				}
			}
			// The grant is for GetObject only.
			_, err := e.b.S3.PutObject(acctCtx(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("no")})
			acctDenied(t, "bob PutObject (not granted)", err)
			// The owner keeps access whatever the policy names.
			acctWantBody(t, a, bucket, "k", "v")
		})
	}
}

// TestAcctPolicyActions: each action grants exactly its operations —
// s3:ListMultipartUploadParts, s3:ListBucketMultipartUploads,
// s3:AbortMultipartUpload, s3:PutObject, s3:GetObject, s3:ListBucket,
// s3:DeleteObject — and the wildcards s3:Get*, s3:List*, s3:*, *.
func TestAcctPolicyActions(t *testing.T) {
	e := acctNew(t)
	a, b := e.a.S3, e.b.S3
	bucket := acctBucket(t, a)
	acctPut(t, a, bucket, "obj", "object body")
	upload := acctUpload(t, a, bucket, "mp")
	if _, err := acctUploadPart(a, bucket, "mp", upload, 1, "part"); err != nil {
		t.Fatal(err)
	}
	n := 0
	// fresh returns a new upload of alice's with one part (for Abort and Complete).
	fresh := func() (string, string, *string) {
		n++
		key := "fresh-" + strings.Repeat("x", n)
		id := acctUpload(t, a, bucket, key)
		p, err := acctUploadPart(a, bucket, key, id, 1, "p")
		if err != nil {
			t.Fatal(err)
		}
		return key, id, p.ETag
	}
	ops := []struct {
		name string
		do   func() error
	}{
		{"ListParts", func() error { _, err := acctListParts(b, bucket, "mp", upload); return err }},
		{"ListMultipartUploads", func() error {
			_, err := b.ListMultipartUploads(acctCtx(), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
			return err
		}},
		{"AbortMultipartUpload", func() error { key, id, _ := fresh(); return acctAbort(b, bucket, key, id) }},
		{"CreateMultipartUpload", func() error {
			_, err := b.CreateMultipartUpload(acctCtx(), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("bobs")})
			return err
		}},
		{"UploadPart", func() error { _, err := acctUploadPart(b, bucket, "mp", upload, 2, "bob part"); return err }},
		{"CompleteMultipartUpload", func() error {
			key, id, etag := fresh()
			_, err := acctComplete(b, bucket, key, id, []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: etag}})
			return err
		}},
		{"PutObject", func() error {
			_, err := b.PutObject(acctCtx(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("bob-put"), Body: strings.NewReader("b")})
			return err
		}},
		{"GetObject", func() error { _, _, err := acctGet(b, bucket, "obj"); return err }},
		{"HeadObject", func() error {
			_, err := b.HeadObject(acctCtx(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("obj")})
			return err
		}},
		{"ListObjectsV2", func() error { _, err := acctListV2(b, bucket, "", false); return err }},
		{"DeleteObject", func() error {
			_, err := b.DeleteObject(acctCtx(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("never-there")})
			return err
		}},
	}
	all := []string{}
	for _, op := range ops {
		all = append(all, op.name)
	}
	cases := []struct {
		actions []string
		allowed []string
	}{
		{[]string{"s3:ListMultipartUploadParts"}, []string{"ListParts"}},
		{[]string{"s3:ListBucketMultipartUploads"}, []string{"ListMultipartUploads"}},
		{[]string{"s3:AbortMultipartUpload"}, []string{"AbortMultipartUpload"}},
		{[]string{"s3:PutObject"}, []string{"CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "PutObject"}},
		{[]string{"s3:GetObject"}, []string{"GetObject", "HeadObject"}},
		{[]string{"s3:ListBucket"}, []string{"ListObjectsV2"}},
		{[]string{"s3:DeleteObject"}, []string{"DeleteObject"}},
		{[]string{"s3:Get*"}, []string{"GetObject", "HeadObject"}},
		{[]string{"s3:List*"}, []string{"ListParts", "ListMultipartUploads", "ListObjectsV2"}},
		{[]string{"s3:*Multipart*"}, []string{"ListParts", "ListMultipartUploads", "AbortMultipartUpload"}},
		{[]string{"s3:getobject"}, []string{"GetObject", "HeadObject"}}, // action names are case-insensitive
		{[]string{"s3:GetObject", "s3:ListBucket"}, []string{"GetObject", "HeadObject", "ListObjectsV2"}},
		{[]string{"s3:*"}, all},
		{[]string{"*"}, all},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.actions, "+"), func(t *testing.T) {
			acctPolicy(t, a, bucket, acctAllowB(e, bucket, tc.actions...))
			for _, op := range ops {
				err := op.do()
				want := false
				for _, al := range tc.allowed {
					want = want || al == op.name
				}
				switch {
				case want && err != nil:
					t.Errorf("%s with %v: %v, want success", op.name, tc.actions, err)
				case !want:
					if op.name == "HeadObject" {
						acctWantErr(t, op.name+" with "+strings.Join(tc.actions, ","), err, "", http.StatusForbidden)
					} else {
						acctDenied(t, op.name+" with "+strings.Join(tc.actions, ","), err)
					}
				}
			}
		})
	}
}

// TestAcctPolicyResources: resource ARNs with * and ? wildcards; a bucket
// ARN does not cover objects and an object ARN does not cover the bucket.
func TestAcctPolicyResources(t *testing.T) {
	e := acctNew(t)
	a, b := e.a.S3, e.b.S3
	bucket := acctBucket(t, a)
	for _, k := range []string{"docs/a.txt", "docs/sub/b.pdf", "img/c.txt", "x1", "x22"} {
		acctPut(t, a, bucket, k, "body of "+k)
	}
	grant := func(actions string, resources ...string) {
		acctPolicy(t, a, bucket, acctDoc(acctStmt("Allow", map[string]string{
			"Principal": acctAWS(e.b.ID), "Action": actions, "Resource": acctList(resources...)})))
	}
	readable := func(key string, want bool) {
		t.Helper()
		_, _, err := acctGet(b, bucket, key)
		if want {
			acctOK(t, "bob GetObject "+key, err)
		} else {
			acctDenied(t, "bob GetObject "+key, err)
		}
	}

	grant(`"s3:GetObject"`, acctObjARN(bucket, "docs/*"))
	readable("docs/a.txt", true)
	readable("docs/sub/b.pdf", true) // * crosses "/"
	readable("img/c.txt", false)
	readable("x1", false)

	grant(`"s3:GetObject"`, acctObjARN(bucket, "*.txt"))
	readable("docs/a.txt", true)
	readable("img/c.txt", true)
	readable("docs/sub/b.pdf", false)

	grant(`"s3:GetObject"`, acctObjARN(bucket, "x?"))
	readable("x1", true)
	readable("x22", false)

	grant(`"s3:GetObject"`, acctObjARN(bucket, "img/c.txt"), acctObjARN(bucket, "x22"))
	readable("img/c.txt", true)
	readable("x22", true)
	readable("x1", false)

	// Wildcards in the bucket part too.
	grant(`"s3:GetObject"`, "arn:aws:s3:::"+bucket[:len(bucket)-2]+"*/docs/*")
	readable("docs/a.txt", true)
	readable("img/c.txt", false)

	// A bucket ARN grants bucket actions only; an object ARN object actions only.
	grant(`["s3:GetObject","s3:ListBucket"]`, acctBucketARN(bucket))
	readable("docs/a.txt", false)
	_, err := acctListV2(b, bucket, "", false)
	acctOK(t, "bob ListObjectsV2 with the bucket ARN", err)
	grant(`["s3:GetObject","s3:ListBucket"]`, acctObjARN(bucket, "*"))
	readable("docs/a.txt", true)
	_, err = acctListV2(b, bucket, "", false)
	acctDenied(t, "bob ListObjectsV2 with only object ARNs", err)
}

// TestAcctPolicyNotElements: NotAction, NotResource and NotPrincipal, with
// three accounts.
func TestAcctPolicyNotElements(t *testing.T) {
	e := acctNew(t)
	a, b, c := e.a.S3, e.b.S3, e.c.S3
	bucket := acctBucket(t, a)
	acctPut(t, a, bucket, "public/p", "p")
	acctPut(t, a, bucket, "private/q", "q")
	obj := acctList(acctObjARN(bucket, "*"))

	t.Run("NotAction", func(t *testing.T) {
		acctPolicy(t, a, bucket, acctDoc(acctStmt("Allow", map[string]string{
			"Principal": acctAWS(e.b.ID), "NotAction": acctList("s3:DeleteObject", "s3:PutObject"), "Resource": obj})))
		_, _, err := acctGet(b, bucket, "public/p")
		acctOK(t, "bob GetObject (not excluded)", err)
		_, err = b.PutObject(acctCtx(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("public/p"), Body: strings.NewReader("x")})
		acctDenied(t, "bob PutObject (excluded)", err)
		_, err = b.DeleteObject(acctCtx(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("public/p")})
		acctDenied(t, "bob DeleteObject (excluded)", err)
		_, err = acctListV2(b, bucket, "", false)
		acctDenied(t, "bob ListObjectsV2 (bucket not in Resource)", err)
		acctWantBody(t, a, bucket, "public/p", "p")
	})

	t.Run("NotResource", func(t *testing.T) {
		acctPolicy(t, a, bucket, acctDoc(acctStmt("Allow", map[string]string{
			"Principal": acctAWS(e.b.ID), "Action": `"s3:GetObject"`, "NotResource": acctList(acctObjARN(bucket, "private/*"))})))
		_, _, err := acctGet(b, bucket, "public/p")
		acctOK(t, "bob GetObject public/p", err)
		_, _, err = acctGet(b, bucket, "private/q")
		acctDenied(t, "bob GetObject private/q (NotResource)", err)
	})

	t.Run("NotPrincipal", func(t *testing.T) {
		// Everyone may read, but a Deny for everyone except alice and bob shuts carol out.
		acctPolicy(t, a, bucket, acctDoc(
			acctStmt("Allow", map[string]string{"Principal": acctAWS(e.b.ID, e.c.ID), "Action": `"s3:GetObject"`, "Resource": obj}),
			acctStmt("Deny", map[string]string{"NotPrincipal": acctAWS(e.a.ID, "arn:aws:iam::"+e.b.ID+":root"), "Action": `"s3:GetObject"`, "Resource": obj}),
		))
		_, _, err := acctGet(b, bucket, "public/p")
		acctOK(t, "bob GetObject (named in NotPrincipal)", err)
		_, _, err = acctGet(c, bucket, "public/p")
		acctDenied(t, "carol GetObject (not in NotPrincipal → denied)", err)
		acctWantBody(t, a, bucket, "public/p", "p")
		_, _, err = acctGet(e.root, bucket, "public/p")
		acctDenied(t, "root GetObject", err)

		// Allow with NotPrincipal: everyone but bob.
		acctPolicy(t, a, bucket, acctDoc(
			acctStmt("Allow", map[string]string{"NotPrincipal": acctAWS(e.b.ID), "Action": `"s3:GetObject"`, "Resource": obj})))
		_, _, err = acctGet(b, bucket, "public/p")
		acctDenied(t, "bob GetObject (excluded by NotPrincipal)", err)
		_, _, err = acctGet(c, bucket, "public/p")
		acctOK(t, "carol GetObject (not excluded)", err)
	})
}

// TestAcctPolicyPrefixConditions: StringEquals / StringLike /
// StringNotEquals on s3:prefix of ListObjectsV2.
func TestAcctPolicyPrefixConditions(t *testing.T) {
	e := acctNew(t)
	a, b := e.a.S3, e.b.S3
	bucket := acctBucket(t, a)
	for _, k := range []string{"home/bob/1", "home/bob/2", "home/alice/1", "secret/s", "public/x"} {
		acctPut(t, a, bucket, k, k)
	}
	cond := func(c string) {
		acctPolicy(t, a, bucket, acctDoc(acctStmt("Allow", map[string]string{
			"Principal": acctAWS(e.b.ID), "Action": `"s3:ListBucket"`, "Resource": acctList(acctBucketARN(bucket)), "Condition": c})))
	}
	list := func(prefix string, want bool, wantKeys int) {
		t.Helper()
		out, err := acctListV2(b, bucket, prefix, false)
		what := "bob ListObjectsV2 prefix " + prefix
		if prefix == "" {
			what = "bob ListObjectsV2 without prefix"
		}
		if !want {
			acctDenied(t, what, err)
			return
		}
		if err != nil {
			t.Errorf("%s: %v, want success", what, err)
			return
		}
		if len(out.Contents) != wantKeys {
			t.Errorf("%s: %d keys, want %d", what, len(out.Contents), wantKeys)
		}
	}

	cond(`{"StringEquals":{"s3:prefix":"home/bob/"}}`)
	list("home/bob/", true, 2)
	list("home/bob", false, 0)
	list("home/alice/", false, 0)
	list("", false, 0)

	cond(`{"StringEquals":{"s3:prefix":["home/bob/","public/"]}}`)
	list("public/", true, 1)
	list("home/bob/", true, 2)
	list("secret/", false, 0)

	cond(`{"StringLike":{"s3:prefix":"home/bob/*"}}`)
	list("home/bob/", true, 2)
	list("home/bob/1", true, 1)
	list("home/alice/", false, 0)
	list("", false, 0)

	cond(`{"StringNotEquals":{"s3:prefix":"secret/"}}`)
	list("public/", true, 1)
	list("home/", true, 3)
	list("secret/", false, 0)
	list("", true, 5) // no prefix: the negated operator holds

	// The same condition on a Deny protects a prefix even from an s3:* grant.
	acctPolicy(t, a, bucket, acctDoc(
		acctStmt("Allow", map[string]string{"Principal": acctAWS(e.b.ID), "Action": `"s3:*"`, "Resource": acctList(acctBucketARN(bucket), acctObjARN(bucket, "*"))}),
		acctStmt("Deny", map[string]string{"Principal": `"*"`, "Action": `"s3:ListBucket"`, "Resource": acctList(acctBucketARN(bucket)),
			"Condition": `{"StringLike":{"s3:prefix":"secret*"}}`}),
	))
	list("public/", true, 1)
	list("secret/", false, 0)
	_, err := acctListV2(a, bucket, "secret/", false)
	acctDenied(t, "alice (owner) ListObjectsV2 prefix secret/ under a Deny", err)
}

// TestAcctPolicySourceIP: aws:SourceIp with IpAddress and NotIpAddress
// (test requests come from 127.0.0.1).
func TestAcctPolicySourceIP(t *testing.T) {
	e := acctNew(t)
	a, b := e.a.S3, e.b.S3
	bucket := acctBucket(t, a)
	acctPut(t, a, bucket, "k", "v")
	cases := []struct {
		cond string
		want bool
	}{
		{`{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}`, true},
		{`{"IpAddress":{"aws:SourceIp":"127.0.0.1"}}`, true},
		{`{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","127.0.0.1/32"]}}`, true},
		{`{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, false},
		{`{"IpAddress":{"aws:SourceIp":"192.0.2.7"}}`, false},
		{`{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, true},
		{`{"NotIpAddress":{"aws:SourceIp":"127.0.0.0/24"}}`, false},
	}
	for _, tc := range cases {
		acctPolicy(t, a, bucket, acctDoc(acctStmt("Allow", map[string]string{
			"Principal": acctAWS(e.b.ID), "Action": `"s3:GetObject"`, "Resource": acctList(acctObjARN(bucket, "*")), "Condition": tc.cond})))
		_, _, err := acctGet(b, bucket, "k")
		if tc.want {
			acctOK(t, "bob GetObject with "+tc.cond, err)
		} else {
			acctDenied(t, "bob GetObject with "+tc.cond, err)
		}
	}
	// Deny outside an allowed network: denies the owner too when it applies.
	acctPolicy(t, a, bucket, acctDoc(acctStmt("Deny", map[string]string{
		"Principal": `"*"`, "Action": `"s3:*"`, "Resource": acctList(acctObjARN(bucket, "*")),
		"Condition": `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`})))
	_, _, err := acctGet(a, bucket, "k")
	acctDenied(t, "owner GetObject from outside 10.0.0.0/8 under a Deny", err)
	acctPolicy(t, a, bucket, acctDoc(acctStmt("Deny", map[string]string{
		"Principal": `"*"`, "Action": `"s3:*"`, "Resource": acctList(acctObjARN(bucket, "*")),
		"Condition": `{"NotIpAddress":{"aws:SourceIp":"127.0.0.0/8"}}`})))
	acctWantBody(t, a, bucket, "k", "v")
}

// TestAcctPolicySecureTransport: aws:SecureTransport (Bool) is false over
// HTTP and true over HTTPS.
func TestAcctPolicySecureTransport(t *testing.T) {
	for _, tls := range []bool{false, true} {
		name := "http"
		var opts []tesseratest.Option
		if tls {
			name = "https"
			opts = append(opts, tesseratest.WithTLS())
		}
		t.Run(name, func(t *testing.T) {
			e := acctNew(t, opts...)
			a, b := e.a.S3, e.b.S3
			bucket := acctBucket(t, a)
			acctPut(t, a, bucket, "k", "v")
			obj := acctList(acctObjARN(bucket, "*"))

			// Allow only over TLS.
			acctPolicy(t, a, bucket, acctDoc(acctStmt("Allow", map[string]string{
				"Principal": acctAWS(e.b.ID), "Action": `"s3:GetObject"`, "Resource": obj,
				"Condition": `{"Bool":{"aws:SecureTransport":"true"}}`})))
			_, _, err := acctGet(b, bucket, "k")
			if tls {
				acctOK(t, "bob GetObject over HTTPS with an Allow requiring TLS", err)
			} else {
				acctDenied(t, "bob GetObject over HTTP with an Allow requiring TLS", err)
			}

			// The usual "deny insecure transport" policy (boolean JSON value).
			acctPolicy(t, a, bucket, acctDoc(
				acctStmt("Allow", map[string]string{"Principal": acctAWS(e.b.ID), "Action": `"s3:GetObject"`, "Resource": obj}),
				acctStmt("Deny", map[string]string{"Principal": `"*"`, "Action": `"s3:*"`, "Resource": obj,
					"Condition": `{"Bool":{"aws:SecureTransport":false}}`}),
			))
			_, _, errB := acctGet(b, bucket, "k")
			_, _, errA := acctGet(a, bucket, "k")
			if tls {
				acctOK(t, "bob GetObject over HTTPS", errB)
				acctOK(t, "alice GetObject over HTTPS", errA)
			} else {
				acctDenied(t, "bob GetObject over HTTP under deny-insecure", errB)
				acctDenied(t, "alice (owner) GetObject over HTTP under deny-insecure", errA)
			}
		})
	}
}

// TestAcctPolicyExplicitDeny: an explicit Deny wins over any Allow and over
// ownership.
func TestAcctPolicyExplicitDeny(t *testing.T) {
	e := acctNew(t)
	a, b := e.a.S3, e.b.S3
	bucket := acctBucket(t, a)
	acctPut(t, a, bucket, "open/k", "open")
	acctPut(t, a, bucket, "locked/k", "locked")
	acctPolicy(t, a, bucket, acctDoc(
		acctStmt("Allow", map[string]string{"Principal": acctAWS(e.b.ID), "Action": `"s3:*"`, "Resource": acctList(acctBucketARN(bucket), acctObjARN(bucket, "*"))}),
		acctStmt("Deny", map[string]string{"Principal": `"*"`, "Action": acctList("s3:GetObject", "s3:DeleteObject", "s3:PutObject"), "Resource": acctList(acctObjARN(bucket, "locked/*"))}),
		acctStmt("Deny", map[string]string{"Principal": acctAWS(e.b.ID), "Action": `"s3:ListBucket"`, "Resource": acctList(acctBucketARN(bucket))}),
	))
	_, _, err := acctGet(b, bucket, "open/k")
	acctOK(t, "bob GetObject open/k (allowed)", err)
	_, _, err = acctGet(b, bucket, "locked/k")
	acctDenied(t, "bob GetObject locked/k (Allow s3:* and Deny)", err)
	_, _, err = acctGet(a, bucket, "locked/k")
	acctDenied(t, "alice (owner) GetObject locked/k under a Deny for *", err)
	_, err = a.PutObject(acctCtx(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("locked/k"), Body: strings.NewReader("changed")})
	acctDenied(t, "alice (owner) PutObject locked/k under a Deny", err)
	_, err = a.DeleteObject(acctCtx(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("locked/k")})
	acctDenied(t, "alice (owner) DeleteObject locked/k under a Deny", err)
	dout, err := a.DeleteObjects(acctCtx(), &s3.DeleteObjectsInput{Bucket: aws.String(bucket),
		Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("locked/k")}, {Key: aws.String("open/gone")}}}})
	if err != nil {
		t.Errorf("DeleteObjects: %v", err)
	} else if len(dout.Errors) != 1 || aws.ToString(dout.Errors[0].Key) != "locked/k" || aws.ToString(dout.Errors[0].Code) != "AccessDenied" || len(dout.Deleted) != 1 {
		t.Errorf("owner DeleteObjects under a Deny: Deleted %d, Errors %+v; want locked/k AccessDenied, open/gone deleted", len(dout.Deleted), dout.Errors)
	}
	_, err = acctListV2(b, bucket, "", false)
	acctDenied(t, "bob ListObjectsV2 (Allow s3:* and Deny s3:ListBucket)", err)
	_, err = acctListV2(a, bucket, "", false)
	acctOK(t, "alice ListObjectsV2 (the Deny names only bob)", err)
	acctWantBody(t, a, bucket, "open/k", "open")

	// The owner can still lift the policy, and then reads again.
	if _, err := a.DeleteBucketPolicy(acctCtx(), &s3.DeleteBucketPolicyInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("DeleteBucketPolicy: %v", err)
	}
	acctWantBody(t, a, bucket, "locked/k", "locked")
}

// TestAcctAnonymous: unsigned requests fail with 403 unless a policy grants
// Principal "*"; then exactly what is granted works.
func TestAcctAnonymous(t *testing.T) {
	e := acctNew(t)
	a := e.a.S3
	bucket := acctBucket(t, a)
	acctPut(t, a, bucket, "pub/hello.txt", "hello world")
	acctPut(t, a, bucket, "priv/secret.txt", "secret")
	anon := func(method, path string, wantStatus int, wantCode string) []byte {
		t.Helper()
		status, code, body := acctAnon(t, e.srv, method, path, nil)
		if status != wantStatus || (wantCode != "" && code != wantCode) {
			t.Errorf("anonymous %s %s: %d %s, want %d %s", method, path, status, code, wantStatus, wantCode)
		}
		return body
	}
	obj := "/" + bucket + "/pub/hello.txt"
	anon("GET", obj, 403, "AccessDenied")
	anon("GET", "/"+bucket, 403, "AccessDenied")
	anon("GET", "/"+bucket+"?list-type=2", 403, "AccessDenied")
	anon("PUT", "/"+bucket+"/pub/new", 403, "AccessDenied")
	anon("DELETE", obj, 403, "AccessDenied")
	anon("GET", "/"+bucket+"?policy", 403, "AccessDenied")
	anon("GET", "/acct-no-such-bucket/x", 403, "AccessDenied")

	// A policy naming an account does not open the bucket to anonymous callers.
	acctPolicy(t, a, bucket, acctAllowB(e, bucket, "s3:GetObject"))
	anon("GET", obj, 403, "AccessDenied")

	acctPolicy(t, a, bucket, acctDoc(acctStmt("Allow", map[string]string{
		"Principal": `"*"`, "Action": `"s3:GetObject"`, "Resource": acctList(acctObjARN(bucket, "pub/*"))})))
	if body := anon("GET", obj, 200, ""); string(body) != "hello world" {
		t.Errorf("anonymous GetObject body = %q", body)
	}
	anon("HEAD", obj, 200, "")
	anon("GET", "/"+bucket+"/priv/secret.txt", 403, "AccessDenied")
	anon("GET", "/"+bucket+"?list-type=2", 403, "AccessDenied")
	anon("PUT", "/"+bucket+"/pub/new", 403, "AccessDenied")
	anon("DELETE", obj, 403, "AccessDenied")
	// Any authenticated account is also "*".
	acctWantBody(t, e.c.S3, bucket, "pub/hello.txt", "hello world")

	// {"AWS":"*"} with s3:ListBucket: anonymous listing.
	acctPolicy(t, a, bucket, acctDoc(acctStmt("Allow", map[string]string{
		"Principal": `{"AWS":"*"}`, "Action": acctList("s3:ListBucket", "s3:PutObject"), "Resource": acctList(acctBucketARN(bucket), acctObjARN(bucket, "drop/*"))})))
	if body := anon("GET", "/"+bucket+"?list-type=2", 200, ""); !strings.Contains(string(body), "pub/hello.txt") {
		t.Errorf("anonymous ListObjectsV2 body lacks pub/hello.txt:\n%s", body)
	}
	anon("GET", obj, 403, "AccessDenied")
	status, code, _ := acctAnon(t, e.srv, "PUT", "/"+bucket+"/drop/anon.txt", []byte("from nobody"))
	if status != 200 {
		t.Errorf("anonymous PutObject drop/anon.txt: %d %s, want 200", status, code)
	}
	acctWantBody(t, a, bucket, "drop/anon.txt", "from nobody")
	// Anonymous callers have no buckets.
	anon("GET", "/", 403, "AccessDenied")
	anon("PUT", "/acct-anon-bucket", 403, "AccessDenied")
}
