// Package checksum implements the S3 object checksums: the flexible
// checksum algorithms (x-amz-checksum-*), their COMPOSITE and FULL_OBJECT
// multipart forms, the multipart ETag, and a Hasher that computes the
// digests an object needs in a single pass over its bytes.
//
// Digests are raw big-endian bytes throughout; S3 puts their standard,
// padded base64 encoding in headers and XML. CRC values follow the usual
// reflected-CRC convention (init and xorout all ones), so the CRC of the
// empty string is zero and CRCs of adjacent byte ranges can be combined
// without the data (Combine, FullObjectOf).
package checksum

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"strings"

	"github.com/cespare/xxhash/v2"
	"github.com/zeebo/xxh3"
)

// Algorithm is an S3 checksum algorithm, named by its canonical upper-case
// name as it appears in x-amz-checksum-algorithm and XML (ChecksumAlgorithm).
// Only the constants below are valid; build one from user input with Parse.
type Algorithm string

// The algorithms S3 accepts. XXHASH3 is the 64-bit XXH3, XXHASH128 is
// XXH3-128; both xxhash digests are big-endian (canonical xxHash form, as
// the AWS SDKs and minio-go send them).
const (
	CRC32     Algorithm = "CRC32"
	CRC32C    Algorithm = "CRC32C"
	CRC64NVME Algorithm = "CRC64NVME"
	SHA1      Algorithm = "SHA1"
	SHA256    Algorithm = "SHA256"
	MD5       Algorithm = "MD5"
	SHA512    Algorithm = "SHA512"
	XXHASH64  Algorithm = "XXHASH64"
	XXHASH3   Algorithm = "XXHASH3"
	XXHASH128 Algorithm = "XXHASH128"
)

// Checksum types (x-amz-checksum-type, ChecksumType in XML).
const (
	// Composite: a multipart object's checksum is the hash of the
	// concatenated part digests, suffixed "-N" (see CompositeOf).
	Composite = "COMPOSITE"
	// FullObject: the checksum of the whole object's bytes, for CRCs
	// derived from the part CRCs (see FullObjectOf).
	FullObject = "FULL_OBJECT"
)

type algInfo struct {
	size   int
	header string
	crc    bool
	newFn  func() hash.Hash
}

// castagnoli is built once: crc32.MakeTable returns a shared table for
// Castagnoli, and crc32.New recognises it and uses SSE4.2/ARM CRC
// instructions when available.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// algorithms is the single source of truth for per-algorithm facts; order
// is All's order (the five original S3 algorithms first, as AWS lists
// them in error messages).
var algorithms = []struct {
	a Algorithm
	algInfo
}{
	{CRC32, algInfo{4, "x-amz-checksum-crc32", true, func() hash.Hash { return crc32.NewIEEE() }}},
	{CRC32C, algInfo{4, "x-amz-checksum-crc32c", true, func() hash.Hash { return crc32.New(castagnoli) }}},
	{CRC64NVME, algInfo{8, "x-amz-checksum-crc64nvme", true, func() hash.Hash { return newCRC64NVME() }}},
	{SHA1, algInfo{sha1.Size, "x-amz-checksum-sha1", false, sha1.New}},
	{SHA256, algInfo{sha256.Size, "x-amz-checksum-sha256", false, sha256.New}},
	{MD5, algInfo{md5.Size, "x-amz-checksum-md5", false, md5.New}},
	{SHA512, algInfo{sha512.Size, "x-amz-checksum-sha512", false, sha512.New}},
	{XXHASH64, algInfo{8, "x-amz-checksum-xxhash64", false, func() hash.Hash { return xxhash.New() }}},
	{XXHASH3, algInfo{8, "x-amz-checksum-xxhash3", false, func() hash.Hash { return xxh3.New() }}},
	{XXHASH128, algInfo{16, "x-amz-checksum-xxhash128", false, func() hash.Hash { return xxh3.New128() }}},
}

var byName = func() map[Algorithm]*algInfo {
	m := make(map[Algorithm]*algInfo, len(algorithms))
	for i := range algorithms {
		m[algorithms[i].a] = &algorithms[i].algInfo
	}
	return m
}()

func (a Algorithm) info() *algInfo { return byName[a] }

// Parse maps an algorithm name, in any letter case ("crc64nvme",
// "CRC64NVME"), to its Algorithm. ok is false for unknown names.
func Parse(s string) (a Algorithm, ok bool) {
	// Fast path: SDKs send the canonical upper-case name.
	if _, ok := byName[Algorithm(s)]; ok {
		return Algorithm(s), true
	}
	a = Algorithm(strings.ToUpper(s))
	if _, ok := byName[a]; ok {
		return a, true
	}
	return "", false
}

// All returns every supported algorithm in a stable order. The slice is a
// fresh copy the caller may modify.
func All() []Algorithm {
	out := make([]Algorithm, len(algorithms))
	for i, e := range algorithms {
		out[i] = e.a
	}
	return out
}

// New returns a fresh streaming hash for a whose Sum is the raw digest S3
// base64-encodes. It returns nil if a is not a known algorithm.
func (a Algorithm) New() hash.Hash {
	if in := a.info(); in != nil {
		return in.newFn()
	}
	return nil
}

// Header returns the lower-case request/response header carrying a's
// value, e.g. "x-amz-checksum-crc64nvme"; "" for unknown algorithms.
func (a Algorithm) Header() string {
	if in := a.info(); in != nil {
		return in.header
	}
	return ""
}

// Size returns the raw digest length in bytes; 0 for unknown algorithms.
func (a Algorithm) Size() int {
	if in := a.info(); in != nil {
		return in.size
	}
	return 0
}

// IsCRC reports whether a is one of the CRCs (CRC32, CRC32C, CRC64NVME),
// which are the only algorithms Combine and FullObjectOf accept.
func (a Algorithm) IsCRC() bool {
	in := a.info()
	return in != nil && in.crc
}

// strictBase64 is built once: Strict returns a fresh copy of the encoding.
var strictBase64 = base64.StdEncoding.Strict()

// Valid reports whether b64 is a well-formed value for a: canonical
// padded standard base64 (as every SDK sends) decoding to exactly Size()
// bytes. Non-canonical encodings (non-zero padding bits) are rejected so
// that a Valid value compares equal as a string iff the digests are equal.
func (a Algorithm) Valid(b64 string) bool {
	_, ok := a.Decode(b64)
	return ok
}

// Decode returns the raw digest in b64 if Valid(b64), else nil, false.
func (a Algorithm) Decode(b64 string) ([]byte, bool) {
	n := a.Size()
	// Checking the encoded length first rejects oversized input without
	// decoding it, and guarantees the exact decoded length.
	if n == 0 || len(b64) != base64.StdEncoding.EncodedLen(n) {
		return nil, false
	}
	out, err := strictBase64.DecodeString(b64)
	if err != nil || len(out) != n {
		return nil, false
	}
	return out, true
}

// DefaultType is the checksum type S3 uses when a multipart upload names
// algorithm a but no x-amz-checksum-type: FULL_OBJECT for CRC64NVME (its
// only type), COMPOSITE for everything else.
func DefaultType(a Algorithm) string {
	if a == CRC64NVME {
		return FullObject
	}
	return Composite
}

// TypeAllowed reports whether algorithm a may be used with checksum type
// typ (exact upper-case "COMPOSITE" or "FULL_OBJECT"). CRC64NVME is
// FULL_OBJECT only; CRC32 and CRC32C allow both; every non-CRC algorithm
// is COMPOSITE only, since a hash of the whole object cannot be derived
// from part hashes. Unknown algorithms or types are never allowed.
func TypeAllowed(a Algorithm, typ string) bool {
	in := a.info()
	if in == nil {
		return false
	}
	switch typ {
	case FullObject:
		return in.crc
	case Composite:
		return a != CRC64NVME
	}
	return false
}
