package conformance

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/checksum"
)

// TestCKVectors pins the independent checksum helpers to the known-answer
// vectors of S3-LANDSCAPE §3.21 and the published xxHash/CRC check values,
// and checks the repository's CRC64NVME against them.
func TestCKVectors(t *testing.T) {
	hello := []byte("Hello world")
	for alg, want := range map[string]string{
		"CRC32":     "i9aeUg==",
		"CRC32C":    "crUfeA==",
		"CRC64NVME": "OOJZ0D8xKts=",
		"SHA1":      "e1AsOh9IyGCa4hLN+2Od7jlnP14=",
		"SHA256":    "ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=",
	} {
		if got := ckSum(alg, hello); got != want {
			t.Errorf("%s(Hello world) = %s, want %s", alg, got, want)
		}
	}
	check := []byte("123456789")
	if got := binary.BigEndian.Uint64(ckRaw("CRC64NVME", check)); got != 0xAE8B14860A799888 {
		t.Errorf("CRC64NVME(123456789) = %#x, want 0xAE8B14860A799888", got)
	}
	for alg, want := range map[string]uint64{"CRC32": 0xCBF43926, "CRC32C": 0xE3069283} {
		if got := uint64(binary.BigEndian.Uint32(ckRaw(alg, check))); got != want {
			t.Errorf("%s(123456789) = %#x, want %#x", alg, got, want)
		}
	}
	// xxHash reference values for the empty input (canonical big-endian).
	for alg, want := range map[string]string{
		"XXHASH64":  "ef46db3751d8e999",
		"XXHASH3":   "2d06800538d394c2",
		"XXHASH128": "99aa06d3014798d86001c324468d497f",
	} {
		if got := hex.EncodeToString(ckRaw(alg, nil)); got != want {
			t.Errorf("%s(\"\") = %s, want %s", alg, got, want)
		}
	}
	// The repository's CRC64NVME (used by the server) agrees with the
	// vector and with hash/crc64 on random data of many lengths.
	h := checksum.CRC64NVME.New()
	h.Write(check)
	if got := binary.BigEndian.Uint64(h.Sum(nil)); got != 0xAE8B14860A799888 {
		t.Errorf("checksum.CRC64NVME(123456789) = %#x, want 0xAE8B14860A799888", got)
	}
	for _, n := range []int{0, 1, 7, 8, 9, 63, 64, 65, 1000, 4096, 100003} {
		b := ckRand(n, uint64(n))
		h := checksum.CRC64NVME.New()
		h.Write(b)
		if got, want := base64.StdEncoding.EncodeToString(h.Sum(nil)), ckSum("CRC64NVME", b); got != want {
			t.Errorf("checksum.CRC64NVME of %d bytes = %s, hash/crc64 says %s", n, got, want)
		}
	}
}

// ckBoth runs f over HTTP (checksums in headers) and over TLS (the SDK
// sends them in aws-chunked trailers).
func ckBoth(t *testing.T, f func(t *testing.T, tls bool)) {
	for _, tls := range []bool{false, true} {
		name := "http"
		if tls {
			name = "tls"
		}
		t.Run(name, func(t *testing.T) { f(t, tls) })
	}
}

// TestCKPutObjectSDKAlgorithm: PutObject with ChecksumAlgorithm set, for
// every algorithm; the SDK sends a trailer over TLS and a header over HTTP.
// The server answers with the checksum, stores it, and returns it on HEAD
// and GET with checksum mode, where the SDK validates it.
func TestCKPutObjectSDKAlgorithm(t *testing.T) {
	ckBoth(t, func(t *testing.T, tls bool) {
		e := ckNew(t, tls)
		for i, alg := range ckAlgs {
			t.Run(alg, func(t *testing.T) {
				key := "sdk-" + alg
				// Over 64 KiB so the SDK's aws-chunked body has several chunks.
				body := ckRand(150_000+i, uint64(i)+1)
				want := ckSum(alg, body)
				out := e.put(key, body, func(in *s3.PutObjectInput) { in.ChecksumAlgorithm = types.ChecksumAlgorithm(alg) })

				req := e.rec.last(t, http.MethodPut, key).ReqHeader
				hdr := "x-amz-checksum-" + strings.ToLower(alg)
				if tls {
					if got := req.Get("X-Amz-Trailer"); got != hdr {
						t.Errorf("request x-amz-trailer = %q, want %q (SDK should use a trailer over TLS)", got, hdr)
					}
					if got := req.Get("X-Amz-Content-Sha256"); got != ckUnsignedTrailer {
						t.Errorf("request x-amz-content-sha256 = %q, want %s", got, ckUnsignedTrailer)
					}
				} else if got := req.Get(hdr); got != want {
					t.Errorf("request %s = %q, want %q (SDK should send a header over HTTP)", hdr, got, want)
				}

				f := ckPutFields(out)
				if got := f.get(alg); got != want {
					t.Errorf("PutObject response %s = %q, want %q", alg, got, want)
				}
				if f.Type != "FULL_OBJECT" {
					t.Errorf("PutObject response checksum type = %q, want FULL_OBJECT", f.Type)
				}
				if aws.ToString(out.ETag) != ckMD5ETag(body) {
					t.Errorf("ETag = %s, want %s", aws.ToString(out.ETag), ckMD5ETag(body))
				}

				h := e.headCK(key)
				if got := ckHeadFields(h).get(alg); got != want {
					t.Errorf("HEAD (checksum mode) %s = %q, want %q", alg, got, want)
				}
				if got := string(h.ChecksumType); got != "FULL_OBJECT" {
					t.Errorf("HEAD checksum type = %q, want FULL_OBJECT", got)
				}
				if ce := aws.ToString(h.ContentEncoding); strings.Contains(ce, "aws-chunked") {
					t.Errorf("stored Content-Encoding %q keeps aws-chunked", ce)
				}

				got, g, used := e.getCK(key)
				if !bytes.Equal(got, body) {
					t.Fatalf("GET body differs (%d bytes, want %d)", len(got), len(body))
				}
				if v := ckGetFields(g).get(alg); v != want {
					t.Errorf("GET (checksum mode) %s = %q, want %q", alg, v, want)
				}
				if string(g.ChecksumType) != "FULL_OBJECT" {
					t.Errorf("GET checksum type = %q, want FULL_OBJECT", g.ChecksumType)
				}
				if !slices.Contains(used, alg) {
					t.Errorf("SDK validated %v, want %s", used, alg)
				}

				// Without checksum mode no checksum is returned.
				if _, err := e.c.HeadObject(ckCtx(), &s3.HeadObjectInput{Bucket: &e.bucket, Key: &key}); err != nil {
					t.Fatal(err)
				}
				ex := e.rec.last(t, http.MethodHead, key)
				if ex.ReqHeader.Get("X-Amz-Checksum-Mode") == "" {
					for k := range ex.RespHeader {
						if strings.HasPrefix(strings.ToLower(k), "x-amz-checksum-") {
							t.Errorf("HEAD without checksum mode returned %s", k)
						}
					}
				}
			})
		}
	})
}

// TestCKPutObjectHeaderForm: PutObject with a precomputed checksum in the
// ChecksumXXX field: the SDK sends it as a header, over TLS too.
func TestCKPutObjectHeaderForm(t *testing.T) {
	ckBoth(t, func(t *testing.T, tls bool) {
		e := ckNew(t, tls)
		for i, alg := range ckAlgs {
			t.Run(alg, func(t *testing.T) {
				key := "hdr-" + alg
				body := ckRand(70_000+i, uint64(i)+100)
				want := ckSum(alg, body)
				out := e.put(key, body, func(in *s3.PutObjectInput) { ckPutChecksum(in, alg, want) })
				req := e.rec.last(t, http.MethodPut, key).ReqHeader
				if got := req.Get("x-amz-checksum-" + strings.ToLower(alg)); got != want {
					t.Errorf("request header = %q, want %q", got, want)
				}
				if got := req.Get("X-Amz-Trailer"); got != "" {
					t.Errorf("request has x-amz-trailer %q; want the header form", got)
				}
				if got := ckPutFields(out).get(alg); got != want {
					t.Errorf("PutObject response %s = %q, want %q", alg, got, want)
				}
				if got := ckHeadFields(e.headCK(key)).get(alg); got != want {
					t.Errorf("HEAD %s = %q, want %q", alg, got, want)
				}
				b, _, used := e.getCK(key)
				if !bytes.Equal(b, body) || !slices.Contains(used, alg) {
					t.Errorf("GET: body equal %v, SDK validated %v, want %s", bytes.Equal(b, body), used, alg)
				}
			})
		}
	})
}

// TestCKPutObjectTampered: a wrong checksum, in a header (SDK field) or in
// the aws-chunked trailer (raw request), is BadDigest and nothing is
// stored: a new key stays absent, an existing key keeps its old version.
func TestCKPutObjectTampered(t *testing.T) {
	ckBoth(t, func(t *testing.T, tls bool) {
		e := ckNew(t, tls)
		for i, alg := range ckAlgs {
			t.Run(alg, func(t *testing.T) {
				msg := fmt.Sprintf("The %s you specified did not match the calculated checksum.", alg)
				body := ckRand(4000+i, uint64(i)+200)
				bad := ckTamper(alg, body)

				// Header form, new key.
				key := "tamper-hdr-" + alg
				in := &s3.PutObjectInput{Bucket: &e.bucket, Key: &key, Body: bytes.NewReader(body)}
				ckPutChecksum(in, alg, bad)
				_, err := e.c.PutObject(ckCtx(), in)
				ckWantErr(t, "PutObject tampered header", err, "BadDigest", 400, msg)
				e.wantAbsent(key)

				// Header form over an existing object: the old version stays.
				old := []byte("the previous version of " + alg)
				e.put(key, old)
				in = &s3.PutObjectInput{Bucket: &e.bucket, Key: &key, Body: bytes.NewReader(body)}
				ckPutChecksum(in, alg, bad)
				_, err = e.c.PutObject(ckCtx(), in)
				ckWantErr(t, "PutObject tampered header over existing", err, "BadDigest", 400, msg)
				got, _, _ := e.getCK(key)
				if !bytes.Equal(got, old) {
					t.Errorf("after rejected overwrite GET returns %q, want the previous version %q", got, old)
				}

				// Trailer form (raw unsigned aws-chunked), new key.
				tkey := "tamper-trl-" + alg
				hdr := "x-amz-checksum-" + strings.ToLower(alg)
				r := e.ckDo(http.MethodPut, "/"+e.bucket+"/"+tkey, ckTrailerHeaders(len(body), hdr),
					ckChunked(body, 1024, hdr+":"+bad), ckUnsignedTrailer)
				r.wantErr(t, "PutObject tampered trailer", 400, "BadDigest", msg)
				e.wantAbsent(tkey)

				// The same request with the right trailer is stored.
				r = e.ckDo(http.MethodPut, "/"+e.bucket+"/"+tkey, ckTrailerHeaders(len(body), hdr),
					ckChunked(body, 1024, hdr+":"+ckSum(alg, body)), ckUnsignedTrailer)
				r.wantOK(t, "PutObject right trailer")
				if got := r.Header.Get(hdr); got != ckSum(alg, body) {
					t.Errorf("PutObject (trailer) response %s = %q, want %q", hdr, got, ckSum(alg, body))
				}
				if got := ckHeadFields(e.headCK(tkey)).get(alg); got != ckSum(alg, body) {
					t.Errorf("HEAD after trailer upload %s = %q, want %q", alg, got, ckSum(alg, body))
				}
			})
		}
	})
}

// TestCKPutObjectInvalidValue: a checksum header that is not valid base64,
// or decodes to the wrong length, is InvalidRequest and nothing is stored.
func TestCKPutObjectInvalidValue(t *testing.T) {
	e := ckNew(t, false)
	body := []byte("invalid checksum value body")
	for _, alg := range append(append([]string{}, ckAlgs...), ckNewAlgs...) {
		hdr := "x-amz-checksum-" + strings.ToLower(alg)
		msg := fmt.Sprintf("Value for %s header is invalid.", hdr)
		for name, v := range map[string]string{
			"not-base64":   "!!not*base64!!",
			"wrong-length": base64.StdEncoding.EncodeToString(append(ckRaw(alg, body), 0, 0, 0)),
		} {
			key := "invalid-" + alg + "-" + name
			h := http.Header{}
			h.Set(hdr, v)
			r := e.ckDo(http.MethodPut, "/"+e.bucket+"/"+key, h, body, "")
			r.wantErr(t, alg+" "+name, 400, "InvalidRequest", msg)
			e.wantAbsent(key)
		}
	}
	// Through the SDK field too.
	key := "invalid-sdk"
	_, err := e.c.PutObject(ckCtx(), &s3.PutObjectInput{Bucket: &e.bucket, Key: &key, Body: bytes.NewReader(body), ChecksumCRC32: aws.String("zzzz")})
	ckWantErr(t, "PutObject ChecksumCRC32=zzzz", err, "InvalidRequest", 400, "Value for x-amz-checksum-crc32 header is invalid.")
	e.wantAbsent(key)
}

// TestCKPutObjectTwoAlgorithms: two different checksum algorithms in one
// request (two headers, or a header and a trailer) are InvalidRequest.
func TestCKPutObjectTwoAlgorithms(t *testing.T) {
	e := ckNew(t, true)
	body := []byte("two algorithms in one request")
	const msg = "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."

	h := http.Header{}
	h.Set("x-amz-checksum-crc32", ckSum("CRC32", body))
	h.Set("x-amz-checksum-sha256", ckSum("SHA256", body))
	r := e.ckDo(http.MethodPut, "/"+e.bucket+"/two-headers", h, body, "")
	r.wantErr(t, "crc32+sha256 headers", 400, "InvalidRequest", msg)
	e.wantAbsent("two-headers")

	h = http.Header{}
	h.Set("x-amz-checksum-crc64nvme", ckSum("CRC64NVME", body))
	h.Set("x-amz-checksum-sha512", ckSum("SHA512", body))
	r = e.ckDo(http.MethodPut, "/"+e.bucket+"/two-headers-new", h, body, "")
	r.wantErr(t, "crc64nvme+sha512 headers", 400, "InvalidRequest", msg)
	e.wantAbsent("two-headers-new")

	h = ckTrailerHeaders(len(body), "x-amz-checksum-crc32c")
	h.Set("x-amz-checksum-sha1", ckSum("SHA1", body))
	r = e.ckDo(http.MethodPut, "/"+e.bucket+"/header-and-trailer", h,
		ckChunked(body, 8, "x-amz-checksum-crc32c:"+ckSum("CRC32C", body)), ckUnsignedTrailer)
	r.wantErr(t, "sha1 header + crc32c trailer", 400, "InvalidRequest", msg)
	e.wantAbsent("header-and-trailer")

	// The SDK refuses nothing itself: two checksum fields reach the server.
	key := "two-sdk"
	_, err := e.c.PutObject(ckCtx(), &s3.PutObjectInput{Bucket: &e.bucket, Key: &key, Body: bytes.NewReader(body),
		ChecksumCRC32: aws.String(ckSum("CRC32", body)), ChecksumSHA1: aws.String(ckSum("SHA1", body))})
	ckWantErr(t, "PutObject with ChecksumCRC32 and ChecksumSHA1", err, "InvalidRequest", 400, msg)
	e.wantAbsent(key)
}

// TestCKPutObjectNewAlgorithms: the algorithms the 2026 SDK enums added
// (MD5, SHA512, XXHASH64, XXHASH3, XXHASH128) are accepted in the raw
// header form, verified, stored and returned; a wrong value is BadDigest.
func TestCKPutObjectNewAlgorithms(t *testing.T) {
	ckBoth(t, func(t *testing.T, tls bool) {
		e := ckNew(t, tls)
		for i, alg := range ckNewAlgs {
			t.Run(alg, func(t *testing.T) {
				hdr := "x-amz-checksum-" + strings.ToLower(alg)
				body := ckRand(33_333+i, uint64(i)+300)
				want := ckSum(alg, body)

				key := "new-" + alg
				h := http.Header{}
				h.Set(hdr, want)
				h.Set("x-amz-sdk-checksum-algorithm", alg)
				r := e.ckDo(http.MethodPut, "/"+e.bucket+"/"+key, h, body, "")
				r.wantOK(t, "PUT "+hdr)
				if got := r.Header.Get(hdr); got != want {
					t.Errorf("PUT response %s = %q, want %q", hdr, got, want)
				}
				if got := r.Header.Get("x-amz-checksum-type"); got != "FULL_OBJECT" {
					t.Errorf("PUT response x-amz-checksum-type = %q, want FULL_OBJECT", got)
				}
				hm := http.Header{}
				hm.Set("x-amz-checksum-mode", "ENABLED")
				r = e.ckDo(http.MethodHead, "/"+e.bucket+"/"+key, hm, nil, "")
				r.wantOK(t, "HEAD")
				if got := r.Header.Get(hdr); got != want {
					t.Errorf("HEAD (checksum mode) %s = %q, want %q", hdr, got, want)
				}
				if got := r.Header.Get("x-amz-checksum-type"); got != "FULL_OBJECT" {
					t.Errorf("HEAD x-amz-checksum-type = %q, want FULL_OBJECT", got)
				}
				got, g, used := e.getCK(key)
				if !bytes.Equal(got, body) {
					t.Fatalf("GET body differs")
				}
				if v := ckGetFields(g).get(alg); v != want {
					t.Errorf("GET (SDK) %s = %q, want %q", alg, v, want)
				}
				if alg == "SHA512" && !slices.Contains(used, alg) {
					t.Errorf("SDK validated %v, want SHA512", used)
				}

				// The SDK's own field for the algorithm (header form).
				skey := "new-sdk-" + alg
				out := e.put(skey, body, func(in *s3.PutObjectInput) { ckPutChecksum(in, alg, want) })
				if got := ckPutFields(out).get(alg); got != want {
					t.Errorf("PutObject (SDK field) response %s = %q, want %q", alg, got, want)
				}
				if got := ckHeadFields(e.headCK(skey)).get(alg); got != want {
					t.Errorf("HEAD (SDK) %s = %q, want %q", alg, got, want)
				}

				// Tampered value.
				tkey := "new-tampered-" + alg
				h.Set(hdr, ckTamper(alg, body))
				r = e.ckDo(http.MethodPut, "/"+e.bucket+"/"+tkey, h, body, "")
				r.wantErr(t, "PUT tampered "+hdr, 400, "BadDigest", fmt.Sprintf("The %s you specified did not match the calculated checksum.", alg))
				e.wantAbsent(tkey)

				// Trailer form of the new algorithm.
				rkey := "new-trailer-" + alg
				r = e.ckDo(http.MethodPut, "/"+e.bucket+"/"+rkey, ckTrailerHeaders(len(body), hdr),
					ckChunked(body, 4096, hdr+":"+want), ckUnsignedTrailer)
				r.wantOK(t, "PUT trailer "+hdr)
				if got := ckHeadFields(e.headCK(rkey)).get(alg); got != want {
					t.Errorf("HEAD after trailer upload %s = %q, want %q", alg, got, want)
				}
			})
		}
	})
}

// TestCKContentMD5: Content-MD5 is verified like the flexible checksums.
func TestCKContentMD5(t *testing.T) {
	e := ckNew(t, false)
	body := []byte("content-md5 body")
	other := []byte("another body")

	h := http.Header{}
	h.Set("Content-MD5", ckSum("MD5", other))
	e.ckDo(http.MethodPut, "/"+e.bucket+"/md5-bad", h, body, "").wantErr(t, "wrong Content-MD5", 400, "BadDigest", "")
	e.wantAbsent("md5-bad")

	h.Set("Content-MD5", "not base64!")
	e.ckDo(http.MethodPut, "/"+e.bucket+"/md5-invalid", h, body, "").wantErr(t, "invalid Content-MD5", 400, "InvalidDigest", "")
	e.wantAbsent("md5-invalid")

	h.Set("Content-MD5", ckSum("MD5", body))
	h.Set("x-amz-checksum-sha256", ckSum("SHA256", body))
	r := e.ckDo(http.MethodPut, "/"+e.bucket+"/md5-ok", h, body, "")
	r.wantOK(t, "right Content-MD5 + sha256")
	if got := ckHeadFields(e.headCK("md5-ok")).get("SHA256"); got != ckSum("SHA256", body) {
		t.Errorf("HEAD SHA256 = %q, want %q", got, ckSum("SHA256", body))
	}
}

// TestCKGetChecksumMode: checksums on read. Not for a Range read; objects
// stored without a checksum still report their CRC64NVME; the SDK really
// validates what it is given.
func TestCKGetChecksumMode(t *testing.T) {
	ckBoth(t, func(t *testing.T, tls bool) {
		e := ckNew(t, tls)
		body := ckRand(100_000, 7)

		e.put("ranged", body, func(in *s3.PutObjectInput) { in.ChecksumAlgorithm = types.ChecksumAlgorithmSha256 })
		t.Run("range", func(t *testing.T) {
			got, g, used := e.getCK("ranged", func(in *s3.GetObjectInput) { in.Range = aws.String("bytes=10-1009") })
			if !bytes.Equal(got, body[10:1010]) {
				t.Fatalf("range body differs")
			}
			ex := e.rec.last(t, http.MethodGet, "ranged")
			if ex.ReqHeader.Get("X-Amz-Checksum-Mode") != "ENABLED" {
				t.Fatalf("request lacks x-amz-checksum-mode: ENABLED")
			}
			for k := range ex.RespHeader {
				if strings.HasPrefix(strings.ToLower(k), "x-amz-checksum-") {
					t.Errorf("Range GET returned %s: %s", k, ex.RespHeader.Get(k))
				}
			}
			if s := ckGetFields(g).set(); len(s) != 0 || len(used) != 0 {
				t.Errorf("Range GET: checksums %v, SDK validated %v; want none", s, used)
			}
			// HEAD with a Range is not a range read of the checksum either.
			_, err := e.c.HeadObject(ckCtx(), &s3.HeadObjectInput{Bucket: &e.bucket, Key: aws.String("ranged"), Range: aws.String("bytes=0-9"), ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatal(err)
			}
		})

		t.Run("no-checksum-reports-crc64nvme", func(t *testing.T) {
			plain, _ := e.client(ckWhenRequired)
			for _, n := range []int{0, 1, 5000, 100_000} {
				key := fmt.Sprintf("plain-%d", n)
				b := ckRand(n, uint64(n)+9)
				if _, err := plain.PutObject(ckCtx(), &s3.PutObjectInput{Bucket: &e.bucket, Key: &key, Body: bytes.NewReader(b)}); err != nil {
					t.Fatal(err)
				}
				want := ckSum("CRC64NVME", b)
				h := e.headCK(key)
				f := ckHeadFields(h)
				if got := f.get("CRC64NVME"); got != want || f.Type != "FULL_OBJECT" {
					t.Errorf("%d bytes: HEAD CRC64NVME %q type %q, want %q FULL_OBJECT", n, got, f.Type, want)
				}
				if s := f.set(); len(s) != 1 {
					t.Errorf("%d bytes: HEAD returned checksums %v, want only CRC64NVME", n, s)
				}
				got, g, used := e.getCK(key)
				if !bytes.Equal(got, b) {
					t.Fatalf("GET body differs")
				}
				if ckGetFields(g).get("CRC64NVME") != want {
					t.Errorf("%d bytes: GET CRC64NVME %q, want %q", n, ckGetFields(g).get("CRC64NVME"), want)
				}
				if !slices.Contains(used, "CRC64NVME") {
					t.Errorf("%d bytes: SDK validated %v, want CRC64NVME", n, used)
				}
			}
			// A raw PUT with no checksum at all.
			e.ckDo(http.MethodPut, "/"+e.bucket+"/raw-plain", nil, body, "").wantOK(t, "raw PUT")
			if got := ckHeadFields(e.headCK("raw-plain")).get("CRC64NVME"); got != ckSum("CRC64NVME", body) {
				t.Errorf("raw PUT: HEAD CRC64NVME %q, want %q", got, ckSum("CRC64NVME", body))
			}
		})

		t.Run("sdk-default", func(t *testing.T) {
			// WhenSupported with no algorithm: the SDK picks one (CRC32 today).
			e.put("default", body)
			req := e.rec.last(t, http.MethodPut, "default").ReqHeader
			alg := ""
			for _, a := range ckAlgs {
				hn := "x-amz-checksum-" + strings.ToLower(a)
				if req.Get(hn) != "" || strings.EqualFold(req.Get("X-Amz-Trailer"), hn) {
					alg = a
				}
			}
			if alg == "" {
				t.Fatalf("the SDK sent no checksum with default settings: %v", req)
			}
			if got := ckHeadFields(e.headCK("default")).get(alg); got != ckSum(alg, body) {
				t.Errorf("HEAD %s = %q, want %q", alg, got, ckSum(alg, body))
			}
		})

		t.Run("sdk-validates", func(t *testing.T) {
			// A client whose transport corrupts the checksum headers: the
			// SDK must reject the body, which shows the GETs above really
			// were validated against the server's values.
			bad, rec := e.client(ckWhenSupported)
			rec.corrupt.Store(true)
			out, err := bad.GetObject(ckCtx(), &s3.GetObjectInput{Bucket: &e.bucket, Key: aws.String("ranged"), ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatal(err)
			}
			_, err = io.ReadAll(out.Body)
			out.Body.Close()
			if err == nil || !strings.Contains(strings.ToLower(err.Error()), "checksum") {
				t.Errorf("reading a body with a corrupted checksum header: err = %v, want a checksum validation error", err)
			}
		})
	})
}

// TestCKPutObjectUnsupportedAlgorithm: an unknown algorithm named by
// x-amz-sdk-checksum-algorithm or x-amz-trailer is refused.
func TestCKPutObjectUnsupportedAlgorithm(t *testing.T) {
	e := ckNew(t, false)
	body := []byte("unsupported algorithm")
	h := http.Header{}
	h.Set("x-amz-sdk-checksum-algorithm", "BOGUS")
	e.ckDo(http.MethodPut, "/"+e.bucket+"/bogus-sdk", h, body, "").wantErr(t, "x-amz-sdk-checksum-algorithm: BOGUS", 400, "InvalidRequest",
		ckUnsupportedAlgorithm)
	e.wantAbsent("bogus-sdk")

	r := e.ckDo(http.MethodPut, "/"+e.bucket+"/bogus-trailer", ckTrailerHeaders(len(body), "x-amz-checksum-bogus"),
		ckChunked(body, 64, "x-amz-checksum-bogus:AAAA"), ckUnsignedTrailer)
	r.wantErr(t, "x-amz-trailer: x-amz-checksum-bogus", 400, "InvalidRequest", "")
	e.wantAbsent("bogus-trailer")
}
