package pebblestore

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/meta/metacodec"
)

// Values are JSON — self-describing, tolerant of added fields, easy to
// inspect — except the two records that come by the thousand on the
// multipart hot paths: parts and manifests, which use metacodec's compact
// binary form. That form starts with a version byte that JSON never starts
// with, so decode tells the two apart and reads either (records written
// as JSON by earlier versions included).

func encode(v any) ([]byte, error) {
	switch x := v.(type) {
	case meta.Part:
		return metacodec.AppendPart(nil, &x), nil
	case *meta.Part:
		return metacodec.AppendPart(nil, x), nil
	case []meta.Segment:
		return metacodec.AppendSegments(nil, x), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("pebblestore: encode %T: %w", v, err)
	}
	return b, nil
}

func decode(b []byte, v any) error {
	if metacodec.IsBinary(b) {
		var err error
		switch x := v.(type) {
		case *meta.Part:
			err = metacodec.DecodePart(b, x)
		case *[]meta.Segment:
			*x, err = metacodec.DecodeSegments(b)
		default:
			err = errors.New("binary record for a JSON type")
		}
		if err != nil {
			return fmt.Errorf("pebblestore: decode %T: %w", v, err)
		}
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("pebblestore: decode %T: %w", v, err)
	}
	return nil
}
