package metatest

import (
	"cmp"
	"slices"
	"strings"
	"testing"

	"github.com/tessera-s3/tessera/internal/meta"
)

func testListUploads(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	h.bucket("bb") // its uploads must not leak into "b"
	h.upload("bb", "a", "z1", at(0))
	// Within key "a", initiated order (u3, u1, u2) differs from ID order,
	// and u1/u2 tie on initiated so the ID breaks the tie.
	all := []meta.Upload{
		h.upload("b", "a", "u1", at(2)),
		h.upload("b", "c/1", "y1", at(3)),
		h.upload("b", "a", "u3", at(1)),
		h.upload("b", "a\u0000", "v1", at(0)),
		h.upload("b", "a", "u2", at(2)),
		h.upload("b", "b", "x1", at(0)),
		h.upload("b", "a/x", "w1", at(5)),
		h.upload("b", "a\u00e9", "e1", at(9)),
	}
	slices.SortFunc(all, func(x, y meta.Upload) int {
		return cmp.Or(strings.Compare(x.Key, y.Key), x.Initiated.Compare(y.Initiated), strings.Compare(x.ID, y.ID))
	})
	// expect applies the interface's position rule to the sorted list.
	expect := func(prefix, afterKey, afterID string, limit int) []string {
		var pos *meta.Upload
		for i := range all {
			if all[i].Key == afterKey && all[i].ID == afterID {
				pos = &all[i]
			}
		}
		var out []string
		for _, u := range all {
			if !strings.HasPrefix(u.Key, prefix) || len(out) >= limit {
				continue
			}
			switch {
			case afterKey == "" && afterID == "":
			case u.Key > afterKey:
			case u.Key == afterKey && pos != nil &&
				cmp.Or(u.Initiated.Compare(pos.Initiated), strings.Compare(u.ID, pos.ID)) > 0:
			default:
				continue
			}
			out = append(out, u.ID)
		}
		return out
	}
	ids := func(us []meta.Upload) []string {
		var out []string
		for _, u := range us {
			out = append(out, u.ID)
		}
		return out
	}
	for _, tc := range []struct {
		prefix, afterKey, afterID string
		limit                     int
	}{
		{"", "", "", 100},
		{"", "", "", 2},
		{"a", "", "", 100},
		{"a/", "", "", 100},
		{"a\u0000", "", "", 100},
		{"c", "", "", 100},
		{"d", "", "", 100},
		{"", "a", "", 100},
		{"", "a", "u3", 100},
		{"", "a", "u1", 100},
		{"", "a", "u2", 100},
		{"", "a", "u1", 1},
		{"", "a\u0000", "", 100},
		{"", "0", "", 100},
		{"a", "b", "", 100},
		{"b", "a", "", 100},
		{"", "c/1", "y1", 100},
		{"", "", "", 0},
	} {
		got, err := h.s.ListUploads(ctx, "b", tc.prefix, tc.afterKey, tc.afterID, tc.limit)
		noErr(t, "ListUploads", err)
		if want := expect(tc.prefix, tc.afterKey, tc.afterID, tc.limit); !slices.Equal(ids(got), want) {
			t.Errorf("ListUploads(prefix %q, after (%q, %q), limit %d) = %q, want %q",
				tc.prefix, tc.afterKey, tc.afterID, tc.limit, ids(got), want)
		}
	}
	full, err := h.s.ListUploads(ctx, "b", "", "", "", 100)
	noErr(t, "ListUploads", err)
	equal(t, "ListUploads records", full, all)

	// Paging one at a time from the last (key, ID) visits every upload once.
	var paged []string
	key, id := "", ""
	for range len(all) + 2 {
		page, err := h.s.ListUploads(ctx, "b", "", key, id, 1)
		noErr(t, "ListUploads(page)", err)
		if len(page) == 0 {
			break
		}
		paged = append(paged, page[0].ID)
		key, id = page[0].Key, page[0].ID
	}
	if want := ids(all); !slices.Equal(paged, want) {
		t.Fatalf("paged ListUploads = %q, want %q", paged, want)
	}
}

func testReopen(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	h.put(object("b", "k", "old"))
	h.put(object("b", "k", "cur")) // "old" becomes garbage
	u := h.upload("b", "k2", "up1", base)
	h.putPart("b", "k2", part("up1", 1, "p1"))
	h.upload("b", "k3", "up2", base)
	h.putPart("b", "k3", part("up2", 1, "q1"))
	_, _, err := h.s.CompleteUpload(ctx, "b", "k3", "up2", func(u meta.Upload, ps []meta.Part) (meta.Object, error) {
		return multipartObject(u, ps, 1), nil
	}, nil)
	noErr(t, "CompleteUpload", err)

	h.reopen()

	if _, err := h.s.GetBucket(ctx, "b"); err != nil {
		t.Fatalf("GetBucket after reopen: %v", err)
	}
	got, err := h.s.GetObject(ctx, "b", "k", "")
	noErr(t, "GetObject after reopen", err)
	equal(t, "object after reopen", got, object("b", "k", "cur"))
	gu, err := h.s.GetUpload(ctx, "b", "k2", "up1")
	noErr(t, "GetUpload after reopen", err)
	equal(t, "upload after reopen", gu, u)
	parts, err := h.s.ListParts(ctx, "up1", 0, 10)
	noErr(t, "ListParts after reopen", err)
	equal(t, "parts after reopen", parts, []meta.Part{part("up1", 1, "p1")})
	if _, err := h.s.GetCompletion(ctx, "b", "k3", "up2"); err != nil {
		t.Fatalf("GetCompletion after reopen: %v", err)
	}
	mp, err := h.s.GetObject(ctx, "b", "k3", "")
	noErr(t, "GetObject(multipart) after reopen", err)
	if len(mp.Segments) != 1 || mp.Segments[0].BlobID != "q1" {
		t.Fatalf("multipart manifest after reopen = %+v", mp.Segments)
	}
	g, err := h.s.Garbage(ctx, 10)
	noErr(t, "Garbage after reopen", err)
	sameSet(t, "Garbage after reopen", g, []string{"old"})
}
