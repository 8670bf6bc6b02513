package s3api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/tessera-s3/tessera/internal/s3err"
)

// CORS evaluation: the OPTIONS preflight, answered before (and without)
// authentication, and the Access-Control-* headers of actual requests that
// carry an Origin. S3 uses "the first CORSRule rule that matches"
// (API_PutBucketCors): the Origin matches an AllowedOrigin, the method
// (Access-Control-Request-Method when present, on any request) is an
// AllowedMethod, and every name in Access-Control-Request-Headers matches
// an AllowedHeader.

// corsVary is S3's Vary on every answer a rule matched (LS test_cors_match_origins).
const corsVary = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"

// The preflight refusals' texts, as S3 sends them (LS test_s3_cors
// recordings; "evalution" is S3's spelling).
const (
	corsNoOrigin   = "Insufficient information. Origin request header needed."
	corsNoBucket   = "CORSResponse: Bucket not found"
	corsNotEnabled = "CORSResponse: CORS is not enabled for this bucket."
	corsNotAllowed = "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, " +
		"request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."
)

// preflight answers OPTIONS on a bucket or object from the bucket's rules.
// It reads no signature: a browser sends preflights without credentials,
// and S3 answers them even on a presigned URL (ceph s3-tests' presigned
// OPTIONS cases, which run against AWS).
func (h *Handler) preflight(q *request) error {
	r, w := q.r, q.w
	origin := r.Header.Get("Origin")
	if origin == "" {
		// Checked first, even for a missing bucket; a Referer does not
		// count (LS test_cors_http_options_*).
		return s3err.Newf(s3err.BadRequest, corsNoOrigin).WithHeader("Connection", "close")
	}
	acrm := r.Header.Get("Access-Control-Request-Method")
	// Method is the requested method, OPTIONS when none was requested
	// (LS test_cors_http_options_no_config).
	method := acrm
	if method == "" {
		method = http.MethodOptions
	}
	forbidden := func(msg string, t target) error {
		return s3err.Newf(s3err.AccessForbidden, "%s", msg).With("Method", method).With("ResourceType", t.String())
	}
	cfg, err := h.bucketCORS(r, q.op.Bucket)
	if s3err.HasCode(err, s3err.NoSuchBucket) {
		return forbidden(corsNoBucket, onBucket) // LS test_cors_http_options_non_existent_bucket
	}
	if err != nil {
		return err
	}
	if cfg == nil {
		// ResourceType BUCKET even on an object URL (LS test_cors_http_options_no_config).
		return forbidden(corsNotEnabled, onBucket)
	}
	if !corsMethods[acrm] {
		// ceph s3-tests (test_cors_origin_response, run against AWS): an
		// Origin without Access-Control-Request-Method on a bucket with
		// rules is 400. The text is unrecorded for AWS; Scality's
		// cloudserver and Huawei OBS, built to S3's answers, say
		// "Invalid Access-Control-Request-Method: null", and cloudserver
		// answers a method S3 cannot allow the same way.
		v := acrm
		if v == "" {
			v = "null"
		}
		return s3err.Newf(s3err.BadRequest, "Invalid Access-Control-Request-Method: %s", v)
	}
	requested := requestedHeaders(r.Header)
	rule := cfg.match(origin, acrm, requested)
	if rule == nil {
		// ResourceType OBJECT on an object URL, BUCKET on a bucket URL
		// (LS test_cors_match_origins, test_cors_options_fails_partial_origin).
		return forbidden(corsNotAllowed, targetOf(q.op))
	}
	rule.setHeaders(w.Header(), origin, requested)
	w.Header().Set("Content-Length", "0") // LS: 200, empty body
	w.WriteHeader(http.StatusOK)
	return nil
}

// corsActual gives an actual request with an Origin the headers of the
// first rule that matches it, before the request is authenticated, so that
// error answers carry them too (ceph s3-tests test_cors_origin_response:
// a 404 and a 403 with the origin echoed; a 2013 SignatureDoesNotMatch
// capture, boot.xinu-os.org#8). Without an Origin it reads nothing.
func (h *Handler) corsActual(w http.ResponseWriter, r *http.Request, bucket string) {
	origin := r.Header.Get("Origin")
	if origin == "" || bucket == "" {
		return
	}
	cfg, err := h.bucketCORS(r, bucket)
	if err != nil || cfg == nil {
		// No bucket, no rules, or an unreadable document: no CORS headers;
		// the request itself answers whatever the failure is.
		return
	}
	// The requested method decides on an actual request too: a GET with
	// Access-Control-Request-Method: PUT against a GET-only rule gets no
	// CORS headers (LS test_cors_match_methods "get-wrong-op").
	method := r.Header.Get("Access-Control-Request-Method")
	if method == "" {
		method = r.Method
	}
	requested := requestedHeaders(r.Header)
	if rule := cfg.match(origin, method, requested); rule != nil {
		rule.setHeaders(w.Header(), origin, requested)
	}
}

// requestedHeaders are the names in Access-Control-Request-Headers,
// trimmed and lower-cased, in request order (LS test_cors_match_headers:
// with or without a space after the comma).
func requestedHeaders(h http.Header) []string {
	var names []string
	for _, v := range h.Values("Access-Control-Request-Headers") {
		for _, n := range strings.Split(v, ",") {
			if n = strings.ToLower(strings.TrimSpace(n)); n != "" {
				names = append(names, n)
			}
		}
	}
	return names
}

// match returns the first rule that allows the origin, the method and
// every requested header, or nil.
func (c *corsConfiguration) match(origin, method string, requested []string) *corsRule {
	for i := range c.Rules {
		r := &c.Rules[i]
		if r.allowsMethod(method) && r.allowsOrigin(origin) && r.allowsHeaders(requested) {
			return r
		}
	}
	return nil
}

// allowsMethod compares case-sensitively, as the stored methods are
// validated upper-case.
func (r *corsRule) allowsMethod(m string) bool {
	for _, a := range r.AllowedMethods {
		if a == m {
			return true
		}
	}
	return false
}

// allowsOrigin matches the Origin against each AllowedOrigin: exact,
// scheme and port included (https ≠ http, a trailing slash fails: LS
// test_cors_match_origins, test_cors_options_fails_partial_origin), with
// one * standing for any run of characters, none included (ceph s3-tests
// test_cors_origin_response: "start*end" matches "startend"). Case is
// significant; S3 does not document it either way.
func (r *corsRule) allowsOrigin(origin string) bool {
	for _, a := range r.AllowedOrigins {
		if wildcardMatch(a, origin) {
			return true
		}
	}
	return false
}

// wildcardOrigin reports whether the rule allows every origin with "*",
// which S3 answers with Access-Control-Allow-Origin: * and no credentials
// (LS "opt-random-wildcard-origin").
func (r *corsRule) wildcardOrigin() bool {
	for _, a := range r.AllowedOrigins {
		if a == "*" {
			return true
		}
	}
	return false
}

// allowsHeaders reports whether every requested name matches an
// AllowedHeader, without regard to case (LS test_cors_match_headers); a
// rule with no AllowedHeader allows none (LS test_put_cors_default_values).
func (r *corsRule) allowsHeaders(requested []string) bool {
	for _, n := range requested {
		ok := false
		for _, a := range r.AllowedHeaders {
			if wildcardMatch(strings.ToLower(a), n) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// wildcardMatch matches s against a pattern with at most one *, anchored
// at both ends; the * matches any run of characters, the empty one too.
func wildcardMatch(pattern, s string) bool {
	prefix, suffix, wild := strings.Cut(pattern, "*")
	if !wild {
		return pattern == s
	}
	return len(s) >= len(prefix)+len(suffix) && strings.HasPrefix(s, prefix) && strings.HasSuffix(s, suffix)
}

// setHeaders writes the rule's answer, the same on a preflight and on an
// actual request (LS test_cors_match_origins "get-right-origin"):
// Allow-Origin (the Origin, or * for a rule allowing every origin),
// Allow-Credentials only for an echoed origin, all the rule's methods in
// rule order, the requested headers lower-cased, the rule's expose headers
// and max age when set, and Vary.
func (r *corsRule) setHeaders(h http.Header, origin string, requested []string) {
	if r.wildcardOrigin() {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	h.Set("Access-Control-Allow-Methods", strings.Join(r.AllowedMethods, ", "))
	if len(requested) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(requested, ", "))
	}
	if len(r.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(r.ExposeHeaders, ", "))
	}
	if r.MaxAgeSeconds != nil {
		h.Set("Access-Control-Max-Age", strconv.Itoa(*r.MaxAgeSeconds))
	}
	h.Set("Vary", corsVary)
}
