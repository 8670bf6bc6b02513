package browser

// Helpers of the web console's tests: logging in over HTTP and calling
// the S3 API or the console's endpoints with the session.

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/tessera-s3/tessera/internal/session"
	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// consolePath is where the server serves the console.
const consolePath = "/_tessera/console/"

// consoleSession is a logged-in session as the page holds it.
type consoleSession struct {
	Cookie      *http.Cookie
	AccessKeyID string `json:"accessKeyId"`
	AccountID   string `json:"accountId"`
	Root        bool   `json:"root"`
	CSRF        string `json:"csrf"`
}

// consoleLogin logs in with the key pair and returns the session; the
// login must succeed.
func consoleLogin(t *testing.T, srv *tesseratest.Server, accessKey, secretKey string) consoleSession {
	t.Helper()
	resp, body := consoleLoginRaw(t, srv, accessKey, secretKey)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login as %s: %d %s", accessKey, resp.StatusCode, body)
	}
	var s consoleSession
	if err := json.Unmarshal(body, &s); err != nil {
		t.Fatalf("login answer %s: %v", body, err)
	}
	for _, c := range resp.Cookies() {
		if c.Name == session.CookieName {
			s.Cookie = c
		}
	}
	if s.Cookie == nil || s.CSRF == "" {
		t.Fatalf("login set no session cookie or CSRF value: %v %s", resp.Header, body)
	}
	return s
}

// consoleLoginRaw posts a login and returns the answer as it is.
func consoleLoginRaw(t *testing.T, srv *tesseratest.Server, accessKey, secretKey string) (*http.Response, []byte) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"accessKeyId": accessKey, "secretAccessKey": secretKey})
	return sessionDo(t, srv, http.MethodPost, consolePath+"api/login", b, nil, "", http.Header{"Content-Type": {"application/json"}})
}

// sessionDo sends an unsigned request carrying cookie (if not nil) and
// the CSRF header (if not ""), plus hdr.
func sessionDo(t *testing.T, srv *tesseratest.Server, method, path string, body []byte, cookie *http.Cookie, csrf string, hdr http.Header) (*http.Response, []byte) {
	t.Helper()
	return sessionDoAt(t, srv.HTTPClient(), srv.URL, method, path, body, cookie, csrf, hdr)
}

// sessionDoAt is sessionDo through client to the server at base (one
// gateway of several, or from another client address).
func sessionDoAt(t *testing.T, client *http.Client, base, method, path string, body []byte, cookie *http.Cookie, csrf string, hdr http.Header) (*http.Response, []byte) {
	t.Helper()
	r, err := http.NewRequest(method, base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		r.Header[k] = vs
	}
	if cookie != nil {
		r.AddCookie(&http.Cookie{Name: cookie.Name, Value: cookie.Value})
	}
	if csrf != "" {
		r.Header.Set(session.CSRFHeader, csrf)
	}
	resp, err := client.Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return resp, b
}

// do sends a request with the whole session (cookie and CSRF header).
func (s consoleSession) do(t *testing.T, srv *tesseratest.Server, method, path string, body []byte) (*http.Response, []byte) {
	t.Helper()
	return sessionDo(t, srv, method, path, body, s.Cookie, s.CSRF, nil)
}
