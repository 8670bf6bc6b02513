package conformance

// Helpers of the Object Lock tests (issue 11, lock_*_test.go). The
// evidence for every answer is in the research notes the issue names
// (LocalStack snapshots recorded against AWS, raw S3 bodies quoted in
// versitygw issues, moto's AWS-verified tests); each row says which.

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// S3's texts the lock tests compare against, each used by several files.
const (
	lockMsgProtected   = "Access Denied because object protected by object lock."
	lockMsgNoBucketAPI = "Bucket is missing Object Lock Configuration"
	lockMsgNoBucketHdr = "Bucket is missing ObjectLockConfiguration"
	lockMsgMD5Put      = "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters"
	lockMsgMD5Part     = "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Part requests with Object Lock parameters"
	lockMsgMD5Config   = "Missing required header for this request: Content-MD5 OR x-amz-checksum-*"
	lockMsgFuture      = "The retain until date must be in the future!"
	lockMsgMalformed   = "The XML you provided was not well-formed or did not validate against our published schema"
)

// lockEnv is a server and an SDK client with the SDK's default checksums
// (as every real user has them: S3 requires Content-MD5 or a checksum on
// lock writes).
type lockEnv struct {
	t   *testing.T
	srv *tesseratest.Server
	c   *s3.Client
}

func lockNew(t *testing.T, opts ...tesseratest.Option) *lockEnv {
	t.Helper()
	srv := tesseratest.New(t, append([]tesseratest.Option{tesseratest.WithMinPartSize(1)}, opts...)...)
	return &lockEnv{t: t, srv: srv, c: sdkClient(srv)}
}

// bucket creates a bucket with Object Lock (x-amz-bucket-object-lock-enabled).
func (e *lockEnv) bucket() string {
	e.t.Helper()
	name := bucketName(e.t)
	if _, err := e.c.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: aws.String(name), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		e.t.Fatalf("CreateBucket(%s, lock): %v", name, err)
	}
	return name
}

// versioned creates a bucket without Object Lock whose versioning is state
// ("" leaves it unversioned).
func (e *lockEnv) versioned(state types.BucketVersioningStatus) string {
	e.t.Helper()
	name := newBucket(e.t, e.c)
	if state != "" {
		if _, err := e.c.PutBucketVersioning(ctx(), &s3.PutBucketVersioningInput{Bucket: aws.String(name),
			VersioningConfiguration: &types.VersioningConfiguration{Status: state}}); err != nil {
			e.t.Fatalf("PutBucketVersioning(%s, %s): %v", name, state, err)
		}
	}
	return name
}

// put writes key and returns the new version's ID.
func (e *lockEnv) put(bucket, key string, mods ...func(*s3.PutObjectInput)) string {
	e.t.Helper()
	return aws.ToString(put(e.t, e.c, bucket, key, []byte("locked body "+key), mods...).VersionId)
}

// lockHeaders sets a PutObject's retention and legal hold.
func lockHeaders(mode types.ObjectLockMode, until time.Time, hold types.ObjectLockLegalHoldStatus) func(*s3.PutObjectInput) {
	return func(in *s3.PutObjectInput) {
		in.ObjectLockMode = mode
		if !until.IsZero() {
			in.ObjectLockRetainUntilDate = aws.Time(until)
		}
		in.ObjectLockLegalHoldStatus = hold
	}
}

// head reads a version's (versionID "" = the latest) HEAD.
func (e *lockEnv) head(bucket, key, versionID string) *s3.HeadObjectOutput {
	e.t.Helper()
	in := &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if versionID != "" {
		in.VersionId = aws.String(versionID)
	}
	out, err := e.c.HeadObject(ctx(), in)
	if err != nil {
		e.t.Fatalf("HeadObject(%s/%s@%s): %v", bucket, key, versionID, err)
	}
	return out
}

// retain sets a version's retention with c; bypass sends
// x-amz-bypass-governance-retention: true.
func lockRetain(c *s3.Client, bucket, key, versionID string, mode types.ObjectLockRetentionMode, until time.Time, bypass bool) error {
	in := &s3.PutObjectRetentionInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Retention: &types.ObjectLockRetention{Mode: mode}}
	if !until.IsZero() {
		in.Retention.RetainUntilDate = aws.Time(until)
	}
	if mode == "" && until.IsZero() {
		in.Retention = &types.ObjectLockRetention{}
	}
	if versionID != "" {
		in.VersionId = aws.String(versionID)
	}
	if bypass {
		in.BypassGovernanceRetention = aws.Bool(true)
	}
	_, err := c.PutObjectRetention(ctx(), in)
	return err
}

// retention reads a version's retention, failing the test on error.
func (e *lockEnv) retention(bucket, key, versionID string) *types.ObjectLockRetention {
	e.t.Helper()
	in := &s3.GetObjectRetentionInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if versionID != "" {
		in.VersionId = aws.String(versionID)
	}
	out, err := e.c.GetObjectRetention(ctx(), in)
	if err != nil {
		e.t.Fatalf("GetObjectRetention(%s/%s@%s): %v", bucket, key, versionID, err)
	}
	return out.Retention
}

// deleteVersion deletes one version with c, optionally with the bypass header.
func lockDeleteVersion(c *s3.Client, bucket, key, versionID string, bypass bool) error {
	in := &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: aws.String(versionID)}
	if bypass {
		in.BypassGovernanceRetention = aws.Bool(true)
	}
	_, err := c.DeleteObject(ctx(), in)
	return err
}

// lockFuture is a whole second d from now (S3 keeps milliseconds; a whole
// second compares equal after the round trip).
func lockFuture(d time.Duration) time.Time {
	return time.Now().Add(d).UTC().Truncate(time.Second)
}

// lockWantTime compares a returned retain-until date with want.
func lockWantTime(t testing.TB, what string, got *time.Time, want time.Time) {
	t.Helper()
	if got == nil || !got.Equal(want) {
		t.Errorf("%s: retain until %v, want %v", what, got, want)
	}
}

// lockRawErr is S3's XML error with the elements Object Lock errors add.
type lockRawErr struct {
	Code, Message, ArgumentName, ArgumentValue, BucketName, Method, ResourceType string
}

// lockRaw is a raw signed request's answer.
type lockRaw struct {
	Status int
	Header http.Header
	Body   []byte
}

// do sends a raw request signed as root (the SDKs always add a checksum,
// so the rows that need none, or a body the SDK will not build, go raw).
// md5 adds Content-MD5 of body.
func (e *lockEnv) do(method, pathQuery string, hdr http.Header, body []byte, md5 bool) lockRaw {
	e.t.Helper()
	if hdr == nil {
		hdr = http.Header{}
	}
	if md5 {
		hdr.Set("Content-MD5", md5B64(body))
	}
	resp, b := e.srv.Do(e.t, method, pathQuery, body, hdr, "")
	return lockRaw{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// wantErr checks status, code and (when not "") message, and returns the
// parsed error for its other elements.
func (r lockRaw) wantErr(t testing.TB, what string, status int, code, msg string) lockRawErr {
	t.Helper()
	var x lockRawErr
	_ = xml.Unmarshal(r.Body, &x)
	if r.Status != status || x.Code != code {
		t.Errorf("%s: got %d %s (%q), want %d %s", what, r.Status, x.Code, x.Message, status, code)
	} else if msg != "" && x.Message != msg {
		t.Errorf("%s: message %q, want %q", what, x.Message, msg)
	}
	return x
}

func (r lockRaw) wantStatus(t testing.TB, what string, status int) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s: status %d, want %d; body %s", what, r.Status, status, r.Body)
	}
}

// lockConfigXML is a PutObjectLockConfiguration body.
func lockConfigXML(inner string) []byte {
	return []byte(`<ObjectLockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + inner + `</ObjectLockConfiguration>`)
}

// lockEnabledWith is ObjectLockEnabled=Enabled and a default retention.
func lockEnabledWith(retention string) []byte {
	return lockConfigXML(`<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>` + retention + `</DefaultRetention></Rule>`)
}

// setDefault gives a lock bucket a default retention with the SDK.
func (e *lockEnv) setDefault(bucket string, mode types.ObjectLockRetentionMode, days, years int32) {
	e.t.Helper()
	d := &types.DefaultRetention{Mode: mode}
	if days != 0 {
		d.Days = aws.Int32(days)
	}
	if years != 0 {
		d.Years = aws.Int32(years)
	}
	_, err := e.c.PutObjectLockConfiguration(ctx(), &s3.PutObjectLockConfigurationInput{Bucket: aws.String(bucket),
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
			Rule: &types.ObjectLockRule{DefaultRetention: d}}})
	if err != nil {
		e.t.Fatalf("PutObjectLockConfiguration(%s): %v", bucket, err)
	}
}

// lockBody is a small body for raw writes.
var lockBody = []byte("object lock raw body")

// lockReader is a fresh reader of lockBody.
func lockReader() *bytes.Reader { return bytes.NewReader(lockBody) }
