package sse

import (
	"bytes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
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
	layers []cipher.AEAD // innermost first
	p      Params
	buf    []byte // the pending package's plaintext; cap holds every layer's tag so it seals in place
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
	return newWriter(w, p, dataKey)
}

// NewDualWriter is NewWriter with two layers (the dual-layer format, see
// the package documentation): every package is sealed under innerKey, and
// the result sealed again under outerKey. The keys must be KeySize bytes
// and must differ: two layers under one key would be one layer.
func NewDualWriter(w io.Writer, innerKey, outerKey []byte, p Params) (io.WriteCloser, error) {
	if bytes.Equal(innerKey, outerKey) {
		return nil, ErrSameKeys
	}
	return newWriter(w, p, innerKey, outerKey)
}

func newWriter(w io.Writer, p Params, keys ...[]byte) (*writer, error) {
	layers, err := newLayers(keys)
	if err != nil {
		return nil, err
	}
	return &writer{w: w, layers: layers, p: p, buf: make([]byte, 0, PackageSize+len(layers)*TagSize)}, nil
}

// newLayers returns one AES-256-GCM per key, in the order given.
func newLayers(keys [][]byte) ([]cipher.AEAD, error) {
	layers := make([]cipher.AEAD, len(keys))
	for i, k := range keys {
		a, err := newGCM(k)
		if err != nil {
			return nil, err
		}
		layers[i] = a
	}
	return layers, nil
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

// seal encrypts the pending package in place, layer by layer from the
// innermost, and writes it out.
func (w *writer) seal(final bool) error {
	ad := adMore
	if final {
		ad = adFinal
	}
	nonce := packageNonce(w.p, w.index)
	out := w.buf
	for _, a := range w.layers {
		out = a.Seal(out[:0], nonce[:], out, ad)
	}
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

// readBatch is the most packages one ReadAt fetches: a whole-object GET
// makes one filesystem call per 256 KiB instead of one per package (the
// calls showed in GET profiles), and a range still reads only the
// packages that cover it.
const readBatch = 4

// maxLayers is the most layers a blob has (the dual-layer format).
const maxLayers = 2

// batchBuffers holds the readers' batch buffers: readBatch packages of the
// widest stride, plus the byte that checks for data after the blob.
var batchBuffers = sync.Pool{New: func() any {
	b := make([]byte, readBatch*(PackageSize+maxLayers*TagSize)+1)
	return &b
}}

// Reader decrypts the packages covering a plaintext range [pos, end).
type Reader struct {
	r         io.ReaderAt
	layers    []cipher.AEAD // innermost first
	p         Params
	plainSize int64
	stride    int64 // on-disk size of a full package
	pos, end  int64 // plaintext offsets still to hand out
	// bufp is the batch buffer (pooled; nil when none is held): the
	// ciphertext of packages [first, first+have) at multiples of stride,
	// each decrypted in place when the range reaches it. badAt is the
	// package at which the last fetch found damage (-1: none), badErr what:
	// the packages before it are still handed out.
	bufp        *[]byte
	first, have int64
	badAt       int64
	badErr      error
	plain       []byte // the decrypted package holding pos
	plainOff    int64  // plaintext offset of plain[0]
	err         error  // sticky
}

// NewReader returns the plaintext bytes [offset, offset+length) of a blob of
// plainSize plaintext bytes stored encrypted in r, decrypting only the
// packages that cover the range (it reads them with ReadAt, up to readBatch
// packages per call). It never returns unauthenticated bytes: a package is
// decrypted and authenticated whole before any of its bytes are handed out.
//
// Errors from Read and WriteTo: any authentication failure, short blob,
// moved or missing package yields an error wrapping ErrTampered, after the
// authentic bytes of the packages before it. When the range covers the
// blob's last package the reader also asks r for one byte past the blob's
// encrypted size and reports ErrTampered if it exists, so extra bytes
// appended to the blob are caught (a range that ends before the last
// package neither reads nor checks them). An error from r other than io.EOF
// or io.ErrUnexpectedEOF is an I/O failure, not tampering, and is returned
// wrapped as it is. Errors are sticky.
//
// A zero-length range reads nothing and returns io.EOF at once. dataKey must
// be KeySize bytes; plainSize outside [0, MaxPlainSize], or offset/length
// outside [0, plainSize], is an error at construction. Close (or reading
// to the end) returns the reader's buffer for reuse; it does not close r.
func NewReader(r io.ReaderAt, dataKey []byte, p Params, plainSize, offset, length int64) (*Reader, error) {
	return newReader(r, p, plainSize, offset, length, dataKey)
}

// NewDualReader is NewReader for the dual-layer format written by
// NewDualWriter with the same two keys: each package is opened under
// outerKey, then under innerKey.
func NewDualReader(r io.ReaderAt, innerKey, outerKey []byte, p Params, plainSize, offset, length int64) (*Reader, error) {
	if bytes.Equal(innerKey, outerKey) {
		return nil, ErrSameKeys
	}
	return newReader(r, p, plainSize, offset, length, innerKey, outerKey)
}

func newReader(r io.ReaderAt, p Params, plainSize, offset, length int64, keys ...[]byte) (*Reader, error) {
	if plainSize < 0 || plainSize > MaxPlainSize {
		return nil, fmt.Errorf("sse: plaintext size %d out of range", plainSize)
	}
	if offset < 0 || length < 0 || offset > plainSize || length > plainSize-offset {
		return nil, fmt.Errorf("sse: range [%d, %d+%d) outside a plaintext of %d bytes", offset, offset, length, plainSize)
	}
	layers, err := newLayers(keys)
	if err != nil {
		return nil, err
	}
	return &Reader{r: r, layers: layers, p: p, plainSize: plainSize, stride: PackageSize + int64(len(layers))*TagSize,
		pos: offset, end: offset + length, badAt: -1}, nil
}

func (r *Reader) Read(b []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.pos >= r.end {
		r.release()
		return 0, io.EOF
	}
	if len(b) == 0 {
		return 0, nil
	}
	from, err := r.current()
	if err != nil {
		return 0, err
	}
	n := copy(b, from)
	r.advance(n)
	return n, nil
}

// WriteTo writes the rest of the range to w straight from the decrypted
// packages, without Read's copy (io.Copy uses it).
func (r *Reader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for r.err == nil && r.pos < r.end {
		from, err := r.current()
		if err != nil {
			return total, err
		}
		n, err := w.Write(from)
		total += int64(n)
		r.advance(n)
		if err != nil {
			return total, err
		}
	}
	r.release()
	return total, r.err
}

// Preload authenticates the range's first package now, without handing
// out a byte: a damaged blob or a wrong key shows before a response starts.
// An empty range preloads nothing.
func (r *Reader) Preload() error {
	if r.err != nil || r.pos >= r.end {
		return r.err
	}
	_, err := r.current()
	return err
}

// Close returns the reader's buffer for reuse; later reads fail.
func (r *Reader) Close() error {
	r.release()
	if r.err == nil {
		r.err = errReaderClosed
	}
	return nil
}

var errReaderClosed = errors.New("sse: reader is closed")

// advance hands out n bytes of the current package.
func (r *Reader) advance(n int) {
	r.pos += int64(n)
	if r.pos >= r.end {
		r.release()
	}
}

// release gives the batch buffer back (r.plain points into it).
func (r *Reader) release() {
	if r.bufp != nil {
		batchBuffers.Put(r.bufp)
		r.bufp, r.plain, r.have = nil, nil, 0
	}
}

// current returns the authenticated plaintext from pos to the end of its
// package or of the range, fetching and decrypting as needed.
func (r *Reader) current() ([]byte, error) {
	if r.plain == nil || r.pos < r.plainOff || r.pos >= r.plainOff+int64(len(r.plain)) {
		if err := r.load(r.pos / PackageSize); err != nil {
			r.err = err
			r.release()
			return nil, err
		}
	}
	from := r.plain[r.pos-r.plainOff:]
	if rest := r.end - r.pos; int64(len(from)) > rest {
		from = from[:rest]
	}
	return from, nil
}

// plainLen is the plaintext length of package i.
func (r *Reader) plainLen(i int64) int64 {
	if i == packageCount(r.plainSize)-1 {
		return r.plainSize - i*PackageSize
	}
	return PackageSize
}

// load makes package i the current one: fetched (with the packages after
// it that the range covers, up to readBatch) unless the last fetch holds
// it, then authenticated and decrypted in place.
func (r *Reader) load(i int64) error {
	if r.bufp == nil || i < r.first || i >= r.first+r.have && i != r.badAt {
		if err := r.fetch(i); err != nil {
			return err
		}
	}
	if i == r.badAt {
		return r.badErr
	}
	encLen := r.plainLen(i) + int64(len(r.layers))*TagSize
	off := (i - r.first) * r.stride
	ct := (*r.bufp)[off : off+encLen]
	ad := adMore
	if i == packageCount(r.plainSize)-1 {
		ad = adFinal
	}
	nonce := packageNonce(r.p, uint64(i))
	for l := len(r.layers) - 1; l >= 0; l-- {
		var err error
		if ct, err = r.layers[l].Open(ct[:0], nonce[:], ct, ad); err != nil {
			return fmt.Errorf("%w: package %d does not authenticate", ErrTampered, i)
		}
	}
	r.plain, r.plainOff = ct, i*PackageSize
	return nil
}

// fetch reads the ciphertext of packages [i, i+k) in one ReadAt, k the
// packages the range still covers, at most readBatch.
func (r *Reader) fetch(i int64) error {
	if r.bufp == nil {
		r.bufp = batchBuffers.Get().(*[]byte)
	}
	r.plain, r.have, r.badAt, r.badErr = nil, 0, -1, nil
	last := packageCount(r.plainSize) - 1
	k := min(readBatch, (r.end-1)/PackageSize-i+1)
	want := k * r.stride
	if i+k-1 == last {
		// The blob's end, and one byte more to see whether anything follows.
		want = (k-1)*r.stride + r.plainLen(last) + int64(len(r.layers))*TagSize + 1
	}
	n, err := r.r.ReadAt((*r.bufp)[:want], i*r.stride)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return fmt.Errorf("sse: read package %d: %w", i, err)
	}
	// Hand out the whole packages read; the first one missing or
	// followed by data is damage found when the range reaches it.
	r.first = i
	for r.have < k {
		j := i + r.have
		encLen := r.plainLen(j) + int64(len(r.layers))*TagSize
		if got := int64(n) - r.have*r.stride; got < encLen {
			r.badAt = j
			r.badErr = fmt.Errorf("%w: package %d is short (%d of %d bytes)", ErrTampered, j, max(got, 0), encLen)
			break
		}
		if j == last && int64(n) == want {
			r.badAt, r.badErr = j, fmt.Errorf("%w: data after the final package", ErrTampered)
			break
		}
		r.have++
	}
	return nil
}
