package engine

import (
	"bytes"
	"testing"
)

// TestCryptRecordFormats: a version-0 record keeps format 1, byte for byte
// the layout written before key versions existed (so nothing stored
// changes meaning); a later version uses format 2; both parse back;
// malformed records are refused.
func TestCryptRecordFormats(t *testing.T) {
	var r cryptRecord
	r.mode = cryptModeKMS
	r.params.Salt[0], r.params.NoncePrefix[3] = 0xAA, 0xBB
	r.sealed = bytes.Repeat([]byte{0x5C}, 61)

	v1 := r.bytes()
	legacy := append(append(append([]byte{cryptV1, cryptModeKMS}, r.params.Salt[:]...), r.params.NoncePrefix[:]...), r.sealed...)
	if !bytes.Equal(v1, legacy) {
		t.Fatalf("version-0 record is not the format-1 layout")
	}
	r.version = 7
	v2 := r.bytes()
	if v2[0] != cryptV2 || len(v2) != len(v1)+4 || !bytes.Equal(v2[cryptHeadLen:cryptHeadLen+4], []byte{0, 0, 0, 7}) {
		t.Fatalf("format-2 record % x", v2[:cryptHeadLen+4])
	}
	for _, tc := range []struct {
		rec     []byte
		version uint32
	}{{v1, 0}, {v2, 7}} {
		got, err := parseCrypt(tc.rec)
		if err != nil || got.version != tc.version || got.mode != cryptModeKMS || got.params != r.params || !bytes.Equal(got.sealed, r.sealed) {
			t.Fatalf("parse(format %d) = %+v, %v", tc.rec[0], got, err)
		}
	}
	ssec := cryptRecord{mode: cryptModeC, params: r.params}
	if got, err := parseCrypt(ssec.bytes()); err != nil || got.sealed != nil || len(ssec.bytes()) != cryptHeadLen {
		t.Fatalf("SSE-C record: %+v, %v", got, err)
	}
	for _, bad := range [][]byte{nil, v1[:cryptHeadLen-1], v2[:cryptHeadLen+2], append([]byte{0x03}, v1[1:]...)} {
		if _, err := parseCrypt(bad); err == nil {
			t.Errorf("parseCrypt(% x…) accepted a malformed record", bad[:min(len(bad), 4)])
		}
	}
}
