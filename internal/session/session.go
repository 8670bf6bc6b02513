// Package session issues and checks the web console's sessions.
//
// A session is a stateless token: the access key ID it was issued to, an
// expiry and a random nonce, MACed with HMAC-SHA256 under a key derived
// from that access key's secret. Any gateway that can look the key up can
// check it — no session table to share between gateways — and disabling,
// deleting or rotating the key ends every session made with it, because
// the key lookup fails or the MAC no longer matches.
//
// The token travels in an HttpOnly, SameSite=Strict cookie. The cookie
// alone authenticates nothing: a request must also carry the CSRF header
// with a value bound to the token (an HMAC of it under the same key) that
// only the console's own page learns, from the login answer or the
// session endpoint. A cross-site page can neither read that value nor send
// a custom header without a preflight the server never grants.
//
// Logging out revokes the token: its ID (the nonce) goes, with its expiry,
// into a store-wide set every gateway reads on every session request
// (Revocations), so a copy of the cookie taken before logout stops working
// everywhere at once. The set holds only unexpired sessions that logged
// out; an expired token is refused by its own expiry first, so its
// revocation can be dropped.
package session

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Names of the cookie and the CSRF header.
const (
	CookieName = "tessera_session"
	CSRFHeader = "X-Tessera-Csrf"
)

// DefaultTTL is how long a session lasts.
const DefaultTTL = 12 * time.Hour

// version prefixes every token, so the format can change without old
// tokens being misread.
const version = "v1"

// Errors of Parse and Verify; all mean "not a valid session".
var (
	ErrMalformed = errors.New("session: malformed token")
	ErrBadMAC    = errors.New("session: token MAC does not match")
	ErrExpired   = errors.New("session: token expired")
	ErrBadCSRF   = errors.New("session: CSRF value does not match the session")
)

// Token is a parsed, not yet verified, session token.
type Token struct {
	AccessKeyID string
	Expires     time.Time
	nonce       string // base64url, as in the token
	mac         []byte
}

// maxTokenLen bounds what Parse looks at: a real token is ~130 bytes.
const maxTokenLen = 512

// nonceBytes of randomness make two sessions of one key distinct.
const nonceBytes = 16

// Issue returns a new token for the access key, valid until expires.
func Issue(accessKeyID, secret string, expires time.Time) (string, error) {
	if accessKeyID == "" || len(accessKeyID) > maxKeyIDLen {
		return "", fmt.Errorf("session: access key ID of %d bytes cannot be put in a token", len(accessKeyID))
	}
	n := make([]byte, nonceBytes)
	if _, err := rand.Read(n); err != nil {
		return "", fmt.Errorf("session: nonce: %w", err)
	}
	t := Token{AccessKeyID: accessKeyID, Expires: time.Unix(expires.Unix(), 0), nonce: base64.RawURLEncoding.EncodeToString(n)}
	return t.payload() + "." + base64.RawURLEncoding.EncodeToString(t.sum(secret)), nil
}

// payload is the MACed part of the token.
func (t Token) payload() string {
	return version + "." + base64.RawURLEncoding.EncodeToString([]byte(t.AccessKeyID)) + "." + strconv.FormatInt(t.Expires.Unix(), 10) + "." + t.nonce
}

// macKey derives the session MAC key from the access key's secret, apart
// from any key SigV4 derives from it (different construction and label).
func macKey(secret string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("tessera console session " + version))
	return m.Sum(nil)
}

func (t Token) sum(secret string) []byte {
	m := hmac.New(sha256.New, macKey(secret))
	m.Write([]byte(t.payload()))
	return m.Sum(nil)
}

// Parse splits a token without checking it: the caller needs the access
// key ID to look the secret up before Verify.
func Parse(s string) (Token, error) {
	if len(s) > maxTokenLen || !tokenChars(s) {
		return Token{}, ErrMalformed
	}
	parts := strings.Split(s, ".")
	if len(parts) != 5 || parts[0] != version {
		return Token{}, ErrMalformed
	}
	id, err := base64.RawURLEncoding.Strict().DecodeString(parts[1])
	if err != nil || len(id) == 0 || len(id) > maxKeyIDLen {
		return Token{}, ErrMalformed
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || exp <= 0 || parts[2] != strconv.FormatInt(exp, 10) {
		return Token{}, ErrMalformed
	}
	nonce, err := base64.RawURLEncoding.Strict().DecodeString(parts[3])
	if err != nil || len(nonce) != nonceBytes {
		return Token{}, ErrMalformed
	}
	mac, err := base64.RawURLEncoding.Strict().DecodeString(parts[4])
	if err != nil || len(mac) != sha256.Size {
		return Token{}, ErrMalformed
	}
	return Token{AccessKeyID: string(id), Expires: time.Unix(exp, 0), nonce: parts[3], mac: mac}, nil
}

// ID names the token among every session (its random nonce): what a
// revocation records. It reveals nothing a MAC could be forged from.
func (t Token) ID() string { return t.nonce }

// Verify checks the token's MAC under secret and its expiry at now.
func (t Token) Verify(secret string, now time.Time) error {
	if !hmac.Equal(t.mac, t.sum(secret)) {
		return ErrBadMAC
	}
	if !now.Before(t.Expires) {
		return ErrExpired
	}
	return nil
}

// CSRF is the value the CSRF header must carry with the token: an HMAC of
// the whole token, so it is useless with any other session.
func CSRF(token, secret string) string {
	m := hmac.New(sha256.New, macKey(secret))
	m.Write([]byte("csrf\x00" + token))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CheckCSRF compares a CSRF header value with the token's, in constant time.
func CheckCSRF(got, token, secret string) error {
	if got == "" || !hmac.Equal([]byte(got), []byte(CSRF(token, secret))) {
		return ErrBadCSRF
	}
	return nil
}

// maxKeyIDLen bounds the access key ID a token carries (IAM's are 20
// characters; an operator-chosen root key may be longer).
const maxKeyIDLen = 128

// tokenChars reports whether s has only the characters a token is made
// of (base64url and dots): Go's base64 decoder skips CR and LF, which
// would give one token several spellings.
func tokenChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
