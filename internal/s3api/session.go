package s3api

import (
	"net/http"

	"github.com/tessera-s3/tessera/internal/s3err"
)

// serveSession authenticates a request of the web console: its session
// cookie together with the CSRF header bound to it, and no signature. The
// request then runs exactly as a signed one of the session's key does
// (run → authorize): the console has no permissions of its own.
//
// A request is a console request when it carries the CSRF header; the
// cookie alone authenticates nothing (a request with the cookie and no
// header is anonymous), so a cross-site form or link, which cannot set the
// header, never acts with the session.
func (h *Handler) serveSession(w http.ResponseWriter, r *http.Request, op Op) error {
	if r.Header.Get("Authorization") != "" || r.URL.Query().Has("X-Amz-Signature") || r.URL.Query().Has("Signature") {
		// Not S3's (it has no sessions); the wording follows its answer
		// to two mechanisms at once (sigv4.Verify).
		return s3err.InvalidArgumentf("Authorization", "",
			"Only one auth mechanism allowed; a console session request must not be signed")
	}
	cred, _, err := h.cfg.Sessions.Authenticate(r, true)
	if err != nil {
		return err
	}
	res, err := h.cfg.Verifier.Authenticated(r, cred)
	if err != nil {
		return err
	}
	return h.run(&request{op: op, r: r, w: w, auth: res})
}
