package conformance

// UploadPartCopy (S3-LANDSCAPE §3.19; versitygw#1122): whole sources and
// ranges, every malformed range form with AWS's exact code and message,
// copy-source conditions, URL-encoded sources with ?versionId, the
// CopyPartResult, and the size rule applied to copied parts at Complete.

import (
	"bytes"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

var mpLastModifiedRE = regexp.MustCompile(`<LastModified>([^<]*)</LastModified>`)

const mpCopyRangeMsg = "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy"

// copyPart runs UploadPartCopy through the SDK.
func (e *mpEnv) copyPart(key, id string, n int32, source string, mods ...func(*s3.UploadPartCopyInput)) (*s3.UploadPartCopyOutput, error) {
	in := &s3.UploadPartCopyInput{
		Bucket: aws.String(e.bucket), Key: aws.String(key), UploadId: aws.String(id),
		PartNumber: aws.Int32(n), CopySource: aws.String(source),
	}
	for _, m := range mods {
		m(in)
	}
	return e.c.UploadPartCopy(mpCtx(), in)
}

func mpRange(r string) func(*s3.UploadPartCopyInput) {
	return func(in *s3.UploadPartCopyInput) { in.CopySourceRange = aws.String(r) }
}

// TestMPCopyWholeAndRanges: parts copied from whole objects and from byte
// ranges (including across a multipart source's part boundaries) carry the
// MD5 of the copied bytes and complete to exactly those bytes.
func TestMPCopyWholeAndRanges(t *testing.T) {
	e := mpSmall(t)
	small := []byte("0123456789")
	e.putObject("src/small", small)
	big := mpBytes(100_000, 7)
	e.putObject("src/big", big)
	// A multipart source with parts of 3000, 4000 and 5000 bytes.
	mpsrc := [][]byte{mpBytes(3000, 1), mpBytes(4000, 2), mpBytes(5000, 3)}
	sid := e.create("src/multi")
	var sparts []types.CompletedPart
	for i, b := range mpsrc {
		sparts = append(sparts, mpCP(int32(i+1), e.part("src/multi", sid, int32(i+1), b)))
	}
	e.mustComplete("src/multi", sid, sparts)
	multi := bytes.Join(mpsrc, nil)

	key := "dst"
	id := e.create(key)
	cases := []struct {
		src  string
		rng  string
		want []byte
	}{
		{"src/small", "", small},
		{"src/small", "bytes=0-4", small[0:5]},
		{"src/small", "bytes=9-9", small[9:10]},
		{"src/big", "bytes=1000-65535", big[1000:65536]},
		{"src/big", "", big},
		{"src/multi", "bytes=2990-7010", multi[2990:7011]}, // spans all three parts
		{"src/multi", "", multi},
		{"src/small", "bytes=0-9", small},
	}
	var parts []types.CompletedPart
	var want []byte
	for i, c := range cases {
		n := int32(i + 1)
		var mods []func(*s3.UploadPartCopyInput)
		if c.rng != "" {
			mods = append(mods, mpRange(c.rng))
		}
		before := time.Now().Add(-2 * time.Second)
		out, err := e.copyPart(key, id, n, e.bucket+"/"+c.src, mods...)
		if err != nil {
			t.Fatalf("UploadPartCopy %s %q: %v", c.src, c.rng, err)
		}
		if out.CopyPartResult == nil {
			t.Fatalf("UploadPartCopy %s %q: no CopyPartResult", c.src, c.rng)
		}
		if got, w := aws.ToString(out.CopyPartResult.ETag), `"`+mpMD5Hex(c.want)+`"`; got != w {
			t.Errorf("UploadPartCopy %s %q: CopyPartResult ETag %s, want %s", c.src, c.rng, got, w)
		}
		if lm := aws.ToTime(out.CopyPartResult.LastModified); lm.Before(before) || lm.After(time.Now().Add(2*time.Second)) {
			t.Errorf("UploadPartCopy %s %q: LastModified %v not now", c.src, c.rng, lm)
		}
		parts = append(parts, mpCP(n, aws.ToString(out.CopyPartResult.ETag)))
		want = append(want, c.want...)
	}
	lp := e.mustListParts(key, id, nil, nil)
	for i, p := range lp.Parts {
		if aws.ToInt64(p.Size) != int64(len(cases[i].want)) {
			t.Errorf("ListParts part %d size %d, want %d", i+1, aws.ToInt64(p.Size), len(cases[i].want))
		}
	}
	// A plain UploadPart mixed in (s3fs-fuse#1304).
	tail := []byte("-- uploaded tail --")
	parts = append(parts, mpCP(int32(len(cases)+1), e.part(key, id, int32(len(cases)+1), tail)))
	want = append(want, tail...)
	e.mustComplete(key, id, parts)
	e.wantBytes(key, want)

	// The raw CopyPartResult XML.
	id2 := e.create("dst2")
	r := e.raw("PUT", mpPath(e.bucket, "dst2")+"?partNumber=1&uploadId="+id2, nil, map[string]string{"x-amz-copy-source": "/" + e.bucket + "/src/small"})
	if r.StatusCode != 200 || !bytes.Contains(r.Body, []byte("<CopyPartResult")) || !bytes.Contains(r.Body, []byte(mpMD5Hex(small))) {
		t.Errorf("raw UploadPartCopy: status %d body %.400s, want a CopyPartResult with the ETag", r.StatusCode, r.Body)
	}
	if m := mpLastModifiedRE.FindSubmatch(r.Body); m == nil || !mpISOMillis.Match(m[1]) {
		t.Errorf("raw CopyPartResult LastModified not ISO-8601 with milliseconds: %.400s", r.Body)
	}
}

// TestMPCopyRangeErrors: §3.19's malformed ranges are InvalidArgument with
// ArgumentName x-amz-copy-source-range; last ≥ size is InvalidArgument
// "Range specified is not valid…"; first ≥ size is InvalidRequest.
func TestMPCopyRangeErrors(t *testing.T) {
	e := mpSmall(t)
	e.putObject("src", []byte("0123456789")) // 10 bytes
	id := e.create("dst")
	path := mpPath(e.bucket, "dst") + "?partNumber=1&uploadId=" + id
	copyWith := func(rng string) mpResp {
		return e.raw("PUT", path, nil, map[string]string{"x-amz-copy-source": e.bucket + "/src", "x-amz-copy-source-range": rng})
	}
	for _, rng := range []string{"0-8", "bytes=1-0", "bytes=-1-", "bytes=1-", "bytes=-2", "bytes=0-1,3-4", "bytes=-", "bytes=", "bytes=a-b", "items=0-1", "bytes=+1-2"} {
		copyWith(rng).wantErr(t, "copy range "+rng, 400, "InvalidArgument", map[string]string{
			"ArgumentName": "x-amz-copy-source-range", "ArgumentValue": rng, "Message": mpCopyRangeMsg,
		})
	}
	for _, rng := range []string{"bytes=0-10", "bytes=5-100"} {
		copyWith(rng).wantErr(t, "copy range "+rng, 400, "InvalidArgument", map[string]string{
			"ArgumentName": "x-amz-copy-source-range", "Message": "Range specified is not valid for source object of size: 10",
		})
	}
	for _, rng := range []string{"bytes=10-12", "bytes=10-10", "bytes=50-60"} {
		copyWith(rng).wantErr(t, "copy range "+rng, 400, "InvalidRequest", map[string]string{
			"Message": "The specified copy range is invalid for the source object size",
		})
	}
	// The SDK sees the same codes.
	_, err := e.copyPart("dst", id, 1, e.bucket+"/src", mpRange("bytes=1-0"))
	mpWantErr(t, "SDK copy range bytes=1-0", err, "InvalidArgument", 400)
	_, err = e.copyPart("dst", id, 1, e.bucket+"/src", mpRange("bytes=10-11"))
	mpWantErr(t, "SDK copy range bytes=10-11", err, "InvalidRequest", 400)
	// Nothing was stored by the refused copies.
	if out := e.mustListParts("dst", id, nil, nil); len(out.Parts) != 0 {
		t.Errorf("refused copies left parts %v", mpPartNumbers(out.Parts))
	}
	// Edges that are valid.
	for _, rng := range []string{"bytes=0-9", "bytes=9-9", "bytes=0-0"} {
		if r := copyWith(rng); r.StatusCode != 200 {
			t.Errorf("copy range %s: status %d (%.300s), want 200", rng, r.StatusCode, r.Body)
		}
	}
}

// TestMPCopyConditions: x-amz-copy-source-if-* that fail answer 412; those
// that hold let the copy through.
func TestMPCopyConditions(t *testing.T) {
	e := mpSmall(t)
	etag := e.putObject("src", []byte("conditional source"))
	h, err := e.c.HeadObject(mpCtx(), &s3.HeadObjectInput{Bucket: aws.String(e.bucket), Key: aws.String("src")})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	lm := aws.ToTime(h.LastModified)
	past, future := lm.Add(-time.Hour), lm.Add(time.Hour)
	id := e.create("dst")
	src := e.bucket + "/src"
	fail := map[string]func(*s3.UploadPartCopyInput){
		"if-match wrong": func(in *s3.UploadPartCopyInput) {
			in.CopySourceIfMatch = aws.String(`"0123456789abcdef0123456789abcdef"`)
		},
		"if-none-match current":   func(in *s3.UploadPartCopyInput) { in.CopySourceIfNoneMatch = aws.String(etag) },
		"if-unmodified-since old": func(in *s3.UploadPartCopyInput) { in.CopySourceIfUnmodifiedSince = aws.Time(past) },
		"if-modified-since later": func(in *s3.UploadPartCopyInput) { in.CopySourceIfModifiedSince = aws.Time(future) },
	}
	for name, m := range fail {
		_, err := e.copyPart("dst", id, 1, src, m)
		mpWantErr(t, "UploadPartCopy "+name, err, "PreconditionFailed", 412)
	}
	r := e.raw("PUT", mpPath(e.bucket, "dst")+"?partNumber=1&uploadId="+id, nil, map[string]string{
		"x-amz-copy-source": src, "x-amz-copy-source-if-match": `"ffffffffffffffffffffffffffffffff"`,
	})
	r.wantErr(t, "raw UploadPartCopy if-match wrong", 412, "PreconditionFailed", nil)

	pass := []func(*s3.UploadPartCopyInput){
		func(in *s3.UploadPartCopyInput) { in.CopySourceIfMatch = aws.String(etag) },
		func(in *s3.UploadPartCopyInput) {
			in.CopySourceIfNoneMatch = aws.String(`"0123456789abcdef0123456789abcdef"`)
		},
		func(in *s3.UploadPartCopyInput) { in.CopySourceIfUnmodifiedSince = aws.Time(future) },
		func(in *s3.UploadPartCopyInput) { in.CopySourceIfModifiedSince = aws.Time(past) },
		func(in *s3.UploadPartCopyInput) {
			in.CopySourceIfMatch = aws.String(etag)
			in.CopySourceIfUnmodifiedSince = aws.Time(past) // If-Match true wins (RFC 7232 order)
		},
	}
	for i, m := range pass {
		if _, err := e.copyPart("dst", id, int32(i+1), src, m); err != nil {
			t.Errorf("UploadPartCopy with holding condition %d: %v", i, err)
		}
	}
}

// TestMPCopySourceEncoding: the copy source may be URL-encoded, with or
// without a leading slash, and carry ?versionId; missing sources are
// NoSuchKey / NoSuchBucket; a missing upload is NoSuchUpload.
func TestMPCopySourceEncoding(t *testing.T) {
	e := mpSmall(t)
	key := "dir/a b+c ü&=.txt"
	body := []byte("encoded source key")
	e.putObject(key, body)
	enc := strings.TrimPrefix(mpPath(e.bucket, key), "/")
	if strings.ContainsAny(enc, " ü") {
		t.Fatalf("test bug: %q not encoded", enc)
	}
	id := e.create("dst")
	sources := []string{enc, "/" + enc, enc + "?versionId=null", "/" + enc + "?versionId=null", e.bucket + "/" + url.PathEscape(key)}
	var parts []types.CompletedPart
	var want []byte
	for i, s := range sources {
		out, err := e.copyPart("dst", id, int32(i+1), s)
		if err != nil {
			t.Errorf("UploadPartCopy from %q: %v", s, err)
			continue
		}
		if aws.ToString(out.CopyPartResult.ETag) != `"`+mpMD5Hex(body)+`"` {
			t.Errorf("UploadPartCopy from %q: ETag %s", s, aws.ToString(out.CopyPartResult.ETag))
		}
		parts = append(parts, mpCP(int32(i+1), aws.ToString(out.CopyPartResult.ETag)))
		want = append(want, body...)
	}
	e.mustComplete("dst", id, parts)
	e.wantBytes("dst", want)

	id = e.create("dst2")
	_, err := e.copyPart("dst2", id, 1, e.bucket+"/no/such/key")
	mpWantErr(t, "UploadPartCopy from a missing key", err, "NoSuchKey", 404)
	_, err = e.copyPart("dst2", id, 1, "mp-no-such-bucket/key")
	mpWantErr(t, "UploadPartCopy from a missing bucket", err, "NoSuchBucket", 404)
	_, err = e.copyPart("dst2", "bm8tc3VjaC11cGxvYWQ", 1, enc)
	mpWantErr(t, "UploadPartCopy into a missing upload", err, "NoSuchUpload", 404)
	_, err = e.copyPart("dst2", id, 0, enc)
	mpWantErr(t, "UploadPartCopy part 0", err, "InvalidArgument", 400)
	_, err = e.copyPart("dst2", id, 10001, enc)
	mpWantErr(t, "UploadPartCopy part 10001", err, "InvalidArgument", 400)
}

// TestMPCopyEntityTooSmall: a copied part obeys the 5 MiB rule at Complete.
func TestMPCopyEntityTooSmall(t *testing.T) {
	e := mpSetup(t)
	src := mpBytes(mpMiB+10, 3)
	e.putObject("src", src)
	id := e.create("dst")
	out, err := e.copyPart("dst", id, 1, e.bucket+"/src", mpRange("bytes=0-1048575"))
	if err != nil {
		t.Fatalf("UploadPartCopy: %v", err)
	}
	et2 := e.part("dst", id, 2, []byte("tail"))
	r := e.rawComplete("dst", id, mpCompleteXML(mpCP(1, aws.ToString(out.CopyPartResult.ETag)), mpCP(2, et2)), nil)
	r.wantErr(t, "Complete with a 1 MiB copied part", 400, "EntityTooSmall", map[string]string{
		"ProposedSize": "1048576", "MinSizeAllowed": "5242880", "PartNumber": "1",
	})
}

// TestMPCopyValidationOrder: what UploadPartCopy checks first, one row per
// request (versitygw's UploadPartCopy integration tests, written against
// S3): the destination bucket, then the copy source's syntax, then the part
// number, and only then the upload (NoSuchUpload) and the source object.
func TestMPCopyValidationOrder(t *testing.T) {
	e := mpSmall(t)
	e.putObject("src", []byte("source"))
	id := e.create("dst")
	good := e.bucket + "/src"
	type row struct {
		name, bucket, key, query, source string
		status                           int
		code                             string
		fields                           map[string]string
	}
	rows := []row{
		// UploadPartCopy_non_existing_bucket: missing bucket, malformed
		// source ("Copy-Source" has no slash), bogus upload id.
		{name: "missing bucket, malformed source", bucket: "no-such-dst-bucket", key: "dst",
			query: "partNumber=1&uploadId=uploadId", source: "Copy-Source",
			status: 404, code: "NoSuchBucket", fields: map[string]string{"BucketName": "no-such-dst-bucket"}},
		{name: "missing bucket, bad part number", bucket: "no-such-dst-bucket", key: "dst",
			query: "partNumber=-10&uploadId=uploadId", source: good, status: 404, code: "NoSuchBucket"},
		// UploadPartCopy_invalid_part_number: -10 with a well-formed source
		// and a bogus upload id.
		{name: "bad part number, bogus upload", key: "non-existing-object-key",
			query: "partNumber=-10&uploadId=uploadId", source: "bucket/key", status: 400, code: "InvalidArgument",
			fields: map[string]string{"Message": mpPartNumberMsg, "ArgumentName": "partNumber", "ArgumentValue": "-10"}},
		// UploadPartCopy_incorrect_uploadId / _incorrect_object_key.
		{name: "well-formed source, bogus upload", key: "dst",
			query: "partNumber=1&uploadId=bm8tc3VjaC11cGxvYWQ", source: good, status: 404, code: "NoSuchUpload"},
		{name: "real upload, other key", key: "other",
			query: "partNumber=1&uploadId=" + id, source: good, status: 404, code: "NoSuchUpload"},
		// UploadPartCopy_non_existing_source_bucket / _object_key: with a
		// real upload the source is looked up.
		{name: "missing source bucket", key: "dst",
			query: "partNumber=1&uploadId=" + id, source: "src/bucket/src/obj", status: 404, code: "NoSuchBucket"},
		{name: "missing source key", key: "dst",
			query: "partNumber=1&uploadId=" + id, source: e.bucket + "/non/existing/obj/key", status: 404, code: "NoSuchKey"},
	}
	// UploadPartCopy_invalid_copy_source: each malformed source, with a
	// bogus upload id, is InvalidArgument, not NoSuchUpload.
	for _, c := range copySourceErrors {
		rows = append(rows, row{name: "source " + c.source, key: "obj", query: "partNumber=1&uploadId=mock-upload-id",
			source: c.source, status: 400, code: "InvalidArgument",
			fields: map[string]string{"Message": c.message, "ArgumentName": "x-amz-copy-source", "ArgumentValue": c.source}})
	}
	for _, c := range rows {
		b := c.bucket
		if b == "" {
			b = e.bucket
		}
		r := e.raw("PUT", mpPath(b, c.key)+"?"+c.query, nil, map[string]string{"x-amz-copy-source": c.source})
		r.wantErr(t, c.name, c.status, c.code, c.fields)
	}
	// Through the SDK too: the missing destination bucket comes first.
	_, err := e.c.UploadPartCopy(mpCtx(), &s3.UploadPartCopyInput{
		Bucket: aws.String("no-such-dst-bucket"), Key: aws.String("dst"), UploadId: aws.String("uploadId"),
		PartNumber: aws.Int32(1), CopySource: aws.String("Copy-Source"),
	})
	mpWantErr(t, "SDK UploadPartCopy into a missing bucket", err, "NoSuchBucket", 404)
	if lp := e.mustListParts("dst", id, nil, nil); len(lp.Parts) != 0 {
		t.Errorf("refused copies left %d parts", len(lp.Parts))
	}
}
