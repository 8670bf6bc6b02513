package iam

import "testing"

// TestIsPublic follows the S3 user guide, "The meaning of public".
func TestIsPublic(t *testing.T) {
	stmt := func(effect, principal, cond string) string {
		s := `{"Effect":"` + effect + `","Principal":` + principal + `,"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"`
		if cond != "" {
			s += `,"Condition":` + cond
		}
		return `{"Version":"2012-10-17","Statement":[` + s + `}]}`
	}
	for _, tc := range []struct {
		name, doc string
		public    bool
	}{
		{"star", stmt("Allow", `"*"`, ""), true},
		{"AWS star", stmt("Allow", `{"AWS":"*"}`, ""), true},
		{"one account", stmt("Allow", `{"AWS":"111122223333"}`, ""), false},
		{"account wildcard", stmt("Allow", `{"AWS":"arn:aws:iam::*:root"}`, ""), true},
		{"deny star", stmt("Deny", `"*"`, ""), false},
		{"star, narrow SourceIp", stmt("Allow", `"*"`, `{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`), false},
		{"star, SourceIp /0", stmt("Allow", `"*"`, `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`), true},
		{"star, NotIpAddress", stmt("Allow", `"*"`, `{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`), true},
		{"star, fixed SourceAccount", stmt("Allow", `"*"`, `{"StringEquals":{"aws:SourceAccount":"111122223333"}}`), false},
		{"star, wildcard SourceArn", stmt("Allow", `"*"`, `{"StringLike":{"aws:SourceArn":"arn:aws:sns:*"}}`), true},
		{"star, SecureTransport only", stmt("Allow", `"*"`, `{"Bool":{"aws:SecureTransport":"true"}}`), true},
		{"star, fixed PrincipalOrgID", stmt("Allow", `"*"`, `{"StringEquals":{"aws:PrincipalOrgID":"o-123"}}`), false},
		// Delegation to access points (S3 user guide, "Delegating access
		// control to access points").
		{"star, fixed DataAccessPointAccount", stmt("Allow", `{"AWS":"*"}`, `{"StringEquals":{"s3:DataAccessPointAccount":"111122223333"}}`), false},
		{"star, fixed DataAccessPointArn", stmt("Allow", `"*"`, `{"StringEquals":{"s3:DataAccessPointArn":"arn:aws:s3:us-east-1:111122223333:accesspoint/ap"}}`), false},
		{"star, wildcard DataAccessPointArn", stmt("Allow", `"*"`, `{"StringLike":{"s3:DataAccessPointArn":"arn:aws:s3:*"}}`), true},
	} {
		p, err := ParsePolicy([]byte(tc.doc), "b")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := p.IsPublic(); got != tc.public {
			t.Errorf("%s: IsPublic = %v, want %v", tc.name, got, tc.public)
		}
	}
}

// TestParseAccessPointPolicy: an access point policy names the access
// point or its objects, never a bucket.
func TestParseAccessPointPolicy(t *testing.T) {
	const ap = "arn:aws:s3:us-east-1:111122223333:accesspoint/ap"
	doc := func(res string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:GetObject","Resource":"` + res + `"}]}`
	}
	for _, tc := range []struct {
		resource string
		ok       bool
	}{
		{ap, true},
		{ap + "/object/*", true},
		{ap + "/object/reports/2024.csv", true},
		{"arn:aws:s3:us-east-1:111122223333:accesspoint/*", true},
		{"arn:aws:s3:::bucket/*", false},
		{"arn:aws:s3:us-east-1:111122223333:accesspoint/other/object/*", false},
		{ap + "x", false},
	} {
		_, err := ParseAccessPointPolicy([]byte(doc(tc.resource)), ap)
		if (err == nil) != tc.ok {
			t.Errorf("resource %q: err %v, want ok=%v", tc.resource, err, tc.ok)
		}
	}
}
