package conformance

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/signer"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// ckSHA256Hasher adapts crypto/sha256 to the hasher minio-go's signer takes.
type ckSHA256Hasher struct{ hash.Hash }

func (ckSHA256Hasher) Close() {}

// ckSignedTrailerPut sends a PUT framed as STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
// (chunk signatures and a signed trailer), built by minio-go's streaming signer,
// an implementation independent of the server's.
func (e *ckEnv) ckSignedTrailerPut(pathQuery string, body []byte, trailerName, trailerValue string) ckRawResp {
	e.t.Helper()
	r, err := http.NewRequest(http.MethodPut, e.srv.URL+pathQuery, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	r.Trailer = http.Header{}
	r.Trailer.Set(trailerName, trailerValue)
	r = signer.StreamingSignV4(r, tesseratest.AccessKey, tesseratest.SecretKey, "", tesseratest.Region,
		int64(len(body)), time.Now().UTC(), ckSHA256Hasher{sha256.New()})
	if got := r.Header.Get("X-Amz-Content-Sha256"); got != "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" {
		e.t.Fatalf("minio-go signer produced x-amz-content-sha256 %q", got)
	}
	resp, err := e.srv.HTTPClient().Do(r)
	if err != nil {
		e.t.Fatalf("PUT %s: %v", pathQuery, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return ckRawResp{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// TestCKSignedTrailer: the signed-trailer aws-chunked form (§3.22) carries
// the checksum as well as the unsigned one, on PutObject and UploadPart.
func TestCKSignedTrailer(t *testing.T) {
	ckBoth(t, func(t *testing.T, tls bool) {
		e := ckNew(t, tls, tesseratest.WithMinPartSize(1))
		for i, alg := range append(append([]string{}, ckAlgs...), "SHA512", "XXHASH3") {
			t.Run(alg, func(t *testing.T) {
				name := "x-amz-checksum-" + strings.ToLower(alg)
				body := ckRand(70_000+i, uint64(i)+500) // several 64 KiB signed chunks
				want := ckSum(alg, body)

				key := "signed-" + alg
				r := e.ckSignedTrailerPut("/"+e.bucket+"/"+key, body, name, want)
				r.wantOK(t, "signed-trailer PUT")
				if got := r.Header.Get(name); got != want {
					t.Errorf("PUT response %s = %q, want %q", name, got, want)
				}
				if got := ckHeadFields(e.headCK(key)).get(alg); got != want {
					t.Errorf("HEAD %s = %q, want %q", alg, got, want)
				}
				if got, _, _ := e.getCK(key); !bytes.Equal(got, body) {
					t.Errorf("GET body differs")
				}

				bad := "signed-bad-" + alg
				r = e.ckSignedTrailerPut("/"+e.bucket+"/"+bad, body, name, ckTamper(alg, body))
				r.wantErr(t, "signed-trailer PUT with a wrong checksum", 400, "BadDigest",
					fmt.Sprintf("The %s you specified did not match the calculated checksum.", alg))
				e.wantAbsent(bad)
			})
		}
		t.Run("UploadPart", func(t *testing.T) {
			key := "signed-part"
			id := e.mustCreate(key, "CRC64NVME", "")
			parts := [][]byte{ckRand(100_000, 1), ckRand(5, 2)}
			var done []types.CompletedPart
			for i, p := range parts {
				r := e.ckSignedTrailerPut(fmt.Sprintf("/%s/%s?partNumber=%d&uploadId=%s", e.bucket, key, i+1, id), p,
					"x-amz-checksum-crc64nvme", ckSum("CRC64NVME", p))
				r.wantOK(t, fmt.Sprintf("signed-trailer UploadPart %d", i+1))
				done = append(done, ckCompleted(int32(i+1), r.Header.Get("ETag"), "CRC64NVME", r.Header.Get("x-amz-checksum-crc64nvme")))
			}
			out, err := e.complete(key, id, done)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := aws.ToString(out.ChecksumCRC64NVME), ckSum("CRC64NVME", ckConcat(parts)); got != want {
				t.Errorf("Complete CRC64NVME %q, want %q", got, want)
			}
		})
	})
}

// ckMinio is a minio-go client with trailing checksums enabled.
func (e *ckEnv) ckMinio() *minio.Client {
	e.t.Helper()
	c, err := minio.New(e.srv.Host(), &minio.Options{
		Creds:           miniocreds.NewStaticV4(tesseratest.AccessKey, tesseratest.SecretKey, ""),
		Secure:          e.tls,
		Region:          tesseratest.Region,
		Transport:       e.srv.HTTPClient().Transport,
		TrailingHeaders: true,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// TestCKMinioChecksums: minio-go, another real client, uploading with each
// checksum type it offers, single-part and multipart (its COMPOSITE and
// FULL_OBJECT modes); the server's stored values are checked through HEAD.
func TestCKMinioChecksums(t *testing.T) {
	ckBoth(t, func(t *testing.T, tls bool) {
		e := ckNew(t, tls)
		mc := e.ckMinio()
		small := ckRand(200_000, 3)
		const mib5 = 5 << 20
		large := ckRand(2*mib5+4321, 4) // three parts of minio-go's 5 MiB part size
		parts := [][]byte{large[:mib5], large[mib5 : 2*mib5], large[2*mib5:]}
		cases := []struct {
			name string
			ck   minio.ChecksumType
			alg  string
			full bool
		}{
			{"CRC32", minio.ChecksumCRC32, "CRC32", false},
			{"CRC32C", minio.ChecksumCRC32C, "CRC32C", false},
			{"SHA1", minio.ChecksumSHA1, "SHA1", false},
			{"SHA256", minio.ChecksumSHA256, "SHA256", false},
			{"CRC64NVME", minio.ChecksumCRC64NVME, "CRC64NVME", true},
			{"FullObjectCRC32", minio.ChecksumFullObjectCRC32, "CRC32", true},
			{"FullObjectCRC32C", minio.ChecksumFullObjectCRC32C, "CRC32C", true},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				key := "minio-small-" + c.name
				if _, err := mc.PutObject(context.Background(), e.bucket, key, bytes.NewReader(small), int64(len(small)),
					minio.PutObjectOptions{Checksum: c.ck, DisableMultipart: true}); err != nil {
					t.Fatalf("minio PutObject: %v", err)
				}
				if got, want := ckHeadFields(e.headCK(key)).get(c.alg), ckSum(c.alg, small); got != want {
					t.Errorf("single PUT: HEAD %s = %q, want %q", c.alg, got, want)
				}

				key = "minio-large-" + c.name
				if _, err := mc.PutObject(context.Background(), e.bucket, key, bytes.NewReader(large), int64(len(large)),
					minio.PutObjectOptions{Checksum: c.ck, PartSize: mib5}); err != nil {
					t.Fatalf("minio multipart PutObject: %v", err)
				}
				h := e.headCK(key)
				want, typ := ckSum(c.alg, large), "FULL_OBJECT"
				if !c.full {
					want, typ = ckComposite(c.alg, parts), "COMPOSITE"
				}
				if got := ckHeadFields(h).get(c.alg); got != want || string(h.ChecksumType) != typ {
					t.Errorf("multipart: HEAD %s = %q type %q, want %q %s", c.alg, got, h.ChecksumType, want, typ)
				}
				if got, _, _ := e.getCK(key); !bytes.Equal(got, large) {
					t.Errorf("multipart: GET body differs")
				}
			})
		}
	})
}
