// Package metacodec is the compact binary form of the records that come by
// the thousand on the multipart hot paths: parts (ListParts pages,
// CompleteUpload reads every part) and segment manifests (a 10,000-segment
// object). Both metadata stores keep these records in it, because decoding
// JSON dominated those paths.
//
// A record is the version byte 0x01 followed by varints and
// length-prefixed strings. JSON never starts with a byte below 0x20, so a
// store that also holds older JSON records can tell the two apart by the
// first byte. The format is stored data: it must never change in place.
package metacodec

import (
	"encoding/binary"
	"errors"
	"slices"
	"sort"
	"time"

	"github.com/tessera-s3/tessera/internal/meta"
)

// Version is the first byte of a record without encryption records;
// VersionCrypt the first byte of one whose parts or segments carry them
// (a trailing length-prefixed Crypt field each). Plaintext records keep the
// first form, so they read and cost exactly as before.
const (
	Version      = 0x01
	VersionCrypt = 0x02
)

// IsBinary reports whether b is a record of this package (of either version).
func IsBinary(b []byte) bool { return len(b) > 0 && (b[0] == Version || b[0] == VersionCrypt) }

// ErrCorrupt is returned for a record that is not one this package wrote:
// wrong version, truncated, overlong or with trailing bytes.
var ErrCorrupt = errors.New("metacodec: corrupt binary record")

// AppendPart appends p as a record (version byte included) to b.
func AppendPart(b []byte, p *meta.Part) []byte {
	crypt := len(p.Crypt) > 0
	if crypt {
		b = append(b, VersionCrypt)
	} else {
		b = append(b, Version)
	}
	b = binary.AppendUvarint(b, uint64(p.Number))
	b = appendString(b, p.UploadID)
	b = appendString(b, p.BlobID)
	b = binary.AppendVarint(b, p.Size)
	b = appendString(b, p.ETag)
	b = binary.AppendVarint(b, p.LastModified.UnixNano())
	b = appendChecksums(b, p.Checksums)
	if crypt {
		b = appendString(b, string(p.Crypt))
	}
	return b
}

// AppendSegments appends a manifest as a record (version byte included)
// to b.
func AppendSegments(b []byte, segs []meta.Segment) []byte {
	// Grow once: a 10,000-segment manifest would otherwise be copied
	// some twenty times as it grows.
	n := 1 + binary.MaxVarintLen64
	crypt := false
	for i := range segs {
		s := &segs[i]
		crypt = crypt || len(s.Crypt) > 0
		n += len(s.BlobID) + len(s.ETag) + len(s.Crypt) + 5*binary.MaxVarintLen32
		for a, v := range s.Checksums {
			n += len(a) + len(v) + 2
		}
	}
	b = slices.Grow(b, n)
	if crypt {
		b = append(b, VersionCrypt)
	} else {
		b = append(b, Version)
	}
	b = binary.AppendUvarint(b, uint64(len(segs)))
	for i := range segs {
		s := &segs[i]
		b = appendString(b, s.BlobID)
		b = binary.AppendVarint(b, s.Size)
		b = binary.AppendUvarint(b, uint64(s.PartNumber))
		b = appendString(b, s.ETag)
		b = appendChecksums(b, s.Checksums)
		if crypt {
			b = appendString(b, string(s.Crypt))
		}
	}
	return b
}

// DecodePart decodes a record written by AppendPart into *p. The times
// come back in UTC; an empty Checksums map comes back nil.
func DecodePart(b []byte, p *meta.Part) error {
	d, err := newDecoder(b)
	if err != nil {
		return err
	}
	p.Number = int(d.uvarint())
	p.UploadID = d.string()
	p.BlobID = d.string()
	p.Size = d.varint()
	p.ETag = d.string()
	p.LastModified = time.Unix(0, d.varint()).UTC()
	p.Checksums = d.checksums()
	p.Crypt = d.crypt()
	return d.done()
}

// DecodeSegments decodes a record written by AppendSegments; an empty
// manifest comes back nil.
func DecodeSegments(b []byte) ([]meta.Segment, error) {
	d, err := newDecoder(b)
	if err != nil {
		return nil, err
	}
	segs := d.segments()
	if err := d.done(); err != nil {
		return nil, err
	}
	return segs, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendChecksums writes the map in sorted order so equal maps encode equally.
func appendChecksums(b []byte, c meta.Checksums) []byte {
	b = binary.AppendUvarint(b, uint64(len(c)))
	switch len(c) {
	case 0:
		return b
	case 1: // the common case needs no sorting
		for a, v := range c {
			b = appendString(b, a)
			b = appendString(b, v)
		}
		return b
	}
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

// decoder reads a record; the first error sticks and later reads return
// zero values, so callers check once at the end.
//
// The record is copied into one string up front and every decoded string
// is a substring of it: one allocation per record instead of one per
// field (a 1000-part ListParts page or a 10,000-segment manifest would
// otherwise allocate tens of thousands of small strings). The fields keep
// the whole record alive, which costs little: they are most of it.
type decoder struct {
	s   string
	err error
	// crypts: the record is VersionCrypt, with Crypt fields.
	crypts bool
}

func newDecoder(b []byte) (decoder, error) {
	if !IsBinary(b) {
		return decoder{}, ErrCorrupt
	}
	return decoder{s: string(b[1:]), crypts: b[0] == VersionCrypt}, nil
}

// crypt reads a Crypt field of a VersionCrypt record; nil when empty or
// absent (the caller owns the copy).
func (d *decoder) crypt() []byte {
	if !d.crypts {
		return nil
	}
	if s := d.string(); s != "" {
		return []byte(s)
	}
	return nil
}

// done reports the sticky error, or ErrCorrupt if bytes are left over.
func (d *decoder) done() error {
	if d.err != nil || len(d.s) != 0 {
		return ErrCorrupt
	}
	return nil
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	// binary.Uvarint, reading the string without converting it to bytes.
	var v uint64
	var shift uint
	for i := 0; i < len(d.s) && i < binary.MaxVarintLen64; i++ {
		c := d.s[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				break // overflows 64 bits
			}
			d.s = d.s[i+1:]
			return v | uint64(c)<<shift
		}
		v |= uint64(c&0x7f) << shift
		shift += 7
	}
	d.err = ErrCorrupt
	return 0
}

func (d *decoder) varint() int64 {
	ux := d.uvarint()
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x
}

func (d *decoder) string() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.s)) {
		d.err = ErrCorrupt
		return ""
	}
	s := d.s[:n]
	d.s = d.s[n:]
	return s
}

func (d *decoder) checksums() meta.Checksums {
	n := d.uvarint()
	if d.err != nil || n == 0 {
		return nil
	}
	if n > uint64(len(d.s)) { // each entry takes at least two bytes
		d.err = ErrCorrupt
		return nil
	}
	c := make(meta.Checksums, n)
	for i := uint64(0); i < n && d.err == nil; i++ {
		a := d.string()
		c[a] = d.string()
	}
	return c
}

func (d *decoder) segments() []meta.Segment {
	n := d.uvarint()
	if d.err != nil || n == 0 {
		return nil
	}
	if n > uint64(len(d.s)) {
		d.err = ErrCorrupt
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
		s.Crypt = d.crypt()
	}
	return segs
}
