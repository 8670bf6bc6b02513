package sse

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
)

// HKDF and HMAC labels. Changing any of them changes every derived key:
// bump the version suffix instead.
const (
	customerDataKeyInfo = "tessera sse-c data key v1"
	keyCheckLabel       = "tessera sse-c key check v1"
	kekInfoPrefix       = "tessera kek v1 "
)

// sealVersion is the first byte of a sealed data key.
const sealVersion = 1

// SealedSize is the length of Seal's output: version byte, 12-byte nonce,
// the KeySize-byte data key, and the GCM tag.
const SealedSize = 1 + 12 + KeySize + TagSize

// Errors of ParseCustomerKey, one per S3 check. The caller maps them to S3
// errors (S3 answers 400 InvalidEncryptionAlgorithmError for the algorithm
// and 400 InvalidArgument for the key and its MD5).
var (
	// ErrBadAlgorithm: the algorithm header is not exactly "AES256".
	ErrBadAlgorithm = errors.New("sse: customer key algorithm must be AES256")
	// ErrBadKey: the key header is not base64 of exactly 32 bytes.
	ErrBadKey = errors.New("sse: customer key must be base64 of 32 bytes")
	// ErrBadKeyMD5: the key-MD5 header is not base64 of the key's MD5.
	ErrBadKeyMD5 = errors.New("sse: customer key MD5 does not match the key")
	// ErrMissingKey is wrapped together with ErrBadKey when the key header
	// is empty, since S3 words that case differently.
	ErrMissingKey = errors.New("sse: customer key is missing")
	// ErrMissingKeyMD5 is wrapped together with ErrBadKeyMD5 when the
	// key-MD5 header is empty, since S3 words that case differently.
	ErrMissingKeyMD5 = errors.New("sse: customer key MD5 is missing")
)

// CustomerDataKey derives the data key of one SSE-C blob from the
// customer's key and the blob's salt:
// HKDF-SHA256(secret=customerKey, salt=p.Salt, info="tessera sse-c data key v1"), 32 bytes.
// customerKey must be KeySize bytes (else an error wrapping ErrKeySize).
func CustomerDataKey(customerKey []byte, p Params) ([]byte, error) {
	if len(customerKey) != KeySize {
		return nil, ErrKeySize
	}
	return hkdf.Key(sha256.New, customerKey, p.Salt[:], customerDataKeyInfo, KeySize)
}

// KeyCheck is what Tessera stores to recognise a customer key without
// storing it: MAC = HMAC-SHA256(key=customerKey, msg="tessera sse-c key check v1" || Salt).
// Unlike the MD5 that S3 clients send, it is salted and keyed, so the stored
// value does not let anyone test guesses against a table built in advance.
type KeyCheck struct {
	Salt [16]byte
	MAC  [32]byte
}

// NewKeyCheck draws a fresh 16-byte salt and computes the check of
// customerKey, which must be KeySize bytes.
func NewKeyCheck(customerKey []byte) (KeyCheck, error) {
	if len(customerKey) != KeySize {
		return KeyCheck{}, ErrKeySize
	}
	var k KeyCheck
	if _, err := rand.Read(k.Salt[:]); err != nil {
		return KeyCheck{}, fmt.Errorf("sse: key check: %w", err)
	}
	k.MAC = keyCheckMAC(customerKey, k.Salt)
	return k, nil
}

// Matches reports, in constant time, whether customerKey is the key the
// check was made from. A key of the wrong length never matches.
func (k KeyCheck) Matches(customerKey []byte) bool {
	if len(customerKey) != KeySize {
		return false
	}
	mac := keyCheckMAC(customerKey, k.Salt)
	return hmac.Equal(mac[:], k.MAC[:])
}

func keyCheckMAC(customerKey []byte, salt [16]byte) [32]byte {
	h := hmac.New(sha256.New, customerKey)
	h.Write([]byte(keyCheckLabel))
	h.Write(salt[:])
	var mac [32]byte
	h.Sum(mac[:0])
	return mac
}

// ParseCustomerKey validates the three SSE-C header values as S3 does, in
// S3's order (algorithm, key, MD5), and returns the raw 32-byte key:
// algorithm must be exactly "AES256" (else ErrBadAlgorithm); key must be
// standard base64 of exactly 32 bytes (else ErrBadKey; an empty key also
// wraps ErrMissingKey); keyMD5 must be standard base64 of the MD5 of the raw
// key (else ErrBadKeyMD5; an empty one also wraps ErrMissingKeyMD5). The
// caller decides whether SSE-C was asked for at all (any of the three
// headers present) and maps the sentinels to S3 errors.
func ParseCustomerKey(algorithm, keyB64, keyMD5B64 string) ([]byte, error) {
	// S3 compares the algorithm exactly: "aes256" is refused.
	if algorithm != "AES256" {
		return nil, ErrBadAlgorithm
	}
	if keyB64 == "" {
		return nil, fmt.Errorf("%w: %w", ErrBadKey, ErrMissingKey)
	}
	key, err := base64.StdEncoding.DecodeString(keyB64)
	if err != nil || len(key) != KeySize {
		return nil, ErrBadKey
	}
	if keyMD5B64 == "" {
		return nil, fmt.Errorf("%w: %w", ErrBadKeyMD5, ErrMissingKeyMD5)
	}
	sum, err := base64.StdEncoding.DecodeString(keyMD5B64)
	want := md5.Sum(key)
	if err != nil || subtle.ConstantTimeCompare(sum, want[:]) != 1 {
		return nil, ErrBadKeyMD5
	}
	return key, nil
}

// NewDataKey returns a random KeySize-byte data key for one SSE-S3/SSE-KMS blob.
func NewDataKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("sse: data key: %w", err)
	}
	return k, nil
}

// Seal encrypts dataKey under the key-encryption key kek. Sealed form
// (SealedSize bytes): version byte (1) || 12-byte random nonce ||
// AES-256-GCM(kek, nonce, dataKey, additional data = context). context binds
// the sealed key to what it protects (the caller passes e.g. the KMS key
// ID); Unseal with another kek or context fails. kek and dataKey must be
// KeySize bytes.
func Seal(kek, dataKey, context []byte) ([]byte, error) {
	if len(dataKey) != KeySize {
		return nil, ErrKeySize
	}
	aead, err := newGCM(kek)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+aead.NonceSize(), SealedSize)
	out[0] = sealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("sse: seal: %w", err)
	}
	return aead.Seal(out, out[1:], dataKey, context), nil
}

// Unseal returns the data key sealed by Seal under kek and context. A
// sealed key of the wrong length or version, a flipped byte, another kek or
// another context yields an error wrapping ErrTampered. kek must be KeySize
// bytes (else ErrKeySize).
func Unseal(kek, sealed, context []byte) ([]byte, error) {
	aead, err := newGCM(kek)
	if err != nil {
		return nil, err
	}
	if len(sealed) != SealedSize || sealed[0] != sealVersion {
		return nil, fmt.Errorf("%w: malformed sealed key", ErrTampered)
	}
	nonce := sealed[1 : 1+aead.NonceSize()]
	key, err := aead.Open(nil, nonce, sealed[1+aead.NonceSize():], context)
	if err != nil {
		return nil, fmt.Errorf("%w: sealed key does not authenticate", ErrTampered)
	}
	return key, nil
}

// DeriveKEK derives a named KeySize-byte KEK from the server's root key
// (KeySize bytes): HKDF-SHA256(secret=root, salt=nil, info="tessera kek v1 " + name).
func DeriveKEK(root []byte, name string) ([]byte, error) {
	if len(root) != KeySize {
		return nil, ErrKeySize
	}
	return hkdf.Key(sha256.New, root, nil, kekInfoPrefix+name, KeySize)
}

// KEKRing is one named key-encryption key with all of its versions
// (generations of key material) under one root key. Version 0 is
// DeriveKEK(root, name), the derivation from before versions existed, so
// data sealed then still opens; version v > 0 is DeriveKEK(root, name +
// " version " + v). Rotating a key adds a version; earlier versions stay
// derivable, so a data key sealed under any of them still opens.
type KEKRing struct {
	root []byte
	name string
	// Current is the version new data keys are sealed under.
	Current uint32
}

// NewKEKRing returns the ring of the KEK called name under root, whose
// newest version is current.
func NewKEKRing(root []byte, name string, current uint32) KEKRing {
	return KEKRing{root: root, name: name, Current: current}
}

// KEK derives the ring's key-encryption key at a version.
func (r KEKRing) KEK(version uint32) ([]byte, error) {
	if version == 0 {
		return DeriveKEK(r.root, r.name)
	}
	return DeriveKEK(r.root, fmt.Sprintf("%s version %d", r.name, version))
}

// WithRoot is the same ring (name and versions) under another root key:
// what root key rotation re-seals from.
func (r KEKRing) WithRoot(root []byte) KEKRing {
	r.root = root
	return r
}
