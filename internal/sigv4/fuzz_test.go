package sigv4

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/tessera-s3/tessera/internal/s3err"
)

func FuzzParseAuthorization(f *testing.F) {
	for _, e := range headerExamples {
		f.Add(exampleAuth(e.signed, e.sig))
	}
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e/f, SignedHeaders=host, Signature=" + strings.Repeat("A", 64))
	f.Add("AWS4-HMAC-SHA256 Credential=,,,=")
	f.Add("AWS4-HMAC-SHA256 ")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseAuthorization(s)
		if err != nil {
			if !s3err.HasCode(err, s3err.AuthorizationHeaderMalformed) {
				t.Fatalf("error %v is not AuthorizationHeaderMalformed", err)
			}
			return
		}
		if !slices.Contains(a.signed, "host") || !isHex64(a.signature) || a.accessKey == "" || len(a.date) != 8 {
			t.Fatalf("accepted %q as %+v", s, a)
		}
		// What was parsed formats back to something that parses the same.
		again := algorithmV4 + " Credential=" + a.accessKey + "/" + a.scope() + ", SignedHeaders=" + a.signedHeaders + ", Signature=" + a.signature
		b, err := parseAuthorization(again)
		if err != nil || b.accessKey != a.accessKey || b.scope() != a.scope() || b.signedHeaders != a.signedHeaders || b.signature != a.signature {
			t.Fatalf("%q parsed as %+v, reformatted %q parsed as %+v, %v", s, a, again, b, err)
		}
	})
}

func FuzzCanonicalQuery(f *testing.F) {
	for _, s := range []string{"", "lifecycle", "max-keys=2&prefix=J", "a=1&a=0&b", "x=a+b%20c&y=%2F%7e", "%zz=1&=v&&k=", "é=ü;x", "a=%", "X-Amz-Signature=1&b=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c := canonicalQuery(parseQuery(raw), "")
		for i := 0; i < len(c); i++ {
			if !unreserved(c[i]) && !strings.ContainsRune("%=&", rune(c[i])) {
				t.Fatalf("canonical query %q has %q", c, c[i])
			}
		}
		// Canonical form is a fixed point.
		if again := canonicalQuery(parseQuery(c), ""); again != c {
			t.Fatalf("not idempotent: %q → %q → %q", raw, c, again)
		}
		// Agrees with the SDK's algorithm (url.ParseQuery, escape, sort after
		// encoding) wherever url.ParseQuery accepts the input.
		vals, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		var pairs []string
		for k, vs := range vals {
			for _, v := range vs {
				pairs = append(pairs, sdkEscape(k)+"="+sdkEscape(v))
			}
		}
		slices.SortFunc(pairs, func(a, b string) int {
			ka, va, _ := strings.Cut(a, "=")
			kb, vb, _ := strings.Cut(b, "=")
			if ka != kb {
				return strings.Compare(ka, kb)
			}
			return strings.Compare(va, vb)
		})
		if want := strings.Join(pairs, "&"); c != want {
			t.Fatalf("canonical query of %q: %q, SDK algorithm gives %q", raw, c, want)
		}
	})
}

func sdkEscape(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

func FuzzURIEncode(f *testing.F) {
	for _, s := range []string{"/test$file.text", "/a b/é/~/%", "", "//x//"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := uriEncode(s, false)
		if d, err := url.PathUnescape(p); err != nil || d != s {
			t.Fatalf("uriEncode(%q) = %q does not decode back (%q, %v)", s, p, d, err)
		}
		if q := uriEncode(s, true); strings.Contains(q, "/") {
			t.Fatalf("slash kept in %q", q)
		}
	})
}

// fuzzModes are the ChunkedReader configurations the fuzzers cycle through.
var fuzzModes = []ChunkedOptions{
	{Signing: testSigning, DecodedLength: -1},
	{Signing: testSigning, Trailer: true, DecodedLength: -1},
	{Trailer: true, DecodedLength: -1},
	{DecodedLength: -1},
	{Trailer: true, DecodedLength: 5},
}

func FuzzChunkedReader(f *testing.F) {
	d := []byte("hello, world")
	f.Add(chunkedBody{sign: testSigning, chunkSize: 5, noTrailer: true}.encode(d), uint8(0))
	f.Add(chunkedBody{sign: testSigning, chunkSize: 5, trailer: [][2]string{{"x-amz-checksum-crc32", "AAAAAA=="}}}.encode(d), uint8(1))
	f.Add(chunkedBody{chunkSize: 4, trailer: [][2]string{{"x-amz-checksum-crc32", "AAAAAA=="}}, bareLF: true}.encode(d), uint8(2))
	f.Add(chunkedBody{chunkSize: 100, noTrailer: true}.encode(d), uint8(3))
	f.Add([]byte("5\r\nhello\r\n0\r\n\r\n"), uint8(4))
	f.Add([]byte("ffffffffffffffff;chunk-signature=\r\n"), uint8(0))
	f.Fuzz(func(t *testing.T, body []byte, mode uint8) {
		opt := fuzzModes[int(mode)%len(fuzzModes)]
		opt.TrailerHeader = http.Header{}
		cr := NewChunkedReader(bytes.NewReader(body), opt)
		buf := make([]byte, 1+int(mode)*37)
		total := 0
		var err error
		for err == nil {
			var n int
			n, err = cr.Read(buf)
			total += n
			if n < 0 || n > len(buf) {
				t.Fatalf("Read returned %d", n)
			}
			if err == nil && len(opt.TrailerHeader) > 0 {
				t.Fatal("trailer exposed before EOF")
			}
		}
		if total > len(body) {
			t.Fatalf("decoded %d bytes from %d", total, len(body))
		}
		if err != io.EOF {
			if _, ok := s3err.As(err); !ok {
				t.Fatalf("error %v is not an S3 error", err)
			}
			if len(opt.TrailerHeader) > 0 {
				t.Fatal("trailer exposed after an error")
			}
		}
	})
}

func FuzzChunkedRoundTrip(f *testing.F) {
	f.Add([]byte("hello, world"), uint16(5), uint8(0))
	f.Add([]byte{}, uint16(0), uint8(1))
	f.Add(bytes.Repeat([]byte{0, '\r', '\n'}, 100), uint16(7), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint16, mode uint8) {
		e := chunkedBody{chunkSize: int(chunk)%4096 + 1}
		opt := ChunkedOptions{DecodedLength: int64(len(data)), TrailerHeader: http.Header{}}
		switch mode % 3 {
		case 0:
			e.sign, e.noTrailer, opt.Signing = testSigning, true, testSigning
		case 1:
			e.sign, opt.Signing, opt.Trailer = testSigning, testSigning, true
			e.trailer = [][2]string{{"x-amz-checksum-sha256", "v"}}
		case 2:
			opt.Trailer = true
			e.trailer = [][2]string{{"x-amz-checksum-crc32", "AAAAAA=="}}
			e.bareLF = mode&4 != 0
		}
		got, err := io.ReadAll(NewChunkedReader(bytes.NewReader(e.encode(data)), opt))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("round trip: %d bytes of %d, %v", len(got), len(data), err)
		}
		if len(e.trailer) > 0 && opt.TrailerHeader.Get(e.trailer[0][0]) != e.trailer[0][1] {
			t.Fatalf("trailer %v", opt.TrailerHeader)
		}
	})
}

// FuzzVerify drives the whole of Verify with hostile auth material: it must
// never panic, and every refusal must be an S3 error.
func FuzzVerify(f *testing.F) {
	e := headerExamples[0]
	f.Add(exampleAuth(e.signed, e.sig), "", "20130524T000000Z", []byte{})
	f.Add("", strings.TrimPrefix(examplePresignURL[strings.IndexByte(examplePresignURL, '?'):], "?"), "", []byte{})
	f.Add("", "AWSAccessKeyId="+exampleAK+"&Expires=1369353600&Signature=abc%3D&acl", "", []byte{})
	f.Add("AWS "+exampleAK+":abc=", "uploads", "Fri, 24 May 2013 00:00:00 GMT", []byte{})
	f.Add(exampleAuth(e.signed, e.sig), "X-Amz-Signature=x", "20130524T000000Z", []byte("5\r\nhello\r\n0\r\n\r\n"))
	f.Fuzz(func(t *testing.T, authz, rawQuery, date string, body []byte) {
		r := httptest.NewRequest("PUT", "http://examplebucket.s3.amazonaws.com/test.txt", bytes.NewReader(body))
		r.URL.RawQuery = rawQuery
		r.Header.Set("X-Amz-Content-Sha256", emptySHA256)
		if len(body) > 0 && body[0] == '5' {
			r.Header.Set("X-Amz-Content-Sha256", streamingUnsignedTrailer)
		}
		r.Header.Set("Range", "bytes=0-9")
		if date != "" {
			r.Header.Set("X-Amz-Date", date)
			r.Header.Set("Date", date)
		}
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		v := exampleVerifier(exampleTime)
		v.Domains = []string{"s3.amazonaws.com"}
		res, err := v.Verify(r)
		if err != nil {
			if _, ok := s3err.As(err); !ok {
				t.Fatalf("error %v is not an S3 error", err)
			}
			return
		}
		_, err = io.ReadAll(res.Body)
		if _, ok := s3err.As(err); err != nil && !ok && !errors.Is(err, io.EOF) {
			t.Fatalf("body error %v is not an S3 error", err)
		}
	})
}
