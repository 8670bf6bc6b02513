package conformance

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// onlyReader hides Seek/Len so clients cannot learn a body's size.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func crc32B64(b []byte) string {
	var s [4]byte
	v := crc32.ChecksumIEEE(b)
	s[0], s[1], s[2], s[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	return base64.StdEncoding.EncodeToString(s[:])
}

// TestChunkedSDKTrailer: over TLS the SDK's default PutObject sends an
// aws-chunked body with STREAMING-UNSIGNED-PAYLOAD-TRAILER and a trailing
// CRC32; it must round-trip byte-exact and never store aws-chunked.
func TestChunkedSDKTrailer(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t, tesseratest.WithTLS())
	c, rec := recordingS3(srv)
	b := newBucket(t, c)

	for _, size := range []int{1, 8191, 8192, 65_537, 1 << 20, 3<<20 + 17} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			data := randBytes(size, uint64(size))
			key := fmt.Sprintf("trailer-%d", size)
			put(t, c, b, key, data)
			ex := rec.last(http.MethodPut)
			if got := ex.Header.Get("X-Amz-Content-Sha256"); got != "STREAMING-UNSIGNED-PAYLOAD-TRAILER" {
				t.Fatalf("the SDK sent x-amz-content-sha256 %q, not STREAMING-UNSIGNED-PAYLOAD-TRAILER: the test does not test what it claims", got)
			}
			if ce := strings.Join(ex.Header.Values("Content-Encoding"), ","); !strings.Contains(ce, "aws-chunked") || ex.Header.Get("X-Amz-Trailer") == "" {
				t.Fatalf("request not aws-chunked with a trailer: Content-Encoding %q x-amz-trailer %q", ce, ex.Header.Get("X-Amz-Trailer"))
			}
			got, g := get(t, c, b, key)
			if !bytes.Equal(got, data) {
				t.Fatalf("round trip: %d bytes (md5 %s), want %d (md5 %s)", len(got), md5Hex(got), len(data), md5Hex(data))
			}
			if ce := aws.ToString(g.ContentEncoding); strings.Contains(ce, "aws-chunked") {
				t.Errorf("stored Content-Encoding = %q: aws-chunked must not be stored", ce)
			}
			if aws.ToString(g.ETag) != `"`+md5Hex(data)+`"` {
				t.Errorf("ETag = %s, want md5 of the decoded body %s", aws.ToString(g.ETag), md5Hex(data))
			}
			// The SDK validated the returned checksum (x-amz-checksum-mode).
			if aws.ToString(g.ChecksumCRC32) != crc32B64(data) {
				t.Errorf("ChecksumCRC32 = %q, want %q", aws.ToString(g.ChecksumCRC32), crc32B64(data))
			}
		})
	}

	t.Run("content-encoding gzip kept, aws-chunked dropped", func(t *testing.T) {
		data := randBytes(30_000, 11)
		put(t, c, b, "gz", data, func(in *s3.PutObjectInput) { in.ContentEncoding = aws.String("gzip") })
		ex := rec.last(http.MethodPut)
		if ce := strings.Join(ex.Header.Values("Content-Encoding"), ","); !strings.Contains(ce, "aws-chunked") || !strings.Contains(ce, "gzip") {
			t.Fatalf("request Content-Encoding %q, want gzip and aws-chunked", ce)
		}
		h, _ := head(t, c, b, "gz")
		if h == nil || aws.ToString(h.ContentEncoding) != "gzip" {
			t.Errorf("stored Content-Encoding = %q, want gzip", aws.ToString(h.ContentEncoding))
		}
		wantBody(t, c, b, "gz", data)

		// The same with the codings in the other order, on two header lines
		// and in one list.
		for i, ce := range [][]string{{"aws-chunked", "gzip"}, {"aws-chunked, gzip"}, {"gzip,aws-chunked"}} {
			key := fmt.Sprintf("gz-%d", i)
			body := unsignedChunked(data, 16<<10, "x-amz-checksum-crc32", crc32B64(data))
			r := newRaw(t, srv, http.MethodPut, objectPath(b, key), body)
			r.Header["Content-Encoding"] = ce
			r.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(data)))
			r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
			signV4(t, r, "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
			resp, rb := do(t, srv, r)
			wantStatus(t, resp, rb, http.StatusOK)
			h, _ := head(t, c, b, key)
			if h == nil || aws.ToString(h.ContentEncoding) != "gzip" {
				t.Errorf("Content-Encoding %q sent: stored %q, want gzip", ce, aws.ToString(h.ContentEncoding))
			}
			wantBody(t, c, b, key, data)
		}
	})

	t.Run("unknown length: Transfer-Encoding chunked", func(t *testing.T) {
		data := randBytes(200_000, 12)
		_, err := c.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("nolen"), Body: onlyReader{bytes.NewReader(data)}})
		if err != nil {
			t.Fatalf("PutObject with an unseekable body of unknown length: %v", err)
		}
		ex := rec.last(http.MethodPut)
		if ex.ContentLength >= 0 && ex.Header.Get("X-Amz-Decoded-Content-Length") != "" {
			t.Logf("note: SDK sent Content-Length %d", ex.ContentLength)
		}
		wantBody(t, c, b, "nolen", data)
	})

	t.Run("other checksum algorithms", func(t *testing.T) {
		for _, alg := range []string{"CRC32C", "SHA1", "SHA256", "CRC64NVME"} {
			data := randBytes(40_000, 13)
			key := "alg-" + alg
			_, err := c.PutObject(ctx(), &s3.PutObjectInput{
				Bucket: aws.String(b), Key: aws.String(key), Body: bytes.NewReader(data),
				ChecksumAlgorithm: types.ChecksumAlgorithm(alg),
			})
			if err != nil {
				t.Errorf("PutObject with %s trailer: %v", alg, err)
				continue
			}
			if tr := rec.last(http.MethodPut).Header.Get("X-Amz-Trailer"); !strings.EqualFold(tr, "x-amz-checksum-"+alg) {
				t.Errorf("x-amz-trailer = %q, want x-amz-checksum-%s", tr, strings.ToLower(alg))
			}
			wantBody(t, c, b, key, data)
		}
	})

	t.Run("wrong trailing checksum", func(t *testing.T) {
		// Hand-built unsigned aws-chunked body whose trailer lies.
		data := randBytes(50_000, 14)
		body := unsignedChunked(data, 16<<10, "x-amz-checksum-crc32", crc32B64(data[1:]))
		r := newRaw(t, srv, http.MethodPut, objectPath(b, "bad-trailer"), body)
		r.Header.Set("Content-Encoding", "aws-chunked")
		r.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(data)))
		r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
		signV4(t, r, "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
		resp, rb := do(t, srv, r)
		wantRawErr(t, resp, rb, "BadDigest", http.StatusBadRequest)
		wantAbsent(t, c, b, "bad-trailer")

		// The same body with the right checksum is accepted.
		body = unsignedChunked(data, 16<<10, "x-amz-checksum-crc32", crc32B64(data))
		r = newRaw(t, srv, http.MethodPut, objectPath(b, "good-trailer"), body)
		r.Header.Set("Content-Encoding", "aws-chunked")
		r.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(data)))
		r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
		signV4(t, r, "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
		resp, rb = do(t, srv, r)
		wantStatus(t, resp, rb, http.StatusOK)
		wantBody(t, c, b, "good-trailer", data)
	})
}

// unsignedChunked encodes data as an unsigned aws-chunked body with one trailer.
func unsignedChunked(data []byte, chunk int, trailerName, trailerValue string) []byte {
	var out bytes.Buffer
	for off := 0; off < len(data); off += chunk {
		end := min(off+chunk, len(data))
		fmt.Fprintf(&out, "%x\r\n", end-off)
		out.Write(data[off:end])
		out.WriteString("\r\n")
	}
	out.WriteString("0\r\n")
	if trailerName != "" {
		fmt.Fprintf(&out, "%s:%s\r\n", trailerName, trailerValue)
	}
	out.WriteString("\r\n")
	return out.Bytes()
}

// TestChunkedMinio: minio-go over plain HTTP signs every chunk
// (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) for PutObject with a known size, and
// adds a signed trailer when a checksum is asked for.
func TestChunkedMinio(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	b := newBucket(t, c)
	// TrailingHeaders lets minio-go send a checksum trailer when asked to;
	// with default options it still signs every chunk without a trailer.
	mc, rec := recordingMinio(t, srv, false, func(o *minio.Options) { o.TrailingHeaders = true })

	for _, tc := range []struct {
		name string
		opts minio.PutObjectOptions
		mode string
	}{
		{"default options", minio.PutObjectOptions{}, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
		{"with CRC32C checksum", minio.PutObjectOptions{Checksum: minio.ChecksumCRC32C}, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"},
	} {
		for _, size := range []int{1, 65_536, 64<<10 + 1, 2<<20 + 3} {
			t.Run(fmt.Sprintf("%s/%d", tc.name, size), func(t *testing.T) {
				data := randBytes(size, uint64(size)+100)
				key := fmt.Sprintf("minio-%s-%d", strings.ReplaceAll(tc.name, " ", "-"), size)
				info, err := mc.PutObject(ctx(), b, key, bytes.NewReader(data), int64(size), tc.opts)
				if err != nil {
					t.Fatalf("minio PutObject: %v", err)
				}
				ex := rec.last(http.MethodPut)
				if got := ex.Header.Get("X-Amz-Content-Sha256"); got != tc.mode {
					t.Fatalf("minio-go sent x-amz-content-sha256 %q, want %q: the test does not test what it claims", got, tc.mode)
				}
				if info.ETag != md5Hex(data) {
					t.Errorf("ETag = %q, want %q", info.ETag, md5Hex(data))
				}
				got, g := get(t, c, b, key)
				if !bytes.Equal(got, data) {
					t.Fatalf("round trip differs: %d bytes, want %d", len(got), len(data))
				}
				if strings.Contains(aws.ToString(g.ContentEncoding), "aws-chunked") {
					t.Errorf("stored Content-Encoding %q", aws.ToString(g.ContentEncoding))
				}
			})
		}
	}
}

// signedChunked builds a STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER) PUT by
// hand. corrupt: index of the chunk whose signature is damaged (the final
// empty chunk is index len(chunks); -1 for none). tamper: index of the chunk
// whose data is changed after signing (-1 for none). trailer: if non-empty,
// a signed x-amz-checksum-crc32 trailer with this value; corruptTrailer
// damages its signature. chunked sends it with Transfer-Encoding: chunked
// instead of a Content-Length.
type chunkedSpec struct {
	data           []byte
	chunkSize      int
	corrupt        int
	tamper         int
	trailer        string
	corruptTrailer bool
	chunked        bool
}

func buildSignedChunked(t *testing.T, srv *tesseratest.Server, path string, sp chunkedSpec) *http.Request {
	t.Helper()
	var chunks [][]byte
	for off := 0; off < len(sp.data); off += sp.chunkSize {
		chunks = append(chunks, sp.data[off:min(off+sp.chunkSize, len(sp.data))])
	}
	chunks = append(chunks, nil) // the final, empty chunk
	mode := "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	trailerLine := ""
	if sp.trailer != "" {
		mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
		trailerLine = "x-amz-checksum-crc32:" + sp.trailer
	}
	// Length of the encoded body.
	encLen := 0
	for _, ch := range chunks {
		encLen += len(strconv.FormatInt(int64(len(ch)), 16)) + len(";chunk-signature=") + 64 + 2 + len(ch) + 2
	}
	if sp.trailer != "" {
		encLen -= 2 // the final chunk's CRLF is replaced by the trailer section
		encLen += len(trailerLine) + 2 + len("x-amz-trailer-signature:") + 64 + 2 + 2
	}

	ts := time.Now().UTC()
	r := newRaw(t, srv, http.MethodPut, path, nil)
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(sp.data)))
	if sp.trailer != "" {
		r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
	}
	if sp.chunked {
		r.ContentLength = -1
	} else {
		r.ContentLength = int64(encLen)
	}
	signV4With(t, r, mode, ts, accessKey, secretKey)
	prev := seedSignature(t, r)

	date := ts.Format("20060102")
	amzDate := ts.Format("20060102T150405Z")
	scope := date + "/" + region + "/s3/aws4_request"
	key := signingKey(secretKey, date)
	var body bytes.Buffer
	for i, ch := range chunks {
		sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + amzDate + "\n" + scope + "\n" + prev + "\n" + emptySHA256 + "\n" + sha256Hex(ch)
		sig := hex.EncodeToString(hmacSHA256(key, sts))
		prev = sig
		if i == sp.corrupt {
			sig = corruptHex(sig)
		}
		if i == sp.tamper && len(ch) > 0 {
			ch = bytes.Clone(ch)
			ch[len(ch)/2] ^= 0x55
		}
		fmt.Fprintf(&body, "%x;chunk-signature=%s\r\n", len(ch), sig)
		body.Write(ch)
		if i < len(chunks)-1 || sp.trailer == "" {
			body.WriteString("\r\n")
		}
	}
	if sp.trailer != "" {
		sts := "AWS4-HMAC-SHA256-TRAILER\n" + amzDate + "\n" + scope + "\n" + prev + "\n" + sha256Hex([]byte(trailerLine+"\n"))
		sig := hex.EncodeToString(hmacSHA256(key, sts))
		if sp.corruptTrailer {
			sig = corruptHex(sig)
		}
		fmt.Fprintf(&body, "%s\r\nx-amz-trailer-signature:%s\r\n\r\n", trailerLine, sig)
	}
	if !sp.chunked && body.Len() != encLen {
		t.Fatalf("encoded length %d, computed %d", body.Len(), encLen)
	}
	if sp.chunked {
		r.Body = io.NopCloser(onlyReader{bytes.NewReader(body.Bytes())})
	} else {
		r.Body = io.NopCloser(bytes.NewReader(body.Bytes()))
	}
	return r
}

func TestChunkedSigned(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	b := newBucket(t, c)
	data := randBytes(200_000, 15) // 4 chunks of 64 KiB: 3 full, 1 partial
	const cs = 64 << 10

	ok := []struct {
		name string
		sp   chunkedSpec
	}{
		{"valid", chunkedSpec{data: data, chunkSize: cs, corrupt: -1, tamper: -1}},
		{"valid, Transfer-Encoding chunked", chunkedSpec{data: data, chunkSize: cs, corrupt: -1, tamper: -1, chunked: true}},
		{"valid with signed trailer", chunkedSpec{data: data, chunkSize: cs, corrupt: -1, tamper: -1, trailer: crc32B64(data)}},
		{"valid with signed trailer, Transfer-Encoding chunked", chunkedSpec{data: data, chunkSize: cs, corrupt: -1, tamper: -1, trailer: crc32B64(data), chunked: true}},
		{"valid, one small chunk", chunkedSpec{data: data[:100], chunkSize: cs, corrupt: -1, tamper: -1}},
		{"valid, empty", chunkedSpec{data: []byte{}, chunkSize: cs, corrupt: -1, tamper: -1}},
	}
	for i, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			key := fmt.Sprintf("ok-%d", i)
			resp, body := do(t, srv, buildSignedChunked(t, srv, objectPath(b, key), tc.sp))
			wantStatus(t, resp, body, http.StatusOK)
			got, g := get(t, c, b, key)
			if !bytes.Equal(got, tc.sp.data) {
				t.Errorf("round trip: %d bytes, want %d", len(got), len(tc.sp.data))
			}
			if strings.Contains(aws.ToString(g.ContentEncoding), "aws-chunked") {
				t.Errorf("stored Content-Encoding %q", aws.ToString(g.ContentEncoding))
			}
		})
	}

	bad := []struct {
		name string
		sp   chunkedSpec
		code string
	}{
		{"first chunk signature corrupted", chunkedSpec{data: data, chunkSize: cs, corrupt: 0, tamper: -1}, "SignatureDoesNotMatch"},
		{"middle chunk signature corrupted", chunkedSpec{data: data, chunkSize: cs, corrupt: 2, tamper: -1}, "SignatureDoesNotMatch"},
		{"final empty chunk signature corrupted", chunkedSpec{data: data, chunkSize: cs, corrupt: 4, tamper: -1}, "SignatureDoesNotMatch"},
		{"chunk data tampered", chunkedSpec{data: data, chunkSize: cs, corrupt: -1, tamper: 1}, "SignatureDoesNotMatch"},
		{"last data chunk tampered, Transfer-Encoding chunked", chunkedSpec{data: data, chunkSize: cs, corrupt: -1, tamper: 3, chunked: true}, "SignatureDoesNotMatch"},
		{"trailer signature corrupted", chunkedSpec{data: data, chunkSize: cs, corrupt: -1, tamper: -1, trailer: crc32B64(data), corruptTrailer: true}, "SignatureDoesNotMatch"},
		{"signed trailer with wrong checksum", chunkedSpec{data: data, chunkSize: cs, corrupt: -1, tamper: -1, trailer: crc32B64(data[1:])}, "BadDigest"},
	}
	for i, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			key := fmt.Sprintf("bad-%d", i)
			resp, body := do(t, srv, buildSignedChunked(t, srv, objectPath(b, key), tc.sp))
			status := http.StatusForbidden
			if tc.code == "BadDigest" {
				status = http.StatusBadRequest
			}
			wantRawErr(t, resp, body, tc.code, status)
			wantAbsent(t, c, b, key)
		})
	}

	t.Run("corrupted chunk keeps previous version", func(t *testing.T) {
		put(t, c, b, "keep", []byte("previous"))
		resp, body := do(t, srv, buildSignedChunked(t, srv, objectPath(b, "keep"), chunkedSpec{data: data, chunkSize: cs, corrupt: 3, tamper: -1}))
		wantRawErr(t, resp, body, "SignatureDoesNotMatch", http.StatusForbidden)
		wantBody(t, c, b, "keep", []byte("previous"))
	})

	t.Run("decoded length mismatch", func(t *testing.T) {
		// Claim one more byte than the (correctly signed) chunks carry.
		sp := chunkedSpec{data: data, chunkSize: cs}
		r := buildSignedChunkedDecodedLen(t, srv, objectPath(b, "short"), sp, len(data)+1)
		resp, body := do(t, srv, r)
		if resp.StatusCode/100 != 4 {
			t.Errorf("decoded length mismatch: status %d, want 4xx (%s)", resp.StatusCode, body)
		}
		wantAbsent(t, c, b, "short")
	})
}

// buildSignedChunkedDecodedLen is buildSignedChunked with a lying
// x-amz-decoded-content-length (signed).
func buildSignedChunkedDecodedLen(t *testing.T, srv *tesseratest.Server, path string, sp chunkedSpec, decoded int) *http.Request {
	t.Helper()
	ts := time.Now().UTC()
	r := newRaw(t, srv, http.MethodPut, path, nil)
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(decoded))
	r.ContentLength = -1 // sent chunked, so the signature does not cover a length
	signV4With(t, r, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", ts, accessKey, secretKey)
	// Re-sign the chunks against the new seed.
	prev := seedSignature(t, r)
	date, amzDate := ts.Format("20060102"), ts.Format("20060102T150405Z")
	scope := date + "/" + region + "/s3/aws4_request"
	key := signingKey(secretKey, date)
	var body bytes.Buffer
	for off := 0; ; off += sp.chunkSize {
		ch := sp.data[min(off, len(sp.data)):min(off+sp.chunkSize, len(sp.data))]
		sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + amzDate + "\n" + scope + "\n" + prev + "\n" + emptySHA256 + "\n" + sha256Hex(ch)
		prev = hex.EncodeToString(hmacSHA256(key, sts))
		fmt.Fprintf(&body, "%x;chunk-signature=%s\r\n", len(ch), prev)
		body.Write(ch)
		body.WriteString("\r\n")
		if len(ch) == 0 {
			break
		}
	}
	r.Body = io.NopCloser(onlyReader{bytes.NewReader(body.Bytes())})
	return r
}

// TestTransferEncodingChunked: a plain signed PUT whose body arrives with
// Transfer-Encoding: chunked and no Content-Length.
func TestTransferEncodingChunked(t *testing.T) {
	t.Parallel()
	bothTransports(t, func(t *testing.T, srv *tesseratest.Server) {
		c := sdkClient(srv)
		b := newBucket(t, c)
		data := randBytes(300_000, 16)
		for _, tc := range []struct{ name, hash string }{
			{"UNSIGNED-PAYLOAD", "UNSIGNED-PAYLOAD"},
			{"hex hash", sha256Hex(data)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				key := "te-" + strings.ReplaceAll(tc.name, " ", "-")
				r := newRaw(t, srv, http.MethodPut, objectPath(b, key), nil)
				r.ContentLength = -1
				signV4(t, r, tc.hash)
				// Unknown length: net/http sends HTTP/1.1 Transfer-Encoding: chunked.
				r.Body = io.NopCloser(onlyReader{bytes.NewReader(data)})
				if r.ContentLength != -1 || r.Header.Get("Content-Length") != "" {
					t.Fatalf("request has a length: %d", r.ContentLength)
				}
				resp, body := do(t, srv, r)
				if resp.ProtoMajor != 1 {
					t.Fatalf("HTTP/%d: chunked transfer coding is HTTP/1.1 only", resp.ProtoMajor)
				}
				wantStatus(t, resp, body, http.StatusOK)
				wantBody(t, c, b, key, data)
			})
		}
		t.Run("hex hash mismatch", func(t *testing.T) {
			r := newRaw(t, srv, http.MethodPut, objectPath(b, "te-bad"), nil)
			r.ContentLength = -1
			signV4(t, r, sha256Hex(data[1:]))
			r.Body = io.NopCloser(onlyReader{bytes.NewReader(data)})
			resp, body := do(t, srv, r)
			wantRawErr(t, resp, body, "XAmzContentSHA256Mismatch", http.StatusBadRequest)
			wantAbsent(t, c, b, "te-bad")
		})
		t.Run("minio-go unknown size is multipart", func(t *testing.T) {
			// minio-go v7 turns PutObject(size -1) into a multipart upload;
			// with a small part size this exercises it end to end.
			_, err := srv.Minio().PutObject(ctx(), b, "minio-nolen", onlyReader{bytes.NewReader(data)}, -1, minio.PutObjectOptions{PartSize: 5 << 20})
			if err != nil {
				t.Fatalf("minio PutObject(size -1): %v", err)
			}
			wantBody(t, c, b, "minio-nolen", data)
		})
	})
}
