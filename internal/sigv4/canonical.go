package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// param is one decoded query parameter, in the order it appeared.
type param struct{ key, value string }

// query is a request's query string, decoded but otherwise exactly as sent:
// unlike url.Values it keeps order and duplicates and never drops a pair.
type query []param

// parseQuery splits a raw query string. '+' means space (form encoding, as
// S3 reads it); a component that is not valid percent-encoding is kept
// verbatim, so the signature over it simply won't match rather than the
// pair silently disappearing.
func parseQuery(raw string) query {
	if raw == "" {
		return nil
	}
	q := make(query, 0, strings.Count(raw, "&")+1)
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		q = append(q, param{queryUnescape(k), queryUnescape(v)})
	}
	return q
}

func queryUnescape(s string) string {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s
	}
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

func (q query) has(key string) bool {
	for _, p := range q {
		if p.key == key {
			return true
		}
	}
	return false
}

// get returns the first value of key.
func (q query) get(key string) string {
	for _, p := range q {
		if p.key == key {
			return p.value
		}
	}
	return ""
}

// canonicalQuery is the SigV4 CanonicalQueryString: every name and value
// URI-encoded with AWS's rules, sorted by encoded name then encoded value
// (AWS sorts after encoding; the orders differ), joined "k=v&k=v". A
// parameter named skip (X-Amz-Signature for presigned URLs) is left out.
func canonicalQuery(q query, skip string) string {
	if len(q) == 0 {
		return ""
	}
	enc := make([]param, 0, len(q))
	for _, p := range q {
		if skip != "" && p.key == skip {
			continue
		}
		enc = append(enc, param{uriEncode(p.key, true), uriEncode(p.value, true)})
	}
	slices.SortFunc(enc, func(a, b param) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.value, b.value)
	})
	var b strings.Builder
	for i, p := range enc {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

const upperhex = "0123456789ABCDEF"

// uriEncode applies AWS's UriEncode: A-Z a-z 0-9 - . _ ~ are kept, '/' is
// kept unless encodeSlash, every other byte becomes %XX (uppercase).
func uriEncode(s string, encodeSlash bool) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) && (encodeSlash || s[i] != '/') {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (!encodeSlash && c == '/') {
			b = append(b, c)
		} else {
			b = append(b, '%', upperhex[c>>4], upperhex[c&15])
		}
	}
	return string(b)
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// canonicalURI is the request path as S3 canonicalises it: decoded once and
// re-encoded with AWS's rules, '/' kept. S3 does not double-encode (unlike
// other services) and does not normalise "." or "//" segments. Decoding the
// escaped form rather than trusting it makes "%2F" vs "/" and "%7E" vs "~"
// spellings agree with what the client's SDK encoded.
func canonicalURI(u *url.URL) string {
	p, err := url.PathUnescape(u.EscapedPath())
	if err != nil {
		p = u.Path
	}
	if p == "" {
		return "/"
	}
	return uriEncode(p, false)
}

// headerValues returns the values of the lowercase header name as the
// server saw them. net/http moves Host, and sometimes Content-Length and
// Transfer-Encoding, out of r.Header, so those are rebuilt from r.
func headerValues(r *http.Request, name string) []string {
	switch name {
	case "host":
		if r.Host != "" {
			return []string{r.Host}
		}
		return []string{r.URL.Host}
	case "content-length":
		if v := r.Header["Content-Length"]; len(v) > 0 {
			return v
		}
		if r.ContentLength >= 0 {
			return []string{strconv.FormatInt(r.ContentLength, 10)}
		}
		return nil
	case "transfer-encoding":
		if v := r.Header["Transfer-Encoding"]; len(v) > 0 {
			return v
		}
		if len(r.TransferEncoding) > 0 {
			return []string{strings.Join(r.TransferEncoding, ",")}
		}
		return nil
	}
	if v, ok := r.Header[textproto.CanonicalMIMEHeaderKey(name)]; ok {
		return v
	}
	// Headers set directly in the map (not via Set/Add) may not be canonical.
	for k, v := range r.Header {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// appendCanonicalHeaders appends SigV4 CanonicalHeaders for the signed
// header names: "name:v1,v2\n" per name, each value trimmed and with runs of
// spaces collapsed.
func appendCanonicalHeaders(b []byte, r *http.Request, signed []string) []byte {
	for _, name := range signed {
		b = append(b, name...)
		b = append(b, ':')
		for i, v := range headerValues(r, strings.ToLower(name)) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendTrimmedValue(b, v)
		}
		b = append(b, '\n')
	}
	return b
}

// appendTrimmedValue appends v without leading/trailing whitespace and with
// every run of spaces/tabs collapsed to one space. Bytes outside US-ASCII
// are left out, as S3 leaves them out: a client that signs a non-ASCII
// x-amz-meta-* value as sent gets SignatureDoesNotMatch from S3 (fog#3344:
// it "simply results in a signing error"; minio-py#764 and #770, "S3
// server ignores those characters in headers"; aws-sdk-java#2694 and
// aws-sdk-net#1587 quote S3's 403), and header values must be US-ASCII
// (UsingMetadata.html: "must conform to US-ASCII when you are using REST").
func appendTrimmedValue(b []byte, v string) []byte {
	v = strings.Trim(v, " \t")
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 0x80 {
			continue
		}
		if c == ' ' || c == '\t' {
			space = true
			continue
		}
		if space {
			b = append(b, ' ')
			space = false
		}
		b = append(b, c)
	}
	return b
}

// canonicalRequest builds the SigV4 CanonicalRequest.
func canonicalRequest(r *http.Request, q query, skipParam string, signedHeaders string, signed []string, payloadHash string) []byte {
	b := make([]byte, 0, 512)
	b = append(b, r.Method...)
	b = append(b, '\n')
	b = append(b, canonicalURI(r.URL)...)
	b = append(b, '\n')
	b = append(b, canonicalQuery(q, skipParam)...)
	b = append(b, '\n')
	b = appendCanonicalHeaders(b, r, signed)
	b = append(b, '\n')
	b = append(b, signedHeaders...)
	b = append(b, '\n')
	b = append(b, payloadHash...)
	return b
}

const algorithmV4 = "AWS4-HMAC-SHA256"

// stringToSign is the SigV4 StringToSign for a canonical request.
func stringToSign(amzDate, scope string, canonical []byte) string {
	h := sha256.Sum256(canonical)
	return algorithmV4 + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(h[:])
}

// DeriveSigningKey derives the SigV4 signing key
// HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request")
// for date "YYYYMMDD".
func DeriveSigningKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, "aws4_request")
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// equalHexMAC compares a hex signature from the request with a computed MAC
// in constant time; a signature that is not hex simply does not match.
func equalHexMAC(provided string, mac []byte) bool {
	if len(provided) != 2*len(mac) {
		return false
	}
	var buf [64]byte
	got := buf[:0]
	if len(mac) > len(buf)/2 {
		got = make([]byte, 0, len(mac))
	}
	got, err := hex.AppendDecode(got, []byte(provided))
	return err == nil && hmac.Equal(got, mac)
}
