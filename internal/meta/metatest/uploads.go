package metatest

import (
	"errors"
	"slices"
	"testing"

	"github.com/tessera-s3/tessera/internal/meta"
)

func testUploads(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	h.bucket("b2")
	u := meta.Upload{
		ID: "up1", Bucket: "b", Key: "dir/k", Initiated: at(1), Initiator: owner, Owner: owner,
		StorageClass: "STANDARD", Headers: meta.ContentHeaders{ContentType: "image/png"},
		UserMeta: map[string]string{"m": "v"}, Tagging: "t=1",
		ChecksumAlgorithm: "CRC32C", ChecksumType: "COMPOSITE",
	}
	noErr(t, "CreateUpload", h.s.CreateUpload(ctx, u))
	got, err := h.s.GetUpload(ctx, "b", "dir/k", "up1")
	noErr(t, "GetUpload", err)
	equal(t, "GetUpload", got, u)

	for _, tc := range []struct{ bucket, key, id string }{
		{"b", "dir/k", "up2"},  // unknown ID
		{"b", "dir/k2", "up1"}, // another key
		{"b", "dir/", "up1"},   // a prefix of the key
		{"b", "dir/kk", "up1"}, // an extension of the key
		{"b2", "dir/k", "up1"}, // another bucket
		{"nobucket", "dir/k", "up1"},
	} {
		_, err := h.s.GetUpload(ctx, tc.bucket, tc.key, tc.id)
		wantErr(t, "GetUpload("+tc.bucket+", "+tc.key+", "+tc.id+")", err, meta.ErrNotFound)
		_, err = h.s.PutPart(ctx, tc.bucket, tc.key, part(tc.id, 1, "blob"))
		wantErr(t, "PutPart("+tc.bucket+", "+tc.key+", "+tc.id+")", err, meta.ErrNotFound)
		_, err = h.s.AbortUpload(ctx, tc.bucket, tc.key, tc.id)
		wantErr(t, "AbortUpload("+tc.bucket+", "+tc.key+", "+tc.id+")", err, meta.ErrNotFound)
	}
	// The failed calls above changed nothing.
	parts, err := h.s.ListParts(ctx, "up1", 0, 100)
	noErr(t, "ListParts", err)
	if len(parts) != 0 {
		t.Fatalf("ListParts after rejected PutParts = %+v", parts)
	}
	if _, err := h.s.GetUpload(ctx, "b", "dir/k", "up1"); err != nil {
		t.Fatalf("upload lost after rejected calls: %v", err)
	}
}

func testPutPartReplace(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	h.upload("b", "k", "up1", base)
	if g := h.putPart("b", "k", part("up1", 1, "p1a")); len(g) != 0 {
		t.Fatalf("first PutPart garbage = %q, want none", g)
	}
	h.putPart("b", "k", part("up1", 2, "p2"))
	g := h.putPart("b", "k", part("up1", 1, "p1b"))
	sameSet(t, "PutPart(replace) garbage", g, []string{"p1a"})
	parts, err := h.s.ListParts(ctx, "up1", 0, 100)
	noErr(t, "ListParts", err)
	equal(t, "ListParts", parts, []meta.Part{part("up1", 1, "p1b"), part("up1", 2, "p2")})
	all, err := h.s.Garbage(ctx, 100)
	noErr(t, "Garbage", err)
	sameSet(t, "Garbage", all, []string{"p1a"})
}

func partNumbers(ps []meta.Part) []int {
	var out []int
	for _, p := range ps {
		out = append(out, p.Number)
	}
	return out
}

func testListParts(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	uploads := map[string][]int{
		"sparse":  {1, 3, 7, 10000},
		"dense":   {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12},
		"big":     {999, 1000, 10000},
		"sparse2": {2}, // an ID extending another must not leak into its scan
	}
	for id, nums := range uploads {
		h.upload("b", "k", id, base)
		for _, n := range slices.Backward(nums) { // insertion order must not matter
			h.putPart("b", "k", part(id, n, id+"-blob"))
		}
	}
	h.upload("b", "k", "empty", base)
	for _, tc := range []struct {
		id           string
		after, limit int
		want         []int
	}{
		{"sparse", 0, 100, []int{1, 3, 7, 10000}},
		{"sparse", 1, 100, []int{3, 7, 10000}},
		{"sparse", 2, 100, []int{3, 7, 10000}},
		{"sparse", 3, 2, []int{7, 10000}},
		{"sparse", 0, 2, []int{1, 3}},
		{"sparse", 7, 1, []int{10000}},
		{"sparse", 10000, 100, nil},
		{"sparse", 9999, 100, []int{10000}},
		{"dense", 9, 100, []int{10, 11, 12}},
		{"dense", 1, 3, []int{2, 3, 4}},
		{"dense", 0, 0, nil},
		{"big", 0, 100, []int{999, 1000, 10000}},
		{"big", 999, 1, []int{1000}},
		{"big", 1000, 100, []int{10000}},
		{"sparse2", 0, 100, []int{2}},
		{"empty", 0, 100, nil},
		{"unknown", 0, 100, nil},
	} {
		got, err := h.s.ListParts(ctx, tc.id, tc.after, tc.limit)
		noErr(t, "ListParts", err)
		if n := partNumbers(got); !slices.Equal(n, tc.want) {
			t.Errorf("ListParts(%q, after %d, limit %d) = %v, want %v", tc.id, tc.after, tc.limit, n, tc.want)
		}
		for _, p := range got {
			equal(t, "ListParts record", p, part(tc.id, p.Number, tc.id+"-blob"))
		}
		// UploadParts: the same page, with the upload, in one call.
		u, both, err := h.s.UploadParts(ctx, "b", "k", tc.id, tc.after, tc.limit)
		if tc.id == "unknown" {
			wantErr(t, "UploadParts of an unknown upload", err, meta.ErrNotFound)
			continue
		}
		noErr(t, "UploadParts", err)
		equal(t, "UploadParts page", both, got)
		want, err := h.s.GetUpload(ctx, "b", "k", tc.id)
		noErr(t, "GetUpload", err)
		equal(t, "UploadParts upload", u, want)
	}
	// An upload is found only under its own bucket and key.
	for _, bk := range [][2]string{{"b", "other"}, {"other", "k"}} {
		_, parts, err := h.s.UploadParts(ctx, bk[0], bk[1], "sparse", 0, 100)
		wantErr(t, "UploadParts under "+bk[0]+"/"+bk[1], err, meta.ErrNotFound)
		if parts != nil {
			t.Errorf("UploadParts under %s/%s returned parts %v", bk[0], bk[1], partNumbers(parts))
		}
	}
}

// multipartObject builds an object from the chosen parts, as the engine would.
func multipartObject(u meta.Upload, parts []meta.Part, chosen ...int) meta.Object {
	obj := meta.Object{
		Bucket: u.Bucket, Key: u.Key, ETag: "mpu-etag", LastModified: at(100), Owner: u.Owner,
		StorageClass: u.StorageClass, Checksums: meta.Checksums{"CRC64NVME": "x"}, ChecksumType: "FULL_OBJECT",
	}
	for _, p := range parts {
		if slices.Contains(chosen, p.Number) {
			obj.Segments = append(obj.Segments, meta.Segment{BlobID: p.BlobID, Size: p.Size, PartNumber: p.Number, ETag: p.ETag})
			obj.Size += p.Size
		}
	}
	obj.PartsCount = len(obj.Segments)
	return obj
}

func testCompleteUpload(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	h.put(object("b", "k", "old")) // the completion replaces it
	u := h.upload("b", "k", "up1", base)
	for n := 1; n <= 4; n++ {
		h.putPart("b", "k", part("up1", n, "p"+string(rune('0'+n))))
	}

	var sawParts []int
	var sawCur *meta.Object
	build := func(bu meta.Upload, parts []meta.Part) (meta.Object, error) {
		equal(t, "upload seen by build", bu, u)
		sawParts = partNumbers(parts)
		return multipartObject(bu, parts, 1, 3), nil
	}
	check := func(cur *meta.Object) error { sawCur = cur; return nil }
	obj, garbage, err := h.s.CompleteUpload(ctx, "b", "k", "up1", build, check)
	noErr(t, "CompleteUpload", err)
	if !slices.Equal(sawParts, []int{1, 2, 3, 4}) {
		t.Fatalf("build saw parts %v, want 1..4 ascending", sawParts)
	}
	if sawCur == nil || sawCur.ETag != "etag-old" {
		t.Fatalf("check saw %+v, want the replaced object", sawCur)
	}
	sameSet(t, "CompleteUpload garbage", garbage, []string{"old", "p2", "p4"})
	want := multipartObject(u, []meta.Part{part("up1", 1, "p1"), part("up1", 3, "p3")}, 1, 3)
	equal(t, "CompleteUpload object", obj, want)
	got, err := h.s.GetObject(ctx, "b", "k", "")
	noErr(t, "GetObject", err)
	equal(t, "GetObject after complete", got, want)

	_, err = h.s.GetUpload(ctx, "b", "k", "up1")
	wantErr(t, "GetUpload(completed)", err, meta.ErrNotFound)
	parts, err := h.s.ListParts(ctx, "up1", 0, 100)
	noErr(t, "ListParts(completed)", err)
	if len(parts) != 0 {
		t.Fatalf("parts survive completion: %v", partNumbers(parts))
	}
	_, err = h.s.PutPart(ctx, "b", "k", part("up1", 5, "p5"))
	wantErr(t, "PutPart(completed)", err, meta.ErrNotFound)
	_, _, err = h.s.CompleteUpload(ctx, "b", "k", "up1", build, check)
	wantErr(t, "CompleteUpload(again)", err, meta.ErrNotFound)
	_, err = h.s.AbortUpload(ctx, "b", "k", "up1")
	wantErr(t, "AbortUpload(completed)", err, meta.ErrNotFound)

	c, err := h.s.GetCompletion(ctx, "b", "k", "up1")
	noErr(t, "GetCompletion", err)
	if c.UploadID != "up1" || c.Bucket != "b" || c.Key != "k" || c.ETag != "mpu-etag" || c.Size != want.Size ||
		!slices.Equal(c.Parts, []int{1, 3}) || c.ChecksumType != "FULL_OBJECT" || c.Checksums["CRC64NVME"] != "x" {
		t.Fatalf("GetCompletion = %+v", c)
	}
	for _, tc := range []struct{ bucket, key, id string }{
		{"b", "k2", "up1"}, {"b2", "k", "up1"}, {"b", "k", "up2"},
	} {
		_, err := h.s.GetCompletion(ctx, tc.bucket, tc.key, tc.id)
		wantErr(t, "GetCompletion("+tc.bucket+", "+tc.key+", "+tc.id+")", err, meta.ErrNotFound)
	}
	all, err := h.s.Garbage(ctx, 100)
	noErr(t, "Garbage", err)
	sameSet(t, "Garbage", all, []string{"old", "p2", "p4"})

	// The bucket can be emptied and deleted: no upload records are left,
	// so deleting it frees nothing more.
	_, _, err = h.s.DeleteObject(ctx, meta.Deletion{Bucket: "b", Key: "k"}, nil)
	noErr(t, "DeleteObject", err)
	garbage, err = h.s.DeleteBucket(ctx, "b")
	noErr(t, "DeleteBucket", err)
	if len(garbage) != 0 {
		t.Fatalf("DeleteBucket freed %v after Complete", garbage)
	}
}

// testCompleteUploadAborted: an error from build or check leaves everything
// as it was.
func testCompleteUploadAborted(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	h.put(object("b", "k", "old"))
	h.upload("b", "k", "up1", base)
	h.putPart("b", "k", part("up1", 1, "p1"))
	h.putPart("b", "k", part("up1", 2, "p2"))
	errBuild := errors.New("metatest: build failed")
	okBuild := func(u meta.Upload, parts []meta.Part) (meta.Object, error) {
		return multipartObject(u, parts, 1), nil
	}
	_, _, err := h.s.CompleteUpload(ctx, "b", "k", "up1",
		func(meta.Upload, []meta.Part) (meta.Object, error) { return meta.Object{}, errBuild }, nil)
	wantErr(t, "CompleteUpload(build error)", err, errBuild)
	_, _, err = h.s.CompleteUpload(ctx, "b", "k", "up1", okBuild, func(*meta.Object) error { return errVeto })
	wantErr(t, "CompleteUpload(check error)", err, errVeto)
	_, _, err = h.s.CompleteUpload(ctx, "b", "k2", "up1", okBuild, nil)
	wantErr(t, "CompleteUpload(wrong key)", err, meta.ErrNotFound)
	_, _, err = h.s.CompleteUpload(ctx, "b", "k", "nope", okBuild, nil)
	wantErr(t, "CompleteUpload(unknown)", err, meta.ErrNotFound)

	if _, err := h.s.GetUpload(ctx, "b", "k", "up1"); err != nil {
		t.Fatalf("upload lost by failed completions: %v", err)
	}
	parts, err := h.s.ListParts(ctx, "up1", 0, 100)
	noErr(t, "ListParts", err)
	if !slices.Equal(partNumbers(parts), []int{1, 2}) {
		t.Fatalf("parts after failed completions = %v", partNumbers(parts))
	}
	got, err := h.s.GetObject(ctx, "b", "k", "")
	noErr(t, "GetObject", err)
	equal(t, "object after failed completions", got, object("b", "k", "old"))
	_, err = h.s.GetCompletion(ctx, "b", "k", "up1")
	wantErr(t, "GetCompletion(not completed)", err, meta.ErrNotFound)
	if g, _ := h.s.Garbage(ctx, 10); len(g) != 0 {
		t.Fatalf("failed completions recorded garbage %q", g)
	}
}

func testAbortUpload(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	h.upload("b", "k", "up1", base)
	h.upload("b", "k", "up2", base)
	h.putPart("b", "k", part("up1", 1, "p1"))
	h.putPart("b", "k", part("up1", 2, "p2a"))
	h.putPart("b", "k", part("up1", 2, "p2b"))
	h.putPart("b", "k", part("up2", 1, "q1"))
	g, err := h.s.AbortUpload(ctx, "b", "k", "up1")
	noErr(t, "AbortUpload", err)
	sameSet(t, "AbortUpload garbage", g, []string{"p1", "p2b"})
	_, err = h.s.GetUpload(ctx, "b", "k", "up1")
	wantErr(t, "GetUpload(aborted)", err, meta.ErrNotFound)
	parts, err := h.s.ListParts(ctx, "up1", 0, 100)
	noErr(t, "ListParts(aborted)", err)
	if len(parts) != 0 {
		t.Fatalf("parts survive abort: %v", partNumbers(parts))
	}
	_, err = h.s.AbortUpload(ctx, "b", "k", "up1")
	wantErr(t, "AbortUpload(again)", err, meta.ErrNotFound)
	_, err = h.s.PutPart(ctx, "b", "k", part("up1", 3, "p3"))
	wantErr(t, "PutPart(aborted)", err, meta.ErrNotFound)
	_, err = h.s.GetCompletion(ctx, "b", "k", "up1")
	wantErr(t, "GetCompletion(aborted)", err, meta.ErrNotFound)
	// The sibling upload is untouched.
	parts, err = h.s.ListParts(ctx, "up2", 0, 100)
	noErr(t, "ListParts(up2)", err)
	if !slices.Equal(partNumbers(parts), []int{1}) {
		t.Fatalf("sibling upload parts = %v", partNumbers(parts))
	}
	all, err := h.s.Garbage(ctx, 100)
	noErr(t, "Garbage", err)
	sameSet(t, "Garbage", all, []string{"p1", "p2a", "p2b"})
}

// testPruneCompletions: completions recorded before the cut are forgotten,
// later ones kept.
func testPruneCompletions(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	for i, id := range []string{"old", "new"} {
		h.upload("b", "k", id, base)
		h.putPart("b", "k", part(id, 1, "blob-"+id))
		_, _, err := h.s.CompleteUpload(ctx, "b", "k", id, func(u meta.Upload, ps []meta.Part) (meta.Object, error) {
			o := multipartObject(u, ps, 1)
			o.LastModified = at(i * 100) // the completion's time
			return o, nil
		}, nil)
		noErr(t, "CompleteUpload", err)
	}
	n, err := h.s.PruneCompletions(ctx, at(50))
	noErr(t, "PruneCompletions", err)
	if n != 1 {
		t.Fatalf("pruned %d, want 1", n)
	}
	_, err = h.s.GetCompletion(ctx, "b", "k", "old")
	wantErr(t, "GetCompletion(pruned)", err, meta.ErrNotFound)
	_, err = h.s.GetCompletion(ctx, "b", "k", "new")
	noErr(t, "GetCompletion(kept)", err)
	if n, err := h.s.PruneCompletions(ctx, at(50)); err != nil || n != 0 {
		t.Fatalf("second prune: %d %v", n, err)
	}
}
