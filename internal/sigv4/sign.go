package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sort"
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
