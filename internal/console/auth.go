package console

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tessera-s3/tessera/internal/admin"
	"github.com/tessera-s3/tessera/internal/s3err"
	"github.com/tessera-s3/tessera/internal/session"
	"github.com/tessera-s3/tessera/internal/sigv4"
)

// sessionInfo is what the page learns about its session: who it is and
// the CSRF value to send with every call. Never the secret.
type sessionInfo struct {
	AccessKeyID string    `json:"accessKeyId"`
	AccountID   string    `json:"accountId"`
	AccountName string    `json:"accountName"`
	Root        bool      `json:"root"`
	CSRF        string    `json:"csrf"`
	Expires     time.Time `json:"expires"`
	CSRFHeader  string    `json:"csrfHeader"`
}

func (h *Handler) info(cred sigv4.Credential, token string, expires time.Time) sessionInfo {
	name := cred.AccountID
	if a, err := h.cfg.IAM.Account(cred.AccountID); err == nil {
		name = a.Name
	}
	return sessionInfo{
		AccessKeyID: cred.AccessKeyID, AccountID: cred.AccountID, AccountName: name,
		Root: cred.AccountID == h.cfg.IAM.Root().ID, CSRF: session.CSRF(token, cred.SecretAccessKey),
		Expires: expires.UTC(), CSRFHeader: session.CSRFHeader,
	}
}

// login checks an access key pair through IAM — any account's enabled
// key — and starts a session for it. A client address or access key ID
// with too many failed logins of late is refused unchecked (throttle.go).
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	// JSON only: a cross-site HTML form cannot send it without a CORS
	// preflight, so no other site can log a browser in to its own account.
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeErr(w, http.StatusUnsupportedMediaType, "InvalidRequest", "send the login as application/json")
		return
	}
	var in struct {
		AccessKeyID     string `json:"accessKeyId"`
		SecretAccessKey string `json:"secretAccessKey"`
	}
	if err := decode(r, &in); err != nil || in.AccessKeyID == "" || in.SecretAccessKey == "" {
		writeErr(w, http.StatusBadRequest, "InvalidRequest", "give accessKeyId and secretAccessKey")
		return
	}
	now := h.cfg.Now()
	keys := []string{clientKey(r.RemoteAddr), keyIDKey(in.AccessKeyID)}
	if wait := h.logins.wait(now, keys...); wait > 0 {
		h.throttled.Add(1)
		retry := strconv.FormatInt(int64((wait+time.Second-1)/time.Second), 10)
		h.cfg.Logger.Debug("console: login throttled", "access_key", in.AccessKeyID, "remote", r.RemoteAddr, "retry_after_s", retry)
		w.Header().Set("Retry-After", retry)
		writeErr(w, http.StatusTooManyRequests, "TooManyFailedLogins",
			"Too many failed logins from this address or for this access key; try again in "+retry+" seconds.")
		return
	}
	cred, err := h.cfg.Sessions.Credentials.Lookup(r.Context(), in.AccessKeyID)
	if err != nil && !errors.Is(err, sigv4.ErrUnknownKey) {
		h.cfg.Logger.Error("console: login", "err", err)
		writeErr(w, http.StatusInternalServerError, "InternalError", "the key could not be checked; try again")
		return
	}
	// One answer for an unknown, disabled or mistyped key, so the login
	// form does not tell which access key IDs exist; each counts alike
	// towards the throttle, which so tells nothing either.
	if err != nil || cred.SecretAccessKey == "" || subtle.ConstantTimeCompare([]byte(cred.SecretAccessKey), []byte(in.SecretAccessKey)) != 1 {
		h.failures.Add(1)
		if h.logins.fail(now, keys...) {
			h.cfg.Logger.Warn("console: failed logins over the limit; throttling this address or access key",
				"access_key", in.AccessKeyID, "remote", r.RemoteAddr, "limit", loginBurst, "per", loginWindow)
		} else {
			h.cfg.Logger.Info("console: login failed", "access_key", in.AccessKeyID, "remote", r.RemoteAddr)
		}
		writeErr(w, http.StatusForbidden, "InvalidCredentials", "The access key ID or secret access key is wrong, or the key is disabled.")
		return
	}
	expires := now.Add(h.cfg.TTL)
	token, err := session.Issue(cred.AccessKeyID, cred.SecretAccessKey, expires)
	if err != nil {
		writeErr(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	http.SetCookie(w, session.Cookie(token, expires, now, r.TLS != nil))
	h.cfg.Logger.Info("console: login", "access_key", cred.AccessKeyID, "account", cred.AccountID, "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, h.info(cred, token, expires))
}

// logout ends the session everywhere: the token is revoked in the
// store-wide set every gateway checks (a copy of the cookie stops working
// too), then the cookie is cleared. A request without a valid session has
// nothing to revoke and just loses its cookie; one whose session is valid
// but lacks the CSRF header is refused, so no other page can log a user
// out. If the revocation cannot be stored the session stays valid, and
// the page is told so rather than shown a logout that did not happen.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	key, err := h.cfg.Sessions.Revoke(r)
	if e, ok := s3err.As(err); ok {
		writeErr(w, e.Status(), string(e.Code), e.Message)
		return
	}
	if err != nil {
		h.cfg.Logger.Error("console: logout", "err", err)
		writeErr(w, http.StatusServiceUnavailable, "ServiceUnavailable", "the session could not be ended; try again")
		return
	}
	if key != "" {
		h.cfg.Logger.Info("console: logout", "access_key", key, "remote", r.RemoteAddr)
	}
	http.SetCookie(w, session.ClearCookie(r.TLS != nil))
	w.WriteHeader(http.StatusNoContent)
}

// session tells a page (after a reload) whether it has a session, and
// its CSRF value. A GET with the cookie only: a cross-site page cannot
// send the cookie (SameSite=Strict) nor read the answer (no CORS here).
func (h *Handler) session(w http.ResponseWriter, r *http.Request) {
	cred, token, ok := h.authenticate(w, r, false)
	if !ok {
		return
	}
	tok, _ := session.Parse(token)
	writeJSON(w, http.StatusOK, h.info(cred, token, tok.Expires))
}

// authenticate checks the session (and the CSRF header when requireCSRF),
// answering the refusal itself.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request, requireCSRF bool) (sigv4.Credential, string, bool) {
	cred, token, err := h.cfg.Sessions.Authenticate(r, requireCSRF)
	if e, ok := s3err.As(err); ok {
		writeErr(w, e.Status(), string(e.Code), e.Message)
		return cred, "", false
	}
	if err != nil {
		h.cfg.Logger.Error("console: session", "err", err)
		writeErr(w, http.StatusInternalServerError, "InternalError", "the session could not be checked; try again")
		return cred, "", false
	}
	return cred, token, true
}

// presign makes a share link: a SigV4 presigned GET URL signed with the
// session's own key, so it grants no more than that key may do, and stops
// working when the key is disabled or deleted (as S3's would).
func (h *Handler) presign(w http.ResponseWriter, r *http.Request) {
	cred, _, ok := h.authenticate(w, r, true)
	if !ok {
		return
	}
	var in struct {
		Bucket         string `json:"bucket"`
		Key            string `json:"key"`
		ExpiresSeconds int64  `json:"expiresSeconds"`
	}
	if err := decode(r, &in); err != nil || in.Bucket == "" || in.Key == "" || strings.Contains(in.Bucket, "/") {
		writeErr(w, http.StatusBadRequest, "InvalidRequest", "give bucket, key and expiresSeconds")
		return
	}
	expires := time.Duration(in.ExpiresSeconds) * time.Second
	if in.ExpiresSeconds < 1 || expires > sigv4.MaxPresignExpiry {
		writeErr(w, http.StatusBadRequest, "InvalidRequest", "expiresSeconds must be 1 to 604800 (7 days, S3's limit for presigned URLs)")
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	now := h.cfg.Now()
	u, err := sigv4.Presign(http.MethodGet, scheme, r.Host, "/"+in.Bucket+"/"+in.Key, cred, h.cfg.Region, now, expires)
	if err != nil {
		writeErr(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"url": u, "expires": now.Add(expires).UTC()})
}

// maxAdminBody bounds a relayed admin request (they are small JSON).
const maxAdminBody = 64 << 10

// admin relays a call to the admin API signed with the session's key:
// the admin API authenticates it as it would `tessera admin` and refuses
// every account but root. The console adds no permission.
func (h *Handler) admin(w http.ResponseWriter, r *http.Request) {
	cred, _, ok := h.authenticate(w, r, true)
	if !ok {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAdminBody))
	if err != nil {
		writeErr(w, http.StatusRequestEntityTooLarge, "InvalidRequest", "admin request body too large")
		return
	}
	path := admin.Prefix + strings.TrimPrefix(r.URL.Path, api+"admin/")
	u, err := url.Parse(path)
	if err != nil {
		writeErr(w, http.StatusBadRequest, "InvalidRequest", "bad admin path")
		return
	}
	u.RawQuery = r.URL.RawQuery
	out, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		writeErr(w, http.StatusBadRequest, "InvalidRequest", "bad admin request")
		return
	}
	out.Host, out.RemoteAddr = r.Host, r.RemoteAddr
	if ct := r.Header.Get("Content-Type"); ct != "" {
		out.Header.Set("Content-Type", ct)
	}
	sigv4.Sign(out, cred, h.cfg.Region, body, h.cfg.Now())
	h.cfg.Admin.ServeHTTP(w, out)
}
