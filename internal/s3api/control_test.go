package s3api

import (
	"net/http"
	"testing"
)

// TestIsControl: S3 Control calls are told from S3 calls by the
// x-amz-account-id header and the /v20180820/accesspoint path (what
// aws-sdk-go-v2's s3control client and the aws cli send), whatever the
// host; a bucket named v20180820 stays a bucket.
func TestIsControl(t *testing.T) {
	for _, tc := range []struct {
		path, account string
		want          bool
	}{
		{"/v20180820/accesspoint/reports", "123456789012", true},
		{"/v20180820/accesspoint", "123456789012", true},
		{"/v20180820/accesspoint/reports/policyStatus", "123456789012", true},
		{"/v20180820/accesspoint/reports", "", false},
		{"/v20180820/accesspointx", "123456789012", false},
		{"/v20180820/bucket", "123456789012", false},
		{"/photos/v20180820/accesspoint", "123456789012", false},
	} {
		r, err := http.NewRequest(http.MethodGet, "http://123456789012.s3.tessera.test"+tc.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tc.account != "" {
			r.Header.Set("x-amz-account-id", tc.account)
		}
		if got := isControl(r); got != tc.want {
			t.Errorf("isControl(%s, account %q) = %v, want %v", tc.path, tc.account, got, tc.want)
		}
	}
}

// TestAPHostName: NAME-ACCOUNT, the host label the SDKs make of an access
// point ARN.
func TestAPHostName(t *testing.T) {
	for _, tc := range []struct {
		host, name, account string
	}{
		{"reports-123456789012", "reports", "123456789012"},
		{"my-ap-000000000000", "my-ap", "000000000000"},
		{"reports-12345678901", "", ""},
		{"reports-1234567890123", "", ""},
		{"photos", "", ""},
		{"-ap-123456789012", "", ""},
	} {
		m := apHostName.FindStringSubmatch(tc.host)
		var name, account string
		if m != nil {
			name, account = m[1], m[2]
		}
		if name != tc.name || account != tc.account {
			t.Errorf("%s: (%q, %q), want (%q, %q)", tc.host, name, account, tc.name, tc.account)
		}
	}
}
