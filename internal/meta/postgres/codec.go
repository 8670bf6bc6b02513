package postgres

import (
	"encoding/json"
	"math"
	"time"

	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/meta/metacodec"
)

// encode returns v as JSON, the format of the rec columns other than
// parts.rec (the same as the Pebble store's records, so a record means the
// same in both).
func encode(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, errorf("postgres: encode %T: %w", v, err)
	}
	return b, nil
}

func decode(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return errorf("postgres: decode %T: %w", v, err)
	}
	return nil
}

// Parts and manifests, which come by the thousand on the multipart hot
// paths, are in metacodec's binary form (as in the Pebble store): decoding
// them as JSON dominated ListParts and CompleteUpload.

func encodePart(p *meta.Part) []byte { return metacodec.AppendPart(nil, p) }

func decodePart(b []byte, p *meta.Part) error {
	if err := metacodec.DecodePart(b, p); err != nil {
		return errorf("postgres: decode part: %w", err)
	}
	return nil
}

// encodeSegments returns the manifest column's value: NULL (nil) for an
// object without segments.
func encodeSegments(segs []meta.Segment) []byte {
	if len(segs) == 0 {
		return nil
	}
	return metacodec.AppendSegments(nil, segs)
}

func decodeSegments(b []byte) ([]meta.Segment, error) {
	if b == nil {
		return nil, nil
	}
	segs, err := metacodec.DecodeSegments(b)
	if err != nil {
		return nil, errorf("postgres: decode manifest: %w", err)
	}
	return segs, nil
}

// nanos is a time as stored in the *_ns columns: Unix nanoseconds, which
// keep the precision that timestamptz's microseconds would lose. Times
// outside the int64 range (1678–2262, e.g. the zero time) are clamped to
// its ends, where UnixNano's result would be undefined, so they still
// order and compare as the times do.
func nanos(t time.Time) int64 {
	switch {
	case t.Before(minNanosTime):
		return math.MinInt64
	case t.After(maxNanosTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

var (
	minNanosTime = time.Unix(0, math.MinInt64)
	maxNanosTime = time.Unix(0, math.MaxInt64)
)

// byteSlices converts IDs for a bytea[] parameter. Strings always go to
// bytea columns as []byte, which pgx sends as raw bytes; no string is ever
// parsed by bytea's text input (where backslashes are escapes).
func byteSlices(ids []string) [][]byte {
	out := make([][]byte, len(ids))
	for i, id := range ids {
		out[i] = []byte(id)
	}
	return out
}

// successor returns the smallest byte string greater than every string with
// prefix p, or nil if there is none (p is empty or all 0xFF): the exclusive
// upper bound of a prefix scan.
func successor(p string) []byte {
	s := []byte(p)
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] != 0xFF {
			s[i]++
			return s[:i+1]
		}
	}
	return nil
}
