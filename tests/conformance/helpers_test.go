// Package conformance drives a real Tessera server (started on 127.0.0.1 by
// tesseratest) with real S3 clients — aws-sdk-go-v2 with its default
// checksum settings, minio-go, and hand-signed raw HTTP requests — and checks
// the answers against S3's documented behaviour.
package conformance

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/encoding/httpbinding"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

const (
	accessKey = tesseratest.AccessKey
	secretKey = tesseratest.SecretKey
	region    = tesseratest.Region

	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	emptyMD5    = "d41d8cd98f00b204e9800998ecf8427e"
)

func ctx() context.Context { return context.Background() }

var bucketSeq atomic.Int64

// bucketName returns a fresh, valid bucket name derived from the test name.
func bucketName(t testing.TB) string {
	var b strings.Builder
	for _, r := range strings.ToLower(t.Name()) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			if s := b.String(); len(s) > 0 && s[len(s)-1] != '-' {
				b.WriteByte('-')
			}
		}
	}
	name := strings.Trim(b.String(), "-")
	if len(name) > 40 {
		name = strings.Trim(name[len(name)-40:], "-")
	}
	return fmt.Sprintf("b%d-%s", bucketSeq.Add(1), name)
}

// newBucket creates a fresh bucket with the SDK client.
func newBucket(t testing.TB, c *s3.Client) string {
	t.Helper()
	name := bucketName(t)
	if _, err := c.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("CreateBucket(%s): %v", name, err)
	}
	return name
}

// randBytes returns n deterministic pseudo-random bytes.
func randBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func md5Hex(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }
func md5B64(b []byte) string { s := md5.Sum(b); return base64.StdEncoding.EncodeToString(s[:]) }
func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// put stores body under key with the SDK and fails the test on error.
func put(t testing.TB, c *s3.Client, bucket, key string, body []byte, mods ...func(*s3.PutObjectInput)) *s3.PutObjectOutput {
	t.Helper()
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}
	for _, m := range mods {
		m(in)
	}
	out, err := c.PutObject(ctx(), in)
	if err != nil {
		t.Fatalf("PutObject(%s/%q): %v", bucket, key, err)
	}
	return out
}

// get reads an object with the SDK and fails the test on error.
func get(t testing.TB, c *s3.Client, bucket, key string) ([]byte, *s3.GetObjectOutput) {
	t.Helper()
	out, err := c.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject(%s/%q): %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("GetObject(%s/%q): reading body: %v", bucket, key, err)
	}
	return b, out
}

// head returns HeadObject's output, or nil and the HTTP status of the failure.
func head(t testing.TB, c *s3.Client, bucket, key string) (*s3.HeadObjectOutput, int) {
	t.Helper()
	out, err := c.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, httpStatus(err)
	}
	return out, http.StatusOK
}

// wantAbsent fails unless HeadObject answers 404 for the key.
func wantAbsent(t testing.TB, c *s3.Client, bucket, key string) {
	t.Helper()
	if _, st := head(t, c, bucket, key); st != http.StatusNotFound {
		t.Errorf("HeadObject(%s/%q) status = %d, want 404: the failed write must store nothing", bucket, key, st)
	}
}

// wantBody fails unless the object's bytes equal want.
func wantBody(t testing.TB, c *s3.Client, bucket, key string, want []byte) {
	t.Helper()
	got, _ := get(t, c, bucket, key)
	if !bytes.Equal(got, want) {
		t.Errorf("GetObject(%s/%q) = %d bytes (md5 %s), want %d bytes (md5 %s)", bucket, key, len(got), md5Hex(got), len(want), md5Hex(want))
	}
}

// httpStatus is the HTTP status of an SDK error (0 if there is none).
func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// wantErr checks an SDK error's S3 code (skipped when "") and HTTP status
// (skipped when 0).
func wantErr(t testing.TB, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Errorf("got success, want error %s (HTTP %d)", code, status)
		return
	}
	if code != "" {
		var ae smithy.APIError
		if !errors.As(err, &ae) {
			t.Errorf("got non-API error %v, want %s", err, code)
			return
		}
		if ae.ErrorCode() != code {
			t.Errorf("error code = %q, want %q (err: %v)", ae.ErrorCode(), code, err)
		}
	}
	if status != 0 {
		if got := httpStatus(err); got != status {
			t.Errorf("HTTP status = %d, want %d (err: %v)", got, status, err)
		}
	}
}

// wantMinioErr checks a minio-go error's code and status.
func wantMinioErr(t testing.TB, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Errorf("got success, want error %s (HTTP %d)", code, status)
		return
	}
	r := minio.ToErrorResponse(err)
	if code != "" && r.Code != code {
		t.Errorf("minio error code = %q, want %q (err: %v)", r.Code, code, err)
	}
	if status != 0 && r.StatusCode != status {
		t.Errorf("minio HTTP status = %d, want %d (err: %v)", r.StatusCode, status, err)
	}
}

// ---- recording transport -------------------------------------------------

type exchange struct {
	Method           string
	Host             string
	Path             string
	RawQuery         string
	Header           http.Header
	ContentLength    int64
	TransferEncoding []string
	Status           int
	RespHeader       http.Header
}

// recorder is an http.RoundTripper that remembers what went over the wire.
type recorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	ex   []exchange
}

func newRecorder(base http.RoundTripper) *recorder {
	if base == nil {
		base = http.DefaultTransport
	}
	return &recorder{base: base}
}

func (rc *recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	e := exchange{
		Method: r.Method, Host: host, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
		Header: r.Header.Clone(), ContentLength: r.ContentLength,
		TransferEncoding: append([]string(nil), r.TransferEncoding...),
	}
	resp, err := rc.base.RoundTrip(r)
	if resp != nil {
		e.Status = resp.StatusCode
		e.RespHeader = resp.Header.Clone()
	}
	rc.mu.Lock()
	rc.ex = append(rc.ex, e)
	rc.mu.Unlock()
	return resp, err
}

func (rc *recorder) all() []exchange {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]exchange(nil), rc.ex...)
}

// last returns the last exchange with the method.
func (rc *recorder) last(method string) exchange {
	all := rc.all()
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].Method == method {
			return all[i]
		}
	}
	return exchange{}
}

// sdkDefaults gives a client built from a hand-made aws.Config the checksum
// settings config.LoadDefaultConfig gives every real user: request checksums
// and response validation "when supported". Without it (the zero value is
// "unset") the SDK sends no checksum at all and never uses aws-chunked.
func sdkDefaults(o *s3.Options) {
	o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenSupported
	o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenSupported
}

// sdkClient returns an aws-sdk-go-v2 client for srv with the SDK's real
// default checksum behaviour.
func sdkClient(srv *tesseratest.Server, optFns ...func(*s3.Options)) *s3.Client {
	return srv.S3(append([]func(*s3.Options){sdkDefaults}, optFns...)...)
}

// recordingS3 returns an SDK client for srv whose traffic rc records.
func recordingS3(srv *tesseratest.Server, optFns ...func(*s3.Options)) (*s3.Client, *recorder) {
	rc := newRecorder(srv.HTTPClient().Transport)
	hc := &http.Client{Transport: rc}
	return sdkClient(srv, append([]func(*s3.Options){func(o *s3.Options) { o.HTTPClient = hc }}, optFns...)...), rc
}

// recordingMinio returns a minio-go client for srv whose traffic rc records.
func recordingMinio(t testing.TB, srv *tesseratest.Server, secure bool, mod func(*minio.Options)) (*minio.Client, *recorder) {
	t.Helper()
	rc := newRecorder(srv.HTTPClient().Transport)
	o := &minio.Options{
		Creds:     miniocreds.NewStaticV4(accessKey, secretKey, ""),
		Secure:    secure,
		Region:    region,
		Transport: rc,
	}
	if mod != nil {
		mod(o)
	}
	c, err := minio.New(srv.Host(), o)
	if err != nil {
		t.Fatalf("minio.New: %v", err)
	}
	return c, rc
}

// ---- raw signed requests -------------------------------------------------

// objectPath returns "/bucket/key" with the key escaped as the SDK escapes it.
func objectPath(bucket, key string) string {
	if key == "" {
		return "/" + bucket
	}
	return "/" + bucket + "/" + httpbinding.EscapePath(key, false)
}

// newRaw builds a request to srv. body may be nil.
func newRaw(t testing.TB, srv *tesseratest.Server, method, pathAndQuery string, body []byte) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r, err := http.NewRequest(method, srv.URL+pathAndQuery, rd)
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	if body == nil {
		r.ContentLength = 0
	}
	return r
}

// signV4With signs r in the Authorization header with the payload hash (sent
// as x-amz-content-sha256) at the time ts, with the given credentials.
func signV4With(t testing.TB, r *http.Request, payloadHash string, ts time.Time, ak, sk string) {
	t.Helper()
	tesseratest.Sign(t, r, payloadHash, ts, ak, sk)
}

func signV4(t testing.TB, r *http.Request, payloadHash string) {
	t.Helper()
	signV4With(t, r, payloadHash, time.Now(), accessKey, secretKey)
}

// do sends r with srv's HTTP client and returns the response and its body.
func do(t testing.TB, srv *tesseratest.Server, r *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := srv.HTTPClient().Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", r.Method, r.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", r.Method, r.URL, err)
	}
	return resp, b
}

// s3Error is S3's XML error body.
type s3Error struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Resource  string   `xml:"Resource"`
	RequestID string   `xml:"RequestId"`
	HostID    string   `xml:"HostId"`
}

// wantRawErr checks a raw response's status and XML error code.
func wantRawErr(t testing.TB, resp *http.Response, body []byte, code string, status int) s3Error {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("%s %s: status = %d, want %d (body %.300s)", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, status, body)
	}
	var e s3Error
	if resp.Request.Method == http.MethodHead {
		return e
	}
	if err := xml.Unmarshal(body, &e); err != nil {
		t.Errorf("%s %s: error body is not S3 error XML: %v (body %.300s)", resp.Request.Method, resp.Request.URL.Path, err, body)
		return e
	}
	if code != "" && e.Code != code {
		t.Errorf("%s %s: error code = %q, want %q (message %q)", resp.Request.Method, resp.Request.URL.Path, e.Code, code, e.Message)
	}
	return e
}

func wantStatus(t testing.TB, resp *http.Response, body []byte, status int) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("%s %s: status = %d, want %d (body %.300s)", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, status, body)
	}
}

// ---- SigV4 pieces for hand-built streaming bodies ------------------------

func hmacSHA256(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

func signingKey(secret, date string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, "s3")
	return hmacSHA256(k, "aws4_request")
}

// seedSignature extracts the Signature= value of a SigV4 Authorization header.
func seedSignature(t testing.TB, r *http.Request) string {
	t.Helper()
	a := r.Header.Get("Authorization")
	i := strings.Index(a, "Signature=")
	if i < 0 {
		t.Fatalf("no Signature in Authorization %q", a)
	}
	return a[i+len("Signature="):]
}

// corruptHex flips one hex digit of a signature.
func corruptHex(s string) string {
	b := []byte(s)
	if b[5] == '0' {
		b[5] = '1'
	} else {
		b[5] = '0'
	}
	return string(b)
}

// apiCode is the S3 error code of an SDK error ("" if none).
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func minioMakeBucketOptions() minio.MakeBucketOptions {
	return minio.MakeBucketOptions{Region: region}
}
