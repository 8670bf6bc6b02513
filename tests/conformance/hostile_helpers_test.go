package conformance

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// hostileEnv is one server with the state every hostile row must leave
// untouched: bucket b holds the object "seed" and an open multipart upload
// of "mp" with no parts; bucket p has BlockPublicPolicy on; other is an
// account that owns neither.
type hostileEnv struct {
	srv      *tesseratest.Server
	c        *s3.Client
	b, p     string
	uploadID string
	other    *tesseratest.Account
	baseline map[string]string
}

func hostileNew(t *testing.T) *hostileEnv {
	t.Helper()
	srv := tesseratest.New(t)
	e := &hostileEnv{srv: srv, c: sdkClient(srv), other: srv.NewAccount("mallory")}
	// ACLs enabled, so PutBucketAcl and PutObjectAcl read their bodies.
	e.b = cfgBucket(t, e.c, func(in *s3.CreateBucketInput) { in.ObjectOwnership = types.ObjectOwnershipObjectWriter })
	e.p = newBucket(t, e.c)
	put(t, e.c, e.b, "seed", []byte("seed body"))
	out, err := e.c.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String(e.b), Key: aws.String("mp")})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	e.uploadID = aws.ToString(out.UploadId)
	if _, err := e.c.PutPublicAccessBlock(ctx(), &s3.PutPublicAccessBlockInput{Bucket: aws.String(e.p),
		PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{BlockPublicPolicy: aws.Bool(true)}}); err != nil {
		t.Fatalf("PutPublicAccessBlock: %v", err)
	}
	e.baseline = e.snapshot(t)
	return e
}

// hostileReq is one request as it goes on the wire.
type hostileReq struct {
	method string
	// target is the request target, sent byte for byte; {b}, {p} and {u}
	// stand for the two buckets and the open upload's id.
	target string
	hdr    map[string]string // signed headers
	raw    []string          // header lines sent unsigned, as written
	body   []byte
	// length is the Content-Length line's value: "" for len(body), "none"
	// for no line at all, anything else is sent as written.
	length string
	// payload is x-amz-content-sha256: "" for the SHA-256 of body.
	payload string
	// as signs with another account's key (nil: the root account).
	as *tesseratest.Account
	// presign, when set, sends the request presigned (no Authorization
	// header); it rewrites the presigned URL's target before sending.
	presign func(target string) string
	// unsigned sends no signature at all.
	unsigned bool
	// build, when set, makes the whole request (for hand-signed
	// aws-chunked bodies); it is written as Request.Write writes it.
	build func(t *testing.T, e *hostileEnv) *http.Request
	// cut drops that many bytes from the end of what goes on the wire,
	// then closes the sending side: a client that went away mid-body.
	cut int
}

// hostileWant is S3's answer: status, error Code (none when "") and, when
// field is set, an element of the error body that must hold value.
type hostileWant struct {
	status       int
	code         string
	field, value string
	body         string // the whole body of a 200, when set
	stores       string // a key the request stores as written (then removed)
}

func (e *hostileEnv) expand(s string) string {
	return strings.NewReplacer("{b}", e.b, "{p}", e.p, "{u}", e.uploadID).Replace(s)
}

// send writes r on a fresh connection and returns the response with its
// body. Nothing in the bytes is corrected by an HTTP client.
func (e *hostileEnv) send(t *testing.T, hr hostileReq) (*http.Response, []byte) {
	t.Helper()
	r, wire := e.wire(t, hr)
	wire = wire[:len(wire)-hr.cut]
	conn, err := net.Dial("tcp", e.srv.DirectHost())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	// The server may answer before reading everything; write in the
	// background so neither side waits on the other.
	go func() {
		if _, err := conn.Write(wire); err == nil && hr.cut > 0 {
			conn.(*net.TCPConn).CloseWrite()
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), r)
	if err != nil {
		t.Fatalf("%s %.120q: reading the response: %v", r.Method, r.URL.RequestURI(), err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp, body
}

// wire returns the request and its bytes as they go on the connection.
func (e *hostileEnv) wire(t *testing.T, hr hostileReq) (*http.Request, []byte) {
	t.Helper()
	var out bytes.Buffer
	if hr.build != nil {
		r := hr.build(t, e)
		if err := r.Write(&out); err != nil {
			t.Fatalf("writing the request: %v", err)
		}
		return r, out.Bytes()
	}
	target := e.expand(hr.target)
	u, err := url.Parse(e.srv.URL + target)
	if err != nil {
		t.Fatalf("parse target %q: %v", target, err)
	}
	r := &http.Request{Method: hr.method, URL: u, Host: u.Host, Header: http.Header{}, ContentLength: int64(len(hr.body))}
	for k, v := range hr.hdr {
		r.Header.Set(k, e.expand(v))
	}
	payload := hr.payload
	if payload == "" {
		payload = sha256Hex(hr.body)
	}
	ak, sk := accessKey, secretKey
	if hr.as != nil {
		ak, sk = hr.as.AccessKey, hr.as.SecretKey
	}
	switch {
	case hr.presign != nil:
		signed := tesseratest.PresignRegion(t, r, time.Now(), ak, sk, e.srv.Region())
		pu, err := url.Parse(signed)
		if err != nil {
			t.Fatalf("presigned URL %q: %v", signed, err)
		}
		target = hr.presign(pu.RequestURI())
		r.Header.Del("Authorization")
	case !hr.unsigned:
		tesseratest.SignRegion(t, r, payload, time.Now(), ak, sk, e.srv.Region())
	}
	fmt.Fprintf(&out, "%s %s HTTP/1.1\r\nHost: %s\r\n", hr.method, target, u.Host)
	for k, vs := range r.Header {
		for _, v := range vs {
			fmt.Fprintf(&out, "%s: %s\r\n", k, v)
		}
	}
	for _, l := range hr.raw {
		out.WriteString(e.expand(l) + "\r\n")
	}
	switch hr.length {
	case "":
		fmt.Fprintf(&out, "Content-Length: %d\r\n", len(hr.body))
	case "none":
	default:
		fmt.Fprintf(&out, "Content-Length: %s\r\n", hr.length)
	}
	out.WriteString("Connection: close\r\n\r\n")
	out.Write(hr.body)
	return r, out.Bytes()
}

// check compares an answer with S3's.
func (w hostileWant) check(t *testing.T, resp *http.Response, body []byte) {
	t.Helper()
	if resp.StatusCode != w.status {
		t.Errorf("status = %d, want %d (body %.400s)", resp.StatusCode, w.status, body)
	}
	if w.body != "" && string(body) != w.body {
		t.Errorf("body = %.200q, want %q", body, w.body)
	}
	if w.code == "" {
		return
	}
	var doc struct {
		Code   string
		Fields []struct {
			XMLName xml.Name
			Value   string `xml:",chardata"`
		} `xml:",any"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Errorf("error body is not S3 error XML: %v (body %.400s)", err, body)
		return
	}
	if doc.Code != w.code {
		t.Errorf("Code = %q, want %q (body %.400s)", doc.Code, w.code, body)
	}
	if w.field == "" {
		return
	}
	for _, f := range doc.Fields {
		if f.XMLName.Local == w.field {
			if f.Value != w.value {
				t.Errorf("%s = %q, want %q", w.field, f.Value, w.value)
			}
			return
		}
	}
	t.Errorf("error body has no %s (body %.400s)", w.field, body)
}

// hostileReads are the reads whose answers make up a snapshot: every
// listing and every configuration a hostile request could have changed.
var hostileReads = []string{
	"/{b}?list-type=2", "/{b}?versions", "/{b}?uploads", "/{b}/mp?uploadId={u}",
	"/{b}?cors", "/{b}?lifecycle", "/{b}?tagging", "/{b}?policy", "/{p}?policy",
	"/{b}?publicAccessBlock", "/{b}?ownershipControls", "/{b}?versioning",
	"/{b}?object-lock", "/{b}?encryption", "/{b}?acl",
	"/{b}/seed", "/{b}/seed?tagging", "/{b}/seed?acl", "/?x-id=ListBuckets",
}

// snapshot reads everything in hostileReads: a 200's body, or an error's
// status and Code (the RequestId differs on every answer).
func (e *hostileEnv) snapshot(t *testing.T) map[string]string {
	t.Helper()
	s := make(map[string]string, len(hostileReads))
	for _, p := range hostileReads {
		resp, body := e.srv.Do(t, http.MethodGet, e.expand(p), nil, nil, "")
		if resp.StatusCode == http.StatusOK {
			s[p] = string(body)
			continue
		}
		var er s3Error
		xml.Unmarshal(body, &er)
		s[p] = fmt.Sprintf("%d %s", resp.StatusCode, er.Code)
	}
	return s
}

// wantUnchanged fails when any read of the snapshot answers differently
// than before the row: the hostile request stored nothing.
func (e *hostileEnv) wantUnchanged(t *testing.T) {
	t.Helper()
	now := e.snapshot(t)
	keys := make([]string, 0, len(now))
	for k := range now {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if now[k] != e.baseline[k] {
			t.Errorf("GET %s changed:\n was %.600s\n now %.600s", k, e.baseline[k], now[k])
		}
	}
}

// wantListed fails unless every listing answers 200 while key exists and
// the URL-encoded ListObjectsV2 names it exactly.
func (e *hostileEnv) wantListed(t *testing.T, key string) {
	t.Helper()
	for _, q := range []string{"?list-type=2", "", "?versions", "?list-type=2&encoding-type=url"} {
		resp, body := e.srv.Do(t, http.MethodGet, "/"+e.b+q, nil, nil, "")
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET /%s%s with %q stored: %d (body %.300s)", e.b, q, key, resp.StatusCode, body)
		}
		if strings.Contains(q, "encoding-type=url") && !listsKey(body, key) {
			t.Errorf("encoding-type=url listing does not name %q (body %.600s)", key, body)
		}
	}
}

// listsKey reports whether a URL-encoded ListObjectsV2 page names key.
func listsKey(body []byte, key string) bool {
	var page struct {
		Contents []struct{ Key string }
	}
	if xml.Unmarshal(body, &page) != nil {
		return false
	}
	for _, c := range page.Contents {
		if k, err := url.QueryUnescape(c.Key); err == nil && k == key {
			return true
		}
	}
	return false
}

// wantHealthy fails unless the server reports itself ready.
func (e *hostileEnv) wantHealthy(t *testing.T) {
	t.Helper()
	resp, err := e.srv.HTTPClient().Get(e.srv.URL + "/_tessera/health/ready")
	if err != nil {
		t.Fatalf("health: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /_tessera/health/ready = %d, want 200", resp.StatusCode)
	}
}

// hostileXML is a family of broken or hostile documents sent to every
// operation that reads an XML body.
func hostileXMLDocs(root string) map[string][]byte {
	var deep strings.Builder
	deep.WriteString("<" + root + ">")
	for range 10000 {
		deep.WriteString("<a>")
	}
	for range 10000 {
		deep.WriteString("</a>")
	}
	deep.WriteString("</" + root + ">")
	laughs := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">` +
		`<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
		`<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">` +
		`<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>` +
		`<` + root + `>&lol3;</` + root + `>`
	return map[string][]byte{
		"billion laughs":   []byte(laughs),
		"external entity":  []byte(`<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><` + root + `>&xxe;</` + root + `>`),
		"deep nesting":     []byte(deep.String()),
		"unclosed tag":     []byte(`<` + root + `><a>`),
		"wrong encoding":   append([]byte(`<?xml version="1.0" encoding="UTF-16"?>`), utf16LE("<"+root+"/>")...),
		"huge attribute":   []byte(`<` + root + ` a="` + strings.Repeat("A", 60<<10) + `"></` + root + `>`),
		"wrong root":       []byte(`<NotTheRoot xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></NotTheRoot>`),
		"not XML at all":   []byte(`{"json": true}`),
		"wrong namespace":  []byte(`<` + root + ` xmlns="http://evil.example/ns"></` + root + `>`),
		"NUL byte in text": []byte("<" + root + ">\x00</" + root + ">"),
	}
}

func utf16LE(s string) []byte {
	b := make([]byte, 0, 2*len(s))
	for _, r := range s {
		b = append(b, byte(r), byte(r>>8))
	}
	return b
}
