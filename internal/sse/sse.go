// Package sse is the cryptographic core of server-side encryption: the
// on-disk package format of an encrypted blob, the data keys of SSE-C
// (derived from the customer's key) and of SSE-S3/SSE-KMS (random, sealed
// under a key-encryption key), and the server's root key.
//
// # Blob format
//
// A blob of n plaintext bytes is cut into packages of PackageSize plaintext
// bytes; the last package holds the remainder and is never empty unless the
// whole plaintext is (a plaintext of exactly k*PackageSize bytes has k
// packages, the k-th full and final; an empty plaintext is one empty final
// package). Package i (0-based) is stored as
//
//	AES-256-GCM(dataKey, nonce = NoncePrefix || uint64 big-endian i,
//	            plaintext = chunk i, additional data = {1} if final else {0})
//
// that is, the chunk's ciphertext followed by its TagSize-byte tag, packages
// back to back with no header. The blob's plaintext size, Salt and
// NoncePrefix live in metadata, never beside the bytes. The index in the
// nonce makes a moved package fail, the final flag makes a truncation at a
// package boundary fail, and the tag makes any flipped bit fail.
//
// # Dual-layer format
//
// A dual-layer blob (S3's DSSE-KMS) has two independent data keys, inner
// and outer, and every package is sealed twice with the same nonce and
// additional data: first under the inner key, then the result (chunk
// ciphertext and inner tag) under the outer key, so a package on disk is
// chunk ciphertext, inner tag, outer tag (2*TagSize bytes of overhead).
// Reading opens the outer layer, then the inner; either key alone reveals
// nothing. The two keys are drawn independently, so sharing the nonce
// never reuses a (key, nonce) pair.
//
// Every blob gets its own data key (random for SSE-S3/KMS; derived with the
// blob's random Salt for SSE-C), so a (key, nonce) pair is never reused as
// long as Params are never reused for two blobs: call NewParams per blob.
//
// The package uses only the standard library's primitives.
package sse

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// PackageSize is the plaintext size of every package but the last.
const PackageSize = 64 << 10

// TagSize is the GCM tag appended to each package.
const TagSize = 16

// KeySize is the size of every key this package handles: data keys, KEKs,
// the root key and SSE-C customer keys (AES-256).
const KeySize = 32

// MaxPlainSize is the largest plaintext a blob may hold; it keeps every
// encrypted offset well inside int64 (EncryptedSize(MaxPlainSize) < 2^63).
// It is far above any S3 object or part size.
const MaxPlainSize int64 = 1 << 62

// packageStride is the on-disk size of every package but the last.
const packageStride = PackageSize + TagSize

// ErrTampered reports ciphertext that does not authenticate: flipped bits,
// moved, missing or extra packages, a short blob, or simply the wrong key
// or Params. It never distinguishes between these, on purpose.
var ErrTampered = errors.New("sse: encrypted data is damaged or the key is wrong")

// ErrKeySize is returned when a key argument is not KeySize bytes.
var ErrKeySize = errors.New("sse: key must be 32 bytes")

// ErrSameKeys is returned when the two layers of a dual-layer blob are
// given one key.
var ErrSameKeys = errors.New("sse: the two layers need two different keys")

// EncryptedSize returns the size on disk of a plaintext of n bytes
// (n >= 0; an empty plaintext is one empty final package of TagSize bytes).
// For n < 0 or n > MaxPlainSize it returns -1.
func EncryptedSize(n int64) int64 {
	if n < 0 || n > MaxPlainSize {
		return -1
	}
	return n + packageCount(n)*TagSize
}

// DualEncryptedSize is EncryptedSize for the dual-layer format (two tags
// per package).
func DualEncryptedSize(n int64) int64 {
	if n < 0 || n > MaxPlainSize {
		return -1
	}
	return n + packageCount(n)*2*TagSize
}

// packageCount is the number of packages of a plaintext of n bytes
// (0 <= n <= MaxPlainSize): at least one, since an empty plaintext still
// has its final package.
func packageCount(n int64) int64 {
	if n == 0 {
		return 1
	}
	return (n + PackageSize - 1) / PackageSize
}

// Params are the per-blob values kept in metadata (never beside the bytes):
// Salt is 32 random bytes (the SSE-C key derivation salt; unused, but still
// drawn, for SSE-S3/KMS); NoncePrefix is the 4-byte random nonce prefix.
// Params must never be reused for a second blob.
type Params struct {
	Salt        [32]byte
	NoncePrefix [4]byte
}

// NewParams draws fresh Params from crypto/rand.
func NewParams() (Params, error) {
	var p Params
	if _, err := rand.Read(p.Salt[:]); err != nil {
		return Params{}, fmt.Errorf("sse: params: %w", err)
	}
	if _, err := rand.Read(p.NoncePrefix[:]); err != nil {
		return Params{}, fmt.Errorf("sse: params: %w", err)
	}
	return p, nil
}

// newGCM returns AES-256-GCM under key, which must be KeySize bytes.
func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, ErrKeySize
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("sse: %w", err)
	}
	return cipher.NewGCM(block)
}
