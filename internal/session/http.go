package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/tessera-s3/tessera/internal/s3err"
	"github.com/tessera-s3/tessera/internal/sigv4"
)

// Revocations is the store-wide set of revoked sessions. Every gateway
// must read the same set (server keeps it in the metadata store): a
// revocation made through one gateway holds on all of them as soon as
// Revoke returns, so no gateway may answer Revoked from a cache.
type Revocations interface {
	// Revoke records the session id as revoked until expires (when the
	// token stops being valid anyway). Revoking twice is not an error.
	Revoke(ctx context.Context, id string, expires time.Time) error
	// Revoked reports whether the session id was revoked.
	Revoked(ctx context.Context, id string) (bool, error)
}

// Authenticator checks console sessions against the same credential store
// SigV4 uses, so a disabled or deleted key stops working at once, and
// against the revoked sessions, so a session logged out stops working at
// once.
type Authenticator struct {
	Credentials sigv4.CredentialStore
	// Revocations holds the sessions logged out; nil: none are (and
	// Revoke fails), for tests of the token checks alone.
	Revocations Revocations
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
// header, then that the session was not revoked. It returns the session's
// credential and token. Every refusal is an AccessDenied *s3err.Error; a
// failing credential store or revocation set is returned wrapped.
//
// The revocation read comes last, after every check made in memory, so a
// request that fails those costs the store nothing.
func (a *Authenticator) Authenticate(r *http.Request, requireCSRF bool) (sigv4.Credential, string, error) {
	cred, tok, value, err := a.check(r)
	if err != nil {
		return sigv4.Credential{}, "", err
	}
	if requireCSRF {
		if err := CheckCSRF(r.Header.Get(CSRFHeader), value, cred.SecretAccessKey); err != nil {
			return sigv4.Credential{}, "", denied("missing or wrong " + CSRFHeader + " header")
		}
	}
	if a.Revocations != nil {
		revoked, err := a.Revocations.Revoked(r.Context(), tok.ID())
		if err != nil {
			return sigv4.Credential{}, "", fmt.Errorf("session: reading revocations: %w", err)
		}
		if revoked {
			return sigv4.Credential{}, "", denied("the session was logged out; log in again")
		}
	}
	return cred, value, nil
}

// Revoke ends r's session on every gateway: it records the token as
// revoked until it expires, and returns the session's access key ID (for
// the log). Like every call that changes state it needs the CSRF header,
// so only the console's own page can end a session. A request with no
// valid session (none, expired, its key gone) has nothing to revoke and
// gets "", nil; one revoked before is revoked again.
func (a *Authenticator) Revoke(r *http.Request) (string, error) {
	cred, tok, value, err := a.check(r)
	if _, refused := s3err.As(err); refused {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if err := CheckCSRF(r.Header.Get(CSRFHeader), value, cred.SecretAccessKey); err != nil {
		return "", denied("missing or wrong " + CSRFHeader + " header")
	}
	if a.Revocations == nil {
		return "", errors.New("session: no revocation store to log out with")
	}
	if err := a.Revocations.Revoke(r.Context(), tok.ID(), tok.Expires); err != nil {
		return "", fmt.Errorf("session: revoking: %w", err)
	}
	return cred.AccessKeyID, nil
}

// check verifies r's cookie: a well-formed token of a live key, MACed
// under its secret and not expired. It returns the key's credential, the
// token parsed and as sent.
func (a *Authenticator) check(r *http.Request) (sigv4.Credential, Token, string, error) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return sigv4.Credential{}, Token{}, "", denied("no session cookie")
	}
	tok, err := Parse(c.Value)
	if err != nil {
		return sigv4.Credential{}, Token{}, "", denied("malformed session")
	}
	cred, err := a.Credentials.Lookup(r.Context(), tok.AccessKeyID)
	if errors.Is(err, sigv4.ErrUnknownKey) || err == nil && cred.SecretAccessKey == "" {
		return sigv4.Credential{}, Token{}, "", denied("the session's access key is disabled or gone")
	}
	if err != nil {
		return sigv4.Credential{}, Token{}, "", fmt.Errorf("session: looking up access key: %w", err)
	}
	switch err := tok.Verify(cred.SecretAccessKey, a.now()); {
	case errors.Is(err, ErrExpired):
		return sigv4.Credential{}, Token{}, "", denied("the session has expired; log in again")
	case err != nil:
		return sigv4.Credential{}, Token{}, "", denied("invalid session")
	}
	return cred, tok, c.Value, nil
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
