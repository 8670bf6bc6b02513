package sigv4

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tessera-s3/tessera/internal/s3err"
)

const (
	headerContentSHA256 = "X-Amz-Content-Sha256"
	iso8601Basic        = "20060102T150405Z"
	scopeDateFormat     = "20060102"
)

// v4Auth is what a SigV4 signature — header or presigned — claims.
type v4Auth struct {
	accessKey     string
	date          string // credential scope date, YYYYMMDD
	region        string
	signedHeaders string   // as sent, ';'-separated
	signed        []string // signedHeaders split
	signature     string   // hex, as sent
}

func (a *v4Auth) scope() string {
	return a.date + "/" + a.region + "/s3/aws4_request"
}

func malformedHeader(format string, args ...any) error {
	return s3err.Newf(s3err.AuthorizationHeaderMalformed, "The authorization header is malformed; "+format, args...)
}

// malformedComponent quotes the component as sent, spaces and quotes
// included, as AWS does: `the authorization component " Signature="x"" is
// malformed.` (TTLabs/EvaporateJS#371).
func malformedComponent(part string) error {
	return malformedHeader(`the authorization component "%s" is malformed.`, part)
}

// checkRegion refuses a credential scope naming another region than the
// server's (when the Verifier knows it), with S3's text and <Region>
// element (raw AWS answer in JuliaServices/CloudStore.jl#52; no trailing
// period). prefix says which part of the request carried the scope.
func (v *Verifier) checkRegion(a *v4Auth, code s3err.Code, prefix string) error {
	if v.Region == "" || a.region == v.Region {
		return nil
	}
	err := s3err.Newf(code, "%sthe region '%s' is wrong; expecting '%s'", prefix, a.region, v.Region)
	return err.With("Region", v.Region)
}

// parseAuthorization parses a SigV4 Authorization header:
//
//	AWS4-HMAC-SHA256 Credential=AK/date/region/s3/aws4_request, SignedHeaders=a;b, Signature=hex
//
// Components may be separated by "," with or without spaces. Any error is
// AuthorizationHeaderMalformed.
func parseAuthorization(s string) (v4Auth, error) {
	var a v4Auth
	rest, ok := strings.CutPrefix(s, algorithmV4)
	if !ok || rest == "" || rest[0] != ' ' {
		return a, malformedHeader("the authorization header must start with %q.", algorithmV4)
	}
	var cred string
	var have [3]bool
	for part := range strings.SplitSeq(strings.TrimLeft(rest, " "), ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return a, malformedComponent(part)
		}
		var i int
		switch k {
		case "Credential":
			i, cred = 0, val
		case "SignedHeaders":
			i, a.signedHeaders = 1, val
		case "Signature":
			i, a.signature = 2, val
		default:
			return a, malformedComponent(part)
		}
		if have[i] {
			return a, malformedHeader("the authorization component %q appears twice.", k)
		}
		have[i] = true
	}
	if !have[0] || !have[1] || !have[2] {
		return a, malformedHeader("the authorization header requires three components: Credential, SignedHeaders, and Signature.")
	}
	if reason := a.parseCredential(cred); reason != "" {
		return a, malformedHeader("%s", reason)
	}
	if reason := a.parseSignedHeaders(); reason != "" {
		return a, malformedHeader("%s", reason)
	}
	if !isHex64(a.signature) {
		return a, malformedHeader("the Signature must be 64 hexadecimal characters.")
	}
	return a, nil
}

// parseCredential fills the access key and scope from
// "AK/YYYYMMDD/region/s3/aws4_request", returning why it is malformed, or "".
// The scope is taken from the right so an access key containing '/' still
// parses (it will just be unknown).
func (a *v4Auth) parseCredential(cred string) string {
	parts := strings.Split(cred, "/")
	if len(parts) < 5 {
		return `the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`
	}
	n := len(parts)
	a.accessKey = strings.Join(parts[:n-4], "/")
	a.date, a.region = parts[n-4], parts[n-3]
	service, term := parts[n-2], parts[n-1]
	switch {
	case a.accessKey == "":
		// outline#7060 quotes AWS.
		return "a non-empty Access Key (AKID) must be provided in the credential."
	case len(a.date) != 8 || !validDate(a.date):
		return fmt.Sprintf(`incorrect date format %q. This date in the credential must be in the format "yyyyMMdd".`, a.date)
	case a.region == "":
		return "the Credential has an empty region."
	case service != "s3":
		return fmt.Sprintf(`incorrect service %q. This endpoint belongs to "s3".`, service)
	case term != "aws4_request":
		return fmt.Sprintf(`incorrect terminal %q. This endpoint uses "aws4_request".`, term)
	}
	return ""
}

func validDate(d string) bool {
	_, err := time.Parse(scopeDateFormat, d)
	return err == nil
}

// parseSignedHeaders splits and checks SignedHeaders: lowercase header
// names, "host" among them (SigV4 requires signing the host so a signature
// cannot be replayed against another endpoint).
func (a *v4Auth) parseSignedHeaders() string {
	if a.signedHeaders == "" {
		return "SignedHeaders is empty."
	}
	a.signed = strings.Split(a.signedHeaders, ";")
	host := false
	for _, h := range a.signed {
		if h == "" || !isLowerToken(h) {
			return fmt.Sprintf("SignedHeaders contains the invalid header name %q.", h)
		}
		host = host || h == "host"
	}
	if !host {
		return "SignedHeaders must include host."
	}
	return ""
}

// isLowerToken reports whether s is an HTTP token without uppercase letters.
func isLowerToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// requestTime is the signing time of a header-signed request: X-Amz-Date
// (ISO 8601 basic) or else Date (any HTTP date). It also returns the
// timestamp as it goes into the StringToSign.
func requestTime(r *http.Request) (time.Time, string, error) {
	if v := r.Header.Get("X-Amz-Date"); v != "" {
		t, err := time.Parse(iso8601Basic, v)
		if err != nil || len(v) != len(iso8601Basic) {
			return time.Time{}, "", errNoDate()
		}
		return t, v, nil
	}
	if v := r.Header.Get("Date"); v != "" {
		t, err := http.ParseTime(v)
		if err != nil {
			return time.Time{}, "", errNoDate()
		}
		t = t.UTC()
		return t, t.Format(iso8601Basic), nil
	}
	return time.Time{}, "", errNoDate()
}

func errNoDate() error {
	return s3err.Newf(s3err.AccessDenied, "AWS authentication requires a valid Date or x-amz-date header")
}

// checkAmzHeadersSigned rejects x-amz-* headers that the signature does not
// cover: they change what a request does (metadata, ACLs, copy sources…),
// so accepting them unsigned would let anyone on the path alter a signed
// request. x-amz-content-sha256 is exempt: for header auth its value is the
// payload line of the canonical request anyway, and otherwise it only asks
// for extra integrity checking of the body.
func checkAmzHeadersSigned(r *http.Request, signed []string) error {
	var missing []string
	for k := range r.Header {
		if len(k) < 6 || !strings.EqualFold(k[:6], "x-amz-") {
			continue
		}
		lk := strings.ToLower(k)
		if lk == "x-amz-content-sha256" || slices.Contains(signed, lk) {
			continue
		}
		missing = append(missing, lk)
	}
	if len(missing) == 0 {
		return nil
	}
	slices.Sort(missing)
	return s3err.Newf(s3err.AccessDenied, "There were headers present in the request which were not signed").
		With("HeadersNotSigned", strings.Join(missing, ", "))
}

// checkSignatureV4 recomputes the signature over the request for each
// candidate payload hash (presigned URLs have two plausible ones) and
// returns the signing key when one matches. A mismatch is
// SignatureDoesNotMatch carrying AWS's diagnostic fields, which only echo
// what the client itself sent.
func (v *Verifier) checkSignatureV4(r *http.Request, q query, skipParam string, a *v4Auth, amzDate string, cred Credential, payloads ...string) ([]byte, error) {
	key, cacheKey, cached := v.signingKey(cred.SecretAccessKey, a.date, a.region)
	scope := a.scope()
	var first []byte
	var firstSTS string
	for _, payload := range payloads {
		canon := canonicalRequest(r, q, skipParam, a.signedHeaders, a.signed, payload)
		sts := stringToSign(amzDate, scope, canon)
		if equalHexMAC(a.signature, hmacSHA256(key, sts)) {
			if !cached {
				v.rememberKey(cacheKey, key)
			}
			return key, nil
		}
		if first == nil {
			first, firstSTS = canon, sts
		}
	}
	return nil, s3err.New(s3err.SignatureDoesNotMatch).
		With("AWSAccessKeyId", a.accessKey).
		With("StringToSign", firstSTS).
		With("SignatureProvided", a.signature).
		With("CanonicalRequest", string(first))
}

// verifyHeaderV4 authenticates a request signed with a SigV4 Authorization
// header.
func (v *Verifier) verifyHeaderV4(r *http.Request, q query, authz string) (*Result, error) {
	a, err := parseAuthorization(authz)
	if err != nil {
		return nil, err
	}
	if err := v.checkRegion(&a, s3err.AuthorizationHeaderMalformed, "The authorization header is malformed; "); err != nil {
		return nil, err
	}
	// S3 requires the header because its value is the canonical request's
	// payload line; without it there is nothing to sign the body with.
	payload := r.Header.Get(headerContentSHA256)
	if payload == "" {
		return nil, s3err.Newf(s3err.InvalidRequest, "Missing required header for this request: x-amz-content-sha256")
	}
	if err := checkContentSHA256(payload); err != nil {
		return nil, err
	}
	t, amzDate, err := requestTime(r)
	if err != nil {
		return nil, err
	}
	if t.Format(scopeDateFormat) != a.date {
		return nil, malformedHeader("Invalid credential date. Date is not the same as X-Amz-Date.")
	}
	cred, err := v.lookup(r, a.accessKey)
	if err != nil {
		return nil, err
	}
	if err := v.checkSkew(t); err != nil {
		return nil, err
	}
	if err := checkAmzHeadersSigned(r, a.signed); err != nil {
		return nil, err
	}
	key, err := v.checkSignatureV4(r, q, "", &a, amzDate, cred, payload)
	if err != nil {
		return nil, err
	}
	res := &Result{Credential: cred}
	seed := &ChunkSigning{SigningKey: key, Timestamp: amzDate, Scope: a.scope(), SeedSignature: strings.ToLower(a.signature)}
	if err := v.attachBody(r, res, payload, seed); err != nil {
		return nil, err
	}
	return res, nil
}
