package conformance

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func cfgOwnership(t *testing.T, c *s3.Client, b string) (types.ObjectOwnership, error) {
	t.Helper()
	out, err := c.GetBucketOwnershipControls(ctx(), &s3.GetBucketOwnershipControlsInput{Bucket: aws.String(b)})
	if err != nil {
		return "", err
	}
	if out.OwnershipControls == nil || len(out.OwnershipControls.Rules) != 1 {
		t.Fatalf("OwnershipControls %+v, want one rule", out.OwnershipControls)
	}
	return out.OwnershipControls.Rules[0].ObjectOwnership, nil
}

// TestCfgOwnershipControlsCRUD follows LocalStack
// TestS3BucketOwnershipControls::test_crud_bucket_ownership_controls
// (recorded against AWS, 2023-08).
func TestCfgOwnershipControlsCRUD(t *testing.T) {
	e := cfgNew(t)
	b := cfgBucket(t, e.root)
	if got, err := cfgOwnership(t, e.root, b); err != nil || got != types.ObjectOwnershipBucketOwnerEnforced {
		t.Errorf("new bucket: %q %v, want BucketOwnerEnforced", got, err)
	}
	_, err := e.root.PutBucketOwnershipControls(ctx(), &s3.PutBucketOwnershipControlsInput{Bucket: aws.String(b),
		OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: types.ObjectOwnershipObjectWriter}}}})
	cfgWant(t, "Put ObjectWriter", err, "", 0, "")
	if got, err := cfgOwnership(t, e.root, b); err != nil || got != types.ObjectOwnershipObjectWriter {
		t.Errorf("after Put: %q %v, want ObjectWriter", got, err)
	}
	for i := 0; i < 2; i++ {
		resp, body := cfgRaw(t, e, http.MethodDelete, "/"+b+"?ownershipControls", nil, nil)
		wantStatus(t, resp, body, http.StatusNoContent)
	}
	_, err = cfgOwnership(t, e.root, b)
	cfgWant(t, "Get after Delete", err, "OwnershipControlsNotFoundError", 404, "The bucket ownership controls were not found")

	b2 := cfgBucket(t, e.root, func(in *s3.CreateBucketInput) { in.ObjectOwnership = types.ObjectOwnershipBucketOwnerPreferred })
	if got, err := cfgOwnership(t, e.root, b2); err != nil || got != types.ObjectOwnershipBucketOwnerPreferred {
		t.Errorf("created BucketOwnerPreferred: %q %v", got, err)
	}
	for _, tc := range []struct{ name, body string }{
		// Recorded: two Rules, an unknown value, no Rule → MalformedXML.
		{"two rules", `<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>`},
		{"RandomValue", `<OwnershipControls><Rule><ObjectOwnership>RandomValue</ObjectOwnership></Rule></OwnershipControls>`},
		{"no rule", `<OwnershipControls></OwnershipControls>`},
	} {
		resp, body := cfgRaw(t, e, http.MethodPut, "/"+b+"?ownershipControls", []byte(tc.body), nil)
		if er := wantRawErr(t, resp, body, "MalformedXML", 400); er.Message != "The XML you provided was not well-formed or did not validate against our published schema" {
			t.Errorf("%s: message %q", tc.name, er.Message)
		}
	}
	// Recorded: an invalid or empty x-amz-object-ownership on CreateBucket.
	for _, v := range []string{"RandomValue", ""} {
		resp, body := cfgRaw(t, e, http.MethodPut, "/"+bucketName(t)+"-x", nil, http.Header{"X-Amz-Object-Ownership": {v}})
		er := wantRawErr(t, resp, body, "InvalidArgument", 400)
		if er.Message != "Invalid x-amz-object-ownership header: "+v || !strings.Contains(string(body), "<ArgumentName>x-amz-object-ownership</ArgumentName>") {
			t.Errorf("ownership %q: %s", v, body)
		}
	}
}

// TestCfgCreateBucketACLs: with BucketOwnerEnforced (the default) a
// CreateBucket ACL granting anyone but the owner is refused, x-amz-acl:
// private is not (Object Ownership docs; research12 §3.2 and §4.4).
func TestCfgCreateBucketACLs(t *testing.T) {
	e := cfgNew(t)
	for _, tc := range []struct {
		name string
		mod  func(*s3.CreateBucketInput)
		code string
	}{
		{"private", func(in *s3.CreateBucketInput) { in.ACL = types.BucketCannedACLPrivate }, ""},
		{"public-read", func(in *s3.CreateBucketInput) { in.ACL = types.BucketCannedACLPublicRead }, "InvalidBucketAclWithObjectOwnership"},
		{"grant to another account", func(in *s3.CreateBucketInput) { in.GrantRead = aws.String(`id="` + e.bob.CanonicalID + `"`) }, "InvalidBucketAclWithObjectOwnership"},
		// ObjectWriter with a grant to another account: ACLs are enabled.
		{"ObjectWriter grant", func(in *s3.CreateBucketInput) {
			in.ObjectOwnership = types.ObjectOwnershipObjectWriter
			in.GrantRead = aws.String(`id="` + e.bob.CanonicalID + `"`)
		}, ""},
		// A new bucket blocks public ACLs from the start (BlockPublicAcls: "PUT
		// Bucket calls fail if the request includes a public ACL", API reference
		// PublicAccessBlockConfiguration; S3 gives new buckets the block).
		{"ObjectWriter public-read", func(in *s3.CreateBucketInput) {
			in.ObjectOwnership = types.ObjectOwnershipObjectWriter
			in.ACL = types.BucketCannedACLPublicRead
		}, "AccessDenied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &s3.CreateBucketInput{Bucket: aws.String(bucketName(t))}
			tc.mod(in)
			_, err := e.root.CreateBucket(ctx(), in)
			status := map[string]int{"": 0, "AccessDenied": 403}[tc.code]
			if status == 0 && tc.code != "" {
				status = 400
			}
			cfgWant(t, tc.name, err, tc.code, status, "")
		})
	}
}

// TestCfgACLErrors follows LocalStack TestS3::test_s3_bucket_acl_exceptions
// (recorded against AWS, 2023-08), on a bucket with ACLs enabled.
func TestCfgACLErrors(t *testing.T) {
	e := cfgNew(t)
	b := cfgOpenBucket(t, e.root)
	acp := func(grantee string) string {
		return `<AccessControlPolicy><Owner><ID>` + tesseraRootCanonical(t, e) + `</ID></Owner><AccessControlList><Grant>` + grantee + `<Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`
	}
	const xsi = `xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"`
	for _, tc := range []struct {
		name    string
		hdr     http.Header
		body    string
		code    string
		message string
		extra   string
	}{
		{"unknown canned ACL", http.Header{"X-Amz-Acl": {"fake-acl"}}, "", "InvalidArgument", "", "<ArgumentName>x-amz-acl</ArgumentName><ArgumentValue>fake-acl</ArgumentValue>"},
		{"unknown group", http.Header{"X-Amz-Grant-Write": {`uri="http://acs.amazonaws.com/groups/s3/FakeGroup"`}}, "", "InvalidArgument", "Invalid group uri", "<ArgumentName>uri</ArgumentName><ArgumentValue>http://acs.amazonaws.com/groups/s3/FakeGroup</ArgumentValue>"},
		{"unknown grantee type", http.Header{"X-Amz-Grant-Write": {`fakekey="1234"`}}, "", "InvalidArgument", "Argument format not recognized", `<ArgumentName>x-amz-grant-write</ArgumentName><ArgumentValue>fakekey=&#34;1234&#34;</ArgumentValue>`},
		{"unknown id", http.Header{"X-Amz-Grant-Read": {`id="wrong-id"`}}, "", "InvalidArgument", "Invalid id", "<ArgumentName>id</ArgumentName><ArgumentValue>wrong-id</ArgumentValue>"},
		{"canned and grants", http.Header{"X-Amz-Acl": {"private"}, "X-Amz-Grant-Read": {`uri="http://acs.amazonaws.com/groups/global/AllUsers"`}}, "", "InvalidRequest", "Specifying both Canned ACLs and Header Grants is not allowed", ""},
		{"canned and body", http.Header{"X-Amz-Acl": {"private"}}, acp(`<Grantee ` + xsi + ` xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee>`), "UnexpectedContent", "This request does not support content", ""},
		{"nothing", nil, "", "MissingSecurityHeader", "Your request was missing a required header", "<MissingHeaderName>x-amz-acl</MissingHeaderName>"},
		{"malformed body", nil, "<AccessControlPolicy><Owner>", "MalformedACLError", "The XML you provided was not well-formed or did not validate against our published schema", ""},
		{"empty policy", nil, "<AccessControlPolicy/>", "MalformedACLError", "", ""},
		{"body unknown id", nil, acp(`<Grantee ` + xsi + ` xsi:type="CanonicalUser"><ID>wrong-id</ID></Grantee>`), "InvalidArgument", "Invalid id", "<ArgumentName>CanonicalUser/ID</ArgumentName><ArgumentValue>wrong-id</ArgumentValue>"},
		{"body unknown group", nil, acp(`<Grantee ` + xsi + ` xsi:type="Group"><URI>http://acs.amazonaws.com/groups/s3/FakeGroup</URI></Grantee>`), "InvalidArgument", "Invalid group uri", "<ArgumentName>Group/URI</ArgumentName>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := cfgRaw(t, e, http.MethodPut, "/"+b+"?acl", []byte(tc.body), tc.hdr)
			er := wantRawErr(t, resp, body, tc.code, 400)
			if (tc.message != "" && er.Message != tc.message) || !strings.Contains(string(body), tc.extra) {
				t.Errorf("message %q, want %q; body %s, want %s", er.Message, tc.message, body, tc.extra)
			}
			if tc.name == "unknown canned ACL" && strings.Contains(string(body), "<Message>") {
				t.Errorf("S3 sends no Message for an unknown x-amz-acl (recorded): %s", body)
			}
		})
	}
}

// tesseraRootCanonical is the root account's canonical ID, as GetBucketAcl shows it.
func tesseraRootCanonical(t *testing.T, e *cfgEnv) string {
	t.Helper()
	out, err := e.root.ListBuckets(ctx(), &s3.ListBucketsInput{})
	if err != nil || out.Owner == nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	return aws.ToString(out.Owner.ID)
}
