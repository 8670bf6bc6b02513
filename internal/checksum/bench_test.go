package checksum

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// Rerun: go test -run '^$' -bench . -benchtime 2s ./internal/checksum/

func benchData() []byte {
	r := rand.New(rand.NewPCG(13, 14))
	return randBytes(r, 1<<20)
}

func BenchmarkHash(b *testing.B) {
	buf := benchData()
	for _, a := range All() {
		b.Run(string(a), func(b *testing.B) {
			h := a.New()
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				h.Reset()
				h.Write(buf)
			}
		})
	}
}

// BenchmarkHasherDefault is the PUT path with no client checksum:
// MD5 (ETag) + CRC64NVME in one pass.
func BenchmarkHasherDefault(b *testing.B) {
	buf := benchData()
	h := NewHasher()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		h.Reset()
		h.Write(buf)
	}
}

// BenchmarkFullObject10000Parts folds the CRC64NVMEs of a maximal
// multipart upload (10,000 parts of 5 MiB, short last part): the
// CompleteMultipartUpload cost of FULL_OBJECT, metadata only.
func BenchmarkFullObject10000Parts(b *testing.B) {
	r := rand.New(rand.NewPCG(15, 16))
	crcs := make([][]byte, 10_000)
	sizes := make([]int64, 10_000)
	for i := range crcs {
		crcs[i] = binary.BigEndian.AppendUint64(nil, r.Uint64())
		sizes[i] = 5 << 20
	}
	sizes[len(sizes)-1] = 12345
	for b.Loop() {
		if _, err := FullObjectOf(CRC64NVME, crcs, sizes); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCombine is one Combine with a fresh length (no operator
// reuse): the cost per part when every part has a different size.
func BenchmarkCombine(b *testing.B) {
	x := make([]byte, 8)
	for b.Loop() {
		if _, err := Combine(CRC64NVME, x, x, 5<<20+12345); err != nil {
			b.Fatal(err)
		}
	}
}
