package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http/httptest"
	"testing"
)

// BenchmarkVerifyHeader is one header-signed GET (AWS's example), with the
// signing key cached as it is in steady state.
func BenchmarkVerifyHeader(b *testing.B) {
	e := headerExamples[0]
	r := e.request(e.sig)
	v := exampleVerifier(exampleTime)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyPresign(b *testing.B) {
	r := httptest.NewRequest("GET", examplePresignURL, nil)
	v := exampleVerifier(exampleTime)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDeriveSigningKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		DeriveSigningKey(exampleSK, "20130524", "us-east-1", "s3")
	}
}

// BenchmarkChunkedReader decodes an 8 MiB body in 64 KiB chunks (what SDKs
// send), reporting decoded MB/s. "sha256" is the bare hash for comparison:
// signed decoding cannot be faster than hashing the data once.
func BenchmarkChunkedReader(b *testing.B) {
	data := testData(8 << 20)
	for _, c := range []struct {
		name string
		enc  chunkedBody
		opt  ChunkedOptions
	}{
		{"signed", chunkedBody{sign: testSigning, chunkSize: 64 << 10, noTrailer: true}, ChunkedOptions{Signing: testSigning, DecodedLength: -1}},
		{"signed-trailer", chunkedBody{sign: testSigning, chunkSize: 64 << 10, trailer: [][2]string{{"x-amz-checksum-crc32", "AAAAAA=="}}},
			ChunkedOptions{Signing: testSigning, Trailer: true, DecodedLength: -1}},
		{"unsigned-trailer", chunkedBody{chunkSize: 64 << 10, trailer: [][2]string{{"x-amz-checksum-crc32", "AAAAAA=="}}},
			ChunkedOptions{Trailer: true, DecodedLength: -1}},
	} {
		body := c.enc.encode(data)
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			buf := make([]byte, 32<<10)
			for b.Loop() {
				n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{NewChunkedReader(bytes.NewReader(body), c.opt)}, buf)
				if err != nil || n != int64(len(data)) {
					b.Fatal(n, err)
				}
			}
		})
	}
	b.Run("sha256", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			sha256.Sum256(data)
		}
	})
}

// BenchmarkSHA256Body is the x-amz-content-sha256 verifying reader.
func BenchmarkSHA256Body(b *testing.B) {
	data := testData(8 << 20)
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])
	v := &Verifier{}
	b.SetBytes(int64(len(data)))
	buf := make([]byte, 32<<10)
	for b.Loop() {
		r := httptest.NewRequest("PUT", "/b/k", bytes.NewReader(data))
		res := &Result{}
		if err := v.attachBody(r, res, want, nil); err != nil {
			b.Fatal(err)
		}
		if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{res.Body}, buf); err != nil {
			b.Fatal(err)
		}
	}
}
