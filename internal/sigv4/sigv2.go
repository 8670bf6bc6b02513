package sigv4

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tessera-s3/tessera/internal/s3err"
)

// subResourcesV2 are the query parameters that SigV2's CanonicalizedResource
// includes: AWS's documented list plus the later additions that common v2
// signers (botocore, minio-go) also include, since a parameter one side
// includes and the other doesn't breaks every such request.
var subResourcesV2 = map[string]bool{
	"accelerate": true, "acl": true, "analytics": true, "cors": true, "delete": true,
	"encryption": true, "inventory": true, "legal-hold": true, "lifecycle": true,
	"location": true, "logging": true, "metrics": true, "notification": true,
	"object-lock": true, "partNumber": true, "policy": true, "replication": true,
	"requestPayment": true, "restore": true, "retention": true, "select": true,
	"select-type": true, "tagging": true, "torrent": true, "uploadId": true,
	"uploads": true, "versionId": true, "versioning": true, "versions": true, "website": true,

	"response-content-type": true, "response-content-language": true,
	"response-expires": true, "response-cache-control": true,
	"response-content-disposition": true, "response-content-encoding": true,
}

// verifyHeaderV2 authenticates "Authorization: AWS AK:base64(HMAC-SHA1)".
func (v *Verifier) verifyHeaderV2(r *http.Request, q query, authz string) (*Result, error) {
	// ceph/s3-tests test_object_create_bad_authorization_invalid_aws2
	// ("AWS HAHAHA" → 400 InvalidArgument); the texts are S3's as peers
	// (OpenStack Swift's s3api, s3rver) reproduce them, the spacing one
	// also quoted from AWS in benrady/learnjs#23.
	rest := authz[len("AWS "):]
	if strings.HasPrefix(rest, " ") {
		return nil, s3err.InvalidArgumentf("Authorization", authz, "Authorization header is invalid -- one and only one ' ' (space) required")
	}
	ak, sig, ok := strings.Cut(rest, ":")
	if !ok || ak == "" || sig == "" || strings.Contains(sig, ":") {
		return nil, s3err.InvalidArgumentf("Authorization", authz, "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature")
	}
	// With x-amz-date the Date line of the StringToSign is empty: the
	// x-amz-date header is signed among the amz headers instead.
	dateLine := r.Header.Get("Date")
	dateValue := dateLine
	if xd := r.Header.Get("X-Amz-Date"); xd != "" {
		dateLine, dateValue = "", xd
	}
	t, err := http.ParseTime(dateValue)
	if err != nil {
		return nil, errNoDate()
	}
	cred, err := v.lookup(r, ak)
	if err != nil {
		return nil, err
	}
	if err := v.checkSkew(t); err != nil {
		return nil, err
	}
	if err := v.checkSignatureV2(r, q, dateLine, ak, sig, cred); err != nil {
		return nil, err
	}
	return v.finishV2(r, cred)
}

// verifyPresignV2 authenticates a SigV2 presigned URL
// (?AWSAccessKeyId=&Expires=&Signature=).
func (v *Verifier) verifyPresignV2(r *http.Request, q query) (*Result, error) {
	ak, sig, exp := q.get("AWSAccessKeyId"), q.get("Signature"), q.get("Expires")
	if ak == "" || sig == "" || exp == "" {
		return nil, s3err.Newf(s3err.AccessDenied, "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")
	}
	secs, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || secs < 0 {
		return nil, s3err.Newf(s3err.AccessDenied, "Invalid date (should be seconds since epoch): %s", exp)
	}
	cred, err := v.lookup(r, ak)
	if err != nil {
		return nil, err
	}
	if now := v.now(); now.Unix() > secs {
		return nil, errExpired(time.Unix(secs, 0), now)
	}
	if err := v.checkSignatureV2(r, q, exp, ak, sig, cred); err != nil {
		return nil, err
	}
	return v.finishV2(r, cred)
}

func (v *Verifier) finishV2(r *http.Request, cred Credential) (*Result, error) {
	res := &Result{Credential: cred}
	if err := v.attachBody(r, res, r.Header.Get(headerContentSHA256), nil); err != nil {
		return nil, err
	}
	return res, nil
}

// checkSignatureV2 compares the base64 HMAC-SHA1 signature with the one
// computed over the SigV2 StringToSign.
func (v *Verifier) checkSignatureV2(r *http.Request, q query, dateLine, ak, sig string, cred Credential) error {
	sts := stringToSignV2(r, q, dateLine, v.Domains)
	m := hmac.New(sha1.New, []byte(cred.SecretAccessKey))
	m.Write([]byte(sts))
	// A '+' sent unescaped in the query decodes to ' '; put it back rather
	// than reject a signature that is otherwise right.
	got, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(sig, " ", "+"))
	if err != nil || !hmac.Equal(got, m.Sum(nil)) {
		return s3err.New(s3err.SignatureDoesNotMatch).
			With("AWSAccessKeyId", ak).
			With("StringToSign", sts).
			With("SignatureProvided", sig)
	}
	return nil
}

// stringToSignV2 is
//
//	METHOD \n Content-MD5 \n Content-Type \n Date-or-Expires \n
//	CanonicalizedAmzHeaders CanonicalizedResource
func stringToSignV2(r *http.Request, q query, dateLine string, domains []string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(r.Header.Get("Content-Md5"))
	b.WriteByte('\n')
	b.WriteString(r.Header.Get("Content-Type"))
	b.WriteByte('\n')
	b.WriteString(dateLine)
	b.WriteByte('\n')
	writeAmzHeadersV2(&b, r.Header)
	writeResourceV2(&b, r, q, domains)
	return b.String()
}

// writeAmzHeadersV2 writes the CanonicalizedAmzHeaders: x-amz-* names
// lowercased and sorted, "name:v1,v2\n", values trimmed.
func writeAmzHeadersV2(b *strings.Builder, h http.Header) {
	var names []string
	for k := range h {
		if len(k) >= 6 && strings.EqualFold(k[:6], "x-amz-") {
			names = append(names, k)
		}
	}
	slices.SortFunc(names, func(x, y string) int { return strings.Compare(strings.ToLower(x), strings.ToLower(y)) })
	for _, k := range names {
		b.WriteString(strings.ToLower(k))
		b.WriteByte(':')
		for i, v := range h[k] {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(appendTrimmedValue(nil, strings.ReplaceAll(v, "\n", " ")))
		}
		b.WriteByte('\n')
	}
}

// writeResourceV2 writes the CanonicalizedResource: "/bucket" for a
// virtual-host request, the (re-encoded) path, then the sub-resources
// sorted by name as "?a&b=v" with values not encoded.
func writeResourceV2(b *strings.Builder, r *http.Request, q query, domains []string) {
	if bucket := virtualBucket(r.Host, domains); bucket != "" {
		b.WriteByte('/')
		b.WriteString(bucket)
	}
	b.WriteString(canonicalURI(r.URL))
	var subs []param
	for _, p := range q {
		if subResourcesV2[p.key] {
			subs = append(subs, p)
		}
	}
	slices.SortStableFunc(subs, func(x, y param) int { return strings.Compare(x.key, y.key) })
	for i, p := range subs {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		if p.value != "" {
			b.WriteByte('=')
			b.WriteString(p.value)
		}
	}
}

// virtualBucket returns the bucket named by a virtual-host Host
// ("bucket.<domain>"), or "" for a path-style request.
func virtualBucket(host string, domains []string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	bucket := ""
	best := -1 // the longest matching domain wins: "s3.example.com" over "example.com"
	for _, d := range domains {
		d = strings.ToLower(strings.TrimSuffix(d, "."))
		if d != "" && len(d) > best && len(host) > len(d)+1 && strings.HasSuffix(host, d) && host[len(host)-len(d)-1] == '.' {
			bucket, best = host[:len(host)-len(d)-1], len(d)
		}
	}
	return bucket
}
