package sigv4

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/tessera-s3/tessera/internal/s3err"
)

// ChunkSigning is what verifying a signed aws-chunked body needs: the
// request's signing key, its X-Amz-Date timestamp and credential scope, and
// the request signature that seeds the chunk signature chain.
type ChunkSigning struct {
	SigningKey    []byte
	Timestamp     string // ISO 8601 basic, e.g. "20130524T000000Z"
	Scope         string // "20130524/us-east-1/s3/aws4_request"
	SeedSignature string // lowercase hex
}

// ChunkedOptions configures a ChunkedReader.
type ChunkedOptions struct {
	// Signing, if set, makes every chunk carry a chunk-signature that must
	// chain from Signing.SeedSignature (STREAMING-AWS4-HMAC-SHA256-PAYLOAD…);
	// with Trailer, the trailer must carry x-amz-trailer-signature too.
	// Nil means unsigned chunks (STREAMING-UNSIGNED-PAYLOAD-TRAILER); chunk
	// extensions are then ignored.
	Signing *ChunkSigning
	// Trailer says trailer headers may follow the final chunk (the
	// …-TRAILER modes). Without it the final chunk must end the body.
	Trailer bool
	// DecodedLength is the decoded size the body must have, or -1.
	DecodedLength int64
	// TrailerHeader, if non-nil, receives the trailer headers (canonical
	// keys) when the reader returns io.EOF, and only then: a trailer that
	// fails verification is never exposed.
	TrailerHeader http.Header
}

// Limits that keep a hostile body from costing unbounded memory: a chunk
// header is "<hex size>;chunk-signature=<64 hex>" (~90 bytes), and the
// trailer is a few checksum headers.
const (
	maxLineLength  = 4096 // also the bufio buffer size
	maxTrailerSize = 16 << 10
	maxChunkSize   = 1 << 40 // only to keep arithmetic far from overflow
)

// Chunk string-to-sign constants.
const (
	chunkAlgorithm   = "AWS4-HMAC-SHA256-PAYLOAD"
	trailerAlgorithm = "AWS4-HMAC-SHA256-TRAILER"
	emptySHA256      = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

type chunkState int

const (
	stHeader  chunkState = iota // expecting a chunk header line
	stData                      // inside a chunk's data
	stTrailer                   // after the final chunk
	stDone
)

// ChunkedReader decodes an aws-chunked body:
//
//	<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n … 0[;chunk-signature=<sig>]\r\n
//	[trailer-name:value\r\n … [x-amz-trailer-signature:<sig>\r\n]] \r\n
//
// It never buffers more than a line, hands chunk bytes on as they arrive,
// and checks a chunk's signature when the chunk ends, so a bad chunk shows
// up as an error after some of its bytes were returned: treat any error as
// "discard everything". Errors are *s3err.Error (SignatureDoesNotMatch for
// a bad signature, IncompleteBody for a truncated body or wrong decoded
// length, InvalidRequest for malformed framing), except that read errors of
// the underlying reader are returned as they are. Errors are sticky.
type ChunkedReader struct {
	br    *bufio.Reader
	opt   ChunkedOptions
	state chunkState
	err   error

	remaining int64 // data bytes left in the current chunk
	decoded   int64 // data bytes returned so far

	// Signed mode only.
	mac     hash.Hash // HMAC-SHA256 keyed with the signing key
	prefix  []byte    // "AWS4-HMAC-SHA256-PAYLOAD\n<timestamp>\n<scope>\n", built once
	chunkH  hash.Hash // SHA-256 of the current chunk's data
	prevSig []byte    // hex of the previous signature (seed first)
	sig     []byte    // the current chunk's claimed signature (raw)
}

// NewChunkedReader returns a reader of the decoded payload of the
// aws-chunked body r.
func NewChunkedReader(r io.Reader, opt ChunkedOptions) *ChunkedReader {
	c := &ChunkedReader{br: bufio.NewReaderSize(r, maxLineLength), opt: opt}
	if s := opt.Signing; s != nil {
		c.mac = hmac.New(sha256.New, s.SigningKey)
		c.chunkH = sha256.New()
		c.prevSig = []byte(s.SeedSignature)
		c.prefix = []byte(chunkAlgorithm + "\n" + s.Timestamp + "\n" + s.Scope + "\n")
	}
	return c
}

func malformedChunk(format string, args ...any) error {
	return s3err.Newf(s3err.InvalidRequest, "Malformed aws-chunked encoding: "+format, args...)
}

func incompleteBody() error {
	return s3err.Newf(s3err.IncompleteBody, "The request body terminated unexpectedly")
}

// Read implements io.Reader.
func (c *ChunkedReader) Read(p []byte) (int, error) {
	for c.err == nil {
		switch c.state {
		case stHeader:
			c.err = c.readChunkHeader()
		case stData:
			if len(p) == 0 {
				return 0, nil
			}
			return c.readData(p)
		case stTrailer:
			c.err = c.readTrailer()
		case stDone:
			c.err = io.EOF
		}
	}
	return 0, c.err
}

// readData returns bytes of the current chunk and, when they complete it,
// checks the chunk's CRLF and signature in the same call (returning n > 0
// with the error, so the failure is not even one Read late).
func (c *ChunkedReader) readData(p []byte) (int, error) {
	if int64(len(p)) > c.remaining {
		p = p[:c.remaining]
	}
	n, err := c.br.Read(p)
	c.remaining -= int64(n)
	c.decoded += int64(n)
	if c.chunkH != nil {
		c.chunkH.Write(p[:n])
	}
	if c.remaining == 0 {
		if err := c.endChunk(); err != nil {
			c.err = err
			return n, err
		}
		c.state = stHeader
		return n, nil
	}
	if err != nil {
		c.err = underlying(err)
		return n, c.err
	}
	return n, nil
}

// underlying maps an early EOF of the wrapped reader to IncompleteBody and
// passes any other read error through.
func underlying(err error) error {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return incompleteBody()
	}
	return err
}

// endChunk consumes the CRLF after a chunk's data and verifies its signature.
func (c *ChunkedReader) endChunk() error {
	for _, want := range []byte{'\r', '\n'} {
		b, err := c.br.ReadByte()
		if err != nil {
			return underlying(err)
		}
		if b != want {
			return malformedChunk("chunk data is not followed by CRLF")
		}
	}
	return c.verifyChunk()
}

// verifyChunk checks the current chunk's signature:
// HMAC(key, "AWS4-HMAC-SHA256-PAYLOAD\n" + timestamp + "\n" + scope + "\n" +
// previous signature + "\n" + sha256("") + "\n" + hex(sha256(data))).
func (c *ChunkedReader) verifyChunk() error {
	if c.mac == nil {
		return nil
	}
	var sum [sha256.Size]byte
	c.chunkH.Sum(sum[:0])
	c.chunkH.Reset()
	var hexSum [2 * sha256.Size]byte
	hex.Encode(hexSum[:], sum[:])
	c.mac.Reset()
	c.mac.Write(c.prefix)
	c.mac.Write(c.prevSig)
	c.mac.Write(emptyHashLine)
	c.mac.Write(hexSum[:])
	return c.checkMAC("chunk")
}

// checkMAC compares the HMAC just written with the claimed signature and
// advances the chain.
func (c *ChunkedReader) checkMAC(what string) error {
	var buf [sha256.Size]byte
	mac := c.mac.Sum(buf[:0])
	if !hmac.Equal(mac, c.sig) {
		return s3err.Newf(s3err.SignatureDoesNotMatch, "The %s signature we calculated does not match the signature you provided.", what)
	}
	c.prevSig = hex.AppendEncode(c.prevSig[:0], mac)
	return nil
}

var emptyHashLine = []byte("\n" + emptySHA256 + "\n")

func writeStrings(w io.Writer, ss ...string) {
	for _, s := range ss {
		io.WriteString(w, s)
	}
}

// readLine reads one CRLF-terminated line (without the CRLF); with
// bareLF a lone LF also ends a line. A line longer than maxLineLength is
// malformed; io.EOF is returned only at a clean line boundary.
func (c *ChunkedReader) readLine(bareLF bool) ([]byte, error) {
	line, err := c.br.ReadSlice('\n')
	switch {
	case err == bufio.ErrBufferFull:
		return nil, malformedChunk("line too long")
	case err == io.EOF && len(line) == 0:
		return nil, io.EOF
	case err != nil:
		return nil, underlying(err)
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		return line[:n-1], nil
	}
	if !bareLF {
		return nil, malformedChunk("line not terminated by CRLF")
	}
	return line, nil
}

// readChunkHeader parses "<hex size>[;chunk-signature=<64 hex>]".
func (c *ChunkedReader) readChunkHeader() error {
	line, err := c.readLine(false)
	if err == io.EOF {
		return incompleteBody()
	}
	if err != nil {
		return err
	}
	sizeField, ext, hasExt := strings.Cut(string(line), ";")
	size, ok := parseHexSize(sizeField)
	if !ok {
		return malformedChunk("invalid chunk size %q", sizeField)
	}
	if c.mac != nil {
		sig, ok := strings.CutPrefix(ext, "chunk-signature=")
		if !hasExt || !ok || !isHex64(sig) {
			return malformedChunk("chunk header without a valid chunk-signature")
		}
		c.sig, _ = hex.AppendDecode(c.sig[:0], []byte(sig))
	}
	if d := c.opt.DecodedLength; d >= 0 && size > d-c.decoded {
		return s3err.Newf(s3err.IncompleteBody, "The decoded body is longer than x-amz-decoded-content-length")
	}
	if size > 0 {
		c.remaining = size
		c.state = stData
		return nil
	}
	// The final, empty chunk: its signature covers the empty data.
	if err := c.verifyChunk(); err != nil {
		return err
	}
	if d := c.opt.DecodedLength; d >= 0 && c.decoded != d {
		return s3err.Newf(s3err.IncompleteBody, "The decoded body is shorter than x-amz-decoded-content-length")
	}
	c.state = stTrailer
	return nil
}

// parseHexSize parses a chunk size: 1–16 hex digits, nothing else.
func parseHexSize(s string) (int64, bool) {
	if s == "" || len(s) > 16 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if !isHexDigit(s[i]) {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 16, 64)
	if err != nil || n > maxChunkSize {
		return 0, false
	}
	return int64(n), true
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// readTrailer reads what follows the final chunk: without Trailer, just the
// closing CRLF; with it, "name:value" lines (the last one being
// x-amz-trailer-signature when signed) and an empty line. A body that ends
// right after the final chunk is accepted (a missing trailer), except that
// a signed trailer must carry its signature.
//
// AWS ends every trailer line with CRLF, but minio-go (used by mc and many
// Go programs) ends the trailer headers with a bare LF and, when signed,
// puts an empty line before x-amz-trailer-signature; both are accepted. The
// signature covers the parsed "name:value\n" lines, so the leniency does not
// weaken it.
func (c *ChunkedReader) readTrailer() error {
	type field struct{ name, value string }
	var fields []field
	var sig string
	haveSig := false
	signed := c.mac != nil && c.opt.Trailer
	total := 0
	for {
		line, err := c.readLine(c.opt.Trailer)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if total += len(line) + 2; total > maxTrailerSize {
			return malformedChunk("trailer larger than %d bytes", maxTrailerSize)
		}
		if len(line) == 0 {
			if signed && !haveSig && len(fields) > 0 {
				continue
			}
			break
		}
		if !c.opt.Trailer {
			return malformedChunk("unexpected data after the final chunk")
		}
		name, value, ok := strings.Cut(string(line), ":")
		name = strings.ToLower(strings.TrimSpace(name))
		if !ok || name == "" || !isLowerToken(name) {
			return malformedChunk("malformed trailer line")
		}
		value = strings.Trim(value, " \t")
		if haveSig {
			return malformedChunk("x-amz-trailer-signature must be the last trailer")
		}
		if name == "x-amz-trailer-signature" {
			sig, haveSig = value, true
			continue
		}
		fields = append(fields, field{name, value})
	}
	if signed {
		if !haveSig || !isHex64(sig) {
			return s3err.Newf(s3err.SignatureDoesNotMatch, "The trailer has no valid x-amz-trailer-signature.")
		}
		c.sig, _ = hex.AppendDecode(c.sig[:0], []byte(sig))
		// HMAC(key, "AWS4-HMAC-SHA256-TRAILER\n" + timestamp + "\n" + scope +
		// "\n" + previous signature + "\n" + hex(sha256(canonical trailer)))
		// where the canonical trailer is "name:value\n" per header, sorted.
		slices.SortStableFunc(fields, func(a, b field) int { return strings.Compare(a.name, b.name) })
		h := sha256.New()
		for _, f := range fields {
			writeStrings(h, f.name, ":", f.value, "\n")
		}
		s := c.opt.Signing
		c.mac.Reset()
		writeStrings(c.mac, trailerAlgorithm, "\n", s.Timestamp, "\n", s.Scope, "\n")
		c.mac.Write(c.prevSig)
		writeStrings(c.mac, "\n", hex.EncodeToString(h.Sum(nil)))
		if err := c.checkMAC("trailer"); err != nil {
			return err
		}
	}
	if t := c.opt.TrailerHeader; t != nil {
		for _, f := range fields {
			t.Add(http.CanonicalHeaderKey(f.name), f.value)
		}
	}
	c.state = stDone
	return nil
}
