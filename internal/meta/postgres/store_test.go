package postgres_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/meta/metatest"
	"github.com/tessera-s3/tessera/internal/meta/postgres"
	"github.com/tessera-s3/tessera/internal/meta/postgres/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func TestStore(t *testing.T) {
	// The suite's dir names the data; the same dir must reopen the same
	// database.
	dsnFor := func(t *testing.T, dir string) string {
		sum := sha256.Sum256([]byte(dir))
		return pgtest.DSNFor(t, "suite_"+hex.EncodeToString(sum[:12]))
	}
	metatest.RunStoreSuite(t, func(t *testing.T, dir string) meta.Store {
		return open(t, dsnFor(t, dir))
	}, metatest.WithPeer(func(t *testing.T, _ meta.Store, dir string) meta.Store {
		// Another Store on the same database: another gateway process.
		return open(t, dsnFor(t, dir))
	}))
}

// open opens a store on dsn; the caller closes it.
func open(t testing.TB, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// stores opens n stores on one new database, as n gateway processes would:
// each has its own connections, so they meet only in PostgreSQL.
func stores(t *testing.T, n int) []*postgres.Store {
	t.Helper()
	dsn := pgtest.DSN(t)
	var out []*postgres.Store
	for range n {
		s := open(t, dsn)
		t.Cleanup(func() { s.Close() })
		out = append(out, s)
	}
	return out
}

var base = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func part(uploadID string, n int, blob string) meta.Part {
	return meta.Part{UploadID: uploadID, Number: n, BlobID: blob, Size: int64(n), ETag: "etag-" + blob, LastModified: base}
}

func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// setup creates bucket "b" and upload id on key "k".
func setup(t testing.TB, s meta.Store, id string) {
	t.Helper()
	ctx := t.Context()
	if _, err := s.GetBucket(ctx, "b"); errors.Is(err, meta.ErrNotFound) {
		must(t, "CreateBucket", s.CreateBucket(ctx, meta.Bucket{Name: "b", Created: base}))
	}
	must(t, "CreateUpload", s.CreateUpload(ctx, meta.Upload{ID: id, Bucket: "b", Key: "k", Initiated: base}))
}

// run starts fn(0..n-1) together and waits for all.
func run(n int, fn func(i int)) {
	var start, done sync.WaitGroup
	start.Add(1)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			start.Wait()
			fn(i)
		}()
	}
	start.Done()
	done.Wait()
}

// TestStoresRacePutPart: gateways replacing one part at once leave one
// part, and every other blob comes back as garbage exactly once.
func TestStoresRacePutPart(t *testing.T) {
	ss := stores(t, 3)
	ctx := t.Context()
	setup(t, ss[0], "up")
	const n = 60
	garbage := make([][]string, n)
	errs := make([]error, n)
	run(n, func(i int) {
		garbage[i], errs[i] = ss[i%len(ss)].PutPart(ctx, "b", "k", part("up", 3, fmt.Sprintf("blob%02d", i)))
	})
	counts := map[string]int{}
	for i := range n {
		must(t, "PutPart", errs[i])
		for _, g := range garbage[i] {
			counts[g]++
		}
	}
	parts, err := ss[1].ListParts(ctx, "up", 0, 10)
	must(t, "ListParts", err)
	if len(parts) != 1 {
		t.Fatalf("%d parts, want 1", len(parts))
	}
	counts[parts[0].BlobID]++
	for i := range n {
		if id := fmt.Sprintf("blob%02d", i); counts[id] != 1 {
			t.Errorf("blob %s accounted for %d times, want 1", id, counts[id])
		}
	}
	recorded, err := ss[2].Garbage(ctx, 1000)
	must(t, "Garbage", err)
	if len(recorded) != n-1 {
		t.Fatalf("Garbage holds %d ids, want %d", len(recorded), n-1)
	}
}

// TestStoresRaceComplete: of several gateways completing one upload (with
// parts still arriving), exactly one succeeds; the others find no upload.
// Every accepted part ends in the object or in garbage, once.
func TestStoresRaceComplete(t *testing.T) {
	ss := stores(t, 2)
	ctx := t.Context()
	for round := range 5 {
		id := fmt.Sprintf("up%d", round)
		setup(t, ss[0], id)
		for n := 1; n <= 3; n++ {
			_, err := ss[0].PutPart(ctx, "b", "k", part(id, n, fmt.Sprintf("%s-p%d", id, n)))
			must(t, "PutPart", err)
		}
		const completers, putters = 4, 10
		type result struct {
			obj     meta.Object
			garbage []string
			err     error
		}
		results := make([]result, completers+putters)
		run(completers+putters, func(i int) {
			s := ss[i%2]
			if i >= completers {
				var r result
				r.garbage, r.err = s.PutPart(ctx, "b", "k", part(id, i%4+1, fmt.Sprintf("%s-late%d", id, i)))
				results[i] = r
				return
			}
			obj, g, err := s.CompleteUpload(ctx, "b", "k", id, func(u meta.Upload, ps []meta.Part) (meta.Object, error) {
				time.Sleep(time.Millisecond) // let racers pile up on the locks
				o := meta.Object{Bucket: "b", Key: "k", ETag: "mpu", LastModified: base}
				for _, p := range ps {
					if p.Number%2 == 1 { // use odd parts only
						o.Segments = append(o.Segments, meta.Segment{BlobID: p.BlobID, Size: p.Size, PartNumber: p.Number})
					}
				}
				return o, nil
			}, nil)
			results[i] = result{obj, g, err}
		})
		winners := 0
		counts := map[string]int{}
		for i, r := range results {
			switch {
			case r.err == nil:
				if i < completers {
					winners++
					for _, sg := range r.obj.Segments {
						counts[sg.BlobID]++
					}
				}
				for _, g := range r.garbage {
					counts[g]++
				}
			case !errors.Is(r.err, meta.ErrNotFound):
				t.Fatalf("round %d, racer %d: %v", round, i, r.err)
			}
		}
		if winners != 1 {
			t.Fatalf("round %d: %d completions succeeded, want 1", round, winners)
		}
		want := []string{fmt.Sprintf("%s-p1", id), fmt.Sprintf("%s-p2", id), fmt.Sprintf("%s-p3", id)}
		for i := completers; i < len(results); i++ {
			blob := fmt.Sprintf("%s-late%d", id, i)
			if results[i].err == nil {
				want = append(want, blob)
			} else if counts[blob] != 0 {
				t.Errorf("round %d: refused part %s is referenced", round, blob)
			}
		}
		for _, blob := range want {
			if counts[blob] != 1 {
				t.Errorf("round %d: blob %s accounted for %d times, want 1", round, blob, counts[blob])
			}
		}
	}
}

// TestStoresRaceDeleteBucket: parts written while another gateway deletes
// the bucket are either refused or freed by the delete; none is orphaned.
func TestStoresRaceDeleteBucket(t *testing.T) {
	ss := stores(t, 2)
	ctx := t.Context()
	for round := range 5 {
		id := fmt.Sprintf("up%d", round)
		setup(t, ss[0], id)
		const n = 12
		errs := make([]error, n)
		garbage := make([][]string, n)
		var delGarbage []string
		var delErr error
		run(n+1, func(i int) {
			if i == n {
				delGarbage, delErr = ss[1].DeleteBucket(ctx, "b")
				return
			}
			garbage[i], errs[i] = ss[0].PutPart(ctx, "b", "k", part(id, i%3+1, fmt.Sprintf("r%d-%d", round, i)))
		})
		must(t, "DeleteBucket", delErr)
		counts := map[string]int{}
		for _, g := range slices.Concat(append(garbage, delGarbage)...) {
			counts[g]++
		}
		for i := range n {
			blob := fmt.Sprintf("r%d-%d", round, i)
			switch {
			case errs[i] == nil && counts[blob] != 1:
				t.Errorf("round %d: accepted part %s accounted for %d times, want 1", round, blob, counts[blob])
			case errors.Is(errs[i], meta.ErrNotFound) && counts[blob] != 0:
				t.Errorf("round %d: refused part %s returned as garbage", round, blob)
			case errs[i] != nil && !errors.Is(errs[i], meta.ErrNotFound):
				t.Fatalf("round %d: PutPart: %v", round, errs[i])
			}
		}
		refs := 0
		must(t, "ForEachBlobRef", ss[0].ForEachBlobRef(ctx, func(string) { refs++ }))
		if g, err := ss[0].Garbage(ctx, 1000); err != nil || refs != len(g) {
			t.Fatalf("round %d: %d blob refs but garbage %v (%v): a part outlived its bucket", round, refs, g, err)
		}
		if g, _ := ss[0].Garbage(ctx, 1000); len(g) > 0 {
			must(t, "DeleteGarbage", ss[0].DeleteGarbage(ctx, g))
		}
	}
}

// TestConcurrentOpen: gateways starting together create the schema once.
func TestConcurrentOpen(t *testing.T) {
	dsn := pgtest.DSN(t)
	const n = 8
	errs := make([]error, n)
	run(n, func(i int) {
		s, err := postgres.Open(t.Context(), dsn)
		if err == nil {
			s.Close()
		}
		errs[i] = err
	})
	for i, err := range errs {
		must(t, fmt.Sprintf("Open %d", i), err)
	}
	conn, err := pgx.Connect(t.Context(), dsn)
	must(t, "connect", err)
	defer conn.Close(context.Background())
	var versions []int
	rows, err := conn.Query(t.Context(), `SELECT version FROM schema_version ORDER BY version`)
	must(t, "query", err)
	versions, err = pgx.CollectRows(rows, pgx.RowTo[int])
	must(t, "schema_version", err)
	if !slices.Equal(versions, []int{1, 2, 3}) {
		t.Fatalf("schema_version rows = %v, want [1 2 3]", versions)
	}

	// A schema newer than the binary is refused, not misread.
	_, err = conn.Exec(t.Context(), `INSERT INTO schema_version (version) VALUES (99)`)
	must(t, "insert version", err)
	if s, err := postgres.Open(t.Context(), dsn); err == nil {
		s.Close()
		t.Fatal("Open accepted a database of schema version 99")
	}
}

// TestExactBytes: names, keys and IDs are bytes, not text: NUL, invalid
// UTF-8 and backslashes (bytea's text escape) survive, and order is byte
// order. Segments are binary records, so their blob IDs keep every byte
// too. (Fields inside the JSON records keep NUL and backslashes; invalid
// UTF-8 there becomes U+FFFD, as in the Pebble store's JSON records.)
func TestExactBytes(t *testing.T) {
	s := stores(t, 1)[0]
	ctx := t.Context()
	const bucket = `b\x41` // a backslash, not an escape
	must(t, "CreateBucket", s.CreateBucket(ctx, meta.Bucket{Name: bucket, Created: base}))
	keys := []string{"k\x00\xff", `k\x41`, "k\xfe\x80", "k\u00e9", "k\\", "k"}
	for _, k := range keys {
		_, _, err := s.PutObject(ctx, meta.Object{Bucket: bucket, Key: k, LastModified: base,
			Segments: []meta.Segment{{BlobID: "blob\x00\\\xff"}}}, nil)
		must(t, "PutObject", err)
		o, err := s.GetObject(ctx, bucket, k, "")
		must(t, "GetObject", err)
		if o.Bucket != bucket || o.Key != k || len(o.Segments) != 1 || o.Segments[0].BlobID != "blob\x00\\\xff" {
			t.Errorf("GetObject(%q) = %q %q %+v", k, o.Bucket, o.Key, o.Segments)
		}
	}
	list, err := s.ListObjects(ctx, bucket, "k", "", 100)
	must(t, "ListObjects", err)
	var got []string
	for _, o := range list {
		got = append(got, o.Key)
	}
	want := slices.Clone(keys)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("ListObjects = %q, want %q", got, want)
	}
	must(t, "PutDoc", s.PutDoc(ctx, "kind", "id\x00\xff", []byte{0, 1, 2}))
	doc, err := s.GetDoc(ctx, "kind", "id\x00\xff")
	must(t, "GetDoc", err)
	if !slices.Equal(doc, []byte{0, 1, 2}) {
		t.Fatalf("GetDoc = %x", doc)
	}
}

// TestCanceledContext: a cancelled context is reported as such, also by a
// call waiting for a lock that another gateway holds.
func TestCanceledContext(t *testing.T) {
	dsn := pgtest.DSN(t)
	s := open(t, dsn)
	defer s.Close()
	setup(t, s, "up")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.GetObject(ctx, "b", "k", "")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("GetObject: err = %v, want context.Canceled", err)
	}
	_, err = s.PutPart(ctx, "b", "k", part("up", 1, "blob"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("PutPart: err = %v, want context.Canceled", err)
	}
	err = s.ForEachBlobRef(ctx, func(string) {})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("ForEachBlobRef: err = %v, want context.Canceled", err)
	}

	conn, err := pgx.Connect(t.Context(), dsn)
	must(t, "connect", err)
	defer conn.Close(context.Background())
	tx, err := conn.Begin(t.Context())
	must(t, "begin", err)
	_, err = tx.Exec(t.Context(), `SELECT 1 FROM uploads FOR UPDATE`)
	must(t, "lock", err)
	short, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_, err = s.AbortUpload(short, "b", "k", "up")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("AbortUpload waiting for a lock: err = %v, want context.DeadlineExceeded", err)
	}
	must(t, "rollback", tx.Rollback(t.Context()))
	g, err := s.AbortUpload(t.Context(), "b", "k", "up")
	must(t, "AbortUpload after the lock is released", err)
	if len(g) != 0 {
		t.Fatalf("AbortUpload garbage = %q", g)
	}
}

// TestOpenReadOnly: a read-only store reads what gateways wrote, cannot
// write, and refuses a database without the schema rather than making it.
func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	if s, err := postgres.OpenReadOnly(ctx, dsn); err == nil {
		s.Close()
		t.Fatal("OpenReadOnly of an empty database succeeded")
	}
	rw := open(t, dsn)
	defer rw.Close()
	if err := rw.CreateBucket(ctx, meta.Bucket{Name: "b"}); err != nil {
		t.Fatal(err)
	}
	ro, err := postgres.OpenReadOnly(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.GetBucket(ctx, "b"); err != nil {
		t.Fatalf("GetBucket: %v", err)
	}
	if err := ro.ForEachBlobRef(ctx, func(string) {}); err != nil {
		t.Fatalf("ForEachBlobRef: %v", err)
	}
	if _, err := ro.Gateways(ctx); err != nil {
		t.Fatalf("Gateways: %v", err)
	}
	if err := ro.CreateBucket(ctx, meta.Bucket{Name: "c"}); err == nil {
		t.Fatal("a read-only store accepted a write")
	}
}
