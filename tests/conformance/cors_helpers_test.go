package conformance

import (
	"encoding/xml"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// Helpers of the CORS family (cors_test.go).

// corsVary is the Vary S3 sends with every matched CORS answer.
const corsVary = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"

// corsHeaderNames are the response headers a CORS answer may carry; the
// checks compare all of them, so an unexpected one fails too.
var corsHeaderNames = []string{
	"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods",
	"Access-Control-Allow-Headers", "Access-Control-Expose-Headers", "Access-Control-Max-Age", "Vary",
}

// corsPut sets a bucket's CORS rules through the SDK.
func corsPut(t testing.TB, c *s3.Client, bucket string, rules ...types.CORSRule) {
	t.Helper()
	_, err := c.PutBucketCors(ctx(), &s3.PutBucketCorsInput{
		Bucket:            aws.String(bucket),
		CORSConfiguration: &types.CORSConfiguration{CORSRules: rules},
	})
	if err != nil {
		t.Fatalf("PutBucketCors: %v", err)
	}
}

// corsRule builds a rule: origins and methods, the rest through mods.
func corsRule(origins, methods []string, mods ...func(*types.CORSRule)) types.CORSRule {
	r := types.CORSRule{AllowedOrigins: origins, AllowedMethods: methods}
	for _, m := range mods {
		m(&r)
	}
	return r
}

// corsUnsigned sends an unsigned request (a browser's preflight, or an
// anonymous request) with the headers.
func corsUnsigned(t testing.TB, srv *tesseratest.Server, method, pathQuery string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	r := newRaw(t, srv, method, pathQuery, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	return do(t, srv, r)
}

// corsSigned sends a request signed by the root account with the headers.
func corsSigned(t testing.TB, srv *tesseratest.Server, method, pathQuery string, body []byte, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	h := http.Header{}
	for k, v := range hdr {
		h.Set(k, v)
	}
	return srv.Do(t, method, pathQuery, body, h, "")
}

// corsError is a refused preflight's body: S3's error with the Method and
// ResourceType elements.
type corsError struct {
	XMLName      xml.Name `xml:"Error"`
	Code         string   `xml:"Code"`
	Message      string   `xml:"Message"`
	Method       string   `xml:"Method"`
	ResourceType string   `xml:"ResourceType"`
}

// corsWantError checks a refused request's status and error body.
func corsWantError(t testing.TB, what string, resp *http.Response, body []byte, status int, want corsError) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("%s: status %d, want %d (body %.400s)", what, resp.StatusCode, status, body)
	}
	var got corsError
	if err := xml.Unmarshal(body, &got); err != nil {
		t.Errorf("%s: body is not an S3 error: %v (%.400s)", what, err, body)
		return
	}
	got.XMLName = xml.Name{}
	if got != want {
		t.Errorf("%s: error %+v\nwant %+v", what, got, want)
	}
}

// corsWantHeaders checks every CORS response header against want (a
// missing key means the header must be absent).
func corsWantHeaders(t testing.TB, what string, h http.Header, want map[string]string) {
	t.Helper()
	for _, name := range corsHeaderNames {
		got, ok := h[http.CanonicalHeaderKey(name)]
		w, wantOK := want[name]
		switch {
		case wantOK && (!ok || len(got) != 1 || got[0] != w):
			t.Errorf("%s: %s = %q, want %q", what, name, got, w)
		case !wantOK && ok:
			t.Errorf("%s: %s = %q, want none", what, name, got)
		}
	}
}
