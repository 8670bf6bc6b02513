package metacodec

import (
	"encoding/binary"
	"encoding/hex"
	"reflect"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/internal/meta"
)

func TestRoundTrip(t *testing.T) {
	p := meta.Part{UploadID: "up", Number: 10000, BlobID: "0123456789abcdef0123456789abcdef", Size: 5 << 30,
		ETag: "d41d8cd98f00b204e9800998ecf8427e", LastModified: time.Date(2026, 11, 24, 1, 2, 3, 456e6, time.UTC),
		Checksums: meta.Checksums{"CRC64NVME": "AAAAAAAAAAA=", "SHA256": "x"}}
	b := AppendPart(nil, &p)
	if b[0] != Version {
		t.Fatalf("version byte %x", b[0])
	}
	var got meta.Part
	if err := DecodePart(b, &got); err != nil || !reflect.DeepEqual(got, p) {
		t.Fatalf("part round trip: %v\n got %+v\nwant %+v", err, got, p)
	}
	segs := []meta.Segment{{BlobID: "a", Size: 1, PartNumber: 1, ETag: "e1"}, {BlobID: "b", Size: 0, PartNumber: 3, ETag: "e3", Checksums: meta.Checksums{"CRC32": "v"}}}
	gotSegs, err := DecodeSegments(AppendSegments(nil, segs))
	if err != nil || !reflect.DeepEqual(gotSegs, segs) {
		t.Fatalf("segments round trip: %v %+v", err, gotSegs)
	}
	if gotSegs, err := DecodeSegments(AppendSegments(nil, nil)); err != nil || gotSegs != nil {
		t.Fatalf("empty manifest: %v %+v", err, gotSegs)
	}
	// Appending leaves what b held.
	if b := AppendPart([]byte("x"), &p); string(b[:2]) != "x\x01" {
		t.Fatalf("AppendPart to a prefix: %q", b[:2])
	}
}

// TestCryptRecords: parts and manifests with encryption records use the
// second version and round-trip them; a manifest mixing plaintext and
// encrypted segments keeps each as it was.
func TestCryptRecords(t *testing.T) {
	p := meta.Part{UploadID: "up", Number: 2, BlobID: "blob", Size: 70000, ETag: "e",
		LastModified: time.Date(2026, 12, 4, 1, 2, 3, 0, time.UTC), Checksums: meta.Checksums{"CRC64NVME": "x"},
		Crypt: []byte{1, 0, 255, 'k'}}
	b := AppendPart(nil, &p)
	if b[0] != VersionCrypt {
		t.Fatalf("version byte %x, want %x", b[0], VersionCrypt)
	}
	var got meta.Part
	if err := DecodePart(b, &got); err != nil || !reflect.DeepEqual(got, p) {
		t.Fatalf("part round trip: %v\n got %+v\nwant %+v", err, got, p)
	}
	if err := DecodePart(b[:len(b)-1], &got); err == nil {
		t.Fatal("a truncated crypt record decoded")
	}
	segs := []meta.Segment{{BlobID: "a", Size: 1, PartNumber: 1, ETag: "e1", Crypt: []byte("sealed")}, {BlobID: "b", Size: 5, PartNumber: 2, ETag: "e2"}}
	enc := AppendSegments(nil, segs)
	gotSegs, err := DecodeSegments(enc)
	if err != nil || enc[0] != VersionCrypt || !reflect.DeepEqual(gotSegs, segs) {
		t.Fatalf("segments round trip: %v %x %+v", err, enc[0], gotSegs)
	}
	// Pinned bytes: version 2, the version-1 fields, then the crypt record.
	const wantPart = "020202757004626c6f62e0c508016580b885b181d2f3ed31010943524336344e564d450178040100ff6b"
	if got := hex.EncodeToString(b); got != wantPart {
		t.Errorf("part\n got %s\nwant %s", got, wantPart)
	}
}

// TestFieldsCovered fails when meta.Part or meta.Segment gains a field,
// which the codec would silently drop: such a field needs a new version.
func TestFieldsCovered(t *testing.T) {
	if n := reflect.TypeFor[meta.Part]().NumField(); n != 8 {
		t.Errorf("meta.Part has %d fields; the codec writes 8", n)
	}
	if n := reflect.TypeFor[meta.Segment]().NumField(); n != 6 {
		t.Errorf("meta.Segment has %d fields; the codec writes 6", n)
	}
}

// TestFormat pins the bytes: records in existing databases must stay
// readable, so the format never changes in place.
func TestFormat(t *testing.T) {
	p := meta.Part{UploadID: "up", Number: 300, BlobID: "blob", Size: -5, ETag: "e",
		LastModified: time.Date(2026, 11, 24, 1, 2, 3, 456e6, time.UTC),
		Checksums:    meta.Checksums{"SHA256": "x", "CRC32": "y"}}
	const wantPart = "01ac0202757004626c6f6209016580c0c592cfdeeaea31020543524333320179065348413235360178"
	if got := hex.EncodeToString(AppendPart(nil, &p)); got != wantPart {
		t.Errorf("part\n got %s\nwant %s", got, wantPart)
	}
	segs := []meta.Segment{{BlobID: "a", Size: 1, PartNumber: 1, ETag: "e1"}, {BlobID: "b", Size: 200, PartNumber: 3, ETag: "e3", Checksums: meta.Checksums{"CRC32": "v"}}}
	const wantSegs = "010201610201026531000162900303026533010543524333320176"
	if got := hex.EncodeToString(AppendSegments(nil, segs)); got != wantSegs {
		t.Errorf("segments\n got %s\nwant %s", got, wantSegs)
	}
}

func TestCorrupt(t *testing.T) {
	p := meta.Part{UploadID: "u", Number: 7, BlobID: "b", ETag: "e", Checksums: meta.Checksums{"A": "b"}}
	b := AppendPart(nil, &p)
	// Truncations are errors, never panics.
	for i := 0; i < len(b); i++ {
		var q meta.Part
		if err := DecodePart(b[:i], &q); err == nil {
			t.Fatalf("part truncated at %d decoded", i)
		}
	}
	s := AppendSegments(nil, []meta.Segment{{BlobID: "x", PartNumber: 2, Checksums: meta.Checksums{"A": "b"}}})
	for i := 0; i < len(s); i++ {
		if _, err := DecodeSegments(s[:i]); err == nil {
			t.Fatalf("segments truncated at %d decoded", i)
		}
	}
	var q meta.Part
	for name, bad := range map[string][]byte{
		"trailing byte":              append(b[:len(b):len(b)], 0),
		"wrong version":              append([]byte{0x02}, b[1:]...),
		"JSON":                       []byte(`{"Number":1}`),
		"overlong uvarint":           {Version, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02},
		"string past the end":        {Version, 1, 5, 'a'},
		"map larger than the record": {Version, 1, 0, 0, 0, 0, 0, 9},
	} {
		if err := DecodePart(bad, &q); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	if _, err := DecodeSegments([]byte{Version, 200, 0}); err == nil {
		t.Error("segment count larger than the record: decoded")
	}
}

// TestUvarint: the decoder's own varint reader accepts exactly what
// encoding/binary does.
func TestUvarint(t *testing.T) {
	for _, in := range [][]byte{
		{0}, {1}, {0x7f}, {0x80, 1}, {0x80, 0}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1},
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2}, {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0},
		{0x80}, {}, binary.AppendUvarint(nil, 1<<63), binary.AppendVarint(nil, -1<<63),
	} {
		checkUvarint(t, in)
	}
}

func checkUvarint(t *testing.T, in []byte) {
	t.Helper()
	want, n := binary.Uvarint(in)
	d := decoder{s: string(in)}
	got := d.uvarint()
	if (n <= 0) != (d.err != nil) || got != want || (n > 0 && len(d.s) != len(in)-n) {
		t.Fatalf("uvarint(%x) = %d, %v, %d left; binary.Uvarint = %d, %d", in, got, d.err, len(d.s), want, n)
	}
}

func FuzzDecodeBinary(f *testing.F) {
	f.Add(AppendPart(nil, &meta.Part{UploadID: "u", Number: 1, Checksums: meta.Checksums{"A": "b"}}))
	f.Add(AppendSegments(nil, []meta.Segment{{BlobID: "x", PartNumber: 2}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 0 {
			checkUvarint(t, data[1:])
		}
		// Whatever decodes re-encodes to a record that decodes the same.
		var p meta.Part
		if DecodePart(data, &p) == nil {
			var q meta.Part
			if err := DecodePart(AppendPart(nil, &p), &q); err != nil || !reflect.DeepEqual(p, q) {
				t.Fatalf("part re-encoding: %v\n%+v\n%+v", err, p, q)
			}
		}
		if segs, err := DecodeSegments(data); err == nil {
			again, err := DecodeSegments(AppendSegments(nil, segs))
			if err != nil || !reflect.DeepEqual(segs, again) {
				t.Fatalf("segments re-encoding: %v\n%+v\n%+v", err, segs, again)
			}
		}
	})
}

func BenchmarkDecodePart(b *testing.B) {
	data := AppendPart(nil, &meta.Part{UploadID: "Yz-hhzpIfRI3oM_3vaMVOK8WZw0V5xNh", Number: 42, BlobID: "0123456789abcdef0123456789abcdef",
		Size: 8 << 20, ETag: "d41d8cd98f00b204e9800998ecf8427e", LastModified: time.Now(),
		Checksums: meta.Checksums{"CRC64NVME": "AAAAAAAAAAA=", "CRC32": "AAAAAA=="}})
	for b.Loop() {
		var p meta.Part
		if err := DecodePart(data, &p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeSegments10000(b *testing.B) {
	segs := make([]meta.Segment, 10000)
	for i := range segs {
		segs[i] = meta.Segment{BlobID: "0123456789abcdef0123456789abcdef", Size: 8 << 20, PartNumber: i + 1,
			ETag: "d41d8cd98f00b204e9800998ecf8427e", Checksums: meta.Checksums{"CRC64NVME": "AAAAAAAAAAA="}}
	}
	data := AppendSegments(nil, segs)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := DecodeSegments(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendSegments10000(b *testing.B) {
	segs := make([]meta.Segment, 10000)
	for i := range segs {
		segs[i] = meta.Segment{BlobID: "0123456789abcdef0123456789abcdef", Size: 8 << 20, PartNumber: i + 1,
			ETag: "d41d8cd98f00b204e9800998ecf8427e", Checksums: meta.Checksums{"CRC64NVME": "AAAAAAAAAAA="}}
	}
	for b.Loop() {
		AppendSegments(nil, segs)
	}
}
