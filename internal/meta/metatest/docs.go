package metatest

import (
	"slices"
	"testing"

	"github.com/tessera-s3/tessera/internal/meta"
)

func testBucketConfig(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	h.bucket("bb") // "b" is a prefix of "bb": configs must not leak between them
	noErr(t, "PutBucketConfig", h.s.PutBucketConfig(ctx, "b", "lifecycle", []byte("<L/>")))
	noErr(t, "PutBucketConfig", h.s.PutBucketConfig(ctx, "b", "policy", []byte(`{"v":1}`)))
	noErr(t, "PutBucketConfig", h.s.PutBucketConfig(ctx, "b", "policy", []byte(`{"v":2}`))) // replaces
	noErr(t, "PutBucketConfig", h.s.PutBucketConfig(ctx, "bb", "policy", []byte("bb")))
	h.reopen() // configurations are durable

	got, err := h.s.GetBucketConfig(ctx, "b", "policy")
	noErr(t, "GetBucketConfig", err)
	if string(got) != `{"v":2}` {
		t.Fatalf("GetBucketConfig = %q, want the latest document", got)
	}
	_, err = h.s.GetBucketConfig(ctx, "b", "cors")
	wantErr(t, "GetBucketConfig(missing)", err, meta.ErrNotFound)
	_, err = h.s.GetBucketConfig(ctx, "nobucket", "policy")
	wantErr(t, "GetBucketConfig(missing bucket)", err, meta.ErrNotFound)
	wantErr(t, "PutBucketConfig(missing bucket)",
		h.s.PutBucketConfig(ctx, "nobucket", "policy", []byte("x")), meta.ErrNotFound)

	noErr(t, "DeleteBucketConfig", h.s.DeleteBucketConfig(ctx, "b", "lifecycle"))
	noErr(t, "DeleteBucketConfig(again)", h.s.DeleteBucketConfig(ctx, "b", "lifecycle"))
	_, err = h.s.GetBucketConfig(ctx, "b", "lifecycle")
	wantErr(t, "GetBucketConfig(deleted)", err, meta.ErrNotFound)

	// A configuration does not make a bucket non-empty, and a bucket
	// re-created under the same name starts without configurations.
	noErr(t, "DeleteBucket", errOf(h.s.DeleteBucket(ctx, "b")))
	h.bucket("b")
	_, err = h.s.GetBucketConfig(ctx, "b", "policy")
	wantErr(t, "GetBucketConfig(re-created bucket)", err, meta.ErrNotFound)
	got, err = h.s.GetBucketConfig(ctx, "bb", "policy")
	noErr(t, "GetBucketConfig(neighbour)", err)
	if string(got) != "bb" {
		t.Fatalf("neighbour's config = %q", got)
	}
}

func testDocs(t *testing.T, h *harness) {
	ctx := t.Context()
	for _, d := range []struct{ kind, id, data string }{
		{"account", "zed", "z"},
		{"account", "alice", "a1"},
		{"account", "alice", "a2"}, // replaces
		{"account", "bob", ""},
		{"accounts", "carol", "c"}, // "account" is a prefix of "accounts"
		{"key", "AKIA", "k"},
	} {
		noErr(t, "PutDoc", h.s.PutDoc(ctx, d.kind, d.id, []byte(d.data)))
	}
	got, err := h.s.GetDoc(ctx, "account", "alice")
	noErr(t, "GetDoc", err)
	if string(got) != "a2" {
		t.Fatalf("GetDoc = %q, want the latest document", got)
	}
	_, err = h.s.GetDoc(ctx, "account", "carol")
	wantErr(t, "GetDoc(other kind's id)", err, meta.ErrNotFound)
	_, err = h.s.GetDoc(ctx, "nokind", "x")
	wantErr(t, "GetDoc(missing kind)", err, meta.ErrNotFound)

	list, err := h.s.ListDocs(ctx, "account")
	noErr(t, "ListDocs", err)
	var ids, data []string
	for _, d := range list {
		ids = append(ids, d.ID)
		data = append(data, string(d.Data))
	}
	if want := []string{"alice", "bob", "zed"}; !slices.Equal(ids, want) {
		t.Fatalf("ListDocs ids = %q, want %q", ids, want)
	}
	if want := []string{"a2", "", "z"}; !slices.Equal(data, want) {
		t.Fatalf("ListDocs data = %q, want %q", data, want)
	}
	if list, _ := h.s.ListDocs(ctx, "nokind"); len(list) != 0 {
		t.Fatalf("ListDocs(missing kind) = %v", list)
	}

	noErr(t, "DeleteDoc", h.s.DeleteDoc(ctx, "account", "bob"))
	noErr(t, "DeleteDoc(again)", h.s.DeleteDoc(ctx, "account", "bob"))
	_, err = h.s.GetDoc(ctx, "account", "bob")
	wantErr(t, "GetDoc(deleted)", err, meta.ErrNotFound)

	h.reopen()
	got, err = h.s.GetDoc(ctx, "key", "AKIA")
	noErr(t, "GetDoc after reopen", err)
	if string(got) != "k" {
		t.Fatalf("GetDoc after reopen = %q", got)
	}
}

// testForEachBlobRef: every blob the metadata refers to is reported —
// object segments, in-progress parts and garbage — and nothing else.
func testForEachBlobRef(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	h.put(object("b", "k1", "obj-blob"))
	h.upload("b", "k2", "up", base)
	h.putPart("b", "k2", part("up", 1, "part-blob"))
	garbage := h.put(object("b", "k1", "obj-blob-2")) // obj-blob becomes garbage
	if len(garbage) != 1 {
		t.Fatalf("replace garbage = %v", garbage)
	}
	got := map[string]bool{}
	noErr(t, "ForEachBlobRef", h.s.ForEachBlobRef(ctx, func(id string) { got[id] = true }))
	for _, id := range []string{"obj-blob", "obj-blob-2", "part-blob"} {
		if !got[id] {
			t.Errorf("ForEachBlobRef missed %s (got %v)", id, got)
		}
	}
	if len(got) != 3 {
		t.Errorf("ForEachBlobRef reported %v", got)
	}
}
