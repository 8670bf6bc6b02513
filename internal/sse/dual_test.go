package sse

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

var testOuterKey = seq(100, 32)

// encryptDual writes plain through NewDualWriter in chunks of 100 KiB.
func encryptDual(t testing.TB, inner, outer []byte, p Params, plain []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := NewDualWriter(&out, inner, outer, p)
	if err != nil {
		t.Fatal(err)
	}
	for rest := plain; len(rest) > 0; {
		c := min(100<<10, len(rest))
		if _, err := w.Write(rest[:c]); err != nil {
			t.Fatal(err)
		}
		rest = rest[c:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func readDual(ct, inner, outer []byte, p Params, plainSize, off, n int64) ([]byte, error) {
	r, err := NewDualReader(bytes.NewReader(ct), inner, outer, p, plainSize, off, n)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// TestDualFormat: every package of a dual-layer blob is the single-layer
// package under the inner key, sealed again under the outer key with the
// same nonce and final flag — two real layers, each needing its own key.
func TestDualFormat(t *testing.T) {
	for _, size := range []int{0, 1, PackageSize, 3*PackageSize + 7} {
		plain := pattern(size)
		ct := encryptDual(t, testKey, testOuterKey, testParams, plain)
		if int64(len(ct)) != DualEncryptedSize(int64(size)) {
			t.Fatalf("size %d: %d bytes on disk, DualEncryptedSize says %d", size, len(ct), DualEncryptedSize(int64(size)))
		}
		single := encrypt(t, testKey, testParams, plain, 100<<10)
		outer, _ := newGCM(testOuterKey)
		var want []byte
		for i, off := 0, 0; off < len(single) || i == 0; i++ {
			end := min(off+PackageSize+TagSize, len(single))
			ad := adMore
			if end == len(single) {
				ad = adFinal
			}
			nonce := packageNonce(testParams, uint64(i))
			want = outer.Seal(want, nonce[:], single[off:end], ad)
			off = end
		}
		if !bytes.Equal(ct, want) {
			t.Fatalf("size %d: the dual-layer blob is not the inner blob sealed package by package under the outer key", size)
		}
		if got, err := readDual(ct, testKey, testOuterKey, testParams, int64(size), 0, int64(size)); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("size %d: round trip: %v", size, err)
		}
	}
}

// TestDualTampering: the keys swapped, either key alone, a flipped bit in
// any package, and a short or extended blob all fail with ErrTampered,
// never returning a byte of a damaged package.
func TestDualTampering(t *testing.T) {
	const size = 3*PackageSize + 500
	plain := pattern(size)
	ct := encryptDual(t, testKey, testOuterKey, testParams, plain)
	if _, err := readDual(ct, testOuterKey, testKey, testParams, size, 0, size); !errors.Is(err, ErrTampered) {
		t.Errorf("keys swapped: %v", err)
	}
	if _, err := readRange(ct, testOuterKey, testParams, size, 0, size); !errors.Is(err, ErrTampered) {
		t.Errorf("outer key alone, as one layer: %v", err)
	}
	const stride = PackageSize + 2*TagSize
	for _, at := range []int{0, stride - 1, stride + 5, 3*stride + 100, len(ct) - 1} {
		bad := bytes.Clone(ct)
		bad[at] ^= 0x10
		got, err := readDual(bad, testKey, testOuterKey, testParams, size, 0, size)
		good := (at / stride) * PackageSize
		if !errors.Is(err, ErrTampered) || !bytes.Equal(got, plain[:good]) {
			t.Errorf("bit flipped at %d: %d bytes, %v; want the %d bytes before its package, then ErrTampered", at, len(got), err, good)
		}
	}
	for name, bad := range map[string][]byte{"one byte short": ct[:len(ct)-1], "one byte more": append(bytes.Clone(ct), 0)} {
		if _, err := readDual(bad, testKey, testOuterKey, testParams, size, 0, size); !errors.Is(err, ErrTampered) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := NewDualWriter(io.Discard, testKey, testKey, testParams); !errors.Is(err, ErrSameKeys) {
		t.Errorf("one key for both layers: %v", err)
	}
}

// TestDualRanges: a range reads only the dual-layer packages covering it.
func TestDualRanges(t *testing.T) {
	const size = 10*PackageSize + 33
	plain := pattern(size)
	ct := encryptDual(t, testKey, testOuterKey, testParams, plain)
	for _, rg := range [][2]int64{{0, 1}, {PackageSize - 1, 2}, {5*PackageSize + 9, 3 * PackageSize}, {size - 1, 1}, {0, size}} {
		cr := &countingReaderAt{r: bytes.NewReader(ct)}
		r, err := NewDualReader(cr, testKey, testOuterKey, testParams, size, rg[0], rg[1])
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, plain[rg[0]:rg[0]+rg[1]]) {
			t.Fatalf("range %v: %v", rg, err)
		}
		first, last := rg[0]/PackageSize, (rg[0]+rg[1]-1)/PackageSize
		want := (last - first + 1) * (PackageSize + 2*TagSize)
		if last == size/PackageSize {
			want = DualEncryptedSize(size) - first*(PackageSize+2*TagSize) + 1
		}
		if cr.asked != want {
			t.Errorf("range %v: read %d ciphertext bytes, want %d", rg, cr.asked, want)
		}
	}
}

// TestReaderWriteToPreload: WriteTo hands out exactly the range, Preload
// authenticates the first package without consuming a byte, and a damaged
// first package fails Preload.
func TestReaderWriteToPreload(t *testing.T) {
	const size = 5*PackageSize + 77
	plain := pattern(size)
	ct := encrypt(t, testKey, testParams, plain, 100<<10)
	for _, rg := range [][2]int64{{0, size}, {3, PackageSize}, {size - 10, 10}, {7, 0}} {
		r, err := NewReader(bytes.NewReader(ct), testKey, testParams, size, rg[0], rg[1])
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Preload(); err != nil {
			t.Fatalf("Preload %v: %v", rg, err)
		}
		var out bytes.Buffer
		n, err := r.WriteTo(&out)
		if err != nil || n != rg[1] || !bytes.Equal(out.Bytes(), plain[rg[0]:rg[0]+rg[1]]) {
			t.Fatalf("WriteTo %v: %d, %v", rg, n, err)
		}
		if n, err := r.Read(make([]byte, 1)); n != 0 || err != io.EOF {
			t.Errorf("Read after WriteTo %v: %d, %v", rg, n, err)
		}
	}
	bad := bytes.Clone(ct)
	bad[10] ^= 1
	r, _ := NewReader(bytes.NewReader(bad), testKey, testParams, size, 0, size)
	if err := r.Preload(); !errors.Is(err, ErrTampered) {
		t.Errorf("Preload of a damaged first package: %v", err)
	}
	r, _ = NewReader(bytes.NewReader(ct), testKey, testParams, size, 0, size)
	r.Close()
	if _, err := r.Read(make([]byte, 1)); err == nil {
		t.Error("Read after Close succeeded")
	}
}
