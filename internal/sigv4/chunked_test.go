package sigv4

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/tessera-s3/tessera/internal/s3err"
)

var testSigning = &ChunkSigning{
	SigningKey:    DeriveSigningKey("secret", "20240101", "us-east-1", "s3"),
	Timestamp:     "20240101T000000Z",
	Scope:         "20240101/us-east-1/s3/aws4_request",
	SeedSignature: strings.Repeat("ab", 32),
}

// chunkedBody is a test encoder for aws-chunked bodies, written from the
// AWS documentation independently of the decoder.
type chunkedBody struct {
	sign        *ChunkSigning // nil: unsigned chunks
	chunkSize   int
	trailer     [][2]string // trailer headers (written in this order)
	noTrailer   bool        // no trailer section at all (plain signed streaming)
	bareLF      bool        // minio-go style trailer line endings
	badTrailSig bool
}

func (e chunkedBody) encode(data []byte) []byte {
	var b bytes.Buffer
	prev := ""
	if e.sign != nil {
		prev = e.sign.SeedSignature
	}
	sign := func(algo, hashLine string) string {
		m := hmac.New(sha256.New, e.sign.SigningKey)
		fmt.Fprintf(m, "%s\n%s\n%s\n%s\n%s", algo, e.sign.Timestamp, e.sign.Scope, prev, hashLine)
		prev = hex.EncodeToString(m.Sum(nil))
		return prev
	}
	writeChunk := func(c []byte) {
		fmt.Fprintf(&b, "%x", len(c))
		if e.sign != nil {
			h := sha256.Sum256(c)
			b.WriteString(";chunk-signature=" + sign("AWS4-HMAC-SHA256-PAYLOAD", emptySHA256+"\n"+hex.EncodeToString(h[:])))
		}
		b.WriteString("\r\n")
		if len(c) > 0 {
			b.Write(c)
			b.WriteString("\r\n")
		}
	}
	for len(data) > 0 {
		n := min(e.chunkSize, len(data))
		writeChunk(data[:n])
		data = data[n:]
	}
	writeChunk(nil)
	if e.noTrailer {
		b.WriteString("\r\n")
		return b.Bytes()
	}
	eol := "\r\n"
	if e.bareLF {
		eol = "\n"
	}
	for _, kv := range e.trailer {
		b.WriteString(kv[0] + ":" + kv[1] + eol)
	}
	if e.sign != nil {
		sorted := slices.Clone(e.trailer)
		slices.SortFunc(sorted, func(x, y [2]string) int { return strings.Compare(x[0], y[0]) })
		h := sha256.New()
		for _, kv := range sorted {
			io.WriteString(h, kv[0]+":"+kv[1]+"\n")
		}
		sig := sign("AWS4-HMAC-SHA256-TRAILER", hex.EncodeToString(h.Sum(nil)))
		if e.badTrailSig {
			sig = strings.Repeat("0", 64)
		}
		if e.bareLF {
			b.WriteString("\r\n")
		}
		b.WriteString("x-amz-trailer-signature:" + sig + "\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

func testData(n int) []byte {
	r := rand.New(rand.NewPCG(1, uint64(n)))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestChunkedReader(t *testing.T) {
	data := testData(100_000)
	crc := [][2]string{{"x-amz-checksum-crc32", "AAAAAA=="}}
	two := [][2]string{{"x-amz-checksum-sha256", "abc="}, {"x-amz-checksum-crc32", "AAAAAA=="}}
	signed := ChunkedOptions{Signing: testSigning, DecodedLength: -1}
	signedTrailer := ChunkedOptions{Signing: testSigning, Trailer: true, DecodedLength: -1}
	unsignedTrailer := ChunkedOptions{Trailer: true, DecodedLength: -1}
	withLen := func(o ChunkedOptions, n int64) ChunkedOptions { o.DecodedLength = n; return o }
	enc := func(e chunkedBody, d []byte) []byte { return e.encode(d) }
	signedBody := enc(chunkedBody{sign: testSigning, chunkSize: 8192, noTrailer: true}, data)

	cases := []struct {
		name        string
		body        []byte
		opt         ChunkedOptions
		wantData    []byte // nil: expect an error
		wantTrailer http.Header
		wantCode    s3err.Code
	}{
		{name: "signed", body: signedBody, opt: signed, wantData: data},
		{name: "signed with decoded length", body: signedBody, opt: withLen(signed, int64(len(data))), wantData: data},
		{name: "signed one chunk", body: enc(chunkedBody{sign: testSigning, chunkSize: len(data), noTrailer: true}, data), opt: signed, wantData: data},
		{name: "signed tiny chunks", body: enc(chunkedBody{sign: testSigning, chunkSize: 7, noTrailer: true}, data[:1000]), opt: signed, wantData: data[:1000]},
		{name: "signed empty", body: enc(chunkedBody{sign: testSigning, noTrailer: true}, nil), opt: signed, wantData: []byte{}},
		{name: "signed no final CRLF", body: signedBody[:len(signedBody)-2], opt: signed, wantData: data},
		{name: "bad chunk signature", opt: signed, wantCode: s3err.SignatureDoesNotMatch,
			body: flipHex(signedBody, bytes.Index(signedBody, []byte("chunk-signature="))+20)},
		{name: "flipped data byte", opt: signed, wantCode: s3err.SignatureDoesNotMatch, body: flip(signedBody, 20000)},
		{name: "wrong seed", opt: signed, wantCode: s3err.SignatureDoesNotMatch,
			body: enc(chunkedBody{sign: &ChunkSigning{SigningKey: testSigning.SigningKey, Timestamp: testSigning.Timestamp, Scope: testSigning.Scope, SeedSignature: strings.Repeat("cd", 32)}, chunkSize: 8192, noTrailer: true}, data)},
		{name: "wrong key", opt: signed, wantCode: s3err.SignatureDoesNotMatch,
			body: enc(chunkedBody{sign: &ChunkSigning{SigningKey: DeriveSigningKey("other", "20240101", "us-east-1", "s3"), Timestamp: testSigning.Timestamp, Scope: testSigning.Scope, SeedSignature: testSigning.SeedSignature}, chunkSize: 8192, noTrailer: true}, data)},
		{name: "chunks reordered", opt: signed, wantCode: s3err.SignatureDoesNotMatch, body: swapChunks(signedBody)},
		{name: "final chunk missing", opt: signed, wantCode: s3err.IncompleteBody, body: signedBody[:bytes.LastIndex(signedBody, []byte("0;chunk-signature"))]},
		{name: "truncated in data", opt: signed, wantCode: s3err.IncompleteBody, body: signedBody[:50000]},
		{name: "truncated in header", opt: signed, wantCode: s3err.IncompleteBody, body: signedBody[:8]},
		{name: "empty body", opt: signed, wantCode: s3err.IncompleteBody, body: nil},
		{name: "unsigned chunk in signed stream", opt: signed, wantCode: s3err.InvalidRequest,
			body: enc(chunkedBody{chunkSize: 8192, noTrailer: true}, data)},
		{name: "garbage after final chunk", opt: signed, wantCode: s3err.InvalidRequest,
			body: append(slices.Clone(signedBody[:len(signedBody)-2]), "x-amz-foo:bar\r\n\r\n"...)},

		{name: "unsigned trailer", body: enc(chunkedBody{chunkSize: 65536, trailer: crc}, data), opt: unsignedTrailer,
			wantData: data, wantTrailer: http.Header{"X-Amz-Checksum-Crc32": {"AAAAAA=="}}},
		{name: "unsigned trailer bare LF (minio-go)", body: enc(chunkedBody{chunkSize: 65536, trailer: crc, bareLF: true}, data), opt: unsignedTrailer,
			wantData: data, wantTrailer: http.Header{"X-Amz-Checksum-Crc32": {"AAAAAA=="}}},
		{name: "unsigned missing trailer", body: enc(chunkedBody{chunkSize: 4096}, data), opt: unsignedTrailer, wantData: data, wantTrailer: http.Header{}},
		{name: "unsigned trailer section absent", body: []byte("5\r\nhello\r\n0\r\n"), opt: unsignedTrailer, wantData: []byte("hello"), wantTrailer: http.Header{}},
		{name: "unsigned trailer ignores extensions", body: []byte("5;foo=bar\r\nhello\r\n0\r\n\r\n"), opt: unsignedTrailer, wantData: []byte("hello"), wantTrailer: http.Header{}},
		{name: "unsigned trailer value spaces", body: []byte("5\r\nhello\r\n0\r\nX-Amz-Checksum-Crc32 :  v=  \r\n\r\n"), opt: unsignedTrailer,
			wantData: []byte("hello"), wantTrailer: http.Header{"X-Amz-Checksum-Crc32": {"v="}}},

		{name: "signed trailer", body: enc(chunkedBody{sign: testSigning, chunkSize: 65536, trailer: two}, data), opt: signedTrailer,
			wantData: data, wantTrailer: http.Header{"X-Amz-Checksum-Crc32": {"AAAAAA=="}, "X-Amz-Checksum-Sha256": {"abc="}}},
		{name: "signed trailer bare LF (minio-go)", body: enc(chunkedBody{sign: testSigning, chunkSize: 65536, trailer: crc, bareLF: true}, data), opt: signedTrailer,
			wantData: data, wantTrailer: http.Header{"X-Amz-Checksum-Crc32": {"AAAAAA=="}}},
		{name: "signed trailer no headers", body: enc(chunkedBody{sign: testSigning, chunkSize: 65536}, data), opt: signedTrailer, wantData: data, wantTrailer: http.Header{}},
		{name: "signed trailer tampered", opt: signedTrailer, wantCode: s3err.SignatureDoesNotMatch,
			body: bytes.Replace(enc(chunkedBody{sign: testSigning, chunkSize: 65536, trailer: crc}, data), []byte("AAAAAA=="), []byte("AAAAAB=="), 1)},
		{name: "signed trailer bad signature", opt: signedTrailer, wantCode: s3err.SignatureDoesNotMatch,
			body: enc(chunkedBody{sign: testSigning, chunkSize: 65536, trailer: crc, badTrailSig: true}, data)},
		{name: "signed trailer without signature", opt: signedTrailer, wantCode: s3err.SignatureDoesNotMatch,
			body: enc(chunkedBody{sign: testSigning, chunkSize: 65536, noTrailer: true}, data)},
		{name: "signed trailer signature not last", opt: signedTrailer, wantCode: s3err.InvalidRequest,
			body: append(bytes.TrimSuffix(enc(chunkedBody{sign: testSigning, chunkSize: 65536, trailer: crc}, data), []byte("\r\n")), "x-amz-more:1\r\n\r\n"...)},

		{name: "non-hex size", body: []byte("zz\r\nhello\r\n0\r\n\r\n"), opt: unsignedTrailer, wantCode: s3err.InvalidRequest},
		{name: "0x size", body: []byte("0x5\r\nhello\r\n0\r\n\r\n"), opt: unsignedTrailer, wantCode: s3err.InvalidRequest},
		{name: "negative size", body: []byte("-5\r\nhello\r\n0\r\n\r\n"), opt: unsignedTrailer, wantCode: s3err.InvalidRequest},
		{name: "size with space", body: []byte("5 \r\nhello\r\n0\r\n\r\n"), opt: unsignedTrailer, wantCode: s3err.InvalidRequest},
		{name: "empty size", body: []byte("\r\nhello\r\n0\r\n\r\n"), opt: unsignedTrailer, wantCode: s3err.InvalidRequest},
		{name: "17 hex digits", body: []byte("10000000000000000\r\n"), opt: unsignedTrailer, wantCode: s3err.InvalidRequest},
		{name: "huge size", body: []byte("FFFFFFFFFFFFFFFF\r\n"), opt: unsignedTrailer, wantCode: s3err.InvalidRequest},
		{name: "data not followed by CRLF", body: []byte("5\r\nhelloXX0\r\n\r\n"), opt: unsignedTrailer, wantCode: s3err.InvalidRequest},
		{name: "data longer than size", body: []byte("3\r\nhello\r\n0\r\n\r\n"), opt: unsignedTrailer, wantCode: s3err.InvalidRequest},
		{name: "LF-only chunk header", body: []byte("5\nhello\r\n0\r\n\r\n"), opt: unsignedTrailer, wantCode: s3err.InvalidRequest},
		{name: "header line too long", body: append([]byte("5;"+strings.Repeat("x", 5000)), "\r\nhello\r\n0\r\n\r\n"...), opt: unsignedTrailer, wantCode: s3err.InvalidRequest},
		{name: "malformed trailer line", body: []byte("5\r\nhello\r\n0\r\nnocolon\r\n\r\n"), opt: unsignedTrailer, wantCode: s3err.InvalidRequest},
		{name: "trailer name with space", body: []byte("5\r\nhello\r\n0\r\nx amz:1\r\n\r\n"), opt: unsignedTrailer, wantCode: s3err.InvalidRequest},
		{name: "trailer too large", body: []byte("5\r\nhello\r\n0\r\n" + strings.Repeat("x-amz-a:"+strings.Repeat("v", 100)+"\r\n", 200) + "\r\n"),
			opt: unsignedTrailer, wantCode: s3err.InvalidRequest},
		{name: "trailer in non-trailer mode", body: []byte("5\r\nhello\r\n0\r\nx-amz-a:1\r\n\r\n"), opt: ChunkedOptions{DecodedLength: -1}, wantCode: s3err.InvalidRequest},

		{name: "decoded length too long", body: signedBody, opt: withLen(signed, int64(len(data))+1), wantCode: s3err.IncompleteBody},
		{name: "decoded length too short", body: signedBody, opt: withLen(signed, int64(len(data))-1), wantCode: s3err.IncompleteBody},
		{name: "decoded length zero", body: []byte("5\r\nhello\r\n0\r\n\r\n"), opt: withLen(unsignedTrailer, 0), wantCode: s3err.IncompleteBody},
	}
	readers := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
		"data+EOF": iotest.DataErrReader,
	}
	for _, c := range cases {
		for rname, wrap := range readers {
			t.Run(c.name+"/"+rname, func(t *testing.T) {
				opt := c.opt
				opt.TrailerHeader = http.Header{}
				cr := NewChunkedReader(wrap(bytes.NewReader(c.body)), opt)
				got, err := io.ReadAll(cr)
				if c.wantData == nil {
					wantCode(t, err, c.wantCode)
					if len(opt.TrailerHeader) != 0 {
						t.Fatalf("trailer exposed after failure: %v", opt.TrailerHeader)
					}
					// Sticky.
					if _, err2 := cr.Read(make([]byte, 10)); err2 != err {
						t.Fatalf("second read: %v, first %v", err2, err)
					}
					return
				}
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				if !bytes.Equal(got, c.wantData) {
					t.Fatalf("decoded %d bytes, want %d", len(got), len(c.wantData))
				}
				if c.wantTrailer != nil && !equalHeader(opt.TrailerHeader, c.wantTrailer) {
					t.Fatalf("trailer %v, want %v", opt.TrailerHeader, c.wantTrailer)
				}
			})
		}
	}
}

// A bad chunk is reported no later than the Read that returns its last
// byte, so a caller never sees a clean chunk boundary after forged data.
func TestChunkedReaderReportsAtChunkEnd(t *testing.T) {
	data := testData(3 * 8192)
	body := chunkedBody{sign: testSigning, chunkSize: 8192, noTrailer: true}.encode(data)
	frame := len(body) / 3                                                   // three equal frames, plus the final chunk
	body = flip(body, frame+bytes.Index(body[frame:], []byte("\r\n"))+2+100) // 100 bytes into the second chunk's data
	cr := NewChunkedReader(bytes.NewReader(body), ChunkedOptions{Signing: testSigning, DecodedLength: -1})
	n, err := io.ReadFull(cr, make([]byte, 8192))
	if n != 8192 || err != nil {
		t.Fatalf("first chunk: %d, %v", n, err)
	}
	total := 0
	for err == nil {
		n, err = cr.Read(make([]byte, 1000))
		total += n
	}
	wantCode(t, err, s3err.SignatureDoesNotMatch)
	if total != 8192 {
		t.Fatalf("error after %d bytes of the second chunk, want at its end (8192)", total)
	}
}

// flipHex changes the hex digit at i to another hex digit.
func flipHex(b []byte, i int) []byte {
	b = slices.Clone(b)
	if b[i] == '0' {
		b[i] = '1'
	} else {
		b[i] = '0'
	}
	return b
}

func flip(b []byte, i int) []byte {
	b = slices.Clone(b)
	b[i] ^= 0x01
	return b
}

// swapChunks swaps the first two (equal-sized) chunk frames of a body.
func swapChunks(b []byte) []byte {
	frame := func(b []byte) int {
		line := bytes.Index(b, []byte("\r\n"))
		var size int
		fmt.Sscanf(string(b[:line]), "%x", &size)
		return line + 2 + size + 2
	}
	n1 := frame(b)
	n2 := frame(b[n1:])
	out := slices.Concat(b[n1:n1+n2], b[:n1], b[n1+n2:])
	return out
}

func equalHeader(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}
