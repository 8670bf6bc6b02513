package sse

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

// Fixed test material. The known answers below were computed independently
// with Python's `cryptography` package (AESGCM, HKDF) from the format as
// documented, not by this package.
var (
	testKey    = seq(0, 32)
	testParams = Params{Salt: [32]byte(seq(32, 32)), NoncePrefix: [4]byte{1, 2, 3, 4}}
)

// seq returns n bytes counting up from start.
func seq(start, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(start + i)
	}
	return b
}

// pattern returns n bytes of a non-repeating-per-package pattern, so a moved
// package or a wrong offset shows up as different bytes.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

// encrypt writes plain through NewWriter in chunks of the given size.
func encrypt(t testing.TB, key []byte, p Params, plain []byte, chunk int) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := NewWriter(&out, key, p)
	if err != nil {
		t.Fatal(err)
	}
	for rest := plain; len(rest) > 0; {
		c := min(chunk, len(rest))
		n, err := w.Write(rest[:c])
		if err != nil || n != c {
			t.Fatalf("Write(%d bytes) = %d, %v", c, n, err)
		}
		rest = rest[c:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// readRange reads [off, off+n) of a blob of plainSize bytes held in ct.
func readRange(ct []byte, key []byte, p Params, plainSize, off, n int64) ([]byte, error) {
	r, err := NewReader(bytes.NewReader(ct), key, p, plainSize, off, n)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

func TestEncryptedSize(t *testing.T) {
	for _, c := range []struct{ n, want int64 }{
		{0, TagSize}, // one empty final package
		{1, 1 + TagSize},
		{PackageSize - 1, PackageSize - 1 + TagSize},
		{PackageSize, PackageSize + TagSize}, // the full package is the final one
		{PackageSize + 1, PackageSize + 1 + 2*TagSize},
		{3 * PackageSize, 3*PackageSize + 3*TagSize},
		{MaxPlainSize, MaxPlainSize + MaxPlainSize/PackageSize*TagSize},
		{-1, -1},
		{MaxPlainSize + 1, -1},
	} {
		if got := EncryptedSize(c.n); got != c.want {
			t.Errorf("EncryptedSize(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{0, 1, PackageSize - 1, PackageSize, PackageSize + 1, 3 * PackageSize}
	for range 4 {
		sizes = append(sizes, rng.IntN(5*PackageSize))
	}
	for _, size := range sizes {
		plain := pattern(size)
		for _, chunk := range []int{1, 7, 100 << 10} {
			t.Run(fmt.Sprintf("size=%d/chunk=%d", size, chunk), func(t *testing.T) {
				ct := encrypt(t, testKey, testParams, plain, chunk)
				if int64(len(ct)) != EncryptedSize(int64(size)) {
					t.Fatalf("ciphertext is %d bytes, EncryptedSize says %d", len(ct), EncryptedSize(int64(size)))
				}
				got, err := readRange(ct, testKey, testParams, int64(size), 0, int64(size))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, plain) {
					t.Fatal("round trip changed the plaintext")
				}
			})
		}
	}
}

// TestFormat rebuilds the ciphertext from the documented format with
// crypto/cipher directly, so the writer cannot drift from the doc comment.
func TestFormat(t *testing.T) {
	aead, err := newGCM(testKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{0, 5, PackageSize, 2*PackageSize + 3} {
		plain := pattern(size)
		var want []byte
		n := int(packageCount(int64(size)))
		for i := range n {
			chunk := plain[i*PackageSize : min((i+1)*PackageSize, size)]
			nonce := append(append([]byte{}, testParams.NoncePrefix[:]...), 0, 0, 0, 0, 0, 0, 0, byte(i))
			final := byte(0)
			if i == n-1 {
				final = 1
			}
			want = aead.Seal(want, nonce, chunk, []byte{final})
		}
		if got := encrypt(t, testKey, testParams, plain, 1000); !bytes.Equal(got, want) {
			t.Errorf("size %d: writer output differs from the documented format", size)
		}
	}
}

// TestKnownAnswer pins the on-disk format: these bytes must never change
// without a new format version. Values from Python's cryptography AESGCM.
func TestKnownAnswer(t *testing.T) {
	for _, c := range []struct {
		name  string
		plain []byte
		hex   string // full ciphertext, or its SHA-256 when long
	}{
		{"empty", nil, "f3960579f51d3c3777be8ffd06a7be9d"},
		{"short", []byte("tessera sse-format known answer"),
			"5530ae2e72e319518894f296d6afc503916b7a9abece7e3d6890572c15f7b659fc33eda1bc9718c6123b581641ac7a"},
		{"two packages exactly", pattern(2 * PackageSize),
			"sha256:83cb57a18d8a6b83a7c7fff6d937292deafbdc0a1bff3bfa2e8fc584e3f6ad30"},
		{"three packages", pattern(2*PackageSize + 17),
			"sha256:a90d4f1b6363ed4e5b2bc4869cf7329279a817fbcbb816d52818ba84d46876d4"},
	} {
		ct := encrypt(t, testKey, testParams, c.plain, 4096)
		got := hex.EncodeToString(ct)
		if len(c.hex) > 7 && c.hex[:7] == "sha256:" {
			sum := sha256.Sum256(ct)
			got = "sha256:" + hex.EncodeToString(sum[:])
		}
		if got != c.hex {
			t.Errorf("%s: ciphertext\n got %s\nwant %s", c.name, got, c.hex)
		}
	}
}

func TestRangeReads(t *testing.T) {
	const size = 3*PackageSize + 100
	plain := pattern(size)
	ct := encrypt(t, testKey, testParams, plain, 100<<10)
	points := []int64{0, 1, PackageSize - 1, PackageSize, PackageSize + 1, 2*PackageSize - 1,
		2 * PackageSize, 3*PackageSize - 1, 3 * PackageSize, size - 1, size}
	lengths := []int64{0, 1, 2, PackageSize - 1, PackageSize, PackageSize + 1, 2 * PackageSize}
	for _, off := range points {
		ls := append(append([]int64{}, lengths...), size-off) // also "to the end"
		for _, n := range ls {
			if off+n > size {
				continue
			}
			got, err := readRange(ct, testKey, testParams, size, off, n)
			if err != nil {
				t.Fatalf("[%d,+%d): %v", off, n, err)
			}
			if !bytes.Equal(got, plain[off:off+n]) {
				t.Fatalf("[%d,+%d): wrong bytes", off, n)
			}
		}
	}
	// iotest.TestReader checks Read's contract (small buffers, EOF) too.
	for _, rg := range [][2]int64{{0, size}, {PackageSize - 3, 7}, {size - 1, 1}, {5, 0}} {
		r, err := NewReader(bytes.NewReader(ct), testKey, testParams, size, rg[0], rg[1])
		if err != nil {
			t.Fatal(err)
		}
		if err := iotest.TestReader(r, plain[rg[0]:rg[0]+rg[1]]); err != nil {
			t.Errorf("range %v: %v", rg, err)
		}
	}
}

func TestReaderBadRange(t *testing.T) {
	ct := encrypt(t, testKey, testParams, pattern(10), 10)
	for _, c := range []struct{ plainSize, off, n int64 }{
		{10, -1, 1}, {10, 0, -1}, {10, 11, 0}, {10, 5, 6}, {10, 1, 1<<63 - 1},
		{-1, 0, 0}, {MaxPlainSize + 1, 0, 0},
	} {
		if _, err := NewReader(bytes.NewReader(ct), testKey, testParams, c.plainSize, c.off, c.n); err == nil {
			t.Errorf("NewReader(size %d, [%d,+%d)) accepted", c.plainSize, c.off, c.n)
		}
	}
	if _, err := NewReader(bytes.NewReader(ct), testKey[:16], testParams, 10, 0, 10); !errors.Is(err, ErrKeySize) {
		t.Errorf("16-byte key: %v, want ErrKeySize", err)
	}
}

// countingReaderAt counts the bytes asked for through ReadAt.
type countingReaderAt struct {
	r     io.ReaderAt
	asked int64
	calls int
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	c.asked += int64(len(p))
	c.calls++
	return c.r.ReadAt(p, off)
}

func TestRangeReadsOnlyCoveringPackages(t *testing.T) {
	const size = 10 << 20
	plain := pattern(size)
	ct := encrypt(t, testKey, testParams, plain, 1<<20)
	const stride = PackageSize + TagSize
	mid := int64(size/2 + 100) // inside one package, away from its ends
	for _, c := range []struct {
		name      string
		off, n    int64
		wantAsked int64
	}{
		{"inside one package", mid, 1000, stride},
		{"across one boundary", 80*PackageSize - 10, 20, 2 * stride},
		{"one whole package", 80 * PackageSize, PackageSize, stride},
		// The last package is read with one byte more, to catch appended data.
		{"last byte", size - 1, 1, stride + 1},
		{"empty range", mid, 0, 0},
	} {
		cr := &countingReaderAt{r: bytes.NewReader(ct)}
		r, err := NewReader(cr, testKey, testParams, size, c.off, c.n)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, plain[c.off:c.off+c.n]) {
			t.Fatalf("%s: wrong bytes or %v", c.name, err)
		}
		if cr.asked != c.wantAsked {
			t.Errorf("%s: read %d ciphertext bytes in %d calls, want %d", c.name, cr.asked, cr.calls, c.wantAsked)
		}
	}
}

// wantTampered checks that reading [off, off+n) of ct fails with ErrTampered
// after handing out exactly plain[off:goodEnd] (the bytes of the packages
// before the damaged one), never any byte of the damaged package.
func wantTampered(t *testing.T, what string, ct []byte, key []byte, p Params, plain []byte, off, n, goodEnd int64) {
	t.Helper()
	got, err := readRange(ct, key, p, int64(len(plain)), off, n)
	if !errors.Is(err, ErrTampered) {
		t.Fatalf("%s: read [%d,+%d) = %d bytes, %v; want ErrTampered", what, off, n, len(got), err)
	}
	if !bytes.Equal(got, plain[off:goodEnd]) {
		t.Fatalf("%s: read [%d,+%d) handed out %d bytes before failing, want exactly %d authentic ones",
			what, off, n, len(got), goodEnd-off)
	}
}

func TestTamperedByte(t *testing.T) {
	const size = 2*PackageSize + 1000
	const stride = PackageSize + TagSize
	plain := pattern(size)
	ct := encrypt(t, testKey, testParams, plain, 100<<10)
	// Every byte near the package edges and tags, and a stride through the rest.
	var idx []int
	for i := range ct {
		if i%stride < 40 || i%stride >= stride-40 || i >= len(ct)-40 || i%101 == 0 {
			idx = append(idx, i)
		}
	}
	bad := bytes.Clone(ct)
	for _, i := range idx {
		bad[i] ^= 0x01
		pkg := int64(i / stride)
		start := pkg * PackageSize
		// The damaged package alone, and a range from the start through it.
		wantTampered(t, fmt.Sprintf("flip %d", i), bad, testKey, testParams, plain, start, 1, start)
		if pkg > 0 {
			wantTampered(t, fmt.Sprintf("flip %d", i), bad, testKey, testParams, plain, start-5, 10, start)
		}
		bad[i] = ct[i]
	}
}

func TestTamperedStructure(t *testing.T) {
	const stride = PackageSize + TagSize
	const size = 2*PackageSize + 1000
	plain := pattern(size)
	ct := encrypt(t, testKey, testParams, plain, 100<<10)
	all := int64(size)

	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	pkg := func(i int) []byte { return ct[i*stride : min((i+1)*stride, len(ct))] }

	// A longer blob under the same key and params: its package 2 is not final.
	longer := encrypt(t, testKey, testParams, pattern(3*PackageSize+5), 100<<10)

	for _, c := range []struct {
		name    string
		ct      []byte
		goodEnd int64 // plaintext bytes a whole read yields before failing
	}{
		{"truncated at a package boundary", ct[:2*stride], 2 * PackageSize},
		{"truncated to one package", ct[:stride], PackageSize},
		{"truncated mid-package", ct[:stride+100], PackageSize},
		{"truncated by one byte", ct[:len(ct)-1], 2 * PackageSize},
		{"empty blob", nil, 0},
		{"packages 0 and 1 swapped", cat(pkg(1), pkg(0), pkg(2)), 0},
		{"package 1 duplicated over 0", cat(pkg(1), pkg(1), pkg(2)), 0},
		{"final package appended again", cat(ct, pkg(2)), 2 * PackageSize},
		{"one byte appended", cat(ct, []byte{0}), 2 * PackageSize},
		// Metadata says 2P+1000 but the blob is a longer one: package 2 is
		// not final there (and has the wrong length).
		{"longer blob", longer, 2 * PackageSize},
	} {
		wantTampered(t, c.name, c.ct, testKey, testParams, plain, 0, all, c.goodEnd)
	}

	// A blob truncated to whole packages also fails when metadata claims the
	// truncated size: the last remaining package is not marked final.
	two := encrypt(t, testKey, testParams, plain[:2*PackageSize+1], 100<<10)
	wantTampered(t, "final package dropped", two[:2*stride], testKey, testParams, plain[:2*PackageSize], 0, 2*PackageSize, PackageSize)

	wrongKey := bytes.Clone(testKey)
	wrongKey[31] ^= 1
	wantTampered(t, "wrong key", ct, wrongKey, testParams, plain, 0, all, 0)
	wrongPrefix := testParams
	wrongPrefix.NoncePrefix[0] ^= 1
	wantTampered(t, "wrong nonce prefix", ct, testKey, wrongPrefix, plain, 0, all, 0)
	// Salt is not part of the package format (only of SSE-C key derivation).
	otherSalt := testParams
	otherSalt.Salt[0] ^= 1
	if got, err := readRange(ct, testKey, otherSalt, all, 0, all); err != nil || !bytes.Equal(got, plain) {
		t.Errorf("salt changed the package format: %v", err)
	}
	// Metadata with the wrong size.
	for _, n := range []int64{all - 1, all + 1} {
		if _, err := readRange(ct, testKey, testParams, n, 0, n); !errors.Is(err, ErrTampered) {
			t.Errorf("plainSize %d of a %d-byte plaintext: %v, want ErrTampered", n, all, err)
		}
	}
}

// errReaderAt fails every read with an I/O error.
type errReaderAt struct{ err error }

func (e errReaderAt) ReadAt([]byte, int64) (int, error) { return 0, e.err }

func TestReaderIOErrorIsNotTampering(t *testing.T) {
	ioErr := errors.New("disk on fire")
	r, err := NewReader(errReaderAt{ioErr}, testKey, testParams, 10, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(r)
	if !errors.Is(err, ioErr) || errors.Is(err, ErrTampered) {
		t.Fatalf("got %v, want the I/O error and not ErrTampered", err)
	}
	if _, again := r.Read(make([]byte, 1)); !errors.Is(again, ioErr) {
		t.Errorf("error is not sticky: %v", again)
	}
}

// recordingWriter records the size of every Write it gets.
type recordingWriter struct {
	bytes.Buffer
	writes []int
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, len(p))
	return w.Buffer.Write(p)
}

func TestWriterBuffersAtMostOnePackage(t *testing.T) {
	var out recordingWriter
	w, err := NewWriter(&out, testKey, testParams)
	if err != nil {
		t.Fatal(err)
	}
	write := func(n int) {
		if _, err := w.Write(pattern(n)); err != nil {
			t.Fatal(err)
		}
	}
	write(PackageSize)
	if out.Len() != 0 {
		t.Fatalf("a full package was written before the writer knew whether it is final")
	}
	write(1)
	if out.Len() != PackageSize+TagSize {
		t.Fatalf("after PackageSize+1 bytes, %d bytes out, want one package", out.Len())
	}
	write(3 * PackageSize) // one call spanning several packages
	// Packages 0-3 are now known not to be final; package 4 holds 1 byte.
	if out.Len() != 4*(PackageSize+TagSize) {
		t.Fatalf("after 4*PackageSize+1 bytes, %d bytes out, want four packages", out.Len())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, n := range out.writes {
		if n > PackageSize+TagSize {
			t.Errorf("one Write of %d bytes to the destination", n)
		}
	}
	if int64(out.Len()) != EncryptedSize(4*PackageSize+1) {
		t.Errorf("wrote %d bytes, want %d", out.Len(), EncryptedSize(4*PackageSize+1))
	}
	if err := w.Close(); err == nil {
		t.Error("second Close succeeded")
	}
	if _, err := w.Write([]byte{1}); err == nil {
		t.Error("Write after Close succeeded")
	}
}

// failWriter accepts `left` bytes, then fails.
type failWriter struct{ left int }

var errFull = errors.New("disk full")

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) > f.left {
		n := f.left
		f.left = 0
		return n, errFull
	}
	f.left -= len(p)
	return len(p), nil
}

func TestWriterErrorsAreSticky(t *testing.T) {
	w, err := NewWriter(&failWriter{left: 100}, testKey, testParams)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(pattern(PackageSize + 1)); !errors.Is(err, errFull) {
		t.Fatalf("Write: %v, want errFull", err)
	}
	if _, err := w.Write([]byte{1}); !errors.Is(err, errFull) {
		t.Errorf("later Write: %v, want errFull", err)
	}
	if err := w.Close(); !errors.Is(err, errFull) {
		t.Errorf("Close: %v, want errFull", err)
	}
	if _, err := NewWriter(io.Discard, testKey[:31], testParams); !errors.Is(err, ErrKeySize) {
		t.Errorf("31-byte key: %v, want ErrKeySize", err)
	}
}

func TestNewParamsAreRandom(t *testing.T) {
	a, err := NewParams()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewParams()
	if err != nil {
		t.Fatal(err)
	}
	if a.Salt == b.Salt || a.Salt == [32]byte{} {
		t.Errorf("NewParams repeated itself: %x %x", a, b)
	}
}

var benchSizes = []int{1 << 20, 16 << 20}

// BenchmarkCopy is the baseline: the same bytes through plain io.Copy.
// The wrappers hide WriterTo/ReaderFrom, so the bytes really are copied
// once through io.Copy's buffer, as they are on the way to a file.
func BenchmarkCopy(b *testing.B) {
	for _, size := range benchSizes {
		plain := pattern(size)
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				io.Copy(struct{ io.Writer }{io.Discard}, struct{ io.Reader }{bytes.NewReader(plain)})
			}
		})
	}
}

func BenchmarkWriter(b *testing.B) {
	for _, size := range benchSizes {
		plain := pattern(size)
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				w, _ := NewWriter(io.Discard, testKey, testParams)
				io.Copy(w, bytes.NewReader(plain))
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkReader(b *testing.B) {
	for _, size := range benchSizes {
		ct := encrypt(b, testKey, testParams, pattern(size), 1<<20)
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				r, _ := NewReader(bytes.NewReader(ct), testKey, testParams, int64(size), 0, int64(size))
				if _, err := io.Copy(io.Discard, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
