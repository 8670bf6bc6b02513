package tesseratest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// signer signs as S3 clients do: paths are not escaped a second time.
var signer = v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })

// Sign signs r with SigV4 in the Authorization header, as of at, for the
// access key pair; payloadHash (a hex SHA-256, UNSIGNED-PAYLOAD or a
// STREAMING-… mode) is sent as x-amz-content-sha256 and signed.
func Sign(t testing.TB, r *http.Request, payloadHash string, at time.Time, accessKey, secretKey string) {
	t.Helper()
	SignRegion(t, r, payloadHash, at, accessKey, secretKey, Region)
}

// SignRegion is Sign with a credential scope for region.
func SignRegion(t testing.TB, r *http.Request, payloadHash string, at time.Time, accessKey, secretKey, region string) {
	t.Helper()
	r.Header.Set("X-Amz-Content-Sha256", payloadHash)
	creds := aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: secretKey}
	if err := signer.SignHTTP(context.Background(), creds, r, payloadHash, "s3", region, at); err != nil {
		t.Fatalf("tesseratest: SignHTTP: %v", err)
	}
}

// PayloadHash is the hex SHA-256 of body, as x-amz-content-sha256 carries it.
func PayloadHash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// Do sends a request signed by the root account: pathQuery is
// "/bucket/key?query" already escaped, hdr adds (signed) headers, and
// payloadHash "" means the SHA-256 of body. It returns the response with
// its body read.
func (s *Server) Do(t testing.TB, method, pathQuery string, body []byte, hdr http.Header, payloadHash string) (*http.Response, []byte) {
	t.Helper()
	r, err := http.NewRequest(method, s.URL+pathQuery, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("tesseratest: NewRequest(%s %s): %v", method, pathQuery, err)
	}
	r.ContentLength = int64(len(body))
	if len(body) == 0 {
		r.Body = http.NoBody
	}
	for k, vs := range hdr {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	if payloadHash == "" {
		payloadHash = PayloadHash(body)
	}
	SignRegion(t, r, payloadHash, time.Now(), AccessKey, SecretKey, s.Region())
	resp, err := s.HTTPClient().Do(r)
	if err != nil {
		t.Fatalf("tesseratest: %s %s: %v", method, pathQuery, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("tesseratest: %s %s: reading body: %v", method, pathQuery, err)
	}
	return resp, b
}

// Presign returns r's URL presigned with SigV4 (UNSIGNED-PAYLOAD) as of at;
// X-Amz-Expires comes from r's query.
func Presign(t testing.TB, r *http.Request, at time.Time, accessKey, secretKey string) string {
	t.Helper()
	return PresignRegion(t, r, at, accessKey, secretKey, Region)
}

// PresignRegion is Presign with a credential scope for region.
func PresignRegion(t testing.TB, r *http.Request, at time.Time, accessKey, secretKey, region string) string {
	t.Helper()
	creds := aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: secretKey}
	u, _, err := signer.PresignHTTP(context.Background(), creds, r, "UNSIGNED-PAYLOAD", "s3", region, at)
	if err != nil {
		t.Fatalf("tesseratest: PresignHTTP: %v", err)
	}
	return u
}
