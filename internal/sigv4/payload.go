package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"strconv"

	"github.com/tessera-s3/tessera/internal/s3err"
)

// The x-amz-content-sha256 values other than a hex SHA-256.
const (
	unsignedPayload          = "UNSIGNED-PAYLOAD"
	streamingSigned          = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingSignedTrailer   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	streamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
)

// checkContentSHA256 validates an x-amz-content-sha256 value.
func checkContentSHA256(v string) error {
	switch v {
	case unsignedPayload, streamingSigned, streamingSignedTrailer, streamingUnsignedTrailer:
		return nil
	}
	if isHex64(v) {
		return nil
	}
	return s3err.InvalidArgumentf("x-amz-content-sha256", v,
		"x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, or a valid sha256 value.")
}

// attachBody sets res.Body (and the length/trailer fields) for the payload
// mode named by x-amz-content-sha256:
//
//   - "" or UNSIGNED-PAYLOAD: the body as is;
//   - a hex SHA-256: the body, hashed as it streams, failing at EOF with
//     XAmzContentSHA256Mismatch;
//   - STREAMING-*: the aws-chunked decoder, verifying chunk signatures when
//     seed is given. Signed streaming needs seed (header auth), because the
//     chunk signature chain starts at the header signature.
//
// The mode is honoured for every kind of authentication, anonymous too:
// checking a hash the client asked for is free, and an aws-chunked body must
// be decoded whoever sent it.
func (v *Verifier) attachBody(r *http.Request, res *Result, mode string, seed *ChunkSigning) error {
	body := r.Body
	if body == nil {
		body = http.NoBody
	}
	res.Body = body
	res.DecodedLength = -1
	if r.ContentLength > 0 || r.ContentLength == 0 && body == http.NoBody {
		res.DecodedLength = r.ContentLength
	}
	switch mode {
	case "", unsignedPayload:
		return nil
	case streamingSigned, streamingSignedTrailer, streamingUnsignedTrailer:
	default:
		if err := checkContentSHA256(mode); err != nil {
			return err
		}
		want, _ := hex.DecodeString(mode)
		res.Body = &sha256Reader{r: body, h: sha256.New(), want: want}
		return nil
	}

	opts := ChunkedOptions{DecodedLength: -1, Trailer: mode != streamingSigned}
	if mode != streamingUnsignedTrailer {
		if seed == nil {
			return s3err.Newf(s3err.InvalidRequest, "x-amz-content-sha256 %s is only supported with AWS4-HMAC-SHA256 Authorization header authentication", mode)
		}
		opts.Signing = seed
	}
	if h := r.Header.Get("X-Amz-Decoded-Content-Length"); h != "" {
		n, err := strconv.ParseInt(h, 10, 64)
		if err != nil || n < 0 {
			return s3err.InvalidArgumentf("x-amz-decoded-content-length", h, "x-amz-decoded-content-length must be a non-negative integer")
		}
		opts.DecodedLength = n
	}
	res.Streaming = true
	res.DecodedLength = opts.DecodedLength
	res.Trailer = http.Header{}
	opts.TrailerHeader = res.Trailer
	res.Body = readCloser{NewChunkedReader(body, opts), body}
	return nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// sha256Reader passes a body through while hashing it and, at EOF, returns
// XAmzContentSHA256Mismatch instead of io.EOF if the hash is not the one
// the client declared. The failure is sticky.
type sha256Reader struct {
	r    io.ReadCloser
	h    hash.Hash
	want []byte
	err  error
}

func (s *sha256Reader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.r.Read(p)
	s.h.Write(p[:n])
	if err == io.EOF {
		if sum := s.h.Sum(nil); !bytes.Equal(sum, s.want) {
			err = s3err.New(s3err.XAmzContentSHA256Mismatch).
				With("ClientComputedContentSHA256", hex.EncodeToString(s.want)).
				With("S3ComputedContentSHA256", hex.EncodeToString(sum))
		}
	}
	if err != nil {
		s.err = err
	}
	return n, err
}

func (s *sha256Reader) Close() error { return s.r.Close() }

// Authenticated returns the Result of a request authenticated by other
// means than a signature (a console session, internal/session): the body
// is handled as for an unsigned request, so an x-amz-content-sha256 value
// is still checked, and signed streaming is refused.
func (v *Verifier) Authenticated(r *http.Request, cred Credential) (*Result, error) {
	res := &Result{Credential: cred}
	if err := v.attachBody(r, res, r.Header.Get(headerContentSHA256), nil); err != nil {
		return nil, err
	}
	return res, nil
}
