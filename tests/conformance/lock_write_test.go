package conformance

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// x-amz-object-lock-* on PutObject, CopyObject and CreateMultipartUpload,
// the bucket's default retention, and the Content-MD5/checksum S3 requires
// of such writes.

// TestLockWriteHeaders: the lock a write asks for is the version's, shown
// on HEAD and GET, and never echoed by the write itself (LocalStack
// test_bucket_config_default_retention "put-object-with-lock" [REC]; ceph
// test_object_lock_uploading_obj, test_object_lock_get_obj_metadata).
func TestLockWriteHeaders(t *testing.T) {
	e := lockNew(t)
	b := e.bucket()
	until := lockFuture(48 * time.Hour)
	src := e.put(b, "src")
	mp := func(key string) {
		t.Helper()
		cu, err := e.c.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(key),
			ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: aws.Time(until),
			ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn})
		if err != nil {
			t.Fatalf("CreateMultipartUpload: %v", err)
		}
		var parts []types.CompletedPart
		for n := int32(1); n <= 2; n++ {
			p, err := e.c.UploadPart(ctx(), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: cu.UploadId,
				PartNumber: aws.Int32(n), Body: strings.NewReader("part body")})
			if err != nil {
				t.Fatalf("UploadPart %d (SDK checksum): %v", n, err)
			}
			parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: p.ETag, ChecksumCRC32: p.ChecksumCRC32})
		}
		if _, err := e.c.CompleteMultipartUpload(ctx(), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(key),
			UploadId: cu.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
			t.Fatalf("CompleteMultipartUpload: %v", err)
		}
	}
	for _, tc := range []struct {
		name  string
		write func(key string)
	}{
		{"PutObject", func(key string) {
			e.put(b, key, lockHeaders(types.ObjectLockModeGovernance, until, types.ObjectLockLegalHoldStatusOn))
		}},
		{"CopyObject", func(key string) {
			_, err := e.c.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String(key),
				CopySource:     aws.String(b + "/src?versionId=" + src),
				ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: aws.Time(until),
				ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn})
			if err != nil {
				t.Fatalf("CopyObject: %v", err)
			}
		}},
		// The completed object gets the upload's lock.
		{"CreateMultipartUpload", mp},
	} {
		key := "k-" + tc.name
		tc.write(key)
		h := e.head(b, key, "")
		if h.ObjectLockMode != types.ObjectLockModeGovernance || h.ObjectLockLegalHoldStatus != types.ObjectLockLegalHoldStatusOn {
			t.Errorf("%s: HEAD mode %q hold %q", tc.name, h.ObjectLockMode, h.ObjectLockLegalHoldStatus)
		}
		lockWantTime(t, tc.name+": HEAD", h.ObjectLockRetainUntilDate, until)
		_, g := get(t, e.c, b, key)
		if g.ObjectLockMode != types.ObjectLockModeGovernance || g.ObjectLockLegalHoldStatus != types.ObjectLockLegalHoldStatusOn {
			t.Errorf("%s: GET mode %q hold %q", tc.name, g.ObjectLockMode, g.ObjectLockLegalHoldStatus)
		}
		lockWantTime(t, tc.name+": GET", g.ObjectLockRetainUntilDate, until)
	}
	// The write's own answer carries no lock headers (research §10).
	hdr := http.Header{"X-Amz-Object-Lock-Mode": {"COMPLIANCE"}, "X-Amz-Object-Lock-Retain-Until-Date": {until.Format(time.RFC3339)},
		"X-Amz-Object-Lock-Legal-Hold": {"ON"}}
	r := e.do(http.MethodPut, objectPath(b, "raw"), hdr, lockBody, true)
	r.wantStatus(t, "raw put", http.StatusOK)
	for k := range r.Header {
		if strings.HasPrefix(strings.ToLower(k), "x-amz-object-lock") {
			t.Errorf("PutObject answered with %s", k)
		}
	}
	// GET's headers in S3's forms (research §10).
	r = e.do(http.MethodGet, objectPath(b, "raw"), nil, nil, false)
	for k, want := range map[string]string{"x-amz-object-lock-mode": "COMPLIANCE",
		"x-amz-object-lock-retain-until-date": until.Format("2006-01-02T15:04:05.000Z"), "x-amz-object-lock-legal-hold": "ON"} {
		if got := r.Header.Get(k); got != want {
			t.Errorf("GET %s = %q, want %q", k, got, want)
		}
	}
}

// TestLockWriteHeaderValidation: S3's errors for bad lock headers, in S3's
// order, the same on PutObject, CopyObject and CreateMultipartUpload
// (versitygw PR #1744), sent raw with Content-MD5.
func TestLockWriteHeaderValidation(t *testing.T) {
	e := lockNew(t)
	lock := e.bucket()
	plain := newBucket(t, e.c)
	put(t, e.c, plain, "src", lockBody)
	future := lockFuture(time.Hour).Format(time.RFC3339)
	const past = "2020-12-25T12:00:00Z"
	const pair = "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied"
	h := func(kv ...string) http.Header {
		hd := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			hd.Set(kv[i], kv[i+1])
		}
		return hd
	}
	const mode, date, hold = "x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date", "x-amz-object-lock-legal-hold"
	for _, tc := range []struct {
		name              string
		bucket            string
		hdr               http.Header
		code, msg         string
		argName, argValue string
	}{
		// Raw S3 in versitygw#1736; storj/edge#511.
		{"unknown mode", lock, h(mode, "abc", date, future), "InvalidArgument", "Unknown wormMode directive.", mode, "abc"},
		{"lower-case mode", lock, h(mode, "governance", date, future), "InvalidArgument", "Unknown wormMode directive.", mode, "governance"},
		// Raw S3 in versitygw#1733.
		{"bad date", lock, h(mode, "GOVERNANCE", date, "abc"), "InvalidArgument", "The retain until date must be provided in ISO 8601 format", date, "abc"},
		// boto/s3transfer#224 (tested against AWS); versitygw#2028.
		{"mode only", lock, h(mode, "GOVERNANCE"), "InvalidArgument", pair, "", ""},
		{"date only", lock, h(date, future), "InvalidArgument", pair, "", ""},
		// versitygw#2028: the pair is checked before the bucket's lock.
		{"mode only, no lock", plain, h(mode, "GOVERNANCE"), "InvalidArgument", pair, "", ""},
		// versitygw#1141, PR #1148.
		{"bad legal hold", lock, h(hold, "maybe"), "InvalidArgument", "Legal Hold must be either of 'ON' or 'OFF'", hold, "maybe"},
		// Raw S3 in versitygw#1734.
		{"past date", lock, h(mode, "COMPLIANCE", date, past), "InvalidArgument", lockMsgFuture, date, past},
		// versitygw#1751 / PR #1755: the bucket's lock before the date; no spaces in the text.
		{"no lock", plain, h(mode, "GOVERNANCE", date, future), "InvalidRequest", lockMsgNoBucketHdr, "", ""},
		{"past date, no lock", plain, h(mode, "GOVERNANCE", date, past), "InvalidRequest", lockMsgNoBucketHdr, "", ""},
		{"legal hold, no lock", plain, h(hold, "ON"), "InvalidRequest", lockMsgNoBucketHdr, "", ""},
		{"legal hold OFF, no lock", plain, h(hold, "OFF"), "InvalidRequest", lockMsgNoBucketHdr, "", ""},
	} {
		for _, op := range []string{"PutObject", "CopyObject", "CreateMultipartUpload"} {
			hdr := tc.hdr.Clone()
			var r lockRaw
			switch op {
			case "PutObject":
				r = e.do(http.MethodPut, objectPath(tc.bucket, "k"), hdr, lockBody, true)
			case "CopyObject":
				hdr.Set("x-amz-copy-source", "/"+plain+"/src")
				r = e.do(http.MethodPut, objectPath(tc.bucket, "k"), hdr, nil, false)
			case "CreateMultipartUpload":
				r = e.do(http.MethodPost, objectPath(tc.bucket, "k")+"?uploads", hdr, nil, false)
			}
			x := r.wantErr(t, op+": "+tc.name, http.StatusBadRequest, tc.code, tc.msg)
			if x.ArgumentName != tc.argName || x.ArgumentValue != tc.argValue {
				t.Errorf("%s: %s: ArgumentName %q ArgumentValue %q, want %q %q", op, tc.name, x.ArgumentName, x.ArgumentValue, tc.argName, tc.argValue)
			}
		}
	}
	// Nothing was stored.
	l, err := e.c.ListObjectVersions(ctx(), &s3.ListObjectVersionsInput{Bucket: aws.String(lock)})
	if err != nil || len(l.Versions) != 0 {
		t.Errorf("lock bucket after refused writes: %d versions, %v", len(l.Versions), err)
	}
}

// TestLockIntegrityRequired: S3 requires Content-MD5 or an x-amz-checksum-*
// header of a write with lock parameters, including a bucket's default
// retention, and of each part of such an upload; x-amz-content-sha256 alone
// is not enough. Raw signed requests: the SDKs always send a checksum.
func TestLockIntegrityRequired(t *testing.T) {
	e := lockNew(t)
	b := e.bucket()
	withDefault := e.bucket()
	e.setDefault(withDefault, types.ObjectLockRetentionModeGovernance, 1, 0)
	future := lockFuture(time.Hour).Format(time.RFC3339)
	retention := http.Header{"X-Amz-Object-Lock-Mode": {"GOVERNANCE"}, "X-Amz-Object-Lock-Retain-Until-Date": {future}}
	crc := http.Header{"X-Amz-Checksum-Crc32": {ckSum("CRC32", lockBody)}}
	merge := func(hs ...http.Header) http.Header {
		out := http.Header{}
		for _, h := range hs {
			for k, v := range h {
				out[k] = v
			}
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		bucket string
		hdr    http.Header
		md5    bool
		want   string // "" = 200
	}{
		// Raw S3 in versitygw#1535, #1776.
		{"retention", b, retention, false, lockMsgMD5Put},
		{"legal hold", b, http.Header{"X-Amz-Object-Lock-Legal-Hold": {"ON"}}, false, lockMsgMD5Put},
		// Raw S3 in versitygw#1740; clickhouse-backup#829, docker-volume-backup#727.
		{"default retention", withDefault, nil, false, lockMsgMD5Put},
		{"retention with Content-MD5", b, retention, true, ""},
		{"retention with a checksum", b, merge(retention, crc), false, ""},
		{"default retention with Content-MD5", withDefault, nil, true, ""},
		{"default retention with a checksum", withDefault, crc, false, ""},
		// No lock parameters, no default: nothing required.
		{"no lock parameters", b, nil, false, ""},
		// Research §5g order: the MD5 requirement before the past date.
		{"past date without MD5", b, http.Header{"X-Amz-Object-Lock-Mode": {"GOVERNANCE"}, "X-Amz-Object-Lock-Retain-Until-Date": {"2020-01-01T00:00:00Z"}}, false, lockMsgMD5Put},
	} {
		r := e.do(http.MethodPut, objectPath(tc.bucket, "k"), tc.hdr.Clone(), lockBody, tc.md5)
		if tc.want == "" {
			r.wantStatus(t, tc.name, http.StatusOK)
			continue
		}
		r.wantErr(t, tc.name, http.StatusBadRequest, "InvalidRequest", tc.want)
	}

	// UploadPart of an upload with lock parameters (s3cmd#1436 quotes S3),
	// whether from headers or from the bucket's default.
	for _, tc := range []struct {
		name, bucket string
		hdr          http.Header
	}{
		{"upload with retention", b, retention},
		{"upload with legal hold", b, http.Header{"X-Amz-Object-Lock-Legal-Hold": {"OFF"}}},
		{"upload under a default retention", withDefault, nil},
	} {
		u, err := e.c.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String(tc.bucket), Key: aws.String("mp")})
		if tc.hdr != nil {
			r := e.do(http.MethodPost, objectPath(tc.bucket, "mp")+"?uploads", tc.hdr.Clone(), nil, false)
			r.wantStatus(t, tc.name+": create", http.StatusOK)
			var x struct{ UploadId string }
			if err := xml.Unmarshal(r.Body, &x); err != nil {
				t.Fatal(err)
			}
			u.UploadId = aws.String(x.UploadId)
		} else if err != nil {
			t.Fatal(err)
		}
		path := objectPath(tc.bucket, "mp") + "?partNumber=1&uploadId=" + aws.ToString(u.UploadId)
		e.do(http.MethodPut, path, nil, lockBody, false).wantErr(t, tc.name+": part", http.StatusBadRequest, "InvalidRequest", lockMsgMD5Part)
		e.do(http.MethodPut, path, nil, lockBody, true).wantStatus(t, tc.name+": part with MD5", http.StatusOK)
		e.do(http.MethodPut, path, crc.Clone(), lockBody, false).wantStatus(t, tc.name+": part with a checksum", http.StatusOK)
	}
	// A plain upload's parts need nothing.
	u, err := e.c.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("plain")})
	if err != nil {
		t.Fatal(err)
	}
	e.do(http.MethodPut, objectPath(b, "plain")+"?partNumber=1&uploadId="+aws.ToString(u.UploadId), nil, lockBody, false).wantStatus(t, "plain part", http.StatusOK)
}

// TestLockDefaultRetention: a bucket's default retention is given to every
// new version that names none, ending exactly Days/Years after its
// LastModified, and shown on HEAD; explicit headers win (LocalStack
// test_bucket_config_default_retention [REC]; ceph
// test_object_lock_put_obj_retention_override_default_retention).
func TestLockDefaultRetention(t *testing.T) {
	e := lockNew(t)
	b := e.bucket()
	e.setDefault(b, types.ObjectLockRetentionModeGovernance, 1, 0)
	checkDefault := func(what, key string, mode types.ObjectLockMode, after func(time.Time) time.Time) {
		t.Helper()
		h := e.head(b, key, "")
		if h.ObjectLockMode != mode || h.ObjectLockRetainUntilDate == nil {
			t.Errorf("%s: HEAD mode %q until %v, want %s", what, h.ObjectLockMode, h.ObjectLockRetainUntilDate, mode)
			return
		}
		// LastModified has whole seconds; the date is that instant + the period.
		want := after(*h.LastModified)
		if d := h.ObjectLockRetainUntilDate.Sub(want); d < 0 || d >= time.Second {
			t.Errorf("%s: until %v, want %v (+ <1s)", what, h.ObjectLockRetainUntilDate, want)
		}
		if h.ObjectLockLegalHoldStatus != "" {
			t.Errorf("%s: a default gives no legal hold, got %q", what, h.ObjectLockLegalHoldStatus)
		}
	}
	put(t, e.c, b, "days", lockBody)
	checkDefault("Days", "days", types.ObjectLockModeGovernance, func(t time.Time) time.Time { return t.AddDate(0, 0, 1) })

	// An explicit retention overrides the default.
	until := lockFuture(72 * time.Hour)
	e.put(b, "explicit", lockHeaders(types.ObjectLockModeCompliance, until, ""))
	if h := e.head(b, "explicit", ""); h.ObjectLockMode != types.ObjectLockModeCompliance || !h.ObjectLockRetainUntilDate.Equal(until) {
		t.Errorf("explicit: HEAD %q %v", h.ObjectLockMode, h.ObjectLockRetainUntilDate)
	}
	// A legal hold alone keeps the default retention too.
	e.put(b, "hold", lockHeaders("", time.Time{}, types.ObjectLockLegalHoldStatusOn))
	if h := e.head(b, "hold", ""); h.ObjectLockMode != types.ObjectLockModeGovernance || h.ObjectLockLegalHoldStatus != types.ObjectLockLegalHoldStatusOn {
		t.Errorf("hold: HEAD %q %q", h.ObjectLockMode, h.ObjectLockLegalHoldStatus)
	}

	e.setDefault(b, types.ObjectLockRetentionModeCompliance, 0, 2)
	put(t, e.c, b, "years", lockBody)
	checkDefault("Years", "years", types.ObjectLockModeCompliance, func(t time.Time) time.Time { return t.AddDate(2, 0, 0) })

	// CopyObject and CreateMultipartUpload get the default as well.
	if _, err := e.c.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("copy"), CopySource: aws.String(b + "/days")}); err != nil {
		t.Fatal(err)
	}
	checkDefault("copy", "copy", types.ObjectLockModeCompliance, func(t time.Time) time.Time { return t.AddDate(2, 0, 0) })
	cu, err := e.c.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("mp")})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.c.UploadPart(ctx(), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("mp"), UploadId: cu.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader(lockBody)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.CompleteMultipartUpload(ctx(), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("mp"), UploadId: cu.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: p.ETag, ChecksumCRC32: p.ChecksumCRC32}}}}); err != nil {
		t.Fatal(err)
	}
	h := e.head(b, "mp", "")
	if h.ObjectLockMode != types.ObjectLockModeCompliance || h.ObjectLockRetainUntilDate == nil ||
		h.ObjectLockRetainUntilDate.Before(time.Now().AddDate(2, 0, 0).Add(-time.Minute)) {
		t.Errorf("multipart: HEAD %q %v, want COMPLIANCE two years on", h.ObjectLockMode, h.ObjectLockRetainUntilDate)
	}
}

// TestLockNotCopied: CopyObject does not copy the source's retention or
// legal hold (LocalStack test_s3_copy_object_retention_lock "head-dest-key",
// test_s3_copy_object_legal_hold [REC]).
func TestLockNotCopied(t *testing.T) {
	e := lockNew(t)
	b := e.bucket()
	e.put(b, "src", lockHeaders(types.ObjectLockModeGovernance, lockFuture(time.Hour), types.ObjectLockLegalHoldStatusOn))
	out, err := e.c.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("dst"), CopySource: aws.String(b + "/src")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.VersionId) == "" || aws.ToString(out.CopySourceVersionId) == "" {
		t.Errorf("copy: VersionId %q CopySourceVersionId %q", aws.ToString(out.VersionId), aws.ToString(out.CopySourceVersionId))
	}
	h := e.head(b, "dst", "")
	if h.ObjectLockMode != "" || h.ObjectLockRetainUntilDate != nil || h.ObjectLockLegalHoldStatus != "" {
		t.Errorf("destination HEAD has a lock: %q %v %q", h.ObjectLockMode, h.ObjectLockRetainUntilDate, h.ObjectLockLegalHoldStatus)
	}
	// The copy of an object in a lock bucket to a bucket without lock works
	// and carries nothing either.
	plain := newBucket(t, e.c)
	if _, err := e.c.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: aws.String(plain), Key: aws.String("dst"), CopySource: aws.String(b + "/src")}); err != nil {
		t.Fatalf("copy to a bucket without lock: %v", err)
	}
	if h, _ := head(t, e.c, plain, "dst"); h == nil || h.ObjectLockMode != "" || h.ObjectLockLegalHoldStatus != "" {
		t.Errorf("copy to a bucket without lock: %+v", h)
	}
}

// TestLockTrailerChecksum: over HTTPS the SDK sends its checksum as an
// aws-chunked trailer, not a header; that satisfies S3's requirement on
// lock writes and their parts as a header does (research §5f: "Content-MD5
// OR x-amz-checksum-"; the SDKs' default since 2025).
func TestLockTrailerChecksum(t *testing.T) {
	e := lockNew(t, tesseratest.WithTLS())
	c, rc := recordingS3(e.srv)
	b := e.bucket()
	e.setDefault(b, types.ObjectLockRetentionModeGovernance, 1, 0)
	put(t, c, b, "k", lockBody, lockHeaders(types.ObjectLockModeCompliance, lockFuture(time.Hour), types.ObjectLockLegalHoldStatusOn))
	if x := rc.last(http.MethodPut); x.Header.Get("x-amz-trailer") == "" {
		t.Errorf("the SDK sent no trailer (headers %v): this row tests nothing new", x.Header)
	}
	if h := e.head(b, "k", ""); h.ObjectLockMode != types.ObjectLockModeCompliance {
		t.Errorf("HEAD mode %q", h.ObjectLockMode)
	}
	cu, err := c.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("mp")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UploadPart(ctx(), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("mp"), UploadId: cu.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader(lockBody)}); err != nil {
		t.Errorf("UploadPart with a trailing checksum: %v", err)
	}
}
