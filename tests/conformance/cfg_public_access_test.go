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

func cfgPAB(t *testing.T, c *s3.Client, b string) (*types.PublicAccessBlockConfiguration, error) {
	t.Helper()
	out, err := c.GetPublicAccessBlock(ctx(), &s3.GetPublicAccessBlockInput{Bucket: aws.String(b)})
	if err != nil {
		return nil, err
	}
	return out.PublicAccessBlockConfiguration, nil
}

func cfgPutPAB(c *s3.Client, b string, acls, ignore, policy, restrict bool) error {
	_, err := c.PutPublicAccessBlock(ctx(), &s3.PutPublicAccessBlockInput{Bucket: aws.String(b), PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{
		BlockPublicAcls: aws.Bool(acls), IgnorePublicAcls: aws.Bool(ignore), BlockPublicPolicy: aws.Bool(policy), RestrictPublicBuckets: aws.Bool(restrict)}})
	return err
}

// TestCfgPublicAccessBlockCRUD follows LocalStack
// TestS3PublicAccessBlock::test_crud_public_access_block (recorded against
// AWS, 2023-08).
func TestCfgPublicAccessBlockCRUD(t *testing.T) {
	e := cfgNew(t)
	b := cfgBucket(t, e.root)
	p, err := cfgPAB(t, e.root, b)
	if err != nil || !aws.ToBool(p.BlockPublicAcls) || !aws.ToBool(p.IgnorePublicAcls) || !aws.ToBool(p.BlockPublicPolicy) || !aws.ToBool(p.RestrictPublicBuckets) {
		t.Errorf("new bucket: %+v %v, want all four true", p, err)
	}
	// An omitted setting is false.
	resp, body := cfgRaw(t, e, http.MethodPut, "/"+b+"?publicAccessBlock", []byte(`<PublicAccessBlockConfiguration><BlockPublicAcls>false</BlockPublicAcls><IgnorePublicAcls>false</IgnorePublicAcls><BlockPublicPolicy>false</BlockPublicPolicy></PublicAccessBlockConfiguration>`), nil)
	wantStatus(t, resp, body, http.StatusOK)
	resp, body = cfgRaw(t, e, http.MethodGet, "/"+b+"?publicAccessBlock", nil, nil)
	if want := `<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><BlockPublicAcls>false</BlockPublicAcls><IgnorePublicAcls>false</IgnorePublicAcls><BlockPublicPolicy>false</BlockPublicPolicy><RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration>`; !strings.Contains(string(body), want) {
		t.Errorf("Get after partial Put: %s\nwant %s", body, want)
	}
	for i := 0; i < 2; i++ {
		resp, body = cfgRaw(t, e, http.MethodDelete, "/"+b+"?publicAccessBlock", nil, nil)
		wantStatus(t, resp, body, http.StatusNoContent)
	}
	_, err = cfgPAB(t, e.root, b)
	cfgWant(t, "Get after Delete", err, "NoSuchPublicAccessBlockConfiguration", 404, "The public access block configuration was not found")
	resp, body = cfgRaw(t, e, http.MethodGet, "/"+b+"?publicAccessBlock", nil, nil)
	if !strings.Contains(string(body), "<BucketName>"+b+"</BucketName>") {
		t.Errorf("NoSuchPublicAccessBlockConfiguration without BucketName: %s", body)
	}
}

// TestCfgPublicAccessBlockEnforced: the four settings as the API reference
// (PublicAccessBlockConfiguration) defines them; the AccessDenied texts are
// AWS's since 2024 (Terraform and aws cli outputs, research12 §4.2).
func TestCfgPublicAccessBlockEnforced(t *testing.T) {
	e := cfgNew(t)
	b := cfgBucket(t, e.root, func(in *s3.CreateBucketInput) { in.ObjectOwnership = types.ObjectOwnershipObjectWriter })
	public := acctDoc(acctStmt("Allow", map[string]string{"Principal": `"*"`, "Action": `"s3:GetObject"`, "Resource": acctList(acctObjARN(b, "*"))}))
	forBob := acctDoc(acctStmt("Allow", map[string]string{"Principal": acctAWS(e.bob.ID), "Action": `"s3:GetObject"`, "Resource": acctList(acctObjARN(b, "*"))}))
	putPolicy := func(doc string) error {
		_, err := e.root.PutBucketPolicy(ctx(), &s3.PutBucketPolicyInput{Bucket: aws.String(b), Policy: aws.String(doc)})
		return err
	}
	// BlockPublicPolicy refuses a public policy, not one naming an account.
	cfgWant(t, "public policy under BlockPublicPolicy", putPolicy(public), "AccessDenied", 403,
		`User: arn:aws:iam::`+tesseratest.RootAccountID+`:root is not authorized to perform: s3:PutBucketPolicy on resource: "arn:aws:s3:::`+b+`" because public policies are blocked by the BlockPublicPolicy block public access setting`)
	cfgWant(t, "account policy under BlockPublicPolicy", putPolicy(forBob), "", 0, "")
	acctPut(t, e.root, b, "k", "x")
	cfgWant(t, "bob GET via the account policy", cfgRead(e.bob.S3, b, "k"), "", 0, "")

	// RestrictPublicBuckets voids a public policy's grants to anonymous and
	// other-account callers.
	cfgWant(t, "open all but RestrictPublicBuckets", cfgPutPAB(e.root, b, false, false, false, true), "", 0, "")
	cfgWant(t, "public policy", putPolicy(public), "", 0, "")
	cfgWant(t, "anonymous GET, RestrictPublicBuckets", cfgRead(e.anon, b, "k"), "AccessDenied", 403, "")
	cfgWant(t, "bob GET, RestrictPublicBuckets", cfgRead(e.bob.S3, b, "k"), "AccessDenied", 403, "")
	cfgWant(t, "root GET, RestrictPublicBuckets", cfgRead(e.root, b, "k"), "", 0, "")
	cfgWant(t, "open all", cfgPutPAB(e.root, b, false, false, false, false), "", 0, "")
	cfgWant(t, "anonymous GET, no block", cfgRead(e.anon, b, "k"), "", 0, "")
	_, err := e.root.DeleteBucketPolicy(ctx(), &s3.DeleteBucketPolicyInput{Bucket: aws.String(b)})
	cfgWant(t, "DeleteBucketPolicy", err, "", 0, "")

	// BlockPublicAcls refuses a public ACL (PutObject and PutBucketAcl);
	// IgnorePublicAcls leaves public grants out of evaluation.
	acctPut(t, e.root, b, "p", "x")
	_, err = e.root.PutObjectAcl(ctx(), &s3.PutObjectAclInput{Bucket: aws.String(b), Key: aws.String("p"), ACL: types.ObjectCannedACLPublicRead})
	cfgWant(t, "PutObjectAcl public-read, no block", err, "", 0, "")
	cfgWant(t, "anonymous GET of a public-read object", cfgRead(e.anon, b, "p"), "", 0, "")
	cfgWant(t, "IgnorePublicAcls", cfgPutPAB(e.root, b, false, true, false, false), "", 0, "")
	cfgWant(t, "anonymous GET, IgnorePublicAcls", cfgRead(e.anon, b, "p"), "AccessDenied", 403, "")
	cfgWant(t, "BlockPublicAcls", cfgPutPAB(e.root, b, true, false, false, false), "", 0, "")
	_, err = e.root.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("q"), Body: strings.NewReader("x"), ACL: types.ObjectCannedACLPublicRead})
	cfgWant(t, "PutObject public-read, BlockPublicAcls", err, "AccessDenied", 403,
		`User: arn:aws:iam::`+tesseratest.RootAccountID+`:root is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::`+b+`/q" because public access control lists (ACLs) are blocked by the BlockPublicAcls block public access setting`)
	_, err = e.root.PutBucketAcl(ctx(), &s3.PutBucketAclInput{Bucket: aws.String(b), GrantRead: aws.String(`uri="http://acs.amazonaws.com/groups/global/AuthenticatedUsers"`)})
	cfgWant(t, "PutBucketAcl AuthenticatedUsers, BlockPublicAcls", err, "AccessDenied", 403, "")
	_, err = e.root.PutBucketAcl(ctx(), &s3.PutBucketAclInput{Bucket: aws.String(b), GrantRead: aws.String(`id="` + e.bob.CanonicalID + `"`)})
	cfgWant(t, "PutBucketAcl to an account, BlockPublicAcls", err, "", 0, "")
}

// TestCfgPolicyStatus: IsPublic as S3 defines "public" (user guide, "The
// meaning of public"), computed from the policy alone; no policy →
// NoSuchBucketPolicy (CloudTrail record in turbot/steampipe-plugin-aws#1136).
func TestCfgPolicyStatus(t *testing.T) {
	e := cfgNew(t)
	b := cfgBucket(t, e.root)
	_, err := e.root.GetBucketPolicyStatus(ctx(), &s3.GetBucketPolicyStatusInput{Bucket: aws.String(b)})
	cfgWant(t, "no policy", err, "NoSuchBucketPolicy", 404, "The bucket policy does not exist")
	obj := acctList(acctObjARN(b, "*"))
	for _, tc := range []struct {
		name, doc string
		public    bool
	}{
		{"Principal *", acctDoc(acctStmt("Allow", map[string]string{"Principal": `"*"`, "Action": `"s3:GetObject"`, "Resource": obj})), true},
		{"AWS *", acctDoc(acctStmt("Allow", map[string]string{"Principal": `{"AWS":"*"}`, "Action": `"s3:GetObject"`, "Resource": obj})), true},
		{"one account", acctDoc(acctStmt("Allow", map[string]string{"Principal": acctAWS(e.bob.ID), "Action": `"s3:GetObject"`, "Resource": obj})), false},
		{"* limited to a /24", acctDoc(acctStmt("Allow", map[string]string{"Principal": `"*"`, "Action": `"s3:GetObject"`, "Resource": obj, "Condition": `{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`})), false},
		{"* from 0.0.0.0/0", acctDoc(acctStmt("Allow", map[string]string{"Principal": `"*"`, "Action": `"s3:GetObject"`, "Resource": obj, "Condition": `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`})), true},
		{"Deny *", acctDoc(acctStmt("Deny", map[string]string{"Principal": `"*"`, "Action": `"s3:GetObject"`, "Resource": obj})), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			acctPolicy(t, e.root, b, tc.doc)
			out, err := e.root.GetBucketPolicyStatus(ctx(), &s3.GetBucketPolicyStatusInput{Bucket: aws.String(b)})
			if err != nil || out.PolicyStatus == nil || aws.ToBool(out.PolicyStatus.IsPublic) != tc.public {
				t.Errorf("%v %+v, want IsPublic %v", err, out, tc.public)
			}
		})
	}
}
