package blob

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func open(t *testing.T) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s, dir
}

func write(t *testing.T, s *Store, data []byte) string {
	t.Helper()
	w, err := s.Create()
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	defer w.Abort()
	if _, err := w.Write(data); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if w.Written() != int64(len(data)) {
		t.Fatalf("Written = %d, want %d", w.Written(), len(data))
	}
	id, err := w.Commit()
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return id
}

func tmpEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(filepath.Join(dir, "tmp"))
	if err != nil {
		t.Fatalf("ReadDir(tmp): %v", err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestCommitReadBack(t *testing.T) {
	s, dir := open(t)
	for _, data := range [][]byte{nil, []byte("hello"), bytes.Repeat([]byte("x"), 1<<20+3)} {
		id := write(t, s, data)
		if !ValidID(id) {
			t.Fatalf("Commit returned malformed id %q", id)
		}
		if _, err := os.Stat(filepath.Join(dir, "blobs", id[:2], id)); err != nil {
			t.Fatalf("blob not at blobs/xx/id: %v", err)
		}
		f, err := s.Open(id)
		if err != nil {
			t.Fatalf("Open(%s): %v", id, err)
		}
		got, err := io.ReadAll(f)
		f.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("read back %d bytes (err %v), want %d", len(got), err, len(data))
		}
		n, err := s.Size(id)
		if err != nil || n != int64(len(data)) {
			t.Fatalf("Size = %d, %v; want %d", n, err, len(data))
		}
	}
	if left := tmpEntries(t, dir); len(left) != 0 {
		t.Fatalf("tmp holds %q after commits", left)
	}
}

func TestUniqueIDs(t *testing.T) {
	s, _ := open(t)
	seen := map[string]bool{}
	for range 100 {
		id := write(t, s, []byte("same bytes"))
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
	}
	var walked []string
	if err := s.Walk(func(id string) error { walked = append(walked, id); return nil }); err != nil {
		t.Fatalf("Walk: %v", err)
	}
	if len(walked) != len(seen) {
		t.Fatalf("Walk saw %d blobs, want %d", len(walked), len(seen))
	}
	for _, id := range walked {
		if !seen[id] {
			t.Fatalf("Walk returned unknown id %q", id)
		}
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	s, dir := open(t)
	w, err := s.Create()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("doomed"))
	w.Abort()
	w.Abort() // idempotent
	if _, err := w.Write([]byte("x")); err == nil {
		t.Fatal("Write after Abort succeeded")
	}
	if _, err := w.Commit(); err == nil {
		t.Fatal("Commit after Abort succeeded")
	}
	if left := tmpEntries(t, dir); len(left) != 0 {
		t.Fatalf("tmp holds %q after abort", left)
	}
	if err := s.Walk(func(id string) error { return errors.New("found blob " + id) }); err != nil {
		t.Fatal(err)
	}
}

func TestAbortAfterCommitIsNoop(t *testing.T) {
	s, _ := open(t)
	w, err := s.Create()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("kept"))
	id, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	w.Abort()
	if _, err := w.Commit(); err == nil {
		t.Fatal("second Commit succeeded")
	}
	if n, err := s.Size(id); err != nil || n != 4 {
		t.Fatalf("blob after Abort-after-Commit: size %d, %v", n, err)
	}
}

func TestOpenEmptiesTmp(t *testing.T) {
	s, dir := open(t)
	kept := write(t, s, []byte("committed"))
	w, err := s.Create() // left in flight, as by a crash
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("in flight"))
	os.WriteFile(filepath.Join(dir, "tmp", "stray"), []byte("x"), 0o644)
	os.MkdirAll(filepath.Join(dir, "tmp", "sub", "dir"), 0o755)

	s2, err := Open(dir)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if left := tmpEntries(t, dir); len(left) != 0 {
		t.Fatalf("tmp holds %q after Open", left)
	}
	if n, err := s2.Size(kept); err != nil || n != 9 {
		t.Fatalf("committed blob after reopen: size %d, %v", n, err)
	}
}

func TestBadIDs(t *testing.T) {
	s, dir := open(t)
	good := write(t, s, []byte("x"))
	// A file planted where a traversal would land must stay unreachable.
	os.WriteFile(filepath.Join(dir, "secret"), []byte("s"), 0o644)
	bad := []string{
		"", "abc", good[:31], good + "0", "../../../secret",
		"0123456789ABCDEF0123456789abcdef", // upper case
		"0123456789abcdef0123456789abcdeg",
		"../../../../../../../../etc/passw",
		"0123456789abcdef/123456789abcdef",
		"0123456789abcdef\x00123456789abcdef"[:32],
	}
	for _, id := range bad {
		if ValidID(id) {
			t.Errorf("ValidID(%q) = true", id)
		}
		if f, err := s.Open(id); !errors.Is(err, ErrBadID) {
			if f != nil {
				f.Close()
			}
			t.Errorf("Open(%q): err = %v, want ErrBadID", id, err)
		}
		if _, err := s.Size(id); !errors.Is(err, ErrBadID) {
			t.Errorf("Size(%q): err = %v, want ErrBadID", id, err)
		}
		if err := s.Remove(id); !errors.Is(err, ErrBadID) {
			t.Errorf("Remove(%q): err = %v, want ErrBadID", id, err)
		}
	}
}

func TestRemove(t *testing.T) {
	s, _ := open(t)
	id := write(t, s, []byte("bye"))
	for range 2 { // the second Remove finds nothing and is fine
		if err := s.Remove(id); err != nil {
			t.Fatalf("Remove: %v", err)
		}
	}
	if _, err := s.Open(id); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open(removed): err = %v, want fs.ErrNotExist", err)
	}
	if _, err := s.Size(id); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Size(removed): err = %v, want fs.ErrNotExist", err)
	}
	if err := s.Remove("00000000000000000000000000000000"); err != nil {
		t.Fatalf("Remove(never existed): %v", err)
	}
}

func TestConcurrentCommits(t *testing.T) {
	s, _ := open(t)
	const n = 32
	ids := make([]string, n)
	errs := make(chan error, n)
	for i := range n {
		go func() {
			w, err := s.Create()
			if err != nil {
				errs <- err
				return
			}
			defer w.Abort()
			w.Write([]byte{byte(i)})
			ids[i], err = w.Commit()
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i, id := range ids {
		f, err := s.Open(id)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(f)
		f.Close()
		if !slices.Equal(b, []byte{byte(i)}) {
			t.Fatalf("blob %d = %v", i, b)
		}
	}
}

func BenchmarkCreateWriteCommit1MiB(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	data := bytes.Repeat([]byte{0xA5}, 1<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		w, err := s.Create()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			b.Fatal(err)
		}
		if _, err := w.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}
