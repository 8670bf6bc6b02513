package metatest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/internal/meta"
)

// The versions contract: every write makes a version, the latest is kept
// in the same atomic step, delete markers are records, and listing versions
// is ordered (key ascending, newest first) and positioned by version ID.

func (h *harness) versioning(bucket, state string) {
	h.t.Helper()
	err := h.s.UpdateBucket(h.t.Context(), bucket, func(b *meta.Bucket) error {
		b.Versioning = state
		return nil
	})
	noErr(h.t, "UpdateBucket(versioning "+state+")", err)
}

// putV puts obj and returns it as stored, checking what every write
// promises: a version ID of the right kind and a Seq.
func (h *harness) putV(obj meta.Object) meta.Object {
	h.t.Helper()
	got, _, err := h.s.PutObject(h.t.Context(), obj, nil)
	if err != nil {
		h.t.Fatalf("PutObject(%q, %q): %v", obj.Bucket, obj.Key, err)
	}
	if got.Seq <= 0 || got.VersionID == "" {
		h.t.Fatalf("PutObject(%q) stored Seq %d, VersionID %q: both must be set", obj.Key, got.Seq, got.VersionID)
	}
	if got.VersionID != meta.NullVersion {
		if seq, ok := meta.VersionSeq(got.VersionID); !ok || seq != got.Seq {
			h.t.Fatalf("PutObject(%q): VersionID %q does not encode Seq %d", obj.Key, got.VersionID, got.Seq)
		}
	}
	if !got.IsLatest {
		h.t.Fatalf("PutObject(%q) returned a version that is not latest", obj.Key)
	}
	got.IsLatest = false // the tests mark the latest with latest()
	return got
}

func (h *harness) del(bucket, key, versionID string) (meta.DeleteResult, []string) {
	h.t.Helper()
	res, g, err := h.s.DeleteObject(h.t.Context(), meta.Deletion{Bucket: bucket, Key: key, VersionID: versionID}, nil)
	if err != nil {
		h.t.Fatalf("DeleteObject(%q, %q, %q): %v", bucket, key, versionID, err)
	}
	return res, g
}

// vdesc names a version for comparisons: key@id, then "!" for a delete
// marker and "*" for the latest.
func vdesc(o meta.Object) string {
	s := o.Key + "@" + o.VersionID
	if o.DeleteMarker {
		s += "!"
	}
	if o.IsLatest {
		s += "*"
	}
	return s
}

func vdescs(objs []meta.Object) []string {
	out := []string{}
	for _, o := range objs {
		out = append(out, vdesc(o))
	}
	return out
}

func latest(o meta.Object) meta.Object { o.IsLatest = true; return o }

// versionsAre lists every version of the bucket under prefix in one call
// and in pages of every size from 1 to 4, and checks all agree with want.
func (h *harness) versionsAre(bucket, prefix string, want ...meta.Object) {
	h.t.Helper()
	wantDesc := vdescs(want)
	all, err := h.s.ListVersions(h.t.Context(), bucket, prefix, "", "", 1000)
	noErr(h.t, "ListVersions", err)
	if got := vdescs(all); !slices.Equal(got, wantDesc) {
		h.t.Fatalf("ListVersions(%q, %q) =\n %q\nwant\n %q", bucket, prefix, got, wantDesc)
	}
	for _, o := range all {
		if o.Segments != nil {
			h.t.Fatalf("ListVersions returned Segments for %s", vdesc(o))
		}
	}
	for size := 1; size <= 4; size++ {
		var pages []meta.Object
		afterKey, afterID := "", ""
		for i := 0; ; i++ {
			page, err := h.s.ListVersions(h.t.Context(), bucket, prefix, afterKey, afterID, size)
			noErr(h.t, "ListVersions(page)", err)
			if len(page) > size || i > len(want)+1 {
				h.t.Fatalf("ListVersions(page size %d) runs away: %q", size, vdescs(page))
			}
			pages = append(pages, page...)
			if len(page) < size {
				break
			}
			last := page[len(page)-1]
			afterKey, afterID = last.Key, last.VersionID
		}
		if got := vdescs(pages); !slices.Equal(got, wantDesc) {
			h.t.Fatalf("ListVersions in pages of %d =\n %q\nwant\n %q", size, got, wantDesc)
		}
	}
}

func (h *harness) getV(bucket, key, versionID string) meta.Object {
	h.t.Helper()
	o, err := h.s.GetObject(h.t.Context(), bucket, key, versionID)
	if err != nil {
		h.t.Fatalf("GetObject(%q, %q, %q): %v", bucket, key, versionID, err)
	}
	return o
}

func (h *harness) listKeys(bucket string) []string {
	h.t.Helper()
	objs, err := h.s.ListObjects(h.t.Context(), bucket, "", "", 1000)
	noErr(h.t, "ListObjects", err)
	out := []string{}
	for _, o := range objs {
		out = append(out, o.Key+"@"+o.VersionID)
	}
	return out
}

func testUpdateBucket(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	err := h.s.UpdateBucket(ctx, "b", func(b *meta.Bucket) error {
		b.Versioning, b.ObjectLock = meta.VersioningEnabled, true
		return nil
	})
	noErr(t, "UpdateBucket", err)
	want := meta.Bucket{Name: "b", Region: "us-east-1", Owner: owner, Created: base, Versioning: meta.VersioningEnabled, ObjectLock: true}
	got, err := h.s.GetBucket(ctx, "b")
	noErr(t, "GetBucket", err)
	equal(t, "GetBucket", got, want)
	list, err := h.s.ListBuckets(ctx)
	noErr(t, "ListBuckets", err)
	equal(t, "ListBuckets[0]", list[0], want)

	veto := errors.New("veto")
	err = h.s.UpdateBucket(ctx, "b", func(b *meta.Bucket) error {
		b.Versioning = meta.VersioningSuspended
		return veto
	})
	wantErr(t, "UpdateBucket(veto)", err, veto)
	got, _ = h.s.GetBucket(ctx, "b")
	equal(t, "GetBucket after veto", got, want)
	wantErr(t, "UpdateBucket(missing)", h.s.UpdateBucket(ctx, "nope", func(*meta.Bucket) error { return nil }), meta.ErrNotFound)
	h.reopen()
	got, err = h.s.GetBucket(ctx, "b")
	noErr(t, "GetBucket after reopen", err)
	equal(t, "GetBucket after reopen", got, want)
}

func testVersionsUnversioned(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	v1 := h.putV(object("b", "k", "blob1"))
	if v1.VersionID != meta.NullVersion {
		t.Fatalf("unversioned PutObject made version %q, want null", v1.VersionID)
	}
	v2, g, err := h.s.PutObject(ctx, object("b", "k", "blob2"), nil)
	noErr(t, "PutObject(replace)", err)
	sameSet(t, "garbage of replacing the null version", g, []string{"blob1"})
	if v2.VersionID != meta.NullVersion || v2.Seq <= v1.Seq {
		t.Fatalf("replacement: VersionID %q Seq %d (first Seq %d)", v2.VersionID, v2.Seq, v1.Seq)
	}
	h.versionsAre("b", "", latest(v2))
	equal(t, "GetObject(null)", h.getV("b", "k", meta.NullVersion), object("b", "k", "blob2"))
	if !h.getV("b", "k", "").IsLatest {
		t.Fatal("GetObject(latest).IsLatest is false")
	}
	_, err = h.s.GetObject(ctx, "b", "k", meta.NewVersionID(v2.Seq))
	wantErr(t, "GetObject(unknown version)", err, meta.ErrNotFound)

	res, g := h.del("b", "k", meta.NullVersion)
	sameSet(t, "garbage of deleting the null version", g, []string{"blob2"})
	if res.Removed == nil || res.Marker != nil || res.Removed.VersionID != meta.NullVersion {
		t.Fatalf("DeleteObject(null) = %+v", res)
	}
	h.versionsAre("b", "")
}

func testVersionsEnabled(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	h.versioning("b", meta.VersioningEnabled)
	var vs []meta.Object
	for i := 1; i <= 3; i++ {
		// One LastModified for all: the store still orders them.
		o, g, err := h.s.PutObject(ctx, object("b", "k", fmt.Sprint("blob", i)), nil)
		noErr(t, "PutObject", err)
		sameSet(t, "garbage of a new version", g, nil)
		if o.VersionID == meta.NullVersion {
			t.Fatalf("PutObject on a versioned bucket made the null version")
		}
		if len(vs) > 0 && o.Seq <= vs[len(vs)-1].Seq {
			t.Fatalf("Seq %d not above the previous %d", o.Seq, vs[len(vs)-1].Seq)
		}
		o.IsLatest = false
		vs = append(vs, o)
	}
	if !(vs[2].VersionID < vs[1].VersionID && vs[1].VersionID < vs[0].VersionID) {
		t.Fatalf("version IDs do not sort newest first: %q", vdescs(vs))
	}
	h.versionsAre("b", "", latest(vs[2]), vs[1], vs[0])
	equal(t, "GetObject(first version)", h.getV("b", "k", vs[0].VersionID), vs[0])
	if h.getV("b", "k", vs[0].VersionID).IsLatest {
		t.Fatal("an older version reads as latest")
	}
	if got := h.getV("b", "k", ""); got.VersionID != vs[2].VersionID || !got.IsLatest {
		t.Fatalf("GetObject(latest) = %s", vdesc(got))
	}
	if got, want := h.listKeys("b"), []string{"k@" + vs[2].VersionID}; !slices.Equal(got, want) {
		t.Fatalf("ListObjects = %q, want %q", got, want)
	}
	_, err := h.s.GetObject(ctx, "b", "k", meta.NullVersion)
	wantErr(t, "GetObject(null) where there is none", err, meta.ErrNotFound)
}

// testVersionsLateWriter: a write whose time is before the latest's (its
// request began first but committed second) is still the newer version,
// and is never dated before the version it follows, so LastModified falls
// as a listing goes newest first. Delete markers too.
func testVersionsLateWriter(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	h.versioning("b", meta.VersioningEnabled)
	first := h.putV(object("b", "k", "blob1"))
	early := object("b", "k", "blob2")
	early.LastModified = base.Add(-time.Second)
	second := h.putV(early)
	if second.Seq <= first.Seq || second.LastModified.Before(first.LastModified) {
		t.Fatalf("late writer: Seq %d LastModified %v after Seq %d LastModified %v", second.Seq, second.LastModified, first.Seq, first.LastModified)
	}
	res, _, err := h.s.DeleteObject(ctx, meta.Deletion{Bucket: "b", Key: "k", At: base.Add(-2 * time.Second)}, nil)
	noErr(t, "DeleteObject", err)
	if res.Marker == nil || res.Marker.LastModified.Before(second.LastModified) {
		t.Fatalf("late marker: %+v, want one dated no earlier than %v", res.Marker, second.LastModified)
	}
	vs, err := h.s.ListVersions(ctx, "b", "", "", "", 10)
	noErr(t, "ListVersions", err)
	for i := 1; i < len(vs); i++ {
		if vs[i].LastModified.After(vs[i-1].LastModified) {
			t.Fatalf("listing: %s dated %v after the newer %s at %v", vdesc(vs[i]), vs[i].LastModified, vdesc(vs[i-1]), vs[i-1].LastModified)
		}
	}
}

func testVersionsDeleteMarkers(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	h.versioning("b", meta.VersioningEnabled)
	v1 := h.putV(object("b", "k", "blob1"))
	res, g := h.del("b", "k", "")
	sameSet(t, "garbage of a delete marker", g, nil)
	if res.Marker == nil || res.Removed != nil || !res.Marker.DeleteMarker || res.Marker.VersionID == meta.NullVersion {
		t.Fatalf("DeleteObject without version = %+v, want a new marker", res)
	}
	m1 := *must(res, nil).Marker
	if m1.Seq <= v1.Seq {
		t.Fatalf("marker Seq %d not above the version's %d", m1.Seq, v1.Seq)
	}
	if got := h.getV("b", "k", ""); !got.DeleteMarker || got.VersionID != m1.VersionID {
		t.Fatalf("GetObject(latest) = %s, want the marker", vdesc(got))
	}
	if got := h.listKeys("b"); len(got) != 0 {
		t.Fatalf("ListObjects shows %q behind a delete marker", got)
	}
	m2 := *must(h.del("b", "k", "")).Marker
	// A key that never existed still gets a marker (S3 makes one).
	m3 := *must(h.del("b", "ghost", "")).Marker
	h.versionsAre("b", "", latest(m3), latest(m2), m1, v1)

	res, g = h.del("b", "k", m2.VersionID)
	if res.Removed == nil || !res.Removed.DeleteMarker || res.Marker != nil || len(g) != 0 {
		t.Fatalf("DeleteObject(marker) = %+v, garbage %q", res, g)
	}
	h.del("b", "k", m1.VersionID)
	h.versionsAre("b", "", latest(m3), latest(v1))
	if got, want := h.listKeys("b"), []string{"k@" + v1.VersionID}; !slices.Equal(got, want) {
		t.Fatalf("ListObjects after removing the markers = %q, want %q", got, want)
	}
	_, err := h.s.GetObject(ctx, "b", "k", m1.VersionID)
	wantErr(t, "GetObject(removed marker)", err, meta.ErrNotFound)
}

// must returns a DeleteResult with its marker's IsLatest cleared (the
// tests mark the latest with latest()).
func must(r meta.DeleteResult, _ []string) meta.DeleteResult {
	if r.Marker != nil {
		m := *r.Marker
		m.IsLatest = false
		r.Marker = &m
	}
	return r
}

func testVersionsSuspended(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	n0 := h.putV(object("b", "k", "blob0"))
	h.versioning("b", meta.VersioningEnabled)
	v1 := h.putV(object("b", "k", "blob1"))
	h.versionsAre("b", "", latest(v1), n0)
	h.versioning("b", meta.VersioningSuspended)

	// A write replaces the null version even when it is not the latest.
	n1, g, err := h.s.PutObject(ctx, object("b", "k", "blobS1"), nil)
	noErr(t, "PutObject(suspended)", err)
	sameSet(t, "garbage of replacing a noncurrent null version", g, []string{"blob0"})
	if n1.VersionID != meta.NullVersion {
		t.Fatalf("suspended PutObject made %q, want null", n1.VersionID)
	}
	h.versionsAre("b", "", latest(n1), v1)
	n2, g, err := h.s.PutObject(ctx, object("b", "k", "blobS2"), nil)
	noErr(t, "PutObject(suspended again)", err)
	sameSet(t, "garbage of replacing the latest null version", g, []string{"blobS1"})
	h.versionsAre("b", "", latest(n2), v1)

	res, g := h.del("b", "k", "")
	sameSet(t, "garbage of the null marker", g, []string{"blobS2"})
	if res.Marker == nil || res.Marker.VersionID != meta.NullVersion || !res.Marker.DeleteMarker ||
		res.Removed == nil || res.Removed.VersionID != meta.NullVersion {
		t.Fatalf("suspended DeleteObject = %+v, want the null marker replacing the null version", res)
	}
	nm := *must(res, nil).Marker
	h.versionsAre("b", "", latest(nm), v1)
	if got := h.getV("b", "k", meta.NullVersion); !got.DeleteMarker {
		t.Fatalf("GetObject(null) = %s, want the null marker", vdesc(got))
	}

	h.versioning("b", meta.VersioningEnabled)
	v2 := h.putV(object("b", "k", "blob2"))
	h.versionsAre("b", "", latest(v2), nm, v1)
	h.versioning("b", meta.VersioningSuspended)
	n3, g, err := h.s.PutObject(ctx, object("b", "k", "blobS3"), nil)
	noErr(t, "PutObject(over a noncurrent null marker)", err)
	sameSet(t, "garbage of replacing a marker", g, nil)
	h.versionsAre("b", "", latest(n3), v2, v1)
}

func testVersionsDeleteByID(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	h.versioning("b", meta.VersioningEnabled)
	v1 := h.putV(object("b", "k", "b1"))
	v2 := h.putV(object("b", "k", "b2"))
	v3 := h.putV(object("b", "k", "b3"))

	veto := errors.New("veto")
	var seen string
	_, _, err := h.s.DeleteObject(ctx, meta.Deletion{Bucket: "b", Key: "k", VersionID: v2.VersionID}, func(cur *meta.Object) error {
		seen = cur.VersionID
		return veto
	})
	wantErr(t, "DeleteObject(vetoed)", err, veto)
	if seen != v2.VersionID {
		t.Fatalf("check saw version %q, want the one being deleted %q", seen, v2.VersionID)
	}
	h.versionsAre("b", "", latest(v3), v2, v1)

	res, g := h.del("b", "k", v2.VersionID)
	sameSet(t, "garbage of a noncurrent version", g, []string{"b2"})
	if res.Removed == nil || res.Removed.VersionID != v2.VersionID || res.Marker != nil {
		t.Fatalf("DeleteObject(v2) = %+v", res)
	}
	h.versionsAre("b", "", latest(v3), v1)
	_, g = h.del("b", "k", v3.VersionID)
	sameSet(t, "garbage of the latest version", g, []string{"b3"})
	h.versionsAre("b", "", latest(v1))
	got := h.getV("b", "k", "")
	equal(t, "GetObject after the latest went", got, v1)
	if !got.IsLatest {
		t.Fatal("the promoted version is not latest")
	}
	if keys := h.listKeys("b"); !slices.Equal(keys, []string{"k@" + v1.VersionID}) {
		t.Fatalf("ListObjects = %q", keys)
	}
	for _, id := range []string{v3.VersionID, meta.NullVersion, "no-such-version", meta.NewVersionID(v1.Seq)} {
		_, _, err := h.s.DeleteObject(ctx, meta.Deletion{Bucket: "b", Key: "k", VersionID: id}, nil)
		wantErr(t, "DeleteObject("+id+")", err, meta.ErrNotFound)
	}
	_, g = h.del("b", "k", v1.VersionID)
	sameSet(t, "garbage of the last version", g, []string{"b1"})
	_, err = h.s.GetObject(ctx, "b", "k", "")
	wantErr(t, "GetObject after every version went", err, meta.ErrNotFound)
	h.versionsAre("b", "")
}

// versionedFixture fills bucket "b" (versioning Enabled) with
//
//	a: 3 versions; a/b: a version under a marker; b: 1 version; c/d: 2 versions
//
// and returns them in listing order, plus noise in a neighbouring bucket.
func versionedFixture(h *harness) []meta.Object {
	h.bucket("b")
	h.bucket("b2")
	h.versioning("b", meta.VersioningEnabled)
	h.versioning("b2", meta.VersioningEnabled)
	h.putV(object("b2", "a", "noise1"))
	h.putV(object("b2", "a0", "noise2"))
	a1, a2, a3 := h.putV(object("b", "a", "a1")), h.putV(object("b", "a", "a2")), h.putV(object("b", "a", "a3"))
	ab := h.putV(object("b", "a/b", "ab"))
	abm := *must(h.del("b", "a/b", "")).Marker
	bb := h.putV(object("b", "b", "bb"))
	cd1, cd2 := h.putV(object("b", "c/d", "cd1")), h.putV(object("b", "c/d", "cd2"))
	return []meta.Object{latest(a3), a2, a1, latest(abm), ab, latest(bb), latest(cd2), cd1}
}

func testVersionsList(t *testing.T, h *harness) {
	all := versionedFixture(h)
	h.versionsAre("b", "", all...)
	h.versionsAre("b", "a", all[:5]...)
	h.versionsAre("b", "a/", all[3:5]...)
	h.versionsAre("b", "c/d", all[6:]...)
	h.versionsAre("b", "zz")
	h.versionsAre("nobucket", "")
	got, err := h.s.ListVersions(t.Context(), "b", "", "", "", 0)
	noErr(t, "ListVersions(limit 0)", err)
	if len(got) != 0 {
		t.Fatalf("ListVersions(limit 0) = %q", vdescs(got))
	}
	// Listed records are whole but for their manifests.
	full := h.getV("b", "a", all[1].VersionID)
	listed, _ := h.s.ListVersions(t.Context(), "b", "a", "", "", 2)
	full.Segments = nil
	equal(t, "listed version", listed[1], full)
}

func testVersionsListPosition(t *testing.T, h *harness) {
	ctx := t.Context()
	all := versionedFixture(h)
	list := func(afterKey, afterID string) []string {
		t.Helper()
		got, err := h.s.ListVersions(ctx, "b", "", afterKey, afterID, 1000)
		noErr(t, fmt.Sprintf("ListVersions(after %q %q)", afterKey, afterID), err)
		return vdescs(got)
	}
	want := func(what string, got []string, from int) {
		t.Helper()
		if w := vdescs(all[from:]); !slices.Equal(got, w) {
			t.Fatalf("%s =\n %q\nwant\n %q", what, got, w)
		}
	}
	want("after key a", list("a", ""), 3)
	want("after key a. (absent)", list("a.", ""), 3)
	want("after key a0 (absent, past a/b)", list("a0", ""), 5)
	want("after a's latest", list("a", all[0].VersionID), 1)
	want("after a's middle version", list("a", all[1].VersionID), 2)
	want("after a's oldest", list("a", all[2].VersionID), 3)
	// An ID that names no version is placed by the Seq it encodes.
	want("after an ID newer than a's latest", list("a", meta.NewVersionID(all[0].Seq+1)), 0)
	want("after an ID older than a's oldest", list("a", meta.NewVersionID(all[2].Seq-1)), 3)
	want("after a marker", list("a/b", all[3].VersionID), 4)
	for _, id := range []string{meta.NullVersion, "not-a-version"} {
		_, err := h.s.ListVersions(ctx, "b", "", "a", id, 10)
		wantErr(t, "ListVersions(after "+id+")", err, meta.ErrNotFound)
	}

	// The null version is placed where it sits in its key's history.
	h.bucket("n")
	n0 := h.putV(object("n", "k", "n0"))
	h.versioning("n", meta.VersioningEnabled)
	v1 := h.putV(object("n", "k", "v1"))
	got, err := h.s.ListVersions(ctx, "n", "", "k", meta.NullVersion, 10)
	noErr(t, "ListVersions(after null)", err)
	if len(got) != 0 {
		t.Fatalf("after the oldest (null) version: %q", vdescs(got))
	}
	got, err = h.s.ListVersions(ctx, "n", "", "k", v1.VersionID, 10)
	noErr(t, "ListVersions(after v1)", err)
	if d := vdescs(got); !slices.Equal(d, []string{vdesc(n0)}) {
		t.Fatalf("after v1: %q, want the null version", d)
	}
}

func testVersionsBucketNotEmpty(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	h.versioning("b", meta.VersioningEnabled)
	v1 := h.putV(object("b", "k", "blob1"))
	m := *must(h.del("b", "k", "")).Marker
	wantErr(t, "DeleteBucket(version under a marker)", errOf(h.s.DeleteBucket(ctx, "b")), meta.ErrBucketNotEmpty)
	h.del("b", "k", v1.VersionID)
	wantErr(t, "DeleteBucket(only a marker)", errOf(h.s.DeleteBucket(ctx, "b")), meta.ErrBucketNotEmpty)
	h.del("b", "k", m.VersionID)
	noErr(t, "DeleteBucket(empty)", errOf(h.s.DeleteBucket(ctx, "b")))
}

func testVersionsComplete(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	h.versioning("b", meta.VersioningEnabled)
	v1 := h.putV(object("b", "k", "blob1"))
	h.upload("b", "k", "up1", base)
	h.putPart("b", "k", part("up1", 1, "p1"))
	var seen string
	obj, g, err := h.s.CompleteUpload(ctx, "b", "k", "up1", func(u meta.Upload, ps []meta.Part) (meta.Object, error) {
		o := object("b", "k", "p1")
		o.Segments[0].PartNumber = 1
		return o, nil
	}, func(cur *meta.Object) error {
		seen = cur.VersionID
		return nil
	})
	noErr(t, "CompleteUpload", err)
	sameSet(t, "garbage of completing over a version", g, nil)
	if seen != v1.VersionID {
		t.Fatalf("Complete's check saw %q, want the latest %q", seen, v1.VersionID)
	}
	if seq, ok := meta.VersionSeq(obj.VersionID); !ok || seq != obj.Seq || obj.Seq <= v1.Seq {
		t.Fatalf("completed object: VersionID %q Seq %d (previous Seq %d)", obj.VersionID, obj.Seq, v1.Seq)
	}
	h.versionsAre("b", "", latest(obj), v1)
	equal(t, "GetObject(completed)", h.getV("b", "k", obj.VersionID), obj)
	c, err := h.s.GetCompletion(ctx, "b", "k", "up1")
	noErr(t, "GetCompletion", err)
	if c.VersionID != obj.VersionID {
		t.Fatalf("completion remembers version %q, want %q (a retried Complete answers with it)", c.VersionID, obj.VersionID)
	}
}

func testVersionsBlobRefs(t *testing.T, h *harness) {
	h.bucket("b")
	h.versioning("b", meta.VersioningEnabled)
	h.putV(object("b", "k", "blob1"))
	h.putV(object("b", "k", "blob2"))
	h.del("b", "k", "")
	var refs []string
	noErr(t, "ForEachBlobRef", h.s.ForEachBlobRef(t.Context(), func(id string) { refs = append(refs, id) }))
	sameSet(t, "blob refs of a key's versions", refs, []string{"blob1", "blob2"})
}

func testVersionsReopen(t *testing.T, h *harness) {
	all := versionedFixture(h)
	h.reopen()
	h.versionsAre("b", "", all...)
	got := h.getV("b", "a", all[2].VersionID)
	equal(t, "GetObject(oldest) after reopen", got, all[2])
	b, err := h.s.GetBucket(t.Context(), "b")
	noErr(t, "GetBucket", err)
	if b.Versioning != meta.VersioningEnabled {
		t.Fatalf("versioning after reopen = %q", b.Versioning)
	}
	// New versions still come after the old ones.
	v := h.putV(object("b", "a", "a4"))
	h.versionsAre("b", "a", append([]meta.Object{latest(v)}, func() []meta.Object {
		old := slices.Clone(all[:5])
		old[0].IsLatest = false
		return old
	}()...)...)
}

func testUpdateObject(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	h.versioning("b", meta.VersioningEnabled)
	v1 := h.putV(object("b", "k", "blob1"))
	v2 := h.putV(object("b", "k", "blob2"))
	until := at(3600)
	got, err := h.s.UpdateObject(ctx, "b", "k", v1.VersionID, func(o *meta.Object) error {
		o.Tagging = "a=b"
		o.LegalHold = "ON"
		o.Retention = &meta.Retention{Mode: "GOVERNANCE", Until: until}
		// Identity, bytes and order are not fn's to change.
		o.Segments, o.Size, o.Seq, o.VersionID, o.DeleteMarker = nil, 0, 1, "x", true
		return nil
	})
	noErr(t, "UpdateObject(v1)", err)
	want := v1
	want.Tagging, want.LegalHold, want.Retention = "a=b", "ON", &meta.Retention{Mode: "GOVERNANCE", Until: until}
	equal(t, "UpdateObject result", got, want)
	read := h.getV("b", "k", v1.VersionID)
	if read.Retention == nil || !read.Retention.Until.Equal(until) {
		t.Fatalf("retention after UpdateObject = %+v", read.Retention)
	}
	read.Retention.Until = until
	equal(t, "GetObject(v1) after UpdateObject", read, want)
	equal(t, "GetObject(v2) untouched", h.getV("b", "k", v2.VersionID), v2)
	h.versionsAre("b", "", latest(v2), v1)

	_, err = h.s.UpdateObject(ctx, "b", "k", "", func(o *meta.Object) error { o.Tagging = "latest=1"; return nil })
	noErr(t, "UpdateObject(latest)", err)
	if got := h.getV("b", "k", ""); got.Tagging != "latest=1" || got.VersionID != v2.VersionID {
		t.Fatalf("latest after UpdateObject = %s tagging %q", vdesc(got), got.Tagging)
	}
	veto := errors.New("veto")
	_, err = h.s.UpdateObject(ctx, "b", "k", v1.VersionID, func(o *meta.Object) error { o.Tagging = "no"; return veto })
	wantErr(t, "UpdateObject(veto)", err, veto)
	if got := h.getV("b", "k", v1.VersionID); got.Tagging != "a=b" {
		t.Fatalf("vetoed UpdateObject changed tagging to %q", got.Tagging)
	}
	_, err = h.s.UpdateObject(ctx, "b", "nope", "", func(*meta.Object) error { return nil })
	wantErr(t, "UpdateObject(missing key)", err, meta.ErrNotFound)
	_, err = h.s.UpdateObject(ctx, "b", "k", meta.NullVersion, func(*meta.Object) error { return nil })
	wantErr(t, "UpdateObject(missing version)", err, meta.ErrNotFound)
}

// testConcurrentVersions races writers and deleters on one key of a
// versioned bucket: afterwards there is exactly one version per
// acknowledged write and one marker per acknowledged delete, newest first.
func testConcurrentVersions(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	h.versioning("b", meta.VersioningEnabled)
	const workers, each = 8, 6
	var mu sync.Mutex
	made := map[string]bool{} // version ID → is a marker
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if (w+i)%3 == 0 {
					res, _, err := h.s.DeleteObject(ctx, meta.Deletion{Bucket: "b", Key: "k"}, nil)
					if err != nil {
						t.Errorf("DeleteObject: %v", err)
						return
					}
					mu.Lock()
					made[res.Marker.VersionID] = true
					mu.Unlock()
					continue
				}
				o, _, err := h.s.PutObject(ctx, object("b", "k", fmt.Sprintf("blob-%d-%d", w, i)), nil)
				if err != nil {
					t.Errorf("PutObject: %v", err)
					return
				}
				mu.Lock()
				made[o.VersionID] = false
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	got, err := h.s.ListVersions(ctx, "b", "", "", "", 1000)
	noErr(t, "ListVersions", err)
	if len(got) != workers*each || len(made) != workers*each {
		t.Fatalf("%d versions listed, %d distinct acknowledged, want %d", len(got), len(made), workers*each)
	}
	for i, o := range got {
		marker, ok := made[o.VersionID]
		if !ok || marker != o.DeleteMarker {
			t.Fatalf("listed %s was not acknowledged as such", vdesc(o))
		}
		if o.IsLatest != (i == 0) {
			t.Fatalf("IsLatest wrong at %d: %s", i, vdesc(o))
		}
		if i > 0 && o.Seq >= got[i-1].Seq {
			t.Fatalf("not newest first at %d: Seq %d after %d", i, o.Seq, got[i-1].Seq)
		}
	}
}
