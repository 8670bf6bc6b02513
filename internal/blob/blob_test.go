package blob

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

func open(t *testing.T) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(dir, "gw1")
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

// tmpEntries lists the temp directory of gateway gw1 (the one open uses).
func tmpEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(filepath.Join(dir, "tmp", "gw1"))
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
		if _, err := os.Stat(filepath.Join(dir, "blobs", id[:2], id[2:4], id)); err != nil {
			t.Fatalf("blob not at blobs/xx/yy/id: %v", err)
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

// Open empties its own gateway's temp directory and nothing else: other
// gateways sharing the directory have writes in flight there.
func TestOpenEmptiesOwnTmp(t *testing.T) {
	s, dir := open(t)
	kept := write(t, s, []byte("committed"))
	w, err := s.Create() // left in flight, as by a crash
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("in flight"))
	os.MkdirAll(filepath.Join(dir, "tmp", "gw1", "sub", "dir"), 0o755)
	other, err := Open(dir, "gw2")
	if err != nil {
		t.Fatal(err)
	}
	ow, err := other.Create()
	if err != nil {
		t.Fatal(err)
	}
	defer ow.Abort()
	legacy := filepath.Join(dir, "tmp", "blob-123")
	os.WriteFile(legacy, []byte("x"), 0o644)

	s2, err := Open(dir, "gw1")
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if left := tmpEntries(t, dir); len(left) != 0 {
		t.Fatalf("tmp/gw1 holds %q after Open", left)
	}
	if n, err := s2.Size(kept); err != nil || n != 9 {
		t.Fatalf("committed blob after reopen: size %d, %v", n, err)
	}
	ow.Write([]byte("still mine"))
	if _, err := ow.Commit(); err != nil {
		t.Fatalf("another gateway's write after gw1 reopened: %v", err)
	}
	if _, err := os.Stat(legacy); err != nil {
		t.Fatalf("Open removed a legacy temp file: %v", err)
	}
}

func TestGatewayIDs(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"local", true},
		{"gw-1.eu_west", true},
		{"A", true},
		{strings.Repeat("x", 64), true},
		{"", false},
		{".", false},
		{"..", false},
		{strings.Repeat("x", 65), false},
		{"a/b", false},
		{"../x", false},
		{"a b", false},
		{"gw\\1", false},
		{"gw\x00", false},
		{"é", false},
	}
	for _, tc := range tests {
		if got := ValidGatewayID(tc.id); got != tc.want {
			t.Errorf("ValidGatewayID(%q) = %v, want %v", tc.id, got, tc.want)
		}
		dir := t.TempDir()
		_, err := Open(dir, tc.id)
		if tc.want && err != nil {
			t.Errorf("Open(dir, %q): %v", tc.id, err)
		}
		if !tc.want && !errors.Is(err, ErrBadGatewayID) {
			t.Errorf("Open(dir, %q): err = %v, want ErrBadGatewayID", tc.id, err)
		}
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
	s, err := Open(b.TempDir(), "bench")
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

// writeLegacy stores data the way versions before the second level did,
// at blobs/xx/<id>, and returns the id.
func writeLegacy(t *testing.T, dir string, data []byte) string {
	t.Helper()
	id := randomID()
	if err := os.WriteFile(filepath.Join(dir, "blobs", id[:2], id), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return id
}

// Blobs committed before the second level are found where they are, with
// no migration; new ones go two levels down.
func TestLayouts(t *testing.T) {
	tests := []struct {
		name  string
		write func(t *testing.T, s *Store, dir string, data []byte) string
		path  func(dir, id string) string
	}{
		{"two levels", func(t *testing.T, s *Store, _ string, data []byte) string { return write(t, s, data) },
			func(dir, id string) string { return filepath.Join(dir, "blobs", id[:2], id[2:4], id) }},
		{"legacy one level", func(t *testing.T, _ *Store, dir string, data []byte) string { return writeLegacy(t, dir, data) },
			func(dir, id string) string { return filepath.Join(dir, "blobs", id[:2], id) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, dir := open(t)
			other := write(t, s, []byte("the other layout's neighbour"))
			legacyOther := writeLegacy(t, dir, []byte("a legacy neighbour"))
			data := []byte("layout")
			id := tc.write(t, s, dir, data)
			if _, err := os.Stat(tc.path(dir, id)); err != nil {
				t.Fatalf("blob not where expected: %v", err)
			}

			f, err := s.Open(id)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			got, _ := io.ReadAll(f)
			f.Close()
			if !bytes.Equal(got, data) {
				t.Fatalf("Open read %q, want %q", got, data)
			}
			if n, err := s.Size(id); err != nil || n != int64(len(data)) {
				t.Fatalf("Size = %d, %v; want %d", n, err, len(data))
			}
			old := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
			if err := os.Chtimes(tc.path(dir, id), old, old); err != nil {
				t.Fatal(err)
			}
			if mt, err := s.ModTime(id); err != nil || !mt.Equal(old) {
				t.Fatalf("ModTime = %v, %v; want %v", mt, err, old)
			}
			walked := map[string]int{}
			if err := s.Walk(func(id string) error { walked[id]++; return nil }); err != nil {
				t.Fatalf("Walk: %v", err)
			}
			want := map[string]int{id: 1, other: 1, legacyOther: 1}
			if !maps.Equal(walked, want) {
				t.Fatalf("Walk saw %v, want %v", walked, want)
			}

			if err := s.Remove(id); err != nil {
				t.Fatalf("Remove: %v", err)
			}
			if _, err := os.Stat(tc.path(dir, id)); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("file still there after Remove: %v", err)
			}
			if _, err := s.Open(id); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("Open(removed): %v, want fs.ErrNotExist", err)
			}
			if _, err := s.Size(id); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("Size(removed): %v, want fs.ErrNotExist", err)
			}
			if _, err := s.ModTime(id); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("ModTime(removed): %v, want fs.ErrNotExist", err)
			}
			if err := s.Remove(id); err != nil {
				t.Fatalf("second Remove: %v", err)
			}
			for _, id := range []string{other, legacyOther} {
				if _, err := s.Size(id); err != nil {
					t.Fatalf("neighbour %s after Remove: %v", id, err)
				}
			}
		})
	}
}

// Open makes only the 256 first-level directories; a leaf appears with
// the first blob committed into it.
func TestLeavesMadeLazily(t *testing.T) {
	s, dir := open(t)
	for i := range 256 {
		es, err := os.ReadDir(filepath.Join(dir, "blobs", fmt.Sprintf("%02x", i)))
		if err != nil || len(es) != 0 {
			t.Fatalf("blobs/%02x after Open: %d entries, %v; want an empty directory", i, len(es), err)
		}
	}
	id := write(t, s, []byte("first"))
	es, err := os.ReadDir(filepath.Join(dir, "blobs", id[:2]))
	if err != nil || len(es) != 1 || es[0].Name() != id[2:4] || !es[0].IsDir() {
		t.Fatalf("blobs/%s after one commit: %v, %v; want the leaf %s only", id[:2], es, err, id[2:4])
	}
}

// tmpNames lists dir/tmp.
func tmpNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(filepath.Join(dir, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestSweepTmp(t *testing.T) {
	dir := t.TempDir()
	stores := map[string]*Store{}
	for _, gw := range []string{"leader", "alive", "gone", "gone2"} {
		s, err := Open(dir, gw)
		if err != nil {
			t.Fatal(err)
		}
		stores[gw] = s
		w, err := s.Create() // in flight
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(gw))
		t.Cleanup(w.Abort)
	}
	tmp := filepath.Join(dir, "tmp")
	hours := func(h int) time.Time { return time.Now().Add(time.Duration(h) * time.Hour) }
	for name, mtime := range map[string]time.Time{"blob-old": hours(-2), "blob-new": hours(0)} {
		p := filepath.Join(tmp, name)
		os.WriteFile(p, []byte("legacy"), 0o644)
		os.Chtimes(p, mtime, mtime)
	}
	os.Mkdir(filepath.Join(tmp, "not a gateway"), 0o755)

	steps := []struct {
		name        string
		sweeper     string
		live        []string
		wantRemoved int
		want        []string
	}{
		{"leader sweeps the gone", "leader", []string{"alive"}, 3,
			[]string{"alive", "blob-new", "leader", "not a gateway"}},
		{"nothing left to sweep", "leader", []string{"alive"}, 0,
			[]string{"alive", "blob-new", "leader", "not a gateway"}},
		{"never its own, even when told it is gone", "alive", nil, 1,
			[]string{"alive", "blob-new", "not a gateway"}},
	}
	for _, st := range steps {
		asked := map[string]bool{}
		n, err := stores[st.sweeper].SweepTmp(func(id string) bool {
			asked[id] = true
			return slices.Contains(st.live, id)
		})
		if err != nil || n != st.wantRemoved {
			t.Fatalf("%s: SweepTmp = %d, %v; want %d", st.name, n, err, st.wantRemoved)
		}
		if got := tmpNames(t, dir); !slices.Equal(got, st.want) {
			t.Fatalf("%s: tmp holds %q, want %q", st.name, got, st.want)
		}
		if asked[st.sweeper] || asked["not a gateway"] {
			t.Fatalf("%s: live asked about %v", st.name, asked)
		}
	}
	// The live gateway's write in flight survived the leader's sweep.
	if es, _ := os.ReadDir(filepath.Join(tmp, "alive")); len(es) != 1 {
		t.Fatalf("tmp/alive holds %d files, want its write in flight", len(es))
	}
	// A gateway swept while it was in fact alive writes again.
	id := write(t, stores["leader"], []byte("back"))
	if n, err := stores["leader"].Size(id); err != nil || n != 4 {
		t.Fatalf("write after being swept: size %d, %v", n, err)
	}
}

// A write in flight whose temporary file a leader swept (it took this
// gateway for dead) fails with ErrTmpSwept — a retryable answer, not an
// internal error — and stores nothing.
func TestCommitAfterSweep(t *testing.T) {
	dir := t.TempDir()
	gone, err := Open(dir, "presumed-dead")
	if err != nil {
		t.Fatal(err)
	}
	leader, err := Open(dir, "leader")
	if err != nil {
		t.Fatal(err)
	}
	w, err := gone.Create()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("in flight"))
	if n, err := leader.SweepTmp(func(string) bool { return false }); err != nil || n != 1 {
		t.Fatalf("SweepTmp = %d, %v; want the presumed-dead gateway's directory", n, err)
	}
	w.Write([]byte(" and more"))
	if id, err := w.Commit(); !errors.Is(err, ErrTmpSwept) {
		t.Fatalf("Commit after the sweep = %q, %v; want ErrTmpSwept", id, err)
	}
	var n int
	filepath.WalkDir(filepath.Join(dir, "blobs"), func(_ string, d fs.DirEntry, _ error) error {
		if d != nil && !d.IsDir() {
			n++
		}
		return nil
	})
	if n != 0 {
		t.Fatalf("%d blobs stored, want none", n)
	}
}

// Many writers, in several gateways, committing into one new leaf at once:
// each makes it or finds it made, and every blob lands.
func TestConcurrentCommitsOneLeaf(t *testing.T) {
	dir := t.TempDir()
	var stores []*Store
	for _, gw := range []string{"a", "b", "c"} {
		s, err := Open(dir, gw)
		if err != nil {
			t.Fatal(err)
		}
		stores = append(stores, s)
	}
	newID = func() string { return "abcd" + randomID()[4:] }
	t.Cleanup(func() { newID = randomID })

	const n = 48
	ids := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, err := stores[i%len(stores)].Create()
			if err != nil {
				errs <- err
				return
			}
			defer w.Abort()
			w.Write([]byte{byte(i)})
			if ids[i], err = w.Commit(); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	es, err := os.ReadDir(filepath.Join(dir, "blobs", "ab", "cd"))
	if err != nil || len(es) != n {
		t.Fatalf("leaf ab/cd holds %d entries (%v), want %d", len(es), err, n)
	}
	for i, id := range ids {
		f, err := stores[(i+1)%len(stores)].Open(id)
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

// An NFS client that retransmits a RENAME the server already applied gets
// ENOENT for the source; Commit must recognise its own blob in place, and
// must not mistake anything else for it.
func TestCommitRenameENOENT(t *testing.T) {
	enoent := func(oldpath, newpath string) error {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: syscall.ENOENT}
	}
	tests := []struct {
		name   string
		rename func(oldpath, newpath string) error
		wantOK bool
	}{
		{"applied, then ENOENT", func(o, n string) error {
			if err := os.Rename(o, n); err != nil {
				return err
			}
			return enoent(o, n)
		}, true},
		{"ENOENT, nothing applied", enoent, false},
		{"source gone, target a different size", func(o, n string) error {
			if err := os.Rename(o, n); err != nil {
				return err
			}
			f, err := os.OpenFile(n, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			f.Write([]byte("!"))
			f.Close()
			return enoent(o, n)
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := OpenFS(renameFS{vfs.Default, tc.rename}, dir, "gw1")
			if err != nil {
				t.Fatal(err)
			}

			w, err := s.Create()
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			w.Write([]byte("renamed twice"))
			id, err := w.Commit()
			if !tc.wantOK {
				if err == nil || !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("Commit = %q, %v; want an ENOENT error", id, err)
				}
			} else {
				if err != nil {
					t.Fatalf("Commit: %v", err)
				}
				f, err := s.Open(id)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(f)
				f.Close()
				if string(b) != "renamed twice" {
					t.Fatalf("blob holds %q", b)
				}
			}
			if left := tmpEntries(t, dir); len(left) != 0 {
				t.Fatalf("tmp holds %q after Commit", left)
			}
		})
	}
}

// renameFS is a file system whose Rename is replaced, to reproduce an NFS
// client retransmitting a RENAME the server had already applied.
type renameFS struct {
	vfs.FS
	rename func(oldpath, newpath string) error
}

func (f renameFS) Rename(oldpath, newpath string) error { return f.rename(oldpath, newpath) }

// TestCommitSurvivesPowerLoss: a committed blob is in the crash clone of a
// strict in-memory file system (only what was synced survives), whether the
// store made its directories or found them made, unsynced, by someone else
// (the server makes the data directory); so is the store's layout.
func TestCommitSurvivesPowerLoss(t *testing.T) {
	tests := []struct {
		name    string
		premade string // made with MkdirAll, unsynced, before Open
	}{
		{"store makes everything", ""},
		{"data directory made by another", "/srv/data"},
		{"parents made by another", "/srv"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := vfs.NewCrashableMem()
			if tc.premade != "" {
				if err := mem.MkdirAll(tc.premade, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			s, err := OpenFS(mem, "/srv/data", "gw1")
			if err != nil {
				t.Fatal(err)
			}
			id := write(t, s, []byte("durable"))
			after, err := OpenFS(mem.CrashClone(vfs.CrashCloneCfg{}), "/srv/data", "gw1")
			if err != nil {
				t.Fatal(err)
			}
			f, err := after.Open(id)
			if err != nil {
				t.Fatalf("blob lost in the crash: %v", err)
			}
			b, _ := io.ReadAll(f)
			f.Close()
			if string(b) != "durable" {
				t.Fatalf("blob holds %q after the crash", b)
			}
		})
	}
}
