package conformance

import (
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func cfgRead(c *s3.Client, b, k string) error {
	out, err := c.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(k)})
	if err == nil {
		io.Copy(io.Discard, out.Body)
		out.Body.Close()
	}
	return err
}

func cfgGrants(gs []types.Grant) []string {
	var out []string
	for _, g := range gs {
		who := aws.ToString(g.Grantee.URI)
		if who == "" {
			who = "id:" + aws.ToString(g.Grantee.ID)[:8]
		} else {
			who = who[strings.LastIndex(who, "/")+1:]
		}
		out = append(out, who+"="+string(g.Permission))
	}
	return out
}

// TestCfgACLEvaluation: with ACLs enabled, canned ACLs and grants give
// access as S3 evaluates them together with the bucket policy (S3 user
// guide, "Access control list (ACL) overview" and "Mapping of ACL
// permissions and access policy permissions"; an explicit Deny in the
// policy wins, policy evaluation logic).
func TestCfgACLEvaluation(t *testing.T) {
	e := cfgNew(t)
	b := cfgOpenBucket(t, e.root)
	root := tesseraRootCanonical(t, e)
	put := func(key string, mod func(*s3.PutObjectInput)) {
		in := &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: strings.NewReader("x")}
		if mod != nil {
			mod(in)
		}
		if _, err := e.root.PutObject(ctx(), in); err != nil {
			t.Fatalf("PutObject %s: %v", key, err)
		}
	}
	put("private", nil)
	put("public", func(in *s3.PutObjectInput) { in.ACL = types.ObjectCannedACLPublicRead })
	put("authenticated", func(in *s3.PutObjectInput) { in.ACL = types.ObjectCannedACLAuthenticatedRead })
	put("for-bob", func(in *s3.PutObjectInput) { in.GrantRead = aws.String(`id="` + e.bob.CanonicalID + `"`) })

	// The recorded canned ACL grant lists (LocalStack test_s3_bucket_acl).
	acl, err := e.root.GetObjectAcl(ctx(), &s3.GetObjectAclInput{Bucket: aws.String(b), Key: aws.String("public")})
	if err != nil || strings.Join(cfgGrants(acl.Grants), " ") != "id:"+root[:8]+"=FULL_CONTROL AllUsers=READ" {
		t.Errorf("public-read object ACL: %v %v", err, cfgGrants(acl.Grants))
	}
	// Grant headers grant exactly what they say: no owner grant is added (recorded).
	acl, err = e.root.GetObjectAcl(ctx(), &s3.GetObjectAclInput{Bucket: aws.String(b), Key: aws.String("for-bob")})
	if err != nil || strings.Join(cfgGrants(acl.Grants), " ") != "id:"+e.bob.CanonicalID[:8]+"=READ" {
		t.Errorf("grant-read object ACL: %v %v", err, cfgGrants(acl.Grants))
	}

	for _, tc := range []struct {
		who  string
		c    *s3.Client
		key  string
		want bool
	}{
		{"anonymous", e.anon, "private", false},
		{"anonymous", e.anon, "public", true},
		{"anonymous", e.anon, "authenticated", false},
		{"bob", e.bob.S3, "authenticated", true},
		{"bob", e.bob.S3, "for-bob", true},
		{"anonymous", e.anon, "for-bob", false},
		{"bob", e.bob.S3, "private", false},
	} {
		err := cfgRead(tc.c, b, tc.key)
		if (err == nil) != tc.want {
			t.Errorf("%s GET %s: %v, want allowed=%v", tc.who, tc.key, err, tc.want)
		}
	}

	// Bucket ACLs: READ lists, WRITE creates objects.
	_, err = e.root.PutBucketAcl(ctx(), &s3.PutBucketAclInput{Bucket: aws.String(b), ACL: types.BucketCannedACLPublicReadWrite})
	cfgWant(t, "PutBucketAcl public-read-write", err, "", 0, "")
	_, err = e.anon.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String(b)})
	cfgWant(t, "anonymous list of a public-read-write bucket", err, "", 0, "")
	_, err = e.anon.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("dropped"), Body: strings.NewReader("y")})
	cfgWant(t, "anonymous write to a public-read-write bucket", err, "", 0, "")
	_, err = e.anon.GetBucketAcl(ctx(), &s3.GetBucketAclInput{Bucket: aws.String(b)})
	cfgWant(t, "anonymous GetBucketAcl (READ_ACP not granted)", err, "AccessDenied", 403, "")

	// An explicit Deny in the bucket policy wins over an ACL grant.
	acctPolicy(t, e.root, b, acctDoc(acctStmt("Deny", map[string]string{"Principal": acctAWS(e.bob.ID), "Action": `"s3:GetObject"`, "Resource": acctList(acctObjARN(b, "*"))})))
	cfgWant(t, "bob GET for-bob under a Deny", cfgRead(e.bob.S3, b, "for-bob"), "AccessDenied", 403, "")
	cfgWant(t, "anonymous GET public beside bob's Deny", cfgRead(e.anon, b, "public"), "", 0, "")

	// PutObjectAcl replaces a version's ACL.
	_, err = e.root.PutObjectAcl(ctx(), &s3.PutObjectAclInput{Bucket: aws.String(b), Key: aws.String("public"), ACL: types.ObjectCannedACLPrivate})
	cfgWant(t, "PutObjectAcl private", err, "", 0, "")
	cfgWant(t, "anonymous GET after private", cfgRead(e.anon, b, "public"), "AccessDenied", 403, "")

	// BucketOwnerEnforced turns every ACL off, but not while the bucket ACL
	// grants others (Object Ownership docs: InvalidBucketAclWithObjectOwnership).
	enforce := func() error {
		_, err := e.root.PutBucketOwnershipControls(ctx(), &s3.PutBucketOwnershipControlsInput{Bucket: aws.String(b),
			OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: types.ObjectOwnershipBucketOwnerEnforced}}}})
		return err
	}
	cfgWant(t, "enforce over a public bucket ACL", enforce(), "InvalidBucketAclWithObjectOwnership", 400, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
	_, err = e.root.PutBucketAcl(ctx(), &s3.PutBucketAclInput{Bucket: aws.String(b), ACL: types.BucketCannedACLPrivate})
	cfgWant(t, "PutBucketAcl private", err, "", 0, "")
	cfgWant(t, "enforce", enforce(), "", 0, "")
	cfgWant(t, "bob GET of the authenticated-read object under BucketOwnerEnforced", cfgRead(e.bob.S3, b, "authenticated"), "AccessDenied", 403, "")
	_, err = e.root.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader("x"), ACL: types.ObjectCannedACLPublicRead})
	cfgWant(t, "PutObject public-read under BucketOwnerEnforced", err, "AccessControlListNotSupported", 400, "The bucket does not allow ACLs")
	_, err = e.root.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader("x"), ACL: types.ObjectCannedACLBucketOwnerFullControl})
	cfgWant(t, "PutObject bucket-owner-full-control under BucketOwnerEnforced", err, "", 0, "")
}

// TestCfgACLOnWrites: x-amz-acl on CopyObject and CreateMultipartUpload
// gives the new object its ACL, like PutObject (API reference).
func TestCfgACLOnWrites(t *testing.T) {
	e := cfgNew(t)
	b := cfgOpenBucket(t, e.root)
	acctPut(t, e.root, b, "src", "x")
	_, err := e.root.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("copy"), CopySource: aws.String(b + "/src"), ACL: types.ObjectCannedACLPublicRead})
	cfgWant(t, "CopyObject public-read", err, "", 0, "")
	cfgWant(t, "anonymous GET of the copy", cfgRead(e.anon, b, "copy"), "", 0, "")
	up, err := e.root.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("mp"), ACL: types.ObjectCannedACLPublicRead})
	if err != nil {
		t.Fatal(err)
	}
	part, err := e.root.UploadPart(ctx(), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("mp"), UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("p")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.root.CompleteMultipartUpload(ctx(), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("mp"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}}})
	cfgWant(t, "Complete", err, "", 0, "")
	cfgWant(t, "anonymous GET of the multipart object", cfgRead(e.anon, b, "mp"), "", 0, "")
	// A copy never takes its source's ACL.
	_, err = e.root.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("copy2"), CopySource: aws.String(b + "/copy")})
	cfgWant(t, "CopyObject without ACL", err, "", 0, "")
	cfgWant(t, "anonymous GET of a copy of a public object", cfgRead(e.anon, b, "copy2"), "AccessDenied", 403, "")
}
