package sigv4

// Interoperability with minio-go's signer, a second independent client
// implementation (used by mc and many Go programs): SigV4 header and
// presigned, signed aws-chunked streaming with and without a signed trailer
// (minio-go frames the trailer slightly differently from AWS), unsigned
// trailer, and — the only external check of our SigV2 — SigV2 header and
// presigned URLs, path-style and virtual-host.

import (
	"bytes"
	"crypto/sha256"
	"hash"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7/pkg/signer"
	"github.com/tessera-s3/tessera/internal/s3err"
)

type closeHasher struct{ hash.Hash }

func (closeHasher) Close() {}

func minioRequest(t *testing.T, method, base, host, path string, q url.Values, body []byte) *http.Request {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = path
	u.RawQuery = q.Encode()
	r, err := http.NewRequest(method, u.String(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		r.Host = host
	}
	return r
}

func TestMinioGoInterop(t *testing.T) {
	v := &Verifier{Credentials: testStore, Domains: []string{"s3.tessera.test"}}
	srv := newVerifyServer(t, v)
	ak, sk := testCreds.AccessKeyID, testCreds.SecretAccessKey
	data := testData(150_000) // three 64 KiB minio-go chunks
	q := url.Values{"versionId": {"v1"}, "uploads": {""}, "prefix": {"a b"}}
	const key = "/bucket/dir/a key+é~"

	check := func(t *testing.T, r *http.Request, wantCode s3err.Code, wantBody []byte) outcome {
		t.Helper()
		o := roundTrip(t, srv.Client(), r)
		if o.Code != string(wantCode) {
			t.Fatalf("got %s %q, want %q", o.Code, o.Message, wantCode)
		}
		if wantCode == "" && (o.Account != "acct-1" || o.BodySHA != sha256Hex(string(wantBody))) {
			t.Fatalf("outcome %+v", o)
		}
		return o
	}

	t.Run("v4 header", func(t *testing.T) {
		r := minioRequest(t, "PUT", srv.URL, "", key, q, data)
		r.Header.Set("X-Amz-Content-Sha256", sha256Hex(string(data)))
		r.Header.Set("X-Amz-Meta-Note", "hi  there")
		check(t, signer.SignV4(*r, ak, sk, "", "us-east-1"), "", data)
	})
	t.Run("v4 presigned", func(t *testing.T) {
		r := minioRequest(t, "GET", srv.URL, "", key, q, nil)
		check(t, signer.PreSignV4(*r, ak, sk, "", "us-east-1", 600), "", nil)
	})
	t.Run("v4 streaming", func(t *testing.T) {
		r := minioRequest(t, "PUT", srv.URL, "", key, nil, nil)
		r.Body = io.NopCloser(bytes.NewReader(data))
		r = signer.StreamingSignV4(r, ak, sk, "", "us-east-1", int64(len(data)), time.Now().UTC(), closeHasher{sha256.New()})
		o := check(t, r, "", data)
		if !o.Streaming || o.Decoded != int64(len(data)) {
			t.Fatalf("outcome %+v", o)
		}
	})
	t.Run("v4 streaming signed trailer", func(t *testing.T) {
		r := minioRequest(t, "PUT", srv.URL, "", key, nil, nil)
		r.Body = io.NopCloser(bytes.NewReader(data))
		r.Trailer = http.Header{"X-Amz-Checksum-Crc32c": {"sOO8/Q=="}}
		r = signer.StreamingSignV4(r, ak, sk, "", "us-east-1", int64(len(data)), time.Now().UTC(), closeHasher{sha256.New()})
		o := check(t, r, "", data)
		if o.Trailer.Get("X-Amz-Checksum-Crc32c") != "sOO8/Q==" {
			t.Fatalf("trailer %v", o.Trailer)
		}
	})
	t.Run("v4 unsigned trailer", func(t *testing.T) {
		r := minioRequest(t, "PUT", srv.URL, "", key, nil, data)
		r.Header.Set("X-Amz-Content-Sha256", streamingUnsignedTrailer)
		trailer := http.Header{"X-Amz-Checksum-Crc32": {"AAAAAA=="}}
		r = signer.SignV4Trailer(*r, ak, sk, "", "us-east-1", trailer) // also aws-chunks the body
		o := check(t, r, "", data)
		if o.Trailer.Get("X-Amz-Checksum-Crc32") != "AAAAAA==" {
			t.Fatalf("trailer %v", o.Trailer)
		}
	})
	for _, vh := range []bool{false, true} {
		name, host, path := "path-style", "", key
		if vh {
			name, host, path = "virtual-host", "bucket.s3.tessera.test", strings.TrimPrefix(key, "/bucket")
		}
		t.Run("v2 header "+name, func(t *testing.T) {
			r := minioRequest(t, "PUT", srv.URL, host, path, q, data)
			r.Header.Set("Content-Type", "text/plain")
			r.Header.Set("X-Amz-Meta-B", "2")
			r.Header.Set("X-Amz-Meta-A", "1")
			check(t, signer.SignV2(*r, ak, sk, vh), "", data)

			// The resource is signed: another key does not verify.
			r = minioRequest(t, "PUT", srv.URL, host, path, q, data)
			r = signer.SignV2(*r, ak, sk, vh)
			r.URL.Path += "x"
			check(t, r, s3err.SignatureDoesNotMatch, nil)
		})
		t.Run("v2 presigned "+name, func(t *testing.T) {
			r := minioRequest(t, "GET", srv.URL, host, path, q, nil)
			check(t, signer.PreSignV2(*r, ak, sk, 600, vh), "", nil)

			r = minioRequest(t, "GET", srv.URL, host, path, q, nil)
			r = signer.PreSignV2(*r, ak, sk, -10, vh)
			o := check(t, r, s3err.AccessDenied, nil)
			if o.Message != "Request has expired" {
				t.Fatalf("message %q", o.Message)
			}
		})
	}
}
