package sigv4

import (
	"bytes"
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/internal/s3err"
)

func TestSignRoundTrip(t *testing.T) {
	cred := Credential{AccessKeyID: "AKIDSIGNTEST", SecretAccessKey: "secret/key+with=chars", AccountID: "123456789012"}
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	v := &Verifier{Credentials: StaticCredentials{cred}, Now: func() time.Time { return now }}
	body := []byte(`{"name":"alice"}`)
	r := httptest.NewRequest("POST", "http://127.0.0.1:9000/_tessera/admin/v1/accounts?x=a%20b&y", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	Sign(r, cred, "us-east-1", body, now)
	res, err := v.Verify(r)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if res.Credential.AccountID != cred.AccountID {
		t.Fatalf("account %q", res.Credential.AccountID)
	}
	if got, err := io.ReadAll(res.Body); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("body %q %v", got, err)
	}

	// A changed body no longer matches the signed payload hash.
	r = httptest.NewRequest("POST", "http://127.0.0.1:9000/_tessera/admin/v1/accounts", bytes.NewReader([]byte("tampered")))
	Sign(r, cred, "us-east-1", body, now)
	res, err = v.Verify(r)
	if err == nil {
		_, err = io.ReadAll(res.Body)
	}
	if !s3err.HasCode(err, s3err.XAmzContentSHA256Mismatch) {
		t.Fatalf("tampered body: %v", err)
	}
}
