package engine

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/tessera-s3/tessera/internal/blob"
	"github.com/tessera-s3/tessera/internal/checksum"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// ChecksumInput is a checksum the client sent with a body: in a header
// (Value) or in the aws-chunked trailer (Trailer, read after the body ends).
type ChecksumInput struct {
	Algorithm checksum.Algorithm
	Value     string
	Trailer   func() string
}

// BodyInput is a request body and what the client claims about it.
type BodyInput struct {
	Body       io.Reader
	Size       int64  // -1 when unknown (chunked transfer)
	ContentMD5 string // base64, as sent; "" when absent
	Checksum   *ChecksumInput
}

// integrity reports whether the request carried Content-MD5 or a checksum
// of the body, which S3 requires of writes with Object Lock parameters.
func (b BodyInput) integrity() bool { return b.ContentMD5 != "" || b.Checksum != nil }

// staged is a body written to a temporary blob and hashed, not yet durable.
type staged struct {
	w      *blob.Writer
	hasher *checksum.Hasher
	size   int64    // plaintext bytes
	bk     *blobKey // nil: the blob holds the plaintext
}

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// stage is the write pipeline: it streams the body into a new blob while
// hashing the plaintext (MD5, CRC64NVME and the client's algorithm, one
// pass), encrypts it on the way to disk when bk is set, and verifies every
// digest the client sent. On error nothing is kept. The caller must commit
// or abort the result.
func (e *Engine) stage(ctx context.Context, in BodyInput, limit int64, bk *blobKey) (*staged, error) {
	if in.Size > limit {
		return nil, s3err.New(s3err.EntityTooLarge).
			With("ProposedSize", fmt.Sprint(in.Size)).With("MaxSizeAllowed", fmt.Sprint(limit))
	}
	var wantMD5 []byte
	if in.ContentMD5 != "" {
		b, err := base64.StdEncoding.DecodeString(in.ContentMD5)
		if err != nil || len(b) != 16 {
			return nil, s3err.New(s3err.InvalidDigest)
		}
		wantMD5 = b
	}
	var extra []checksum.Algorithm
	if in.Checksum != nil {
		extra = append(extra, in.Checksum.Algorithm)
		if in.Checksum.Value != "" && !in.Checksum.Algorithm.Valid(in.Checksum.Value) {
			return nil, s3err.Newf(s3err.InvalidRequest, "Value for %s header is invalid.", in.Checksum.Algorithm.Header())
		}
	}
	w, err := e.blobs.Create()
	if err != nil {
		return nil, err
	}
	st := &staged{w: w, hasher: checksum.NewHasher(extra...), bk: bk}
	ok := false
	defer func() {
		if !ok {
			w.Abort()
		}
	}()
	var sink io.Writer = w
	var enc io.WriteCloser
	if bk != nil {
		if enc, err = bk.writer(w); err != nil {
			return nil, err
		}
		sink = enc
	}
	bufp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bufp)
	// Read one byte past the limit so an oversized chunked body is caught.
	n, err := io.CopyBuffer(io.MultiWriter(st.hasher, sink), io.LimitReader(readerOnly{in.Body}, limit+1), *bufp)
	if err == nil && enc != nil {
		err = enc.Close() // the final package
	}
	if err != nil {
		if _, isS3 := s3err.As(err); isS3 {
			return nil, err
		}
		// A body that ended early is IncompleteBody even when the request's
		// context is cancelled too: net/http cancels it on the connection's
		// EOF, which is also how a client that half-closed after a short
		// body (and waits for the answer) looks.
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, s3err.New(s3err.IncompleteBody)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("engine: copying body to its blob: %w", err)
	}
	if n > limit {
		return nil, s3err.New(s3err.EntityTooLarge).With("MaxSizeAllowed", fmt.Sprint(limit))
	}
	if in.Size >= 0 && n != in.Size {
		return nil, s3err.New(s3err.IncompleteBody)
	}
	st.size = n
	if wantMD5 != nil && subtle.ConstantTimeCompare(wantMD5, st.hasher.Sum(checksum.MD5)) != 1 {
		return nil, s3err.New(s3err.BadDigest)
	}
	if c := in.Checksum; c != nil {
		want := c.Value
		if want == "" && c.Trailer != nil {
			want = c.Trailer()
			if want != "" && !c.Algorithm.Valid(want) {
				return nil, s3err.Newf(s3err.InvalidRequest, "Value for %s trailing header is invalid.", c.Algorithm.Header())
			}
		}
		// A declared trailer that never came is accepted, as AWS does.
		if want != "" && want != st.hasher.Base64(c.Algorithm) {
			return nil, s3err.Newf(s3err.BadDigest, "The %s you specified did not match the calculated checksum.", strings.ToUpper(string(c.Algorithm)))
		}
	}
	ok = true
	return st, nil
}

// commit makes the staged blob durable and returns its ID.
func (s *staged) commit() (string, error) { return s.w.Commit() }

// crypt is the staged blob's encryption record (nil for plaintext).
func (s *staged) crypt() []byte {
	if s.bk == nil {
		return nil
	}
	return s.bk.record
}

// abort discards the staged blob; a no-op after commit.
func (s *staged) abort() { s.w.Abort() }

// checksums returns what S3 stores for a body: CRC64NVME always, plus the
// algorithm the client used.
func (s *staged) checksums(c *ChecksumInput) Checksums {
	out := Checksums{string(checksum.CRC64NVME): s.hasher.Base64(checksum.CRC64NVME)}
	if c != nil {
		out[string(c.Algorithm)] = s.hasher.Base64(c.Algorithm)
	}
	return out
}

// readerOnly hides WriterTo/ReaderFrom so io.CopyBuffer uses our buffer.
type readerOnly struct{ io.Reader }
