package checksum

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"testing"
)

// knownAnswers holds base64 digests per input. "Hello world" CRC32, CRC32C,
// CRC64NVME, SHA1 and SHA256 are the S3 vectors from the landscape doc
// (3.21). The rest were computed outside Go: MD5/SHA* with Python's
// hashlib, XXH64/XXH3/XXH3-128 with the reference C libxxhash 0.8.1 (via
// ctypes, canonical big-endian), CRCs with a bitwise reference.
var knownAnswers = []struct {
	name string
	in   []byte
	want map[Algorithm]string
}{
	{"HelloWorld", []byte("Hello world"), map[Algorithm]string{
		CRC32:     "i9aeUg==",
		CRC32C:    "crUfeA==",
		CRC64NVME: "OOJZ0D8xKts=",
		SHA1:      "e1AsOh9IyGCa4hLN+2Od7jlnP14=",
		SHA256:    "ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=",
		MD5:       "PiWWCnnbxptnTNTsZ6csYg==",
		SHA512:    "t/eDuu2Cl/DbkXRiGE/08I5pwtXl95qUJgD5cl9Yzh8pwYE5v4CwbA//K900c4RS7PQMSIwip+PYDN9vnBwNRw==",
		XXHASH64:  "xQCwyRKzdtg=",
		XXHASH3:   "tqy52Eo4/3Q=",
		XXHASH128: "c1H4mBL5c4K5HQWzHgTdfw==",
	}},
	{"Empty", nil, map[Algorithm]string{
		CRC32:     "AAAAAA==",
		CRC32C:    "AAAAAA==",
		CRC64NVME: "AAAAAAAAAAA=",
		SHA1:      "2jmj7l5rSw0yVb/vlWAYkK/YBwk=",
		SHA256:    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
		MD5:       "1B2M2Y8AsgTpgAmY7PhCfg==",
		SHA512:    "z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==",
		XXHASH64:  "70bbN1HY6Zk=",
		XXHASH3:   "LQaABTjTlMI=",
		XXHASH128: "maoG0wFHmNhgAcMkRo1Jfw==",
	}},
	// "123456789" is the CRC catalogue check string: CRC32 0xCBF43926,
	// CRC32C 0xE3069283, CRC64NVME 0xAE8B14860A799888.
	{"Check", []byte("123456789"), map[Algorithm]string{
		CRC32:     b64hex("cbf43926"),
		CRC32C:    b64hex("e3069283"),
		CRC64NVME: b64hex("ae8b14860a799888"),
		SHA1:      "98O8HYCOBHMq32eZZczDTKeuNEE=",
		SHA256:    "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=",
		MD5:       "JfnnlDI7RTiF9RgfG2JNCw==",
		SHA512:    "2eZ2LdHI6vbWGzxhkvxAjU1tXxF20MKRabwk5xw/J0rSf81YEbMT1oH35V7ALXPUmclUVba1u1A6z1dPuo/+hQ==",
		XXHASH64:  "jLhB20DmroM=",
		XXHASH3:   "ctyxi2ehff8=",
		XXHASH128: "MxGUd+3l3NXpcWQnaB1YYA==",
	}},
	// A long input exercises the bulk loops (CRC slicing, XXH3 stripes).
	{"5MiB-A", bytes.Repeat([]byte("A"), 5<<20), map[Algorithm]string{
		SHA1:      "iIaTCGbm+vdVjNqIMF2S0T7ibMk=",
		SHA256:    "275VF5loJr1YYawit0XSHREhkFXYkkPKGuoK0x9VKxI=",
		MD5:       "uPyFeiXnlYhowvAD1eCVLQ==",
		SHA512:    "bSuHg8pnhOy8f0iO1MWr/KsuUF6BO+ZoH4501A8Nq+/BV2qW99WyckU3tppblsNZMRrOS59lvtK2cFlHD8h7CQ==",
		XXHASH64:  "uXYKj9tQzeE=",
		XXHASH3:   "Ywl+52vpzqE=",
		XXHASH128: "/ua/PkXRaphjCX7na+nOoQ==",
	}},
}

func b64hex(h string) string {
	b, err := hex.DecodeString(h)
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func TestKnownAnswers(t *testing.T) {
	for _, tc := range knownAnswers {
		for a, want := range tc.want {
			h := a.New()
			h.Write(tc.in)
			if got := base64.StdEncoding.EncodeToString(h.Sum(nil)); got != want {
				t.Errorf("%s %s = %s, want %s", tc.name, a, got, want)
			}
		}
	}
	// Every algorithm has at least one vector.
	for _, a := range All() {
		if _, ok := knownAnswers[0].want[a]; !ok {
			t.Errorf("no known answer for %s", a)
		}
	}
}

// TestStreamingChunks feeds data in random-sized writes (crossing every
// internal block boundary) and checks the result equals one Write.
func TestStreamingChunks(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 70_000)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	for _, a := range All() {
		whole := a.New()
		whole.Write(data)
		want := whole.Sum(nil)
		h := a.New()
		for p := data; len(p) > 0; {
			n := min(len(p), r.IntN(300))
			h.Write(p[:n])
			p = p[n:]
		}
		if got := h.Sum(nil); !bytes.Equal(got, want) {
			t.Errorf("%s: chunked %x, whole %x", a, got, want)
		}
		if len(want) != a.Size() || h.Size() != a.Size() {
			t.Errorf("%s: digest %d bytes, hash.Size %d, Size() %d", a, len(want), h.Size(), a.Size())
		}
		h.Reset()
		if got, empty := h.Sum(nil), a.New().Sum(nil); !bytes.Equal(got, empty) {
			t.Errorf("%s: Reset gives %x, want %x", a, got, empty)
		}
	}
}

func TestAlgorithmTable(t *testing.T) {
	want := []struct {
		a      Algorithm
		size   int
		header string
		crc    bool
	}{
		{CRC32, 4, "x-amz-checksum-crc32", true},
		{CRC32C, 4, "x-amz-checksum-crc32c", true},
		{CRC64NVME, 8, "x-amz-checksum-crc64nvme", true},
		{SHA1, 20, "x-amz-checksum-sha1", false},
		{SHA256, 32, "x-amz-checksum-sha256", false},
		{MD5, 16, "x-amz-checksum-md5", false},
		{SHA512, 64, "x-amz-checksum-sha512", false},
		{XXHASH64, 8, "x-amz-checksum-xxhash64", false},
		{XXHASH3, 8, "x-amz-checksum-xxhash3", false},
		{XXHASH128, 16, "x-amz-checksum-xxhash128", false},
	}
	all := All()
	if len(all) != len(want) {
		t.Fatalf("All() has %d algorithms, want %d", len(all), len(want))
	}
	for i, w := range want {
		if all[i] != w.a {
			t.Errorf("All()[%d] = %s, want %s", i, all[i], w.a)
		}
		if w.a.Size() != w.size || w.a.Header() != w.header || w.a.IsCRC() != w.crc {
			t.Errorf("%s: Size %d Header %q IsCRC %v", w.a, w.a.Size(), w.a.Header(), w.a.IsCRC())
		}
	}
	all[0] = "mutated"
	if All()[0] != CRC32 {
		t.Error("All returned shared storage")
	}
	bogus := Algorithm("crc32") // not canonical: must go through Parse
	if bogus.New() != nil || bogus.Size() != 0 || bogus.Header() != "" || bogus.IsCRC() || bogus.Valid("AAAAAA==") {
		t.Error("non-canonical Algorithm value treated as valid")
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Algorithm
		ok   bool
	}{
		{"CRC32", CRC32, true},
		{"crc32", CRC32, true},
		{"crc32c", CRC32C, true},
		{"Crc32C", CRC32C, true},
		{"crc64nvme", CRC64NVME, true},
		{"CRC64NVME", CRC64NVME, true},
		{"sha1", SHA1, true},
		{"SHA256", SHA256, true},
		{"md5", MD5, true},
		{"sha512", SHA512, true},
		{"xxhash64", XXHASH64, true},
		{"XXHASH3", XXHASH3, true},
		{"XxHash128", XXHASH128, true},
		{"", "", false},
		{"crc", "", false},
		{"sha-256", "", false},
		{" crc32", "", false},
		{"crc32 ", "", false},
		{"CRC64", "", false},
		{"xxh3", "", false},
	}
	for _, tc := range tests {
		got, ok := Parse(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Parse(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	for _, a := range All() {
		if got, ok := Parse(strings.ToLower(string(a))); !ok || got != a {
			t.Errorf("Parse(lower %s) = %q, %v", a, got, ok)
		}
	}
}

func TestTypes(t *testing.T) {
	tests := []struct {
		a         Algorithm
		def       string
		composite bool
		full      bool
	}{
		{CRC32, Composite, true, true},
		{CRC32C, Composite, true, true},
		{CRC64NVME, FullObject, false, true},
		{SHA1, Composite, true, false},
		{SHA256, Composite, true, false},
		{MD5, Composite, true, false},
		{SHA512, Composite, true, false},
		{XXHASH64, Composite, true, false},
		{XXHASH3, Composite, true, false},
		{XXHASH128, Composite, true, false},
	}
	for _, tc := range tests {
		if got := DefaultType(tc.a); got != tc.def {
			t.Errorf("DefaultType(%s) = %s, want %s", tc.a, got, tc.def)
		}
		if !TypeAllowed(tc.a, DefaultType(tc.a)) {
			t.Errorf("%s: default type %s not allowed", tc.a, DefaultType(tc.a))
		}
		if got := TypeAllowed(tc.a, Composite); got != tc.composite {
			t.Errorf("TypeAllowed(%s, COMPOSITE) = %v", tc.a, got)
		}
		if got := TypeAllowed(tc.a, FullObject); got != tc.full {
			t.Errorf("TypeAllowed(%s, FULL_OBJECT) = %v", tc.a, got)
		}
		for _, bad := range []string{"", "composite", "full_object", "FULL"} {
			if TypeAllowed(tc.a, bad) {
				t.Errorf("TypeAllowed(%s, %q) = true", tc.a, bad)
			}
		}
	}
	if TypeAllowed("NOPE", Composite) || TypeAllowed("NOPE", FullObject) {
		t.Error("unknown algorithm allowed")
	}
}

func TestValid(t *testing.T) {
	tests := []struct {
		a    Algorithm
		in   string
		want bool
	}{
		{CRC32, "i9aeUg==", true},
		{CRC32, "i9aeUg=", false},      // bad padding
		{CRC32, "i9aeUg", false},       // unpadded
		{CRC32, "i9aeUh==", false},     // non-canonical trailing bits
		{CRC32, "i9ae", false},         // 3 bytes
		{CRC32, "i9aeUgAA", false},     // 6 bytes
		{CRC32, "i9a_Ug==", false},     // URL alphabet
		{CRC32, "OOJZ0D8xKts=", false}, // a CRC64 value
		{CRC32C, "crUfeA==", true},
		{CRC64NVME, "OOJZ0D8xKts=", true},
		{CRC64NVME, "OOJZ0D8xKts", false},
		{SHA1, "e1AsOh9IyGCa4hLN+2Od7jlnP14=", true},
		{SHA256, "ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=", true},
		{SHA256, "e1AsOh9IyGCa4hLN+2Od7jlnP14=", false},
		{SHA256, "ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfz\nw=", false},
		{MD5, "PiWWCnnbxptnTNTsZ6csYg==", true},
		{XXHASH128, "c1H4mBL5c4K5HQWzHgTdfw==", true},
		{SHA512, "", false},
		{"BOGUS", "", false},
	}
	for _, tc := range tests {
		if got := tc.a.Valid(tc.in); got != tc.want {
			t.Errorf("%s.Valid(%q) = %v, want %v", tc.a, tc.in, got, tc.want)
		}
		raw, ok := tc.a.Decode(tc.in)
		if ok != tc.want || (ok && base64.StdEncoding.EncodeToString(raw) != tc.in) {
			t.Errorf("%s.Decode(%q) = %x, %v", tc.a, tc.in, raw, ok)
		}
	}
}
