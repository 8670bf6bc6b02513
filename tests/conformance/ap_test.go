package conformance

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	ctltypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// TestAccessPointControl drives the S3 Control access point calls with
// aws-sdk-go-v2's s3control client, which sends them to
// "{AccountId}.<endpoint host>".
func TestAccessPointControl(t *testing.T) {
	t.Parallel()
	srv := apServer(t)
	root := srv.S3()
	ctl := apControl(srv, accessKey, secretKey)
	acct := tesseratest.RootAccountID
	bucket := newBucket(t, root)

	arn, alias := apCreate(t, ctl, acct, "reports", bucket)
	if want := fmt.Sprintf("arn:aws:s3:%s:%s:accesspoint/reports", srv.Region(), acct); arn != want {
		t.Errorf("AccessPointArn = %q, want %q", arn, want)
	}
	// Alias: name, random part, "-s3alias"; at most 63 lower-case
	// characters (S3 Control AccessPoint.Alias pattern).
	if !regexp.MustCompile(`^reports-[0-9a-z]+-s3alias$`).MatchString(alias) || len(alias) > 63 {
		t.Errorf("Alias = %q", alias)
	}

	errRows := []struct {
		name string
		call func() error
		code string
		stat int
	}{
		// S3 Control answers an access point that exists with
		// AccessPointAlreadyOwnedByYou (S3 Control error list, 409).
		{"create twice", func() error {
			_, err := ctl.CreateAccessPoint(ctx(), &s3control.CreateAccessPointInput{AccountId: aws.String(acct), Name: aws.String("reports"), Bucket: aws.String(bucket)})
			return err
		}, "AccessPointAlreadyOwnedByYou", http.StatusConflict},
		// A name S3 Control refuses: InvalidURI (quoted from S3 in
		// aws-solutions/research-service-workbench-on-aws#290).
		{"name with upper case", func() error {
			_, err := ctl.CreateAccessPoint(ctx(), &s3control.CreateAccessPointInput{AccountId: aws.String(acct), Name: aws.String("Reports"), Bucket: aws.String(bucket)})
			return err
		}, "InvalidURI", http.StatusBadRequest},
		{"name too long", func() error {
			_, err := ctl.CreateAccessPoint(ctx(), &s3control.CreateAccessPointInput{AccountId: aws.String(acct), Name: aws.String(strings.Repeat("a", 51)), Bucket: aws.String(bucket)})
			return err
		}, "InvalidURI", http.StatusBadRequest},
		// S3 error list: "An access point can be created only for an existing bucket."
		{"missing bucket", func() error {
			_, err := ctl.CreateAccessPoint(ctx(), &s3control.CreateAccessPointInput{AccountId: aws.String(acct), Name: aws.String("nobucket"), Bucket: aws.String("no-such-bucket-xyz")})
			return err
		}, "InvalidRequest", http.StatusBadRequest},
		// Tessera's choice: no VPCs, so a VPC-only access point is refused.
		{"vpc configuration", func() error {
			_, err := ctl.CreateAccessPoint(ctx(), &s3control.CreateAccessPointInput{AccountId: aws.String(acct), Name: aws.String("vpc"), Bucket: aws.String(bucket),
				VpcConfiguration: &ctltypes.VpcConfiguration{VpcId: aws.String("vpc-1a2b3c4d")}})
			return err
		}, "InvalidRequest", http.StatusBadRequest},
		{"get missing", func() error {
			_, err := ctl.GetAccessPoint(ctx(), &s3control.GetAccessPointInput{AccountId: aws.String(acct), Name: aws.String("nothere")})
			return err
		}, "NoSuchAccessPoint", http.StatusNotFound},
		{"policy of an access point without one", func() error {
			_, err := ctl.GetAccessPointPolicy(ctx(), &s3control.GetAccessPointPolicyInput{AccountId: aws.String(acct), Name: aws.String("reports")})
			return err
		}, "NoSuchAccessPointPolicy", http.StatusNotFound},
		// S3 error list: "The range for the MaxResults parameter is not valid."
		{"list with MaxResults over 1000", func() error {
			_, err := ctl.ListAccessPoints(ctx(), &s3control.ListAccessPointsInput{AccountId: aws.String(acct), MaxResults: 1001})
			return err
		}, "InvalidRequest", http.StatusBadRequest},
		// Another account's ID: Tessera has no IAM users, an account
		// manages only its own access points.
		{"other account's id", func() error {
			_, err := ctl.GetAccessPoint(ctx(), &s3control.GetAccessPointInput{AccountId: aws.String("999999999999"), Name: aws.String("reports")})
			return err
		}, "AccessDenied", http.StatusForbidden},
	}
	for _, r := range errRows {
		acctWantErr(t, r.name, r.call(), r.code, r.stat)
	}

	got, err := ctl.GetAccessPoint(ctx(), &s3control.GetAccessPointInput{AccountId: aws.String(acct), Name: aws.String("reports")})
	if err != nil {
		t.Fatalf("GetAccessPoint: %v", err)
	}
	if aws.ToString(got.Bucket) != bucket || aws.ToString(got.Alias) != alias || aws.ToString(got.AccessPointArn) != arn ||
		got.NetworkOrigin != ctltypes.NetworkOriginInternet || got.CreationDate == nil || aws.ToString(got.BucketAccountId) != acct {
		t.Errorf("GetAccessPoint = bucket %q alias %q arn %q origin %q created %v account %q",
			aws.ToString(got.Bucket), aws.ToString(got.Alias), aws.ToString(got.AccessPointArn), got.NetworkOrigin, got.CreationDate, aws.ToString(got.BucketAccountId))
	}
	// Every setting defaults to on (CreateAccessPoint API reference).
	if p := got.PublicAccessBlockConfiguration; p == nil || !aws.ToBool(p.BlockPublicAcls) || !aws.ToBool(p.IgnorePublicAcls) ||
		!aws.ToBool(p.BlockPublicPolicy) || !aws.ToBool(p.RestrictPublicBuckets) {
		t.Errorf("PublicAccessBlockConfiguration = %+v, want all on", got.PublicAccessBlockConfiguration)
	}

	// ListAccessPoints by bucket, one per page.
	apCreate(t, ctl, acct, "analytics", bucket)
	other := newBucket(t, root)
	apCreate(t, ctl, acct, "elsewhere", other)
	var names []string
	var token *string
	for range 5 {
		out, err := ctl.ListAccessPoints(ctx(), &s3control.ListAccessPointsInput{AccountId: aws.String(acct), Bucket: aws.String(bucket), MaxResults: 1, NextToken: token})
		if err != nil {
			t.Fatalf("ListAccessPoints: %v", err)
		}
		for _, ap := range out.AccessPointList {
			names = append(names, aws.ToString(ap.Name))
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	if strings.Join(names, ",") != "analytics,reports" {
		t.Errorf("ListAccessPoints(bucket) names = %v, want [analytics reports]", names)
	}

	// Policy: put, get, status, delete.
	pol := acctDoc(acctStmt("Allow", map[string]string{"Principal": acctAWS("111122223333"),
		"Action": acctList("s3:GetObject"), "Resource": acctList(arn + "/object/*")}))
	if _, err := ctl.PutAccessPointPolicy(ctx(), &s3control.PutAccessPointPolicyInput{AccountId: aws.String(acct), Name: aws.String("reports"), Policy: aws.String(pol)}); err != nil {
		t.Fatalf("PutAccessPointPolicy: %v", err)
	}
	gp, err := ctl.GetAccessPointPolicy(ctx(), &s3control.GetAccessPointPolicyInput{AccountId: aws.String(acct), Name: aws.String("reports")})
	if err != nil || aws.ToString(gp.Policy) != pol {
		t.Errorf("GetAccessPointPolicy = %q, %v; want the policy put", aws.ToString(gp.Policy), err)
	}
	st, err := ctl.GetAccessPointPolicyStatus(ctx(), &s3control.GetAccessPointPolicyStatusInput{AccountId: aws.String(acct), Name: aws.String("reports")})
	if err != nil || st.PolicyStatus == nil || st.PolicyStatus.IsPublic {
		t.Errorf("GetAccessPointPolicyStatus = %+v, %v; want IsPublic false", st, err)
	}
	// A public policy under the default BlockPublicPolicy is refused, as
	// S3 refuses one on a bucket.
	public := acctDoc(acctStmt("Allow", map[string]string{"Principal": `"*"`, "Action": acctList("s3:GetObject"), "Resource": acctList(arn + "/object/*")}))
	_, err = ctl.PutAccessPointPolicy(ctx(), &s3control.PutAccessPointPolicyInput{AccountId: aws.String(acct), Name: aws.String("reports"), Policy: aws.String(public)})
	acctDenied(t, "public access point policy", err)
	// A resource outside the access point is a malformed policy.
	outside := acctDoc(acctStmt("Allow", map[string]string{"Principal": acctAWS("111122223333"), "Action": acctList("s3:GetObject"), "Resource": acctList(acctObjARN(bucket, "*"))}))
	_, err = ctl.PutAccessPointPolicy(ctx(), &s3control.PutAccessPointPolicyInput{AccountId: aws.String(acct), Name: aws.String("reports"), Policy: aws.String(outside)})
	acctWantErr(t, "policy on another resource", err, "MalformedPolicy", http.StatusBadRequest)
	if _, err := ctl.DeleteAccessPointPolicy(ctx(), &s3control.DeleteAccessPointPolicyInput{AccountId: aws.String(acct), Name: aws.String("reports")}); err != nil {
		t.Errorf("DeleteAccessPointPolicy: %v", err)
	}

	// Access points survive a restart.
	srv.Restart()
	if _, err := ctl.GetAccessPoint(ctx(), &s3control.GetAccessPointInput{AccountId: aws.String(acct), Name: aws.String("analytics")}); err != nil {
		t.Errorf("GetAccessPoint after restart: %v", err)
	}
	if _, err := ctl.DeleteAccessPoint(ctx(), &s3control.DeleteAccessPointInput{AccountId: aws.String(acct), Name: aws.String("analytics")}); err != nil {
		t.Fatalf("DeleteAccessPoint: %v", err)
	}
	_, err = ctl.GetAccessPoint(ctx(), &s3control.GetAccessPointInput{AccountId: aws.String(acct), Name: aws.String("analytics")})
	acctWantErr(t, "get deleted", err, "NoSuchAccessPoint", http.StatusNotFound)
}

// TestAccessPointListParts is the seed's ListParts example through an
// access point: its ARN as Bucket (the SDK sends it to
// reports-ACCOUNT.<domain>) and its alias, path and virtual-host style.
func TestAccessPointListParts(t *testing.T) {
	t.Parallel()
	e := newAPEnv(t)
	srv, root, bucket := e.srv, e.root, e.bucket
	arn, alias := e.create(t, "reports")
	id := apUploadParts(t, root, bucket, "bigobject", 2)

	rec := newRecorder(dialServer(srv))
	viaARN := apS3(srv, accessKey, secretKey)
	recARN := srv.S3As(accessKey, secretKey, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(apEndpoint(srv))
		o.UsePathStyle = false
		o.HTTPClient = &http.Client{Transport: rec}
	})
	for _, r := range []struct {
		name   string
		c      *s3.Client
		bucket string
	}{
		{"ARN", recARN, arn},
		{"alias, virtual host", viaARN, alias},
		{"alias, path style", root, alias},
	} {
		out, err := acctListParts(r.c, r.bucket, "bigobject", id)
		if err != nil {
			t.Errorf("%s: ListParts: %v", r.name, err)
			continue
		}
		if len(out.Parts) != 2 || aws.ToInt32(out.Parts[1].PartNumber) != 2 {
			t.Errorf("%s: ListParts parts = %d", r.name, len(out.Parts))
		}
	}
	if ex := rec.last(http.MethodGet); ex.Host != "reports-"+tesseratest.RootAccountID+"."+apDomain+":"+serverPort(srv) {
		t.Errorf("the SDK sent the ARN request to %q: the test does not test ARN addressing", ex.Host)
	}

	// Object calls through the ARN: put, get, complete, list.
	put(t, viaARN, arn, "through-ap", []byte("hello"))
	wantBody(t, root, bucket, "through-ap", []byte("hello"))
	if _, err := acctComplete(viaARN, arn, "bigobject", id, nil); err == nil {
		t.Errorf("CompleteMultipartUpload without parts succeeded")
	}
	lst, err := acctListV2(viaARN, alias, "", false)
	if err != nil || len(lst.Contents) != 1 {
		t.Errorf("ListObjectsV2 through the alias = %v, %v", lst, err)
	}
	// Bucket calls S3 does not serve through an access point.
	_, err = root.PutBucketVersioning(ctx(), &s3.PutBucketVersioningInput{Bucket: aws.String(alias),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}})
	acctWantErr(t, "PutBucketVersioning through the alias", err, "InvalidRequest", http.StatusBadRequest)
	_, err = root.DeleteBucket(ctx(), &s3.DeleteBucketInput{Bucket: aws.String(alias)})
	acctWantErr(t, "DeleteBucket through the alias", err, "InvalidRequest", http.StatusBadRequest)
}

// TestAccessPointDelegation: S3's delegation model. The bucket policy
// delegates to the owner's access points (s3:DataAccessPointAccount, the
// AWS user guide's example); the access point policy alone lets a second
// account upload parts and list them — through the access point, never
// through the bucket name — until the access point is deleted.
func TestAccessPointDelegation(t *testing.T) {
	t.Parallel()
	e := newAPEnv(t)
	srv, root, bucket, ctl := e.srv, e.root, e.bucket, e.ctl
	bob := srv.NewAccount("bob")
	arn, alias := e.create(t, "shared")
	// Delegation: Principal "*", pinned to the owner's access points. It
	// passes the bucket's default BlockPublicPolicy: the condition key
	// makes it non-public.
	delegate := acctDoc(acctStmt("Allow", map[string]string{"Principal": `{"AWS":"*"}`, "Action": `"*"`,
		"Resource":  acctList(acctBucketARN(bucket), acctObjARN(bucket, "*")),
		"Condition": fmt.Sprintf(`{"StringEquals":{"s3:DataAccessPointAccount":%q}}`, tesseratest.RootAccountID)}))
	if _, err := root.PutBucketPolicy(ctx(), &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(delegate)}); err != nil {
		t.Fatalf("PutBucketPolicy(delegation): %v", err)
	}
	apPol := acctDoc(acctStmt("Allow", map[string]string{"Principal": acctAWS(bob.ID),
		"Action": acctList("s3:PutObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"), "Resource": acctList(arn + "/object/uploads/*")}))
	if _, err := ctl.PutAccessPointPolicy(ctx(), &s3control.PutAccessPointPolicyInput{AccountId: aws.String(tesseratest.RootAccountID), Name: aws.String("shared"), Policy: aws.String(apPol)}); err != nil {
		t.Fatalf("PutAccessPointPolicy: %v", err)
	}

	bobAP := apS3(srv, bob.AccessKey, bob.SecretKey)
	id := apUploadParts(t, bobAP, arn, "uploads/big", 2)
	for _, r := range []struct {
		name   string
		c      *s3.Client
		bucket string
		key    string
		ok     bool
	}{
		{"ARN", bobAP, arn, "uploads/big", true},
		{"alias", bob.S3, alias, "uploads/big", true},
		// The bucket policy only delegates: by name Bob has no grant.
		{"bucket name", bob.S3, bucket, "uploads/big", false},
		// The access point policy covers uploads/* only.
		{"key outside the policy", bobAP, arn, "other", false},
	} {
		_, err := acctListParts(r.c, r.bucket, r.key, id)
		if r.ok {
			acctOK(t, "ListParts via "+r.name, err)
		} else if r.key == "uploads/big" {
			acctDenied(t, "ListParts via "+r.name, err)
		} else if acctStatus(err) != http.StatusForbidden {
			t.Errorf("ListParts via %s: %v, want 403", r.name, err)
		}
	}
	_, err := bob.S3.UploadPart(ctx(), &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("uploads/big"), UploadId: aws.String(id),
		PartNumber: aws.Int32(3), Body: strings.NewReader("x")})
	acctDenied(t, "UploadPart by bucket name", err)

	if _, err := ctl.DeleteAccessPoint(ctx(), &s3control.DeleteAccessPointInput{AccountId: aws.String(tesseratest.RootAccountID), Name: aws.String("shared")}); err != nil {
		t.Fatalf("DeleteAccessPoint: %v", err)
	}
	if _, err := acctListParts(bobAP, arn, "uploads/big", id); err == nil {
		t.Errorf("ListParts via the ARN after DeleteAccessPoint succeeded")
	}
	_, err = acctListParts(bob.S3, alias, "uploads/big", id)
	acctWantErr(t, "ListParts via the alias after DeleteAccessPoint", err, "NoSuchBucket", http.StatusNotFound)
	// The owner still lists its parts by bucket name.
	if out, err := acctListParts(root, bucket, "uploads/big", id); err != nil || len(out.Parts) != 2 {
		t.Errorf("owner's ListParts = %v, %v", out, err)
	}
}

// TestAccessPointPublicAccessBlock: the access point's own block applies
// to requests through it. The bucket is open (ACLs on, no block) and its
// object public-read; an access point without a block and with a public
// policy lets anonymous readers in; one whose IgnorePublicAcls is on
// leaves the ACL out, and one whose BlockPublicAcls is on refuses a
// public ACL written through it (S3 user guide, "Blocking public access":
// the settings of an access point apply to requests through it).
func TestAccessPointPublicAccessBlock(t *testing.T) {
	t.Parallel()
	srv := apServer(t)
	root := srv.S3()
	ctl := apControl(srv, accessKey, secretKey)
	bucket := cfgOpenBucket(t, root)
	put(t, root, bucket, "public.txt", []byte("hi"), func(in *s3.PutObjectInput) { in.ACL = s3types.ObjectCannedACLPublicRead })
	acct := tesseratest.RootAccountID
	mk := func(name string, block ctltypes.PublicAccessBlockConfiguration, policy bool) string {
		out, err := ctl.CreateAccessPoint(ctx(), &s3control.CreateAccessPointInput{AccountId: aws.String(acct), Name: aws.String(name),
			Bucket: aws.String(bucket), PublicAccessBlockConfiguration: &block})
		if err != nil {
			t.Fatalf("CreateAccessPoint(%s): %v", name, err)
		}
		if policy {
			pol := acctDoc(acctStmt("Allow", map[string]string{"Principal": `"*"`, "Action": acctList("s3:GetObject"),
				"Resource": acctList(aws.ToString(out.AccessPointArn) + "/object/*")}))
			if _, err := ctl.PutAccessPointPolicy(ctx(), &s3control.PutAccessPointPolicyInput{AccountId: aws.String(acct), Name: aws.String(name), Policy: aws.String(pol)}); err != nil {
				t.Fatalf("PutAccessPointPolicy(%s): %v", name, err)
			}
		}
		return aws.ToString(out.Alias)
	}
	open := mk("open", ctltypes.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(false), IgnorePublicAcls: aws.Bool(false),
		BlockPublicPolicy: aws.Bool(false), RestrictPublicBuckets: aws.Bool(false)}, true)
	noACLs := mk("no-acls", ctltypes.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true),
		BlockPublicPolicy: aws.Bool(false), RestrictPublicBuckets: aws.Bool(false)}, true)
	openNoPolicy := mk("open-no-policy", ctltypes.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(false), IgnorePublicAcls: aws.Bool(false),
		BlockPublicPolicy: aws.Bool(false), RestrictPublicBuckets: aws.Bool(false)}, false)

	for _, r := range []struct {
		name, alias string
		status      int
	}{
		{"by bucket name", bucket, http.StatusOK},
		// Anonymous: the access point policy allows, the object ACL grants.
		{"open access point", open, http.StatusOK},
		// No access point policy: an access point grants an outsider nothing.
		{"access point without policy", openNoPolicy, http.StatusForbidden},
		{"IgnorePublicAcls access point", noACLs, http.StatusForbidden},
	} {
		if st, code, _ := acctAnon(t, srv, http.MethodGet, "/"+r.alias+"/public.txt", nil); st != r.status {
			t.Errorf("anonymous GET via %s: %d %s, want %d", r.name, st, code, r.status)
		}
	}
	_, err := root.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String(noACLs), Key: aws.String("other.txt"),
		Body: strings.NewReader("x"), ACL: s3types.ObjectCannedACLPublicRead})
	acctDenied(t, "public-read PutObject through a BlockPublicAcls access point", err)
	put(t, root, open, "other.txt", []byte("x"), func(in *s3.PutObjectInput) { in.ACL = s3types.ObjectCannedACLPublicRead })
}

// TestAccessPointBucketRecreated: an access point stays with the account
// that owned its bucket; a bucket of the same name made again by another
// account is not reached through it (Tessera's reading of S3's
// BucketAccountId, which pins an access point to its bucket's owner).
func TestAccessPointBucketRecreated(t *testing.T) {
	t.Parallel()
	e := newAPEnv(t)
	root, bucket := e.root, e.bucket
	bob := e.srv.NewAccount("bob")
	_, alias := e.create(t, "old")
	if _, err := root.DeleteBucket(ctx(), &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("DeleteBucket: %v", err)
	}
	if _, err := bob.S3.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket by bob: %v", err)
	}
	put(t, bob.S3, bucket, "bobs.txt", []byte("bob's"))
	_, err := root.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(alias), Key: aws.String("bobs.txt")})
	acctWantErr(t, "GetObject through the old access point", err, "NoSuchBucket", http.StatusNotFound)
}

// TestAccessPointCopySource: a copy source may name an access point, by
// ARN (arn:…:accesspoint/NAME/object/KEY, as the CopyObject and
// UploadPartCopy references describe it) or by alias; the read is then
// authorized through that access point, whose policy and the bucket's
// delegation let another account copy what the bucket name does not.
func TestAccessPointCopySource(t *testing.T) {
	t.Parallel()
	e := newAPEnv(t)
	srv, root, bucket, ctl := e.srv, e.root, e.bucket, e.ctl
	bob := srv.NewAccount("bob")
	put(t, root, bucket, "src.txt", []byte("copied through an access point"))
	arn, alias := e.create(t, "copy-src")
	delegate := acctDoc(acctStmt("Allow", map[string]string{"Principal": `{"AWS":"*"}`, "Action": `"*"`,
		"Resource":  acctList(acctBucketARN(bucket), acctObjARN(bucket, "*")),
		"Condition": fmt.Sprintf(`{"StringEquals":{"s3:DataAccessPointAccount":%q}}`, tesseratest.RootAccountID)}))
	if _, err := root.PutBucketPolicy(ctx(), &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(delegate)}); err != nil {
		t.Fatalf("PutBucketPolicy(delegation): %v", err)
	}
	apPol := acctDoc(acctStmt("Allow", map[string]string{"Principal": acctAWS(bob.ID),
		"Action": acctList("s3:GetObject"), "Resource": acctList(arn + "/object/*")}))
	if _, err := ctl.PutAccessPointPolicy(ctx(), &s3control.PutAccessPointPolicyInput{AccountId: aws.String(tesseratest.RootAccountID), Name: aws.String("copy-src"), Policy: aws.String(apPol)}); err != nil {
		t.Fatalf("PutAccessPointPolicy: %v", err)
	}
	dst := newBucket(t, bob.S3)
	for _, r := range []struct {
		name, source string
		ok           bool
	}{
		{"ARN", arn + "/object/src.txt", true},
		{"URL-encoded ARN", url.PathEscape(arn + "/object/src.txt"), true},
		{"alias", alias + "/src.txt", true},
		// By bucket name the delegation does not apply.
		{"bucket name", bucket + "/src.txt", false},
	} {
		_, err := bob.S3.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: aws.String(dst), Key: aws.String(r.name), CopySource: aws.String(r.source)})
		if !r.ok {
			acctDenied(t, "CopyObject from "+r.name, err)
			continue
		}
		if err != nil {
			t.Errorf("CopyObject from %s: %v", r.name, err)
			continue
		}
		wantBody(t, bob.S3, dst, r.name, []byte("copied through an access point"))
	}
	id := acctUpload(t, bob.S3, dst, "part-copy")
	if _, err := bob.S3.UploadPartCopy(ctx(), &s3.UploadPartCopyInput{Bucket: aws.String(dst), Key: aws.String("part-copy"), UploadId: aws.String(id),
		PartNumber: aws.Int32(1), CopySource: aws.String(arn + "/object/src.txt")}); err != nil {
		t.Errorf("UploadPartCopy from the ARN: %v", err)
	}
	_, err := bob.S3.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: aws.String(dst), Key: aws.String("x"),
		CopySource: aws.String("nosuch-ap-zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-s3alias/src.txt")})
	acctWantErr(t, "CopyObject from an unknown alias", err, "NoSuchBucket", http.StatusNotFound)
}

// An access point's NAME-ACCOUNT form is its host (the SDKs' form of its
// ARN), which a bucket of that name would share. In S3 the two live on
// different hosts (NAME-ACCOUNT.s3-accesspoint.REGION.amazonaws.com) and
// never meet; Tessera keeps them apart by refusing whichever comes second,
// and never reads a path-style bucket name as an access point.
func TestAccessPointBucketNameClash(t *testing.T) {
	t.Parallel()
	e := newAPEnv(t)
	root, control, target := e.root, e.ctl, e.bucket
	bob := e.srv.NewAccount("bob")

	// The access point first: the bucket name is taken (S3's answer to a
	// name not available: BucketAlreadyExists, 409).
	e.create(t, "shadow")
	_, err := bob.S3.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: aws.String("shadow-" + tesseratest.RootAccountID)})
	acctWantErr(t, "CreateBucket named after an access point's host", err, "BucketAlreadyExists", http.StatusConflict)

	// The bucket first: the access point is refused (Tessera's wording:
	// S3 has no such case), and the bucket stays bob's, path-style.
	bobs := "other-" + tesseratest.RootAccountID
	if _, err := bob.S3.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: aws.String(bobs)}); err != nil {
		t.Fatalf("CreateBucket %s by bob: %v", bobs, err)
	}
	_, err = control.CreateAccessPoint(ctx(), &s3control.CreateAccessPointInput{
		AccountId: aws.String(tesseratest.RootAccountID), Name: aws.String("other"), Bucket: aws.String(target)})
	acctWantErr(t, "CreateAccessPoint whose host names a bucket", err, "InvalidRequest", http.StatusBadRequest)
	put(t, bob.S3, bobs, "bobs.txt", []byte("bob's"))
	wantBody(t, bob.S3, bobs, "bobs.txt", []byte("bob's"))
	wantAbsent(t, root, target, "bobs.txt")
}
