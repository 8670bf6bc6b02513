package fsck_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/internal/blob"
	"github.com/tessera-s3/tessera/internal/engine"
	"github.com/tessera-s3/tessera/internal/fsck"
	"github.com/tessera-s3/tessera/internal/meta"
	pebblestore "github.com/tessera-s3/tessera/internal/meta/pebble"
	"github.com/tessera-s3/tessera/internal/meta/postgres"
	"github.com/tessera-s3/tessera/internal/meta/postgres/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// backends open a fresh metadata store of each kind for a data directory.
var backends = []struct {
	name string
	open func(t *testing.T, dir string) meta.Store
}{
	{"pebble", func(t *testing.T, dir string) meta.Store {
		s, err := pebblestore.Open(filepath.Join(dir, "meta"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}},
	{"postgres", func(t *testing.T, dir string) meta.Store {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		s, err := postgres.Open(ctx, pgtest.DSN(t))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}},
}

// fixture is a data directory with its stores and an engine writing
// through them, holding: a single-part object "plain", an SSE-S3 object
// "secret", a completed two-part object "multi", and an upload in
// progress with one part.
type fixture struct {
	dir   string
	store meta.Store
	blobs *blob.Store
	eng   *engine.Engine
	// blobOf names the blob of each object ("plain", "secret",
	// "multi/1", "multi/2") and of the pending part ("pending/1").
	blobOf map[string]string
}

const bucket = "fsck-bucket"

func newFixture(t *testing.T, open func(*testing.T, string) meta.Store) *fixture {
	t.Helper()
	dir := t.TempDir()
	blobs, err := blob.Open(dir, "gw-test")
	if err != nil {
		t.Fatal(err)
	}
	store := open(t, dir)
	t.Cleanup(func() { store.Close() })
	root := bytes.Repeat([]byte{7}, 32)
	f := &fixture{dir: dir, store: store, blobs: blobs, blobOf: map[string]string{},
		eng: engine.New(store, blobs, engine.Options{MinPartSize: 1, RootKey: root})}
	ctx := context.Background()
	owner := engine.Owner{ID: "owner"}
	if err := f.eng.CreateBucket(ctx, owner, bucket, "", false, nil); err != nil {
		t.Fatal(err)
	}
	put := func(key, body string, enc engine.EncryptionInput) {
		_, err := f.eng.PutObject(ctx, engine.PutInput{Bucket: bucket, Key: key, Owner: owner,
			Body: engine.BodyInput{Body: strings.NewReader(body), Size: int64(len(body))}, Attrs: engine.WriteAttrs{Encryption: enc}})
		if err != nil {
			t.Fatal(err)
		}
	}
	put("plain", "hello, fsck", engine.EncryptionInput{})
	put("secret", strings.Repeat("s", 70<<10), engine.EncryptionInput{Mode: engine.SSES3})
	upload := func(key string, parts ...string) string {
		u, err := f.eng.CreateMultipartUpload(ctx, engine.CreateUploadInput{Bucket: bucket, Key: key, Owner: owner, Initiator: owner})
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range parts {
			_, err := f.eng.UploadPart(ctx, engine.UploadPartInput{Bucket: bucket, Key: key, UploadID: u.ID, PartNumber: i + 1,
				Body: engine.BodyInput{Body: strings.NewReader(p), Size: int64(len(p))}})
			if err != nil {
				t.Fatal(err)
			}
		}
		return u.ID
	}
	id := upload("multi", "first part", "second part")
	var cparts []engine.CompletePart
	ps, err := store.ListParts(ctx, id, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		cparts = append(cparts, engine.CompletePart{Number: p.Number, ETag: p.ETag})
	}
	if _, err := f.eng.CompleteMultipartUpload(ctx, engine.CompleteInput{Bucket: bucket, Key: "multi", UploadID: id, Parts: cparts, ObjectSize: -1}); err != nil {
		t.Fatal(err)
	}
	pending := upload("pending", "a part in progress")
	for _, key := range []string{"plain", "secret", "multi"} {
		obj, err := store.GetObject(ctx, bucket, key, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(obj.Segments) == 1 {
			f.blobOf[key] = obj.Segments[0].BlobID
			continue
		}
		for _, s := range obj.Segments {
			f.blobOf[key+"/"+string(rune('0'+s.PartNumber))] = s.BlobID
		}
	}
	ps, err = store.ListParts(ctx, pending, 0, 10)
	if err != nil || len(ps) != 1 {
		t.Fatalf("pending parts %v, %v", ps, err)
	}
	f.blobOf["pending/1"] = ps[0].BlobID
	return f
}

// path is where the blob's file is (blob's layout: blobs/xx/yy/<id>).
func (f *fixture) path(id string) string {
	return filepath.Join(f.dir, "blobs", id[:2], id[2:4], id)
}

// orphan writes an unreferenced blob whose file is age old.
func (f *fixture) orphan(t *testing.T, age time.Duration) string {
	t.Helper()
	w, err := f.blobs.Create()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("nobody refers to me"))
	id, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-age)
	if err := os.Chtimes(f.path(id), old, old); err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fixture) check(t *testing.T, opts fsck.Options) *fsck.Report {
	t.Helper()
	rep, err := fsck.Check(context.Background(), f.store, f.blobs, opts)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return rep
}

// TestCheck damages a store one way per row and expects exactly the
// findings that damage makes, on both metadata backends.
func TestCheck(t *testing.T) {
	type want map[fsck.Class]int
	cases := []struct {
		name   string
		deep   bool
		damage func(t *testing.T, f *fixture) // nil: a clean store
		want   want
		// blob is the blob the finding must name ("" when not checked).
		blob string
	}{
		{name: "clean", want: want{}},
		{name: "clean deep", deep: true, want: want{}},
		{name: "missing object blob", want: want{fsck.MissingBlob: 1}, damage: func(t *testing.T, f *fixture) {
			os.Remove(f.path(f.blobOf["plain"]))
		}, blob: "plain"},
		{name: "missing part of a completed upload", want: want{fsck.MissingBlob: 1}, damage: func(t *testing.T, f *fixture) {
			os.Remove(f.path(f.blobOf["multi/2"]))
		}, blob: "multi/2"},
		{name: "missing part of an upload in progress", want: want{fsck.MissingBlob: 1}, damage: func(t *testing.T, f *fixture) {
			os.Remove(f.path(f.blobOf["pending/1"]))
		}, blob: "pending/1"},
		{name: "truncated plaintext blob", want: want{fsck.SizeMismatch: 1}, damage: func(t *testing.T, f *fixture) {
			os.Truncate(f.path(f.blobOf["plain"]), 3)
		}, blob: "plain"},
		{name: "truncated encrypted blob", want: want{fsck.SizeMismatch: 1}, damage: func(t *testing.T, f *fixture) {
			os.Truncate(f.path(f.blobOf["secret"]), 70<<10) // the plaintext size: the tags are gone
		}, blob: "secret"},
		{name: "corrupted byte, quick check does not read", want: want{}, damage: corrupt("multi/1")},
		{name: "corrupted byte, deep", deep: true, want: want{fsck.ChecksumMismatch: 1}, damage: corrupt("multi/1"), blob: "multi/1"},
		{name: "corrupted pending part, deep", deep: true, want: want{fsck.ChecksumMismatch: 1}, damage: corrupt("pending/1"), blob: "pending/1"},
		{name: "old orphan", want: want{fsck.Orphan: 1}, damage: func(t *testing.T, f *fixture) {
			f.orphan(t, 2*engine.OrphanGrace)
		}},
		{name: "young orphan is in flight", want: want{}, damage: func(t *testing.T, f *fixture) {
			f.orphan(t, time.Minute)
		}},
		{name: "temp file of an unregistered gateway", want: want{fsck.StaleTemp: 1}, damage: func(t *testing.T, f *fixture) {
			tempFile(t, f, "gw-gone")
		}},
		{name: "temp file of a registered gateway is in flight", want: want{}, damage: func(t *testing.T, f *fixture) {
			if err := f.store.Join(context.Background(), meta.Gateway{ID: "gw-live"}, time.Minute); err != nil {
				t.Fatal(err)
			}
			tempFile(t, f, "gw-live")
		}},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					f := newFixture(t, b.open)
					if tc.damage != nil {
						tc.damage(t, f)
					}
					rep := f.check(t, fsck.Options{Deep: tc.deep})
					got := want{}
					for c, fd := range rep.Findings {
						got[c] = fd.Count
					}
					if !equal(got, tc.want) {
						var buf bytes.Buffer
						rep.WriteText(&buf)
						t.Fatalf("findings %v, want %v\n%s", got, tc.want, buf.String())
					}
					if rep.Problems() == 0 != (len(tc.want) == 0) {
						t.Errorf("Problems() = %d with findings %v", rep.Problems(), got)
					}
					if tc.blob != "" {
						for c := range tc.want {
							if it := rep.Findings[c].Items[0]; it.Blob != f.blobOf[tc.blob] || it.Bucket != bucket {
								t.Errorf("%s item %+v, want blob %s of %s", c, it, f.blobOf[tc.blob], tc.blob)
							}
						}
					}
					s := rep.Stats
					if s.Buckets != 1 || s.Versions != 3 || s.Uploads != 1 || s.Parts != 1 || s.Referenced != 5 {
						t.Errorf("stats %+v", s)
					}
					if tc.deep && s.Verified != 5 && len(tc.want) == 0 {
						t.Errorf("deep check verified %d blobs, want 5", s.Verified)
					}
				})
			}
		})
	}
}

func corrupt(name string) func(t *testing.T, f *fixture) {
	return func(t *testing.T, f *fixture) {
		p := f.path(f.blobOf[name])
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/2] ^= 0x20
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func tempFile(t *testing.T, f *fixture, gateway string) {
	t.Helper()
	d := filepath.Join(f.dir, "tmp", gateway)
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "blob-123"), []byte("half a body"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func equal(a, b map[fsck.Class]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestRepair removes exactly the old orphans: young orphans, referenced
// blobs and every other finding stay.
func TestRepair(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			f := newFixture(t, b.open)
			old1, old2 := f.orphan(t, 2*engine.OrphanGrace), f.orphan(t, 3*engine.OrphanGrace)
			young := f.orphan(t, time.Minute)
			os.Remove(f.path(f.blobOf["plain"])) // a finding repair must leave

			rep := f.check(t, fsck.Options{Repair: true})
			if rep.Count(fsck.Orphan) != 2 || rep.Repaired != 2 || rep.Count(fsck.MissingBlob) != 1 || rep.Problems() != 1 {
				t.Fatalf("report: orphans %d, repaired %d, missing %d, problems %d", rep.Count(fsck.Orphan), rep.Repaired, rep.Count(fsck.MissingBlob), rep.Problems())
			}
			for _, id := range []string{old1, old2} {
				if _, err := os.Stat(f.path(id)); !os.IsNotExist(err) {
					t.Errorf("old orphan %s still there (%v)", id, err)
				}
			}
			for _, id := range []string{young, f.blobOf["secret"], f.blobOf["multi/1"], f.blobOf["multi/2"], f.blobOf["pending/1"]} {
				if _, err := os.Stat(f.path(id)); err != nil {
					t.Errorf("repair removed %s: %v", id, err)
				}
			}
			rep = f.check(t, fsck.Options{})
			if rep.Count(fsck.Orphan) != 0 || rep.Stats.InFlight != 1 || rep.Problems() != 1 {
				t.Errorf("after repair: orphans %d, in flight %d, problems %d", rep.Count(fsck.Orphan), rep.Stats.InFlight, rep.Problems())
			}
		})
	}
}

// TestReportOutput: the text report lists counts then items, capped at
// MaxItems per class while counts stay complete; the JSON report carries
// the same.
func TestReportOutput(t *testing.T) {
	f := newFixture(t, backends[0].open)
	for range 3 {
		f.orphan(t, 2*engine.OrphanGrace)
	}
	rep := f.check(t, fsck.Options{MaxItems: 2})
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, re := range []string{`FINDING +COUNT\norphan +3\n`, `orphan \(3, first 2\):\n(  blob [0-9a-f]{32}, 19 bytes: unreferenced since .*\n){2}\n`, `3 findings remain`} {
		if !regexp.MustCompile(re).MatchString(text) {
			t.Errorf("text report does not match %q:\n%s", re, text)
		}
	}
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back fsck.Report
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if back.Count(fsck.Orphan) != 3 || len(back.Findings[fsck.Orphan].Items) != 2 || back.Stats.OnDisk != 8 {
		t.Errorf("JSON report: %s", js)
	}
}

// TestGarbage: a blob on the garbage list is neither an orphan nor, once
// the collector removed it before forgetting it, missing.
func TestGarbage(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			f := newFixture(t, b.open)
			ctx := context.Background()
			// Another registered gateway keeps the engine from freeing
			// replaced blobs at once: they stay on the garbage list.
			if err := f.store.Join(ctx, meta.Gateway{ID: "gw-other"}, time.Hour); err != nil {
				t.Fatal(err)
			}
			body := "replaced"
			if _, err := f.eng.PutObject(ctx, engine.PutInput{Bucket: bucket, Key: "plain",
				Body: engine.BodyInput{Body: strings.NewReader(body), Size: int64(len(body))}}); err != nil {
				t.Fatal(err)
			}
			old := f.blobOf["plain"]
			rep := f.check(t, fsck.Options{Deep: true})
			if rep.Problems() != 0 || rep.Stats.Garbage != 1 {
				t.Fatalf("with garbage: problems %d, garbage %d", rep.Problems(), rep.Stats.Garbage)
			}
			os.Remove(f.path(old))
			rep = f.check(t, fsck.Options{Deep: true})
			if rep.Problems() != 0 || rep.Stats.Garbage != 1 {
				t.Fatalf("with garbage removed: problems %d, garbage %d", rep.Problems(), rep.Stats.Garbage)
			}
		})
	}
}

// vanishing is a store whose listing cannot resume after a version the
// first time it is asked to: the null version a page ended on was removed
// meanwhile (ListVersions' ErrNotFound).
type vanishing struct {
	meta.Store
	failed bool
}

func (v *vanishing) ListVersions(ctx context.Context, bucket, prefix, afterKey, afterVersionID string, limit int) ([]meta.Object, error) {
	if afterVersionID != "" && !v.failed {
		v.failed = true
		return nil, meta.ErrNotFound
	}
	return v.Store.ListVersions(ctx, bucket, prefix, afterKey, afterVersionID, limit)
}

// TestListingResumesAfterRemovedVersion: the walk goes on past a version
// removed under it, and still sees every other version exactly once (a
// version it missed would be reported as a dangling reference).
func TestListingResumesAfterRemovedVersion(t *testing.T) {
	defer fsck.SetPage(1)()
	f := newFixture(t, backends[0].open)
	store := &vanishing{Store: f.store}
	rep, err := fsck.Check(context.Background(), store, f.blobs, fsck.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !store.failed || rep.Problems() != 0 || rep.Stats.Versions != 3 || rep.Stats.Parts != 1 {
		t.Fatalf("failed %v, problems %d, stats %+v", store.failed, rep.Problems(), rep.Stats)
	}
}

// deleting is a store on which the object "plain" is deleted right after
// the walk read it: GetObject finds it once, then never again.
type deleting struct {
	meta.Store
	reads int
}

func (d *deleting) GetObject(ctx context.Context, bucket, key, versionID string) (meta.Object, error) {
	if key == "plain" {
		if d.reads++; d.reads > 1 {
			return meta.Object{}, meta.ErrNotFound
		}
	}
	return d.Store.GetObject(ctx, bucket, key, versionID)
}

// TestMissingBlobOfDeletedObject: a blob found missing is reported only
// if its record still names it; a concurrent delete freed it otherwise.
func TestMissingBlobOfDeletedObject(t *testing.T) {
	f := newFixture(t, backends[0].open)
	os.Remove(f.path(f.blobOf["plain"]))
	store := &deleting{Store: f.store}
	rep, err := fsck.Check(context.Background(), store, f.blobs, fsck.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if store.reads != 2 || rep.Problems() != 0 {
		t.Fatalf("reads %d, findings %v", store.reads, rep.Findings)
	}
}
