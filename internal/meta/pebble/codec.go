package pebblestore

import (
	"encoding/json"
	"fmt"
)

// Values are JSON in this first version: self-describing, tolerant of added
// fields, and easy to inspect with pebble's tools. The hot listing path only
// decodes small object headers (manifests live under their own keys, see
// keys.go), so the cost of JSON stays off the per-segment data. A binary
// encoding can replace this file later behind a version byte.

func encode(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("pebblestore: encode %T: %w", v, err)
	}
	return b, nil
}

func decode(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("pebblestore: decode %T: %w", v, err)
	}
	return nil
}
