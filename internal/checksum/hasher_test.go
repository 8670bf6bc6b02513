package checksum

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"testing"
)

func TestHasherDefault(t *testing.T) {
	h := NewHasher()
	if _, err := io.WriteString(h, "Hello world"); err != nil {
		t.Fatal(err)
	}
	if got := h.Base64(CRC64NVME); got != "OOJZ0D8xKts=" {
		t.Errorf("CRC64NVME = %s", got)
	}
	if got := h.Base64(MD5); got != "PiWWCnnbxptnTNTsZ6csYg==" {
		t.Errorf("MD5 = %s", got)
	}
	if got := h.MD5Hex(); got != "3e25960a79dbc69b674cd4ec67a72c62" {
		t.Errorf("MD5Hex = %s", got)
	}
	if h.Size() != 11 {
		t.Errorf("Size = %d", h.Size())
	}
	for _, a := range All() {
		if a == MD5 || a == CRC64NVME {
			continue
		}
		if h.Sum(a) != nil || h.Base64(a) != "" {
			t.Errorf("%s reported but not requested", a)
		}
	}
}

// TestHasherAll: a Hasher with every algorithm (and duplicates) matches
// each algorithm's own hash over data written in uneven chunks.
func TestHasherAll(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	data := randBytes(r, 300_001)
	extra := append(All(), MD5, CRC64NVME, SHA256, SHA256)
	h := NewHasher(extra...)
	if len(h.extra) != len(All())-2 {
		t.Fatalf("%d extra hashes, want %d (duplicates not removed)", len(h.extra), len(All())-2)
	}
	for p := data; len(p) > 0; {
		n := min(len(p), 1+r.IntN(70_000))
		if m, err := h.Write(p[:n]); m != n || err != nil {
			t.Fatalf("Write = %d, %v", m, err)
		}
		p = p[n:]
	}
	for _, a := range All() {
		want := a.New()
		want.Write(data)
		if got := h.Sum(a); !bytes.Equal(got, want.Sum(nil)) {
			t.Errorf("%s: Hasher %x, direct %x", a, got, want.Sum(nil))
		}
		if got := h.Base64(a); got != base64.StdEncoding.EncodeToString(want.Sum(nil)) {
			t.Errorf("%s: Base64 %s", a, got)
		}
	}
	sum := md5.Sum(data)
	if h.MD5Hex() != hex.EncodeToString(sum[:]) || h.Size() != int64(len(data)) {
		t.Errorf("MD5Hex %s Size %d", h.MD5Hex(), h.Size())
	}

	h.Reset()
	h.Write([]byte("Hello world"))
	if h.Size() != 11 || h.Base64(CRC64NVME) != "OOJZ0D8xKts=" || h.Base64(SHA1) != "e1AsOh9IyGCa4hLN+2Od7jlnP14=" {
		t.Errorf("after Reset: size %d crc64 %s sha1 %s", h.Size(), h.Base64(CRC64NVME), h.Base64(SHA1))
	}
}

func TestHasherUnknownPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewHasher accepted an unknown algorithm")
		}
	}()
	NewHasher("sha256") // lower case: not a constant, must be Parsed
}
