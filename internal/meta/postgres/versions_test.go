package postgres_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/meta/metacodec"
	"github.com/tessera-s3/tessera/internal/meta/postgres"
	"github.com/tessera-s3/tessera/internal/meta/postgres/pgtest"
)

// TestMigrateToVersions: objects written by a release of schema version 1
// (before versions) are, after the upgrade, each key's null version: read
// by "" and by "null", listed, replaced by a write on a bucket whose
// versioning is not Enabled, and kept as noncurrent by one where it is.
func TestMigrateToVersions(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.DSN(t)
	must(t, "CreateSchemaAt(1)", postgres.CreateSchemaAt(ctx, dsn, 1))
	conn, err := pgx.Connect(ctx, dsn)
	must(t, "connect", err)
	defer conn.Close(ctx)
	// Rows as release 1 wrote them: the header as JSON without the
	// manifest (and without VersionID or Seq, which it did not know), the
	// manifest in metacodec's form.
	bucketRec, err := json.Marshal(meta.Bucket{Name: "b", Created: base})
	must(t, "encode bucket", err)
	_, err = conn.Exec(ctx, `INSERT INTO buckets (name, rec) VALUES ($1, $2)`, []byte("b"), bucketRec)
	must(t, "insert bucket", err)
	old := map[string]meta.Object{}
	for _, k := range []string{"k1", "k2", "k3"} {
		o := meta.Object{Bucket: "b", Key: k, Size: 3, ETag: "etag-" + k, LastModified: base, StorageClass: "STANDARD",
			Segments: []meta.Segment{{BlobID: "blob-" + k, Size: 3, ETag: "etag-" + k}}}
		header := o
		header.Segments = nil
		rec, err := json.Marshal(header)
		must(t, "encode object", err)
		_, err = conn.Exec(ctx, `INSERT INTO objects (bucket, key, rec, segments) VALUES ($1, $2, $3, $4)`,
			[]byte("b"), []byte(k), rec, metacodec.AppendSegments(nil, o.Segments))
		must(t, "insert object", err)
		old[k] = o
	}

	s := open(t, dsn)
	defer s.Close()
	for k, want := range old {
		for _, id := range []string{"", meta.NullVersion} {
			got, err := s.GetObject(ctx, "b", k, id)
			must(t, "GetObject("+k+", "+id+")", err)
			if got.VersionID != meta.NullVersion || got.Seq != 0 || !got.IsLatest || got.ETag != want.ETag ||
				len(got.Segments) != 1 || got.Segments[0].BlobID != want.Segments[0].BlobID {
				t.Fatalf("GetObject(%q, %q) after the upgrade = %+v", k, id, got)
			}
		}
	}
	listed, err := s.ListObjects(ctx, "b", "", "", 10)
	must(t, "ListObjects", err)
	if len(listed) != 3 {
		t.Fatalf("ListObjects after the upgrade: %d objects, want 3", len(listed))
	}
	versions := func() []string {
		t.Helper()
		vs, err := s.ListVersions(ctx, "b", "", "", "", 10)
		must(t, "ListVersions", err)
		var out []string
		for _, v := range vs {
			d := v.Key + "@" + v.VersionID
			if v.IsLatest {
				d += "*"
			}
			out = append(out, d)
		}
		return out
	}
	if got, want := versions(), []string{"k1@null*", "k2@null*", "k3@null*"}; !slices.Equal(got, want) {
		t.Fatalf("ListVersions after the upgrade = %q, want %q", got, want)
	}
	after, err := s.ListVersions(ctx, "b", "", "k1", meta.NullVersion, 10)
	must(t, "ListVersions(after k1's null version)", err)
	if len(after) != 2 || after[0].Key != "k2" {
		t.Fatalf("ListVersions after k1@null = %d versions starting %q", len(after), after[0].Key)
	}

	// Unversioned: a write replaces the old null version.
	_, g, err := s.PutObject(ctx, meta.Object{Bucket: "b", Key: "k1", LastModified: base}, nil)
	must(t, "PutObject(k1)", err)
	if !slices.Equal(g, []string{"blob-k1"}) {
		t.Fatalf("garbage of replacing an old null version = %q", g)
	}
	// Enabled: the old null version becomes noncurrent, then a suspended
	// write replaces it there.
	must(t, "UpdateBucket", s.UpdateBucket(ctx, "b", func(b *meta.Bucket) error {
		b.Versioning = meta.VersioningEnabled
		return nil
	}))
	v, _, err := s.PutObject(ctx, meta.Object{Bucket: "b", Key: "k2", LastModified: base}, nil)
	must(t, "PutObject(k2, Enabled)", err)
	if got, want := versions(), []string{"k1@null*", "k2@" + v.VersionID + "*", "k2@null", "k3@null*"}; !slices.Equal(got, want) {
		t.Fatalf("ListVersions after a versioned write = %q, want %q", got, want)
	}
	must(t, "UpdateBucket", s.UpdateBucket(ctx, "b", func(b *meta.Bucket) error {
		b.Versioning = meta.VersioningSuspended
		return nil
	}))
	_, g, err = s.PutObject(ctx, meta.Object{Bucket: "b", Key: "k2", LastModified: base}, nil)
	must(t, "PutObject(k2, Suspended)", err)
	if !slices.Equal(g, []string{"blob-k2"}) {
		t.Fatalf("garbage of replacing a noncurrent old null version = %q", g)
	}
	res, g, err := s.DeleteObject(ctx, meta.Deletion{Bucket: "b", Key: "k3", VersionID: meta.NullVersion}, nil)
	must(t, "DeleteObject(k3 null)", err)
	if res.Removed == nil || res.Marker != nil || !slices.Equal(g, []string{"blob-k3"}) {
		t.Fatalf("DeleteObject(k3 null) = %+v, garbage %q", res, g)
	}
	if got, want := versions(), []string{"k1@null*", "k2@null*", "k2@" + v.VersionID}; !slices.Equal(got, want) {
		t.Fatalf("ListVersions at the end = %q, want %q", got, want)
	}
}

// TestStoresRaceVersions: gateways racing writes, delete markers and
// deletes of the null version on one key of a Suspended bucket (every
// write replaces the null version; deleting the latest promotes an older
// one; a key without versions is created by racing inserts) leave at most
// one null version, and every blob of an acknowledged write is either
// still referenced or returned as garbage exactly once.
func TestStoresRaceVersions(t *testing.T) {
	ss := stores(t, 3)
	ctx := t.Context()
	must(t, "CreateBucket", ss[0].CreateBucket(ctx, meta.Bucket{Name: "b", Created: base}))
	versioning := func(state string) {
		must(t, "UpdateBucket", ss[1].UpdateBucket(ctx, "b", func(b *meta.Bucket) error {
			b.Versioning = state
			return nil
		}))
	}
	for round := range 6 {
		key := fmt.Sprintf("k%d", round)
		var put []string // blobs of acknowledged writes
		garbage := map[string]int{}
		versioning(meta.VersioningEnabled)
		if round%2 == 0 { // else the racers create the key
			for i := range 3 {
				blob := fmt.Sprintf("r%d-seed%d", round, i)
				_, g, err := ss[i].PutObject(ctx, meta.Object{Bucket: "b", Key: key, LastModified: base,
					Segments: []meta.Segment{{BlobID: blob}}}, nil)
				must(t, "PutObject(seed)", err)
				put = append(put, blob)
				for _, id := range g {
					garbage[id]++
				}
			}
		}
		versioning(meta.VersioningSuspended)
		const n = 18
		blobs := make([]string, n)
		gs := make([][]string, n)
		errs := make([]error, n)
		run(n, func(i int) {
			s := ss[i%len(ss)]
			switch i % 3 {
			case 0:
				blobs[i] = fmt.Sprintf("r%d-%d", round, i)
				_, gs[i], errs[i] = s.PutObject(ctx, meta.Object{Bucket: "b", Key: key, LastModified: base,
					Segments: []meta.Segment{{BlobID: blobs[i]}}}, nil)
			case 1:
				_, gs[i], errs[i] = s.DeleteObject(ctx, meta.Deletion{Bucket: "b", Key: key, At: base}, nil)
			default:
				_, gs[i], errs[i] = s.DeleteObject(ctx, meta.Deletion{Bucket: "b", Key: key, VersionID: meta.NullVersion}, nil)
				if errors.Is(errs[i], meta.ErrNotFound) {
					errs[i] = nil // the null version was already gone
				}
			}
		})
		for i := range n {
			must(t, fmt.Sprintf("round %d, racer %d", round, i), errs[i])
			if blobs[i] != "" {
				put = append(put, blobs[i])
			}
			for _, id := range gs[i] {
				garbage[id]++
			}
		}
		vs, err := ss[2].ListVersions(ctx, "b", key, "", "", 100)
		must(t, "ListVersions", err)
		nulls := 0
		for i, v := range vs {
			if v.VersionID == meta.NullVersion {
				nulls++
			}
			if v.IsLatest != (i == 0) {
				t.Fatalf("round %d: IsLatest wrong at %d", round, i)
			}
		}
		if nulls > 1 {
			t.Fatalf("round %d: %d null versions", round, nulls)
		}
		refs := map[string]int{}
		for _, v := range vs {
			o, err := ss[0].GetObject(ctx, "b", key, v.VersionID)
			must(t, "GetObject", err)
			for _, sg := range o.Segments {
				refs[sg.BlobID]++
			}
		}
		for _, blob := range put {
			if refs[blob]+garbage[blob] != 1 {
				t.Errorf("round %d: blob %s referenced %d times and garbage %d times, want once in all",
					round, blob, refs[blob], garbage[blob])
			}
		}
	}
}
