package sigv4

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Presign must produce what aws-sdk-go-v2's signer produces for the same
// request and instant (the SDK is what S3 itself accepts), and its URLs
// must verify here until they expire.
func TestPresignMatchesSDK(t *testing.T) {
	now := time.Date(2026, 12, 5, 7, 30, 0, 0, time.UTC)
	cred := testStore[0]
	for _, tc := range []struct {
		name, path string
		expires    time.Duration
	}{
		{"plain key", "/bucket/photo.jpg", time.Hour},
		{"key needing escapes", "/bucket/dir/a b+c=d&é~.txt", 7 * 24 * time.Hour},
		{"one second", "/b/k", time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Presign(http.MethodGet, "http", "127.0.0.1:9000", tc.path, cred, "us-east-1", now, tc.expires)
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest(http.MethodGet, got, nil)
			v := &Verifier{Credentials: testStore, Now: func() time.Time { return now.Add(tc.expires - time.Second/2) }}
			res, err := v.Verify(r)
			if err != nil {
				t.Fatalf("Verify(%s): %v", got, err)
			}
			if res.Credential.AccountID != "acct-1" {
				t.Errorf("account %q", res.Credential.AccountID)
			}
			// The SDK signs the same URL without the X-Amz-Signature.
			unsigned := httptest.NewRequest(http.MethodGet, got, nil)
			q := unsigned.URL.Query()
			q.Del("X-Amz-Signature")
			q.Del("X-Amz-Algorithm")
			q.Del("X-Amz-Credential")
			q.Del("X-Amz-Date")
			q.Del("X-Amz-SignedHeaders")
			unsigned.URL.RawQuery = q.Encode()
			want, _, err := v4.NewSigner().PresignHTTP(context.Background(), testCreds, unsigned, unsignedPayload, "s3", "us-east-1", now,
				func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }) // as the S3 client signs
			if err != nil {
				t.Fatal(err)
			}
			if sig(t, got) != sig(t, want) {
				t.Errorf("signature differs from the SDK's:\n got %s\nwant %s", got, want)
			}
			expired := &Verifier{Credentials: testStore, Now: func() time.Time { return now.Add(tc.expires + time.Second) }}
			if _, err := expired.Verify(httptest.NewRequest(http.MethodGet, got, nil)); err == nil {
				t.Error("expired URL verified")
			}
		})
	}
}

func sig(t *testing.T, u string) string {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, u, nil)
	return r.URL.Query().Get("X-Amz-Signature")
}

func TestPresignRefusesExpiryOutOfRange(t *testing.T) {
	for _, d := range []time.Duration{0, time.Second / 2, MaxPresignExpiry + time.Second} {
		if _, err := Presign(http.MethodGet, "http", "h", "/b/k", testStore[0], "us-east-1", time.Now(), d); err == nil {
			t.Errorf("expiry %s accepted", d)
		}
	}
}
