package session

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/internal/s3err"
	"github.com/tessera-s3/tessera/internal/sigv4"
)

var (
	t0    = time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	alice = sigv4.Credential{AccessKeyID: "AKIAALICE00000000000", SecretAccessKey: "alice/secret/0123456789abcdefghijklmno", AccountID: "111111111111"}
	bob   = sigv4.Credential{AccessKeyID: "AKIABOB0000000000000", SecretAccessKey: "bob/secret/0123456789abcdefghijklmnopq", AccountID: "222222222222"}
)

func issue(t *testing.T, c sigv4.Credential, exp time.Time) string {
	t.Helper()
	tok, err := Issue(c.AccessKeyID, c.SecretAccessKey, exp)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// replacePart swaps one dot-separated field of a token.
func replacePart(tok string, i int, v string) string {
	parts := strings.Split(tok, ".")
	parts[i] = v
	return strings.Join(parts, ".")
}

func TestParseAndVerify(t *testing.T) {
	good := issue(t, alice, t0.Add(time.Hour))
	forgedByBob := issue(t, bob, t0.Add(time.Hour))
	// A token for alice's key MACed with bob's secret: what someone who
	// knows one secret could forge for another key.
	forged, _ := Issue(alice.AccessKeyID, bob.SecretAccessKey, t0.Add(time.Hour))
	later := issue(t, alice, t0.Add(48*time.Hour))
	for _, tc := range []struct {
		name  string
		token string
		now   time.Time
		want  error
	}{
		{"valid", good, t0, nil},
		{"valid one second before expiry", good, t0.Add(time.Hour - time.Second), nil},
		{"expired at expiry", good, t0.Add(time.Hour), ErrExpired},
		{"expired long ago", good, t0.Add(30 * 24 * time.Hour), ErrExpired},
		{"forged with another secret", forged, t0, ErrBadMAC},
		{"expiry extended", replacePart(good, 2, strings.Split(later, ".")[2]), t0, ErrBadMAC},
		{"key ID swapped", replacePart(good, 1, strings.Split(forgedByBob, ".")[1]), t0, ErrBadMAC},
		{"nonce swapped", replacePart(good, 3, strings.Split(later, ".")[3]), t0, ErrBadMAC},
		{"MAC swapped", replacePart(good, 4, strings.Split(later, ".")[4]), t0, ErrBadMAC},
		{"MAC truncated", good[:len(good)-2], t0, ErrMalformed},
		{"unknown version", replacePart(good, 0, "v2"), t0, ErrMalformed},
		{"extra field", good + ".x", t0, ErrMalformed},
		{"missing field", strings.Join(strings.Split(good, ".")[:4], "."), t0, ErrMalformed},
		{"expiry not a number", replacePart(good, 2, "soon"), t0, ErrMalformed},
		{"expiry with a sign", replacePart(good, 2, "+"+strings.Split(good, ".")[2]), t0, ErrMalformed},
		{"expiry negative", replacePart(good, 2, "-1"), t0, ErrMalformed},
		{"empty", "", t0, ErrMalformed},
		{"too long", good + strings.Repeat("A", maxTokenLen), t0, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := Parse(tc.token)
			if err == nil {
				err = tok.Verify(alice.SecretAccessKey, tc.now)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if err == nil && tok.AccessKeyID != alice.AccessKeyID {
				t.Errorf("access key %q", tok.AccessKeyID)
			}
		})
	}
}

func TestIssueDistinctTokens(t *testing.T) {
	a, b := issue(t, alice, t0), issue(t, alice, t0)
	if a == b {
		t.Fatal("two sessions of one key share a token")
	}
	if CSRF(a, alice.SecretAccessKey) == CSRF(b, alice.SecretAccessKey) {
		t.Fatal("two sessions share a CSRF value")
	}
}

func TestAuthenticate(t *testing.T) {
	store := sigv4.StaticCredentials{alice, bob}
	a := &Authenticator{Credentials: store, Now: func() time.Time { return t0 }}
	good := issue(t, alice, t0.Add(time.Hour))
	expired := issue(t, alice, t0.Add(-time.Second))
	bobs := issue(t, bob, t0.Add(time.Hour))
	gone, _ := Issue("AKIAGONE000000000000", "whatever-secret-it-had", t0.Add(time.Hour))
	for _, tc := range []struct {
		name        string
		cookie      string // "" → no cookie
		csrf        string
		requireCSRF bool
		wantAccount string // "" → refused
	}{
		{"cookie and CSRF", good, CSRF(good, alice.SecretAccessKey), true, alice.AccountID},
		{"session endpoint needs no CSRF", good, "", false, alice.AccountID},
		{"missing CSRF header", good, "", true, ""},
		{"wrong CSRF header", good, CSRF(good, alice.SecretAccessKey)[1:] + "A", true, ""},
		{"another session's CSRF value", good, CSRF(bobs, bob.SecretAccessKey), true, ""},
		{"CSRF under another secret", good, CSRF(good, bob.SecretAccessKey), true, ""},
		{"no cookie", "", CSRF(good, alice.SecretAccessKey), true, ""},
		{"expired", expired, CSRF(expired, alice.SecretAccessKey), true, ""},
		{"tampered", replacePart(good, 2, "99999999999"), CSRF(good, alice.SecretAccessKey), true, ""},
		{"key deleted or disabled", gone, CSRF(gone, "whatever-secret-it-had"), true, ""},
		{"garbage", "%%%", "x", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/bucket", nil)
			if tc.cookie != "" {
				r.AddCookie(&http.Cookie{Name: CookieName, Value: tc.cookie})
			}
			if tc.csrf != "" {
				r.Header.Set(CSRFHeader, tc.csrf)
			}
			cred, _, err := a.Authenticate(r, tc.requireCSRF)
			if tc.wantAccount == "" {
				if e, ok := s3err.As(err); !ok || e.Code != s3err.AccessDenied {
					t.Fatalf("got %v, want AccessDenied", err)
				}
				return
			}
			if err != nil || cred.AccountID != tc.wantAccount {
				t.Fatalf("got %+v, %v; want account %s", cred, err, tc.wantAccount)
			}
		})
	}
}

// failingStore is a credential store whose backend is down.
type failingStore struct{}

func (failingStore) Lookup(context.Context, string) (sigv4.Credential, error) {
	return sigv4.Credential{}, errors.New("store unavailable")
}

func TestAuthenticateStoreFailureIsNotDenied(t *testing.T) {
	a := &Authenticator{Credentials: failingStore{}, Now: func() time.Time { return t0 }}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(&http.Cookie{Name: CookieName, Value: issue(t, alice, t0.Add(time.Hour))})
	_, _, err := a.Authenticate(r, false)
	if _, ok := s3err.As(err); ok || err == nil {
		t.Fatalf("got %v, want an internal error", err)
	}
}

// memRevocations is a Revocations in a map; fail makes it a store that
// is down.
type memRevocations struct {
	ids  map[string]time.Time
	fail bool
}

func (m *memRevocations) Revoke(_ context.Context, id string, expires time.Time) error {
	if m.fail {
		return errors.New("store unavailable")
	}
	m.ids[id] = expires
	return nil
}

func (m *memRevocations) Revoked(_ context.Context, id string) (bool, error) {
	if m.fail {
		return false, errors.New("store unavailable")
	}
	_, ok := m.ids[id]
	return ok, nil
}

// sessionRequest is a request with the session cookie (unless "") and
// the CSRF header (unless "").
func sessionRequest(cookie, csrf string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	if cookie != "" {
		r.AddCookie(&http.Cookie{Name: CookieName, Value: cookie})
	}
	if csrf != "" {
		r.Header.Set(CSRFHeader, csrf)
	}
	return r
}

func TestRevoke(t *testing.T) {
	good := issue(t, alice, t0.Add(time.Hour))
	other := issue(t, alice, t0.Add(time.Hour)) // a second session of the same key
	expired := issue(t, alice, t0.Add(-time.Second))
	gone, _ := Issue("AKIAGONE000000000000", "whatever-secret-it-had", t0.Add(time.Hour))
	csrf := func(tok string) string { return CSRF(tok, alice.SecretAccessKey) }
	for _, tc := range []struct {
		name         string
		cookie, csrf string
		fail         bool
		wantKey      string // the key revoked; "" → nothing revoked
		wantDenied   bool
		wantInternal bool
	}{
		{"session with CSRF", good, csrf(good), false, alice.AccessKeyID, false, false},
		{"without CSRF header: refused, not revoked", good, "", false, "", true, false},
		{"wrong CSRF value", good, csrf(other), false, "", true, false},
		{"no cookie: nothing to revoke", "", "", false, "", false, false},
		{"expired: nothing to revoke", expired, csrf(expired), false, "", false, false},
		{"key gone: nothing to revoke", gone, CSRF(gone, "whatever-secret-it-had"), false, "", false, false},
		{"tampered: nothing to revoke", replacePart(good, 2, "99999999999"), csrf(good), false, "", false, false},
		{"store down", good, csrf(good), true, "", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			revs := &memRevocations{ids: map[string]time.Time{}, fail: tc.fail}
			a := &Authenticator{Credentials: sigv4.StaticCredentials{alice, bob}, Revocations: revs, Now: func() time.Time { return t0 }}
			key, err := a.Revoke(sessionRequest(tc.cookie, tc.csrf))
			e, denied := s3err.As(err)
			switch {
			case tc.wantDenied:
				if !denied || e.Code != s3err.AccessDenied {
					t.Fatalf("got %v, want AccessDenied", err)
				}
			case tc.wantInternal:
				if denied || err == nil {
					t.Fatalf("got %v, want an internal error", err)
				}
			case err != nil:
				t.Fatal(err)
			}
			if key != tc.wantKey {
				t.Errorf("revoked key %q, want %q", key, tc.wantKey)
			}
			if tc.wantKey == "" {
				if len(revs.ids) != 0 {
					t.Errorf("revoked %v", revs.ids)
				}
				return
			}
			// The revoked session is refused, with or without CSRF; the
			// other session of the same key goes on.
			tok, _ := Parse(tc.cookie)
			if exp, ok := revs.ids[tok.ID()]; !ok || !exp.Equal(tok.Expires) {
				t.Errorf("revocations %v, want %s until %s", revs.ids, tok.ID(), tok.Expires)
			}
			for _, requireCSRF := range []bool{true, false} {
				if _, _, err := a.Authenticate(sessionRequest(good, csrf(good)), requireCSRF); !errors.Is(err, s3err.New(s3err.AccessDenied)) {
					t.Errorf("revoked session (requireCSRF %v): %v, want AccessDenied", requireCSRF, err)
				}
			}
			if _, _, err := a.Authenticate(sessionRequest(other, csrf(other)), true); err != nil {
				t.Errorf("the key's other session: %v", err)
			}
		})
	}
}

// A revocation set that cannot be read refuses nothing by mistake and
// admits nothing: the request fails as an internal error.
func TestAuthenticateRevocationsDown(t *testing.T) {
	a := &Authenticator{Credentials: sigv4.StaticCredentials{alice}, Revocations: &memRevocations{fail: true}, Now: func() time.Time { return t0 }}
	good := issue(t, alice, t0.Add(time.Hour))
	_, _, err := a.Authenticate(sessionRequest(good, CSRF(good, alice.SecretAccessKey)), true)
	if _, ok := s3err.As(err); ok || err == nil {
		t.Fatalf("got %v, want an internal error", err)
	}
}

func TestCookieAttributes(t *testing.T) {
	c := Cookie("tok", t0.Add(DefaultTTL), t0, true)
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.MaxAge != int(DefaultTTL.Seconds()) {
		t.Fatalf("cookie %+v", c)
	}
	if c := ClearCookie(false); c.MaxAge >= 0 || c.Secure {
		t.Fatalf("clearing cookie %+v", c)
	}
}

// FuzzParse: no input makes Parse panic, and whatever it accepts renders
// back to the same token (there is one spelling of each token).
func FuzzParse(f *testing.F) {
	tok, _ := Issue(alice.AccessKeyID, alice.SecretAccessKey, t0)
	f.Add(tok)
	f.Add("v1.QUtJQQ.1.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("")
	f.Add("v1....")
	f.Fuzz(func(t *testing.T, s string) {
		tk, err := Parse(s)
		if err != nil {
			return
		}
		if got := tk.payload() + "." + strings.Split(s, ".")[4]; got != s {
			t.Fatalf("Parse(%q) renders back as %q", s, got)
		}
		if tk.Verify(alice.SecretAccessKey, t0) == nil && s != tok {
			t.Fatalf("Parse(%q) verified", s)
		}
	})
}
