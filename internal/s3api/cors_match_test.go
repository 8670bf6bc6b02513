package s3api

import (
	"net/http"
	"slices"
	"testing"
)

// TestWildcardMatch: one * for any run, the empty one included (ceph
// s3-tests test_cors_origin_response, run against AWS), anchored at both
// ends; no * is an exact, case-sensitive match.
func TestWildcardMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "http://anything:1", true},
		{"http://*.origin.com", "http://test.origin.com", true},
		{"http://*.origin.com", "http://test.origin.com/", false},
		{"http://*.origin.com", "https://test.origin.com", false},
		{"start*end", "startend", true},
		{"start*end", "start12end", true},
		{"start*end", "0start12end", false},
		{"start*end", "startendx", false},
		{"start*end", "starend", false}, // prefix and suffix may not overlap
		{"*suffix", "foo.suffix", true},
		{"*suffix", "foo.suffix.get", false},
		{"prefix*", "prefix", true},
		{"prefix*", "bla.prefix", false},
		{"https://localhost:4200", "https://localhost:4200", true},
		{"https://localhost:4200", "HTTPS://localhost:4200", false},
		{"", "", true},
		{"", "x", false},
	} {
		if got := wildcardMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("wildcardMatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

// TestRequestedHeaders: names trimmed and lower-cased in request order,
// empty ones dropped, repeated header lines joined (LS test_cors_match_headers).
func TestRequestedHeaders(t *testing.T) {
	h := http.Header{}
	h.Add("Access-Control-Request-Headers", "X-Amz-Meta-A, ,content-type")
	h.Add("Access-Control-Request-Headers", " Authorization")
	want := []string{"x-amz-meta-a", "content-type", "authorization"}
	if got := requestedHeaders(h); !slices.Equal(got, want) {
		t.Errorf("requestedHeaders = %q, want %q", got, want)
	}
	if got := requestedHeaders(http.Header{}); got != nil {
		t.Errorf("requestedHeaders(none) = %q", got)
	}
}

// TestCORSFirstMatchWins: rules are tried in order; a later rule is used
// only when the earlier ones do not match.
func TestCORSFirstMatchWins(t *testing.T) {
	cfg := corsConfiguration{Rules: []corsRule{
		{AllowedOrigins: []string{"https://a.example"}, AllowedMethods: []string{"GET"}},
		{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET", "PUT"}, AllowedHeaders: []string{"X-Amz-*"}},
	}}
	if r := cfg.match("https://a.example", "GET", nil); r != &cfg.Rules[0] {
		t.Errorf("GET from a: rule %v, want the first", r)
	}
	if r := cfg.match("https://a.example", "GET", []string{"x-amz-date"}); r != &cfg.Rules[1] {
		t.Errorf("GET from a asking for x-amz-date: rule %v, want the second", r)
	}
	if r := cfg.match("https://b.example", "DELETE", nil); r != nil {
		t.Errorf("DELETE: rule %v, want none", r)
	}
	if r := cfg.match("https://b.example", "PUT", []string{"content-type"}); r != nil {
		t.Errorf("PUT asking for content-type: rule %v, want none", r)
	}
}
