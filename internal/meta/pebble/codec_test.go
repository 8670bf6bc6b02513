package pebblestore

import (
	"reflect"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/meta/metacodec"
)

// TestCodecDispatch: parts and manifests are stored in metacodec's binary
// form, everything else as JSON, and JSON records of earlier versions still
// read. The binary form itself is tested in metacodec.
func TestCodecDispatch(t *testing.T) {
	p := meta.Part{UploadID: "up", Number: 3, BlobID: "blob", Size: 7, ETag: "e",
		LastModified: time.Date(2026, 11, 24, 1, 2, 3, 456e6, time.UTC), Checksums: meta.Checksums{"CRC32": "v"}}
	for _, v := range []any{p, &p} {
		b, err := encode(v)
		if err != nil || b[0] != metacodec.Version {
			t.Fatalf("encode(%T): %v %x", v, err, b[:1])
		}
		var got meta.Part
		if err := decode(b, &got); err != nil || !reflect.DeepEqual(got, p) {
			t.Fatalf("part round trip: %v\n got %+v\nwant %+v", err, got, p)
		}
	}
	segs := []meta.Segment{{BlobID: "a", Size: 1, PartNumber: 1, ETag: "e1"}}
	b, _ := encode(segs)
	var gotSegs []meta.Segment
	if b[0] != metacodec.Version || decode(b, &gotSegs) != nil || !reflect.DeepEqual(gotSegs, segs) {
		t.Fatalf("segments round trip: %x %+v", b[:1], gotSegs)
	}
	var old meta.Part
	if err := decode([]byte(`{"UploadID":"up","Number":2,"Size":7}`), &old); err != nil || old.Number != 2 || old.Size != 7 {
		t.Fatalf("JSON part: %v %+v", err, old)
	}
	var oldSegs []meta.Segment
	if err := decode([]byte(`[{"BlobID":"a","PartNumber":1}]`), &oldSegs); err != nil || len(oldSegs) != 1 || oldSegs[0].BlobID != "a" {
		t.Fatalf("JSON segments: %v %+v", err, oldSegs)
	}
	// Other records stay JSON, and a binary record does not decode as one.
	if b, _ := encode(meta.Bucket{Name: "b"}); b[0] != '{' {
		t.Fatalf("bucket encoded as %q", b)
	}
	var bk meta.Bucket
	if err := decode(b, &bk); err == nil {
		t.Fatal("binary record decoded as a bucket")
	}
	if err := decode(b[:len(b)-1], &gotSegs); err == nil {
		t.Fatal("truncated manifest decoded")
	}
}
