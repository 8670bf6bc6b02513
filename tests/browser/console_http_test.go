package browser

// The web console's sessions over plain HTTP: who may log in, what the
// cookie looks like, and that a session reaches the S3 API only with its
// CSRF header and only with its own account's permissions.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tessera-s3/tessera/internal/session"
	"github.com/tessera-s3/tessera/internal/tesseratest"
)

func TestConsoleLogin(t *testing.T) {
	srv := tesseratest.New(t)
	alice := srv.NewAccount("alice")
	disabled := srv.NewAccount("disabled")
	if err := srv.Internal().Accounts().SetKeyDisabled(context.Background(), disabled.AccessKey, true); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, key, secret string
		wantStatus        int
		wantRoot          bool
	}{
		{"root", tesseratest.AccessKey, tesseratest.SecretKey, http.StatusOK, true},
		{"any account", alice.AccessKey, alice.SecretKey, http.StatusOK, false},
		{"wrong secret", alice.AccessKey, alice.SecretKey + "x", http.StatusForbidden, false},
		{"unknown key", "AKIANOSUCHKEY0000000", alice.SecretKey, http.StatusForbidden, false},
		{"disabled key", disabled.AccessKey, disabled.SecretKey, http.StatusForbidden, false},
		{"empty secret", alice.AccessKey, "", http.StatusBadRequest, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := consoleLoginRaw(t, srv, tc.key, tc.secret)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d %s, want %d", resp.StatusCode, body, tc.wantStatus)
			}
			if tc.wantStatus != http.StatusOK {
				if len(resp.Cookies()) != 0 {
					t.Errorf("a refused login set cookies: %v", resp.Cookies())
				}
				return
			}
			var info consoleSession
			json.Unmarshal(body, &info)
			b, _ := json.Marshal(map[string]string{"accessKeyId": tc.key, "secretAccessKey": tc.secret})
			form, _ := sessionDo(t, srv, http.MethodPost, consolePath+"api/login", b, nil, "", http.Header{"Content-Type": {"text/plain"}})
			if form.StatusCode != http.StatusUnsupportedMediaType || len(form.Cookies()) != 0 {
				t.Errorf("a login a cross-site form could send (text/plain): %d %v", form.StatusCode, form.Cookies())
			}
			if info.Root != tc.wantRoot || info.AccessKeyID != tc.key || strings.Contains(string(body), tc.secret) {
				t.Errorf("login answer %s", body)
			}
		})
	}
}

func TestConsoleCookieAttributes(t *testing.T) {
	for _, tc := range []struct {
		name       string
		opts       []tesseratest.Option
		wantSecure bool
	}{
		{"plain HTTP", nil, false},
		{"TLS", []tesseratest.Option{tesseratest.WithTLS()}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := tesseratest.New(t, tc.opts...)
			s := consoleLogin(t, srv, tesseratest.AccessKey, tesseratest.SecretKey)
			c := s.Cookie
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure != tc.wantSecure {
				t.Errorf("cookie %s", c.String())
			}
			if c.MaxAge != int(session.DefaultTTL.Seconds()) || time.Until(c.Expires) > session.DefaultTTL+time.Minute {
				t.Errorf("cookie lifetime %s", c.String())
			}
			resp, _ := s.do(t, srv, http.MethodPost, consolePath+"api/logout", nil)
			cleared := resp.Cookies()
			if len(cleared) != 1 || cleared[0].Name != session.CookieName || cleared[0].MaxAge >= 0 {
				t.Errorf("logout cookies %v", cleared)
			}
		})
	}
}

// Every S3 request with a session: the CSRF header is what makes it a
// console request; the answer is the account's, as for a signed request.
func TestConsoleSessionReachesS3(t *testing.T) {
	srv := tesseratest.New(t)
	alice := srv.NewAccount("alice")
	bob := srv.NewAccount("bob")
	ctx := context.Background()
	for _, b := range []struct {
		c    *s3.Client
		name string
	}{{alice.S3, "alice-bucket"}, {bob.S3, "bob-bucket"}} {
		if _, err := b.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b.name)}); err != nil {
			t.Fatal(err)
		}
	}
	s := consoleLogin(t, srv, alice.AccessKey, alice.SecretKey)
	forged, _ := session.Issue(alice.AccessKey, bob.SecretKey, time.Now().Add(time.Hour))
	expired, _ := session.Issue(alice.AccessKey, alice.SecretKey, time.Now().Add(-time.Second))
	tampered := s.Cookie.Value[:len(s.Cookie.Value)-4] + "AAAA"
	cookie := func(v string) *http.Cookie { return &http.Cookie{Name: session.CookieName, Value: v} }
	for _, tc := range []struct {
		name     string
		method   string
		path     string
		cookie   *http.Cookie
		csrf     string
		hdr      http.Header
		want     int
		wantCode string
	}{
		{"own bucket", "GET", "/alice-bucket?list-type=2", s.Cookie, s.CSRF, nil, 200, ""},
		{"list buckets shows only the account's", "GET", "/", s.Cookie, s.CSRF, nil, 200, ""},
		{"put into own bucket", "PUT", "/alice-bucket/hello.txt", s.Cookie, s.CSRF, nil, 200, ""},
		// No CSRF header: the cookie alone is nothing, the request is
		// anonymous and the private bucket refuses it.
		{"cookie without CSRF header", "GET", "/alice-bucket?list-type=2", s.Cookie, "", nil, 403, "AccessDenied"},
		{"cookie without CSRF header, write", "PUT", "/alice-bucket/x", s.Cookie, "", nil, 403, "AccessDenied"},
		{"wrong CSRF value", "GET", "/alice-bucket?list-type=2", s.Cookie, s.CSRF[:len(s.CSRF)-1] + "x", nil, 403, "AccessDenied"},
		{"CSRF header without cookie", "GET", "/alice-bucket?list-type=2", nil, s.CSRF, nil, 403, "AccessDenied"},
		{"another account's bucket", "GET", "/bob-bucket?list-type=2", s.Cookie, s.CSRF, nil, 403, "AccessDenied"},
		{"write another account's bucket", "PUT", "/bob-bucket/x", s.Cookie, s.CSRF, nil, 403, "AccessDenied"},
		{"forged with another key's secret", "GET", "/alice-bucket?list-type=2", cookie(forged), session.CSRF(forged, bob.SecretKey), nil, 403, "AccessDenied"},
		{"expired", "GET", "/alice-bucket?list-type=2", cookie(expired), session.CSRF(expired, alice.SecretKey), nil, 403, "AccessDenied"},
		{"tampered MAC", "GET", "/alice-bucket?list-type=2", cookie(tampered), s.CSRF, nil, 403, "AccessDenied"},
		{"with an Authorization header too", "GET", "/alice-bucket?list-type=2", s.Cookie, s.CSRF,
			http.Header{"Authorization": {"AWS4-HMAC-SHA256 Credential=x"}}, 400, "InvalidArgument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := sessionDo(t, srv, tc.method, tc.path, []byte("x"), tc.cookie, tc.csrf, tc.hdr)
			if resp.StatusCode != tc.want || !strings.Contains(string(body), tc.wantCode) {
				t.Fatalf("status %d %s, want %d %s", resp.StatusCode, body, tc.want, tc.wantCode)
			}
		})
	}
	t.Run("list buckets is the account's own", func(t *testing.T) {
		_, body := s.do(t, srv, "GET", "/", nil)
		if !strings.Contains(string(body), "alice-bucket") || strings.Contains(string(body), "bob-bucket") {
			t.Fatalf("ListBuckets %s", body)
		}
	})
	t.Run("disabling the key ends the session", func(t *testing.T) {
		if err := srv.Internal().Accounts().SetKeyDisabled(ctx, alice.AccessKey, true); err != nil {
			t.Fatal(err)
		}
		defer srv.Internal().Accounts().SetKeyDisabled(ctx, alice.AccessKey, false)
		resp, body := s.do(t, srv, "GET", "/alice-bucket?list-type=2", nil)
		if resp.StatusCode != 403 || !strings.Contains(string(body), "AccessDenied") {
			t.Fatalf("status %d %s", resp.StatusCode, body)
		}
		resp, _ = s.do(t, srv, "GET", consolePath+"api/session", nil)
		if resp.StatusCode != 403 {
			t.Fatalf("session endpoint %d", resp.StatusCode)
		}
	})
}

func TestConsolePresign(t *testing.T) {
	srv := tesseratest.New(t)
	alice := srv.NewAccount("alice")
	ctx := context.Background()
	newBucket(t, alice.S3, "shared")
	if _, err := alice.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("shared"), Key: aws.String("dir/a b.txt"), Body: strings.NewReader("share me")}); err != nil {
		t.Fatal(err)
	}
	s := consoleLogin(t, srv, alice.AccessKey, alice.SecretKey)
	presign := func(csrf string, expires int) (*http.Response, []byte) {
		b, _ := json.Marshal(map[string]any{"bucket": "shared", "key": "dir/a b.txt", "expiresSeconds": expires})
		return sessionDo(t, srv, "POST", consolePath+"api/presign", b, s.Cookie, csrf, nil)
	}
	for _, tc := range []struct {
		name    string
		csrf    string
		expires int
		want    int
	}{
		{"an hour", s.CSRF, 3600, 200},
		// S3 accepts 604800 seconds and refuses 604801 (sigv4/presign.go).
		{"seven days", s.CSRF, 604800, 200},
		{"over seven days", s.CSRF, 604801, 400},
		{"zero", s.CSRF, 0, 400},
		{"without CSRF header", "", 3600, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := presign(tc.csrf, tc.expires)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d %s, want %d", resp.StatusCode, body, tc.want)
			}
			if tc.want != 200 {
				return
			}
			var out struct{ URL string }
			json.Unmarshal(body, &out)
			got, err := srv.HTTPClient().Get(out.URL) // no cookie, no signature of ours
			if err != nil {
				t.Fatal(err)
			}
			defer got.Body.Close()
			b, _ := io.ReadAll(got.Body)
			if got.StatusCode != 200 || string(b) != "share me" {
				t.Fatalf("GET %s: %d %s", out.URL, got.StatusCode, b)
			}
		})
	}
}

// The admin API through the console: signed with the session's key, so
// root's session may, and any other account's may not.
func TestConsoleAdminRelay(t *testing.T) {
	srv := tesseratest.New(t)
	alice := srv.NewAccount("alice")
	for _, tc := range []struct {
		name, key, secret string
		want              int
	}{
		{"root", tesseratest.AccessKey, tesseratest.SecretKey, 200},
		{"another account", alice.AccessKey, alice.SecretKey, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := consoleLogin(t, srv, tc.key, tc.secret)
			resp, body := s.do(t, srv, "GET", consolePath+"api/admin/accounts", nil)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d %s, want %d", resp.StatusCode, body, tc.want)
			}
			resp, body = sessionDo(t, srv, "GET", consolePath+"api/admin/accounts", nil, s.Cookie, "", nil)
			if resp.StatusCode != 403 {
				t.Fatalf("without CSRF header: status %d %s", resp.StatusCode, body)
			}
		})
	}
}

func TestConsoleDisabled(t *testing.T) {
	on := tesseratest.New(t)
	s := consoleLogin(t, on, tesseratest.AccessKey, tesseratest.SecretKey)
	off := tesseratest.New(t, tesseratest.WithoutConsole())
	newBucket(t, off.S3(), "private")
	for _, tc := range []struct {
		name, method, path string
		want               int
	}{
		{"page", "GET", consolePath, 404},
		{"root without slash", "GET", "/_tessera/console", 404},
		{"asset", "GET", consolePath + "app.js", 404},
		{"login", "POST", consolePath + "api/login", 404},
		// A session (valid on a server with the console) is not accepted.
		{"S3 with a session", "GET", "/private?list-type=2", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := sessionDo(t, off, tc.method, tc.path, nil, s.Cookie, s.CSRF, nil)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d %s, want %d", resp.StatusCode, body, tc.want)
			}
		})
	}
	t.Run("served when on", func(t *testing.T) {
		resp, body := sessionDo(t, on, "GET", consolePath, nil, nil, "", nil)
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Fatalf("status %d, CSP %q: %.200s", resp.StatusCode, resp.Header.Get("Content-Security-Policy"), body)
		}
	})
}
