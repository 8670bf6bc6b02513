package sse

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestLoadOrCreateRootKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "root.key")
	key, created, err := LoadOrCreateRootKey(path)
	if err != nil || !created || len(key) != KeySize {
		t.Fatalf("first call: %d-byte key, created=%v, %v", len(key), created, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	content, _ := os.ReadFile(path)
	if string(content) != base64.StdEncoding.EncodeToString(key)+"\n" {
		t.Errorf("file content %q is not one line of base64", content)
	}
	again, created, err := LoadOrCreateRootKey(path)
	if err != nil || created || !bytes.Equal(again, key) {
		t.Fatalf("reload: created=%v, same key %v, %v", created, bytes.Equal(again, key), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temp files left behind: %v", entries)
	}
}

// TestLoadOrCreateRootKeyRace: processes starting together all end up with
// the one key that is on disk.
func TestLoadOrCreateRootKeyRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "root.key")
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, _, err := LoadOrCreateRootKey(path)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	onDisk, _, err := LoadOrCreateRootKey(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		if !bytes.Equal(k, onDisk) {
			t.Errorf("caller %d got a key that is not the one on disk", i)
		}
	}
}

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
		if k, _, err := LoadOrCreateRootKey(path); !errors.Is(err, ErrBadRootKey) || k != nil {
			t.Errorf("file %q: %x, %v; want ErrBadRootKey", content, k, err)
		}
		if after, _ := os.ReadFile(path); string(after) != content {
			t.Errorf("file %q was rewritten", content)
		}
	}
	// A missing directory is an error, not a key.
	if _, _, err := LoadOrCreateRootKey(filepath.Join(t.TempDir(), "no", "root.key")); err == nil {
		t.Error("created a key in a missing directory")
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
