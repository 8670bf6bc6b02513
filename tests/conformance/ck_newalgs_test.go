package conformance

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// TestCKMultipartNewAlgorithms: MD5, SHA512 and the XXHASH family (S3,
// 2026-04) behave like the classic five on every path that carries
// checksums: UploadPart echoes and ListParts lists the part checksum;
// UploadPartCopy computes the upload's algorithm over the copied range and
// answers it in CopyPartResult (AWS API reference, CopyPartResult: "present
// if the multipart upload request was created with the … algorithm";
// scality/cloudserver PR #6188); Complete takes the per-part checksums and
// answers the composite "-N" value; GetObjectAttributes shows it without
// "-N" with the parts listed; a checksum-mode read of one part carries that
// part's checksum. The SDK cannot compute these algorithms, so the test
// sends the values, as versitygw PR #2102 notes.
func TestCKMultipartNewAlgorithms(t *testing.T) {
	e := ckNew(t, true, tesseratest.WithMinPartSize(1))
	parts := ckParts(3, 73)
	src := append(append(ckRand(1000, 74), parts[2]...), ckRand(500, 75)...)
	e.put("src", src)
	copyRange := fmt.Sprintf("bytes=1000-%d", 1000+len(parts[2])-1)
	for _, alg := range ckNewAlgs {
		t.Run(alg, func(t *testing.T) {
			key := "new-" + alg
			id, created, err := e.create(key, alg, "")
			if err != nil {
				t.Fatal(err)
			}
			if created.ChecksumAlgorithm != types.ChecksumAlgorithm(alg) || created.ChecksumType != types.ChecksumTypeComposite {
				t.Errorf("Create: algorithm %q type %q, want %s COMPOSITE", created.ChecksumAlgorithm, created.ChecksumType, alg)
			}
			var done []types.CompletedPart
			for i, p := range parts[:2] {
				out, err := e.uploadPart(nil, key, id, int32(i+1), p, "", func(in *s3.UploadPartInput) { ckPartChecksum(in, alg, ckSum(alg, p)) })
				if err != nil {
					t.Fatalf("UploadPart %d: %v", i+1, err)
				}
				if got := ckUploadPartFields(out).get(alg); got != ckSum(alg, p) {
					t.Errorf("UploadPart %d echoed %s %q, want %q", i+1, alg, got, ckSum(alg, p))
				}
				done = append(done, ckCompleted(int32(i+1), aws.ToString(out.ETag), alg, ckSum(alg, p)))
			}
			// Part 3 is copied from the middle of the source object.
			cp, err := e.c.UploadPartCopy(ckCtx(), &s3.UploadPartCopyInput{Bucket: &e.bucket, Key: &key, UploadId: &id,
				PartNumber: aws.Int32(3), CopySource: e.copySource("src"), CopySourceRange: aws.String(copyRange)})
			if err != nil {
				t.Fatalf("UploadPartCopy: %v", err)
			}
			if got := ckCopyPartFields(cp.CopyPartResult).get(alg); got != ckSum(alg, parts[2]) {
				t.Errorf("CopyPartResult: %s = %q, want %q", alg, got, ckSum(alg, parts[2]))
			}
			done = append(done, ckCompleted(3, aws.ToString(cp.CopyPartResult.ETag), alg, ckSum(alg, parts[2])))
			lp := e.listParts(key, id)
			if string(lp.ChecksumAlgorithm) != alg || len(lp.Parts) != len(parts) {
				t.Fatalf("ListParts: algorithm %q, %d parts", lp.ChecksumAlgorithm, len(lp.Parts))
			}
			for i, p := range lp.Parts {
				if got := ckPartFields(p).get(alg); got != ckSum(alg, parts[i]) {
					t.Errorf("ListParts part %d: %s = %q, want %q", i+1, alg, got, ckSum(alg, parts[i]))
				}
			}
			out, err := e.complete(key, id, done)
			if err != nil {
				t.Fatalf("Complete: %v", err)
			}
			if got := ckCompleteFields(out).get(alg); got != ckComposite(alg, parts) || out.ChecksumType != types.ChecksumTypeComposite {
				t.Errorf("Complete: %s = %q (%s), want %q COMPOSITE", alg, got, out.ChecksumType, ckComposite(alg, parts))
			}
			if got := ckHeadFields(e.headCK(key)).get(alg); got != ckComposite(alg, parts) {
				t.Errorf("HEAD with checksum mode: %s = %q, want %q", alg, got, ckComposite(alg, parts))
			}
			ckCheckAttributes(t, e, key, alg, "COMPOSITE", parts)
			for i, p := range parts {
				got, g, _ := e.getCK(key, func(in *s3.GetObjectInput) { in.PartNumber = aws.Int32(int32(i + 1)) })
				if !bytes.Equal(got, p) || ckGetFields(g).get(alg) != ckSum(alg, p) {
					t.Errorf("GET partNumber=%d: body equal %v, %s = %q, want the part's %q",
						i+1, bytes.Equal(got, p), alg, ckGetFields(g).get(alg), ckSum(alg, p))
				}
			}
		})
	}
}

// TestCKCopyObjectNewAlgorithms: CopyObject with x-amz-checksum-algorithm
// set to one of the newer algorithms computes it over the copy and answers
// it in CopyObjectResult and on HEAD, as for the classic five
// (TestCKCopyObject).
func TestCKCopyObjectNewAlgorithms(t *testing.T) {
	e := ckNew(t, false)
	body := ckRand(90_000, 76)
	e.put("src", body)
	for _, alg := range ckNewAlgs {
		dst := "copy-" + alg
		out, err := e.c.CopyObject(ckCtx(), &s3.CopyObjectInput{Bucket: &e.bucket, Key: &dst,
			CopySource: e.copySource("src"), ChecksumAlgorithm: types.ChecksumAlgorithm(alg)})
		if err != nil {
			t.Fatalf("CopyObject %s: %v", alg, err)
		}
		if got := ckCopyFields(out.CopyObjectResult).get(alg); got != ckSum(alg, body) {
			t.Errorf("CopyObjectResult %s = %q, want %q", alg, got, ckSum(alg, body))
		}
		f := ckHeadFields(e.headCK(dst))
		if got := f.get(alg); got != ckSum(alg, body) || f.Type != "FULL_OBJECT" {
			t.Errorf("HEAD copy: %s = %q type %q, want %q FULL_OBJECT", alg, got, f.Type, ckSum(alg, body))
		}
	}
}
