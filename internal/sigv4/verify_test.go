package sigv4

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/internal/s3err"
)

// signedStreamingRequest signs a streaming upload's headers with the SDK
// signer and encodes the body with the test encoder, seeded by that
// signature.
func signedStreamingRequest(t *testing.T, base, mode string, data []byte, trailer [][2]string, at time.Time) *http.Request {
	t.Helper()
	r, err := http.NewRequest("PUT", base+"/bucket/streamed", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(len(data)))
	if len(trailer) > 0 {
		r.Header.Set("X-Amz-Trailer", trailer[0][0])
	}
	sdkSign(t, r, mode, "eu-west-3", at)
	a, err := parseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		t.Fatal(err)
	}
	s := &ChunkSigning{
		SigningKey:    DeriveSigningKey(testCreds.SecretAccessKey, a.date, a.region, "s3"),
		Timestamp:     r.Header.Get("X-Amz-Date"),
		Scope:         a.scope(),
		SeedSignature: a.signature,
	}
	body := chunkedBody{sign: s, chunkSize: 10000, trailer: trailer, noTrailer: mode == streamingSigned}.encode(data)
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = -1 // Transfer-Encoding: chunked on the wire, as some clients do
	return r
}

func TestVerifyStreamingModes(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	v := &Verifier{Credentials: testStore, Now: func() time.Time { return now }}
	srv := newVerifyServer(t, v)
	data := testData(55_555)
	crc := [][2]string{{"x-amz-checksum-crc32", "AAAAAA=="}}

	o := roundTrip(t, srv.Client(), signedStreamingRequest(t, srv.URL, streamingSigned, data, nil, now))
	if o.Code != "" || !o.Streaming || o.Decoded != int64(len(data)) || o.BodySHA != sha256Hex(string(data)) {
		t.Fatalf("signed streaming: %+v", o)
	}
	o = roundTrip(t, srv.Client(), signedStreamingRequest(t, srv.URL, streamingSignedTrailer, data, crc, now))
	if o.Code != "" || o.Trailer.Get("X-Amz-Checksum-Crc32") != "AAAAAA==" || o.BodySHA != sha256Hex(string(data)) {
		t.Fatalf("signed streaming trailer: %+v", o)
	}

	// Unsigned trailer, anonymous: decoded all the same.
	body := chunkedBody{chunkSize: 1000, trailer: crc}.encode(data)
	r, _ := http.NewRequest("PUT", srv.URL+"/bucket/k", bytes.NewReader(body))
	r.Header.Set("X-Amz-Content-Sha256", streamingUnsignedTrailer)
	r.Header.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(len(data)))
	o = roundTrip(t, srv.Client(), r)
	if o.Code != "" || !o.Anonymous || !o.Streaming || o.BodySHA != sha256Hex(string(data)) || o.Trailer.Get("X-Amz-Checksum-Crc32") != "AAAAAA==" {
		t.Fatalf("anonymous unsigned trailer: %+v", o)
	}

	// Signed streaming needs the header signature as its seed.
	r, _ = http.NewRequest("GET", examplePresignURL, bytes.NewReader(body))
	r.Header.Set("X-Amz-Content-Sha256", streamingSigned)
	_, err := exampleVerifier(exampleTime).Verify(r)
	wantCode(t, err, s3err.InvalidRequest)

	// A decoded length that is not a number.
	r = signedStreamingRequest(t, srv.URL, streamingSigned, data, nil, now)
	r.Header.Set("X-Amz-Decoded-Content-Length", "lots")
	if o := roundTrip(t, srv.Client(), r); o.Code != string(s3err.SignatureDoesNotMatch) {
		// The header is signed, so changing it breaks the signature first.
		t.Fatalf("outcome %+v", o)
	}
}

func TestAttachBodyDecodedLength(t *testing.T) {
	r := httptest.NewRequest("PUT", "/b/k", strings.NewReader("x"))
	r.Header.Set("X-Amz-Decoded-Content-Length", "-1")
	err := (&Verifier{}).attachBody(r, &Result{}, streamingUnsignedTrailer, nil)
	wantCode(t, err, s3err.InvalidArgument)

	res := &Result{}
	r = httptest.NewRequest("GET", "/b/k", nil)
	if err := (&Verifier{}).attachBody(r, res, "", nil); err != nil || res.DecodedLength != 0 || res.Body != http.NoBody {
		t.Fatalf("no body: %+v, %v", res, err)
	}
	r = httptest.NewRequest("PUT", "/b/k", io.MultiReader(strings.NewReader("x")))
	if err := (&Verifier{}).attachBody(r, res, "", nil); err != nil || res.DecodedLength != -1 {
		t.Fatalf("unknown length: %+v, %v", res, err)
	}
}

func TestVerifyErrors(t *testing.T) {
	ok := headerExamples[0]
	good := ok.request(ok.sig).Header.Get("Authorization")
	cred := "Credential=" + exampleAK + "/20130524/us-east-1/s3/aws4_request"
	tail := ", SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=" + ok.sig

	cases := []struct {
		name     string
		mutate   func(r *http.Request)
		wantCode s3err.Code
	}{
		{"spaces after commas", func(r *http.Request) { r.Header.Set("Authorization", "AWS4-HMAC-SHA256 "+cred+tail) }, ""},
		{"missing component", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(good, ",Signature="+ok.sig, "", 1))
		}, s3err.AuthorizationHeaderMalformed},
		{"duplicate component", func(r *http.Request) { r.Header.Set("Authorization", good+",Signature="+ok.sig) }, s3err.AuthorizationHeaderMalformed},
		{"unknown component", func(r *http.Request) { r.Header.Set("Authorization", good+",Foo=bar") }, s3err.AuthorizationHeaderMalformed},
		{"short credential", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(good, "/us-east-1", "", 1))
		}, s3err.AuthorizationHeaderMalformed},
		{"wrong service", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(good, "/s3/", "/ec2/", 1))
		}, s3err.AuthorizationHeaderMalformed},
		{"wrong terminal", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(good, "aws4_request", "aws5_request", 1))
		}, s3err.AuthorizationHeaderMalformed},
		{"bad scope date", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(good, "/20130524/", "/20131324/", 1))
		}, s3err.AuthorizationHeaderMalformed},
		{"scope date differs", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(good, "/20130524/", "/20130523/", 1))
		}, s3err.AuthorizationHeaderMalformed},
		{"host not signed", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(good, "SignedHeaders=host;", "SignedHeaders=", 1))
		}, s3err.AuthorizationHeaderMalformed},
		{"uppercase signed header", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(good, ";range;", ";Range;", 1))
		}, s3err.AuthorizationHeaderMalformed},
		{"short signature", func(r *http.Request) { r.Header.Set("Authorization", good[:len(good)-2]) }, s3err.AuthorizationHeaderMalformed},
		{"other region", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(good, "/us-east-1/", "/eu-west-1/", 1))
		}, s3err.SignatureDoesNotMatch},
		{"unsupported algorithm", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(good, "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", 1))
		}, s3err.InvalidArgument},
		{"two Authorization headers", func(r *http.Request) { r.Header.Add("Authorization", good) }, s3err.AuthorizationHeaderMalformed},
		{"header and presign", func(r *http.Request) { r.URL.RawQuery = "X-Amz-Signature=abc" }, s3err.InvalidArgument},
		{"header and v2 query", func(r *http.Request) { r.URL.RawQuery = "Signature=abc" }, s3err.InvalidArgument},
		{"no date", func(r *http.Request) { r.Header.Del("X-Amz-Date") }, s3err.AccessDenied},
		{"bad x-amz-date", func(r *http.Request) { r.Header.Set("X-Amz-Date", "2013-05-24T00:00:00Z") }, s3err.AccessDenied},
		{"skewed", func(r *http.Request) {
			r.Header.Set("X-Amz-Date", "20130524T001600Z")
		}, s3err.RequestTimeTooSkewed},
		{"unknown key", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(good, exampleAK, "AKIDUNKNOWN", 1))
		}, s3err.InvalidAccessKeyID},
		{"key without secret", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(good, exampleAK, "NOSECRET", 1))
		}, s3err.InvalidAccessKeyID},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := exampleVerifier(exampleTime)
			v.Credentials = append(v.Credentials.(StaticCredentials), Credential{AccessKeyID: "NOSECRET"})
			r := ok.request(ok.sig)
			c.mutate(r)
			_, err := v.Verify(r)
			if c.wantCode == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, c.wantCode)
		})
	}
}

func TestSignatureMismatchFields(t *testing.T) {
	e := headerExamples[0]
	bad := strings.Repeat("0", 64)
	_, err := exampleVerifier(exampleTime).Verify(e.request(bad))
	se, _ := s3err.As(err)
	if se == nil || se.Field("CanonicalRequest") != e.canonical || se.Field("SignatureProvided") != bad ||
		!strings.HasSuffix(se.Field("StringToSign"), e.sts) || se.Field("AWSAccessKeyId") != exampleAK {
		t.Fatalf("fields %+v", se)
	}
}

func TestPresignErrors(t *testing.T) {
	cases := []struct {
		name, from, to string
		wantCode       s3err.Code
		wantMessage    string
	}{
		{"missing signature", "&X-Amz-Signature=", "&X-Amz-Foo=", s3err.AuthorizationQueryParametersError, ""},
		{"missing expires", "X-Amz-Expires=86400", "X-Amz-Foo=86400", s3err.AuthorizationQueryParametersError, ""},
		{"bad algorithm", "X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA1", s3err.AuthorizationQueryParametersError, ""},
		{"bad credential", "%2Fs3%2F", "%2Fsqs%2F", s3err.AuthorizationQueryParametersError, ""},
		{"bad date", "X-Amz-Date=20130524T000000Z", "X-Amz-Date=20130524", s3err.AuthorizationQueryParametersError, ""},
		{"date mismatch", "X-Amz-Date=20130524T000000Z", "X-Amz-Date=20130525T000000Z", s3err.AuthorizationQueryParametersError, ""},
		{"expires not a number", "X-Amz-Expires=86400", "X-Amz-Expires=soon", s3err.AuthorizationQueryParametersError, "X-Amz-Expires should be a number"},
		{"expires zero", "X-Amz-Expires=86400", "X-Amz-Expires=0", s3err.AuthorizationQueryParametersError, ""},
		{"expires negative", "X-Amz-Expires=86400", "X-Amz-Expires=-1", s3err.AuthorizationQueryParametersError, ""},
		// Raw AWS XML quoted in bryanjos/aws_auth#31.
		{"expires over a week", "X-Amz-Expires=86400", "X-Amz-Expires=604801", s3err.AuthorizationQueryParametersError,
			"X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"},
		{"no signed headers", "X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=", s3err.AuthorizationQueryParametersError, ""},
		{"unknown key", "AKIAIOSFODNN7EXAMPLE", "AKIAUNKNOWN", s3err.InvalidAccessKeyID, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := strings.Replace(examplePresignURL, c.from, c.to, 1)
			if u == examplePresignURL {
				t.Fatalf("%q not in the URL", c.from)
			}
			_, err := exampleVerifier(exampleTime).Verify(httptest.NewRequest("GET", u, nil))
			wantCode(t, err, c.wantCode)
			if c.wantMessage != "" {
				wantMessage(t, err, c.wantCode, c.wantMessage)
			}
		})
	}
}

func TestPresignV2Errors(t *testing.T) {
	v := exampleVerifier(exampleTime)
	for _, q := range []string{"AWSAccessKeyId=" + exampleAK, "Signature=abc&Expires=1", "AWSAccessKeyId=x&Signature=abc&Expires=soon"} {
		_, err := v.Verify(httptest.NewRequest("GET", "/b/k?"+q, nil))
		wantCode(t, err, s3err.AccessDenied)
	}
	_, err := v.Verify(httptest.NewRequest("GET", "/b/k?AWSAccessKeyId=nobody&Signature=abc&Expires=9999999999", nil))
	wantCode(t, err, s3err.InvalidAccessKeyID)
	r := httptest.NewRequest("GET", "/b/k", nil)
	r.Header.Set("Authorization", "AWS "+exampleAK)
	_, err = v.Verify(r)
	// ceph/s3-tests test_object_create_bad_authorization_invalid_aws2:
	// "AWS HAHAHA" → 400 InvalidArgument.
	wantCode(t, err, s3err.InvalidArgument)
	r.Header.Set("Authorization", "AWS "+exampleAK+":abc=")
	_, err = v.Verify(r)
	wantCode(t, err, s3err.AccessDenied) // no Date
}

func TestVirtualBucket(t *testing.T) {
	domains := []string{"example.com", "s3.example.com."}
	for host, want := range map[string]string{
		"bucket.s3.example.com":      "bucket",
		"Bucket.S3.Example.com:9000": "bucket",
		"a.b.example.com":            "a.b",
		"s3.example.com":             "s3", // under example.com
		"example.com":                "",
		"xexample.com":               "",
		"127.0.0.1:9000":             "",
		"[::1]:9000":                 "",
	} {
		if got := virtualBucket(host, domains); got != want {
			t.Errorf("virtualBucket(%q) = %q, want %q", host, got, want)
		}
	}
}

func TestSigningKeyCache(t *testing.T) {
	v := exampleVerifier(exampleTime)
	e := headerExamples[0]
	for range 2 {
		if _, err := v.Verify(e.request(e.sig)); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := v.keys.Load(exampleSK + "\x00" + "20130524" + "\x00" + "us-east-1"); !ok {
		t.Fatal("signing key not cached after a verified signature")
	}
	// A failed signature does not add entries.
	v2 := exampleVerifier(exampleTime)
	v2.Verify(e.request(strings.Repeat("0", 64)))
	if v2.keyCount.Load() != 0 {
		t.Fatal("unverified key cached")
	}
	for i := range 3 * maxCachedKeys {
		v.rememberKey(fmt.Sprint(i), nil)
	}
	if n := v.keyCount.Load(); n > maxCachedKeys {
		t.Fatalf("cache holds %d keys", n)
	}
}

func TestMaxSkewConfig(t *testing.T) {
	e := headerExamples[0]
	v := exampleVerifier(exampleTime.Add(2 * time.Minute))
	v.MaxSkew = time.Minute
	_, err := v.Verify(e.request(e.sig))
	wantCode(t, err, s3err.RequestTimeTooSkewed)
	v.MaxSkew = 3 * time.Minute
	if _, err := v.Verify(e.request(e.sig)); err != nil {
		t.Fatal(err)
	}
	// Now == nil uses the clock: 2013 is far too old.
	v.Now = nil
	_, err = v.Verify(e.request(e.sig))
	wantCode(t, err, s3err.RequestTimeTooSkewed)
}

func TestStaticCredentials(t *testing.T) {
	s := StaticCredentials{{AccessKeyID: "a", SecretAccessKey: "x"}}
	if c, err := s.Lookup(context.Background(), "a"); err != nil || c.SecretAccessKey != "x" {
		t.Fatal(c, err)
	}
	if _, err := s.Lookup(context.Background(), "b"); err != ErrUnknownKey {
		t.Fatal(err)
	}
}

// TestNonASCIIHeaderValue: a header value with bytes outside US-ASCII,
// signed as sent (as the SDKs sign it), does not match, as on S3; ASCII
// values beside it are unaffected.
func TestNonASCIIHeaderValue(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	v := &Verifier{Credentials: testStore, Now: func() time.Time { return now }}
	for value, ok := range map[string]bool{"plain": true, "gro\u00df": false, "bad\xff\xfe": false} {
		r := newSDKRequest(t, "PUT", "http://127.0.0.1", "k", nil, "")
		r.Header.Set("X-Amz-Meta-A", value)
		sdkSign(t, r, emptySHA256, "us-east-1", now)
		_, err := v.Verify(r)
		if se, _ := s3err.As(err); ok != (err == nil) || !ok && (se == nil || se.Code != s3err.SignatureDoesNotMatch) {
			t.Errorf("x-amz-meta-a %q: err %v, want ok=%v or SignatureDoesNotMatch", value, err, ok)
		}
	}
}
