package s3api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tessera-s3/tessera/internal/checksum"
	"github.com/tessera-s3/tessera/internal/engine"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// writeAttrs reads the attributes of a write from the request headers.
func writeAttrs(h http.Header) engine.WriteAttrs {
	a := engine.WriteAttrs{
		Headers: engine.ContentHeaders{
			ContentType:        h.Get("Content-Type"),
			ContentEncoding:    stripAWSChunked(strings.Join(h.Values("Content-Encoding"), ",")),
			ContentDisposition: h.Get("Content-Disposition"),
			ContentLanguage:    h.Get("Content-Language"),
			CacheControl:       h.Get("Cache-Control"),
			Expires:            h.Get("Expires"),
		},
		StorageClass:            h.Get("x-amz-storage-class"),
		Tagging:                 h.Get("x-amz-tagging"), // validated by taggingHeader
		WebsiteRedirectLocation: h.Get("x-amz-website-redirect-location"),
	}
	for name, vals := range h {
		lower := strings.ToLower(name)
		if k, ok := strings.CutPrefix(lower, "x-amz-meta-"); ok && k != "" {
			if a.UserMeta == nil {
				a.UserMeta = map[string]string{}
			}
			a.UserMeta[k] = strings.Join(vals, ",")
		}
	}
	return a
}

// writeAttrs is writeAttrs of the request's headers, with the encryption
// the request asks for.
func (q *request) writeAttrs() engine.WriteAttrs {
	a := writeAttrs(q.r.Header)
	a.Encryption = q.sse.write
	return a
}

// stripAWSChunked removes the aws-chunked transfer coding, which describes
// the request framing, not the object.
func stripAWSChunked(v string) string {
	if v == "" {
		return ""
	}
	var keep []string
	for _, c := range strings.Split(v, ",") {
		if c = strings.TrimSpace(c); c != "" && !strings.EqualFold(c, "aws-chunked") {
			keep = append(keep, c)
		}
	}
	return strings.Join(keep, ",")
}

// bodyInput describes the (already authenticated) body of a write.
func (q *request) bodyInput() (engine.BodyInput, error) {
	in := engine.BodyInput{Body: q.auth.Body, Size: q.auth.DecodedLength, ContentMD5: q.r.Header.Get("Content-MD5")}
	if in.Size < 0 && !q.auth.Streaming && q.r.ContentLength < 0 && len(q.r.TransferEncoding) == 0 {
		return in, s3err.New(s3err.MissingContentLength)
	}
	ck, err := checksumInput(q.r.Header, q.auth.Trailer)
	if err != nil {
		return in, err
	}
	in.Checksum = ck
	return in, nil
}

// checksumInput finds the checksum a client sent: an x-amz-checksum-<alg>
// header, or a trailer announced by x-amz-trailer.
func checksumInput(h http.Header, trailer http.Header) (*engine.ChecksumInput, error) {
	var found *engine.ChecksumInput
	for _, a := range checksum.All() {
		v := h.Get(a.Header())
		if v == "" {
			continue
		}
		if found != nil {
			return nil, s3err.Newf(s3err.InvalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
		}
		found = &engine.ChecksumInput{Algorithm: a, Value: v}
	}
	if t := h.Get("x-amz-trailer"); t != "" {
		a, ok := checksumFromHeaderName(t)
		if !ok {
			return nil, s3err.Newf(s3err.InvalidRequest, "The value specified in the x-amz-trailer header is not supported")
		}
		if found != nil {
			return nil, s3err.Newf(s3err.InvalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
		}
		name := http.CanonicalHeaderKey(a.Header())
		found = &engine.ChecksumInput{Algorithm: a, Trailer: func() string { return trailer.Get(name) }}
	}
	if found == nil {
		if s := h.Get("x-amz-sdk-checksum-algorithm"); s != "" {
			if _, ok := checksum.Parse(s); !ok {
				return nil, engine.UnsupportedChecksumAlgorithm()
			}
		}
	}
	return found, nil
}

func checksumFromHeaderName(name string) (checksum.Algorithm, bool) {
	s, ok := strings.CutPrefix(strings.ToLower(strings.TrimSpace(name)), "x-amz-checksum-")
	if !ok {
		return "", false
	}
	return checksum.Parse(s)
}

// readConditions reads If-* headers (prefix "" for a GET, "x-amz-copy-source-" for a copy source).
func readConditions(h http.Header, prefix string) engine.ReadConditions {
	return engine.ReadConditions{
		IfMatch:           h.Get(prefix + "If-Match"),
		IfNoneMatch:       h.Get(prefix + "If-None-Match"),
		IfModifiedSince:   httpDate(h.Get(prefix + "If-Modified-Since")),
		IfUnmodifiedSince: httpDate(h.Get(prefix + "If-Unmodified-Since")),
	}
}

// httpDate parses an HTTP date; an unparseable date is ignored, as S3 does.
func httpDate(v string) time.Time {
	if v == "" {
		return time.Time{}
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return time.Time{}
	}
	return t
}

// parseRange parses a single-range Range header. A header S3 would ignore
// (malformed, several ranges, another unit) yields nil: the whole object.
func parseRange(v string) *engine.Range {
	spec, ok := strings.CutPrefix(strings.TrimSpace(v), "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return nil
	}
	first, last, ok := strings.Cut(spec, "-")
	if !ok {
		return nil
	}
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	if first == "" {
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 {
			return nil
		}
		if n == 0 {
			// bytes=-0 is a valid but unsatisfiable range.
			return &engine.Range{First: 1 << 62, Last: -1}
		}
		return &engine.Range{Suffix: n}
	}
	f, err := strconv.ParseInt(first, 10, 64)
	if err != nil || f < 0 {
		return nil
	}
	if last == "" {
		return &engine.Range{First: f, Last: -1}
	}
	l, err := strconv.ParseInt(last, 10, 64)
	if err != nil || l < f {
		return nil
	}
	return &engine.Range{First: f, Last: l}
}
