package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Sign signs r with SigV4 in the Authorization header, for Tessera's own
// clients (the admin command). body is the whole request body (nil for
// none); the payload hash covers it. It is the mirror of Verify, built on
// the same canonical-request code, so the two cannot drift apart.
func Sign(r *http.Request, cred Credential, region string, body []byte, now time.Time) {
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	amzDate := now.UTC().Format("20060102T150405Z")
	date := amzDate[:8]
	r.Header.Set("X-Amz-Date", amzDate)
	r.Header.Set("X-Amz-Content-Sha256", payload)
	if r.Host == "" {
		r.Host = r.URL.Host
	}
	signed := []string{"host"}
	for name := range r.Header {
		l := strings.ToLower(name)
		if strings.HasPrefix(l, "x-amz-") || l == "content-type" || l == "content-md5" {
			signed = append(signed, l)
		}
	}
	sort.Strings(signed)
	signedHeaders := strings.Join(signed, ";")
	scope := date + "/" + region + "/s3/aws4_request"
	canonical := canonicalRequest(r, parseQuery(r.URL.RawQuery), "", signedHeaders, signed, payload)
	key := DeriveSigningKey(cred.SecretAccessKey, date, region, "s3")
	sig := hex.EncodeToString(hmacSHA256(key, stringToSign(amzDate, scope, canonical)))
	r.Header.Set("Authorization", algorithmV4+" Credential="+cred.AccessKeyID+"/"+scope+
		", SignedHeaders="+signedHeaders+", Signature="+sig)
}

// MaxPresignExpiry is the longest validity S3 accepts for a SigV4
// presigned URL: seven days (presign.go refuses 604801 seconds).
const MaxPresignExpiry = maxPresignExpires * time.Second

// Presign returns a SigV4 presigned URL (UNSIGNED-PAYLOAD, only host
// signed) for method on scheme://host/path, valid for expires from now.
// path is the unescaped object path ("/bucket/key"). It is the mirror of
// verifyPresignV4, so a URL it makes verifies here and at S3.
func Presign(method, scheme, host, path string, cred Credential, region string, now time.Time, expires time.Duration) (string, error) {
	if expires < time.Second || expires > MaxPresignExpiry {
		return "", fmt.Errorf("sigv4: presign expiry %s out of range (1s to 7 days)", expires)
	}
	amzDate := now.UTC().Format(iso8601Basic)
	scope := amzDate[:8] + "/" + region + "/s3/aws4_request"
	params := []param{
		{"X-Amz-Algorithm", algorithmV4},
		{"X-Amz-Credential", cred.AccessKeyID + "/" + scope},
		{"X-Amz-Date", amzDate},
		{"X-Amz-Expires", strconv.FormatInt(int64(expires/time.Second), 10)},
		{"X-Amz-SignedHeaders", "host"},
	}
	raw := encodeQuery(params)
	u := &url.URL{Scheme: scheme, Host: host, Path: path, RawPath: uriEncode(path, false)}
	u.RawQuery = raw
	r := &http.Request{Method: method, URL: u, Host: host, Header: http.Header{}}
	canonical := canonicalRequest(r, parseQuery(raw), "", "host", []string{"host"}, unsignedPayload)
	key := DeriveSigningKey(cred.SecretAccessKey, amzDate[:8], region, "s3")
	sig := hex.EncodeToString(hmacSHA256(key, stringToSign(amzDate, scope, canonical)))
	u.RawQuery = raw + "&X-Amz-Signature=" + sig
	return u.String(), nil
}

// encodeQuery renders params (already in canonical order) with SigV4's
// strict percent-encoding.
func encodeQuery(params []param) string {
	var b strings.Builder
	for i, p := range params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(uriEncode(p.key, true))
		b.WriteByte('=')
		b.WriteString(uriEncode(p.value, true))
	}
	return b.String()
}
