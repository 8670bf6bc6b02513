// Package sigv4 authenticates S3 requests: AWS Signature Version 4 in the
// Authorization header and in presigned URLs, the legacy Signature Version 2
// (header and presigned URL), and the aws-chunked payload encodings that
// SigV4 streaming uploads use.
//
// Verify is pure apart from one CredentialStore lookup: it reads the
// request's method, URL, Host and headers and returns either an
// *s3err.Error (every authentication failure is one, so the HTTP edge can
// render it) or a Result whose Body replaces r.Body.
//
// Payload verification (x-amz-content-sha256, chunk signatures, trailer
// signature, x-amz-decoded-content-length) cannot happen before the body has
// been read, so Result.Body does it while streaming and reports a failure as
// the error of a Read. Bytes of a chunk are handed to the caller as they
// arrive — buffering whole chunks (up to megabytes) per request is not worth
// it — so a caller MUST treat any error from Result.Body as "the payload is
// not authentic": discard everything read so far and commit nothing.
package sigv4

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tessera-s3/tessera/internal/s3err"
)

// Credential is a secret key and who it belongs to.
type Credential struct {
	AccessKeyID, SecretAccessKey, AccountID string
}

// CredentialStore looks up access keys. An unknown key must be reported as
// ErrUnknownKey (possibly wrapped); Verify turns it into InvalidAccessKeyId.
// Any other error is passed through wrapped, as an internal failure.
type CredentialStore interface {
	Lookup(ctx context.Context, accessKeyID string) (Credential, error)
}

// ErrUnknownKey is what a CredentialStore returns for an access key it does
// not know.
var ErrUnknownKey = errors.New("sigv4: unknown access key")

// StaticCredentials is a CredentialStore over a fixed list (used for the
// root key).
type StaticCredentials []Credential

// Lookup returns the credential with the access key ID, or ErrUnknownKey.
func (s StaticCredentials) Lookup(_ context.Context, accessKeyID string) (Credential, error) {
	for _, c := range s {
		if c.AccessKeyID == accessKeyID {
			return c, nil
		}
	}
	return Credential{}, ErrUnknownKey
}

// Verifier authenticates requests. Its exported fields are configuration
// and must not change once Verify is in use; a *Verifier is safe for
// concurrent use.
type Verifier struct {
	Credentials CredentialStore
	Now         func() time.Time // nil → time.Now
	MaxSkew     time.Duration    // 0 → 15 minutes
	// Domains are the virtual-host domains: a request for host
	// "bucket.<domain>" addresses "bucket". Only SigV2 needs this, because its
	// canonical resource names the bucket; SigV4 signs the Host header as is.
	Domains []string
	// Region is the server's region. When set, a SigV4 credential scope
	// naming any other region is refused as S3 refuses it (the signature
	// could not be checked against the key S3 would derive); "" accepts
	// every region.
	Region string

	keys     sync.Map // signing-key cache: secret "\x00" date "\x00" region → []byte
	keyCount atomic.Int64
}

// Result is what an authenticated (or anonymous) request carries on.
type Result struct {
	Credential Credential
	// Anonymous is set when the request has no authentication at all (no
	// Authorization header, no X-Amz-Signature / Signature query parameter).
	// Whether that is allowed is the caller's decision.
	Anonymous bool
	// Body is the request body to use from now on: aws-chunked framing
	// removed, and verifying as it is read (see the package doc: any Read
	// error means "discard everything"). http.NoBody when there is none.
	Body io.ReadCloser
	// DecodedLength is the payload length if known (x-amz-decoded-content-length
	// for aws-chunked bodies, else Content-Length), or -1.
	DecodedLength int64
	// Trailer receives the aws-chunked trailer headers (canonical keys, e.g.
	// "X-Amz-Checksum-Crc32") once Body has returned io.EOF; it is only
	// complete and trustworthy then. Nil unless Streaming.
	Trailer http.Header
	// Streaming is set when the body was aws-chunked.
	Streaming bool
}

const defaultMaxSkew = 15 * time.Minute

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now().UTC()
	}
	return time.Now().UTC()
}

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew > 0 {
		return v.MaxSkew
	}
	return defaultMaxSkew
}

// Verify authenticates r. On success the Result's Body must be used instead
// of r.Body. Every authentication failure is an *s3err.Error; a failing
// CredentialStore is returned wrapped.
func (v *Verifier) Verify(r *http.Request) (*Result, error) {
	q := parseQuery(r.URL.RawQuery)
	authz := r.Header.Values("Authorization")
	hasHeader := len(authz) > 0 && authz[0] != ""
	hasV4Query := q.has("X-Amz-Algorithm") || q.has("X-Amz-Credential") || q.has("X-Amz-Signature")
	hasV2Query := q.has("Signature") || q.has("AWSAccessKeyId")

	n := 0
	for _, b := range []bool{hasHeader, hasV4Query, hasV2Query} {
		if b {
			n++
		}
	}
	if n > 1 {
		return nil, s3err.InvalidArgumentf("Authorization", "",
			"Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")
	}
	switch {
	case hasHeader:
		if len(authz) > 1 {
			return nil, s3err.Newf(s3err.AuthorizationHeaderMalformed, "The authorization header is malformed; more than one Authorization header.")
		}
		switch {
		case hasPrefixWord(authz[0], algorithmV4):
			return v.verifyHeaderV4(r, q, authz[0])
		case hasPrefixWord(authz[0], "AWS"):
			return v.verifyHeaderV2(r, q, authz[0])
		default:
			return nil, s3err.InvalidArgumentf("Authorization", authz[0], "Unsupported Authorization Type")
		}
	case hasV4Query:
		return v.verifyPresignV4(r, q)
	case hasV2Query:
		return v.verifyPresignV2(r, q)
	}
	res := &Result{Anonymous: true}
	if err := v.attachBody(r, res, r.Header.Get(headerContentSHA256), nil); err != nil {
		return nil, err
	}
	return res, nil
}

// hasPrefixWord reports whether s starts with word followed by a space.
func hasPrefixWord(s, word string) bool {
	return len(s) > len(word) && s[:len(word)] == word && s[len(word)] == ' '
}

// lookup fetches the credential for an access key, mapping "unknown" (and a
// credential without a secret, which would let anyone sign) to
// InvalidAccessKeyId.
func (v *Verifier) lookup(r *http.Request, accessKeyID string) (Credential, error) {
	return v.lookupKey(r.Context(), accessKeyID)
}

// lookupKey is lookup for callers without an *http.Request (POST forms).
func (v *Verifier) lookupKey(ctx context.Context, accessKeyID string) (Credential, error) {
	if v.Credentials == nil || accessKeyID == "" {
		return Credential{}, invalidAccessKey(accessKeyID)
	}
	c, err := v.Credentials.Lookup(ctx, accessKeyID)
	if errors.Is(err, ErrUnknownKey) {
		return Credential{}, invalidAccessKey(accessKeyID)
	}
	if err != nil {
		return Credential{}, fmt.Errorf("sigv4: looking up access key: %w", err)
	}
	if c.SecretAccessKey == "" {
		return Credential{}, invalidAccessKey(accessKeyID)
	}
	return c, nil
}

func invalidAccessKey(id string) error {
	return s3err.New(s3err.InvalidAccessKeyID).With("AWSAccessKeyId", id)
}

// checkSkew rejects a request time further than MaxSkew from now.
func (v *Verifier) checkSkew(t time.Time) error {
	now := v.now()
	d := now.Sub(t)
	if d < 0 {
		d = -d
	}
	if d > v.maxSkew() {
		return s3err.New(s3err.RequestTimeTooSkewed).
			With("RequestTime", t.UTC().Format(iso8601Basic)).
			With("ServerTime", now.Format(time.RFC3339)).
			With("MaxAllowedSkewMilliseconds", fmt.Sprint(v.maxSkew().Milliseconds()))
	}
	return nil
}

// maxCachedKeys bounds the signing-key cache. Keys are only cached after a
// signature verified, so only holders of a secret can add entries; the bound
// just keeps a long-running server with many keys from growing forever.
const maxCachedKeys = 1024

// signingKey returns the SigV4 signing key for (secret, date, region),
// memoised because deriving it costs four HMACs per request.
func (v *Verifier) signingKey(secret, date, region string) (key []byte, cacheKey string, cached bool) {
	cacheKey = secret + "\x00" + date + "\x00" + region
	if k, ok := v.keys.Load(cacheKey); ok {
		return k.([]byte), cacheKey, true
	}
	return DeriveSigningKey(secret, date, region, "s3"), cacheKey, false
}

// rememberKey caches a signing key that has just verified a signature.
func (v *Verifier) rememberKey(cacheKey string, key []byte) {
	if v.keyCount.Add(1) > maxCachedKeys {
		v.keys.Clear()
		v.keyCount.Store(1)
	}
	v.keys.Store(cacheKey, key)
}
