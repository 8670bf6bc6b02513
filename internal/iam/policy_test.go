package iam

import (
	"strings"
	"testing"
)

const bucket = "shared"

func mustParse(t *testing.T, doc string) *Policy {
	t.Helper()
	p, err := ParsePolicy([]byte(doc), bucket)
	if err != nil {
		t.Fatalf("ParsePolicy: %v\n%s", err, doc)
	}
	return p
}

func TestParsePolicyErrors(t *testing.T) {
	tests := map[string]string{
		"not json":          `{`,
		"unknown top field": `{"Version":"2012-10-17","Foo":1,"Statement":[]}`,
		"bad version":       `{"Version":"2020-01-01","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*"}]}`,
		"empty statements":  `{"Version":"2012-10-17","Statement":[]}`,
		"bad effect":        `{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*"}]}`,
		"no principal":      `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*"}]}`,
		"bad principal":     `{"Statement":[{"Effect":"Allow","Principal":"bob","Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*"}]}`,
		"no action":         `{"Statement":[{"Effect":"Allow","Principal":"*","Resource":"arn:aws:s3:::shared/*"}]}`,
		"non-s3 action":     `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ec2:RunInstances","Resource":"arn:aws:s3:::shared/*"}]}`,
		"other bucket":      `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}`,
		"bad operator":      `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*","Condition":{"Frobnicate":{"s3:prefix":"a"}}}]}`,
		"bad cidr":          `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*","Condition":{"IpAddress":{"aws:SourceIp":"1.2.3.400/8"}}}]}`,
		"unknown element":   `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*","Extra":1}]}`,
		"too big":           `{"Id":"` + strings.Repeat("x", MaxPolicySize) + `"}`,
	}
	for name, doc := range tests {
		if _, err := ParsePolicy([]byte(doc), bucket); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestEvaluate(t *testing.T) {
	policy := mustParse(t, `{
	  "Version": "2012-10-17",
	  "Statement": [
	    {"Sid": "readers", "Effect": "Allow", "Principal": {"AWS": ["111111111111", "arn:aws:iam::222222222222:root"]},
	     "Action": ["s3:GetObject", "s3:ListMultipartUploadParts", "s3:List*"], "Resource": ["arn:aws:s3:::shared", "arn:aws:s3:::shared/*"]},
	    {"Sid": "no-secrets", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::shared/secret/*"},
	    {"Sid": "public-docs", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared/public/*",
	     "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
	    {"Sid": "office", "Effect": "Allow", "Principal": {"AWS": "333333333333"}, "NotAction": "s3:DeleteObject", "Resource": "arn:aws:s3:::shared/*",
	     "Condition": {"IpAddress": {"aws:SourceIp": "10.1.0.0/16"}}},
	    {"Sid": "prefix-list", "Effect": "Allow", "Principal": {"AWS": "444444444444"}, "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::shared",
	     "Condition": {"StringLike": {"s3:prefix": ["home/444/*", "home/444"]}}},
	    {"Sid": "not-resource", "Effect": "Deny", "NotPrincipal": {"AWS": "111111111111"}, "Action": "s3:PutObject", "NotResource": "arn:aws:s3:::shared/uploads/*"}
	  ]}`)
	ctx := func(kv ...string) map[string][]string {
		m := map[string][]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = append(m[kv[i]], kv[i+1])
		}
		return m
	}
	tests := []struct {
		name     string
		req      Request
		decision Decision
	}{
		{"reader gets", rq("111111111111", "s3:GetObject", "arn:aws:s3:::shared/a.txt", nil), Allow},
		{"reader by ARN lists parts", rq("222222222222", "s3:ListMultipartUploadParts", "arn:aws:s3:::shared/big.iso", nil), Allow},
		{"action wildcard, case folded", rq("111111111111", "S3:LISTBUCKETMULTIPARTUPLOADS", "arn:aws:s3:::shared", nil), Allow},
		{"reader cannot put", rq("111111111111", "s3:PutObject", "arn:aws:s3:::shared/uploads/x", nil), NotApplicable},
		{"explicit deny beats allow", rq("111111111111", "s3:GetObject", "arn:aws:s3:::shared/secret/k", nil), Deny},
		{"stranger", rq("999999999999", "s3:GetObject", "arn:aws:s3:::shared/a.txt", nil), NotApplicable},
		{"anonymous public over TLS", rq("", "s3:GetObject", "arn:aws:s3:::shared/public/p.html", ctx("aws:securetransport", "true")), Allow},
		{"anonymous public over HTTP", rq("", "s3:GetObject", "arn:aws:s3:::shared/public/p.html", ctx("aws:securetransport", "false")), NotApplicable},
		{"anonymous elsewhere", rq("", "s3:GetObject", "arn:aws:s3:::shared/a", nil), NotApplicable},
		{"office IP in range", rq("333333333333", "s3:GetObject", "arn:aws:s3:::shared/a", ctx("aws:sourceip", "10.1.2.3")), Allow},
		{"office IP out of range", rq("333333333333", "s3:GetObject", "arn:aws:s3:::shared/a", ctx("aws:sourceip", "10.2.2.3")), NotApplicable},
		{"office NotAction", rq("333333333333", "s3:DeleteObject", "arn:aws:s3:::shared/a", ctx("aws:sourceip", "10.1.2.3")), NotApplicable},
		{"prefix allowed", rq("444444444444", "s3:ListBucket", "arn:aws:s3:::shared", ctx("s3:prefix", "home/444/docs")), Allow},
		{"prefix denied", rq("444444444444", "s3:ListBucket", "arn:aws:s3:::shared", ctx("s3:prefix", "home/555/")), NotApplicable},
		{"prefix missing", rq("444444444444", "s3:ListBucket", "arn:aws:s3:::shared", nil), NotApplicable},
		{"NotPrincipal+NotResource deny", rq("333333333333", "s3:PutObject", "arn:aws:s3:::shared/other/x", ctx("aws:sourceip", "10.1.0.1")), Deny},
		{"NotResource spares uploads", rq("333333333333", "s3:PutObject", "arn:aws:s3:::shared/uploads/x", ctx("aws:sourceip", "10.1.0.1")), Allow},
		{"NotPrincipal spares 111", rq("111111111111", "s3:PutObject", "arn:aws:s3:::shared/other/x", nil), NotApplicable},
	}
	for _, tc := range tests {
		if got := policy.Evaluate(tc.req); got != tc.decision {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.decision)
		}
	}
}

func rq(account, action, resource string, ctx map[string][]string) Request {
	return Request{AccountID: account, Action: action, Resource: resource, Context: ctx}
}

func TestWildcardMatch(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"a*", "abc", true}, {"a*c", "abc", true}, {"a*c", "abd", false},
		{"a?c", "abc", true}, {"a?c", "ac", false}, {"arn:aws:s3:::b/*", "arn:aws:s3:::b/x/y", true},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b", false}, {"**x", "yyx", true}, {"abc", "abcd", false},
	}
	for _, tc := range tests {
		if got := wildcardMatch(tc.p, tc.s, false); got != tc.want {
			t.Errorf("%q vs %q: %v", tc.p, tc.s, got)
		}
	}
}

func FuzzParsePolicy(f *testing.F) {
	f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*","Condition":{"StringLike":{"s3:prefix":["a*"]},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}}`)
	f.Add(`{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["1"]},"NotAction":"s3:*","NotResource":"arn:aws:s3:::shared"}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := ParsePolicy([]byte(doc), bucket)
		if err != nil {
			return
		}
		p.Evaluate(Request{AccountID: "1", Action: "s3:GetObject", Resource: "arn:aws:s3:::shared/k", Context: map[string][]string{"s3:prefix": {"a"}, "aws:sourceip": {"10.0.0.1"}}})
	})
}

// TestParseKeyPolicy: a KMS key policy has the bucket policy's grammar, but
// kms: actions and resources that are "*" or the key's own ARN (AWS KMS
// developer guide, "Key policies": a key policy's Resource is "*", meaning
// this key; the default key policy is "Action": "kms:*", "Resource": "*").
func TestParseKeyPolicy(t *testing.T) {
	const arn = "arn:aws:kms:us-east-1:111111111111:key/0b6c4e0e-2f0b-4c5d-9d6a-3c1e2f4a5b6c"
	stmt := func(action, resource string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":` + action + `,"Resource":` + resource + `}]}`
	}
	tests := []struct {
		name string
		doc  string
		ok   bool
	}{
		{"AWS default key policy", `{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"}]}`, true},
		{"kms actions on the key ARN", stmt(`["kms:Decrypt","kms:GenerateDataKey*"]`, `"`+arn+`"`), true},
		{"wildcard action", stmt(`"*"`, `"*"`), true},
		{"key ARN pattern", stmt(`"kms:Decrypt"`, `"arn:aws:kms:us-east-1:111111111111:key/*"`), true},
		{"deny with NotAction", `{"Statement":[{"Effect":"Deny","Principal":"*","NotAction":"kms:Decrypt","Resource":"*"}]}`, true},
		{"s3 action refused", stmt(`"s3:GetObject"`, `"*"`), false},
		{"mixed actions refused", stmt(`["kms:Decrypt","s3:GetObject"]`, `"*"`), false},
		{"bucket resource refused", stmt(`"kms:Decrypt"`, `"arn:aws:s3:::shared/*"`), false},
		{"another key refused", stmt(`"kms:Decrypt"`, `"arn:aws:kms:us-east-1:111111111111:key/other"`), false},
		{"no principal", `{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}`, false},
		{"not json", `{`, false},
		{"empty statements", `{"Version":"2012-10-17","Statement":[]}`, false},
		{"too big", `{"Id":"` + strings.Repeat("x", MaxKeyPolicySize) + `"}`, false},
	}
	for _, tc := range tests {
		_, err := ParseKeyPolicy([]byte(tc.doc), arn)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok=%v", tc.name, err, tc.ok)
		}
		// A key policy is never a valid bucket policy, and the other way round.
		if tc.ok {
			if _, err := ParsePolicy([]byte(tc.doc), bucket); err == nil {
				t.Errorf("%s: accepted as a bucket policy", tc.name)
			}
		}
	}
	p, err := ParseKeyPolicy([]byte(stmt(`["kms:Decrypt"]`, `"*"`)), arn)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		account, action string
		want            Decision
	}{
		{"222222222222", "kms:Decrypt", Allow},
		{"222222222222", "kms:GenerateDataKey", NotApplicable},
		{"333333333333", "kms:Decrypt", NotApplicable},
		{"", "kms:Decrypt", NotApplicable},
	} {
		if got := p.Evaluate(Request{AccountID: tc.account, Action: tc.action, Resource: arn}); got != tc.want {
			t.Errorf("%s %s: %v, want %v", tc.account, tc.action, got, tc.want)
		}
	}
}
