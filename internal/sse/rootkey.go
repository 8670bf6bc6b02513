package sse

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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

// LoadOrCreateRootKey reads the root key from path (file content: base64
// of KeySize bytes, one line). If the file does not exist it generates a
// key with crypto/rand and writes it atomically with mode 0600, returning
// created=true: a temp file in the same directory is written and fsynced,
// then hard-linked into place, and the directory is fsynced. Linking, unlike
// rename, never replaces a file, so when two processes sharing a data
// directory race to create the key, one wins and the other loads the
// winner's key (created=false) instead of silently using a key the next
// start would not see. Where the file system cannot hard-link, it falls back
// to rename, which keeps the write atomic but not that race. A malformed
// file is an error wrapping ErrBadRootKey; it is never replaced.
func LoadOrCreateRootKey(path string) (key []byte, created bool, err error) {
	key, err = LoadRootKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	return createRootKey(path)
}

// LoadRootKey reads a root key file written by LoadOrCreateRootKey (or by
// hand: base64 of 32 bytes, one line).
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

func createRootKey(path string) ([]byte, bool, error) {
	key, err := NewDataKey()
	if err != nil {
		return nil, false, err
	}
	dir := filepath.Dir(path)
	tmp, err := writeTemp(dir, base64.StdEncoding.EncodeToString(key)+"\n")
	if err != nil {
		return nil, false, err
	}
	defer os.Remove(tmp) // after a link the key also has its real name

	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			// Another process created it first: use theirs.
			k, err := LoadRootKey(path)
			return k, false, err
		}
		if err := os.Rename(tmp, path); err != nil {
			return nil, false, fmt.Errorf("sse: root key: %w", err)
		}
	}
	if err := syncDir(dir); err != nil {
		return nil, false, err
	}
	return key, true, nil
}

// writeTemp writes content to a new 0600 temp file in dir, fsynced, and
// returns its name.
func writeTemp(dir, content string) (string, error) {
	f, err := os.CreateTemp(dir, ".rootkey-*.tmp") // CreateTemp uses mode 0600
	if err != nil {
		return "", fmt.Errorf("sse: root key: %w", err)
	}
	name := f.Name()
	_, err = f.WriteString(content)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", fmt.Errorf("sse: root key: %w", err)
	}
	return name, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sse: root key: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sse: root key: sync %s: %w", dir, err)
	}
	return nil
}
