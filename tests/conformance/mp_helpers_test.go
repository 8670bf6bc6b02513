package conformance

// Helpers of the multipart / ListParts conformance tests (mp_*_test.go).
// Every top-level name starts with "mp" so these files never clash with the
// rest of the package.

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
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

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

const (
	mpMiB = 1 << 20
	// mpMinPart is S3's minimum size of a non-last part (MinSizeAllowed).
	mpMinPart = 5 * mpMiB
	// mpRootAccountID is the account ID of the test server's root user.
	mpRootAccountID = "000000000000"
	// mpNoSuchUploadMsg is AWS's NoSuchUpload message (§3.7).
	mpNoSuchUploadMsg = "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."
	// mpInvalidPartMsg is AWS's InvalidPart message, two spaces included (§3.10).
	mpInvalidPartMsg = "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."
	mpPartNumberMsg  = "Part number must be an integer between 1 and 10000, inclusive"
)

// mpISOMillis matches S3's XML timestamps: ISO-8601 UTC with milliseconds.
var mpISOMillis = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

func mpCtx() context.Context { return context.Background() }

// mpEnv is a running server, an SDK client and a fresh bucket.
type mpEnv struct {
	t      testing.TB
	srv    *tesseratest.Server
	c      *s3.Client
	bucket string
}

// mpSetup starts a server with opts and creates a bucket on it.
func mpSetup(t testing.TB, opts ...tesseratest.Option) *mpEnv {
	t.Helper()
	srv := tesseratest.New(t, opts...)
	e := &mpEnv{t: t, srv: srv, c: srv.S3()}
	e.bucket = e.newBucket()
	return e
}

// mpSmall starts a server whose minimum part size is 1 byte, so tests with
// thousands of parts stay cheap.
func mpSmall(t testing.TB) *mpEnv { return mpSetup(t, tesseratest.WithMinPartSize(1)) }

func (e *mpEnv) newBucket() string {
	e.t.Helper()
	name := bucketName(e.t)
	if _, err := e.c.CreateBucket(mpCtx(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		e.t.Fatalf("CreateBucket(%s): %v", name, err)
	}
	return name
}

// create starts a multipart upload of key in the env's bucket.
func (e *mpEnv) create(key string, mods ...func(*s3.CreateMultipartUploadInput)) string {
	e.t.Helper()
	in := &s3.CreateMultipartUploadInput{Bucket: aws.String(e.bucket), Key: aws.String(key)}
	for _, m := range mods {
		m(in)
	}
	out, err := e.c.CreateMultipartUpload(mpCtx(), in)
	if err != nil {
		e.t.Fatalf("CreateMultipartUpload(%s/%q): %v", aws.ToString(in.Bucket), key, err)
	}
	if aws.ToString(out.UploadId) == "" {
		e.t.Fatalf("CreateMultipartUpload(%q): empty UploadId", key)
	}
	return aws.ToString(out.UploadId)
}

// uploadPart uploads one part and returns the raw SDK result.
func (e *mpEnv) uploadPart(key, id string, n int32, body []byte, mods ...func(*s3.UploadPartInput)) (*s3.UploadPartOutput, error) {
	in := &s3.UploadPartInput{
		Bucket: aws.String(e.bucket), Key: aws.String(key), UploadId: aws.String(id),
		PartNumber: aws.Int32(n), Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))),
	}
	for _, m := range mods {
		m(in)
	}
	return e.c.UploadPart(mpCtx(), in)
}

// part uploads one part, fails the test on error, and returns its ETag
// (quoted, as S3 sends it).
func (e *mpEnv) part(key, id string, n int32, body []byte, mods ...func(*s3.UploadPartInput)) string {
	e.t.Helper()
	out, err := e.uploadPart(key, id, n, body, mods...)
	if err != nil {
		e.t.Fatalf("UploadPart(%q, part %d, %d bytes): %v", key, n, len(body), err)
	}
	want := `"` + mpMD5Hex(body) + `"`
	if got := aws.ToString(out.ETag); got != want {
		e.t.Errorf("UploadPart(%q, part %d) ETag = %s, want quoted hex MD5 %s", key, n, got, want)
	}
	return aws.ToString(out.ETag)
}

// parts uploads the numbered parts with `workers` goroutines; body(n) gives
// each part's bytes. It returns the ETags by part number.
func (e *mpEnv) parts(key, id string, nums []int32, body func(n int32) []byte, workers int) map[int32]string {
	e.t.Helper()
	var (
		mu    sync.Mutex
		etags = make(map[int32]string, len(nums))
		wg    sync.WaitGroup
		next  atomic.Int64
		fail  atomic.Value
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(nums) || fail.Load() != nil {
					return
				}
				n := nums[i]
				b := body(n)
				out, err := e.uploadPart(key, id, n, b)
				if err != nil {
					fail.CompareAndSwap(nil, fmt.Errorf("UploadPart(%q, part %d): %w", key, n, err))
					return
				}
				if got, want := aws.ToString(out.ETag), `"`+mpMD5Hex(b)+`"`; got != want {
					fail.CompareAndSwap(nil, fmt.Errorf("UploadPart(%q, part %d) ETag = %s, want %s", key, n, got, want))
					return
				}
				mu.Lock()
				etags[n] = aws.ToString(out.ETag)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := fail.Load(); err != nil {
		e.t.Fatal(err)
	}
	return etags
}

// complete completes the upload with the given parts (in the given order).
func (e *mpEnv) complete(key, id string, parts []types.CompletedPart, mods ...func(*s3.CompleteMultipartUploadInput)) (*s3.CompleteMultipartUploadOutput, error) {
	in := &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(e.bucket), Key: aws.String(key), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	}
	for _, m := range mods {
		m(in)
	}
	return e.c.CompleteMultipartUpload(mpCtx(), in)
}

// mustComplete completes the upload and fails the test on error.
func (e *mpEnv) mustComplete(key, id string, parts []types.CompletedPart, mods ...func(*s3.CompleteMultipartUploadInput)) *s3.CompleteMultipartUploadOutput {
	e.t.Helper()
	out, err := e.complete(key, id, parts, mods...)
	if err != nil {
		e.t.Fatalf("CompleteMultipartUpload(%q, %d parts): %v", key, len(parts), err)
	}
	return out
}

// listParts calls ListParts with optional max-parts / marker (nil = absent).
func (e *mpEnv) listParts(key, id string, maxParts *int32, marker *string, mods ...func(*s3.ListPartsInput)) (*s3.ListPartsOutput, error) {
	in := &s3.ListPartsInput{
		Bucket: aws.String(e.bucket), Key: aws.String(key), UploadId: aws.String(id),
		MaxParts: maxParts, PartNumberMarker: marker,
	}
	for _, m := range mods {
		m(in)
	}
	return e.c.ListParts(mpCtx(), in)
}

func (e *mpEnv) mustListParts(key, id string, maxParts *int32, marker *string) *s3.ListPartsOutput {
	e.t.Helper()
	out, err := e.listParts(key, id, maxParts, marker)
	if err != nil {
		e.t.Fatalf("ListParts(%q, max=%v, marker=%v): %v", key, mpI32(maxParts), aws.ToString(marker), err)
	}
	return out
}

// getBytes reads a whole object.
func (e *mpEnv) getBytes(key string, mods ...func(*s3.GetObjectInput)) ([]byte, *s3.GetObjectOutput) {
	e.t.Helper()
	in := &s3.GetObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key)}
	for _, m := range mods {
		m(in)
	}
	out, err := e.c.GetObject(mpCtx(), in)
	if err != nil {
		e.t.Fatalf("GetObject(%q): %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		e.t.Fatalf("GetObject(%q): reading body: %v", key, err)
	}
	return b, out
}

// wantBytes checks that key holds exactly want.
func (e *mpEnv) wantBytes(key string, want []byte) {
	e.t.Helper()
	got, _ := e.getBytes(key)
	if !bytes.Equal(got, want) {
		e.t.Errorf("GetObject(%q) = %d bytes (md5 %s), want %d bytes (md5 %s)", key, len(got), mpMD5Hex(got), len(want), mpMD5Hex(want))
	}
}

func (e *mpEnv) putObject(key string, body []byte) string {
	e.t.Helper()
	out, err := e.c.PutObject(mpCtx(), &s3.PutObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		e.t.Fatalf("PutObject(%q): %v", key, err)
	}
	return aws.ToString(out.ETag)
}

// ---- parts and ETags --------------------------------------------------------

// mpCP builds a CompletedPart.
func mpCP(n int32, etag string) types.CompletedPart {
	return types.CompletedPart{PartNumber: aws.Int32(n), ETag: aws.String(etag)}
}

// mpCPs builds the Complete list for nums (ascending) from etags.
func mpCPs(etags map[int32]string, nums ...int32) []types.CompletedPart {
	if len(nums) == 0 {
		for n := range etags {
			nums = append(nums, n)
		}
		sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
	}
	out := make([]types.CompletedPart, len(nums))
	for i, n := range nums {
		out[i] = mpCP(n, etags[n])
	}
	return out
}

// mpSeq returns from..to inclusive.
func mpSeq(from, to int32) []int32 {
	out := make([]int32, 0, to-from+1)
	for n := from; n <= to; n++ {
		out = append(out, n)
	}
	return out
}

// mpMultipartETag is S3's multipart ETag: hex(md5(concat of the parts'
// binary MD5s)) + "-N", computed here from the parts' bytes.
func mpMultipartETag(parts ...[]byte) string {
	var cat []byte
	for _, p := range parts {
		s := md5.Sum(p)
		cat = append(cat, s[:]...)
	}
	s := md5.Sum(cat)
	return fmt.Sprintf("%s-%d", hex.EncodeToString(s[:]), len(parts))
}

func mpMD5Hex(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }
func mpMD5B64(b []byte) string { s := md5.Sum(b); return base64.StdEncoding.EncodeToString(s[:]) }
func mpSHA256B64(b []byte) string {
	s := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

// mpBytes returns n deterministic pseudo-random bytes.
func mpBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// mpTiny returns a small body unique to part n (and seed).
func mpTiny(n int32, seed int) []byte { return []byte(fmt.Sprintf("part-%05d-seed-%d;", n, seed)) }

func mpI32(p *int32) any {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func mpUnquote(s string) string { return strings.Trim(s, `"`) }

// ---- SDK errors -------------------------------------------------------------

func mpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// mpWantErr checks an SDK error's S3 code (skipped if "") and status (skipped if 0).
func mpWantErr(t testing.TB, what string, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: succeeded, want %s (HTTP %d)", what, code, status)
		return
	}
	if code != "" {
		var ae smithy.APIError
		if !errors.As(err, &ae) {
			t.Errorf("%s: non-API error %v, want %s", what, err, code)
			return
		}
		if ae.ErrorCode() != code {
			t.Errorf("%s: error code %q, want %q (err: %v)", what, ae.ErrorCode(), code, err)
		}
	}
	if status != 0 {
		if got := mpStatus(err); got != status {
			t.Errorf("%s: HTTP status %d, want %d (err: %v)", what, got, status, err)
		}
	}
}

// mpErrMessage is the S3 error message of an SDK error.
func mpErrMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}

// ---- raw signed requests -----------------------------------------------------

// mpResp is a raw response with its whole body.
type mpResp struct {
	*http.Response
	Body []byte
}

// raw sends a SigV4-signed request. pathQuery is "/bucket/key?query" with the
// path already escaped; hdr adds headers (signed too).
func (e *mpEnv) raw(method, pathQuery string, body []byte, hdr map[string]string) mpResp {
	e.t.Helper()
	return mpRaw(e.t, e.srv, method, pathQuery, body, hdr)
}

func mpRaw(t testing.TB, srv *tesseratest.Server, method, pathQuery string, body []byte, hdr map[string]string) mpResp {
	t.Helper()
	h := http.Header{}
	for k, v := range hdr {
		h.Set(k, v)
	}
	resp, b := srv.Do(t, method, pathQuery, body, h, "")
	return mpResp{resp, b}
}

// mpPath is "/bucket/key" with the key's segments escaped.
func mpPath(bucket, key string) string {
	if key == "" {
		return "/" + bucket
	}
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return "/" + bucket + "/" + strings.Join(segs, "/")
}

// mpErrFields parses an S3 <Error> body into element name → text.
func mpErrFields(body []byte) (map[string]string, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	out := map[string]string{}
	depth := 0
	var name string
	var text strings.Builder
	sawError := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 {
				if tk.Name.Local != "Error" {
					return nil, fmt.Errorf("root element <%s>, want <Error>", tk.Name.Local)
				}
				sawError = true
			}
			if depth == 2 {
				name = tk.Name.Local
				text.Reset()
			}
		case xml.CharData:
			if depth == 2 {
				text.Write(tk)
			}
		case xml.EndElement:
			if depth == 2 {
				out[name] = text.String()
			}
			depth--
		}
	}
	if !sawError {
		return nil, errors.New("no <Error> element")
	}
	return out, nil
}

// wantRawErr checks a raw response's status, code and any extra fields
// (name → exact value) of the error body, and returns all fields.
func (r mpResp) wantErr(t testing.TB, what string, status int, code string, fields map[string]string) map[string]string {
	t.Helper()
	if r.StatusCode != status {
		t.Errorf("%s: status %d, want %d (body %.400s)", what, r.StatusCode, status, r.Body)
	}
	if r.Request.Method == http.MethodHead {
		return nil
	}
	f, err := mpErrFields(r.Body)
	if err != nil {
		t.Errorf("%s: error body is not S3 error XML: %v (body %.400s)", what, err, r.Body)
		return nil
	}
	if f["Code"] != code {
		t.Errorf("%s: Code %q, want %q (body %.400s)", what, f["Code"], code, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.Contains(ct, "xml") {
		t.Errorf("%s: error Content-Type %q, want application/xml", what, ct)
	}
	for k, v := range fields {
		got, ok := f[k]
		if !ok {
			t.Errorf("%s: error body lacks <%s> (want %q; body %.400s)", what, k, v, r.Body)
		} else if got != v {
			t.Errorf("%s: <%s> = %q, want %q", what, k, got, v)
		}
	}
	return f
}

// ---- completion XML ---------------------------------------------------------

// mpCompleteXML renders a CompleteMultipartUpload body by hand.
func mpCompleteXML(parts ...types.CompletedPart) []byte {
	var b strings.Builder
	b.WriteString(`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	for _, p := range parts {
		fmt.Fprintf(&b, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", aws.ToInt32(p.PartNumber), mpXMLEscape(aws.ToString(p.ETag)))
	}
	b.WriteString(`</CompleteMultipartUpload>`)
	return []byte(b.String())
}

func mpXMLEscape(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// ---- blobs ------------------------------------------------------------------

// mpBlobs returns the committed blob files under dataDir/blobs.
func mpBlobs(t testing.TB, dataDir string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	root := filepath.Join(dataDir, "blobs")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			out[p] = info.Size()
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("walking %s: %v", root, err)
	}
	return out
}

// mpBlobBytes sums blob sizes.
func mpBlobBytes(m map[string]int64) int64 {
	var n int64
	for _, s := range m {
		n += s
	}
	return n
}

// mpEventually polls cond for up to 2 s (blob removal may trail a response).
func mpEventually(cond func() bool) bool {
	deadline := time.Now().Add(2 * time.Second)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// mpFileExists reports whether p exists.
func mpFileExists(p string) bool { _, err := os.Stat(p); return err == nil }
