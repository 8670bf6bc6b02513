package blob

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestOpenReadOnly: a read-only store reads, measures, walks and removes
// the blobs of a store, refuses to create, and leaves the temp
// directories alone.
func TestOpenReadOnly(t *testing.T) {
	s, dir := open(t)
	id := write(t, s, []byte("hello"))
	inflight := filepath.Join(dir, "tmp", "gw1", "blob-1")
	if err := os.WriteFile(inflight, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenReadOnly(t.TempDir()); err == nil {
		t.Fatal("OpenReadOnly of a directory without blobs/ succeeded")
	}
	ro, err := OpenReadOnly(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := ro.Size(id); err != nil || n != 5 {
		t.Fatalf("Size = %d, %v", n, err)
	}
	var ids []string
	if err := ro.Walk(func(id string) error { ids = append(ids, id); return nil }); err != nil || !slices.Equal(ids, []string{id}) {
		t.Fatalf("Walk = %v, %v", ids, err)
	}
	if _, err := ro.Create(); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Create: %v, want ErrReadOnly", err)
	}
	if _, err := os.Stat(inflight); err != nil {
		t.Fatalf("in-flight temp file gone: %v", err)
	}
	if err := ro.Remove(id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Size(id); err == nil {
		t.Fatal("blob still there after Remove")
	}
}

// TestTempFiles lists loose temp files and those of gateway directories,
// skipping directories whose names are no gateway ID.
func TestTempFiles(t *testing.T) {
	s, dir := open(t)
	files := map[string]string{
		"tmp/gw1/blob-1":     "in flight",
		"tmp/gw2/blob-2":     "left by gw2",
		"tmp/loose":          "legacy",
		"tmp/bad id!/blob-3": "skipped",
	}
	for p, c := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]TempFile{}
	if err := s.TempFiles(func(f TempFile) error { got[f.Path] = f; return nil }); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"tmp/gw1/blob-1": "gw1", "tmp/gw2/blob-2": "gw2", "tmp/loose": ""}
	if len(got) != len(want) {
		t.Fatalf("TempFiles = %v, want %v", got, want)
	}
	for p, gw := range want {
		f, ok := got[p]
		if !ok || f.Gateway != gw || f.Size != int64(len(files[p])) || f.ModTime.IsZero() {
			t.Errorf("%s: %+v, want gateway %q size %d", p, f, gw, len(files[p]))
		}
	}
}
