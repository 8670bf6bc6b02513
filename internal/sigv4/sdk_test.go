package sigv4

// Interoperability: requests signed by aws-sdk-go-v2's SigV4 signer (the one
// the AWS SDK for Go uses for S3), sent over a real net/http connection so
// the server side sees exactly what a production server sees (Host moved out
// of the header map, Content-Length handling, raw paths), must verify — and
// tampering after signing must not.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/encoding/httpbinding"
	"github.com/tessera-s3/tessera/internal/s3err"
)

var (
	testCreds = aws.Credentials{AccessKeyID: "TESSERAKEY0123456789", SecretAccessKey: "s3cr3t/with+odd=chars"}
	testStore = StaticCredentials{{AccessKeyID: testCreds.AccessKeyID, SecretAccessKey: testCreds.SecretAccessKey, AccountID: "acct-1"}}
)

// outcome is what the test server reports about one request.
type outcome struct {
	Code      string // s3err code, "" on success
	Message   string
	Account   string
	Anonymous bool
	Streaming bool
	Decoded   int64
	BodySHA   string
	BodyLen   int
	Trailer   http.Header
}

// newVerifyServer serves Verify's verdict (and the body it yields) as JSON.
func newVerifyServer(t *testing.T, v *Verifier) *httptest.Server {
	srv := httptest.NewServer(verifyHandler(v))
	t.Cleanup(srv.Close)
	return srv
}

func verifyHandler(v *Verifier) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var o outcome
		res, err := v.Verify(r)
		if err == nil {
			o.Account, o.Anonymous, o.Streaming, o.Decoded = res.Credential.AccountID, res.Anonymous, res.Streaming, res.DecodedLength
			var body []byte
			body, err = io.ReadAll(res.Body)
			sum := sha256.Sum256(body)
			o.BodySHA, o.BodyLen, o.Trailer = hex.EncodeToString(sum[:]), len(body), res.Trailer
		}
		if err != nil {
			e, ok := s3err.As(err)
			if !ok {
				e = s3err.Newf(s3err.InternalError, "%v", err)
			}
			o.Code, o.Message = string(e.Code), e.Message
		}
		json.NewEncoder(w).Encode(o)
	})
}

func roundTrip(t *testing.T, c *http.Client, r *http.Request) outcome {
	t.Helper()
	resp, err := c.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var o outcome
	if err := json.NewDecoder(resp.Body).Decode(&o); err != nil {
		t.Fatal(err)
	}
	return o
}

// newSDKRequest builds a request the way the S3 SDK does: the key escaped
// with smithy's EscapePath into RawPath, the query form-encoded.
func newSDKRequest(t *testing.T, method, base, key string, q url.Values, body string) *http.Request {
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/bucket/" + key
	u.RawPath = httpbinding.EscapePath(u.Path, false)
	u.RawQuery = q.Encode()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r, err := http.NewRequest(method, u.String(), rd)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func sdkSign(t *testing.T, r *http.Request, payloadHash, region string, at time.Time) {
	t.Helper()
	r.Header.Set("X-Amz-Content-Sha256", payloadHash)
	s := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err := s.SignHTTP(context.Background(), testCreds, r, payloadHash, "s3", region, at); err != nil {
		t.Fatal(err)
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Keys and query values with every character class S3 clients must escape.
const oddKey = "dir/sub dir/naïve+plus~tilde%pct$dollar&amp=eq@at:colon,comma;semi'q(p)*s!b[]{}^`|\\\"<>#?"

func TestSDKHeaderRoundTrip(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	v := &Verifier{Credentials: testStore, Now: func() time.Time { return now }}
	srv := newVerifyServer(t, v)
	q := url.Values{"prefix": {"a b+c/é"}, "list-type": {"2"}, "delimiter": {"/"}, "marker": {""}, "x": {"b", "a", "a/b", "a-b"}}

	cases := []struct {
		name     string
		method   string
		key      string
		body     string
		payload  string
		region   string
		at       time.Time
		mutate   func(r *http.Request)
		wantCode s3err.Code
	}{
		{name: "GET odd key and query", method: "GET", key: oddKey, payload: emptySHA256},
		{name: "PUT signed payload", method: "PUT", key: "k", body: "hello world", payload: sha256Hex("hello world")},
		{name: "PUT unsigned payload", method: "PUT", key: "k", body: "hello world", payload: unsignedPayload},
		{name: "any region", method: "GET", key: "k", payload: emptySHA256, region: "tessera-local-1"},
		{name: "metadata header signed", method: "PUT", key: "k", body: "x", payload: unsignedPayload,
			mutate: nil},
		{name: "wrong payload hash", method: "PUT", key: "k", body: "hello world", payload: sha256Hex("hello"),
			wantCode: s3err.XAmzContentSHA256Mismatch},
		{name: "tampered path", method: "GET", key: "k", payload: emptySHA256,
			mutate: func(r *http.Request) { r.URL.Path, r.URL.RawPath = "/bucket/other", "" }, wantCode: s3err.SignatureDoesNotMatch},
		{name: "tampered query", method: "GET", key: "k", payload: emptySHA256,
			mutate: func(r *http.Request) { r.URL.RawQuery += "&extra=1" }, wantCode: s3err.SignatureDoesNotMatch},
		{name: "tampered signed header", method: "GET", key: "k", payload: emptySHA256,
			mutate: func(r *http.Request) { r.Header.Set("X-Amz-Date", now.Add(time.Second).Format(iso8601Basic)) }, wantCode: s3err.SignatureDoesNotMatch},
		{name: "tampered method", method: "GET", key: "k", payload: emptySHA256,
			mutate: func(r *http.Request) { r.Method = "DELETE" }, wantCode: s3err.SignatureDoesNotMatch},
		{name: "unsigned amz header added", method: "GET", key: "k", payload: emptySHA256,
			mutate: func(r *http.Request) { r.Header.Set("X-Amz-Meta-Evil", "1") }, wantCode: s3err.AccessDenied},
		{name: "payload mode switched", method: "PUT", key: "k", body: "hello world", payload: sha256Hex("hello world"),
			mutate: func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", unsignedPayload) }, wantCode: s3err.SignatureDoesNotMatch},
		{name: "skewed", method: "GET", key: "k", payload: emptySHA256, at: now.Add(-16 * time.Minute), wantCode: s3err.RequestTimeTooSkewed},
		{name: "skew within limit", method: "GET", key: "k", payload: emptySHA256, at: now.Add(14 * time.Minute)},
		{name: "wrong secret", method: "GET", key: "k", payload: emptySHA256,
			mutate: func(r *http.Request) {
				r.Header.Del("Authorization")
				c := testCreds
				c.SecretAccessKey = "other"
				v4.NewSigner().SignHTTP(context.Background(), c, r, emptySHA256, "s3", "us-east-1", now)
			}, wantCode: s3err.SignatureDoesNotMatch},
		{name: "unknown key", method: "GET", key: "k", payload: emptySHA256,
			mutate: func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), testCreds.AccessKeyID, "NOSUCHKEY", 1))
			}, wantCode: s3err.InvalidAccessKeyID},
		{name: "missing content sha", method: "GET", key: "k", payload: emptySHA256,
			mutate: func(r *http.Request) { r.Header.Del("X-Amz-Content-Sha256") }, wantCode: s3err.InvalidRequest},
		{name: "bad content sha", method: "GET", key: "k", payload: "NOT-A-HASH", wantCode: s3err.InvalidArgument},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newSDKRequest(t, c.method, srv.URL, c.key, q, c.body)
			if c.name == "metadata header signed" {
				r.Header.Set("X-Amz-Meta-Color", "  blue   and  green ")
				r.Header.Add("X-Amz-Meta-Multi", "a")
				r.Header.Add("X-Amz-Meta-Multi", "b")
			}
			at, region := c.at, c.region
			if at.IsZero() {
				at = now
			}
			if region == "" {
				region = "us-east-1"
			}
			sdkSign(t, r, c.payload, region, at)
			if c.mutate != nil {
				c.mutate(r)
			}
			o := roundTrip(t, srv.Client(), r)
			if o.Code != string(c.wantCode) {
				t.Fatalf("got %s %q, want %q", o.Code, o.Message, c.wantCode)
			}
			if c.wantCode == "" && (o.Account != "acct-1" || o.BodySHA != sha256Hex(c.body)) {
				t.Fatalf("outcome %+v", o)
			}
		})
	}
}

func TestSDKPresignRoundTrip(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	v := &Verifier{Credentials: testStore, Now: func() time.Time { return now }}
	srv := newVerifyServer(t, v)

	presign := func(t *testing.T, method, key string, expires int, at time.Time, hdr http.Header) (string, http.Header) {
		q := url.Values{"versionId": {"v 1"}, "X-Amz-Expires": {strconv.Itoa(expires)}}
		r := newSDKRequest(t, method, srv.URL, key, q, "")
		for k, vs := range hdr {
			r.Header[k] = vs
		}
		s := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
		u, signed, err := s.PresignHTTP(context.Background(), testCreds, r, unsignedPayload, "s3", "us-west-2", at)
		if err != nil {
			t.Fatal(err)
		}
		signed.Del("Host")
		return u, signed
	}
	do := func(t *testing.T, method, u string, h http.Header, body string) outcome {
		r, err := http.NewRequest(method, u, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, vs := range h {
			r.Header[k] = vs
		}
		return roundTrip(t, srv.Client(), r)
	}

	t.Run("GET", func(t *testing.T) {
		u, h := presign(t, "GET", oddKey, 900, now, nil)
		if o := do(t, "GET", u, h, ""); o.Code != "" || o.Account != "acct-1" {
			t.Fatalf("outcome %+v", o)
		}
	})
	t.Run("PUT with hoisted and signed headers", func(t *testing.T) {
		hdr := http.Header{"X-Amz-Meta-Color": {"blue"}, "Content-Type": {"text/plain"}, "X-Amz-Acl": {"private"}}
		u, h := presign(t, "PUT", "k", 3600, now, hdr)
		if o := do(t, "PUT", u, h, "payload"); o.Code != "" || o.BodySHA != sha256Hex("payload") {
			t.Fatalf("outcome %+v", o)
		}
		h.Set("X-Amz-Meta-Color", "red")
		if o := do(t, "PUT", u, h, "payload"); o.Code != string(s3err.SignatureDoesNotMatch) {
			t.Fatalf("tampered signed header: %+v", o)
		}
	})
	t.Run("tampered", func(t *testing.T) {
		u, h := presign(t, "GET", "k", 900, now, nil)
		if o := do(t, "GET", strings.Replace(u, "versionId=v%201", "versionId=v%202", 1), h, ""); o.Code != string(s3err.SignatureDoesNotMatch) {
			t.Fatalf("outcome %+v", o)
		}
		if o := do(t, "DELETE", u, h, ""); o.Code != string(s3err.SignatureDoesNotMatch) {
			t.Fatalf("outcome %+v", o)
		}
		h.Set("X-Amz-Meta-Injected", "1")
		if o := do(t, "GET", u, h, ""); o.Code != string(s3err.AccessDenied) {
			t.Fatalf("unsigned amz header: %+v", o)
		}
	})
	t.Run("expired", func(t *testing.T) {
		u, h := presign(t, "GET", "k", 60, now.Add(-61*time.Second), nil)
		if o := do(t, "GET", u, h, ""); o.Code != string(s3err.AccessDenied) || o.Message != "Request has expired" {
			t.Fatalf("outcome %+v", o)
		}
	})
	t.Run("not yet valid", func(t *testing.T) {
		u, h := presign(t, "GET", "k", 60, now.Add(time.Hour), nil)
		if o := do(t, "GET", u, h, ""); o.Code != string(s3err.AccessDenied) || o.Message != "Request is not valid yet" {
			t.Fatalf("outcome %+v", o)
		}
	})
	t.Run("expires too long", func(t *testing.T) {
		u, h := presign(t, "GET", "k", 604801, now, nil)
		if o := do(t, "GET", u, h, ""); o.Code != string(s3err.AuthorizationQueryParametersError) {
			t.Fatalf("outcome %+v", o)
		}
	})
	t.Run("seven days is fine", func(t *testing.T) {
		u, h := presign(t, "GET", "k", 604800, now.Add(-6*24*time.Hour), nil)
		if o := do(t, "GET", u, h, ""); o.Code != "" {
			t.Fatalf("outcome %+v", o)
		}
	})
	t.Run("and header auth", func(t *testing.T) {
		u, h := presign(t, "GET", "k", 60, now, nil)
		h.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x")
		if o := do(t, "GET", u, h, ""); o.Code != string(s3err.InvalidArgument) {
			t.Fatalf("outcome %+v", o)
		}
	})
}

func TestAnonymous(t *testing.T) {
	v := &Verifier{Credentials: testStore}
	srv := newVerifyServer(t, v)
	r, _ := http.NewRequest("PUT", srv.URL+"/bucket/key?acl", strings.NewReader("body"))
	o := roundTrip(t, srv.Client(), r)
	if o.Code != "" || !o.Anonymous || o.Account != "" || o.BodyLen != 4 || o.Decoded != 4 {
		t.Fatalf("outcome %+v", o)
	}
}

// A store failure is not an authentication failure: it comes back wrapped,
// not as an S3 auth error.
func TestLookupFailure(t *testing.T) {
	boom := errors.New("store down")
	v := &Verifier{Credentials: failingStore{boom}, Now: func() time.Time { return exampleTime }}
	_, err := v.Verify(headerExamples[0].request(headerExamples[0].sig))
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want wrapped %v", err, boom)
	}
}

type failingStore struct{ err error }

func (f failingStore) Lookup(context.Context, string) (Credential, error) { return Credential{}, f.err }
