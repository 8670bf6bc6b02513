package browser

// The console's defences over HTTP: logging out revokes the session on
// every gateway, failed logins are throttled, and the console's API calls
// count against the server's admission limits and in its metrics. These
// are Tessera's own (S3 has no console sessions); where S3 has an answer
// (SlowDown) it is the one the S3 API gives.

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tessera-s3/tessera/internal/config"
	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// Three gateways on one PostgreSQL database: a logout through one ends
// the session on all of them, for the console API and the S3 API alike,
// while another session of the same key goes on.
func TestConsoleLogoutRevokes(t *testing.T) {
	srv := tesseratest.New(t, tesseratest.WithGateways(3))
	alice := srv.NewAccount("alice")
	if _, err := alice.S3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("alice-bucket")}); err != nil {
		t.Fatal(err)
	}
	gw := func(i int) string { return srv.GatewayURL(i) }
	client := srv.HTTPClient()
	gone := consoleLogin(t, srv, alice.AccessKey, alice.SecretKey)
	kept := consoleLogin(t, srv, alice.AccessKey, alice.SecretKey)

	resp, body := sessionDoAt(t, client, gw(0), "POST", consolePath+"api/logout", nil, gone.Cookie, gone.CSRF, nil)
	if resp.StatusCode != http.StatusNoContent || len(resp.Cookies()) != 1 || resp.Cookies()[0].MaxAge >= 0 {
		t.Fatalf("logout: %d %v %s", resp.StatusCode, resp.Cookies(), body)
	}
	for i := range 3 {
		for _, tc := range []struct {
			name, method, path string
			body               string
			want               int // for the session logged out; the other gets 200
		}{
			{"console session", "GET", consolePath + "api/session", "", 403},
			{"console presign", "POST", consolePath + "api/presign", `{"bucket":"alice-bucket","key":"k","expiresSeconds":60}`, 403},
			{"S3 ListObjectsV2", "GET", "/alice-bucket?list-type=2", "", 403},
			{"S3 PutObject", "PUT", "/alice-bucket/k", "x", 403},
		} {
			t.Run("gateway "+strconv.Itoa(i)+"/"+tc.name, func(t *testing.T) {
				resp, body := sessionDoAt(t, client, gw(i), tc.method, tc.path, []byte(tc.body), gone.Cookie, gone.CSRF, nil)
				if resp.StatusCode != tc.want || !strings.Contains(string(body), "logged out") {
					t.Errorf("logged-out session: %d %s, want %d and the reason", resp.StatusCode, body, tc.want)
				}
				resp, body = sessionDoAt(t, client, gw(i), tc.method, tc.path, []byte(tc.body), kept.Cookie, kept.CSRF, nil)
				if resp.StatusCode != http.StatusOK {
					t.Errorf("the key's other session: %d %s", resp.StatusCode, body)
				}
			})
		}
	}
	t.Run("logging out again", func(t *testing.T) {
		// Nothing left to revoke: the cookie is cleared all the same.
		resp, body := sessionDoAt(t, client, gw(1), "POST", consolePath+"api/logout", nil, gone.Cookie, gone.CSRF, nil)
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("logout without the CSRF header", func(t *testing.T) {
		// Refused, and the session is not ended: only the console's own
		// page may log it out.
		resp, body := sessionDoAt(t, client, gw(2), "POST", consolePath+"api/logout", nil, kept.Cookie, "", nil)
		if resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
			t.Fatalf("%d %v %s", resp.StatusCode, resp.Cookies(), body)
		}
		resp, body = sessionDoAt(t, client, gw(0), "GET", consolePath+"api/session", nil, kept.Cookie, kept.CSRF, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("session after a refused logout: %d %s", resp.StatusCode, body)
		}
	})
	t.Run("the leader's maintenance keeps unexpired revocations", func(t *testing.T) {
		for _, g := range srv.Gateways() {
			if err := g.Maintain(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		resp, _ := sessionDoAt(t, client, gw(1), "GET", consolePath+"api/session", nil, gone.Cookie, gone.CSRF, nil)
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("logged-out session after maintenance: %d", resp.StatusCode)
		}
	})
}

// Failed logins are throttled per client address and per access key ID:
// ten failures, then 429 with Retry-After, the secret unchecked. The
// server trusts no proxy header, so clients differ by their loopback
// source address.
func TestConsoleLoginThrottle(t *testing.T) {
	srv := tesseratest.New(t, tesseratest.Standalone())
	alice := srv.NewAccount("alice")
	bob := srv.NewAccount("bob")
	from := func(ip string) *http.Client { return clientFrom(ip) }
	login := func(ip, key, secret string) (*http.Response, []byte) {
		return loginAt(t, from(ip), srv.URL, key, secret)
	}
	wantThrottled := func(t *testing.T, resp *http.Response, body []byte) {
		t.Helper()
		secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
		if resp.StatusCode != http.StatusTooManyRequests || err != nil || secs < 1 || secs > 60 || len(resp.Cookies()) != 0 {
			t.Fatalf("%d Retry-After %q cookies %v %s; want 429, 1 to 60 s, none", resp.StatusCode, resp.Header.Get("Retry-After"), resp.Cookies(), body)
		}
		if e := consoleErrOf(t, body); e.Code != "TooManyFailedLogins" || e.Message == "" {
			t.Fatalf("error %+v", e)
		}
	}
	wantStatus := func(t *testing.T, resp *http.Response, body []byte, status int) {
		t.Helper()
		if resp.StatusCode != status {
			t.Fatalf("%d %s, want %d", resp.StatusCode, body, status)
		}
	}

	t.Run("per access key", func(t *testing.T) {
		// Ten wrong secrets for alice's key from two addresses, five each:
		// neither address is over its limit, the key is.
		for i := range 10 {
			resp, body := login("127.0.0."+strconv.Itoa(2+i%2), alice.AccessKey, "wrong")
			wantStatus(t, resp, body, http.StatusForbidden)
		}
		resp, body := login("127.0.0.4", alice.AccessKey, alice.SecretKey)
		wantThrottled(t, resp, body) // even with the right secret
		resp, body = login("127.0.0.2", bob.AccessKey, bob.SecretKey)
		wantStatus(t, resp, body, http.StatusOK)
	})
	t.Run("per address", func(t *testing.T) {
		// Ten unknown keys from one address: the address is over its
		// limit, for every key; other addresses are not.
		for i := range 10 {
			resp, body := login("127.0.0.5", "AKIAGUESS"+strconv.Itoa(100000000000+i), "wrong")
			wantStatus(t, resp, body, http.StatusForbidden)
		}
		resp, body := login("127.0.0.5", bob.AccessKey, bob.SecretKey)
		wantThrottled(t, resp, body)
		resp, body = login("127.0.0.6", bob.AccessKey, bob.SecretKey)
		wantStatus(t, resp, body, http.StatusOK)
	})
	t.Run("successful logins do not count", func(t *testing.T) {
		for range 15 {
			resp, body := login("127.0.0.7", bob.AccessKey, bob.SecretKey)
			wantStatus(t, resp, body, http.StatusOK)
		}
	})
	t.Run("metrics", func(t *testing.T) {
		if v := srv.Metric(t, "tessera_console_login_failures_total", ""); v != 20 {
			t.Errorf("tessera_console_login_failures_total = %v, want 20", v)
		}
		if v := srv.Metric(t, "tessera_console_login_throttled_total", ""); v != 2 {
			t.Errorf("tessera_console_login_throttled_total = %v, want 2", v)
		}
	})
}

// The console's API calls take their place among --max-requests like S3
// requests: over the limit they get S3's SlowDown (503, the connection
// closed) as the console's JSON error, and they are counted in the request
// metrics under their operation.
func TestConsoleAdmission(t *testing.T) {
	srv := tesseratest.New(t, tesseratest.Standalone(), tesseratest.WithLimits(config.Limits{MaxRequests: 1}))
	s := consoleLogin(t, srv, tesseratest.AccessKey, tesseratest.SecretKey)
	finish := holdLogin(t, srv, tesseratest.AccessKey, tesseratest.SecretKey) // the one request served

	for _, tc := range []struct {
		name, method, path string
	}{
		{"session", "GET", consolePath + "api/session"},
		{"logout", "POST", consolePath + "api/logout"},
		{"presign", "POST", consolePath + "api/presign"},
		{"admin relay", "GET", consolePath + "api/admin/accounts"},
	} {
		t.Run("over the limit/"+tc.name, func(t *testing.T) {
			resp, body := s.do(t, srv, tc.method, tc.path, nil)
			// S3's SlowDown, as the S3 API gives it (pingcap/tiflash#10538
			// logs S3's raw 503: SlowDown, connection: close, no Retry-After).
			if resp.StatusCode != http.StatusServiceUnavailable || !resp.Close || resp.Header.Get("Retry-After") != "" {
				t.Fatalf("%d close=%v Retry-After %q %s", resp.StatusCode, resp.Close, resp.Header.Get("Retry-After"), body)
			}
			if e := consoleErrOf(t, body); e.Code != "SlowDown" || e.Message != "Please reduce your request rate." {
				t.Fatalf("error %+v", e)
			}
		})
	}
	t.Run("over the limit/S3 request", func(t *testing.T) {
		// One limit for both: the held console call keeps S3 requests out.
		resp, body := s.do(t, srv, "GET", "/", nil)
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "<Code>SlowDown</Code>") {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("the page's files are not work", func(t *testing.T) {
		resp, body := sessionDo(t, srv, "GET", consolePath, nil, nil, "", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%d %.100s", resp.StatusCode, body)
		}
	})
	if status := finish(); status != http.StatusOK {
		t.Fatalf("held login: %d", status)
	}
	t.Run("under the limit again", func(t *testing.T) {
		resp, body := s.do(t, srv, "GET", consolePath+"api/session", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("metrics", func(t *testing.T) {
		for _, tc := range []struct {
			name, labels string
			min          float64
		}{
			{"tessera_s3_requests_total", `action="ConsoleLogin",status="200"`, 2},
			{"tessera_s3_requests_total", `action="ConsoleSession",status="503"`, 1},
			{"tessera_s3_requests_total", `action="ConsoleSession",status="200"`, 1},
			{"tessera_s3_requests_total", `action="ConsoleLogout",status="503"`, 1},
			{"tessera_s3_requests_total", `action="ConsolePresign",status="503"`, 1},
			{"tessera_s3_requests_total", `action="ConsoleAdmin",status="503"`, 1},
			{"tessera_s3_request_duration_seconds_count", `action="ConsoleLogin"`, 2},
			{"tessera_s3_throttled_total", `reason="requests"`, 5},
		} {
			if v := srv.Metric(t, tc.name, tc.labels); v < tc.min {
				t.Errorf("%s{%s} = %v, want >= %v", tc.name, tc.labels, v, tc.min)
			}
		}
	})
}
