package s3api

import (
	"encoding/xml"
	"reflect"
	"testing"
)

func TestListPartsXMLEquivalent(t *testing.T) {
	r := listPartsResult{
		NS: s3NS, Bucket: "b", Key: `a<b>&"c'` + "\r\n✓", UploadID: "Yz-hh_", PartNumberMarker: 3, NextPartNumberMarker: 10000,
		MaxParts: 1000, IsTruncated: true,
		Initiator: owner{ID: "init", DisplayName: "alice & bob"}, Owner: owner{ID: "own"},
		StorageClass: "STANDARD_IA", ChecksumAlgorithm: "SHA256", ChecksumType: "COMPOSITE",
		Parts: []partEntry{
			{PartNumber: 4, LastModified: "2026-11-24T01:02:03.456Z", ETag: `"abc"`, Size: 5 << 20, checksumFields: checksumFields{ChecksumSHA256: "x+/="}},
			{PartNumber: 10000, LastModified: "2026-11-24T01:02:03.000Z", ETag: `"def"`, Size: 0},
		},
	}
	var fast, std listPartsResult
	if err := xml.Unmarshal(r.appendXML(nil), &fast); err != nil {
		t.Fatalf("hand-written XML does not parse: %v\n%s", err, r.appendXML(nil))
	}
	want, err := xml.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(want, &std); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fast, std) {
		t.Fatalf("hand-written XML differs from encoding/xml:\n fast %+v\n  std %+v", fast, std)
	}
	// Empty page: no Part elements, optional fields omitted.
	r.Parts, r.ChecksumAlgorithm, r.ChecksumType, r.Initiator.DisplayName = nil, "", "", ""
	fast, std = listPartsResult{}, listPartsResult{}
	want, _ = xml.Marshal(r)
	xml.Unmarshal(want, &std)
	if err := xml.Unmarshal(r.appendXML(nil), &fast); err != nil || !reflect.DeepEqual(fast, std) {
		t.Fatalf("empty page differs: %v\n fast %+v\n  std %+v", err, fast, std)
	}
}

func BenchmarkListPartsXML(b *testing.B) {
	r := listPartsResult{NS: s3NS, Bucket: "bucket", Key: "key", UploadID: "id", MaxParts: 1000}
	for i := 1; i <= 1000; i++ {
		r.Parts = append(r.Parts, partEntry{PartNumber: i, LastModified: "2026-11-24T01:02:03.456Z", ETag: `"d41d8cd98f00b204e9800998ecf8427e"`, Size: 5 << 20, checksumFields: checksumFields{ChecksumCRC32: "AAAAAA=="}})
	}
	b.Run("hand", func(b *testing.B) {
		buf := make([]byte, 0, 256<<10)
		for b.Loop() {
			buf = r.appendXML(buf[:0])
		}
	})
	b.Run("encoding-xml", func(b *testing.B) {
		for b.Loop() {
			xml.Marshal(r)
		}
	})
}
