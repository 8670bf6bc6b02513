package metatest

import (
	"errors"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/tessera-s3/tessera/internal/meta"
)

func testBuckets(t *testing.T, h *harness) {
	ctx := t.Context()
	for _, n := range []string{"charlie", "alpha", "bravo", "alpha-2"} {
		h.bucket(n)
	}
	err := h.s.CreateBucket(ctx, meta.Bucket{Name: "alpha", Created: base})
	wantErr(t, "CreateBucket(duplicate)", err, meta.ErrBucketExists)

	got, err := h.s.GetBucket(ctx, "bravo")
	noErr(t, "GetBucket", err)
	equal(t, "GetBucket", got, meta.Bucket{Name: "bravo", Region: "us-east-1", Owner: owner, Created: base})
	_, err = h.s.GetBucket(ctx, "delta")
	wantErr(t, "GetBucket(missing)", err, meta.ErrNotFound)

	list, err := h.s.ListBuckets(ctx)
	noErr(t, "ListBuckets", err)
	var names []string
	for _, b := range list {
		names = append(names, b.Name)
	}
	if want := []string{"alpha", "alpha-2", "bravo", "charlie"}; !slices.Equal(names, want) {
		t.Fatalf("ListBuckets = %q, want %q", names, want)
	}

	noErr(t, "DeleteBucket", errOf(h.s.DeleteBucket(ctx, "alpha")))
	wantErr(t, "DeleteBucket(again)", errOf(h.s.DeleteBucket(ctx, "alpha")), meta.ErrNotFound)
	_, err = h.s.GetBucket(ctx, "alpha")
	wantErr(t, "GetBucket(deleted)", err, meta.ErrNotFound)
	// The name is free again.
	h.bucket("alpha")
}

func testDeleteBucketNotEmpty(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	h.bucket("b2") // a neighbour's contents must not count
	h.put(object("b2", "k", "blob-n"))
	h.upload("b2", "k", "up-n", base)
	h.putPart("b2", "k", meta.Part{UploadID: "up-n", Number: 1, BlobID: "part-n", Size: 1, ETag: "e", LastModified: base})

	h.put(object("b", "k", "blob1"))
	wantErr(t, "DeleteBucket(with object)", errOf(h.s.DeleteBucket(ctx, "b")), meta.ErrBucketNotEmpty)
	_, _, err := h.s.DeleteObject(ctx, meta.Deletion{Bucket: "b", Key: "k"}, nil)
	noErr(t, "DeleteObject", err)

	// In-progress uploads do not keep a bucket alive (S3 behaviour): they
	// go with it, and their parts become garbage.
	h.upload("b", "k", "up1", base)
	h.putPart("b", "k", meta.Part{UploadID: "up1", Number: 1, BlobID: "part1", Size: 1, ETag: "e", LastModified: base})
	h.putPart("b", "k", meta.Part{UploadID: "up1", Number: 2, BlobID: "part2", Size: 1, ETag: "e", LastModified: base})
	garbage, err := h.s.DeleteBucket(ctx, "b")
	noErr(t, "DeleteBucket(with upload)", err)
	sameSet(t, "DeleteBucket garbage", garbage, []string{"part1", "part2"})
	_, err = h.s.GetUpload(ctx, "b", "k", "up1")
	wantErr(t, "GetUpload(deleted bucket)", err, meta.ErrNotFound)
	parts, err := h.s.ListParts(ctx, "up1", 0, 10)
	noErr(t, "ListParts", err)
	if len(parts) != 0 {
		t.Fatalf("parts of a deleted bucket's upload remain: %+v", parts)
	}
	if _, err := h.s.GetUpload(ctx, "b2", "k", "up-n"); err != nil {
		t.Fatalf("neighbour's upload: %v", err)
	}
	_, _, err = h.s.PutObject(ctx, object("b", "k", "blob2"), nil)
	wantErr(t, "PutObject(deleted bucket)", err, meta.ErrNotFound)
	err = h.s.CreateUpload(ctx, meta.Upload{ID: "up2", Bucket: "b", Key: "k", Initiated: base})
	wantErr(t, "CreateUpload(deleted bucket)", err, meta.ErrNotFound)
}

func testObjectRoundTrip(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	obj := meta.Object{
		Bucket: "b", Key: "dir/file.txt", Size: 11, ETag: "abc-2", LastModified: at(5),
		Owner: owner, StorageClass: "STANDARD",
		Headers: meta.ContentHeaders{
			ContentType: "text/plain", ContentEncoding: "gzip", ContentDisposition: "inline",
			ContentLanguage: "en", CacheControl: "no-cache", Expires: "Wed, 21 Oct 2015 07:28:00 GMT",
		},
		UserMeta:     map[string]string{"color": "blue", "x": ""},
		Tagging:      "a=1&b=2",
		Checksums:    meta.Checksums{"CRC64NVME": "AAAAAAAAAAA="},
		ChecksumType: "FULL_OBJECT",
		PartsCount:   2,
		Segments: []meta.Segment{
			{BlobID: "blob1", Size: 5, PartNumber: 1, ETag: "e1", Checksums: meta.Checksums{"CRC32": "AAAAAA=="}},
			{BlobID: "blob2", Size: 6, PartNumber: 2, ETag: "e2"},
		},
	}
	if g := h.put(obj); len(g) != 0 {
		t.Fatalf("PutObject(new) garbage = %q, want none", g)
	}
	got, err := h.s.GetObject(ctx, "b", "dir/file.txt", "")
	noErr(t, "GetObject", err)
	equal(t, "GetObject", got, obj)

	_, err = h.s.GetObject(ctx, "b", "dir/other", "")
	wantErr(t, "GetObject(missing key)", err, meta.ErrNotFound)
	_, err = h.s.GetObject(ctx, "nobucket", "dir/file.txt", "")
	wantErr(t, "GetObject(missing bucket)", err, meta.ErrNotFound)
	_, _, err = h.s.PutObject(ctx, object("nobucket", "k", "blob3"), nil)
	wantErr(t, "PutObject(missing bucket)", err, meta.ErrNotFound)
}

func testPutObjectReplace(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	old := object("b", "k", "old1")
	old.Segments = append(old.Segments, meta.Segment{BlobID: "old2", Size: 1, PartNumber: 2})
	h.put(old)
	g := h.put(object("b", "k", "new1"))
	sameSet(t, "PutObject(replace) garbage", g, []string{"old1", "old2"})
	got, err := h.s.GetObject(ctx, "b", "k", "")
	noErr(t, "GetObject", err)
	equal(t, "GetObject(after replace)", got, object("b", "k", "new1"))
	all, err := h.s.Garbage(ctx, 100)
	noErr(t, "Garbage", err)
	sameSet(t, "Garbage", all, []string{"old1", "old2"})
}

func testDeleteObject(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	h.put(object("b", "k", "blob1"))
	_, g, err := h.s.DeleteObject(ctx, meta.Deletion{Bucket: "b", Key: "k"}, nil)
	noErr(t, "DeleteObject", err)
	sameSet(t, "DeleteObject garbage", g, []string{"blob1"})
	_, err = h.s.GetObject(ctx, "b", "k", "")
	wantErr(t, "GetObject(deleted)", err, meta.ErrNotFound)
	_, _, err = h.s.DeleteObject(ctx, meta.Deletion{Bucket: "b", Key: "k"}, nil)
	wantErr(t, "DeleteObject(again)", err, meta.ErrNotFound)
	_, _, err = h.s.DeleteObject(ctx, meta.Deletion{Bucket: "nobucket", Key: "k"}, nil)
	wantErr(t, "DeleteObject(missing bucket)", err, meta.ErrNotFound)
}

var errVeto = errors.New("metatest: vetoed")

func testCheckFunc(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")

	var seen []*meta.Object
	record := func(cur *meta.Object) error { seen = append(seen, cur); return nil }
	veto := func(*meta.Object) error { return errVeto }

	_, _, err := h.s.PutObject(ctx, object("b", "k", "blob1"), record)
	noErr(t, "PutObject(new, check)", err)
	if len(seen) != 1 || seen[0] != nil {
		t.Fatalf("check on a new key saw %v, want nil", seen)
	}

	_, _, err = h.s.PutObject(ctx, object("b", "k", "blob2"), veto)
	wantErr(t, "PutObject(vetoed)", err, errVeto)
	_, _, err = h.s.DeleteObject(ctx, meta.Deletion{Bucket: "b", Key: "k"}, veto)
	wantErr(t, "DeleteObject(vetoed)", err, errVeto)
	got, err := h.s.GetObject(ctx, "b", "k", "")
	noErr(t, "GetObject", err)
	equal(t, "object after vetoed writes", got, object("b", "k", "blob1"))
	if g, _ := h.s.Garbage(ctx, 10); len(g) != 0 {
		t.Fatalf("vetoed writes recorded garbage %q", g)
	}

	seen = nil
	_, g, err := h.s.PutObject(ctx, object("b", "k", "blob3"), record)
	noErr(t, "PutObject(replace, check)", err)
	if len(seen) != 1 || seen[0] == nil || seen[0].ETag != "etag-blob1" || len(seen[0].Segments) != 1 {
		t.Fatalf("check on replace saw %+v, want the current object with its segments", seen)
	}
	sameSet(t, "garbage", g, []string{"blob1"})

	seen = nil
	_, _, err = h.s.DeleteObject(ctx, meta.Deletion{Bucket: "b", Key: "k"}, record)
	noErr(t, "DeleteObject(check)", err)
	if len(seen) != 1 || seen[0] == nil || seen[0].ETag != "etag-blob3" {
		t.Fatalf("check on delete saw %+v, want the current object", seen)
	}
}

func testListObjects(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	keys := []string{
		"a", "a/b", "a/b/c", "a\u0000", "a\u0000b", "a\u007f", "a\u00e9", "a\uFFFF", "a\U0001F600",
		"ab", "b", "ba", "\u00e9t\u00e9", "z", "A", "0", " ",
	}
	for i, k := range keys {
		h.put(object("b", k, "blob"+string(rune('A'+i))))
	}
	sorted := slices.Clone(keys)
	sort.Strings(sorted) // byte order, which is what S3 lists in

	expect := func(prefix, from string, limit int) []string {
		var out []string
		for _, k := range sorted {
			if strings.HasPrefix(k, prefix) && k >= from && len(out) < limit {
				out = append(out, k)
			}
		}
		return out
	}
	tests := []struct {
		prefix, from string
		limit        int
	}{
		{"", "", 1000},
		{"", "", 3},
		{"a", "", 1000},
		{"a/", "", 1000},
		{"a\u0000", "", 1000},
		{"a", "a\u0000", 1000},
		{"a", "a/b", 2},
		{"a", "a\u00e9", 1000},
		{"a", "b", 1000}, // from beyond the prefix: nothing
		{"b", "a", 1000}, // from before the prefix: the whole prefix
		{"", "a\uFFFF", 1000},
		{"zz", "", 1000},
		{"", "zz", 1000},
		{"\u00e9", "", 1000},
		{"", "", 0},
	}
	for _, tc := range tests {
		got, err := h.s.ListObjects(ctx, "b", tc.prefix, tc.from, tc.limit)
		noErr(t, "ListObjects", err)
		var names []string
		for _, o := range got {
			names = append(names, o.Key)
			if o.Bucket != "b" || o.ETag == "" || o.Size != 3 || !o.LastModified.Equal(base) {
				t.Fatalf("ListObjects(%q, %q): incomplete record %+v", tc.prefix, tc.from, o)
			}
		}
		if want := expect(tc.prefix, tc.from, tc.limit); !slices.Equal(names, want) {
			t.Errorf("ListObjects(prefix %q, from %q, limit %d) = %q, want %q", tc.prefix, tc.from, tc.limit, names, want)
		}
	}

	// Paging with from = last key + "\x00" (the smallest key after it) visits every key once.
	var paged []string
	from := ""
	for range len(keys) + 1 { // bounded: a broken store must fail, not hang
		page, err := h.s.ListObjects(ctx, "b", "", from, 2)
		noErr(t, "ListObjects(page)", err)
		for _, o := range page {
			paged = append(paged, o.Key)
		}
		if len(page) < 2 {
			break
		}
		from = page[len(page)-1].Key + "\x00"
	}
	if !slices.Equal(paged, sorted) {
		t.Fatalf("paged listing = %q, want %q", paged, sorted)
	}
}

func testListObjectsBucketIsolation(t *testing.T, h *harness) {
	ctx := t.Context()
	// "a" is a prefix of "ab" and "a-"; an encoding that doesn't terminate
	// the bucket name would leak "ab"'s keys into "a"'s listing.
	for _, b := range []string{"a", "ab", "a-", "aa"} {
		h.bucket(b)
	}
	h.put(object("a", "x", "b1"))
	h.put(object("ab", "x", "b2"))
	h.put(object("ab", "", "b3"))
	h.put(object("a-", "y", "b4"))
	h.put(object("aa", "z", "b5"))
	for _, tc := range []struct {
		bucket, prefix string
		want           []string
	}{
		{"a", "", []string{"x"}},
		{"a", "b", nil},
		{"ab", "", []string{"", "x"}},
		{"a-", "", []string{"y"}},
		{"aa", "", []string{"z"}},
		{"nobucket", "", nil},
	} {
		got, err := h.s.ListObjects(ctx, tc.bucket, tc.prefix, "", 100)
		noErr(t, "ListObjects", err)
		var names []string
		for _, o := range got {
			names = append(names, o.Key)
		}
		if !slices.Equal(names, tc.want) {
			t.Errorf("ListObjects(%q, prefix %q) = %q, want %q", tc.bucket, tc.prefix, names, tc.want)
		}
	}
}

func testGarbage(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	var want []string
	for i := range 5 {
		id := "blob" + string(rune('0'+i))
		h.put(object("b", "k", id))
		want = append(want, id)
	}
	want = want[:4] // the last one is current
	got, err := h.s.Garbage(ctx, 100)
	noErr(t, "Garbage", err)
	sameSet(t, "Garbage", got, want)

	page, err := h.s.Garbage(ctx, 2)
	noErr(t, "Garbage(2)", err)
	if len(page) != 2 {
		t.Fatalf("Garbage(2) returned %d ids", len(page))
	}
	noErr(t, "DeleteGarbage", h.s.DeleteGarbage(ctx, append(page, "never-recorded")))
	rest, err := h.s.Garbage(ctx, 100)
	noErr(t, "Garbage", err)
	var left []string
	for _, id := range want {
		if !slices.Contains(page, id) {
			left = append(left, id)
		}
	}
	sameSet(t, "Garbage after DeleteGarbage", rest, left)
	noErr(t, "DeleteGarbage(nil)", h.s.DeleteGarbage(ctx, nil))
}

// errOf drops the garbage of a call that returns (garbage, err).
func errOf(_ []string, err error) error { return err }
