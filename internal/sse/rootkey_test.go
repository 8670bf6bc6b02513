package sse

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadRootKeyMalformed(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(seq(0, 32))
	for _, content := range []string{
		"",
		"\n",
		base64.StdEncoding.EncodeToString(seq(0, 16)) + "\n",
		base64.StdEncoding.EncodeToString(seq(0, 33)) + "\n",
		"not base64 at all\n",
		good + "\n" + good + "\n",
		strings.Repeat("ab", 32) + "\n", // hex, not base64
	} {
		path := filepath.Join(t.TempDir(), "root.key")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if k, err := LoadRootKey(path); !errors.Is(err, ErrBadRootKey) || k != nil {
			t.Errorf("file %q: %x, %v; want ErrBadRootKey", content, k, err)
		}
		if after, _ := os.ReadFile(path); string(after) != content {
			t.Errorf("file %q was rewritten", content)
		}
	}
	// A missing file is an error, not a key.
	if _, err := LoadRootKey(filepath.Join(t.TempDir(), "root.key")); err == nil {
		t.Error("read a key from a missing file")
	}
}

func TestParseRootKey(t *testing.T) {
	want := seq(9, 32)
	s := base64.StdEncoding.EncodeToString(want)
	for _, in := range []string{s, s + "\n", " " + s + "\r\n"} {
		if k, err := ParseRootKey(in); err != nil || !bytes.Equal(k, want) {
			t.Errorf("ParseRootKey(%q) = %x, %v", in, k, err)
		}
	}
	for _, in := range []string{"", s[:40], s + "AAAA", "%%%"} {
		if _, err := ParseRootKey(in); !errors.Is(err, ErrBadRootKey) {
			t.Errorf("ParseRootKey(%q): %v, want ErrBadRootKey", in, err)
		}
	}
}
