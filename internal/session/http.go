package session

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/tessera-s3/tessera/internal/s3err"
	"github.com/tessera-s3/tessera/internal/sigv4"
)

// Authenticator checks console sessions against the same credential store
// SigV4 uses, so a disabled or deleted key stops working at once.
type Authenticator struct {
	Credentials sigv4.CredentialStore
	Now         func() time.Time // nil → time.Now
}

func (a *Authenticator) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// denied is every session failure as the S3 API reports it: the reason
// stays in the message, the code is S3's for a request it will not serve.
func denied(reason string) error {
	return s3err.Newf(s3err.AccessDenied, "Console session refused: %s", reason)
}

// Authenticate checks r's session cookie and, when requireCSRF, its CSRF
// header. It returns the session's credential and token. Every refusal is
// an AccessDenied *s3err.Error; a failing credential store is returned
// wrapped.
func (a *Authenticator) Authenticate(r *http.Request, requireCSRF bool) (sigv4.Credential, string, error) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return sigv4.Credential{}, "", denied("no session cookie")
	}
	tok, err := Parse(c.Value)
	if err != nil {
		return sigv4.Credential{}, "", denied("malformed session")
	}
	cred, err := a.Credentials.Lookup(r.Context(), tok.AccessKeyID)
	if errors.Is(err, sigv4.ErrUnknownKey) || err == nil && cred.SecretAccessKey == "" {
		return sigv4.Credential{}, "", denied("the session's access key is disabled or gone")
	}
	if err != nil {
		return sigv4.Credential{}, "", fmt.Errorf("session: looking up access key: %w", err)
	}
	switch err := tok.Verify(cred.SecretAccessKey, a.now()); {
	case errors.Is(err, ErrExpired):
		return sigv4.Credential{}, "", denied("the session has expired; log in again")
	case err != nil:
		return sigv4.Credential{}, "", denied("invalid session")
	}
	if requireCSRF {
		if err := CheckCSRF(r.Header.Get(CSRFHeader), c.Value, cred.SecretAccessKey); err != nil {
			return sigv4.Credential{}, "", denied("missing or wrong " + CSRFHeader + " header")
		}
	}
	return cred, c.Value, nil
}

// Cookie is the session cookie for token: HttpOnly, SameSite=Strict,
// Path=/ (the S3 API is served from the root), Secure over TLS, expiring
// with the token.
func Cookie(token string, expires, now time.Time, secure bool) *http.Cookie {
	return &http.Cookie{
		Name: CookieName, Value: token, Path: "/", Expires: expires,
		MaxAge:   max(int(expires.Sub(now).Seconds()), 1),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode,
	}
}

// ClearCookie removes the session cookie.
func ClearCookie(secure bool) *http.Cookie {
	return &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode}
}
