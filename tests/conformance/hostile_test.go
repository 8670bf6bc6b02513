package conformance

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// hostileRow is one malformed or malicious request and S3's answer to it.
type hostileRow struct {
	name string
	req  hostileReq
	want hostileWant
}

// TestHostile sends malformed and malicious requests on raw connections and
// checks, after each, S3's answer, that nothing was stored or changed, and
// that the server is still ready; at the end a normal round trip works.
func TestHostile(t *testing.T) {
	t.Parallel()
	e := hostileNew(t)
	var rows []hostileRow
	rows = append(rows, hostileKeyRows()...)
	rows = append(rows, hostileHeaderRows()...)
	rows = append(rows, hostileLengthRows()...)
	rows = append(rows, hostileRangeRows()...)
	rows = append(rows, hostileChunkedRows()...)
	rows = append(rows, hostileQueryRows()...)
	rows = append(rows, hostilePolicyRows(e)...)
	rows = append(rows, hostileAuthRows()...)
	rows = append(rows, hostileXMLRows()...)
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			resp, body := e.send(t, row.req)
			row.want.check(t, resp, body)
			if k := row.want.stores; k != "" {
				if _, err := e.c.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String(e.b), Key: aws.String(k)}); err != nil {
					t.Errorf("HEAD %q after the row: %v", k, err)
				}
				e.wantListed(t, k)
				if _, err := e.c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String(e.b), Key: aws.String(k)}); err != nil {
					t.Fatalf("DeleteObject(%q): %v", k, err)
				}
			}
			e.wantUnchanged(t)
			e.wantHealthy(t)
		})
	}
	if len(rows) < 60 {
		t.Errorf("%d rows, want at least 60", len(rows))
	}
	put(t, e.c, e.b, "after", []byte("still serving"))
	wantBody(t, e.c, e.b, "after", []byte("still serving"))
}

// hostileKeyRows: path-like and otherwise hostile keys.
func hostileKeyRows() []hostileRow {
	putKey := func(target string) hostileReq {
		return hostileReq{method: http.MethodPut, target: target, body: []byte("x")}
	}
	return []hostileRow{
		// AWS answers a dot-dot segment in the request path, raw or
		// percent-encoded, with a bare 400 and no body: floci-io/floci#1320
		// and #1231 (verified with the AWS CLI against S3) and #1325 ("AWS
		// returns HTTP 400 with no response body").
		{"key ../x", putKey("/{b}/../x"), hostileWant{status: 400}},
		{"key %2e%2e/x", putKey("/{b}/%2e%2e/x"), hostileWant{status: 400}},
		{"key a/../x", putKey("/{b}/a/../x"), hostileWant{status: 400}},
		{"key a/%2E%2E/x", putKey("/{b}/a/%2E%2E/x"), hostileWant{status: 400}},
		{"key ..", putKey("/{b}/.."), hostileWant{status: 400}},
		// S3 keeps every other key byte for byte: "//" and a leading "/"
		// are distinct keys (aws/aws-cli#421 shows S3's 200 for foo//bar;
		// floci-io/floci#282 and #4123: keys starting with "/" are their
		// own objects). A single-dot segment is not a traversal; S3 most
		// plausibly keeps it like any other character (botocore#3244 and
		// smithy#2166 make SDKs send dot segments unchanged).
		{"key a//b stored as written", putKey("/{b}/a//b"), hostileWant{status: 200, stores: "a//b"}},
		{"key of only /", putKey("/{b}//"), hostileWant{status: 200, stores: "/"}},
		{"key ./x stored as written", putKey("/{b}/./x"), hostileWant{status: 200, stores: "./x"}},
		// Keys are at most 1024 bytes (UsingMetadata.html#object-key-guidelines);
		// S3 answers KeyTooLongError with Size and MaxSizeAllowed.
		{"key of 1025 bytes", putKey("/{b}/" + strings.Repeat("k", 1025)),
			hostileWant{status: 400, code: "KeyTooLongError", field: "MaxSizeAllowed", value: "1024"}},
		{"key of 1025 bytes on CreateMultipartUpload", hostileReq{method: http.MethodPost, target: "/{b}/" + strings.Repeat("k", 1025) + "?uploads"},
			hostileWant{status: 400, code: "KeyTooLongError", field: "Size", value: "1025"}},
		// Control characters, NUL included, are valid UTF-8 and S3 accepts
		// them in keys (botocore#3047: a \u001e key reaches S3; the object
		// key guide lists them as needing special handling, not as
		// forbidden). The listings must still answer 200 while the key
		// exists (flyology-object-storage#13: a C0 key broke every listing).
		{"key with a NUL byte", putKey("/{b}/a%00b"), hostileWant{status: 200, stores: "a\x00b"}},
		{"key with a CR LF", putKey("/{b}/a%0D%0AX-Injected%3A%201"), hostileWant{status: 200, stores: "a\r\nX-Injected: 1"}},
		// Keys are UTF-8 (UsingMetadata.html: "a sequence of Unicode
		// characters whose UTF-8 encoding is at most 1,024 bytes long");
		// a path that does not decode to UTF-8 is not a key.
		{"key with invalid UTF-8", putKey("/{b}/bad%FFkey"), hostileWant{status: 400}},
		{"key with overlong UTF-8 slash", putKey("/{b}/a%C0%AFb"), hostileWant{status: 400}},
	}
}

// hostileHeaderRows: oversized, injected and malformed headers.
func hostileHeaderRows() []hostileRow {
	return []hostileRow{
		// User metadata is limited to 2 KB (UsingMetadata.html#UserMetadata):
		// MetadataTooLarge.
		{"metadata over 2 KB", hostileReq{method: http.MethodPut, target: "/{b}/meta", body: []byte("x"),
			hdr: map[string]string{"X-Amz-Meta-Big": strings.Repeat("m", 2100)}},
			hostileWant{status: 400, code: "MetadataTooLarge"}},
		// 80 × (4 + 30) bytes of metadata, in a header section under 8 KiB.
		{"metadata over 2 KB in many headers", hostileReq{method: http.MethodPut, target: "/{b}/meta", body: []byte("x"),
			hdr: manyMeta(80, 30)},
			hostileWant{status: 400, code: "MetadataTooLarge"}},
		// Over 8 KiB of request headers: S3 refuses the header section
		// before looking at metadata (versity/versitygw#2180 quotes S3's
		// RequestHeaderSectionTooLarge with MaxSizeAllowed 8192).
		{"header section over 8 KiB", hostileReq{method: http.MethodPut, target: "/{b}/meta", body: []byte("x"),
			hdr: manyMeta(200, 20)},
			hostileWant{status: 400, code: "RequestHeaderSectionTooLarge"}},
		// A CR or LF inside a header value cannot be sent by an HTTP client;
		// on the wire it ends the header line. The injected header is not
		// signed and the signed value no longer matches: the request must
		// not succeed (RFC 9112 §5: a bare CR is invalid, so 400).
		{"bare CR in a metadata value", hostileReq{method: http.MethodPut, target: "/{b}/crlf", body: []byte("x"),
			raw: []string{"X-Amz-Meta-A: one\rX-Amz-Meta-B: two"}}, hostileWant{status: 400}},
		// RFC 9112 §5.2 lets a server replace obs-fold with a space instead
		// of refusing it; the folded header is then an unsigned x-amz-*
		// header, refused as below.
		{"obs-fold continuation line", hostileReq{method: http.MethodPut, target: "/{b}/crlf", body: []byte("x"),
			raw: []string{"X-Amz-Meta-A: one", " folded"}}, hostileWant{status: 403, code: "AccessDenied", field: "HeadersNotSigned", value: "x-amz-meta-a"}},
		{"header without a colon", hostileReq{method: http.MethodPut, target: "/{b}/crlf", body: []byte("x"),
			raw: []string{"NoColonHere"}}, hostileWant{status: 400}},
		{"two Host headers", hostileReq{method: http.MethodPut, target: "/{b}/crlf", body: []byte("x"),
			raw: []string{"Host: evil.example"}}, hostileWant{status: 400}},
		// An unsigned x-amz-* header smuggled beside a signed request:
		// S3 requires every x-amz-* header present to be signed
		// (sig-v4-header-based-auth.html: "x-amz-* headers that you plan to
		// add to the request must also be added"), so AccessDenied
		// "There were headers present in the request which were not signed".
		{"unsigned x-amz-meta header injected", hostileReq{method: http.MethodPut, target: "/{b}/inj", body: []byte("x"),
			raw: []string{"X-Amz-Meta-Injected: yes"}},
			hostileWant{status: 403, code: "AccessDenied"}},
		// A metadata value with bytes outside US-ASCII, signed as sent:
		// S3 answers SignatureDoesNotMatch (fog#3344, minio-py#764 and
		// #770, aws-sdk-java#2694, aws-sdk-net#1587 quote S3's 403;
		// UsingMetadata.html: values "must conform to US-ASCII when you are
		// using REST"). Invalid UTF-8 is the hostile case of it.
		{"invalid UTF-8 in a metadata value", hostileReq{method: http.MethodPut, target: "/{b}/utf", body: []byte("x"),
			hdr: map[string]string{"X-Amz-Meta-A": "bad\xff\xfevalue"}}, hostileWant{status: 403, code: "SignatureDoesNotMatch"}},
		{"UTF-8 in a metadata value", hostileReq{method: http.MethodPut, target: "/{b}/utf", body: []byte("x"),
			hdr: map[string]string{"X-Amz-Meta-A": "gro\u00df"}}, hostileWant{status: 403, code: "SignatureDoesNotMatch"}},
	}
}

func manyMeta(n, size int) map[string]string {
	h := make(map[string]string, n)
	for i := range n {
		h[fmt.Sprintf("X-Amz-Meta-K%03d", i)] = strings.Repeat("v", size)
	}
	return h
}

// hostileLengthRows: Content-Length and Transfer-Encoding abuse. S3's front
// end answers a framing error with 400 before any S3 logic (RFC 9112 §6.3:
// an invalid Content-Length is an unrecoverable framing error).
func hostileLengthRows() []hostileRow {
	put := func(length string, raw ...string) hostileReq {
		return hostileReq{method: http.MethodPut, target: "/{b}/len", body: []byte("hello"), length: length, raw: raw}
	}
	return []hostileRow{
		{"Content-Length -1", put("-1"), hostileWant{status: 400}},
		{"Content-Length non-numeric", put("five"), hostileWant{status: 400}},
		{"Content-Length 99999999999999999999", put("99999999999999999999"), hostileWant{status: 400}},
		{"two different Content-Lengths", put("5", "Content-Length: 3"), hostileWant{status: 400}},
		{"Content-Length with a sign", put("+5"), hostileWant{status: 400}},
		// Content-Length 3 with 5 bytes sent, where the signature covers
		// content-length:5: SignatureDoesNotMatch, before any byte is kept.
		{"Content-Length shorter than the body", hostileReq{method: http.MethodPut, target: "/{b}/len", body: []byte("hello"), length: "3"},
			hostileWant{status: 403, code: "SignatureDoesNotMatch"}},
		// A body that ends before Content-Length, the client half-closing
		// and waiting for the answer: IncompleteBody (ErrorResponses.html:
		// "You did not provide the number of bytes specified by the
		// Content-Length HTTP header"; S3's answer as quoted in
		// aws/aws-sdk-java#3052 and aws-sdk-java-v2#4676, 400). Nothing
		// is stored.
		{"body shorter than Content-Length", hostileReq{method: http.MethodPut, target: "/{b}/len", body: []byte("hello"), cut: 2},
			hostileWant{status: 400, code: "IncompleteBody"}},
		{"UploadPart body shorter than Content-Length", hostileReq{method: http.MethodPut, target: "/{b}/mp?partNumber=1&uploadId={u}", body: []byte("hello"), cut: 2},
			hostileWant{status: 400, code: "IncompleteBody"}},
		// Transfer-Encoding beside Content-Length: RFC 9112 §6.3 makes
		// Transfer-Encoding win and the Content-Length be dropped, so the
		// signed content-length no longer matches: SignatureDoesNotMatch,
		// and a body that is not chunked is never read as data.
		{"Content-Length with Transfer-Encoding chunked", put("5", "Transfer-Encoding: chunked"), hostileWant{status: 403, code: "SignatureDoesNotMatch"}},
		// S3 implements no transfer coding but chunked: NotImplemented
		// naming the header (ErrorResponses.html: "A header you provided
		// implies functionality that is not implemented").
		// Go's HTTP server answers before Tessera sees the request, with a
		// text body; the status is S3's.
		{"Transfer-Encoding gzip", put("none", "Transfer-Encoding: gzip"), hostileWant{status: 501}},
	}
}

// hostileRangeRows: GET ranges on the 9-byte "seed". S3 follows RFC 9110
// §14.2: a Range it cannot parse is ignored (200, whole body); a
// syntactically valid range past the end is InvalidRange with the size
// (LocalStack test_s3.py::test_get_object_range snapshots, recorded against
// AWS: "bytes=100-200" → 416 InvalidRange, ActualObjectSize; multiple ranges
// are not supported and S3 answers with the whole object).
func hostileRangeRows() []hostileRow {
	get := func(rng string) hostileReq {
		return hostileReq{method: http.MethodGet, target: "/{b}/seed", hdr: map[string]string{"Range": rng}}
	}
	whole := hostileWant{status: 200, body: "seed body"}
	return []hostileRow{
		{"range inverted", get("bytes=5-2"), whole},
		{"range garbage", get("bytes=abc"), whole},
		{"range of another unit", get("items=0-1"), whole},
		{"range multiple", get("bytes=0-1,3-4"), whole},
		{"range negative start", get("bytes=-5-3"), whole},
		// A first-byte-pos that overflows is not a number S3 can read:
		// most plausibly ignored like any unparsable range.
		{"range huge numbers", get("bytes=99999999999999999999-"), whole},
		{"range beyond the size", get("bytes=100-200"), hostileWant{status: 416, code: "InvalidRange", field: "ActualObjectSize", value: "9"}},
		{"range starting at the size", get("bytes=9-"), hostileWant{status: 416, code: "InvalidRange", field: "RangeRequested", value: "bytes=9-"}},
		{"range suffix of zero", get("bytes=-0"), hostileWant{status: 416, code: "InvalidRange"}},
	}
}

// hostileQueryRows: duplicate, negative, huge and non-numeric parameters.
func hostileQueryRows() []hostileRow {
	part := func(q string) hostileReq {
		return hostileReq{method: http.MethodPut, target: "/{b}/mp?" + q, body: []byte("part")}
	}
	// UploadPart's partNumber: "Part number must be an integer between 1
	// and 10000, inclusive" (InvalidArgument, ArgumentName partNumber;
	// LocalStack test_upload_part_invalid_part_number snapshot; API_UploadPart).
	badPart := hostileWant{status: 400, code: "InvalidArgument", field: "ArgumentName", value: "partNumber"}
	list := func(q string) hostileReq { return hostileReq{method: http.MethodGet, target: "/{b}" + q} }
	return []hostileRow{
		{"partNumber=0", part("partNumber=0&uploadId={u}"), badPart},
		{"partNumber=10001", part("partNumber=10001&uploadId={u}"), badPart},
		{"partNumber=-1", part("partNumber=-1&uploadId={u}"), badPart},
		{"partNumber=99999999999999999999", part("partNumber=99999999999999999999&uploadId={u}"), badPart},
		{"partNumber=abc", part("partNumber=abc&uploadId={u}"), badPart},
		// Two values for one parameter are ambiguous; S3 most plausibly
		// refuses rather than pick one (no recorded answer found), and
		// must never store a part under either.
		{"two uploadIds", part("partNumber=1&uploadId={u}&uploadId=forged"), hostileWant{status: 400, code: "InvalidArgument"}},
		{"two partNumbers", part("partNumber=1&partNumber=2&uploadId={u}"), hostileWant{status: 400, code: "InvalidArgument"}},
		{"two versionIds", hostileReq{method: http.MethodGet, target: "/{b}/seed?versionId=null&versionId=forged"}, hostileWant{status: 400, code: "InvalidArgument"}},
		{"GET partNumber=0", hostileReq{method: http.MethodGet, target: "/{b}/seed?partNumber=0"}, badPart},
		// ListParts: "Argument max-parts must be an integer between 0 and
		// 2147483647" and the same for part-number-marker (InvalidArgument;
		// LocalStack test_list_parts_pagination snapshot).
		{"max-parts=-1", list("/mp?uploadId={u}&max-parts=-1"), hostileWant{status: 400, code: "InvalidArgument", field: "ArgumentName", value: "max-parts"}},
		{"max-parts=abc", list("/mp?uploadId={u}&max-parts=abc"), hostileWant{status: 400, code: "InvalidArgument", field: "ArgumentName", value: "max-parts"}},
		{"max-parts huge", list("/mp?uploadId={u}&max-parts=99999999999999"), hostileWant{status: 400, code: "InvalidArgument", field: "ArgumentName", value: "max-parts"}},
		{"part-number-marker=-1", list("/mp?uploadId={u}&part-number-marker=-1"), hostileWant{status: 400, code: "InvalidArgument", field: "ArgumentName", value: "part-number-marker"}},
		{"part-number-marker=abc", list("/mp?uploadId={u}&part-number-marker=abc"), hostileWant{status: 400, code: "InvalidArgument", field: "ArgumentName", value: "part-number-marker"}},
		// ListObjectsV2: "Provided max-keys not an integer or within
		// integer range" (InvalidArgument, ArgumentName max-keys).
		{"max-keys=-1", list("?list-type=2&max-keys=-1"), hostileWant{status: 400, code: "InvalidArgument", field: "ArgumentName", value: "max-keys"}},
		{"max-keys=abc", list("?list-type=2&max-keys=abc"), hostileWant{status: 400, code: "InvalidArgument", field: "ArgumentName", value: "max-keys"}},
		{"max-keys huge", list("?list-type=2&max-keys=99999999999999"), hostileWant{status: 400, code: "InvalidArgument", field: "ArgumentName", value: "max-keys"}},
		{"max-uploads=-1", list("?uploads&max-uploads=-1"), hostileWant{status: 400, code: "InvalidArgument", field: "ArgumentName", value: "max-uploads"}},
	}
}

// hostileAuthRows: forged, tampered and injected authentication.
func hostileAuthRows() []hostileRow {
	// replaceParam rewrites one query parameter of a presigned target.
	replaceParam := func(name, value string) func(string) string {
		return func(target string) string {
			path, rawQuery, _ := strings.Cut(target, "?")
			q, _ := url.ParseQuery(rawQuery)
			q.Set(name, value)
			return path + "?" + q.Encode()
		}
	}
	presigned := func(f func(string) string) hostileReq {
		return hostileReq{method: http.MethodPut, target: "/{b}/presigned?X-Amz-Expires=60", body: []byte("x"), presign: f}
	}
	return []hostileRow{
		// A presigned URL whose expiry or signature was changed no longer
		// matches its signature: 403 SignatureDoesNotMatch.
		{"presigned expiry lengthened", presigned(replaceParam("X-Amz-Expires", "604800")), hostileWant{status: 403, code: "SignatureDoesNotMatch"}},
		{"presigned signature forged", presigned(replaceParam("X-Amz-Signature", strings.Repeat("0", 64))), hostileWant{status: 403, code: "SignatureDoesNotMatch"}},
		// A date that no longer matches the credential scope:
		// AuthorizationQueryParametersError "Invalid credential date".
		{"presigned date moved", presigned(replaceParam("X-Amz-Date", "20991231T000000Z")), hostileWant{status: 400, code: "AuthorizationQueryParametersError"}},
		// X-Amz-Expires over a week or not a number:
		// AuthorizationQueryParametersError (sigv4-query-string-auth.html).
		{"presigned expiry over a week", presigned(replaceParam("X-Amz-Expires", "604801")), hostileWant{status: 400, code: "AuthorizationQueryParametersError"}},
		{"presigned expiry negative", presigned(replaceParam("X-Amz-Expires", "-1")), hostileWant{status: 400, code: "AuthorizationQueryParametersError"}},
		{"presigned expiry not a number", presigned(replaceParam("X-Amz-Expires", "soon")), hostileWant{status: 400, code: "AuthorizationQueryParametersError"}},
		// A presigned URL plus an Authorization header: "Only one auth
		// mechanism allowed" (InvalidArgument, ArgumentName Authorization).
		{"presigned plus Authorization header", hostileReq{method: http.MethodPut, target: "/{b}/presigned?X-Amz-Expires=60", body: []byte("x"),
			presign: func(s string) string { return s }, raw: []string{"Authorization: AWS4-HMAC-SHA256 Credential=" + accessKey + "/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=" + strings.Repeat("0", 64)}},
			hostileWant{status: 400, code: "InvalidArgument", field: "ArgumentName", value: "Authorization"}},
		// SigV2 with a forged signature: SignatureDoesNotMatch
		// (RESTAuthentication.html); and with a date from 2006,
		// RequestTimeTooSkewed before the signature is looked at.
		{"SigV2 forged signature", hostileReq{method: http.MethodPut, target: "/{b}/v2", body: []byte("x"), unsigned: true,
			raw: []string{"Date: " + time.Now().UTC().Format(http.TimeFormat), "Authorization: AWS " + accessKey + ":AAAAAAAAAAAAAAAAAAAAAAAAAAA="}},
			hostileWant{status: 403, code: "SignatureDoesNotMatch"}},
		{"SigV2 replayed from 2006", hostileReq{method: http.MethodPut, target: "/{b}/v2", body: []byte("x"), unsigned: true,
			raw: []string{"Date: Mon, 02 Jan 2006 15:04:05 GMT", "Authorization: AWS " + accessKey + ":AAAAAAAAAAAAAAAAAAAAAAAAAAA="}},
			hostileWant{status: 403, code: "RequestTimeTooSkewed"}},
		// A second Authorization header smuggled beside a valid one:
		// AuthorizationHeaderMalformed, as sigv4.Verify answers it (no
		// recorded S3 answer; S3 most plausibly refuses it as malformed).
		{"two Authorization headers", hostileReq{method: http.MethodPut, target: "/{b}/twoauth", body: []byte("x"),
			raw: []string{"Authorization: AWS " + accessKey + ":AAAAAAAAAAAAAAAAAAAAAAAAAAA="}},
			hostileWant{status: 400, code: "AuthorizationHeaderMalformed"}},
		// x-amz-content-sha256 that is neither a hash nor a known mode:
		// InvalidArgument (LocalStack test_put_object_with_invalid_sha256
		// snapshots: "x-amz-content-sha256 must be UNSIGNED-PAYLOAD,
		// STREAMING-UNSIGNED-PAYLOAD-TRAILER, … or a valid sha256 value.").
		{"x-amz-content-sha256 garbage", hostileReq{method: http.MethodPut, target: "/{b}/sha", body: []byte("x"), payload: "not-a-hash"},
			hostileWant{status: 400, code: "InvalidArgument", field: "ArgumentName", value: "x-amz-content-sha256"}},
		// A well-formed hash of other bytes: XAmzContentSHA256Mismatch.
		{"x-amz-content-sha256 of other bytes", hostileReq{method: http.MethodPut, target: "/{b}/sha", body: []byte("x"), payload: sha256Hex([]byte("y"))},
			hostileWant{status: 400, code: "XAmzContentSHA256Mismatch", field: "ClientComputedContentSHA256", value: sha256Hex([]byte("y"))}},
		// No signature at all on a private bucket: AccessDenied.
		{"anonymous PUT", hostileReq{method: http.MethodPut, target: "/{b}/anon", body: []byte("x"), unsigned: true},
			hostileWant{status: 403, code: "AccessDenied"}},
	}
}

// hostileChunkedRows: aws-chunked bodies that are forged, truncated or lie
// about their length (sigv4-streaming.html). A chunk whose signature does not
// chain is SignatureDoesNotMatch; a body that ends early is IncompleteBody.
func hostileChunkedRows() []hostileRow {
	data := randBytes(150_000, 14)
	const cs = 64 << 10
	chunked := func(sp chunkedSpec) func(*testing.T, *hostileEnv) *http.Request {
		return func(t *testing.T, e *hostileEnv) *http.Request {
			return buildSignedChunked(t, e.srv, objectPath(e.b, "chunked"), sp)
		}
	}
	lying := func(decoded int) func(*testing.T, *hostileEnv) *http.Request {
		return func(t *testing.T, e *hostileEnv) *http.Request {
			return buildSignedChunkedDecodedLen(t, e.srv, objectPath(e.b, "chunked"), chunkedSpec{data: data, chunkSize: cs}, decoded)
		}
	}
	valid := chunkedSpec{data: data, chunkSize: cs, corrupt: -1, tamper: -1}
	return []hostileRow{
		{"chunk signature forged", hostileReq{build: chunked(chunkedSpec{data: data, chunkSize: cs, corrupt: 1, tamper: -1})},
			hostileWant{status: 403, code: "SignatureDoesNotMatch"}},
		{"final chunk signature forged", hostileReq{build: chunked(chunkedSpec{data: data, chunkSize: cs, corrupt: 3, tamper: -1})},
			hostileWant{status: 403, code: "SignatureDoesNotMatch"}},
		{"chunk data swapped under a valid signature", hostileReq{build: chunked(chunkedSpec{data: data, chunkSize: cs, corrupt: -1, tamper: 0})},
			hostileWant{status: 403, code: "SignatureDoesNotMatch"}},
		{"aws-chunked body truncated mid-chunk", hostileReq{build: chunked(valid), cut: 40_000},
			hostileWant{status: 400, code: "IncompleteBody"}},
		{"aws-chunked body without its final chunk", hostileReq{build: chunked(valid), cut: 90},
			hostileWant{status: 400, code: "IncompleteBody"}},
		{"aws-chunked over chunked, truncated", hostileReq{build: chunked(chunkedSpec{data: data, chunkSize: cs, corrupt: -1, tamper: -1, chunked: true}), cut: 40_000},
			hostileWant{status: 400, code: "IncompleteBody"}},
		// x-amz-decoded-content-length that disagrees with the chunks:
		// S3 most plausibly answers IncompleteBody when the chunks carry
		// fewer bytes, and the request is refused either way.
		{"decoded length one more than sent", hostileReq{build: lying(len(data) + 1)}, hostileWant{status: 400, code: "IncompleteBody"}},
		{"decoded length one less than sent", hostileReq{build: lying(len(data) - 1)}, hostileWant{status: 400, code: "IncompleteBody"}},
		// "x-amz-decoded-content-length must be a non-negative integer".
		{"decoded length negative", hostileReq{build: lying(-1)}, hostileWant{status: 400, code: "InvalidArgument"}},
	}
}

// hostilePolicyRows: bucket policies that try to reach further than their
// writer may.
func hostilePolicyRows(e *hostileEnv) []hostileRow {
	policy := func(bucket string, stmts ...string) hostileReq {
		return hostileReq{method: http.MethodPut, target: "/" + bucket + "?policy", body: []byte(e.expand(acctDoc(stmts...)))}
	}
	allowAll := func(bucket string) string {
		return acctStmt("Allow", map[string]string{"Principal": `"*"`, "Action": `"s3:GetObject"`, "Resource": acctQuoted(acctObjARN(bucket, "*"))})
	}
	huge := acctStmt("Allow", map[string]string{"Principal": acctAWS(e.other.ID), "Action": `"s3:GetObject"`,
		"Resource": acctQuoted(acctObjARN(e.b, strings.Repeat("k", 21<<10)))})
	mallory := policy("{b}", acctStmt("Allow", map[string]string{"Principal": acctAWS(e.other.ID), "Action": `"s3:*"`, "Resource": acctList(acctBucketARN(e.b), acctObjARN(e.b, "*"))}))
	mallory.as = e.other
	return []hostileRow{
		// Only the owner (or whom it allows) may set a bucket's policy; a
		// stranger granting itself access gets AccessDenied (API_PutBucketPolicy).
		{"policy written by a stranger", mallory, hostileWant{status: 403, code: "AccessDenied"}},
		// BlockPublicPolicy refuses a public policy: AccessDenied
		// (access-control-block-public-access.html; cfg_public_access_test).
		{"public policy under BlockPublicPolicy", policy("{p}", allowAll("{p}")), hostileWant{status: 403, code: "AccessDenied"}},
		// Allow with NotPrincipal grants everyone but the named principal:
		// public, so blocked the same way.
		{"NotPrincipal allow under BlockPublicPolicy", policy("{p}", acctStmt("Allow", map[string]string{"NotPrincipal": acctAWS(e.other.ID), "Action": `"s3:GetObject"`, "Resource": acctQuoted(acctObjARN("{p}", "*"))})),
			hostileWant{status: 403, code: "AccessDenied"}},
		// A resource outside the bucket: MalformedPolicy "Policy has
		// invalid resource" (LocalStack test_put_bucket_policy_invalid_resource).
		{"policy resource of another bucket", policy("{b}", allowAll("someone-elses-bucket")), hostileWant{status: 400, code: "MalformedPolicy"}},
		{"policy resource of a bucket sharing the name's prefix", policy("{b}", allowAll("{b}-evil")), hostileWant{status: 400, code: "MalformedPolicy"}},
		// Bucket policies are limited to 20 KB (access-policy-language-overview.html):
		// MalformedPolicy "Policies must be less than 20 KB".
		{"policy over 20 KiB", policy("{b}", huge), hostileWant{status: 400, code: "MalformedPolicy"}},
		{"policy that is not JSON", hostileReq{method: http.MethodPut, target: "/{b}?policy", body: []byte(`<Policy/>`)}, hostileWant{status: 400, code: "MalformedPolicy"}},
	}
}

// hostileXMLOps are the operations that read an XML body, with the root
// element each expects.
//
// code is the answer to a document that is not XML; empty is the answer to
// a well-formed root with nothing in it ("wrong namespace", "huge
// attribute"), "" where such a document is a valid request (an empty tag
// set removes the tags; an empty block sets every flag false).
var hostileXMLOps = []struct{ name, method, target, root, code, empty string }{
	{"CompleteMultipartUpload", http.MethodPost, "/{b}/mp?uploadId={u}", "CompleteMultipartUpload", "MalformedXML", "MalformedXML"},
	{"DeleteObjects", http.MethodPost, "/{b}?delete", "Delete", "MalformedXML", "MalformedXML"},
	{"PutObjectTagging", http.MethodPut, "/{b}/seed?tagging", "Tagging", "MalformedXML", ""},
	// An empty lifecycle document: InvalidRequest "At least one lifecycle
	// rule must be specified" (lc_config_test).
	{"PutBucketLifecycleConfiguration", http.MethodPut, "/{b}?lifecycle", "LifecycleConfiguration", "MalformedXML", "InvalidRequest"},
	{"PutBucketCors", http.MethodPut, "/{b}?cors", "CORSConfiguration", "MalformedXML", "MalformedXML"},
	// No Status: IllegalVersioningConfigurationException (ver_config_test).
	{"PutBucketVersioning", http.MethodPut, "/{b}?versioning", "VersioningConfiguration", "MalformedXML", "IllegalVersioningConfigurationException"},
	{"PutObjectLockConfiguration", http.MethodPut, "/{b}?object-lock", "ObjectLockConfiguration", "MalformedXML", "MalformedXML"},
	{"PutBucketEncryption", http.MethodPut, "/{b}?encryption", "ServerSideEncryptionConfiguration", "MalformedXML", "MalformedXML"},
	// ACL bodies: MalformedACLError for anything malformed (LocalStack
	// test_s3_bucket_acl_exceptions, recorded against AWS).
	{"PutBucketAcl", http.MethodPut, "/{b}?acl", "AccessControlPolicy", "MalformedACLError", "MalformedACLError"},
	{"PutObjectAcl", http.MethodPut, "/{b}/seed?acl", "AccessControlPolicy", "MalformedACLError", "MalformedACLError"},
	{"PutBucketTagging", http.MethodPut, "/{b}?tagging", "Tagging", "MalformedXML", ""},
	{"PutPublicAccessBlock", http.MethodPut, "/{b}?publicAccessBlock", "PublicAccessBlockConfiguration", "MalformedXML", ""},
	{"PutBucketOwnershipControls", http.MethodPut, "/{b}?ownershipControls", "OwnershipControls", "MalformedXML", "MalformedXML"},
}

// hostileXMLRows sends every hostile document to every XML operation. S3
// answers a body that is not well-formed or does not validate against its
// schema with 400 MalformedXML ("The XML you provided was not well-formed
// or did not validate against our published schema", ErrorResponses.html);
// it never expands entities or fetches external ones. Each body carries a
// correct Content-MD5, so the answer is about the XML alone.
func hostileXMLRows() []hostileRow {
	var rows []hostileRow
	for _, op := range hostileXMLOps {
		docs := hostileXMLDocs(op.root)
		names := make([]string, 0, len(docs))
		for n := range docs {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			code := op.code
			if n == "wrong namespace" || n == "huge attribute" {
				if code = op.empty; code == "" {
					continue
				}
			}
			if n == "deep nesting" && op.root == "AccessControlPolicy" {
				continue // over the ACL body limit: the body limits' work decides the answer
			}
			rows = append(rows, hostileRow{
				name: op.name + " " + n,
				req: hostileReq{method: op.method, target: op.target, body: docs[n],
					hdr: map[string]string{"Content-Md5": md5B64(docs[n])}},
				want: hostileWant{status: 400, code: code},
			})
		}
	}
	return rows
}
