package sigv4

// The request vectors in this file are AWS's published examples from the S3
// API reference ("Signature Calculations for the Authorization Header",
// "Authenticating Requests: Using Query Parameters" and "Transferring
// Payload in Multiple Chunks"): same credentials, same timestamp, same
// published signatures. They pin the canonicalisation to AWS's, not to
// whatever a client library happens to do.

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/internal/s3err"
)

const (
	exampleAK = "AKIAIOSFODNN7EXAMPLE"
	exampleSK = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

var exampleTime = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)

func exampleVerifier(now time.Time) *Verifier {
	return &Verifier{
		Credentials: StaticCredentials{{AccessKeyID: exampleAK, SecretAccessKey: exampleSK, AccountID: "111122223333"}},
		Now:         func() time.Time { return now },
	}
}

func exampleAuth(signedHeaders, sig string) string {
	return "AWS4-HMAC-SHA256 Credential=" + exampleAK + "/20130524/us-east-1/s3/aws4_request,SignedHeaders=" + signedHeaders + ",Signature=" + sig
}

type headerExample struct {
	name      string
	method    string
	url       string
	body      string
	headers   [][2]string
	signed    string
	canonical string // AWS's published CanonicalRequest
	sts       string // hash line of AWS's published StringToSign
	sig       string
}

var headerExamples = []headerExample{
	{
		name: "GET object", method: "GET", url: "http://examplebucket.s3.amazonaws.com/test.txt",
		headers: [][2]string{{"Range", "bytes=0-9"}, {"X-Amz-Content-Sha256", emptySHA256}, {"X-Amz-Date", "20130524T000000Z"}},
		signed:  "host;range;x-amz-content-sha256;x-amz-date",
		canonical: "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n" +
			"x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-amz-date:20130524T000000Z\n\n" +
			"host;range;x-amz-content-sha256;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		sts: "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
		sig: "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
	},
	{
		name: "PUT object", method: "PUT", url: "http://examplebucket.s3.amazonaws.com/test$file.text", body: "Welcome to Amazon S3.",
		headers: [][2]string{
			{"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"X-Amz-Date", "20130524T000000Z"},
			{"X-Amz-Storage-Class", "REDUCED_REDUNDANCY"},
			{"X-Amz-Content-Sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"},
		},
		signed: "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
		canonical: "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\nhost:examplebucket.s3.amazonaws.com\n" +
			"x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\nx-amz-date:20130524T000000Z\n" +
			"x-amz-storage-class:REDUCED_REDUNDANCY\n\ndate;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n" +
			"44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
		sts: "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
		sig: "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
	},
	{
		name: "GET bucket lifecycle", method: "GET", url: "http://examplebucket.s3.amazonaws.com/?lifecycle",
		headers: [][2]string{{"X-Amz-Date", "20130524T000000Z"}, {"X-Amz-Content-Sha256", emptySHA256}},
		signed:  "host;x-amz-content-sha256;x-amz-date",
		canonical: "GET\n/\nlifecycle=\nhost:examplebucket.s3.amazonaws.com\n" +
			"x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-amz-date:20130524T000000Z\n\n" +
			"host;x-amz-content-sha256;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		sts: "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca",
		sig: "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
	},
	{
		name: "GET bucket list", method: "GET", url: "http://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J",
		headers: [][2]string{{"X-Amz-Date", "20130524T000000Z"}, {"X-Amz-Content-Sha256", emptySHA256}},
		signed:  "host;x-amz-content-sha256;x-amz-date",
		canonical: "GET\n/\nmax-keys=2&prefix=J\nhost:examplebucket.s3.amazonaws.com\n" +
			"x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-amz-date:20130524T000000Z\n\n" +
			"host;x-amz-content-sha256;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		sts: "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7",
		sig: "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
	},
}

func (e headerExample) request(sig string) *http.Request {
	r := httptest.NewRequest(e.method, e.url, strings.NewReader(e.body))
	for _, h := range e.headers {
		r.Header.Set(h[0], h[1])
	}
	r.Header.Set("Authorization", exampleAuth(e.signed, sig))
	return r
}

func TestAWSHeaderExamples(t *testing.T) {
	for _, e := range headerExamples {
		t.Run(e.name, func(t *testing.T) {
			r := e.request(e.sig)
			a, err := parseAuthorization(r.Header.Get("Authorization"))
			if err != nil {
				t.Fatal(err)
			}
			canon := canonicalRequest(r, parseQuery(r.URL.RawQuery), "", a.signedHeaders, a.signed, r.Header.Get(headerContentSHA256))
			if string(canon) != e.canonical {
				t.Fatalf("canonical request:\n%s\nwant:\n%s", canon, e.canonical)
			}
			if sts := stringToSign("20130524T000000Z", a.scope(), canon); !strings.HasSuffix(sts, "\n"+e.sts) {
				t.Fatalf("string to sign %q, want hash %s", sts, e.sts)
			}

			res, err := exampleVerifier(exampleTime.Add(time.Minute)).Verify(r)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if res.Anonymous || res.Credential.AccountID != "111122223333" || res.Streaming {
				t.Fatalf("result %+v", res)
			}
			body, err := io.ReadAll(res.Body)
			if err != nil || string(body) != e.body {
				t.Fatalf("body %q, %v", body, err)
			}

			// Any other signature is refused.
			bad := []byte(e.sig)
			bad[10] ^= 1
			_, err = exampleVerifier(exampleTime).Verify(e.request(string(bad)))
			wantCode(t, err, s3err.SignatureDoesNotMatch)
		})
	}
}

// The PUT example with a different body: the signature is right (it covers
// the declared hash), the body is not, and reading it says so.
func TestAWSPutExampleTamperedBody(t *testing.T) {
	e := headerExamples[1]
	e.body = "Welcome to Amazon S4."
	res, err := exampleVerifier(exampleTime).Verify(e.request(e.sig))
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(res.Body)
	wantCode(t, err, s3err.XAmzContentSHA256Mismatch)
	// Sticky: a second read does not turn into a clean EOF.
	_, err = res.Body.Read(make([]byte, 1))
	wantCode(t, err, s3err.XAmzContentSHA256Mismatch)
}

const examplePresignURL = "http://examplebucket.s3.amazonaws.com/test.txt" +
	"?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
	"&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request" +
	"&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host" +
	"&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"

func TestAWSPresignExample(t *testing.T) {
	r := httptest.NewRequest("GET", examplePresignURL, nil)
	res, err := exampleVerifier(exampleTime.Add(23 * time.Hour)).Verify(r)
	if err != nil {
		t.Fatal(err)
	}
	if res.Credential.AccessKeyID != exampleAK || res.Anonymous {
		t.Fatalf("result %+v", res)
	}

	// Expired a second after the 86400 s.
	_, err = exampleVerifier(exampleTime.Add(86401 * time.Second)).Verify(httptest.NewRequest("GET", examplePresignURL, nil))
	wantMessage(t, err, s3err.AccessDenied, "Request has expired")

	// Used before its X-Amz-Date (beyond the allowed skew).
	_, err = exampleVerifier(exampleTime.Add(-time.Hour)).Verify(httptest.NewRequest("GET", examplePresignURL, nil))
	wantMessage(t, err, s3err.AccessDenied, "Request is not valid yet")

	// Another object, same signature.
	_, err = exampleVerifier(exampleTime).Verify(httptest.NewRequest("GET", strings.Replace(examplePresignURL, "test.txt", "test2.txt", 1), nil))
	wantCode(t, err, s3err.SignatureDoesNotMatch)

	// Longer validity than the signature covers.
	_, err = exampleVerifier(exampleTime).Verify(httptest.NewRequest("GET", strings.Replace(examplePresignURL, "Expires=86400", "Expires=86401", 1), nil))
	wantCode(t, err, s3err.SignatureDoesNotMatch)
}

// streamingExample is AWS's chunked upload example: 66560 bytes of 'a' in
// 64 KiB chunks.
func streamingExampleRequest(body []byte) *http.Request {
	r := httptest.NewRequest("PUT", "http://s3.amazonaws.com/examplebucket/chunkObject.txt", bytes.NewReader(body))
	r.Header.Set("X-Amz-Date", "20130524T000000Z")
	r.Header.Set("X-Amz-Storage-Class", "REDUCED_REDUNDANCY")
	r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Decoded-Content-Length", "66560")
	r.Header.Set("Content-Length", "66824")
	r.Header.Set("Authorization", exampleAuth(
		"content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class",
		"4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"))
	return r
}

func streamingExampleBody() []byte {
	var b bytes.Buffer
	b.WriteString("10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n")
	b.Write(bytes.Repeat([]byte("a"), 65536))
	b.WriteString("\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n")
	b.Write(bytes.Repeat([]byte("a"), 1024))
	b.WriteString("\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n")
	return b.Bytes()
}

func TestAWSStreamingExample(t *testing.T) {
	body := streamingExampleBody()
	if len(body) != 66824 {
		t.Fatalf("example body is %d bytes, AWS says 66824", len(body))
	}
	res, err := exampleVerifier(exampleTime).Verify(streamingExampleRequest(body))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Streaming || res.DecodedLength != 66560 {
		t.Fatalf("result %+v", res)
	}
	got, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, bytes.Repeat([]byte("a"), 66560)) {
		t.Fatalf("decoded %d bytes", len(got))
	}

	// One changed data byte in the second chunk breaks that chunk's signature.
	bad := bytes.Clone(body)
	bad[len(body)-200] = 'b'
	res, err = exampleVerifier(exampleTime).Verify(streamingExampleRequest(bad))
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(res.Body)
	wantCode(t, err, s3err.SignatureDoesNotMatch)
}

func wantCode(t *testing.T, err error, code s3err.Code) {
	t.Helper()
	if !s3err.HasCode(err, code) {
		t.Fatalf("error %v, want %s", err, code)
	}
}

func wantMessage(t *testing.T, err error, code s3err.Code, msg string) {
	t.Helper()
	wantCode(t, err, code)
	if e, _ := s3err.As(err); e.Message != msg {
		t.Fatalf("message %q, want %q", e.Message, msg)
	}
}

// AWS's trailing-header example ("Signature calculations for trailing
// headers"): the same 66560 bytes with a signed x-amz-checksum-crc32c
// trailer.
func TestAWSStreamingTrailerExample(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n")
	b.Write(bytes.Repeat([]byte("a"), 65536))
	b.WriteString("\r\n400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n")
	b.Write(bytes.Repeat([]byte("a"), 1024))
	b.WriteString("\r\n0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n")
	b.WriteString("x-amz-checksum-crc32c:sOO8/Q==\r\n")
	b.WriteString("x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n")
	body := b.Bytes()
	if len(body) != 66946 {
		t.Fatalf("example body is %d bytes, AWS says 66946", len(body))
	}
	request := func(body []byte) *http.Request {
		r := httptest.NewRequest("PUT", "http://s3.amazonaws.com/examplebucket/chunkObject.txt", bytes.NewReader(body))
		r.Header.Set("Content-Encoding", "aws-chunked")
		r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")
		r.Header.Set("X-Amz-Date", "20130524T000000Z")
		r.Header.Set("X-Amz-Decoded-Content-Length", "66560")
		r.Header.Set("X-Amz-Storage-Class", "REDUCED_REDUNDANCY")
		r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32c")
		r.Header.Set("Authorization", exampleAuth(
			"content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer",
			"106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"))
		return r
	}
	res, err := exampleVerifier(exampleTime).Verify(request(body))
	if err != nil {
		t.Fatal(err)
	}
	if res.Trailer.Get("X-Amz-Checksum-Crc32c") != "" {
		t.Fatal("trailer visible before EOF")
	}
	got, err := io.ReadAll(res.Body)
	if err != nil || len(got) != 66560 {
		t.Fatalf("decoded %d bytes, %v", len(got), err)
	}
	if v := res.Trailer.Get("X-Amz-Checksum-Crc32c"); v != "sOO8/Q==" || len(res.Trailer) != 1 {
		t.Fatalf("trailer %v", res.Trailer)
	}

	// A different checksum in the trailer breaks the trailer signature, and
	// the forged trailer is not exposed.
	bad := bytes.Replace(body, []byte("sOO8/Q=="), []byte("AAAAAA=="), 1)
	res, err = exampleVerifier(exampleTime).Verify(request(bad))
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(res.Body)
	wantCode(t, err, s3err.SignatureDoesNotMatch)
	if len(res.Trailer) != 0 {
		t.Fatalf("unverified trailer exposed: %v", res.Trailer)
	}
}
