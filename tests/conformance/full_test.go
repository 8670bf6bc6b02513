package conformance

import (
	"bytes"
	"encoding/xml"
	"errors"
	"net/http"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// No S3 answer to copy: S3 never reports a full disk. Tessera's choice
// (internal/s3err/nospace.go has the evidence): 503 ServiceUnavailable
// with this message, which every AWS SDK retries with backoff (MinIO and
// versitygw answer 507, which none retries). EIO stays 500 InternalError.
const fullMessage = "The server's storage is full. Please retry after space is freed."

// fullEnv is a bucket holding "k" (the bytes a failed write must leave
// readable) and "src", and an upload of "k" with parts 1 (old) and 2.
type fullEnv struct {
	srv      *tesseratest.Server
	c        *s3.Client
	b        string
	uploadID string
	old      []byte
}

// fullWrites are the writes that add bytes or records; each returns its
// SDK error (POST, which no SDK sends, is turned into one).
var fullWrites = []struct {
	name string
	part bool // changes part 1 rather than "k"
	run  func(t *testing.T, e *fullEnv) error
}{
	{name: "PutObject", run: func(t *testing.T, e *fullEnv) error {
		_, err := e.c.PutObject(ctx(), &s3.PutObjectInput{Bucket: &e.b, Key: aws.String("k"), Body: bytes.NewReader(randBytes(4096, 2))})
		return err
	}},
	{name: "CopyObject", run: func(t *testing.T, e *fullEnv) error {
		_, err := e.c.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: &e.b, Key: aws.String("k"), CopySource: aws.String(e.b + "/src")})
		return err
	}},
	{name: "PostObject", run: func(t *testing.T, e *fullEnv) error {
		resp, body := postForm(t, e.srv, e.b, fields([]postField{{"key", "k"}}, postRoot(t, map[string]string{"bucket": e.b}, []string{"eq", "$key", "k"})),
			&postFile{filename: "k", data: randBytes(4096, 3)})
		if resp.StatusCode/100 == 2 {
			return nil
		}
		var se s3Error
		xml.Unmarshal(body, &se)
		return &rawAPIError{status: resp.StatusCode, code: se.Code, message: se.Message}
	}},
	{name: "UploadPart", part: true, run: func(t *testing.T, e *fullEnv) error {
		_, err := e.c.UploadPart(ctx(), &s3.UploadPartInput{Bucket: &e.b, Key: aws.String("k"), UploadId: &e.uploadID, PartNumber: aws.Int32(1), Body: bytes.NewReader(randBytes(4096, 4))})
		return err
	}},
	{name: "UploadPartCopy", part: true, run: func(t *testing.T, e *fullEnv) error {
		_, err := e.c.UploadPartCopy(ctx(), &s3.UploadPartCopyInput{Bucket: &e.b, Key: aws.String("k"), UploadId: &e.uploadID, PartNumber: aws.Int32(1), CopySource: aws.String(e.b + "/src")})
		return err
	}},
	{name: "CreateMultipartUpload", run: func(t *testing.T, e *fullEnv) error {
		_, err := e.c.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: &e.b, Key: aws.String("k")})
		return err
	}},
	{name: "CompleteMultipartUpload", run: func(t *testing.T, e *fullEnv) error {
		parts, err := e.c.ListParts(ctx(), &s3.ListPartsInput{Bucket: &e.b, Key: aws.String("k"), UploadId: &e.uploadID})
		if err != nil {
			t.Fatal(err)
		}
		var done []types.CompletedPart
		for _, p := range parts.Parts {
			done = append(done, types.CompletedPart{PartNumber: p.PartNumber, ETag: p.ETag})
		}
		_, err = e.c.CompleteMultipartUpload(ctx(), &s3.CompleteMultipartUploadInput{Bucket: &e.b, Key: aws.String("k"), UploadId: &e.uploadID,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
		return err
	}},
}

// rawAPIError is a raw response's S3 error, as an SDK would report it.
type rawAPIError struct {
	status        int
	code, message string
}

func (e *rawAPIError) Error() string { return e.code + ": " + e.message }

// answer is the status, code and message of a write's error.
func answer(err error) (status int, code, message string) {
	var raw *rawAPIError
	if errors.As(err, &raw) {
		return raw.status, raw.code, raw.message
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code, message = ae.ErrorCode(), ae.ErrorMessage()
	}
	return httpStatus(err), code, message
}

// TestFullDisk: while the disk is full every write answers 503
// ServiceUnavailable with the storage-full message, stores nothing and
// leaves no temp file; reads go on; once space returns the same write
// succeeds. Full: below the server's reserve (the disk reports no free
// space), or the file system failing a body write with ENOSPC or EDQUOT.
// EIO while writing a body is 500 InternalError, nothing stored either.
func TestFullDisk(t *testing.T) {
	type fault struct {
		name    string
		reserve bool          // the disk reports no free space
		errno   syscall.Errno // or a temp-file write fails
		status  int
		code    string
		blobs   bool // only for writes that write a body
	}
	faults := []fault{
		{name: "no free space", reserve: true, status: 503, code: "ServiceUnavailable"},
		{name: "ENOSPC writing the body", errno: syscall.ENOSPC, status: 503, code: "ServiceUnavailable", blobs: true},
		{name: "EDQUOT writing the body", errno: syscall.EDQUOT, status: 503, code: "ServiceUnavailable", blobs: true},
		{name: "EIO writing the body", errno: syscall.EIO, status: 500, code: "InternalError", blobs: true},
	}
	srv, d := fullServer(t)
	for _, w := range fullWrites {
		for _, f := range faults {
			blobless := w.name == "CreateMultipartUpload" || w.name == "CompleteMultipartUpload"
			if f.blobs && blobless {
				continue
			}
			t.Run(w.name+"/"+f.name, func(t *testing.T) {
				e := newFullEnv(t, srv)
				before := e.state(t, w.part)
				d.full.Store(f.reserve)
				d.fault.errno.Store(uintptr(f.errno))
				err := w.run(t, e)
				d.full.Store(false)
				d.fault.errno.Store(0)
				status, code, msg := answer(err)
				if status != f.status || code != f.code {
					t.Errorf("answer %d %s (%v), want %d %s", status, code, err, f.status, f.code)
				}
				if f.status == 503 && msg != fullMessage {
					t.Errorf("message %q, want %q", msg, fullMessage)
				}
				if got := e.state(t, w.part); got != before {
					t.Errorf("after the failed write: %s, want %s", got, before)
				}
				wantNoTempFiles(t, srv)
				if err := w.run(t, e); err != nil {
					t.Fatalf("with space again: %v", err)
				}
			})
		}
	}
}

// TestFullDiskReady: a full disk leaves the gateway ready (reads and
// deletes go on, and every gateway sharing the directory is as full, so a
// load balancer must not take them out); a failing one does not.
func TestFullDiskReady(t *testing.T) {
	srv, d := fullServer(t)
	tests := []struct {
		name   string
		full   bool
		errno  syscall.Errno
		status int
	}{
		{name: "no free space", full: true, status: 200},
		{name: "ENOSPC", errno: syscall.ENOSPC, status: 200},
		{name: "EDQUOT", errno: syscall.EDQUOT, status: 200},
		{name: "EIO", errno: syscall.EIO, status: 503},
		{name: "healthy again", status: 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d.full.Store(tc.full)
			d.fault.errno.Store(uintptr(tc.errno))
			defer d.full.Store(false)
			defer d.fault.errno.Store(0)
			resp, err := srv.HTTPClient().Get(srv.URL + "/_tessera/health/ready")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("ready: %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
}

// TestFullDiskRetried: aws-sdk-go-v2's standard retryer backs off on the
// full disk's 503 and, once space returns (here: on the first 503), its
// retry stores the object.
func TestFullDiskRetried(t *testing.T) {
	srv, d := fullServer(t)
	b := newBucket(t, srv.S3())
	d.full.Store(true)
	hc := &http.Client{Transport: &onStatus{base: srv.HTTPClient().Transport, status: http.StatusServiceUnavailable, f: func() { d.full.Store(false) }}}
	c := srv.S3(func(o *s3.Options) { o.HTTPClient = hc; o.RetryMaxAttempts = 5 })
	want := randBytes(100_000, 5)
	out, err := c.PutObject(ctx(), &s3.PutObjectInput{Bucket: &b, Key: aws.String("k"), Body: bytes.NewReader(want)})
	if err != nil {
		t.Fatalf("PutObject with retries: %v", err)
	}
	if ar, _ := retry.GetAttemptResults(out.ResultMetadata); len(ar.Results) < 2 {
		t.Errorf("PutObject took %d attempts, want a 503 and a retry", len(ar.Results))
	}
	wantBody(t, srv.S3(), b, "k", want)
	wantNoTempFiles(t, srv)
}

func newFullEnv(t *testing.T, srv *tesseratest.Server) *fullEnv {
	t.Helper()
	c := srv.S3()
	e := &fullEnv{srv: srv, c: c, b: newBucket(t, c), old: randBytes(4096, 1)}
	put(t, c, e.b, "k", e.old)
	put(t, c, e.b, "src", randBytes(4096, 5))
	cu, err := c.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: &e.b, Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	e.uploadID = *cu.UploadId
	for n := int32(1); n <= 2; n++ {
		if _, err := c.UploadPart(ctx(), &s3.UploadPartInput{Bucket: &e.b, Key: aws.String("k"), UploadId: &e.uploadID, PartNumber: aws.Int32(n),
			Body: bytes.NewReader(randBytes(4096, uint64(n)))}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// state is what a write may change: "k"'s ETag (GET still reads it whole)
// or part 1's ETag.
func (e *fullEnv) state(t *testing.T, part bool) string {
	t.Helper()
	if part {
		parts, err := e.c.ListParts(ctx(), &s3.ListPartsInput{Bucket: &e.b, Key: aws.String("k"), UploadId: &e.uploadID})
		if err != nil || len(parts.Parts) == 0 {
			t.Fatalf("ListParts: %v", err)
		}
		return "part 1 " + aws.ToString(parts.Parts[0].ETag)
	}
	got, out := get(t, e.c, e.b, "k")
	if int64(len(got)) != aws.ToInt64(out.ContentLength) {
		t.Fatalf("GET k: %d bytes of %d", len(got), aws.ToInt64(out.ContentLength))
	}
	return "k " + aws.ToString(out.ETag)
}
