package conformance

// Multipart with the SDK's default checksum behaviour over TLS (aws-chunked
// bodies with trailing checksums) — S3-LANDSCAPE §2 rows 8–11 and 14 — and
// the checksum rules of §3.21 that concern the multipart life cycle.

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// mpRecorder remembers the request headers of UploadPart calls.
type mpRecorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	seen []http.Header
}

func (r *mpRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPut && req.URL.Query().Has("partNumber") {
		r.mu.Lock()
		h := req.Header.Clone()
		if req.ContentLength >= 0 {
			h.Set("X-Test-Content-Length", fmt.Sprint(req.ContentLength))
		}
		if len(req.TransferEncoding) > 0 {
			h.Set("X-Test-Transfer-Encoding", strings.Join(req.TransferEncoding, ","))
		}
		r.seen = append(r.seen, h)
		r.mu.Unlock()
	}
	return r.base.RoundTrip(req)
}

// mpTLS starts a TLS server (where SDKs send trailing checksums by
// default) and returns an env whose client records UploadPart headers.
func mpTLS(t testing.TB) (*mpEnv, *mpRecorder) {
	t.Helper()
	srv := tesseratest.New(t, tesseratest.WithTLS(), tesseratest.WithMinPartSize(1))
	rec := &mpRecorder{base: srv.HTTPClient().Transport}
	e := &mpEnv{t: t, srv: srv, c: srv.S3(func(o *s3.Options) { o.HTTPClient = &http.Client{Transport: rec} })}
	e.bucket = e.newBucket()
	return e, rec
}

// mpCompositeB64 is base64(H(concat raw part digests)) + "-N".
func mpCompositeB64(h func([]byte) []byte, parts ...[]byte) string {
	var cat []byte
	for _, p := range parts {
		cat = append(cat, h(p)...)
	}
	return fmt.Sprintf("%s-%d", base64.StdEncoding.EncodeToString(h(cat)), len(parts))
}

func mpSHA256Raw(b []byte) []byte { s := sha256.Sum256(b); return s[:] }
func mpCRC32CRaw(b []byte) []byte {
	var s [4]byte
	binary.BigEndian.PutUint32(s[:], crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
	return s[:]
}

// TestMPChecksumCRC64NVMETrailer (seaweedfs#9945/#9959, #10235): a CRC64NVME
// upload whose parts come as aws-chunked bodies with a CRC64NVME trailer
// completes with and without per-part checksums in the Complete body, and
// its checksum is FULL_OBJECT (no -N) equal to the CRC64NVME of the body.
func TestMPChecksumCRC64NVMETrailer(t *testing.T) {
	e, rec := mpTLS(t)
	for _, withPartSums := range []bool{true, false} {
		key := fmt.Sprintf("crc64/%v", withPartSums)
		id := e.create(key, func(in *s3.CreateMultipartUploadInput) { in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc64nvme })
		var bodies [][]byte
		var parts []types.CompletedPart
		for n := int32(1); n <= 3; n++ {
			b := mpBytes(70_000+int(n), uint64(n))
			bodies = append(bodies, b)
			out, err := e.uploadPart(key, id, n, b, func(in *s3.UploadPartInput) { in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc64nvme })
			if err != nil {
				t.Fatalf("UploadPart %d: %v", n, err)
			}
			if got := aws.ToString(out.ChecksumCRC64NVME); got != mpCRC64NVMEB64(b) {
				t.Errorf("UploadPart %d ChecksumCRC64NVME %q, want %q", n, got, mpCRC64NVMEB64(b))
			}
			cp := mpCP(n, aws.ToString(out.ETag))
			if withPartSums {
				cp.ChecksumCRC64NVME = out.ChecksumCRC64NVME
			}
			parts = append(parts, cp)
		}
		whole := bytes.Join(bodies, nil)
		out := e.mustComplete(key, id, parts)
		if got := aws.ToString(out.ChecksumCRC64NVME); got != mpCRC64NVMEB64(whole) || out.ChecksumType != types.ChecksumTypeFullObject {
			t.Errorf("%s: Complete CRC64NVME %q type %q, want %q FULL_OBJECT (no -N)", key, got, out.ChecksumType, mpCRC64NVMEB64(whole))
		}
		h, err := e.c.HeadObject(mpCtx(), &s3.HeadObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatalf("HeadObject: %v", err)
		}
		if aws.ToString(h.ChecksumCRC64NVME) != mpCRC64NVMEB64(whole) || h.ChecksumType != types.ChecksumTypeFullObject {
			t.Errorf("%s: HEAD CRC64NVME %q type %q", key, aws.ToString(h.ChecksumCRC64NVME), h.ChecksumType)
		}
		e.wantBytes(key, whole)
	}
	// The parts really travelled as aws-chunked bodies with a trailer.
	trailered := 0
	for _, h := range rec.seen {
		if strings.HasPrefix(h.Get("X-Amz-Content-Sha256"), "STREAMING-") && strings.EqualFold(h.Get("X-Amz-Trailer"), "x-amz-checksum-crc64nvme") {
			trailered++
		}
	}
	if trailered != 6 {
		t.Errorf("%d of %d UploadParts used a streaming body with a CRC64NVME trailer, want 6 (test setup)", trailered, len(rec.seen))
	}
}

// TestMPChecksumSDKDefaults (rustfs#3506, boto3#4396 family): parts sent
// with the SDK's default checksum settings over TLS (aws-chunked bodies with
// a CRC32 trailer; part 3 names CRC32 explicitly, as boto3 and the CLI do)
// into an upload created without an algorithm complete, and the object carries
// AWS's default CRC64NVME FULL_OBJECT checksum equal to that of the same
// bytes stored by PutObject (rustfs#2282).
func TestMPChecksumSDKDefaults(t *testing.T) {
	e, rec := mpTLS(t)
	key := "defaults"
	id := e.create(key)
	var bodies [][]byte
	var parts []types.CompletedPart
	for n := int32(1); n <= 3; n++ {
		b := mpBytes(50_000, uint64(10+n))
		bodies = append(bodies, b)
		parts = append(parts, mpCP(n, e.part(key, id, n, b, func(in *s3.UploadPartInput) {
			if n == 3 {
				// What boto3 / the CLI send by default: a CRC32 trailer.
				in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32
			}
		})))
	}
	// A non-seekable body of known length, as streaming uploaders send.
	tail := mpBytes(1234, 99)
	bodies = append(bodies, tail)
	out4, err := e.c.UploadPart(mpCtx(), &s3.UploadPartInput{
		Bucket: aws.String(e.bucket), Key: aws.String(key), UploadId: aws.String(id), PartNumber: aws.Int32(4),
		Body: io.NopCloser(bytes.NewReader(tail)), ContentLength: aws.Int64(int64(len(tail))),
	})
	if err != nil {
		t.Fatalf("UploadPart with a non-seekable body: %v", err)
	}
	parts = append(parts, mpCP(4, aws.ToString(out4.ETag)))
	whole := bytes.Join(bodies, nil)
	out := e.mustComplete(key, id, parts)
	if got := aws.ToString(out.ChecksumCRC64NVME); got != mpCRC64NVMEB64(whole) || out.ChecksumType != types.ChecksumTypeFullObject {
		t.Errorf("Complete CRC64NVME %q type %q, want %q FULL_OBJECT", got, out.ChecksumType, mpCRC64NVMEB64(whole))
	}
	e.wantBytes(key, whole)

	if _, err := e.c.PutObject(mpCtx(), &s3.PutObjectInput{Bucket: aws.String(e.bucket), Key: aws.String("single"), Body: bytes.NewReader(whole), ChecksumAlgorithm: types.ChecksumAlgorithmCrc64nvme}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	hp, err := e.c.HeadObject(mpCtx(), &s3.HeadObjectInput{Bucket: aws.String(e.bucket), Key: aws.String("single"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	hm, err := e.c.HeadObject(mpCtx(), &s3.HeadObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if aws.ToString(hp.ChecksumCRC64NVME) != aws.ToString(hm.ChecksumCRC64NVME) || aws.ToString(hm.ChecksumCRC64NVME) == "" {
		t.Errorf("same bytes: PutObject CRC64NVME %q, multipart %q; want equal", aws.ToString(hp.ChecksumCRC64NVME), aws.ToString(hm.ChecksumCRC64NVME))
	}
	streamed := 0
	for _, h := range rec.seen {
		if strings.HasPrefix(h.Get("X-Amz-Content-Sha256"), "STREAMING-") {
			streamed++
		}
	}
	if streamed != len(rec.seen) || streamed != 4 {
		t.Errorf("%d of %d UploadParts used a streaming (aws-chunked) body, want all 4: the test did not exercise the SDK's default trailer path", streamed, len(rec.seen))
	}
}

// TestMPChecksumComposite (moto#8762, floci#3083): SHA256 and CRC32C
// COMPOSITE uploads report base64(H(concat part digests))-N from Complete
// and HEAD, and GetObjectAttributes reports it without -N; CRC32
// FULL_OBJECT reports the CRC32 of the whole body.
func TestMPChecksumComposite(t *testing.T) {
	e, _ := mpTLS(t)
	cases := []struct {
		alg  types.ChecksumAlgorithm
		typ  types.ChecksumType
		want func(parts ...[]byte) string
		get  func(*s3.CompleteMultipartUploadOutput) *string
		head func(*s3.HeadObjectOutput) *string
		attr func(*types.Checksum) *string
	}{
		{types.ChecksumAlgorithmSha256, types.ChecksumTypeComposite,
			func(p ...[]byte) string { return mpCompositeB64(mpSHA256Raw, p...) },
			func(o *s3.CompleteMultipartUploadOutput) *string { return o.ChecksumSHA256 },
			func(o *s3.HeadObjectOutput) *string { return o.ChecksumSHA256 },
			func(c *types.Checksum) *string { return c.ChecksumSHA256 }},
		{types.ChecksumAlgorithmCrc32c, types.ChecksumTypeComposite,
			func(p ...[]byte) string { return mpCompositeB64(mpCRC32CRaw, p...) },
			func(o *s3.CompleteMultipartUploadOutput) *string { return o.ChecksumCRC32C },
			func(o *s3.HeadObjectOutput) *string { return o.ChecksumCRC32C },
			func(c *types.Checksum) *string { return c.ChecksumCRC32C }},
		{types.ChecksumAlgorithmCrc32, types.ChecksumTypeFullObject,
			func(p ...[]byte) string { return mpCRC32B64(crc32.IEEETable, bytes.Join(p, nil)) },
			func(o *s3.CompleteMultipartUploadOutput) *string { return o.ChecksumCRC32 },
			func(o *s3.HeadObjectOutput) *string { return o.ChecksumCRC32 },
			func(c *types.Checksum) *string { return c.ChecksumCRC32 }},
	}
	for _, c := range cases {
		key := fmt.Sprintf("composite/%s-%s", c.alg, c.typ)
		id := e.create(key, func(in *s3.CreateMultipartUploadInput) { in.ChecksumAlgorithm, in.ChecksumType = c.alg, c.typ })
		var bodies [][]byte
		var parts []types.CompletedPart
		for n := int32(1); n <= 3; n++ {
			b := mpBytes(20_000+int(n), uint64(n))
			bodies = append(bodies, b)
			out, err := e.uploadPart(key, id, n, b, func(in *s3.UploadPartInput) { in.ChecksumAlgorithm = c.alg })
			if err != nil {
				t.Fatalf("%s UploadPart %d: %v", key, n, err)
			}
			parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag,
				ChecksumSHA256: out.ChecksumSHA256, ChecksumCRC32C: out.ChecksumCRC32C, ChecksumCRC32: out.ChecksumCRC32})
		}
		want := c.want(bodies...)
		out := e.mustComplete(key, id, parts, func(in *s3.CompleteMultipartUploadInput) { in.ChecksumType = c.typ })
		if got := aws.ToString(c.get(out)); got != want || out.ChecksumType != c.typ {
			t.Errorf("%s: Complete checksum %q type %q, want %q %q", key, got, out.ChecksumType, want, c.typ)
		}
		h, err := e.c.HeadObject(mpCtx(), &s3.HeadObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatalf("HeadObject: %v", err)
		}
		if got := aws.ToString(c.head(h)); got != want || h.ChecksumType != c.typ {
			t.Errorf("%s: HEAD checksum %q type %q, want %q %q", key, got, h.ChecksumType, want, c.typ)
		}
		ga, err := e.c.GetObjectAttributes(mpCtx(), &s3.GetObjectAttributesInput{Bucket: aws.String(e.bucket), Key: aws.String(key),
			ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesChecksum, types.ObjectAttributesObjectParts}})
		if err != nil {
			t.Fatalf("GetObjectAttributes: %v", err)
		}
		wantAttr := strings.TrimSuffix(want, "-3")
		if ga.Checksum == nil || aws.ToString(c.attr(ga.Checksum)) != wantAttr {
			t.Errorf("%s: GetObjectAttributes checksum %+v, want %q (without -N)", key, ga.Checksum, wantAttr)
		}
		if ga.ObjectParts == nil || aws.ToInt32(ga.ObjectParts.TotalPartsCount) != 3 {
			t.Errorf("%s: GetObjectAttributes ObjectParts %+v, want 3 parts", key, ga.ObjectParts)
		}
	}
}

// TestMPChecksumErrors: §3.21's multipart checksum errors.
func TestMPChecksumErrors(t *testing.T) {
	e := mpSmall(t)
	id := e.create("k", func(in *s3.CreateMultipartUploadInput) { in.ChecksumAlgorithm = types.ChecksumAlgorithmSha256 })
	b := []byte("part body")
	// A part with another algorithm than the upload's.
	_, err := e.uploadPart("k", id, 1, b, func(in *s3.UploadPartInput) { in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32 })
	mpWantErr(t, "UploadPart CRC32 into a SHA256 upload", err, "InvalidRequest", 400)
	if msg := mpErrMessage(err); msg != "Checksum Type mismatch occurred, expected checksum Type: sha256, actual checksum Type: crc32" {
		t.Errorf("message %q", msg)
	}
	// A wrong part checksum.
	r := e.raw("PUT", mpPath(e.bucket, "k")+"?partNumber=1&uploadId="+id, b, map[string]string{"x-amz-checksum-sha256": mpSHA256B64([]byte("other"))})
	r.wantErr(t, "UploadPart with a wrong x-amz-checksum-sha256", 400, "BadDigest", nil)
	r = e.raw("PUT", mpPath(e.bucket, "k")+"?partNumber=1&uploadId="+id, b, map[string]string{"x-amz-checksum-sha256": "not base64!"})
	r.wantErr(t, "UploadPart with an invalid x-amz-checksum-sha256", 400, "InvalidRequest", nil)
	if out := e.mustListParts("k", id, nil, nil); len(out.Parts) != 0 {
		t.Errorf("refused parts listed: %v", mpPartNumbers(out.Parts))
	}
	up, err := e.uploadPart("k", id, 1, b, func(in *s3.UploadPartInput) { in.ChecksumAlgorithm = types.ChecksumAlgorithmSha256 })
	if err != nil {
		t.Fatalf("UploadPart: %v", err)
	}
	// Complete with a wrong per-part checksum: InvalidPart (floci-io/floci
	// PR #3093 row 21, recorded on S3 2026-09).
	_, err = e.complete("k", id, []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: up.ETag, ChecksumSHA256: aws.String(mpSHA256B64([]byte("x")))}})
	mpWantErr(t, "Complete with a wrong part checksum", err, "InvalidPart", 400)
	if msg := mpErrMessage(err); msg != mpInvalidPartMsg {
		t.Errorf("message %q", msg)
	}
	e.mustComplete("k", id, []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: up.ETag, ChecksumSHA256: up.ChecksumSHA256}})
}
