package pebblestore

import (
	"reflect"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/internal/meta"
)

func TestBinaryCodecRoundTrip(t *testing.T) {
	p := meta.Part{UploadID: "up", Number: 10000, BlobID: "0123456789abcdef0123456789abcdef", Size: 5 << 30,
		ETag: "d41d8cd98f00b204e9800998ecf8427e", LastModified: time.Date(2026, 11, 24, 1, 2, 3, 456e6, time.UTC),
		Checksums: meta.Checksums{"CRC64NVME": "AAAAAAAAAAA=", "SHA256": "x"}}
	b, err := encode(p)
	if err != nil || b[0] != binaryV1 {
		t.Fatalf("encode: %v %x", err, b[:1])
	}
	var got meta.Part
	if err := decode(b, &got); err != nil || !reflect.DeepEqual(got, p) {
		t.Fatalf("part round trip: %v\n got %+v\nwant %+v", err, got, p)
	}
	segs := []meta.Segment{{BlobID: "a", Size: 1, PartNumber: 1, ETag: "e1"}, {BlobID: "b", Size: 0, PartNumber: 3, ETag: "e3", Checksums: meta.Checksums{"CRC32": "v"}}}
	b, _ = encode(segs)
	var gotSegs []meta.Segment
	if err := decode(b, &gotSegs); err != nil || !reflect.DeepEqual(gotSegs, segs) {
		t.Fatalf("segments round trip: %v %+v", err, gotSegs)
	}
	// Records written as JSON by earlier versions still read.
	var old meta.Part
	if err := decode([]byte(`{"UploadID":"up","Number":2,"Size":7}`), &old); err != nil || old.Number != 2 || old.Size != 7 {
		t.Fatalf("JSON part: %v %+v", err, old)
	}
	// Truncations are errors, never panics.
	b, _ = encode(p)
	for i := 1; i < len(b); i++ {
		var q meta.Part
		if err := decode(b[:i], &q); err == nil {
			t.Fatalf("truncated at %d decoded", i)
		}
	}
}

func FuzzDecodeBinary(f *testing.F) {
	b, _ := encode(meta.Part{UploadID: "u", Number: 1, Checksums: meta.Checksums{"A": "b"}})
	f.Add(b)
	b, _ = encode([]meta.Segment{{BlobID: "x", PartNumber: 2}})
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		var p meta.Part
		_ = decode(data, &p)
		var s []meta.Segment
		_ = decode(data, &s)
	})
}

func BenchmarkDecodePart(b *testing.B) {
	data, _ := encode(meta.Part{UploadID: "Yz-hhzpIfRI3oM_3vaMVOK8WZw0V5xNh", Number: 42, BlobID: "0123456789abcdef0123456789abcdef",
		Size: 8 << 20, ETag: "d41d8cd98f00b204e9800998ecf8427e", LastModified: time.Now(),
		Checksums: meta.Checksums{"CRC64NVME": "AAAAAAAAAAA=", "CRC32": "AAAAAA=="}})
	for b.Loop() {
		var p meta.Part
		if err := decode(data, &p); err != nil {
			b.Fatal(err)
		}
	}
}
