package checksum

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"hash"
)

// Hasher computes, in one pass over an object's bytes, the MD5 (for the
// ETag), the CRC64NVME (S3 gives every object one, even when the client
// asked for no checksum) and any extra algorithms. It is an io.Writer:
// stream the body through it (io.Copy, io.TeeReader, io.MultiWriter).
//
// Every byte slice is handed to each hash as is; nothing is buffered or
// copied. The cost is the sum of the hashes' costs, dominated by MD5
// (≈0.65 GB/s) when present.
//
// A Hasher is not safe for concurrent use. Sums may be read at any time;
// they reflect the bytes written so far.
type Hasher struct {
	md5   hash.Hash
	crc   crc64NVME // concrete type: saves an interface call per Write
	extra []hashed  // deduplicated, never MD5 or CRC64NVME
	n     int64
}

type hashed struct {
	a Algorithm
	h hash.Hash
}

// NewHasher returns a Hasher computing MD5, CRC64NVME and every algorithm
// in extra. Duplicates, including MD5 and CRC64NVME themselves, are
// ignored. It panics on an algorithm that is not one of the package
// constants: names from requests must go through Parse first.
func NewHasher(extra ...Algorithm) *Hasher {
	h := &Hasher{md5: md5.New()}
	for _, a := range extra {
		if a == MD5 || a == CRC64NVME || h.find(a) != nil {
			continue
		}
		nh := a.New()
		if nh == nil {
			panic("checksum: NewHasher: unknown algorithm " + string(a))
		}
		h.extra = append(h.extra, hashed{a, nh})
	}
	return h
}

func (h *Hasher) find(a Algorithm) hash.Hash {
	for _, e := range h.extra {
		if e.a == a {
			return e.h
		}
	}
	return nil
}

// Write feeds p to every hash. It never fails.
func (h *Hasher) Write(p []byte) (int, error) {
	h.md5.Write(p)
	h.crc.crc = updateCRC64NVME(h.crc.crc, p)
	for _, e := range h.extra {
		e.h.Write(p)
	}
	h.n += int64(len(p))
	return len(p), nil
}

// Reset returns the Hasher to its initial state, keeping its algorithms,
// so one Hasher can serve many objects without reallocating.
func (h *Hasher) Reset() {
	h.md5.Reset()
	h.crc.Reset()
	for _, e := range h.extra {
		e.h.Reset()
	}
	h.n = 0
}

// Sum returns the raw digest of the bytes written so far for a, or nil if
// this Hasher does not compute a.
func (h *Hasher) Sum(a Algorithm) []byte {
	switch a {
	case MD5:
		return h.md5.Sum(nil)
	case CRC64NVME:
		return h.crc.Sum(nil)
	}
	if x := h.find(a); x != nil {
		return x.Sum(nil)
	}
	return nil
}

// Base64 returns Sum(a) in the standard padded base64 S3 uses in headers
// and XML, or "" if this Hasher does not compute a.
func (h *Hasher) Base64(a Algorithm) string {
	s := h.Sum(a)
	if s == nil {
		return ""
	}
	return base64.StdEncoding.EncodeToString(s)
}

// MD5Hex returns the lower-case hex MD5: a single-part object's ETag,
// without quotes.
func (h *Hasher) MD5Hex() string {
	var sum [md5.Size]byte
	return hex.EncodeToString(h.md5.Sum(sum[:0]))
}

// Size returns the number of bytes written.
func (h *Hasher) Size() int64 { return h.n }
