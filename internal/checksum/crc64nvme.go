package checksum

import (
	"encoding/binary"
	"hash"
)

// crc64NVMEPoly is the CRC-64/NVME generator 0xAD93D23594C93659 in the
// bit-reflected form used by the LSB-first table algorithm.
const crc64NVMEPoly = 0x9A6C9329AC4BC9B5

// crc64Slices is how many bytes the table loop consumes per iteration.
//
// Why 16 and not 8 (what hash/crc64 does): fewer loop iterations and
// fewer loop-carried dependencies per byte; the 32 KiB of tables stays
// cache-resident next to the streamed data. Measured on the dev box (AMD
// EPYC Zen 4, Go 1.26, 1 MiB buffers): hash/crc64 with a custom table
// ≈1.85 GB/s, by-8 ≈1.9 GB/s, by-16 ≈2.4 GB/s, by-16 with a balanced XOR
// tree ≈3.1 GB/s. Two interleaved lanes added nothing on top (the loop is
// then bound by instruction throughput, not latency), so we keep one.
const crc64Slices = 16

// crc64NVMETable[k][b] is the register contribution of byte b followed by
// k zero bytes. Row 0 is the classic byte-at-a-time table.
//
// Computed once at package init (a few microseconds) instead of lazily:
// hash/crc64 rebuilds its slicing tables per call for custom polynomials,
// which is what makes it slow for CRC64NVME.
var crc64NVMETable = makeCRC64Tables(crc64NVMEPoly)

func makeCRC64Tables(poly uint64) *[crc64Slices][256]uint64 {
	t := new([crc64Slices][256]uint64)
	for i := range 256 {
		crc := uint64(i)
		for range 8 {
			crc = crc>>1 ^ poly&-(crc&1)
		}
		t[0][i] = crc
	}
	for k := 1; k < crc64Slices; k++ {
		for i := range 256 {
			prev := t[k-1][i]
			t[k][i] = prev>>8 ^ t[0][byte(prev)]
		}
	}
	return t
}

// updateCRC64NVME feeds p into the CRC-64/NVME value crc (the finalized
// value, i.e. 0 for the empty message) and returns the new finalized value.
// Pre/post inversion is done here so that callers only ever see the
// standard, combinable CRC value.
func updateCRC64NVME(crc uint64, p []byte) uint64 {
	t := crc64NVMETable
	crc = ^crc
	for len(p) >= 16 {
		// Re-slicing to [16] lets the compiler drop bounds checks on both
		// 8-byte loads.
		q := p[:16:16]
		a := binary.LittleEndian.Uint64(q[0:8]) ^ crc
		b := binary.LittleEndian.Uint64(q[8:16])
		// Parenthesised as a balanced tree on purpose: the Go compiler
		// evaluates a^b^c^... as a serial chain, which makes the loop
		// bound by 16 dependent XORs instead of by loads.
		crc = ((t[15][byte(a)] ^ t[14][byte(a>>8)]) ^
			(t[13][byte(a>>16)] ^ t[12][byte(a>>24)])) ^
			((t[11][byte(a>>32)] ^ t[10][byte(a>>40)]) ^
				(t[9][byte(a>>48)] ^ t[8][byte(a>>56)])) ^
			(((t[7][byte(b)] ^ t[6][byte(b>>8)]) ^
				(t[5][byte(b>>16)] ^ t[4][byte(b>>24)])) ^
				((t[3][byte(b>>32)] ^ t[2][byte(b>>40)]) ^
					(t[1][byte(b>>48)] ^ t[0][byte(b>>56)])))
		p = p[16:]
	}
	for _, v := range p {
		crc = t[0][byte(crc)^v] ^ crc>>8
	}
	return ^crc
}

// crc64NVME is a streaming CRC-64/NVME: poly 0xAD93D23594C93659
// (reflected), init and xorout all ones. Sum returns the 8-byte big-endian
// value, which is what S3 base64-encodes in x-amz-checksum-crc64nvme.
type crc64NVME struct{ crc uint64 }

var _ hash.Hash64 = (*crc64NVME)(nil)

func newCRC64NVME() *crc64NVME { return &crc64NVME{} }

func (d *crc64NVME) Write(p []byte) (int, error) {
	d.crc = updateCRC64NVME(d.crc, p)
	return len(p), nil
}

func (d *crc64NVME) Sum64() uint64  { return d.crc }
func (d *crc64NVME) Reset()         { d.crc = 0 }
func (d *crc64NVME) Size() int      { return 8 }
func (d *crc64NVME) BlockSize() int { return 1 }

func (d *crc64NVME) Sum(in []byte) []byte {
	return binary.BigEndian.AppendUint64(in, d.crc)
}
