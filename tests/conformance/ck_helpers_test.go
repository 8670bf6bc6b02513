package conformance

// Helpers of the checksum conformance tests (ck_*_test.go). Every checksum
// the tests expect is computed here, independently of the server, from the
// standard library (hash/crc32, hash/crc64 with the NVMe polynomial,
// crypto/*) and the reference xxHash implementations.

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/crc64"
	"io"
	"math/rand/v2"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/cespare/xxhash/v2"
	"github.com/zeebo/xxh3"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

func ckCtx() context.Context { return context.Background() }

// ckNVMEPoly is the CRC-64/NVME polynomial 0xAD93D23594C93659, bit-reversed
// as hash/crc64 wants it. hash/crc64 inverts the CRC before and after, so
// crc64.Checksum with this table is exactly CRC-64/NVME.
const ckNVMEPoly = 0x9a6c9329ac4bc9b5

var ckNVMETable = crc64.MakeTable(ckNVMEPoly)

// ckAlgs are the five original S3 checksum algorithms.
var ckAlgs = []string{"CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"}

// ckNewAlgs are the algorithms the 2026 SDK enums added.
var ckNewAlgs = []string{"MD5", "SHA512", "XXHASH64", "XXHASH3", "XXHASH128"}

// ckUnsupportedAlgorithm is S3's answer to an unknown checksum algorithm
// since it added five in 2026: every algorithm, alphabetically (versitygw's
// s3err table after its PR #2102, calibrated against S3).
const ckUnsupportedAlgorithm = "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, MD5, SHA1, SHA256, SHA512, XXHASH128, XXHASH3, XXHASH64]"

// ckRaw returns the raw digest of data under alg, computed independently.
func ckRaw(alg string, data []byte) []byte {
	switch strings.ToUpper(alg) {
	case "CRC32":
		return binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(data))
	case "CRC32C":
		return binary.BigEndian.AppendUint32(nil, crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)))
	case "CRC64NVME":
		return binary.BigEndian.AppendUint64(nil, crc64.Checksum(data, ckNVMETable))
	case "SHA1":
		s := sha1.Sum(data)
		return s[:]
	case "SHA256":
		s := sha256.Sum256(data)
		return s[:]
	case "MD5":
		s := md5.Sum(data)
		return s[:]
	case "SHA512":
		s := sha512.Sum512(data)
		return s[:]
	case "XXHASH64":
		return binary.BigEndian.AppendUint64(nil, xxhash.Sum64(data))
	case "XXHASH3":
		return binary.BigEndian.AppendUint64(nil, xxh3.Hash(data))
	case "XXHASH128":
		h := xxh3.Hash128(data)
		b := binary.BigEndian.AppendUint64(nil, h.Hi)
		return binary.BigEndian.AppendUint64(b, h.Lo)
	}
	panic("ckRaw: unknown algorithm " + alg)
}

// ckSum is base64(ckRaw(alg, data)), the form S3 puts in headers and XML.
func ckSum(alg string, data []byte) string {
	return base64.StdEncoding.EncodeToString(ckRaw(alg, data))
}

// ckComposite is the COMPOSITE checksum of a multipart object with these
// parts: base64(H(concat of raw part digests)) + "-N".
func ckComposite(alg string, parts [][]byte) string {
	var digests []byte
	for _, p := range parts {
		digests = append(digests, ckRaw(alg, p)...)
	}
	return fmt.Sprintf("%s-%d", ckSum(alg, digests), len(parts))
}

// ckMultipartETag is the ETag of a multipart object, quoted.
func ckMultipartETag(parts [][]byte) string {
	h := md5.New()
	for _, p := range parts {
		s := md5.Sum(p)
		h.Write(s[:])
	}
	return fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(h.Sum(nil)), len(parts))
}

func ckMD5ETag(b []byte) string { s := md5.Sum(b); return `"` + hex.EncodeToString(s[:]) + `"` }

func ckConcat(parts [][]byte) []byte { return bytes.Join(parts, nil) }

// ckRand returns n deterministic pseudo-random bytes.
func ckRand(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// ckTamper returns a well-formed value of the same length that differs.
func ckTamper(alg string, data []byte) string {
	raw := ckRaw(alg, data)
	raw[0] ^= 0xff
	return base64.StdEncoding.EncodeToString(raw)
}

// ---------------------------------------------------------------------------
// Recording transport

// ckExchange is one recorded HTTP exchange.
type ckExchange struct {
	Method, URL string
	ReqHeader   http.Header
	Status      int
	RespHeader  http.Header
}

// ckRecorder records every request's and response's headers. When
// corrupt is set, it flips one bit of every x-amz-checksum-* response
// header value, to show that the SDK really validates what it gets.
type ckRecorder struct {
	base    http.RoundTripper
	corrupt atomic.Bool
	mu      sync.Mutex
	ex      []ckExchange
}

func (rc *ckRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	e := ckExchange{Method: r.Method, URL: r.URL.String(), ReqHeader: r.Header.Clone()}
	resp, err := rc.base.RoundTrip(r)
	if err == nil {
		if rc.corrupt.Load() {
			for k, vs := range resp.Header {
				if strings.HasPrefix(strings.ToLower(k), "x-amz-checksum-") && !strings.EqualFold(k, "x-amz-checksum-type") && len(vs) == 1 {
					raw, derr := base64.StdEncoding.DecodeString(vs[0])
					if derr == nil && len(raw) > 0 {
						raw[len(raw)-1] ^= 1
						resp.Header[k] = []string{base64.StdEncoding.EncodeToString(raw)}
					}
				}
			}
		}
		e.Status, e.RespHeader = resp.StatusCode, resp.Header.Clone()
	}
	rc.mu.Lock()
	rc.ex = append(rc.ex, e)
	rc.mu.Unlock()
	return resp, err
}

// last returns the last exchange with this method and a URL containing sub.
func (rc *ckRecorder) last(t testing.TB, method, sub string) ckExchange {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for i := len(rc.ex) - 1; i >= 0; i-- {
		if rc.ex[i].Method == method && strings.Contains(rc.ex[i].URL, sub) {
			return rc.ex[i]
		}
	}
	t.Fatalf("no %s request with %q recorded", method, sub)
	return ckExchange{}
}

// ---------------------------------------------------------------------------
// Environment

// ckEnv is a server, a bucket on it and an aws-sdk-go-v2 client with
// checksum calculation and response validation set to WhenSupported.
type ckEnv struct {
	t      testing.TB
	srv    *tesseratest.Server
	tls    bool
	rec    *ckRecorder
	c      *s3.Client // WhenSupported, recorded
	bucket string
}

var ckBucketSeq atomic.Int64

// ckWhenSupported is the checksum configuration the tests run with.
func ckWhenSupported(o *s3.Options) {
	o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenSupported
	o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenSupported
}

// ckWhenRequired makes the SDK send no checksum unless an operation needs one.
func ckWhenRequired(o *s3.Options) {
	o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
}

func ckNew(t testing.TB, tls bool, opts ...tesseratest.Option) *ckEnv {
	t.Helper()
	if tls {
		opts = append([]tesseratest.Option{tesseratest.WithTLS()}, opts...)
	}
	srv := tesseratest.New(t, opts...)
	e := &ckEnv{t: t, srv: srv, tls: tls}
	e.c, e.rec = e.client(ckWhenSupported)
	e.bucket = fmt.Sprintf("ck-%d-%d", time.Now().UnixNano()%1e9, ckBucketSeq.Add(1))
	if _, err := e.c.CreateBucket(ckCtx(), &s3.CreateBucketInput{Bucket: aws.String(e.bucket)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	return e
}

// client returns a new recorded SDK client with extra options.
func (e *ckEnv) client(optFns ...func(*s3.Options)) (*s3.Client, *ckRecorder) {
	rec := &ckRecorder{base: e.srv.HTTPClient().Transport}
	if rec.base == nil {
		rec.base = http.DefaultTransport
	}
	fns := append([]func(*s3.Options){func(o *s3.Options) {
		o.HTTPClient = &http.Client{Transport: rec}
	}}, optFns...)
	return e.srv.S3(fns...), rec
}

func (e *ckEnv) scheme() string {
	if e.tls {
		return "tls"
	}
	return "http"
}

// put stores body with the default client and fails the test on error.
func (e *ckEnv) put(key string, body []byte, mods ...func(*s3.PutObjectInput)) *s3.PutObjectOutput {
	e.t.Helper()
	in := &s3.PutObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key), Body: bytes.NewReader(body)}
	for _, m := range mods {
		m(in)
	}
	out, err := e.c.PutObject(ckCtx(), in)
	if err != nil {
		e.t.Fatalf("PutObject %s: %v", key, err)
	}
	return out
}

// headCK is HeadObject with checksum mode ENABLED.
func (e *ckEnv) headCK(key string) *s3.HeadObjectOutput {
	e.t.Helper()
	out, err := e.c.HeadObject(ckCtx(), &s3.HeadObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		e.t.Fatalf("HeadObject %s: %v", key, err)
	}
	return out
}

// getCK is GetObject with checksum mode ENABLED; it reads the whole body
// (so the SDK's validation runs) and returns it with the output and the
// algorithms the SDK validated.
func (e *ckEnv) getCK(key string, mods ...func(*s3.GetObjectInput)) ([]byte, *s3.GetObjectOutput, []string) {
	e.t.Helper()
	in := &s3.GetObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled}
	for _, m := range mods {
		m(in)
	}
	out, err := e.c.GetObject(ckCtx(), in)
	if err != nil {
		e.t.Fatalf("GetObject %s: %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		e.t.Fatalf("GetObject %s: reading body (SDK checksum validation?): %v", key, err)
	}
	var used []string
	if m, ok := s3.GetChecksumValidationMetadata(out.ResultMetadata); ok {
		used = m.AlgorithmsUsed
	}
	return b, out, used
}

// wantAbsent asserts key does not exist.
func (e *ckEnv) wantAbsent(key string) {
	e.t.Helper()
	_, err := e.c.HeadObject(ckCtx(), &s3.HeadObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key)})
	if err == nil {
		e.t.Errorf("HeadObject %s: object exists, want 404 (nothing stored)", key)
		return
	}
	if s := ckStatus(err); s != 404 {
		e.t.Errorf("HeadObject %s: status %d (%v), want 404", key, s, err)
	}
}

// ---------------------------------------------------------------------------
// Checksum output accessors: the SDK spreads checksums over one field per
// algorithm; these read them by name.

type ckFields struct {
	CRC32, CRC32C, CRC64NVME, SHA1, SHA256, MD5, SHA512, XXHASH64, XXHASH3, XXHASH128 *string
	Type                                                                              string
}

func (f ckFields) get(alg string) string {
	var p *string
	switch strings.ToUpper(alg) {
	case "CRC32":
		p = f.CRC32
	case "CRC32C":
		p = f.CRC32C
	case "CRC64NVME":
		p = f.CRC64NVME
	case "SHA1":
		p = f.SHA1
	case "SHA256":
		p = f.SHA256
	case "MD5":
		p = f.MD5
	case "SHA512":
		p = f.SHA512
	case "XXHASH64":
		p = f.XXHASH64
	case "XXHASH3":
		p = f.XXHASH3
	case "XXHASH128":
		p = f.XXHASH128
	}
	return aws.ToString(p)
}

// set returns the names of the algorithms that have a value.
func (f ckFields) set() []string {
	var out []string
	for _, a := range append(append([]string{}, ckAlgs...), ckNewAlgs...) {
		if f.get(a) != "" {
			out = append(out, a)
		}
	}
	return out
}

func ckPutFields(o *s3.PutObjectOutput) ckFields {
	return ckFields{o.ChecksumCRC32, o.ChecksumCRC32C, o.ChecksumCRC64NVME, o.ChecksumSHA1, o.ChecksumSHA256, o.ChecksumMD5, o.ChecksumSHA512, o.ChecksumXXHASH64, o.ChecksumXXHASH3, o.ChecksumXXHASH128, string(o.ChecksumType)}
}

func ckHeadFields(o *s3.HeadObjectOutput) ckFields {
	return ckFields{o.ChecksumCRC32, o.ChecksumCRC32C, o.ChecksumCRC64NVME, o.ChecksumSHA1, o.ChecksumSHA256, o.ChecksumMD5, o.ChecksumSHA512, o.ChecksumXXHASH64, o.ChecksumXXHASH3, o.ChecksumXXHASH128, string(o.ChecksumType)}
}

func ckGetFields(o *s3.GetObjectOutput) ckFields {
	return ckFields{o.ChecksumCRC32, o.ChecksumCRC32C, o.ChecksumCRC64NVME, o.ChecksumSHA1, o.ChecksumSHA256, o.ChecksumMD5, o.ChecksumSHA512, o.ChecksumXXHASH64, o.ChecksumXXHASH3, o.ChecksumXXHASH128, string(o.ChecksumType)}
}

func ckCompleteFields(o *s3.CompleteMultipartUploadOutput) ckFields {
	return ckFields{o.ChecksumCRC32, o.ChecksumCRC32C, o.ChecksumCRC64NVME, o.ChecksumSHA1, o.ChecksumSHA256, o.ChecksumMD5, o.ChecksumSHA512, o.ChecksumXXHASH64, o.ChecksumXXHASH3, o.ChecksumXXHASH128, string(o.ChecksumType)}
}

func ckUploadPartFields(o *s3.UploadPartOutput) ckFields {
	return ckFields{o.ChecksumCRC32, o.ChecksumCRC32C, o.ChecksumCRC64NVME, o.ChecksumSHA1, o.ChecksumSHA256, o.ChecksumMD5, o.ChecksumSHA512, o.ChecksumXXHASH64, o.ChecksumXXHASH3, o.ChecksumXXHASH128, ""}
}

func ckPartFields(p types.Part) ckFields {
	return ckFields{p.ChecksumCRC32, p.ChecksumCRC32C, p.ChecksumCRC64NVME, p.ChecksumSHA1, p.ChecksumSHA256, p.ChecksumMD5, p.ChecksumSHA512, p.ChecksumXXHASH64, p.ChecksumXXHASH3, p.ChecksumXXHASH128, ""}
}

func ckObjectPartFields(p types.ObjectPart) ckFields {
	return ckFields{p.ChecksumCRC32, p.ChecksumCRC32C, p.ChecksumCRC64NVME, p.ChecksumSHA1, p.ChecksumSHA256, p.ChecksumMD5, p.ChecksumSHA512, p.ChecksumXXHASH64, p.ChecksumXXHASH3, p.ChecksumXXHASH128, ""}
}

func ckAttrFields(c *types.Checksum) ckFields {
	if c == nil {
		return ckFields{}
	}
	return ckFields{c.ChecksumCRC32, c.ChecksumCRC32C, c.ChecksumCRC64NVME, c.ChecksumSHA1, c.ChecksumSHA256, c.ChecksumMD5, c.ChecksumSHA512, c.ChecksumXXHASH64, c.ChecksumXXHASH3, c.ChecksumXXHASH128, string(c.ChecksumType)}
}

func ckCopyFields(c *types.CopyObjectResult) ckFields {
	return ckFields{c.ChecksumCRC32, c.ChecksumCRC32C, c.ChecksumCRC64NVME, c.ChecksumSHA1, c.ChecksumSHA256, c.ChecksumMD5, c.ChecksumSHA512, c.ChecksumXXHASH64, c.ChecksumXXHASH3, c.ChecksumXXHASH128, string(c.ChecksumType)}
}

func ckCopyPartFields(c *types.CopyPartResult) ckFields {
	return ckFields{c.ChecksumCRC32, c.ChecksumCRC32C, c.ChecksumCRC64NVME, c.ChecksumSHA1, c.ChecksumSHA256, c.ChecksumMD5, c.ChecksumSHA512, c.ChecksumXXHASH64, c.ChecksumXXHASH3, c.ChecksumXXHASH128, ""}
}

// ckSetChecksum sets the Checksum<ALG> field (a *string) of an SDK input
// struct, e.g. PutObjectInput.ChecksumSHA256; it panics for a struct
// without that field, which is a bug in the test.
func ckSetChecksum(in any, alg, v string) {
	f := reflect.ValueOf(in).Elem().FieldByName("Checksum" + strings.ToUpper(alg))
	if !f.IsValid() {
		panic(fmt.Sprintf("%T has no Checksum%s", in, strings.ToUpper(alg)))
	}
	f.Set(reflect.ValueOf(&v))
}

// ckPutChecksum sets the explicit checksum field for alg on a PutObject.
func ckPutChecksum(in *s3.PutObjectInput, alg, v string) { ckSetChecksum(in, alg, v) }

// ckPartChecksum sets the explicit checksum field for alg on an UploadPart.
func ckPartChecksum(in *s3.UploadPartInput, alg, v string) { ckSetChecksum(in, alg, v) }

// ckCompleted is a CompletedPart with alg's checksum set to v ("" for none).
func ckCompleted(n int32, etag, alg, v string) types.CompletedPart {
	p := types.CompletedPart{PartNumber: aws.Int32(n), ETag: aws.String(etag)}
	if v != "" {
		ckSetChecksum(&p, alg, v)
	}
	return p
}

// ckCompleteChecksum sets the full-object checksum field for alg on Complete.
func ckCompleteChecksum(in *s3.CompleteMultipartUploadInput, alg, v string) {
	ckSetChecksum(in, alg, v)
}

// ---------------------------------------------------------------------------
// Errors

// ckStatus is the HTTP status of an SDK error, 0 if none.
func ckStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// ckWantErr asserts an SDK error's code, status and, if msg is not "",
// its exact message.
func ckWantErr(t testing.TB, what string, err error, code string, status int, msg string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: succeeded, want %d %s %q", what, status, code, msg)
		return
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Errorf("%s: error %v is not an S3 error, want %d %s", what, err, status, code)
		return
	}
	if ae.ErrorCode() != code || ckStatus(err) != status {
		t.Errorf("%s: got %d %s (%q), want %d %s", what, ckStatus(err), ae.ErrorCode(), ae.ErrorMessage(), status, code)
		return
	}
	if msg != "" && ae.ErrorMessage() != msg {
		t.Errorf("%s: message %q, want %q", what, ae.ErrorMessage(), msg)
	}
}

// ---------------------------------------------------------------------------
// Raw signed requests

// ckRawResp is a raw response.
type ckRawResp struct {
	Status int
	Header http.Header
	Body   []byte
}

type ckXMLError struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// ckDo signs (SigV4 with the root credentials) and sends a raw request.
// payloadHash is sent as x-amz-content-sha256; "" means the SHA-256 of body.
func (e *ckEnv) ckDo(method, pathQuery string, hdr http.Header, body []byte, payloadHash string) ckRawResp {
	e.t.Helper()
	resp, b := e.srv.Do(e.t, method, pathQuery, body, hdr, payloadHash)
	return ckRawResp{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// wantErr asserts a raw response is an S3 error with this status and code,
// and, if msg is not "", this message.
func (r ckRawResp) wantErr(t testing.TB, what string, status int, code, msg string) {
	t.Helper()
	var x ckXMLError
	_ = xml.Unmarshal(r.Body, &x)
	if r.Status != status || x.Code != code {
		t.Errorf("%s: got %d %s (%q), want %d %s", what, r.Status, x.Code, x.Message, status, code)
		return
	}
	if msg != "" && x.Message != msg {
		t.Errorf("%s: message %q, want %q", what, x.Message, msg)
	}
}

func (r ckRawResp) wantOK(t testing.TB, what string) {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("%s: status %d, body %s", what, r.Status, r.Body)
	}
}

// ckChunked frames data as an unsigned aws-chunked body (chunks of at most
// chunk bytes) followed by the trailer lines, as the SDKs send it with
// STREAMING-UNSIGNED-PAYLOAD-TRAILER.
func ckChunked(data []byte, chunk int, trailer ...string) []byte {
	var b bytes.Buffer
	for len(data) > 0 {
		n := min(chunk, len(data))
		fmt.Fprintf(&b, "%x\r\n", n)
		b.Write(data[:n])
		b.WriteString("\r\n")
		data = data[n:]
	}
	b.WriteString("0\r\n")
	for _, t := range trailer {
		b.WriteString(t + "\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// ckTrailerHeaders are the headers of an unsigned-trailer upload of n
// decoded bytes whose trailer is named by trailer.
func ckTrailerHeaders(n int, trailer string) http.Header {
	h := http.Header{}
	h.Set("Content-Encoding", "aws-chunked")
	h.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(n))
	if trailer != "" {
		h.Set("X-Amz-Trailer", trailer)
	}
	return h
}

const ckUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
