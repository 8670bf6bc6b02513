package conformance

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// Evidence key for this file: "LS <test>" is LocalStack's
// tests/aws/services/s3/test_s3_cors.py with its snapshot recorded against
// AWS (research12 §5); "s3-tests" is ceph/s3-tests (run against AWS, no
// CORS test marked fails_on_aws); "vgw#N" is a versitygw issue quoting a
// raw S3 answer.

const corsNotAllowedMsg = "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, " +
	"request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."

// TestCORSConfigRoundTrip: Put/Get/DeleteBucketCors through the SDK.
func TestCORSConfigRoundTrip(t *testing.T) {
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	b := newBucket(t, c)

	// LS test_get_cors: 404 NoSuchCORSConfiguration with the wire message
	// and a BucketName element (vgw#1842).
	_, err := c.GetBucketCors(ctx(), &s3.GetBucketCorsInput{Bucket: aws.String(b)})
	wantErr(t, err, "NoSuchCORSConfiguration", 404)
	resp, body := corsSigned(t, srv, http.MethodGet, "/"+b+"?cors", nil, nil)
	e := wantRawErr(t, resp, body, "NoSuchCORSConfiguration", 404)
	if e.Message != "The CORS configuration does not exist" || !strings.Contains(string(body), "<BucketName>"+b+"</BucketName>") {
		t.Errorf("GetBucketCors with none: %s", body)
	}

	// LS test_put_cors / test_cors_match_headers "get-bucket-cors-casing" /
	// test_put_cors_empty_origin: rules come back in order, unnormalized,
	// header case kept, an empty origin accepted, unset members absent.
	// The SDK sends a CRC32 checksum and no Content-MD5, as botocore does.
	rules := []types.CORSRule{
		corsRule([]string{"https://localhost:4200", "http://test.com:80"}, []string{"GET", "PUT"}, func(r *types.CORSRule) {
			r.ID = aws.String("first")
			r.AllowedHeaders = []string{"x-amz-expected-bucket-owner", "x-AMZ-server-SIDE-encryption"}
			r.ExposeHeaders = []string{"x-amz-id-2", "ETag"}
			r.MaxAgeSeconds = aws.Int32(3000)
		}),
		corsRule([]string{""}, []string{"HEAD"}),
		corsRule([]string{"*"}, []string{"POST", "DELETE"}),
	}
	corsPut(t, c, b, rules...)
	out, err := c.GetBucketCors(ctx(), &s3.GetBucketCorsInput{Bucket: aws.String(b)})
	if err != nil {
		t.Fatalf("GetBucketCors: %v", err)
	}
	if !reflect.DeepEqual(out.CORSRules, rules) {
		t.Errorf("GetBucketCors = %+v\nwant %+v", out.CORSRules, rules)
	}
	// Element order as S3 writes it ([DOC] GetBucketCors; botocore's model order).
	resp, body = corsSigned(t, srv, http.MethodGet, "/"+b+"?cors", nil, nil)
	wantStatus(t, resp, body, 200)
	if want := "<CORSRule><ID>first</ID><AllowedHeader>x-amz-expected-bucket-owner</AllowedHeader>" +
		"<AllowedHeader>x-AMZ-server-SIDE-encryption</AllowedHeader><AllowedMethod>GET</AllowedMethod>" +
		"<AllowedMethod>PUT</AllowedMethod><AllowedOrigin>https://localhost:4200</AllowedOrigin>" +
		"<AllowedOrigin>http://test.com:80</AllowedOrigin><ExposeHeader>x-amz-id-2</ExposeHeader>" +
		"<ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule>"; !strings.Contains(string(body), want) {
		t.Errorf("GetBucketCors body %s\nlacks %s", body, want)
	}

	// A new configuration replaces the old one (API_PutBucketCors).
	corsPut(t, c, b, rules[2])
	out, err = c.GetBucketCors(ctx(), &s3.GetBucketCorsInput{Bucket: aws.String(b)})
	if err != nil || len(out.CORSRules) != 1 || !reflect.DeepEqual(out.CORSRules[0], rules[2]) {
		t.Errorf("GetBucketCors after replace = %+v, %v", out, err)
	}

	// LS test_delete_cors: 204 with a configuration and without one.
	for _, what := range []string{"delete", "delete again"} {
		resp, body := corsSigned(t, srv, http.MethodDelete, "/"+b+"?cors", nil, nil)
		wantStatus(t, resp, body, 204)
		_, err = c.GetBucketCors(ctx(), &s3.GetBucketCorsInput{Bucket: aws.String(b)})
		if apiCode(err) != "NoSuchCORSConfiguration" {
			t.Errorf("GetBucketCors after %s: %v", what, err)
		}
	}

	// A missing bucket is NoSuchBucket for all three.
	_, err = c.PutBucketCors(ctx(), &s3.PutBucketCorsInput{Bucket: aws.String("no-such-bucket-cors"),
		CORSConfiguration: &types.CORSConfiguration{CORSRules: rules[2:]}})
	wantErr(t, err, "NoSuchBucket", 404)
	_, err = c.GetBucketCors(ctx(), &s3.GetBucketCorsInput{Bucket: aws.String("no-such-bucket-cors")})
	wantErr(t, err, "NoSuchBucket", 404)
	_, err = c.DeleteBucketCors(ctx(), &s3.DeleteBucketCorsInput{Bucket: aws.String("no-such-bucket-cors")})
	wantErr(t, err, "NoSuchBucket", 404)
}

// TestCORSPutInvalid: PutBucketCors refusals, raw so the SDK cannot reject
// the document first.
func TestCORSPutInvalid(t *testing.T) {
	srv := tesseratest.New(t)
	b := newBucket(t, sdkClient(srv))
	rule := func(inner string) string { return "<CORSRule>" + inner + "</CORSRule>" }
	doc := func(rules ...string) string {
		return `<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + strings.Join(rules, "") + `</CORSConfiguration>`
	}
	ok := rule("<AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin>")
	const malformed = "The XML you provided was not well-formed or did not validate against our published schema"
	tests := []struct {
		name   string
		body   string
		noMD5  bool
		status int
		code   string
		msg    string
	}{
		// LS test_put_cors_invalid_rules.
		{"unsupported method", doc(rule("<AllowedMethod>MYMETHOD</AllowedMethod><AllowedOrigin>*</AllowedOrigin>")), false, 400, "InvalidRequest",
			"Found unsupported HTTP method in CORS config. Unsupported method is MYMETHOD"},
		{"no rules", doc(), false, 400, "MalformedXML", malformed},
		// vgw#1863: an empty rule, one without origin or method; an empty method.
		{"empty rule", doc("<CORSRule/>"), false, 400, "MalformedXML", malformed},
		{"no origin", doc(rule("<AllowedMethod>GET</AllowedMethod>")), false, 400, "MalformedXML", malformed},
		{"no method", doc(rule("<AllowedOrigin>*</AllowedOrigin>")), false, 400, "MalformedXML", malformed},
		{"empty method", doc(rule("<AllowedMethod></AllowedMethod><AllowedOrigin>*</AllowedOrigin>")), false, 400, "InvalidRequest",
			"Found unsupported HTTP method in CORS config. Unsupported method is "},
		// aws-sdk-js#3667: OPTIONS is refused like any other method.
		{"OPTIONS method", doc(rule("<AllowedMethod>OPTIONS</AllowedMethod><AllowedOrigin>*</AllowedOrigin>")), false, 400, "InvalidRequest",
			"Found unsupported HTTP method in CORS config. Unsupported method is OPTIONS"},
		// Unverified: methods are taken case-sensitively (the valid values
		// are documented upper-case; MYMETHOD's answer names the value as sent).
		{"lower-case method", doc(rule("<AllowedMethod>get</AllowedMethod><AllowedOrigin>*</AllowedOrigin>")), false, 400, "InvalidRequest",
			"Found unsupported HTTP method in CORS config. Unsupported method is get"},
		// vgw#1870: raw S3 answer.
		{"two wildcards in an origin", doc(rule("<AllowedMethod>GET</AllowedMethod><AllowedOrigin>*example*.com</AllowedOrigin>")), false, 400, "InvalidRequest",
			`AllowedOrigin "*example*.com" can not have more than one wildcard.`},
		// Unverified text, documented rule ("at most one * wildcard").
		{"two wildcards in a header", doc(rule("<AllowedHeader>x-*-*</AllowedHeader><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin>")), false, 400, "InvalidRequest",
			`AllowedHeader "x-*-*" can not have more than one wildcard.`},
		// libreliodev/javascript#53 (a 2014 S3 answer; its code unquoted).
		{"wildcard expose header", doc(rule("<AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin><ExposeHeader>*</ExposeHeader>")), false, 400, "InvalidRequest",
			"We currently do not support wildcard for ExposeHeader."},
		// [DOC] "up to 100 rules"; the answer to 101 is unrecorded: MalformedXML (research12 §5.5).
		{"101 rules", doc(slicesRepeat(ok, 101)...), false, 400, "MalformedXML", malformed},
		// [DOC] ID "cannot be longer than 255 characters"; answer unrecorded.
		{"ID of 256", doc(rule("<ID>" + strings.Repeat("i", 256) + "</ID><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin>")), false, 400, "MalformedXML", malformed},
		{"negative max age", doc(rule("<AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin><MaxAgeSeconds>-1</MaxAgeSeconds>")), false, 400, "MalformedXML", malformed},
		{"not XML", "{", false, 400, "MalformedXML", malformed},
		{"other root", "<Cors>" + ok + "</Cors>", false, 400, "MalformedXML", malformed},
		// [DOC] 64 KB limit; unrecorded answer, MalformedXML as for the other configuration bodies.
		{"over 64 KB", doc(ok, "<!--"+strings.Repeat("x", 64<<10)+"-->"), false, 400, "MalformedXML", malformed},
		// aws-cli#229, amazonka#610: neither Content-MD5 nor a checksum.
		{"no Content-MD5", doc(ok), true, 400, "InvalidRequest", "Missing required header for this request: Content-MD5"},
		// 100 rules, IDs of 255, and wildcards where allowed are fine.
		{"100 rules", doc(slicesRepeat(ok, 100)...), false, 200, "", ""},
		{"ID of 255", doc(rule("<ID>" + strings.Repeat("i", 255) + "</ID><AllowedMethod>GET</AllowedMethod><AllowedOrigin>http://*.example.com</AllowedOrigin><AllowedHeader>x-amz-*</AllowedHeader>")), false, 200, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{}
			if !tc.noMD5 {
				hdr["Content-MD5"] = md5B64([]byte(tc.body))
			}
			resp, body := corsSigned(t, srv, http.MethodPut, "/"+b+"?cors", []byte(tc.body), hdr)
			if tc.code == "" {
				wantStatus(t, resp, body, tc.status)
				return
			}
			e := wantRawErr(t, resp, body, tc.code, tc.status)
			if e.Message != tc.msg {
				t.Errorf("message %q, want %q", e.Message, tc.msg)
			}
		})
	}
	// A body that does not match its Content-MD5 is BadDigest, as for
	// every other configuration body.
	body := []byte(doc(ok))
	resp, rb := corsSigned(t, srv, http.MethodPut, "/"+b+"?cors", body, map[string]string{"Content-MD5": md5B64([]byte("other"))})
	wantRawErr(t, resp, rb, "BadDigest", 400)
}

func slicesRepeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// TestCORSPreflight: OPTIONS answers, unsigned as a browser sends them.
func TestCORSPreflight(t *testing.T) {
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	b := newBucket(t, c)
	bare := newBucket(t, c) // no CORS configuration
	corsPut(t, c, b,
		// LS test_cors_match_origins' rule.
		corsRule([]string{"https://localhost:4200"}, []string{"GET", "PUT"}, func(r *types.CORSRule) {
			r.MaxAgeSeconds = aws.Int32(3000)
			r.AllowedHeaders = []string{"*"}
		}),
		// LS test_cors_options_match_partial_origin; s3-tests' wildcard origins.
		corsRule([]string{"http://*.origin.com", "start*end"}, []string{"GET"}),
		// LS test_cors_match_headers' named headers, with an x-amz-meta-* wildcard.
		corsRule([]string{"https://headers.example"}, []string{"PUT"}, func(r *types.CORSRule) {
			r.AllowedHeaders = []string{"x-amz-expected-bucket-owner", "x-AMZ-server-SIDE-encryption", "x-amz-meta-*"}
			r.ExposeHeaders = []string{"x-amz-id-2", "x-amz-request-id", "ETag"}
		}),
		// LS test_cors_expose_headers / test_put_cors_default_values: origin *.
		corsRule([]string{"*"}, []string{"HEAD", "DELETE"}, func(r *types.CORSRule) {
			r.ExposeHeaders = []string{"x-amz-request-payer"}
		}),
	)
	obj := objectPath(b, "some/key.txt")
	matchedPUT := map[string]string{
		"Access-Control-Allow-Origin": "https://localhost:4200", "Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Methods": "GET, PUT", "Access-Control-Max-Age": "3000", "Vary": corsVary,
	}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	type hdrs = map[string]string
	tests := []struct {
		name    string
		path    string
		hdr     hdrs
		status  int
		err     corsError // for refusals
		headers hdrs      // for 200
	}{
		// LS test_cors_http_options_no_config / _non_existent_bucket /
		// test_cors_match_origins: no Origin is 400 whatever the bucket; a
		// Referer does not count.
		{"no origin", obj, hdrs{"Access-Control-Request-Method": "PUT", "Referer": "https://localhost:4200/"}, 400,
			corsError{Code: "BadRequest", Message: "Insufficient information. Origin request header needed."}, nil},
		{"no origin, no bucket", "/no-such-bucket-cors/k", nil, 400,
			corsError{Code: "BadRequest", Message: "Insufficient information. Origin request header needed."}, nil},
		{"no bucket", "/no-such-bucket-cors/k", hdrs{"Origin": "https://localhost:4200"}, 403,
			corsError{Code: "AccessForbidden", Message: "CORSResponse: Bucket not found", Method: "OPTIONS", ResourceType: "BUCKET"}, nil},
		{"no configuration", objectPath(bare, "k"), hdrs{"Origin": "https://localhost:4200", "Access-Control-Request-Method": "PUT"}, 403,
			corsError{Code: "AccessForbidden", Message: "CORSResponse: CORS is not enabled for this bucket.", Method: "PUT", ResourceType: "BUCKET"}, nil},
		{"no configuration, no method", objectPath(bare, "k"), hdrs{"Origin": "https://localhost:4200"}, 403,
			corsError{Code: "AccessForbidden", Message: "CORSResponse: CORS is not enabled for this bucket.", Method: "OPTIONS", ResourceType: "BUCKET"}, nil},
		// s3-tests test_cors_origin_response: an Origin alone on a bucket
		// with rules is 400. The text is unrecorded for AWS; Scality
		// cloudserver and Huawei OBS answer this one.
		{"rules, no method", obj, hdrs{"Origin": "https://localhost:4200"}, 400,
			corsError{Code: "BadRequest", Message: "Invalid Access-Control-Request-Method: null"}, nil},
		{"rules, unsupported method", obj, hdrs{"Origin": "https://localhost:4200", "Access-Control-Request-Method": "PATCH"}, 400,
			corsError{Code: "BadRequest", Message: "Invalid Access-Control-Request-Method: PATCH"}, nil},
		// LS test_cors_match_origins "opt-get": all the rule's methods,
		// the origin echoed, credentials, max age, Vary; no Allow-Headers
		// when none was requested.
		{"match", obj, hdrs{"Origin": "https://localhost:4200", "Access-Control-Request-Method": "PUT"}, 200, corsError{}, matchedPUT},
		{"match on the bucket URL", "/" + b, hdrs{"Origin": "https://localhost:4200", "Access-Control-Request-Method": "GET"}, 200, corsError{}, matchedPUT},
		// LS test_cors_match_origins: the scheme counts; the 403 names the
		// requested method and OBJECT for an object URL.
		{"other scheme", obj, hdrs{"Origin": "http://localhost:4200", "Access-Control-Request-Method": "PUT"}, 403,
			corsError{Code: "AccessForbidden", Message: corsNotAllowedMsg, Method: "PUT", ResourceType: "OBJECT"}, nil},
		// LS test_cors_options_fails_partial_origin: BUCKET at a bucket URL;
		// a trailing slash does not match.
		{"trailing slash, bucket URL", "/" + b, hdrs{"Origin": "http://test.origin.com/", "Access-Control-Request-Method": "GET"}, 403,
			corsError{Code: "AccessForbidden", Message: corsNotAllowedMsg, Method: "GET", ResourceType: "BUCKET"}, nil},
		// LS test_cors_options_match_partial_origin: the origin is echoed.
		{"partial wildcard", obj, hdrs{"Origin": "http://test.origin.com", "Access-Control-Request-Method": "GET"}, 200, corsError{},
			hdrs{"Access-Control-Allow-Origin": "http://test.origin.com", "Access-Control-Allow-Credentials": "true", "Access-Control-Allow-Methods": "GET", "Vary": corsVary}},
		// s3-tests test_cors_origin_response: * matches the empty run and
		// is anchored at both ends.
		{"wildcard matches nothing", obj, hdrs{"Origin": "startend", "Access-Control-Request-Method": "GET"}, 200, corsError{},
			hdrs{"Access-Control-Allow-Origin": "startend", "Access-Control-Allow-Credentials": "true", "Access-Control-Allow-Methods": "GET", "Vary": corsVary}},
		{"wildcard is anchored", obj, hdrs{"Origin": "0start12end", "Access-Control-Request-Method": "GET"}, 403,
			corsError{Code: "AccessForbidden", Message: corsNotAllowedMsg, Method: "GET", ResourceType: "OBJECT"}, nil},
		// LS test_cors_match_methods: the method must be in the rule (PUT
		// is only in rules for other origins).
		{"method not allowed", obj, hdrs{"Origin": "http://test.origin.com", "Access-Control-Request-Method": "PUT"}, 403,
			corsError{Code: "AccessForbidden", Message: corsNotAllowedMsg, Method: "PUT", ResourceType: "OBJECT"}, nil},
		// LS test_cors_match_headers: AllowedHeader * echoes the requested
		// names, lower-cased, in request order.
		{"requested headers, *", obj, hdrs{"Origin": "https://localhost:4200", "Access-Control-Request-Method": "PUT",
			"Access-Control-Request-Headers": "X-Amz-Request-Payer, x-amz-expected-bucket-owner"}, 200, corsError{},
			with(matchedPUT, "Access-Control-Allow-Headers", "x-amz-request-payer, x-amz-expected-bucket-owner")},
		// LS test_cors_match_headers: named headers match without regard
		// to case, with or without a space after the comma; the expose
		// list goes on the preflight too (LS test_cors_expose_headers).
		{"requested headers, named", obj, hdrs{"Origin": "https://headers.example", "Access-Control-Request-Method": "PUT",
			"Access-Control-Request-Headers": "x-AMZ-expected-BUCKET-owner,x-amz-server-side-encryption"}, 200, corsError{},
			hdrs{"Access-Control-Allow-Origin": "https://headers.example", "Access-Control-Allow-Credentials": "true", "Access-Control-Allow-Methods": "PUT",
				"Access-Control-Allow-Headers":  "x-amz-expected-bucket-owner, x-amz-server-side-encryption",
				"Access-Control-Expose-Headers": "x-amz-id-2, x-amz-request-id, ETag", "Vary": corsVary}},
		// [DOC] ManageCorsUsing: "x-amz-*"-style wildcards in AllowedHeader.
		{"requested headers, wildcard", obj, hdrs{"Origin": "https://headers.example", "Access-Control-Request-Method": "PUT",
			"Access-Control-Request-Headers": "content-type,x-amz-meta-color"}, 403,
			corsError{Code: "AccessForbidden", Message: corsNotAllowedMsg, Method: "PUT", ResourceType: "OBJECT"}, nil},
		{"requested headers, wildcard match", obj, hdrs{"Origin": "https://headers.example", "Access-Control-Request-Method": "PUT",
			"Access-Control-Request-Headers": "x-amz-meta-color"}, 200, corsError{},
			hdrs{"Access-Control-Allow-Origin": "https://headers.example", "Access-Control-Allow-Credentials": "true", "Access-Control-Allow-Methods": "PUT",
				"Access-Control-Allow-Headers": "x-amz-meta-color", "Access-Control-Expose-Headers": "x-amz-id-2, x-amz-request-id, ETag", "Vary": corsVary}},
		{"requested header not allowed", obj, hdrs{"Origin": "https://headers.example", "Access-Control-Request-Method": "PUT",
			"Access-Control-Request-Headers": "x-amz-request-payer"}, 403,
			corsError{Code: "AccessForbidden", Message: corsNotAllowedMsg, Method: "PUT", ResourceType: "OBJECT"}, nil},
		// LS test_cors_match_origins "opt-random-wildcard-origin" and
		// test_cors_expose_headers: origin * answers *, no credentials,
		// even for an origin that is not a URL.
		{"origin *", obj, hdrs{"Origin": "localhost:4566", "Access-Control-Request-Method": "DELETE"}, 200, corsError{},
			hdrs{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "HEAD, DELETE",
				"Access-Control-Expose-Headers": "x-amz-request-payer", "Vary": corsVary}},
		// LS test_put_cors_default_values: a rule without AllowedHeader
		// allows no requested header.
		{"origin *, header requested", obj, hdrs{"Origin": "http://random:1234", "Access-Control-Request-Method": "HEAD",
			"Access-Control-Request-Headers": "x-amz-request-payer"}, 403,
			corsError{Code: "AccessForbidden", Message: corsNotAllowedMsg, Method: "HEAD", ResourceType: "OBJECT"}, nil},
		// A preflight is answered whatever the query names (S3 answers it
		// before any operation; s3-tests' presigned OPTIONS cases).
		{"query names a sub-resource", obj + "?uploadId=abc&partNumber=1", hdrs{"Origin": "https://localhost:4200", "Access-Control-Request-Method": "PUT"}, 200, corsError{}, matchedPUT},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := corsUnsigned(t, srv, http.MethodOptions, tc.path, tc.hdr)
			if tc.status != 200 {
				corsWantError(t, tc.name, resp, body, tc.status, tc.err)
				// No Access-Control-* on refusals (research12 §5.2).
				corsWantHeaders(t, tc.name, resp.Header, nil)
				return
			}
			if resp.StatusCode != 200 || len(body) != 0 || resp.Header.Get("Content-Length") != "0" {
				t.Errorf("status %d, Content-Length %q, body %q; want 200 and empty", resp.StatusCode, resp.Header.Get("Content-Length"), body)
			}
			corsWantHeaders(t, tc.name, resp.Header, tc.headers)
		})
	}
}

// TestCORSPreflightIgnoresCredentials: a preflight reads no signature, so
// one on a presigned URL, even an expired or forged one, is answered from
// the rules (s3-tests' presigned OPTIONS cases, run against AWS).
func TestCORSPreflightIgnoresCredentials(t *testing.T) {
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	b := newBucket(t, c)
	corsPut(t, c, b, corsRule([]string{"http://example"}, []string{"PUT"}))
	ps := s3.NewPresignClient(c)
	req, err := ps.PresignPutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k")}, s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(req.URL)
	forged := u.Query()
	forged.Set("X-Amz-Signature", strings.Repeat("0", 64))
	for name, pathQuery := range map[string]string{
		"presigned": u.RequestURI(),
		"forged":    u.Path + "?" + forged.Encode(),
	} {
		resp, body := corsUnsigned(t, srv, http.MethodOptions, pathQuery, map[string]string{"Origin": "http://example", "Access-Control-Request-Method": "PUT"})
		wantStatus(t, resp, body, 200)
		corsWantHeaders(t, name, resp.Header, map[string]string{"Access-Control-Allow-Origin": "http://example",
			"Access-Control-Allow-Credentials": "true", "Access-Control-Allow-Methods": "PUT", "Vary": corsVary})
	}
	resp, body := corsUnsigned(t, srv, http.MethodOptions, objectPath(b, "k"), map[string]string{
		"Origin": "http://example", "Access-Control-Request-Method": "PUT", "Authorization": "AWS4-HMAC-SHA256 garbage"})
	wantStatus(t, resp, body, 200)
}

// TestCORSActualRequests: the Access-Control-* headers of non-OPTIONS
// requests that carry an Origin.
func TestCORSActualRequests(t *testing.T) {
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	b := newBucket(t, c)
	bare := newBucket(t, c)
	put(t, c, b, "k", []byte("hello"))
	put(t, c, bare, "k", []byte("hello"))
	corsPut(t, c, b,
		// LS test_cors_match_origins' rule.
		corsRule([]string{"https://localhost:4200"}, []string{"GET", "PUT"}, func(r *types.CORSRule) {
			r.MaxAgeSeconds = aws.Int32(3000)
			r.AllowedHeaders = []string{"*"}
		}),
		// s3-tests test_cors_origin_response: "[GET] *suffix".
		corsRule([]string{"*suffix"}, []string{"GET"}, func(r *types.CORSRule) {
			r.ExposeHeaders = []string{"ETag"}
		}),
		corsRule([]string{"*"}, []string{"HEAD"}),
	)
	matched := map[string]string{
		"Access-Control-Allow-Origin": "https://localhost:4200", "Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Methods": "GET, PUT", "Access-Control-Max-Age": "3000", "Vary": corsVary,
	}
	suffix := map[string]string{"Access-Control-Allow-Origin": "foo.suffix", "Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Methods": "GET", "Access-Control-Expose-Headers": "ETag", "Vary": corsVary}
	type hdrs = map[string]string
	obj := objectPath(b, "k")
	tests := []struct {
		name    string
		method  string
		path    string
		signed  bool
		hdr     hdrs
		status  int
		headers hdrs
	}{
		// LS test_cors_match_origins "get-right-origin": the preflight's set.
		{"GET, matching origin", http.MethodGet, obj, true, hdrs{"Origin": "https://localhost:4200"}, 200, matched},
		// LS "get-wrong-origin": served, no CORS headers and no Vary.
		{"GET, other origin", http.MethodGet, obj, true, hdrs{"Origin": "http://localhost:4200"}, 200, nil},
		// [repost]: no Origin, no CORS processing (LS: a Referer does not count).
		{"GET, no origin", http.MethodGet, obj, true, hdrs{"Referer": "https://localhost:4200/"}, 200, nil},
		// LS test_cors_match_methods "get-wrong-op": the requested method decides.
		{"GET asking for DELETE", http.MethodGet, obj, true, hdrs{"Origin": "https://localhost:4200", "Access-Control-Request-Method": "DELETE"}, 200, nil},
		// LS test_cors_match_headers: a requested header must be allowed,
		// a real header need not be.
		{"GET asking for a header", http.MethodGet, objectPath(b, "k"), true, hdrs{"Origin": "foo.suffix", "Access-Control-Request-Headers": "x-amz-request-payer"}, 200, nil},
		{"GET with a real header", http.MethodGet, objectPath(b, "k"), true, hdrs{"Origin": "foo.suffix", "x-amz-request-payer": "requester"}, 200, suffix},
		// LS test_cors_match_methods "put-op": a method the rule lacks is
		// served without CORS headers.
		{"DELETE not in the rule", http.MethodDelete, objectPath(b, "gone"), true, hdrs{"Origin": "https://localhost:4200"}, 204, nil},
		// Origin * answers * without credentials (LS "get-random-wildcard-origin").
		{"HEAD, origin *", http.MethodHead, obj, true, hdrs{"Origin": "http://random:1234"}, 200,
			hdrs{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "HEAD", "Vary": corsVary}},
		// LS test_cors_http_get_no_config.
		{"GET, no configuration", http.MethodGet, objectPath(bare, "k"), true, hdrs{"Origin": "https://localhost:4200"}, 200, nil},
		// s3-tests test_cors_origin_response: errors carry the headers too:
		// a 404 on a missing key, a 403 for an anonymous PUT whose
		// Access-Control-Request-Method matches a GET rule.
		{"404 carries them", http.MethodGet, objectPath(b, "missing"), true, hdrs{"Origin": "foo.suffix"}, 404, suffix},
		{"anonymous 403 carries them", http.MethodPut, objectPath(b, "k2"), false, hdrs{"Origin": "foo.suffix", "Access-Control-Request-Method": "GET"}, 403, suffix},
		{"anonymous 403 without a match", http.MethodPut, objectPath(b, "k2"), false, hdrs{"Origin": "foo.suffix"}, 403, nil},
		// A 2013 S3 capture (boot.xinu-os.org#8): a SignatureDoesNotMatch
		// still carried the CORS headers.
		{"bad signature carries them", http.MethodGet, obj + "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + url.QueryEscape(accessKey+"/20250101/"+region+"/s3/aws4_request") +
			"&X-Amz-Date=20250101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=" + strings.Repeat("0", 64), false,
			hdrs{"Origin": "https://localhost:4200"}, 403, matched},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var resp *http.Response
			var body []byte
			if tc.signed {
				resp, body = corsSigned(t, srv, tc.method, tc.path, nil, tc.hdr)
			} else {
				resp, body = corsUnsigned(t, srv, tc.method, tc.path, tc.hdr)
			}
			wantStatus(t, resp, body, tc.status)
			corsWantHeaders(t, tc.name, resp.Header, tc.headers)
		})
	}

	// A presigned GET and a PUT from an allowed origin (what a browser page
	// does) carry the headers, and the PUT stores the object.
	ps := s3.NewPresignClient(c)
	preq, err := ps.PresignPutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("browser.txt")}, s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := http.NewRequest(http.MethodPut, preq.URL, strings.NewReader("from the page"))
	r.Header.Set("Origin", "https://localhost:4200")
	resp, body := do(t, srv, r)
	wantStatus(t, resp, body, 200)
	corsWantHeaders(t, "presigned PUT", resp.Header, matched)
	wantBody(t, c, b, "browser.txt", []byte("from the page"))
	greq, err := ps.PresignGetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("browser.txt")}, s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	r, _ = http.NewRequest(http.MethodGet, greq.URL, nil)
	r.Header.Set("Origin", "https://localhost:4200")
	resp, body = do(t, srv, r)
	wantStatus(t, resp, body, 200)
	corsWantHeaders(t, "presigned GET", resp.Header, matched)

	// An anonymous GET a bucket policy grants carries them too (LS's
	// recordings used public objects).
	// (acctPolicy first lifts the public access block new buckets have.)
	acctPolicy(t, c, b, fmt.Sprintf(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/*"}]}`, b))
	resp, body = corsUnsigned(t, srv, http.MethodGet, obj, map[string]string{"Origin": "https://localhost:4200"})
	wantStatus(t, resp, body, 200)
	if string(body) != "hello" {
		t.Errorf("anonymous GET body %q", body)
	}
	corsWantHeaders(t, "anonymous GET", resp.Header, matched)
}
