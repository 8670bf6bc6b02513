package conformance

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// ckTrailerPart sends UploadPart as aws-sdk-go-v2 does over TLS:
// STREAMING-UNSIGNED-PAYLOAD-TRAILER, aws-chunked, with the checksum in the
// x-amz-checksum-<alg> trailer (value "" sends the trailer header but no
// trailer line: a missing trailer).
func (e *ckEnv) ckTrailerPart(key, id string, n int, body []byte, alg, value string) ckRawResp {
	e.t.Helper()
	name := "x-amz-checksum-" + strings.ToLower(alg)
	h := ckTrailerHeaders(len(body), name)
	h.Set("X-Amz-Sdk-Checksum-Algorithm", alg)
	var trailer []string
	if value != "" {
		trailer = append(trailer, name+":"+value)
	}
	return e.ckDo(http.MethodPut, fmt.Sprintf("/%s/%s?partNumber=%d&uploadId=%s", e.bucket, key, n, id), h,
		ckChunked(body, 64<<10, trailer...), ckUnsignedTrailer)
}

// TestCKUploadPartTrailerCRC64NVME is seaweedfs#9945/#9959: GitLab's
// registry (aws-sdk-go-v2) uploads CRC64NVME parts with the checksum in an
// unsigned aws-chunked trailer. The trailer must be read and verified,
// ListParts must show it, and Complete must work with and without the
// per-part checksums, giving the CRC64NVME of the whole object.
func TestCKUploadPartTrailerCRC64NVME(t *testing.T) {
	ckBoth(t, func(t *testing.T, tls bool) {
		e := ckNew(t, tls, tesseratest.WithMinPartSize(1))
		parts := [][]byte{ckRand(200_000, 1), ckRand(131_072, 2), ckRand(999, 3)}
		whole := ckConcat(parts)
		for _, withChecksums := range []bool{true, false} {
			name := "complete-with-part-checksums"
			if !withChecksums {
				name = "complete-without-part-checksums"
			}
			t.Run(name, func(t *testing.T) {
				key := "gitlab/" + name
				id := e.mustCreate(key, "CRC64NVME", "")
				var done []types.CompletedPart
				for i, p := range parts {
					want := ckSum("CRC64NVME", p)
					r := e.ckTrailerPart(key, id, i+1, p, "CRC64NVME", want)
					r.wantOK(t, fmt.Sprintf("UploadPart %d (trailer)", i+1))
					if got := r.Header.Get("x-amz-checksum-crc64nvme"); got != want {
						t.Errorf("UploadPart %d: response x-amz-checksum-crc64nvme %q, want %q", i+1, got, want)
					}
					if got := r.Header.Get("ETag"); got != ckMD5ETag(p) {
						t.Errorf("UploadPart %d: ETag %s, want %s", i+1, got, ckMD5ETag(p))
					}
					v := ""
					if withChecksums {
						v = want
					}
					done = append(done, ckCompleted(int32(i+1), r.Header.Get("ETag"), "CRC64NVME", v))
				}
				lp := e.listParts(key, id)
				if len(lp.Parts) != len(parts) || lp.ChecksumAlgorithm != types.ChecksumAlgorithmCrc64nvme || lp.ChecksumType != types.ChecksumTypeFullObject {
					t.Fatalf("ListParts: %d parts, algorithm %q type %q; want %d CRC64NVME FULL_OBJECT", len(lp.Parts), lp.ChecksumAlgorithm, lp.ChecksumType, len(parts))
				}
				for i, p := range lp.Parts {
					if got := aws.ToString(p.ChecksumCRC64NVME); got != ckSum("CRC64NVME", parts[i]) {
						t.Errorf("ListParts part %d: CRC64NVME %q, want %q", i+1, got, ckSum("CRC64NVME", parts[i]))
					}
				}
				out, err := e.complete(key, id, done)
				if err != nil {
					t.Fatalf("Complete: %v", err)
				}
				want := ckSum("CRC64NVME", whole)
				if got := aws.ToString(out.ChecksumCRC64NVME); got != want || out.ChecksumType != types.ChecksumTypeFullObject {
					t.Errorf("Complete: CRC64NVME %q type %q, want %q FULL_OBJECT (no -N)", got, out.ChecksumType, want)
				}
				body, g, used := e.getCK(key)
				if !bytes.Equal(body, whole) {
					t.Fatalf("GET body differs")
				}
				if aws.ToString(g.ChecksumCRC64NVME) != want || !slices.Contains(used, "CRC64NVME") {
					t.Errorf("GET: CRC64NVME %q (SDK validated %v), want %q", aws.ToString(g.ChecksumCRC64NVME), used, want)
				}
			})
		}

		t.Run("tampered-trailer", func(t *testing.T) {
			key := "gitlab/tampered"
			id := e.mustCreate(key, "CRC64NVME", "")
			r := e.ckTrailerPart(key, id, 1, parts[0], "CRC64NVME", ckTamper("CRC64NVME", parts[0]))
			r.wantErr(t, "UploadPart with a wrong CRC64NVME trailer", 400, "BadDigest", "The CRC64NVME you specified did not match the calculated checksum.")
			if lp := e.listParts(key, id); len(lp.Parts) != 0 {
				t.Errorf("the refused part was stored")
			}
			r = e.ckTrailerPart(key, id, 1, parts[0], "CRC64NVME", "%%%not-base64")
			r.wantErr(t, "UploadPart with an invalid CRC64NVME trailer", 400, "InvalidRequest", "")
			if lp := e.listParts(key, id); len(lp.Parts) != 0 {
				t.Errorf("the invalid part was stored")
			}
		})

		t.Run("other-algorithm-trailer", func(t *testing.T) {
			key := "gitlab/other"
			id := e.mustCreate(key, "CRC64NVME", "")
			r := e.ckTrailerPart(key, id, 1, parts[0], "CRC32", ckSum("CRC32", parts[0]))
			r.wantErr(t, "UploadPart with a CRC32 trailer into a CRC64NVME upload", 400, "InvalidRequest",
				"Checksum Type mismatch occurred, expected checksum Type: crc64nvme, actual checksum Type: crc32")
		})

		t.Run("missing-trailer", func(t *testing.T) {
			// A declared trailer that never comes is accepted, as by AWS
			// (versitygw#1632); the part still gets its CRC64NVME.
			key := "gitlab/missing"
			id := e.mustCreate(key, "CRC64NVME", "")
			r := e.ckTrailerPart(key, id, 1, parts[2], "CRC64NVME", "")
			r.wantOK(t, "UploadPart with a declared but missing trailer")
			lp := e.listParts(key, id)
			if len(lp.Parts) != 1 || aws.ToString(lp.Parts[0].ChecksumCRC64NVME) != ckSum("CRC64NVME", parts[2]) {
				t.Fatalf("ListParts after a missing trailer: %+v, want part 1 with CRC64NVME %s", lp.Parts, ckSum("CRC64NVME", parts[2]))
			}
			out, err := e.complete(key, id, []types.CompletedPart{ckCompleted(1, r.Header.Get("ETag"), "", "")})
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(out.ChecksumCRC64NVME); got != ckSum("CRC64NVME", parts[2]) {
				t.Errorf("Complete: CRC64NVME %q, want %q", got, ckSum("CRC64NVME", parts[2]))
			}
		})

		if tls {
			t.Run("sdk-trailer", func(t *testing.T) {
				// The same through the SDK itself, checking it really used
				// the unsigned trailer.
				key := "gitlab/sdk"
				id := e.mustCreate(key, "CRC64NVME", "")
				var done []types.CompletedPart
				for i, p := range parts {
					out := e.mustPart(key, id, int32(i+1), p, "CRC64NVME")
					req := e.rec.last(t, http.MethodPut, fmt.Sprintf("partNumber=%d", i+1)).ReqHeader
					if req.Get("X-Amz-Content-Sha256") != ckUnsignedTrailer || req.Get("X-Amz-Trailer") != "x-amz-checksum-crc64nvme" {
						t.Errorf("UploadPart %d: x-amz-content-sha256 %q, x-amz-trailer %q; want the unsigned CRC64NVME trailer",
							i+1, req.Get("X-Amz-Content-Sha256"), req.Get("X-Amz-Trailer"))
					}
					if got := aws.ToString(out.ChecksumCRC64NVME); got != ckSum("CRC64NVME", p) {
						t.Errorf("UploadPart %d: CRC64NVME %q, want %q", i+1, got, ckSum("CRC64NVME", p))
					}
					done = append(done, ckCompleted(int32(i+1), aws.ToString(out.ETag), "CRC64NVME", aws.ToString(out.ChecksumCRC64NVME)))
				}
				out, err := e.complete(key, id, done)
				if err != nil {
					t.Fatal(err)
				}
				if got := aws.ToString(out.ChecksumCRC64NVME); got != ckSum("CRC64NVME", whole) {
					t.Errorf("Complete: CRC64NVME %q, want %q", got, ckSum("CRC64NVME", whole))
				}
			})
		}
	})
}
