package conformance

// Helpers of the accounts-and-permissions tests (issue 5). Self-contained:
// every identifier starts with acct so the file can evolve independently of
// the shared helpers.

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/tessera-s3/tessera/internal/iam"
	"github.com/tessera-s3/tessera/internal/server"
	"github.com/tessera-s3/tessera/internal/tesseratest"
)

func acctCtx() context.Context { return context.Background() }

// acctEnv is a server with the root account and three more accounts.
type acctEnv struct {
	t    *testing.T
	srv  *tesseratest.Server
	root *s3.Client
	// a owns the buckets under test; b and c are the other accounts.
	a, b, c *tesseratest.Account
}

func acctNew(t *testing.T, opts ...tesseratest.Option) *acctEnv {
	t.Helper()
	srv := tesseratest.New(t, append([]tesseratest.Option{tesseratest.WithMinPartSize(1)}, opts...)...)
	return &acctEnv{t: t, srv: srv, root: srv.S3(),
		a: srv.NewAccount("alice"), b: srv.NewAccount("bob"), c: srv.NewAccount("carol")}
}

var acctSeq atomic.Int64

// acctBucket creates a fresh bucket with c.
func acctBucket(t testing.TB, c *s3.Client) string {
	t.Helper()
	name := fmt.Sprintf("acct-%d-%d", time.Now().UnixNano()%1e9, acctSeq.Add(1))
	if _, err := c.CreateBucket(acctCtx(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("CreateBucket(%s): %v", name, err)
	}
	return name
}

func acctPut(t testing.TB, c *s3.Client, bucket, key, body string) {
	t.Helper()
	if _, err := c.PutObject(acctCtx(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
		t.Fatalf("PutObject(%s/%s): %v", bucket, key, err)
	}
}

// acctGet reads an object; the error is returned, not fatal.
func acctGet(c *s3.Client, bucket, key string, mods ...func(*s3.GetObjectInput)) (string, *s3.GetObjectOutput, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	for _, m := range mods {
		m(in)
	}
	out, err := c.GetObject(acctCtx(), in)
	if err != nil {
		return "", nil, err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return string(b), out, err
}

// acctWantBody requires c to read body from bucket/key.
func acctWantBody(t testing.TB, c *s3.Client, bucket, key, body string) {
	t.Helper()
	got, _, err := acctGet(c, bucket, key)
	if err != nil {
		t.Errorf("GetObject(%s/%s): %v, want success", bucket, key, err)
		return
	}
	if got != body {
		t.Errorf("GetObject(%s/%s) = %q, want %q", bucket, key, got, body)
	}
}

func acctStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func acctCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// acctWantErr checks an SDK error's code (skipped when "") and HTTP status.
func acctWantErr(t testing.TB, what string, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: got success, want %s (HTTP %d)", what, code, status)
		return
	}
	if code != "" && acctCode(err) != code {
		t.Errorf("%s: error code %q, want %q (err: %v)", what, acctCode(err), code, err)
	}
	if status != 0 && acctStatus(err) != status {
		t.Errorf("%s: HTTP status %d, want %d (err: %v)", what, acctStatus(err), status, err)
	}
}

// acctDenied requires a 403 AccessDenied.
func acctDenied(t testing.TB, what string, err error) {
	t.Helper()
	acctWantErr(t, what, err, "AccessDenied", http.StatusForbidden)
}

func acctOK(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v, want success", what, err)
	}
}

// acctPolicy sets a bucket policy (owner's client), failing the test on error.
// It first removes the bucket's public access block: S3 gives every new
// bucket one with all four settings on (LocalStack
// test_crud_public_access_block, recorded against AWS), which would refuse
// the public policies these tests evaluate (BlockPublicPolicy) and void
// their grants to anonymous and other-account callers
// (RestrictPublicBuckets).
func acctPolicy(t testing.TB, c *s3.Client, bucket, doc string) {
	t.Helper()
	if _, err := c.DeletePublicAccessBlock(acctCtx(), &s3.DeletePublicAccessBlockInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("DeletePublicAccessBlock(%s): %v", bucket, err)
	}
	if _, err := c.PutBucketPolicy(acctCtx(), &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(doc)}); err != nil {
		t.Fatalf("PutBucketPolicy(%s): %v\n%s", bucket, err, doc)
	}
}

// acctStmt builds one policy statement as JSON; fields are JSON fragments
// keyed by element name ("Principal": `{"AWS":"123"}` …).
func acctStmt(effect string, fields map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"Effect":%q`, effect)
	for _, k := range []string{"Sid", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"} {
		if v, ok := fields[k]; ok {
			fmt.Fprintf(&b, `,%q:%s`, k, v)
		}
	}
	b.WriteString("}")
	return b.String()
}

// acctDoc wraps statements into a policy document.
func acctDoc(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

// acctAWS is a Principal naming accounts by ID.
func acctAWS(ids ...string) string {
	return `{"AWS":[` + acctQuoted(ids...) + `]}`
}

func acctQuoted(s ...string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ",")
}

// acctList is a JSON array of strings.
func acctList(s ...string) string { return "[" + acctQuoted(s...) + "]" }

// acctObjARN / acctBucketARN are resource ARNs.
func acctObjARN(bucket, keyPattern string) string { return "arn:aws:s3:::" + bucket + "/" + keyPattern }
func acctBucketARN(bucket string) string          { return "arn:aws:s3:::" + bucket }

// acctUpload starts a multipart upload with c.
func acctUpload(t testing.TB, c *s3.Client, bucket, key string) string {
	t.Helper()
	out, err := c.CreateMultipartUpload(acctCtx(), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("CreateMultipartUpload(%s/%s): %v", bucket, key, err)
	}
	return aws.ToString(out.UploadId)
}

func acctUploadPart(c *s3.Client, bucket, key, id string, n int32, body string, mods ...func(*s3.UploadPartInput)) (*s3.UploadPartOutput, error) {
	in := &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id), PartNumber: aws.Int32(n), Body: strings.NewReader(body)}
	for _, m := range mods {
		m(in)
	}
	return c.UploadPart(acctCtx(), in)
}

func acctListParts(c *s3.Client, bucket, key, id string, mods ...func(*s3.ListPartsInput)) (*s3.ListPartsOutput, error) {
	in := &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id)}
	for _, m := range mods {
		m(in)
	}
	return c.ListParts(acctCtx(), in)
}

func acctComplete(c *s3.Client, bucket, key, id string, parts []types.CompletedPart, mods ...func(*s3.CompleteMultipartUploadInput)) (*s3.CompleteMultipartUploadOutput, error) {
	in := &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}
	for _, m := range mods {
		m(in)
	}
	return c.CompleteMultipartUpload(acctCtx(), in)
}

func acctAbort(c *s3.Client, bucket, key, id string) error {
	_, err := c.AbortMultipartUpload(acctCtx(), &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id)})
	return err
}

func acctListV2(c *s3.Client, bucket, prefix string, fetchOwner bool) (*s3.ListObjectsV2Output, error) {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket)}
	if prefix != "" {
		in.Prefix = aws.String(prefix)
	}
	if fetchOwner {
		in.FetchOwner = aws.Bool(true)
	}
	return c.ListObjectsV2(acctCtx(), in)
}

// acctOwnerOf is the Owner record S3 shows for a test account.
func acctOwnerOf(a *tesseratest.Account) (id, name string) { return a.CanonicalID, a.Name }

// acctRootOwner is the root account's Owner record.
func acctRootOwner() (id, name string) { return server.RootOwner.ID, server.RootOwner.DisplayName }

func acctWantOwner(t testing.TB, what string, gotID, gotName *string, a *tesseratest.Account) {
	t.Helper()
	id, name := acctOwnerOf(a)
	if aws.ToString(gotID) != id || aws.ToString(gotName) != name {
		t.Errorf("%s = {ID %q, DisplayName %q}, want {%q, %q} (account %s)", what, aws.ToString(gotID), aws.ToString(gotName), id, name, a.Name)
	}
}

// acctAnon sends an unsigned request and returns status, S3 error code and body.
func acctAnon(t testing.TB, srv *tesseratest.Server, method, path string, body []byte) (int, string, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.HTTPClient().Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var e struct {
		Code string `xml:"Code"`
	}
	if resp.StatusCode >= 300 {
		xml.Unmarshal(data, &e)
	}
	return resp.StatusCode, e.Code, data
}

// acctUsage reads an account's usage.
func acctUsage(t testing.TB, srv *tesseratest.Server, id string) iam.Usage {
	t.Helper()
	u, err := srv.Usage(acctCtx(), id)
	if err != nil {
		t.Fatalf("Usage(%s): %v", id, err)
	}
	return u
}

// acctUsageReaches waits (briefly: the server counts a request after its
// response is written, so the client may be ahead) until ok(usage) holds,
// and returns the last usage seen.
func acctUsageReaches(t testing.TB, srv *tesseratest.Server, id string, ok func(iam.Usage) bool) (iam.Usage, bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		u := acctUsage(t, srv, id)
		if ok(u) {
			return u, true
		}
		if time.Now().After(deadline) {
			return u, false
		}
		time.Sleep(10 * time.Millisecond)
	}
}
