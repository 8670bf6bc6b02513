// Package console serves Tessera's web console: a small single-page
// application (plain HTML, CSS and ES modules embedded in the binary, no
// build step, nothing fetched from elsewhere) and the few endpoints it
// needs beside the S3 API — login, logout, the session, presigned share
// links and a door to the admin API.
//
// The console has no permissions of its own. Logging in checks an access
// key through the same IAM service SigV4 uses and sets a session cookie
// (internal/session); the page then calls the ordinary S3 API on the same
// origin, authenticated by that cookie plus a CSRF header, and every call
// is authorized exactly as a signed request of that key would be. Admin
// calls are re-signed with the session's own key and go through the admin
// API's own check (root only).
package console

import (
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tessera-s3/tessera/internal/iam"
	"github.com/tessera-s3/tessera/internal/s3err"
	"github.com/tessera-s3/tessera/internal/session"
)

// Root is the console's URL path; Prefix is everything under it.
const (
	Root   = "/_tessera/console"
	Prefix = Root + "/"
	api    = Prefix + "api/"
)

//go:embed assets
var assets embed.FS

// Config wires a Handler.
type Config struct {
	// Sessions checks session cookies against the IAM service's keys.
	Sessions *session.Authenticator
	// IAM names the account behind a key and tells root apart.
	IAM *iam.Service
	// Admin is the admin API handler (it authenticates root itself).
	Admin http.Handler
	// Region is the region presigned URLs and admin calls are signed for.
	Region string
	// TTL is how long a session lasts (0: session.DefaultTTL).
	TTL    time.Duration
	Now    func() time.Time
	Logger *slog.Logger
}

// Failed logins allowed per client address and per access key ID:
// loginBurst at once, then loginBurst per loginWindow (throttle.go).
// throttleKeys bounds the addresses and key IDs remembered.
const (
	loginBurst   = 10
	loginWindow  = time.Minute
	throttleKeys = 10000
)

// Handler serves the console under Prefix.
type Handler struct {
	cfg Config
	mux *http.ServeMux
	// ops names the operation of each API route pattern (metrics).
	ops map[string]string
	// logins throttles failed logins; failures and throttled count them.
	logins              *throttle
	failures, throttled atomic.Int64
}

// Stats are the console's counts since start, for the metrics.
type Stats struct {
	// LoginFailures are logins refused for a wrong, unknown or disabled key.
	LoginFailures int64
	// LoginsThrottled are logins refused unchecked, over the failure limit.
	LoginsThrottled int64
}

// Stats returns the counts so far.
func (h *Handler) Stats() Stats {
	return Stats{LoginFailures: h.failures.Load(), LoginsThrottled: h.throttled.Load()}
}

// New returns the console handler.
func New(cfg Config) *Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TTL == 0 {
		cfg.TTL = session.DefaultTTL
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	h := &Handler{cfg: cfg, mux: http.NewServeMux(), ops: map[string]string{},
		logins: newThrottle(loginBurst, loginWindow/loginBurst, throttleKeys)}
	static, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree is part of the binary
	}
	h.mux.Handle("GET "+Prefix, http.StripPrefix(Prefix, http.FileServerFS(static)))
	h.mux.HandleFunc("GET "+Root, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
	})
	for _, rt := range []struct {
		pattern, op string
		serve       http.HandlerFunc
	}{
		{"POST " + api + "login", "ConsoleLogin", h.login},
		{"POST " + api + "logout", "ConsoleLogout", h.logout},
		{"GET " + api + "session", "ConsoleSession", h.session},
		{"POST " + api + "presign", "ConsolePresign", h.presign},
		// The admin API's methods.
		{"GET " + api + "admin/", "ConsoleAdmin", h.admin},
		{"POST " + api + "admin/", "ConsoleAdmin", h.admin},
		{"DELETE " + api + "admin/", "ConsoleAdmin", h.admin},
	} {
		h.mux.HandleFunc(rt.pattern, rt.serve)
		h.ops[rt.pattern] = rt.op
	}
	return h
}

// Operation names the console API operation r calls, as the server's
// metrics label it ("ConsoleLogin", …; "ConsoleUnknown" for a path under
// the API that no route serves), or "" when r is not an API call (the
// page's files, which are neither work nor state). The server runs API
// calls through the admission control and metrics of S3 requests.
func (h *Handler) Operation(r *http.Request) string {
	if !strings.HasPrefix(r.URL.Path, api) {
		return ""
	}
	if _, pattern := h.mux.Handler(r); h.ops[pattern] != "" {
		return h.ops[pattern]
	}
	return "ConsoleUnknown"
}

// Refuse answers r with e, as the console's JSON error, with the headers
// e carries: the server's refusals (over the request limit, headers too
// large) in the form the page reads.
func (h *Handler) Refuse(w http.ResponseWriter, r *http.Request, e *s3err.Error) {
	secure(w.Header())
	for k, v := range e.Header {
		w.Header().Set(k, v)
	}
	writeErr(w, e.Status(), string(e.Code), e.Message)
}

// ServeHTTP serves the console with headers that keep its pages from
// being framed, sniffed or leaking URLs, and confine every script, style
// and connection to this origin.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	secure(w.Header())
	h.mux.ServeHTTP(w, r)
}

// secure sets those headers (on refusals made outside ServeHTTP too).
func secure(hd http.Header) {
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cache-Control", "no-cache")
}

// apiError is every console endpoint's error body: S3's code when the
// failure is S3's, else the console's own.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, apiError{code, msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"code":"InternalError","message":"encoding the answer"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// decode reads a small JSON request body into v.
func decode(r *http.Request, v any) error {
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 16<<10)).Decode(v); err != nil {
		return errors.New("console: the body must be a JSON object")
	}
	return nil
}
