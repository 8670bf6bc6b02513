package conformance

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path/filepath"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/tessera-s3/tessera/internal/lifecycle"
	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// lcClock is the server's clock: real time plus an offset a test moves.
// Requests are signed with real time and the server rejects signatures
// more than 15 minutes off its clock, so tests move the clock forward only
// around a lifecycle pass (which makes no request) and back before talking
// to the server again.
type lcClock struct{ off atomic.Int64 }

func (c *lcClock) now() time.Time { return time.Now().Add(time.Duration(c.off.Load())) }

// at moves the clock so that it reads t now (and runs on from there).
func (c *lcClock) at(t time.Time) { c.off.Store(int64(time.Until(t))) }

// reset puts the clock back to real time.
func (c *lcClock) reset() { c.off.Store(0) }

func lcCtx() context.Context { return context.Background() }

var lcSeq atomic.Int64

type lcEnv struct {
	t     *testing.T
	srv   *tesseratest.Server
	c     *s3.Client
	clock *lcClock
}

func lcSetup(t *testing.T) *lcEnv {
	t.Helper()
	clk := &lcClock{}
	srv := tesseratest.New(t, tesseratest.WithClock(clk.now), tesseratest.WithMinPartSize(1))
	return &lcEnv{t: t, srv: srv, c: srv.S3(), clock: clk}
}

// restart restarts the server on the same data directory.
func (e *lcEnv) restart() {
	e.srv.Restart()
	e.c = e.srv.S3()
}

// pass runs one lifecycle pass with the clock at t, then puts the clock back.
func (e *lcEnv) pass(t time.Time) (aborted, expired int64) {
	e.t.Helper()
	st := e.passStats(t)
	return st.Aborted, st.Expired
}

// passStats runs one lifecycle pass with the clock at t and returns all
// it did; it fails the test on any error.
func (e *lcEnv) passStats(t time.Time) lifecycle.Stats {
	e.t.Helper()
	e.clock.at(t)
	defer e.clock.reset()
	st := e.srv.Lifecycle().RunOnce(lcCtx())
	if st.Errors != 0 {
		e.t.Fatalf("lifecycle pass at %v: %d errors", t, st.Errors)
	}
	return st
}

func (e *lcEnv) bucket() string {
	e.t.Helper()
	name := fmt.Sprintf("lc-%d-%d", time.Now().UnixNano()%1e9, lcSeq.Add(1))
	if _, err := e.c.CreateBucket(lcCtx(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		e.t.Fatalf("CreateBucket(%s): %v", name, err)
	}
	return name
}

func (e *lcEnv) putConfig(bucket string, rules ...types.LifecycleRule) error {
	_, err := e.c.PutBucketLifecycleConfiguration(lcCtx(), &s3.PutBucketLifecycleConfigurationInput{
		Bucket: aws.String(bucket), LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules},
	})
	return err
}

func (e *lcEnv) mustPutConfig(bucket string, rules ...types.LifecycleRule) {
	e.t.Helper()
	if err := e.putConfig(bucket, rules...); err != nil {
		e.t.Fatalf("PutBucketLifecycleConfiguration: %v", err)
	}
}

func (e *lcEnv) create(bucket, key string, mods ...func(*s3.CreateMultipartUploadInput)) *s3.CreateMultipartUploadOutput {
	e.t.Helper()
	in := &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	for _, m := range mods {
		m(in)
	}
	out, err := e.c.CreateMultipartUpload(lcCtx(), in)
	if err != nil {
		e.t.Fatalf("CreateMultipartUpload(%s): %v", key, err)
	}
	return out
}

func (e *lcEnv) part(bucket, key, id string, n int32, body []byte) {
	e.t.Helper()
	_, err := e.c.UploadPart(lcCtx(), &s3.UploadPartInput{
		Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
		PartNumber: aws.Int32(n), Body: bytes.NewReader(body),
	})
	if err != nil {
		e.t.Fatalf("UploadPart(%s, %d): %v", key, n, err)
	}
}

func (e *lcEnv) listParts(bucket, key, id string) (*s3.ListPartsOutput, error) {
	return e.c.ListParts(lcCtx(), &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id)})
}

// initiated is the upload's initiation time as ListMultipartUploads reports it.
func (e *lcEnv) initiated(bucket, key, id string) time.Time {
	e.t.Helper()
	out, err := e.c.ListMultipartUploads(lcCtx(), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), Prefix: aws.String(key)})
	if err != nil {
		e.t.Fatalf("ListMultipartUploads: %v", err)
	}
	for _, u := range out.Uploads {
		if aws.ToString(u.UploadId) == id {
			return aws.ToTime(u.Initiated)
		}
	}
	e.t.Fatalf("upload %s of %s not listed", id, key)
	return time.Time{}
}

// put writes an object and returns its version ID ("" when unversioned).
func (e *lcEnv) put(bucket, key string, body []byte, mods ...func(*s3.PutObjectInput)) string {
	e.t.Helper()
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}
	for _, m := range mods {
		m(in)
	}
	out, err := e.c.PutObject(lcCtx(), in)
	if err != nil {
		e.t.Fatalf("PutObject(%s): %v", key, err)
	}
	return aws.ToString(out.VersionId)
}

// versionedBucket makes a bucket with versioning Enabled; with lock, one
// created with Object Lock (which enables versioning itself).
func (e *lcEnv) versionedBucket(lock bool) string {
	e.t.Helper()
	name := fmt.Sprintf("lcv-%d-%d", time.Now().UnixNano()%1e9, lcSeq.Add(1))
	_, err := e.c.CreateBucket(lcCtx(), &s3.CreateBucketInput{Bucket: aws.String(name), ObjectLockEnabledForBucket: aws.Bool(lock)})
	if err == nil && !lock {
		_, err = e.c.PutBucketVersioning(lcCtx(), &s3.PutBucketVersioningInput{Bucket: aws.String(name),
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	}
	if err != nil {
		e.t.Fatalf("making versioned bucket %s: %v", name, err)
	}
	return name
}

// versions lists the bucket's versions and delete markers under prefix as
// "key id", with " marker" for a delete marker and " latest" for the
// latest, sorted (the listing's own order is tested with versioning).
func (e *lcEnv) versions(bucket, prefix string) []string {
	e.t.Helper()
	out, err := e.c.ListObjectVersions(lcCtx(), &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	if err != nil {
		e.t.Fatalf("ListObjectVersions: %v", err)
	}
	var s []string
	add := func(key, id *string, marker string, latest *bool) {
		d := aws.ToString(key) + " " + aws.ToString(id) + marker
		if aws.ToBool(latest) {
			d += " latest"
		}
		s = append(s, d)
	}
	for _, v := range out.Versions {
		add(v.Key, v.VersionId, "", v.IsLatest)
	}
	for _, m := range out.DeleteMarkers {
		add(m.Key, m.VersionId, " marker", m.IsLatest)
	}
	sort.Strings(s)
	return s
}

// lastModified is the object's LastModified as HeadObject reports it.
func (e *lcEnv) lastModified(bucket, key string) time.Time {
	e.t.Helper()
	out, err := e.c.HeadObject(lcCtx(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		e.t.Fatalf("HeadObject(%s): %v", key, err)
	}
	return aws.ToTime(out.LastModified)
}

func (e *lcEnv) exists(bucket, key string) bool {
	e.t.Helper()
	_, err := e.c.HeadObject(lcCtx(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil && lcStatus(err) != http.StatusNotFound {
		e.t.Fatalf("HeadObject(%s): %v", key, err)
	}
	return err == nil
}

// lcDue is S3's lifecycle rounding: t plus the days, up to the next midnight UTC.
func lcDue(t time.Time, days int) time.Time {
	return t.UTC().AddDate(0, 0, days).Truncate(24 * time.Hour).Add(24 * time.Hour)
}

// lcBlobs lists the blob files under the data directory.
func lcBlobs(t *testing.T, dataDir string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	err := filepath.WalkDir(filepath.Join(dataDir, "blobs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			out[p] = true
		}
		return err
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("walking blobs: %v", err)
	}
	return out
}

// lcBlobsGone returns the blob files of paths still on disk once they have
// had time to go: at once with one gateway, after the garbage grace and a
// collection by the leader with several (tesseratest's timing: under a
// second).
func lcBlobsGone(t *testing.T, dataDir string, paths []string) []string {
	t.Helper()
	var left []string
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		now := lcBlobs(t, dataDir)
		left = left[:0]
		for _, p := range paths {
			if now[p] {
				left = append(left, p)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
	}
}

// lcNew returns the files of after that are not in before.
func lcNew(before, after map[string]bool) []string {
	var out []string
	for p := range after {
		if !before[p] {
			out = append(out, p)
		}
	}
	return out
}

func lcCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func lcMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}

func lcStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// lcWantErr checks an SDK error's code, status and (unless "") message.
func lcWantErr(t *testing.T, what string, err error, code string, status int, msg string) {
	t.Helper()
	switch {
	case err == nil:
		t.Errorf("%s: succeeded, want %d %s", what, status, code)
	case lcCode(err) != code || lcStatus(err) != status || msg != "" && lcMessage(err) != msg:
		t.Errorf("%s: got %d %s %q, want %d %s %q", what, lcStatus(err), lcCode(err), lcMessage(err), status, code, msg)
	}
}

type lcResp struct {
	status int
	header http.Header
	body   []byte
}

// lcRaw sends a SigV4-signed request to "/bucket?query" with the headers
// given (nil body allowed), for what the SDK would not send or would hide.
func (e *lcEnv) raw(method, pathQuery string, body []byte, hdr map[string]string) lcResp {
	e.t.Helper()
	h := http.Header{}
	for k, v := range hdr {
		h.Set(k, v)
	}
	resp, b := e.srv.Do(e.t, method, pathQuery, body, h, "")
	return lcResp{resp.StatusCode, resp.Header, b}
}

func lcMD5(b []byte) map[string]string {
	s := md5.Sum(b)
	return map[string]string{"Content-MD5": base64.StdEncoding.EncodeToString(s[:])}
}

// Rule builders for the SDK.

func lcAbortRule(id, prefix string, days int32) types.LifecycleRule {
	return types.LifecycleRule{
		ID: aws.String(id), Status: types.ExpirationStatusEnabled,
		Filter:                         &types.LifecycleRuleFilter{Prefix: aws.String(prefix)},
		AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(days)},
	}
}

func lcExpireRule(id string, filter *types.LifecycleRuleFilter, exp types.LifecycleExpiration) types.LifecycleRule {
	return types.LifecycleRule{ID: aws.String(id), Status: types.ExpirationStatusEnabled, Filter: filter, Expiration: &exp}
}

// wantVersions checks the bucket's versions under prefix (see versions).
func (e *lcEnv) wantVersions(what, bucket, prefix string, want ...string) {
	e.t.Helper()
	sort.Strings(want)
	got := e.versions(bucket, prefix)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		e.t.Errorf("%s: versions\n got %q\nwant %q", what, got, want)
	}
}

func lcNoncurrentRule(id, prefix string, days int32, newer *int32) types.LifecycleRule {
	return types.LifecycleRule{
		ID: aws.String(id), Status: types.ExpirationStatusEnabled,
		Filter:                      &types.LifecycleRuleFilter{Prefix: aws.String(prefix)},
		NoncurrentVersionExpiration: &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(days), NewerNoncurrentVersions: newer},
	}
}

// versionTime is a version's LastModified as HeadObject reports it.
func (e *lcEnv) versionTime(bucket, key, id string) time.Time {
	e.t.Helper()
	out, err := e.c.HeadObject(lcCtx(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: aws.String(id)})
	if err != nil {
		e.t.Fatalf("HeadObject(%s, %s): %v", key, id, err)
	}
	return aws.ToTime(out.LastModified)
}
