package conformance

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// TestCKCompleteChecksumAnswers: how CompleteMultipartUpload answers bad
// per-part and whole-object checksums. Evidence: openstack/swift
// test/s3api/test_object_checksums.py, whose tests branch on is_aws and so
// record S3's answers, and floci-io/floci PR #3093 (recorded on S3, 2026-09).
func TestCKCompleteChecksumAnswers(t *testing.T) {
	e := ckNew(t, false, tesseratest.WithMinPartSize(1))
	parts := ckParts(2, 71)
	whole := ckConcat(parts)
	// upload makes a fresh upload with both parts and returns the part list
	// a correct Complete would send.
	upload := func(key, alg, typ string) (string, []types.CompletedPart) {
		t.Helper()
		return e.uploadAll(key, alg, typ, parts)
	}
	wrongFirst := func(done []types.CompletedPart, alg string) []types.CompletedPart {
		bad := append([]types.CompletedPart{}, done...)
		bad[0] = ckCompleted(1, aws.ToString(done[0].ETag), alg, ckSum(alg, []byte("other bytes")))
		return bad
	}
	tests := []struct {
		name, alg, typ string
		parts          func([]types.CompletedPart) []types.CompletedPart
		whole          string // x-amz-checksum-<alg> on Complete, "" for none
		code, msg      string
	}{
		// A wrong part checksum with a right whole-object checksum: S3 derives
		// a COMPOSITE value from the listed part checksums, so the header no
		// longer matches (BadDigest, algorithm in lower case); on FULL_OBJECT
		// it is the part that is wrong (InvalidPart).
		{"composite wrong part, right header", "SHA256", "COMPOSITE",
			func(d []types.CompletedPart) []types.CompletedPart { return wrongFirst(d, "SHA256") },
			ckComposite("SHA256", parts), "BadDigest", "The sha256 you specified did not match the calculated checksum."},
		{"full-object wrong part, right header", "CRC32", "FULL_OBJECT",
			func(d []types.CompletedPart) []types.CompletedPart { return wrongFirst(d, "CRC32") },
			ckSum("CRC32", whole), "InvalidPart", mpInvalidPartMsg},
		{"wrong part, no header", "SHA1", "COMPOSITE",
			func(d []types.CompletedPart) []types.CompletedPart { return wrongFirst(d, "SHA1") },
			"", "InvalidPart", mpInvalidPartMsg},
		// A well-formed but wrong whole-object checksum, or a composite with
		// the wrong part count.
		{"wrong whole-object composite", "SHA256", "COMPOSITE", nil,
			ckComposite("SHA256", parts[:1]), "BadDigest", "The sha256 you specified did not match the calculated checksum."},
		{"composite with a wrong part count", "SHA256", "COMPOSITE", nil,
			strings.TrimSuffix(ckComposite("SHA256", parts), "-2") + "-3", "BadDigest", "The sha256 you specified did not match the calculated checksum."},
		// A malformed whole-object checksum, or a bad "-N" suffix.
		{"whole-object not base64", "CRC32", "FULL_OBJECT", nil,
			"not base64!", "InvalidRequest", "Value for x-amz-checksum-crc32 header is invalid."},
		{"composite with a bad suffix", "SHA256", "COMPOSITE", nil,
			strings.TrimSuffix(ckComposite("SHA256", parts), "-2") + "-a", "InvalidRequest", "Value for x-amz-checksum-sha256 header is invalid."},
		// Missing part checksums: COMPOSITE needs them, FULL_OBJECT does not.
		{"composite missing part checksum", "CRC32C", "COMPOSITE",
			func(d []types.CompletedPart) []types.CompletedPart {
				return []types.CompletedPart{ckCompleted(1, aws.ToString(d[0].ETag), "", ""), d[1]}
			}, "", "InvalidRequest", "The upload was created using a crc32c checksum. The complete request must include the checksum for each part. It was missing for part 1 in the request."},
		{"full-object missing part checksums", "CRC32C", "FULL_OBJECT",
			func(d []types.CompletedPart) []types.CompletedPart {
				return []types.CompletedPart{ckCompleted(1, aws.ToString(d[0].ETag), "", ""), ckCompleted(2, aws.ToString(d[1].ETag), "", "")}
			}, "", "", ""},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := fmt.Sprintf("complete-%d", i)
			id, done := upload(key, tc.alg, tc.typ)
			list := done
			if tc.parts != nil {
				list = tc.parts(done)
			}
			out, err := e.complete(key, id, list, func(in *s3.CompleteMultipartUploadInput) {
				if tc.whole != "" {
					ckCompleteChecksum(in, tc.alg, tc.whole)
				}
			})
			if tc.code == "" {
				if err != nil {
					t.Fatalf("Complete: %v", err)
				}
				if got := ckCompleteFields(out).get(tc.alg); got != ckExpected(tc.alg, tc.typ, parts) {
					t.Errorf("Complete %s = %q, want %q", tc.alg, got, ckExpected(tc.alg, tc.typ, parts))
				}
				return
			}
			ckWantErr(t, "Complete", err, tc.code, 400, tc.msg)
			e.wantAbsent(key)
			if _, err := e.complete(key, id, done); err != nil {
				t.Errorf("Complete with the right list after the refusal: %v", err)
			}
		})
	}
}

// TestCKCompletePartChecksumMalformed: a per-part checksum that is not
// base64 of the algorithm's size, or two checksums on one part, is
// InvalidArgument naming them as "ALG:value;" (swift
// test_object_checksums.py against S3).
func TestCKCompletePartChecksumMalformed(t *testing.T) {
	e := ckNew(t, false, tesseratest.WithMinPartSize(1))
	id := e.mustCreate("k", "SHA256", "")
	p := ckRand(100, 72)
	out := e.mustPart("k", id, 1, p, "SHA256")
	etag := aws.ToString(out.ETag)
	for _, tc := range []struct{ elems, value string }{
		{"<ChecksumSHA256>not base64!</ChecksumSHA256>", "SHA256:not base64!;"},
		{"<ChecksumSHA256>AAAA</ChecksumSHA256>", "SHA256:AAAA;"},
		{"<ChecksumCRC32>" + ckSum("CRC32", p) + "</ChecksumCRC32><ChecksumSHA256>" + ckSum("SHA256", p) + "</ChecksumSHA256>",
			"CRC32:" + ckSum("CRC32", p) + ";SHA256:" + ckSum("SHA256", p) + ";"},
	} {
		body := "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" + etag + "</ETag>" + tc.elems + "</Part></CompleteMultipartUpload>"
		r := e.ckDo("POST", "/"+e.bucket+"/k?uploadId="+id, http.Header{}, []byte(body), "")
		r.wantErr(t, "Complete with "+tc.elems, 400, "InvalidArgument", "Invalid Base64 or multiple checksums present in request")
		if !strings.Contains(string(r.Body), "<ArgumentName>Checksum</ArgumentName>") || !strings.Contains(string(r.Body), "<ArgumentValue>"+tc.value+"</ArgumentValue>") {
			t.Errorf("Complete with %s: body %s, want ArgumentName Checksum and ArgumentValue %s", tc.elems, r.Body, tc.value)
		}
	}
	e.wantAbsent("k")
}

// TestCKCreateChecksumTypeInvalid: an invalid x-amz-checksum-type value is
// its own error, with or without an algorithm (swift
// test_mpu_create_checksum_algo_and_invalid_checksum_type; floci PR #3093),
// and the newer algorithms are COMPOSITE only (floci-io/floci PR #1670:
// "composite only per the docs").
func TestCKCreateChecksumTypeInvalid(t *testing.T) {
	e := ckNew(t, false)
	for _, tc := range []struct{ alg, typ, msg string }{
		{"SHA256", "PARTIAL", "Value for x-amz-checksum-type header is invalid."},
		{"", "PARTIAL", "Value for x-amz-checksum-type header is invalid."},
		{"", "COMPOSITE", "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header."},
		{"MD5", "FULL_OBJECT", "The FULL_OBJECT checksum type cannot be used with the md5 checksum algorithm."},
		{"SHA512", "FULL_OBJECT", "The FULL_OBJECT checksum type cannot be used with the sha512 checksum algorithm."},
		{"XXHASH64", "FULL_OBJECT", "The FULL_OBJECT checksum type cannot be used with the xxhash64 checksum algorithm."},
		{"BOGUS", "", ckUnsupportedAlgorithm},
	} {
		_, _, err := e.create("k", tc.alg, tc.typ)
		ckWantErr(t, fmt.Sprintf("Create %q/%q", tc.alg, tc.typ), err, "InvalidRequest", 400, tc.msg)
	}
}
