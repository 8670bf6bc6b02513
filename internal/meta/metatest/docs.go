package metatest

import (
	"encoding/json"
	"errors"
	"maps"
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

// testBucketConfigs: the bucket and several of its documents in one call,
// an absent document left out of the map, an empty one kept.
func testBucketConfigs(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	h.bucket("bb") // "b" is a prefix of "bb": configs must not leak between them
	noErr(t, "UpdateBucket", h.s.UpdateBucket(ctx, "b", func(b *meta.Bucket) error {
		b.Versioning = meta.VersioningEnabled
		return nil
	}))
	noErr(t, "PutBucketConfig", h.s.PutBucketConfig(ctx, "b", "policy", []byte(`{"v":1}`)))
	noErr(t, "PutBucketConfig", h.s.PutBucketConfig(ctx, "b", "cors", []byte{}))
	noErr(t, "PutBucketConfig", h.s.PutBucketConfig(ctx, "bb", "lifecycle", []byte("<bb/>")))
	tests := []struct {
		name    string
		bucket  string
		names   []string
		want    map[string]string
		wantErr error
	}{
		{"some present, one absent", "b", []string{"policy", "lifecycle", "cors"}, map[string]string{"policy": `{"v":1}`, "cors": ""}, nil},
		{"none named", "b", nil, map[string]string{}, nil},
		{"named twice", "b", []string{"policy", "policy"}, map[string]string{"policy": `{"v":1}`}, nil},
		{"neighbour's only", "bb", []string{"policy", "lifecycle"}, map[string]string{"lifecycle": "<bb/>"}, nil},
		{"no bucket", "nobucket", []string{"policy"}, nil, meta.ErrNotFound},
		{"no bucket, none named", "nobucket", nil, nil, meta.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, docs, err := h.s.GetBucketConfigs(ctx, tt.bucket, tt.names...)
			if tt.wantErr != nil {
				wantErr(t, "GetBucketConfigs", err, tt.wantErr)
				return
			}
			noErr(t, "GetBucketConfigs", err)
			if b.Name != tt.bucket {
				t.Errorf("bucket name = %q, want %q", b.Name, tt.bucket)
			}
			if tt.bucket == "b" && b.Versioning != meta.VersioningEnabled {
				t.Errorf("bucket versioning = %q, want the stored record's %q", b.Versioning, meta.VersioningEnabled)
			}
			got := map[string]string{}
			for n, d := range docs {
				if d == nil {
					t.Errorf("document %q is nil, want non-nil (empty is still a document)", n)
				}
				got[n] = string(d)
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("documents = %q, want %q", got, tt.want)
			}
		})
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

var errUpdate = errors.New("metatest: update refused")

// testUpdateDoc: UpdateDoc creates, replaces and deletes a document with
// what fn returns, and stores nothing when fn fails.
func testUpdateDoc(t *testing.T, h *harness) {
	ctx := t.Context()
	type call struct {
		got   string // what fn must get ("" with found false: absent)
		found bool
		put   []byte // what fn returns
		err   error
	}
	for _, c := range []struct {
		name string
		call
		after string // the document afterwards ("-": absent)
	}{
		{"create", call{"", false, []byte("v1"), nil}, "v1"},
		{"update", call{"v1", true, []byte("v2"), nil}, "v2"},
		{"fn fails", call{"v2", true, []byte("v3"), errUpdate}, "v2"},
		{"empty document", call{"v2", true, []byte{}, nil}, ""},
		{"empty is a document", call{"", true, []byte("v4"), nil}, "v4"},
		{"delete", call{"v4", true, nil, nil}, "-"},
		{"delete absent", call{"", false, nil, nil}, "-"},
		{"fn fails on absent", call{"", false, []byte("v5"), errUpdate}, "-"},
		{"create again", call{"", false, []byte("v6"), nil}, "v6"},
	} {
		err := h.s.UpdateDoc(ctx, "counter", "c", func(doc []byte, found bool) ([]byte, error) {
			if string(doc) != c.got || found != c.found {
				t.Errorf("%s: fn got (%q, %v), want (%q, %v)", c.name, doc, found, c.got, c.found)
			}
			return c.put, c.err
		})
		if err != c.err {
			t.Fatalf("%s: UpdateDoc = %v, want %v unchanged", c.name, err, c.err)
		}
		doc, err := h.s.GetDoc(ctx, "counter", "c")
		if c.after == "-" {
			wantErr(t, c.name+": GetDoc", err, meta.ErrNotFound)
			continue
		}
		noErr(t, c.name+": GetDoc", err)
		if string(doc) != c.after {
			t.Fatalf("%s: GetDoc = %q, want %q", c.name, doc, c.after)
		}
	}
	err := h.s.UpdateDoc(ctx, "", "c", func([]byte, bool) ([]byte, error) { return []byte("x"), nil })
	wantErr(t, "UpdateDoc(empty kind)", err, meta.ErrNotFound)
}

// testUpdateDocConcurrent: UpdateDocs of one document from two stores
// serialise: no increment of a counter is lost.
func testUpdateDocConcurrent(t *testing.T, h *harness) {
	ctx := t.Context()
	p, _, _ := h.peerStore()
	const workers, rounds = 16, 20
	type counter struct{ N int }
	errs := make([]error, workers)
	parallel(workers, func(i int) {
		s := h.s
		if i%2 == 1 {
			s = p
		}
		for range rounds {
			err := s.UpdateDoc(ctx, "usage", "u", func(doc []byte, found bool) ([]byte, error) {
				var c counter
				if found {
					if err := json.Unmarshal(doc, &c); err != nil {
						return nil, err
					}
				}
				c.N++
				return json.Marshal(c)
			})
			if err != nil {
				errs[i] = err
				return
			}
		}
	})
	for _, err := range errs {
		noErr(t, "UpdateDoc", err)
	}
	doc, err := p.GetDoc(ctx, "usage", "u")
	noErr(t, "GetDoc", err)
	var c counter
	noErr(t, "decode", json.Unmarshal(doc, &c))
	if c.N != workers*rounds {
		t.Fatalf("counter = %d, want %d", c.N, workers*rounds)
	}
}
