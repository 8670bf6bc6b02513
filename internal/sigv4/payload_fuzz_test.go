package sigv4

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/tessera-s3/tessera/internal/s3err"
)

// signWithPayload signs r as the example key at exampleTime, with every
// x-amz-* header signed and payload as x-amz-content-sha256: a request
// whose payload headers are hostile but whose signature is good, so the
// fuzzer reaches the body decoding behind the signature check.
func signWithPayload(r *http.Request, payload string) {
	amzDate := exampleTime.Format("20060102T150405Z")
	r.Header.Set("X-Amz-Date", amzDate)
	r.Header.Set("X-Amz-Content-Sha256", payload)
	signed := []string{"host"}
	for name := range r.Header {
		if l := strings.ToLower(name); strings.HasPrefix(l, "x-amz-") || l == "content-encoding" {
			signed = append(signed, l)
		}
	}
	sort.Strings(signed)
	signedHeaders := strings.Join(signed, ";")
	scope := amzDate[:8] + "/us-east-1/s3/aws4_request"
	canonical := canonicalRequest(r, parseQuery(r.URL.RawQuery), "", signedHeaders, signed, payload)
	key := DeriveSigningKey(exampleSK, amzDate[:8], "us-east-1", "s3")
	sig := hex.EncodeToString(hmacSHA256(key, stringToSign(amzDate, scope, canonical)))
	r.Header.Set("Authorization", algorithmV4+" Credential="+exampleAK+"/"+scope+", SignedHeaders="+signedHeaders+", Signature="+sig)
}

// FuzzSignedPayload drives a correctly signed PUT whose
// x-amz-content-sha256, x-amz-decoded-content-length, x-amz-trailer and
// body are hostile: Verify and reading the body must never panic, and
// every refusal must be an S3 error.
func FuzzSignedPayload(f *testing.F) {
	f.Add(unsignedPayload, "", "", []byte("hello"))
	f.Add(strings.Repeat("0", 64), "", "", []byte("hello"))
	f.Add(streamingSigned, "5", "", []byte("5;chunk-signature="+strings.Repeat("0", 64)+"\r\nhello\r\n0;chunk-signature="+strings.Repeat("0", 64)+"\r\n\r\n"))
	f.Add(streamingUnsignedTrailer, "5", "x-amz-checksum-crc32", []byte("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"))
	f.Add(streamingUnsignedTrailer, "-1", "x-amz-checksum-crc32", []byte("ffffffffffffffff\r\n"))
	f.Add("not-a-hash", "99999999999999999999", "", []byte{})
	f.Fuzz(func(t *testing.T, payload, decoded, trailer string, body []byte) {
		r := httptest.NewRequest("PUT", "http://examplebucket.s3.amazonaws.com/test.txt", bytes.NewReader(body))
		if decoded != "" {
			r.Header.Set("X-Amz-Decoded-Content-Length", decoded)
		}
		if trailer != "" {
			r.Header.Set("X-Amz-Trailer", trailer)
		}
		if strings.HasPrefix(payload, "STREAMING-") {
			r.Header.Set("Content-Encoding", "aws-chunked")
		}
		signWithPayload(r, payload)
		res, err := exampleVerifier(exampleTime).Verify(r)
		if err != nil {
			if _, ok := s3err.As(err); !ok {
				t.Fatalf("error %v is not an S3 error", err)
			}
			return
		}
		_, err = io.ReadAll(io.LimitReader(res.Body, 1<<20))
		if _, ok := s3err.As(err); err != nil && !ok && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("body error %v is not an S3 error", err)
		}
	})
}

// TestSignWithPayload: the fuzz target's signer makes requests Verify
// accepts, so the fuzzer does reach the body.
func TestSignWithPayload(t *testing.T) {
	r := httptest.NewRequest("PUT", "http://examplebucket.s3.amazonaws.com/test.txt", strings.NewReader("hello"))
	signWithPayload(r, unsignedPayload)
	res, err := exampleVerifier(exampleTime).Verify(r)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if b, _ := io.ReadAll(res.Body); string(b) != "hello" {
		t.Errorf("body %q", b)
	}
}
