package sigv4

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/tessera-s3/tessera/internal/s3err"
)

// maxPresignExpires is the longest validity SigV4 allows for a presigned
// URL: seven days.
const maxPresignExpires = 7 * 24 * 60 * 60

func queryParamsError(format string, args ...any) error {
	return s3err.Newf(s3err.AuthorizationQueryParametersError, format, args...)
}

// verifyPresignV4 authenticates a SigV4 presigned URL (X-Amz-* query
// parameters). The payload is UNSIGNED-PAYLOAD unless the URL itself carries
// X-Amz-Content-Sha256.
func (v *Verifier) verifyPresignV4(r *http.Request, q query) (*Result, error) {
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires"} {
		if !q.has(k) {
			return nil, queryParamsError("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
		}
	}
	if q.get("X-Amz-Algorithm") != algorithmV4 {
		return nil, queryParamsError("X-Amz-Algorithm only supports %q", algorithmV4)
	}
	var a v4Auth
	if reason := a.parseCredential(q.get("X-Amz-Credential")); reason != "" {
		return nil, queryParamsError("Error parsing the X-Amz-Credential parameter; %s", reason)
	}
	if err := v.checkRegion(&a, s3err.AuthorizationQueryParametersError, "Error parsing the X-Amz-Credential parameter; "); err != nil {
		return nil, err
	}
	amzDate := q.get("X-Amz-Date")
	t, err := time.Parse(iso8601Basic, amzDate)
	if err != nil || len(amzDate) != len(iso8601Basic) {
		return nil, queryParamsError(`X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`)
	}
	if t.Format(scopeDateFormat) != a.date {
		return nil, queryParamsError("Invalid credential date. Date is not the same as X-Amz-Date.")
	}
	expires, err := strconv.ParseInt(q.get("X-Amz-Expires"), 10, 64)
	switch {
	case err != nil:
		return nil, queryParamsError("X-Amz-Expires should be a number")
	case expires < 1:
		return nil, queryParamsError("X-Amz-Expires must be at least one second")
	case expires > maxPresignExpires:
		// Raw AWS answer quoted in bryanjos/aws_auth#31; aws-cli#5464:
		// 604800 is accepted, 604801 refused.
		return nil, queryParamsError("X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than %d seconds", maxPresignExpires)
	}
	a.signedHeaders = q.get("X-Amz-SignedHeaders")
	if reason := a.parseSignedHeaders(); reason != "" {
		return nil, queryParamsError("X-Amz-SignedHeaders is invalid; %s", reason)
	}
	a.signature = q.get("X-Amz-Signature")

	cred, err := v.lookup(r, a.accessKey)
	if err != nil {
		return nil, err
	}
	now := v.now()
	if t.Sub(now) > v.maxSkew() {
		return nil, s3err.Newf(s3err.AccessDenied, "Request is not valid yet")
	}
	if deadline := t.Add(time.Duration(expires) * time.Second); now.After(deadline) {
		// Element order as S3 sends it: X-Amz-Expires, Expires, ServerTime
		// (LocalStack TestS3PresignedUrl recording).
		return nil, expiredFields(s3err.Newf(s3err.AccessDenied, "Request has expired").
			With("X-Amz-Expires", strconv.FormatInt(expires, 10)), deadline, now)
	}
	if err := checkAmzHeadersSigned(r, a.signed); err != nil {
		return nil, err
	}
	// The payload line: the URL's own X-Amz-Content-Sha256 if present, else
	// UNSIGNED-PAYLOAD. Some signers instead use a signed
	// x-amz-content-sha256 header's value, so that is tried second.
	payloads := []string{unsignedPayload}
	if q.has("X-Amz-Content-Sha256") {
		payloads[0] = q.get("X-Amz-Content-Sha256")
	} else if h := r.Header.Get(headerContentSHA256); h != "" && h != unsignedPayload && slices.Contains(a.signed, "x-amz-content-sha256") {
		payloads = append(payloads, h)
	}
	if _, err := v.checkSignatureV4(r, q, "X-Amz-Signature", &a, amzDate, cred, payloads...); err != nil {
		return nil, err
	}
	res := &Result{Credential: cred}
	// The body mode comes from the header (a presigned PUT may still send an
	// unsigned-trailer or hashed body); signed streaming is refused there
	// because its chunk chain is seeded by a header signature.
	if err := v.attachBody(r, res, r.Header.Get(headerContentSHA256), nil); err != nil {
		return nil, err
	}
	return res, nil
}

// errExpired is AccessDenied "Request has expired" with AWS's fields.
func errExpired(expires, now time.Time) *s3err.Error {
	return expiredFields(s3err.Newf(s3err.AccessDenied, "Request has expired"), expires, now)
}

// expiredFields adds the Expires and ServerTime elements of an expired
// presigned URL's answer.
func expiredFields(e *s3err.Error, expires, now time.Time) *s3err.Error {
	return e.With("Expires", expires.UTC().Format(time.RFC3339)).
		With("ServerTime", now.UTC().Format(time.RFC3339))
}
