package conformance

import (
	"bytes"
	"net/url"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

func (e *ckEnv) copySource(key string) *string {
	return aws.String(e.bucket + "/" + url.PathEscape(key))
}

// TestCKCopyObject: CopyObject with x-amz-checksum-algorithm computes the
// new checksum; without it the source's algorithm carries over; a source
// with no checksum of its own gives a copy with CRC64NVME.
func TestCKCopyObject(t *testing.T) {
	ckBoth(t, func(t *testing.T, tls bool) {
		e := ckNew(t, tls)
		body := ckRand(90_000, 11)
		e.put("src-crc32", body, func(in *s3.PutObjectInput) { in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32 })
		e.put("src-sha1", body, func(in *s3.PutObjectInput) { in.ChecksumAlgorithm = types.ChecksumAlgorithmSha1 })
		plain, _ := e.client(ckWhenRequired)
		if _, err := plain.PutObject(ckCtx(), &s3.PutObjectInput{Bucket: &e.bucket, Key: aws.String("src-none"), Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}

		cases := []struct{ src, alg, want string }{
			{"src-crc32", "SHA256", "SHA256"},
			{"src-crc32", "CRC64NVME", "CRC64NVME"},
			{"src-sha1", "CRC32C", "CRC32C"},
			{"src-sha1", "", "SHA1"},
			{"src-crc32", "", "CRC32"},
			{"src-none", "", "CRC64NVME"},
			{"src-none", "SHA256", "SHA256"},
		}
		for _, c := range cases {
			name := c.src + "-to-" + c.want
			t.Run(name, func(t *testing.T) {
				dst := "copy-" + name
				out, err := e.c.CopyObject(ckCtx(), &s3.CopyObjectInput{Bucket: &e.bucket, Key: &dst,
					CopySource: e.copySource(c.src), ChecksumAlgorithm: types.ChecksumAlgorithm(c.alg)})
				if err != nil {
					t.Fatalf("CopyObject: %v", err)
				}
				want := ckSum(c.want, body)
				if got := ckCopyFields(out.CopyObjectResult).get(c.want); got != want {
					t.Errorf("CopyObjectResult %s = %q, want %q", c.want, got, want)
				}
				h := e.headCK(dst)
				f := ckHeadFields(h)
				if got := f.get(c.want); got != want || f.Type != "FULL_OBJECT" {
					t.Errorf("HEAD copy: %s = %q type %q, want %q FULL_OBJECT", c.want, got, f.Type, want)
				}
				if s := f.set(); len(s) != 1 {
					t.Errorf("HEAD copy: checksums %v, want only %s", s, c.want)
				}
				got, _, used := e.getCK(dst)
				if !bytes.Equal(got, body) || !slices.Contains(used, c.want) {
					t.Errorf("GET copy: body equal %v, SDK validated %v, want %s", bytes.Equal(got, body), used, c.want)
				}
			})
		}

		t.Run("onto-itself-with-new-algorithm", func(t *testing.T) {
			// Changing only the checksum algorithm is a legal self-copy.
			e.put("self", body, func(in *s3.PutObjectInput) { in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32 })
			if _, err := e.c.CopyObject(ckCtx(), &s3.CopyObjectInput{Bucket: &e.bucket, Key: aws.String("self"),
				CopySource: e.copySource("self"), ChecksumAlgorithm: types.ChecksumAlgorithmSha256}); err != nil {
				t.Fatalf("self-copy with a new checksum algorithm: %v", err)
			}
			if got := ckHeadFields(e.headCK("self")).get("SHA256"); got != ckSum("SHA256", body) {
				t.Errorf("HEAD after self-copy: SHA256 %q, want %q", got, ckSum("SHA256", body))
			}
		})
	})
}

// TestCKUploadPartCopy: a part copied into an upload with an algorithm gets
// that algorithm's checksum of the copied bytes, whatever the source's.
func TestCKUploadPartCopy(t *testing.T) {
	e := ckNew(t, false, tesseratest.WithMinPartSize(1))
	src := ckRand(120_000, 21)
	e.put("src", src, func(in *s3.PutObjectInput) { in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32 })

	for _, c := range []struct{ alg, typ string }{{"SHA256", "COMPOSITE"}, {"CRC64NVME", "FULL_OBJECT"}, {"CRC32C", "FULL_OBJECT"}, {"SHA1", "COMPOSITE"}} {
		t.Run(c.alg+"-"+c.typ, func(t *testing.T) {
			key := "upc-" + c.alg
			id := e.mustCreate(key, c.alg, c.typ)
			pieces := [][]byte{src[:50_000], src[50_000:], ckRand(777, 22)}
			var done []types.CompletedPart
			for i, r := range []string{"bytes=0-49999", "bytes=50000-119999"} {
				out, err := e.c.UploadPartCopy(ckCtx(), &s3.UploadPartCopyInput{Bucket: &e.bucket, Key: &key, UploadId: &id,
					PartNumber: aws.Int32(int32(i + 1)), CopySource: e.copySource("src"), CopySourceRange: aws.String(r)})
				if err != nil {
					t.Fatalf("UploadPartCopy %d: %v", i+1, err)
				}
				want := ckSum(c.alg, pieces[i])
				if got := ckCopyPartFields(out.CopyPartResult).get(c.alg); got != want {
					t.Errorf("CopyPartResult %d: %s = %q, want %q", i+1, c.alg, got, want)
				}
				if got := aws.ToString(out.CopyPartResult.ChecksumCRC32); got != "" && c.alg != "CRC32" {
					t.Errorf("CopyPartResult %d carries the source's CRC32 %q; want only %s", i+1, got, c.alg)
				}
				done = append(done, ckCompleted(int32(i+1), aws.ToString(out.CopyPartResult.ETag), c.alg, want))
			}
			po := e.mustPart(key, id, 3, pieces[2], c.alg)
			done = append(done, ckCompleted(3, aws.ToString(po.ETag), c.alg, ckSum(c.alg, pieces[2])))

			lp := e.listParts(key, id)
			for i, p := range lp.Parts {
				if got := ckPartFields(p).get(c.alg); got != ckSum(c.alg, pieces[i]) {
					t.Errorf("ListParts part %d: %s = %q, want %q", i+1, c.alg, got, ckSum(c.alg, pieces[i]))
				}
			}
			out, err := e.complete(key, id, done)
			if err != nil {
				t.Fatalf("Complete: %v", err)
			}
			want := ckExpected(c.alg, c.typ, pieces)
			if got := ckCompleteFields(out).get(c.alg); got != want || string(out.ChecksumType) != c.typ {
				t.Errorf("Complete: %s = %q type %q, want %q %s", c.alg, got, out.ChecksumType, want, c.typ)
			}
			got, _, _ := e.getCK(key)
			if !bytes.Equal(got, ckConcat(pieces)) {
				t.Errorf("GET body differs")
			}
		})
	}
}
