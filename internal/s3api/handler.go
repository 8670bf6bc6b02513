package s3api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/tessera-s3/tessera/internal/engine"
	"github.com/tessera-s3/tessera/internal/iam"
	"github.com/tessera-s3/tessera/internal/s3err"
	"github.com/tessera-s3/tessera/internal/session"
	"github.com/tessera-s3/tessera/internal/sigv4"
)

// Config wires a Handler.
type Config struct {
	Engine   *engine.Engine
	Verifier *sigv4.Verifier
	// Domains enable virtual-host-style addressing (bucket.domain).
	Domains []string
	// IAM resolves accounts, and counts usage for Requester Pays.
	IAM    *iam.Service
	Logger *slog.Logger
	// Sessions, when set, accepts web console sessions (cookie plus CSRF
	// header) as a third way to authenticate (session.go); nil when the
	// console is off.
	Sessions *session.Authenticator
}

// Handler serves the S3 API.
type Handler struct {
	cfg      Config
	log      *slog.Logger
	policies policyCache
	// corsRules caches parsed bucket CORS configurations.
	corsRules corsCache
}

// New returns the S3 API handler.
func New(cfg Config) *Handler {
	h := &Handler{cfg: cfg, log: cfg.Logger}
	if h.log == nil {
		h.log = slog.Default()
	}
	return h
}

// request is one request on its way through the handlers.
type request struct {
	op   Op
	r    *http.Request
	w    http.ResponseWriter
	auth *sigv4.Result
	// account is the caller's account (zero for an anonymous request) and
	// owner its Owner record.
	account iam.Account
	owner   engine.Owner
	// bucketOwner owns the request's bucket; objects and uploads report it.
	bucketOwner engine.Owner
	// access is what authorization learned about the request's bucket.
	access bucketAccess
	// charged is the account the request is counted against.
	charged string
	// sse is what the request's headers say about encryption.
	sse sseRequest
	// post is the form of a browser upload (PostObject only).
	post *postUpload
	// ap is the access point the request came through (nil: none) and
	// apPolicy its parsed policy (accesspoint.go).
	ap       *engine.AccessPoint
	apPolicy *iam.Policy
}

func (q *request) ctx() context.Context { return q.r.Context() }

type opKey struct{}

// OpName returns the S3 action a request was routed to, for logs and
// metrics ("" if routing failed). It reads what ServeHTTP recorded.
func OpName(r *http.Request) string {
	if p, ok := r.Context().Value(opKey{}).(*string); ok {
		return *p
	}
	return ""
}

// WithOpSlot prepares a request so OpName can report its action afterwards.
func WithOpSlot(r *http.Request) *http.Request {
	var s string
	return r.WithContext(context.WithValue(r.Context(), opKey{}, &s))
}

// ServeHTTP routes, authenticates, authorizes and dispatches one request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := newRequestID()
	w.Header().Set("x-amz-request-id", reqID)
	w.Header().Set("x-amz-id-2", hostID(reqID))
	w.Header().Set("Server", "Tessera")
	if err := h.serve(w, r); err != nil {
		writeError(w, r, h.log, err)
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) error {
	if dotDotPath(r.URL) {
		// AWS answers a ".." path segment, raw or percent-encoded, with a
		// bare 400 and no body, before anything else (floci-io/floci#1320
		// and #1325, checked with signed requests against S3). Storing it
		// would make a key no URL can name once a client normalises it.
		w.WriteHeader(http.StatusBadRequest)
		return nil
	}
	if isControl(r) {
		h.serveControl(w, r)
		return nil
	}
	op, err := parse(r, h.cfg.Domains)
	if p, ok := r.Context().Value(opKey{}).(*string); ok {
		*p = string(op.Kind)
	}
	if err == nil && beforeAuth[op.Kind] {
		return byKind[op.Kind].serve(h, &request{op: op, r: r, w: w})
	}
	// CORS headers go on before authentication, so that every answer to
	// a cross-origin request carries them, errors included (cors_match.go).
	h.corsActual(w, r, op.Bucket)
	if err != nil {
		return err
	}
	if op.Kind == PostObject {
		// A browser form carries its credentials in the body, not in a
		// signed request.
		return h.servePost(w, r, op)
	}
	if h.cfg.Sessions != nil && r.Header.Get(session.CSRFHeader) != "" {
		return h.serveSession(w, r, op)
	}
	res, err := h.cfg.Verifier.Verify(r)
	if err != nil {
		return err
	}
	return h.run(&request{op: op, r: r, w: w, auth: res})
}

// run authorizes and dispatches an authenticated (or anonymous) request.
func (h *Handler) run(q *request) error {
	var err error
	op, r, res := q.op, q.r, q.auth
	if !res.Anonymous {
		if q.account, err = h.cfg.IAM.Account(res.Credential.AccountID); err != nil {
			return s3err.New(s3err.InvalidAccessKeyID)
		}
		q.owner = q.account.Owner()
	}
	if err := h.throughAccessPoint(q); err != nil {
		return err
	}
	if err := h.withBucketView(q); err != nil {
		return err
	}
	if err := h.authorize(q); err != nil {
		return err
	}
	if q.sse, err = parseEncryption(op.Kind, r); err != nil {
		return err
	}
	q.sse.write.Caller, q.sse.write.Owner = q.account.ID, q.access.ownerAccount.ID
	if q.bucketOwner.ID == "" {
		q.bucketOwner = q.owner
	}
	in := max(r.ContentLength, res.DecodedLength, 0)
	cw := &countingWriter{ResponseWriter: q.w}
	q.w = cw
	err = h.dispatch(q)
	h.cfg.IAM.CountUsage(q.charged, in, cw.n)
	return err
}

// countingWriter counts response body bytes for usage accounting.
type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	c.n += int64(n)
	return n, err
}

// dispatch runs the handler of the request's row in the route table.
func (h *Handler) dispatch(q *request) error {
	if rt, ok := byKind[q.op.Kind]; ok {
		return rt.serve(h, q)
	}
	return s3err.Newf(s3err.NotImplemented, "%s is not implemented yet", q.op.Kind)
}

// quoteETag returns the ETag as S3 sends it, in double quotes.
func quoteETag(etag string) string { return `"` + strings.Trim(etag, `"`) + `"` }
