package pebblestore

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/tessera-s3/tessera/internal/meta"
)

// Values are JSON — self-describing, tolerant of added fields, easy to
// inspect — except the two records that come by the thousand on the
// multipart hot paths: parts (ListParts pages, CompleteUpload reads every
// part) and manifests (a 10,000-segment object). Those use a compact binary
// form that starts with a version byte; JSON never starts with a byte
// below 0x20, so decode tells the two apart and reads either.

const binaryV1 = 0x01

func encode(v any) ([]byte, error) {
	switch x := v.(type) {
	case meta.Part:
		return appendPart([]byte{binaryV1}, &x), nil
	case *meta.Part:
		return appendPart([]byte{binaryV1}, x), nil
	case []meta.Segment:
		return appendSegments([]byte{binaryV1}, x), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("pebblestore: encode %T: %w", v, err)
	}
	return b, nil
}

func decode(b []byte, v any) error {
	if len(b) > 0 && b[0] == binaryV1 {
		d := decoder{b: b[1:]}
		switch x := v.(type) {
		case *meta.Part:
			d.part(x)
		case *[]meta.Segment:
			*x = d.segments()
		default:
			return fmt.Errorf("pebblestore: decode %T: binary record for a JSON type", v)
		}
		if d.err != nil || len(d.b) != 0 {
			return fmt.Errorf("pebblestore: decode %T: corrupt binary record", v)
		}
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("pebblestore: decode %T: %w", v, err)
	}
	return nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendChecksums writes the map in sorted order so equal maps encode equally.
func appendChecksums(b []byte, c meta.Checksums) []byte {
	b = binary.AppendUvarint(b, uint64(len(c)))
	algs := make([]string, 0, len(c))
	for a := range c {
		algs = append(algs, a)
	}
	sort.Strings(algs)
	for _, a := range algs {
		b = appendString(b, a)
		b = appendString(b, c[a])
	}
	return b
}

func appendPart(b []byte, p *meta.Part) []byte {
	b = binary.AppendUvarint(b, uint64(p.Number))
	b = appendString(b, p.UploadID)
	b = appendString(b, p.BlobID)
	b = binary.AppendVarint(b, p.Size)
	b = appendString(b, p.ETag)
	b = binary.AppendVarint(b, p.LastModified.UnixNano())
	return appendChecksums(b, p.Checksums)
}

func appendSegments(b []byte, segs []meta.Segment) []byte {
	b = binary.AppendUvarint(b, uint64(len(segs)))
	for i := range segs {
		s := &segs[i]
		b = appendString(b, s.BlobID)
		b = binary.AppendVarint(b, s.Size)
		b = binary.AppendUvarint(b, uint64(s.PartNumber))
		b = appendString(b, s.ETag)
		b = appendChecksums(b, s.Checksums)
	}
	return b
}

var errCorrupt = errors.New("corrupt")

// decoder reads the binary form; the first error sticks and later reads
// return zero values, so callers check err once at the end.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)) {
		d.err = errCorrupt
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) checksums() meta.Checksums {
	n := d.uvarint()
	if d.err != nil || n == 0 {
		return nil
	}
	if n > uint64(len(d.b)) { // each entry takes at least two bytes
		d.err = errCorrupt
		return nil
	}
	c := make(meta.Checksums, n)
	for i := uint64(0); i < n && d.err == nil; i++ {
		a := d.string()
		c[a] = d.string()
	}
	return c
}

func (d *decoder) part(p *meta.Part) {
	p.Number = int(d.uvarint())
	p.UploadID = d.string()
	p.BlobID = d.string()
	p.Size = d.varint()
	p.ETag = d.string()
	p.LastModified = time.Unix(0, d.varint()).UTC()
	p.Checksums = d.checksums()
}

func (d *decoder) segments() []meta.Segment {
	n := d.uvarint()
	if d.err != nil || n == 0 {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = errCorrupt
		return nil
	}
	segs := make([]meta.Segment, n)
	for i := range segs {
		s := &segs[i]
		s.BlobID = d.string()
		s.Size = d.varint()
		s.PartNumber = int(d.uvarint())
		s.ETag = d.string()
		s.Checksums = d.checksums()
	}
	return segs
}
