package sse

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrBadRootKey reports a root key that is not base64 of KeySize bytes.
var ErrBadRootKey = errors.New("sse: root key must be base64 of 32 bytes")

// ParseRootKey parses a root key written as standard base64 of KeySize
// bytes (the form of the root key file and of a TESSERA_KMS_KEY value).
// Surrounding white space, such as the file's trailing newline, is ignored.
func ParseRootKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(k) != KeySize {
		return nil, ErrBadRootKey
	}
	return k, nil
}

// LoadRootKey reads a root key file (base64 of 32 bytes, one line; the
// server generates one in the data directory on first start).
func LoadRootKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sse: root key: %w", err)
	}
	k, err := ParseRootKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%w: %s", err, path)
	}
	return k, nil
}
