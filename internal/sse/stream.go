package sse

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Additional data of a package: its final flag.
var (
	adMore  = []byte{0}
	adFinal = []byte{1}
)

// packageNonce is the GCM nonce of package i: the blob's prefix, then i.
func packageNonce(p Params, i uint64) [12]byte {
	var n [12]byte
	copy(n[:4], p.NoncePrefix[:])
	binary.BigEndian.PutUint64(n[4:], i)
	return n
}

// writer seals plaintext into packages as it arrives.
type writer struct {
	w      io.Writer
	aead   cipher.AEAD
	p      Params
	buf    []byte // the pending package's plaintext; cap packageStride so it seals in place
	index  uint64 // index of the pending package
	total  int64  // plaintext bytes accepted so far
	err    error  // sticky: the first write error, or errClosed
	closed bool
}

var errClosed = errors.New("sse: writer is closed")

// NewWriter encrypts everything written to it into w as fixed-size packages:
// package i (0-based) is AES-256-GCM(dataKey, nonce = NoncePrefix || uint64 BE i,
// plaintext chunk, additional data = one byte: 1 for the final package, 0 otherwise).
// Close writes the final (possibly short, or for an empty plaintext empty)
// package; it must be called exactly once (a second call returns an error);
// it does not close w. Write never buffers more than one package: a full
// package is held until the next byte shows it is not the final one. After
// any error from w, every later Write and Close returns that error. dataKey
// must be KeySize bytes. The writer is not safe for concurrent use.
func NewWriter(w io.Writer, dataKey []byte, p Params) (io.WriteCloser, error) {
	aead, err := newGCM(dataKey)
	if err != nil {
		return nil, err
	}
	return &writer{w: w, aead: aead, p: p, buf: make([]byte, 0, packageStride)}, nil
}

// Write accepts plaintext; it returns len(b) unless w failed.
func (w *writer) Write(b []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if int64(len(b)) > MaxPlainSize-w.total {
		return 0, fmt.Errorf("sse: plaintext larger than %d bytes", MaxPlainSize)
	}
	n := 0
	for len(b) > 0 {
		if len(w.buf) == PackageSize {
			// More data follows, so the held package is not the last.
			if err := w.seal(false); err != nil {
				return n, err
			}
		}
		c := copy(w.buf[len(w.buf):PackageSize], b)
		w.buf = w.buf[:len(w.buf)+c]
		b = b[c:]
		n += c
		w.total += int64(c)
	}
	return n, nil
}

// Close seals the pending bytes as the final package.
func (w *writer) Close() error {
	if w.closed {
		return errClosed
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	if err := w.seal(true); err != nil {
		return err
	}
	w.err = errClosed
	return nil
}

// seal encrypts the pending package in place and writes it out.
func (w *writer) seal(final bool) error {
	ad := adMore
	if final {
		ad = adFinal
	}
	nonce := packageNonce(w.p, w.index)
	out := w.aead.Seal(w.buf[:0], nonce[:], w.buf, ad)
	n, err := w.w.Write(out)
	if err == nil && n != len(out) {
		err = io.ErrShortWrite
	}
	if err != nil {
		w.err = err
		return err
	}
	w.index++
	w.buf = w.buf[:0]
	return nil
}

// reader decrypts the packages covering [pos, end) one at a time.
type reader struct {
	r         io.ReaderAt
	aead      cipher.AEAD
	p         Params
	plainSize int64
	pos, end  int64  // plaintext offsets still to hand out
	buf       []byte // scratch: one package's ciphertext (+1 byte, see load)
	plain     []byte // the decrypted package holding pos
	plainOff  int64  // plaintext offset of plain[0]
	err       error  // sticky
}

// NewReader returns the plaintext bytes [offset, offset+length) of a blob of
// plainSize plaintext bytes stored encrypted in r, decrypting only the
// packages that cover the range (it reads them with ReadAt, one package per
// call). It never returns unauthenticated bytes: a package is decrypted and
// authenticated whole before any of its bytes are handed out.
//
// Errors from Read: any authentication failure, short blob, moved or
// missing package yields an error wrapping ErrTampered. When the range
// covers the blob's last package the reader also asks r for one byte past
// EncryptedSize(plainSize) and reports ErrTampered if it exists, so extra
// bytes appended to the blob are caught (a range that ends before the last
// package neither reads nor checks them). An error from r other than io.EOF
// or io.ErrUnexpectedEOF is an I/O failure, not tampering, and is returned
// wrapped as it is. Errors are sticky.
//
// A zero-length range reads nothing and returns io.EOF at once. dataKey must
// be KeySize bytes; plainSize outside [0, MaxPlainSize], or offset/length
// outside [0, plainSize], is an error at construction.
func NewReader(r io.ReaderAt, dataKey []byte, p Params, plainSize, offset, length int64) (io.Reader, error) {
	if plainSize < 0 || plainSize > MaxPlainSize {
		return nil, fmt.Errorf("sse: plaintext size %d out of range", plainSize)
	}
	if offset < 0 || length < 0 || offset > plainSize || length > plainSize-offset {
		return nil, fmt.Errorf("sse: range [%d, %d+%d) outside a plaintext of %d bytes", offset, offset, length, plainSize)
	}
	aead, err := newGCM(dataKey)
	if err != nil {
		return nil, err
	}
	return &reader{r: r, aead: aead, p: p, plainSize: plainSize, pos: offset, end: offset + length}, nil
}

func (r *reader) Read(b []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.pos >= r.end {
		return 0, io.EOF
	}
	if len(b) == 0 {
		return 0, nil
	}
	if r.pos < r.plainOff || r.pos >= r.plainOff+int64(len(r.plain)) {
		if err := r.load(r.pos / PackageSize); err != nil {
			r.err = err
			r.plain = nil
			return 0, err
		}
	}
	from := r.plain[r.pos-r.plainOff:]
	if rest := r.end - r.pos; int64(len(from)) > rest {
		from = from[:rest]
	}
	n := copy(b, from)
	r.pos += int64(n)
	return n, nil
}

// load reads, authenticates and decrypts package i into r.plain.
func (r *reader) load(i int64) error {
	if r.buf == nil {
		r.buf = make([]byte, packageStride+1)
	}
	last := packageCount(r.plainSize) - 1
	plainLen := int64(PackageSize)
	if i == last {
		plainLen = r.plainSize - i*PackageSize
	}
	encLen := int(plainLen) + TagSize
	want := encLen
	if i == last {
		want++ // one byte more, to see whether anything follows the blob
	}
	n, err := r.r.ReadAt(r.buf[:want], i*packageStride)
	switch {
	case n == want && i == last:
		return fmt.Errorf("%w: data after the final package", ErrTampered)
	case n >= encLen && (err == nil || err == io.EOF):
		// The whole package is here (and, for the last one, nothing after it).
	case err == nil || err == io.EOF || err == io.ErrUnexpectedEOF:
		return fmt.Errorf("%w: package %d is short (%d of %d bytes)", ErrTampered, i, n, encLen)
	default:
		return fmt.Errorf("sse: read package %d: %w", i, err)
	}
	ad := adMore
	if i == last {
		ad = adFinal
	}
	nonce := packageNonce(r.p, uint64(i))
	plain, err := r.aead.Open(r.buf[:0], nonce[:], r.buf[:encLen], ad)
	if err != nil {
		return fmt.Errorf("%w: package %d does not authenticate", ErrTampered, i)
	}
	r.plain = plain
	r.plainOff = i * PackageSize
	return nil
}
