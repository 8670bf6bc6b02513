package sse

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"testing"
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// Known answers computed independently with Python's cryptography HKDF and
// hmac, from the derivations as documented.
func TestDerivationsKnownAnswer(t *testing.T) {
	customerKey := seq(100, 32)
	dk, err := CustomerDataKey(customerKey, testParams)
	if err != nil {
		t.Fatal(err)
	}
	if want := mustHex("90d39c1dd86456d6505e683a4c0d2672ccb910ae4d199691d48923900660fb7b"); !bytes.Equal(dk, want) {
		t.Errorf("CustomerDataKey = %x, want %x", dk, want)
	}
	kc := KeyCheck{Salt: [16]byte(seq(0, 16))}
	kc.MAC = keyCheckMAC(customerKey, kc.Salt)
	if want := mustHex("f38498ed49ef110aefbbb982a94645147930c5af75f33d2d6b95537386c423ed"); !bytes.Equal(kc.MAC[:], want) {
		t.Errorf("key check MAC = %x, want %x", kc.MAC, want)
	}
	kek, err := DeriveKEK(seq(200, 32), "sse-s3")
	if err != nil {
		t.Fatal(err)
	}
	if want := mustHex("cb8f03359cf441a3293ed44e401c85b273f4047915a960f6a5ad70141e9b8770"); !bytes.Equal(kek, want) {
		t.Errorf("DeriveKEK = %x, want %x", kek, want)
	}
}

func TestDerivationsSeparate(t *testing.T) {
	ck := seq(100, 32)
	a, _ := CustomerDataKey(ck, testParams)
	other := testParams
	other.Salt[5] ^= 1
	b, _ := CustomerDataKey(ck, other)
	if bytes.Equal(a, b) {
		t.Error("CustomerDataKey ignores the salt")
	}
	k1, _ := DeriveKEK(seq(200, 32), "sse-s3")
	k2, _ := DeriveKEK(seq(200, 32), "sse-kms")
	if bytes.Equal(k1, k2) {
		t.Error("DeriveKEK ignores the name")
	}
	for _, bad := range [][]byte{nil, seq(0, 16), seq(0, 33)} {
		if _, err := CustomerDataKey(bad, testParams); !errors.Is(err, ErrKeySize) {
			t.Errorf("CustomerDataKey(%d bytes): %v", len(bad), err)
		}
		if _, err := DeriveKEK(bad, "x"); !errors.Is(err, ErrKeySize) {
			t.Errorf("DeriveKEK(%d bytes): %v", len(bad), err)
		}
		if _, err := NewKeyCheck(bad); !errors.Is(err, ErrKeySize) {
			t.Errorf("NewKeyCheck(%d bytes): %v", len(bad), err)
		}
	}
}

func TestKeyCheck(t *testing.T) {
	key, other := seq(1, 32), seq(2, 32)
	a, err := NewKeyCheck(key)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewKeyCheck(key)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Matches(key) || !b.Matches(key) {
		t.Error("a key check does not match its own key")
	}
	if a.Matches(other) || a.Matches(key[:31]) || a.Matches(nil) {
		t.Error("a key check matches another key")
	}
	if a.Salt == b.Salt || a.MAC == b.MAC {
		t.Error("two key checks of one key share a salt or MAC")
	}
}

func TestParseCustomerKey(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString
	// aws-cli#6906: real S3 answered SSECustomerKeyMD5 "ezatpv/Yg0KkjX+5ZcsxdQ==" for the
	// raw key "testaes256testaes256testaes25612": base64 of the binary MD5 of the raw key.
	awsKey := []byte("testaes256testaes256testaes25612")
	awsMD5 := "ezatpv/Yg0KkjX+5ZcsxdQ=="
	// ministack#1439: a pair its author runs identically against S3 (base64 of 32 random
	// bytes, base64 MD5 of those raw bytes).
	msKey, msMD5 := "pO3upElrwuEXSoFwCfnZPdSsmt/xWeFa0N9KgDijwVs=", "DWygnHRtgiJ77HCm+1rvHw=="
	short := seq(0, 16)
	long := seq(0, 33)
	md5Of := func(k []byte) string { s := md5.Sum(k); return b64(s[:]) }

	for _, c := range []struct {
		name          string
		alg, key, md5 string
		want          error // nil: accepted
		alsoWant      error
		wantKey       []byte
	}{
		{"aws-cli#6906 pair", "AES256", b64(awsKey), awsMD5, nil, nil, awsKey},
		{"ministack#1439 pair", "AES256", msKey, msMD5, nil, nil, nil},
		// S3 docs: "This value must be set to the string AES256" (exact; most plausible
		// that S3 compares case-sensitively, as it does for x-amz-server-side-encryption).
		{"lower-case algorithm", "aes256", b64(awsKey), awsMD5, ErrBadAlgorithm, nil, nil},
		{"other algorithm", "aws:kms", b64(awsKey), awsMD5, ErrBadAlgorithm, nil, nil},
		{"empty algorithm", "", b64(awsKey), awsMD5, ErrBadAlgorithm, nil, nil},
		{"algorithm checked first", "AES128", "!!", "", ErrBadAlgorithm, nil, nil},
		// S3 docs: the key is the base64 of a 256-bit key.
		{"16-byte key", "AES256", b64(short), md5Of(short), ErrBadKey, nil, nil},
		{"33-byte key", "AES256", b64(long), md5Of(long), ErrBadKey, nil, nil},
		{"raw key not base64", "AES256", string(awsKey), awsMD5, ErrBadKey, nil, nil},
		{"bad base64", "AES256", "not*base64*at*all", awsMD5, ErrBadKey, nil, nil},
		{"unpadded base64", "AES256", b64(awsKey)[:43], awsMD5, ErrBadKey, nil, nil},
		{"empty key", "AES256", "", awsMD5, ErrBadKey, ErrMissingKey, nil},
		// S3 docs: the MD5 is the base64 of the 128-bit MD5 digest of the raw key.
		{"MD5 of another key", "AES256", b64(awsKey), md5Of(short), ErrBadKeyMD5, nil, nil},
		{"hex MD5", "AES256", b64(awsKey), "7b36ada6ffd88342a48d7fb965cb3175", ErrBadKeyMD5, nil, nil},
		{"MD5 of the base64 text", "AES256", b64(awsKey), md5Of([]byte(b64(awsKey))), ErrBadKeyMD5, nil, nil},
		{"MD5 bad base64", "AES256", b64(awsKey), "***", ErrBadKeyMD5, nil, nil},
		{"empty MD5", "AES256", b64(awsKey), "", ErrBadKeyMD5, ErrMissingKeyMD5, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			key, err := ParseCustomerKey(c.alg, c.key, c.md5)
			if c.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if len(key) != KeySize || c.wantKey != nil && !bytes.Equal(key, c.wantKey) {
					t.Fatalf("key = %x", key)
				}
				return
			}
			if !errors.Is(err, c.want) || key != nil {
				t.Fatalf("got %x, %v; want %v", key, err, c.want)
			}
			if c.alsoWant != nil && !errors.Is(err, c.alsoWant) {
				t.Fatalf("got %v; want it to wrap %v too", err, c.alsoWant)
			}
		})
	}
}

func TestSealUnseal(t *testing.T) {
	kek := seq(7, 32)
	dk, err := NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	ctx := []byte("arn:tessera:kms:key-1")
	sealed, err := Seal(kek, dk, ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sealed) != SealedSize || sealed[0] != 1 {
		t.Fatalf("sealed form is %d bytes, version %d", len(sealed), sealed[0])
	}
	got, err := Unseal(kek, sealed, ctx)
	if err != nil || !bytes.Equal(got, dk) {
		t.Fatalf("Unseal = %x, %v; want %x", got, err, dk)
	}
	again, _ := Seal(kek, dk, ctx)
	if bytes.Equal(again, sealed) {
		t.Error("two seals of one key are identical: the nonce is not random")
	}

	otherKEK := seq(8, 32)
	flip := func(i int) []byte { b := bytes.Clone(sealed); b[i] ^= 0x80; return b }
	for _, c := range []struct {
		name   string
		kek, s []byte
		ctx    []byte
	}{
		{"wrong kek", otherKEK, sealed, ctx},
		{"wrong context", kek, sealed, []byte("arn:tessera:kms:key-2")},
		{"empty context", kek, sealed, nil},
		{"flipped version", kek, flip(0), ctx},
		{"flipped nonce", kek, flip(1), ctx},
		{"flipped key byte", kek, flip(20), ctx},
		{"flipped tag", kek, flip(SealedSize - 1), ctx},
		{"truncated", kek, sealed[:SealedSize-1], ctx},
		{"extended", kek, append(bytes.Clone(sealed), 0), ctx},
		{"empty", kek, nil, ctx},
	} {
		if k, err := Unseal(c.kek, c.s, c.ctx); !errors.Is(err, ErrTampered) || k != nil {
			t.Errorf("%s: Unseal = %x, %v; want ErrTampered", c.name, k, err)
		}
	}
	if _, err := Seal(kek[:16], dk, ctx); !errors.Is(err, ErrKeySize) {
		t.Errorf("Seal with a 16-byte kek: %v", err)
	}
	if _, err := Seal(kek, dk[:16], ctx); !errors.Is(err, ErrKeySize) {
		t.Errorf("Seal of a 16-byte data key: %v", err)
	}
	if _, err := Unseal(kek[:16], sealed, ctx); !errors.Is(err, ErrKeySize) {
		t.Errorf("Unseal with a 16-byte kek: %v", err)
	}
}

func TestNewDataKey(t *testing.T) {
	a, err := NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewDataKey()
	if len(a) != KeySize || bytes.Equal(a, b) {
		t.Errorf("NewDataKey: %x then %x", a, b)
	}
}

// TestKEKRing: version 0 is the derivation data was sealed under before
// versions existed; every version and every root gives another KEK; a ring
// under another root derives that root's keys.
func TestKEKRing(t *testing.T) {
	rootA, rootB := bytes.Repeat([]byte{1}, KeySize), bytes.Repeat([]byte{2}, KeySize)
	ring := NewKEKRing(rootA, "kms key k1", 2)
	v0, err := ring.KEK(0)
	if err != nil {
		t.Fatal(err)
	}
	legacy, _ := DeriveKEK(rootA, "kms key k1")
	if !bytes.Equal(v0, legacy) {
		t.Fatal("version 0 must be the unversioned derivation")
	}
	seen := map[string]bool{string(v0): true}
	for _, k := range []func() ([]byte, error){
		func() ([]byte, error) { return ring.KEK(1) },
		func() ([]byte, error) { return ring.KEK(2) },
		func() ([]byte, error) { return ring.WithRoot(rootB).KEK(0) },
		func() ([]byte, error) { return ring.WithRoot(rootB).KEK(2) },
		func() ([]byte, error) { return NewKEKRing(rootA, "kms key k2", 0).KEK(1) },
	} {
		b, err := k()
		if err != nil {
			t.Fatal(err)
		}
		if seen[string(b)] {
			t.Fatal("two ring entries derived the same KEK")
		}
		seen[string(b)] = true
	}
	if again, _ := ring.WithRoot(rootB).WithRoot(rootA).KEK(2); !seen[string(again)] {
		t.Fatal("WithRoot back to the first root must give the first root's KEK")
	}
	if _, err := NewKEKRing([]byte{1}, "x", 0).KEK(0); err == nil {
		t.Fatal("a short root must be refused")
	}
}
