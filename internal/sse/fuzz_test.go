package sse

import (
	"bytes"
	"crypto/cipher"
	"encoding/binary"
	"io"
	"testing"
)

// FuzzReader feeds arbitrary ciphertext, plaintext size and range to the
// reader under a fixed key. It must never panic, and whenever it hands out
// bytes without an error, every package it covered must authenticate under
// an independent crypto/cipher check and the bytes must be that plaintext.
//
// The blob read is head%3 authentic full non-final packages followed by the
// fuzzed bytes tail. The head lets multi-package blobs be explored while the
// fuzzed input stays small: the fuzzer's minimizer is quadratic-ish in input
// size, and a 64 KiB input stalls a run for minutes.
func FuzzReader(f *testing.F) {
	const maxHead = 3
	head := encrypt(f, testKey, testParams, pattern(maxHead*PackageSize+1), 4096)
	for k := range maxHead {
		for _, m := range []int{0, 1, 40} {
			if k > 0 && m == 0 {
				continue // k*PackageSize bytes end with a full final package, not in the head
			}
			size := int64(k*PackageSize + m)
			tail := encrypt(f, testKey, testParams, pattern(int(size)), 4096)[k*(PackageSize+TagSize):]
			f.Add(tail, uint8(k), size, int64(0), size)
			f.Add(tail, uint8(k), size, size/2, size-size/2)
			f.Add(tail[:len(tail)/2], uint8(k), size, int64(0), size)
		}
	}
	aead, err := newGCM(testKey)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, tail []byte, k uint8, plainSize, off, n int64) {
		ct := append(bytes.Clone(head[:int(k%maxHead)*(PackageSize+TagSize)]), tail...)
		r, err := NewReader(bytes.NewReader(ct), testKey, testParams, plainSize, off, n)
		if err != nil {
			return
		}
		got, err := io.ReadAll(r)
		if int64(len(got)) > n {
			t.Fatalf("handed out %d bytes of a %d-byte range", len(got), n)
		}
		if err != nil {
			return
		}
		if int64(len(got)) != n {
			t.Fatalf("no error but %d of %d bytes", len(got), n)
		}
		if n == 0 {
			return
		}
		want := authenticRange(t, aead, ct, plainSize, off, n)
		if !bytes.Equal(got, want) {
			t.Fatal("handed out bytes that are not the authentic plaintext")
		}
	})
}

// authenticRange independently decrypts the packages covering
// [off, off+n), failing the test if any of them does not authenticate.
func authenticRange(t *testing.T, aead cipher.AEAD, ct []byte, plainSize, off, n int64) []byte {
	last := packageCount(plainSize) - 1
	if off+n == plainSize && int64(len(ct)) != EncryptedSize(plainSize) {
		t.Fatalf("read the last package of a %d-byte blob that should be %d", len(ct), EncryptedSize(plainSize))
	}
	var plain []byte
	for i := off / PackageSize; i <= (off+n-1)/PackageSize; i++ {
		start := i * (PackageSize + TagSize)
		end := min(start+PackageSize+TagSize, EncryptedSize(plainSize))
		if end > int64(len(ct)) {
			t.Fatalf("package %d is past the end of the blob", i)
		}
		nonce := make([]byte, 12)
		copy(nonce, testParams.NoncePrefix[:])
		binary.BigEndian.PutUint64(nonce[4:], uint64(i))
		ad := []byte{0}
		if i == last {
			ad[0] = 1
		}
		p, err := aead.Open(nil, nonce, ct[start:end], ad)
		if err != nil {
			t.Fatalf("package %d does not authenticate, yet the reader handed it out", i)
		}
		plain = append(plain, p...)
	}
	base := off / PackageSize * PackageSize
	return plain[off-base : off-base+n]
}
