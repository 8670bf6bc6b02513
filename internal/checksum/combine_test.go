package checksum

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"hash/crc64"
	"math/rand/v2"
	"slices"
	"testing"
)

// refCRC is a bit-at-a-time reflected CRC (init and xorout all ones),
// written independently of the table and GF(2) code under test.
func refCRC(width uint, poly uint64, data []byte) uint64 {
	mask := uint64(1)<<width - 1 // width 64 wraps to all ones
	crc := mask
	for _, b := range data {
		crc ^= uint64(b)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ poly
			} else {
				crc >>= 1
			}
		}
	}
	return crc ^ mask
}

var crcAlgs = []Algorithm{CRC32, CRC32C, CRC64NVME}

// crcOf returns the digest of data computed by the package (a.New()).
func crcOf(a Algorithm, data []byte) []byte {
	h := a.New()
	h.Write(data)
	return h.Sum(nil)
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestCRCAgainstReferences checks every length 0..600 (all tail/loop
// splits of the slicing code) and some large ones against the bitwise
// reference, hash/crc32 and hash/crc64 (whose reflected convention
// matches CRC64NVME given the reflected polynomial).
func TestCRCAgainstReferences(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	tab64 := crc64.MakeTable(0x9A6C9329AC4BC9B5)
	lens := []int{1 << 16, 1<<16 + 15, 1_000_003}
	for n := range 600 {
		lens = append(lens, n)
	}
	for _, n := range lens {
		data := randBytes(r, n)
		got := binary.BigEndian.Uint64(crcOf(CRC64NVME, data))
		if want := crc64.Checksum(data, tab64); got != want {
			t.Fatalf("len %d: CRC64NVME %x, hash/crc64 %x", n, got, want)
		}
		if n < 5000 {
			if want := refCRC(64, 0x9A6C9329AC4BC9B5, data); got != want {
				t.Fatalf("len %d: CRC64NVME %x, bitwise %x", n, got, want)
			}
			if a, b := crc32.ChecksumIEEE(data), uint32(refCRC(32, 0xEDB88320, data)); a != b {
				t.Fatalf("len %d: reference CRC32 broken: %x vs %x", n, a, b)
			}
		}
	}
}

func TestCombineProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for iter := range 300 {
		n := r.IntN(20_000)
		if iter%10 == 0 {
			n = r.IntN(16) // tiny inputs: mostly empty parts
		}
		data := randBytes(r, n)
		// Random cut points, duplicates allowed, so parts may be empty.
		cuts := []int{0, n}
		for range r.IntN(8) {
			cuts = append(cuts, r.IntN(n+1))
		}
		slices.Sort(cuts)
		for _, a := range crcAlgs {
			var crcs [][]byte
			var sizes []int64
			for i := 1; i < len(cuts); i++ {
				crcs = append(crcs, crcOf(a, data[cuts[i-1]:cuts[i]]))
				sizes = append(sizes, int64(cuts[i]-cuts[i-1]))
			}
			got, err := FullObjectOf(a, crcs, sizes)
			if err != nil {
				t.Fatal(err)
			}
			if want := crcOf(a, data); !bytes.Equal(got, want) {
				t.Fatalf("%s: cuts %v of %d bytes: FullObjectOf %x, whole %x", a, cuts, n, got, want)
			}
		}
	}
}

// TestFullObjectManyParts covers the tabulated operator FullObjectOf
// uses from byteOpMinParts parts on: many equal parts mixed with other
// sizes, and random sizes whose first (tabulated) size is empty or odd.
func TestFullObjectManyParts(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	var equal []int64
	for range 500 {
		equal = append(equal, 97)
	}
	equal = append(equal, 13, 97, 97, 0, 0, 13, 1, 5000)
	random := func(first int64) []int64 {
		s := []int64{first}
		for range byteOpMinParts + r.IntN(50) {
			s = append(s, int64(r.IntN(3)*r.IntN(300))) // a third empty
		}
		return s
	}
	for _, sizes := range [][]int64{equal, random(0), random(1), random(33), random(4096)} {
		var total int64
		for _, s := range sizes {
			total += s
		}
		data := randBytes(r, int(total))
		for _, a := range crcAlgs {
			var crcs [][]byte
			off := int64(0)
			for _, s := range sizes {
				crcs = append(crcs, crcOf(a, data[off:off+s]))
				off += s
			}
			got, err := FullObjectOf(a, crcs, sizes)
			if err != nil {
				t.Fatal(err)
			}
			if want := crcOf(a, data); !bytes.Equal(got, want) {
				t.Errorf("%s: %d parts, first size %d: FullObjectOf %x, whole %x",
					a, len(sizes), sizes[0], got, want)
			}
		}
	}
}

func TestCombineEdgeCases(t *testing.T) {
	for _, a := range crcAlgs {
		x := crcOf(a, []byte("Hello world"))
		empty := crcOf(a, nil)
		// lenB == 0: B is empty, its CRC is zero and A is unchanged.
		if got, err := Combine(a, x, empty, 0); err != nil || !bytes.Equal(got, x) {
			t.Errorf("%s: Combine(x, empty, 0) = %x, %v", a, got, err)
		}
		// Empty A: result is crc(B).
		if got, err := Combine(a, empty, x, 11); err != nil || !bytes.Equal(got, x) {
			t.Errorf("%s: Combine(empty, x, 11) = %x, %v", a, got, err)
		}
		if got, err := FullObjectOf(a, nil, nil); err != nil || !bytes.Equal(got, empty) {
			t.Errorf("%s: FullObjectOf(no parts) = %x, %v", a, got, err)
		}
		if _, err := Combine(a, x, x, -1); err == nil {
			t.Errorf("%s: negative length accepted", a)
		}
		if _, err := Combine(a, x[:len(x)-1], x, 1); err == nil {
			t.Errorf("%s: short crcA accepted", a)
		}
		if _, err := Combine(a, x, append(x, 0), 1); err == nil {
			t.Errorf("%s: long crcB accepted", a)
		}
		if _, err := FullObjectOf(a, [][]byte{x}, nil); err == nil {
			t.Errorf("%s: size count mismatch accepted", a)
		}
		if _, err := FullObjectOf(a, [][]byte{x}, []int64{-5}); err == nil {
			t.Errorf("%s: negative part size accepted", a)
		}
	}
	for _, a := range []Algorithm{SHA256, MD5, XXHASH64, "bogus"} {
		if _, err := Combine(a, nil, nil, 1); !errors.Is(err, ErrNotCombinable) {
			t.Errorf("%s: Combine err = %v, want ErrNotCombinable", a, err)
		}
		if _, err := FullObjectOf(a, nil, nil); !errors.Is(err, ErrNotCombinable) {
			t.Errorf("%s: FullObjectOf err = %v, want ErrNotCombinable", a, err)
		}
	}
}

// TestXPow8n checks the length operator two ways that do not rely on
// data-sized inputs: against a register shifted over zero bytes bit by bit
// (small n) and via x^(8(m+n)) = x^(8m)·x^(8n) (lengths up to 2^62).
func TestXPow8n(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, g := range []*gf2CRC{gfCRC32, gfCRC32C, gfCRC64NVME} {
		reg := g.top // the polynomial 1
		for n := range 300 {
			if got := g.xPow8n(uint64(n)); got != reg {
				t.Fatalf("width %d: x^(8·%d) = %x, register %x", g.width, n, got, reg)
			}
			for range 8 {
				if reg&1 != 0 {
					reg = reg>>1 ^ g.poly
				} else {
					reg >>= 1
				}
			}
		}
		for range 200 {
			m, n := r.Uint64N(1<<61), r.Uint64N(1<<61)
			if a, b := g.xPow8n(m+n), g.mul(g.xPow8n(m), g.xPow8n(n)); a != b {
				t.Fatalf("width %d: x^(8(%d+%d)) mismatch %x != %x", g.width, m, n, a, b)
			}
		}
	}
}

// TestMultipartVectors uses the S3 vectors for three 5 MiB parts filled
// with 'A', 'B' and 'C' (landscape doc 3.8 and 3.21).
func TestMultipartVectors(t *testing.T) {
	const partSize = 5 << 20
	var parts [][]byte
	var whole []byte
	for _, c := range []byte("ABC") {
		p := bytes.Repeat([]byte{c}, partSize)
		parts = append(parts, p)
		whole = append(whole, p...)
	}
	sizes := []int64{partSize, partSize, partSize}

	var md5s, shas [][]byte
	for _, p := range parts {
		m := md5.Sum(p)
		s := sha256.Sum256(p)
		md5s, shas = append(md5s, m[:]), append(shas, s[:])
	}
	if got, want := MultipartETag(md5s), "b2add96cc9702bbf4efb0ccdfc6b7747-3"; got != want {
		t.Errorf("MultipartETag = %s, want %s", got, want)
	}
	comp := base64.StdEncoding.EncodeToString(CompositeOf(SHA256, shas)) + "-3"
	if want := "uWBwpe1dxI4Vw8Gf0X9ynOdw/SS6VBzfWm9giiv1sf4=-3"; comp != want {
		t.Errorf("SHA256 composite = %s, want %s", comp, want)
	}
	full := map[Algorithm]string{CRC32: "WgDhBQ==", CRC32C: "xU+Krw==", CRC64NVME: "i+6LR0y3eFo="}
	for a, want := range full {
		var crcs [][]byte
		for _, p := range parts {
			crcs = append(crcs, crcOf(a, p))
		}
		got, err := FullObjectOf(a, crcs, sizes)
		if err != nil {
			t.Fatal(err)
		}
		if s := base64.StdEncoding.EncodeToString(got); s != want {
			t.Errorf("%s full object = %s, want %s", a, s, want)
		}
		if s := base64.StdEncoding.EncodeToString(crcOf(a, whole)); s != want {
			t.Errorf("%s of whole object = %s, want %s", a, s, want)
		}
	}
	if CompositeOf("bogus", shas) != nil {
		t.Error("CompositeOf(unknown) != nil")
	}
	if got, want := MultipartETag(md5s[:1]), hexMD5(md5s[0])+"-1"; got != want {
		t.Errorf("single-part MultipartETag = %s, want %s", got, want)
	}
}

func hexMD5(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// FuzzCombine: split arbitrary data at an arbitrary point; combining the
// halves' CRCs must give the CRC of the whole, for every CRC algorithm.
func FuzzCombine(f *testing.F) {
	f.Add([]byte("Hello world"), uint32(5))
	f.Add([]byte{}, uint32(0))
	f.Add(bytes.Repeat([]byte{0xff}, 100), uint32(17))
	f.Add(bytes.Repeat([]byte{0}, 4096), uint32(4000))
	f.Fuzz(func(t *testing.T, data []byte, cut uint32) {
		k := int(cut % uint32(len(data)+1))
		for _, a := range crcAlgs {
			got, err := Combine(a, crcOf(a, data[:k]), crcOf(a, data[k:]), int64(len(data)-k))
			if err != nil {
				t.Fatal(err)
			}
			if want := crcOf(a, data); !bytes.Equal(got, want) {
				t.Fatalf("%s: cut %d of %d: %x != %x", a, k, len(data), got, want)
			}
		}
	})
}
