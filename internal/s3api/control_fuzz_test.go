package s3api

import (
	"encoding/xml"
	"errors"
	"testing"

	"github.com/tessera-s3/tessera/internal/iam"
)

// FuzzControl feeds one string to every parser of S3 Control input: the
// path after /v20180820/accesspoint, the next token, the access point
// host name, the request bodies and the access point policy. None may
// panic; refusals are S3 errors (or policy errors, which become
// MalformedPolicy).
func FuzzControl(f *testing.F) {
	for _, s := range []string{
		"/reports/policyStatus", "/reports", "", "//", "/a/b/c",
		"cmVwb3J0cw", "!!", "reports-123456789012", "a-1234567890123",
		"arn:aws:s3:us-east-1:123456789012:accesspoint/ap/object/k/e/y",
		`<CreateAccessPointRequest><Bucket>b</Bucket><VpcConfiguration><VpcId>v</VpcId></VpcConfiguration><PublicAccessBlockConfiguration><BlockPublicAcls>false</BlockPublicAcls></PublicAccessBlockConfiguration></CreateAccessPointRequest>`,
		`<PutAccessPointPolicyRequest><Policy>{"Statement":[]}</Policy></PutAccessPointPolicyRequest>`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:us-east-1:123456789012:accesspoint/ap/object/*"}]}`,
	} {
		f.Add(s)
	}
	const arn = "arn:aws:s3:us-east-1:123456789012:accesspoint/ap"
	f.Fuzz(func(t *testing.T, s string) {
		controlPath(s)
		_, err := decodeAPToken(s)
		wantS3Err(t, "decodeAPToken", err)
		apHostName.FindStringSubmatch(s)
		copySourceARN.FindStringSubmatch(s)
		var in createAccessPointRequest
		_ = xml.Unmarshal([]byte(s), &in)
		var pol accessPointPolicy
		_ = xml.Unmarshal([]byte(s), &pol)
		p, err := iam.ParseAccessPointPolicy([]byte(s), arn)
		var pe *iam.PolicyError
		if err != nil && !errors.As(err, &pe) {
			t.Fatalf("ParseAccessPointPolicy: %v is not a policy error", err)
		}
		if err == nil {
			p.IsPublic()
		}
	})
}
