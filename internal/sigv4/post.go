package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"

	"github.com/tessera-s3/tessera/internal/s3err"
)

// POST uploads (browser forms) carry no signed request: the form holds a
// base64 POST policy and a signature of that text, made with the SigV4
// signing key (x-amz-signature) or, legacy, HMAC-SHA1 of the secret
// (signature). VerifyPost checks the signature, then that the policy has
// not expired and that the form meets every condition and has no field
// the policy does not cover. The answers are S3's as recorded in
// LocalStack's TestS3PresignedPost (validated against AWS 2026-02-21) and
// raw S3 captures quoted in client issue trackers; see the comments at each.

// PostForm is what a browser upload sends before its file part.
type PostForm struct {
	// Fields are the form fields, names lower-cased (field names are case
	// insensitive, AWS sigv4-post-example), values with ${filename}
	// already expanded. A repeated field is comma-joined (AWS HTTPPOSTForms).
	Fields map[string]string
	// Order lists the lower-cased names in the order they were sent, for
	// the "Extra input fields" answer.
	Order []string
	// Bucket is the bucket the form was posted to; a "bucket" condition
	// tests it, whatever a "bucket" field says (s3-tests wrong_bucket).
	Bucket string
}

// PostAuth is the outcome of verifying a POST upload.
type PostAuth struct {
	Credential Credential
	// Anonymous is set when the form carries no signature fields at all;
	// whether that is allowed is the caller's decision (a bucket policy).
	Anonymous bool
	// MinLength and MaxLength bound the file's size
	// (content-length-range, inclusive); MaxLength is -1 without one.
	MinLength, MaxLength int64
}

// missingPostField is S3's answer to a form lacking a required field
// (LocalStack test_post_request_missing_signature/_missing_fields; raw
// S3 XML for 'key' in nukulb/s3-angular-file-upload#1). Note the two
// spaces after the first period.
func missingPostField(name string) error {
	return s3err.InvalidArgumentf(name, "", "Bucket POST must contain a field named '%s'.  If it is specified, please check the order of the fields.", name)
}

// VerifyPost authenticates a POST upload's form. Checks run in the order
// S3's answers imply (research note 19 §8.3): required fields, the
// signature over the policy text as sent, then the policy's syntax,
// expiration and conditions. Every failure is an *s3err.Error, except a
// failing CredentialStore, which is returned wrapped.
func (v *Verifier) VerifyPost(ctx context.Context, f PostForm) (*PostAuth, error) {
	get := func(k string) (string, bool) { s, ok := f.Fields[k]; return s, ok }
	_, alg := get("x-amz-algorithm")
	_, cred := get("x-amz-credential")
	_, sig4 := get("x-amz-signature")
	_, sig2 := get("signature")
	_, ak2 := get("awsaccesskeyid")
	var (
		c    Credential
		err  error
		sigV = 4
	)
	switch {
	case alg || cred || sig4:
		c, err = v.postCredentialV4(ctx, f)
	case sig2 || ak2:
		sigV = 2
		c, err = v.postCredentialV2(ctx, f)
	default:
		// No signature fields: anonymous, even with a policy field
		// (LocalStack test_post_request_missing_fields, key and policy only →
		// AccessDenied on a private bucket).
		return &PostAuth{Anonymous: true, MaxLength: -1}, nil
	}
	if err != nil {
		return nil, err
	}
	p, err := ParsePostPolicy(f.Fields["policy"])
	if err != nil {
		return nil, err
	}
	if !v.now().Before(p.Expiration) {
		// LocalStack test_post_request_expires.
		return nil, s3err.Newf(s3err.AccessDenied, "Invalid according to Policy: Policy expired.")
	}
	if err := p.Check(f, sigV); err != nil {
		return nil, err
	}
	return &PostAuth{Credential: c, MinLength: p.MinLength, MaxLength: p.MaxLength}, nil
}

// postCredentialV4 checks a SigV4 form's fields and its signature.
func (v *Verifier) postCredentialV4(ctx context.Context, f PostForm) (Credential, error) {
	// Algorithm is named before Credential when both are missing (LocalStack
	// test_post_request_missing_fields); the rest of the order is Tessera's.
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Signature", "Policy"} {
		if _, ok := f.Fields[strings.ToLower(k)]; !ok {
			return Credential{}, missingPostField(k)
		}
	}
	if a := f.Fields["x-amz-algorithm"]; a != algorithmV4 {
		// Unrecorded for POST; the text S3 gives a presigned URL.
		return Credential{}, s3err.InvalidArgumentf("X-Amz-Algorithm", a, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
	}
	credential := f.Fields["x-amz-credential"]
	var a v4Auth
	if reason := a.parseCredential(credential); reason != "" {
		if strings.HasPrefix(credential, "/") {
			// outline#7060, raw S3 answer to a POST with an empty key.
			reason = "a non-empty Access Key (AKID) must be provided in the credential."
		}
		return Credential{}, s3err.InvalidArgumentf("X-Amz-Credential", credential, "%s", reason)
	}
	if d := f.Fields["x-amz-date"]; !validAmzDate(d) {
		// Raw S3 text (sic "formated"), research12 §6b.
		return Credential{}, s3err.InvalidArgumentf("X-Amz-Date", d, "X-Amz-Date must be formated via ISO8601 Long format")
	}
	c, err := v.lookupKey(ctx, a.accessKey)
	if err != nil {
		return c, err
	}
	policy, sig := f.Fields["policy"], f.Fields["x-amz-signature"]
	key, cacheKey, cached := v.signingKey(c.SecretAccessKey, a.date, a.region)
	if !equalHexMAC(sig, hmacSHA256(key, policy)) {
		return Credential{}, postSignatureMismatch(a.accessKey, policy, sig)
	}
	if !cached {
		v.rememberKey(cacheKey, key)
	}
	return c, nil
}

// postCredentialV2 checks a SigV2 form (AWSAccessKeyId, signature =
// base64 HMAC-SHA1 of the policy text), as botocore's signature_version
// 's3' and ceph s3-tests send it.
func (v *Verifier) postCredentialV2(ctx context.Context, f PostForm) (Credential, error) {
	for _, k := range []string{"AWSAccessKeyId", "Signature", "Policy"} {
		if _, ok := f.Fields[strings.ToLower(k)]; !ok {
			return Credential{}, missingPostField(k)
		}
	}
	ak := f.Fields["awsaccesskeyid"]
	c, err := v.lookupKey(ctx, ak)
	if err != nil {
		return c, err
	}
	policy, sig := f.Fields["policy"], f.Fields["signature"]
	m := hmac.New(sha1.New, []byte(c.SecretAccessKey))
	m.Write([]byte(policy))
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, m.Sum(nil)) {
		return Credential{}, postSignatureMismatch(ak, policy, sig)
	}
	return c, nil
}

// postSignatureMismatch is S3's answer to a wrong POST signature: the
// StringToSign is the policy as sent, and there is no CanonicalRequest,
// even for SigV4 (LocalStack test_post_request_malformed_policy).
func postSignatureMismatch(ak, policy, sig string) error {
	return s3err.New(s3err.SignatureDoesNotMatch).
		With("AWSAccessKeyId", ak).
		With("StringToSign", policy).
		With("SignatureProvided", sig).
		With("StringToSignBytes", spacedHex(policy))
}

// spacedHex writes bytes as S3's *Bytes error fields do: "65 79 4a".
func spacedHex(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(hex.EncodeToString([]byte{s[i]}))
	}
	return b.String()
}

func validAmzDate(d string) bool {
	_, err := time.Parse(iso8601Basic, d)
	return err == nil && len(d) == len(iso8601Basic)
}
