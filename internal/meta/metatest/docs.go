package metatest

import (
	"errors"
	"testing"

	"github.com/tessera-s3/tessera/internal/meta"
)

func testDocs(t *testing.T, h *harness) {
	ctx := t.Context()
	noErr(t, "PutDoc", h.s.PutDoc(ctx, "account", "b", []byte("2")))
	noErr(t, "PutDoc", h.s.PutDoc(ctx, "account", "a", []byte("1")))
	noErr(t, "PutDoc", h.s.PutDoc(ctx, "accountx", "a", []byte("other kind")))
	noErr(t, "PutDoc", h.s.PutDoc(ctx, "account", "b", []byte("2'")))
	if _, err := h.s.GetDoc(ctx, "account", "zz"); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("GetDoc missing: %v", err)
	}
	h.reopen()
	v, err := h.s.GetDoc(ctx, "account", "b")
	if err != nil || string(v) != "2'" {
		t.Fatalf("GetDoc after reopen: %q %v", v, err)
	}
	docs, err := h.s.ListDocs(ctx, "account")
	noErr(t, "ListDocs", err)
	if len(docs) != 2 || docs[0].ID != "a" || string(docs[0].Data) != "1" || docs[1].ID != "b" {
		t.Fatalf("ListDocs = %+v", docs)
	}
	noErr(t, "DeleteDoc", h.s.DeleteDoc(ctx, "account", "a"))
	noErr(t, "DeleteDoc absent", h.s.DeleteDoc(ctx, "account", "a"))
	docs, err = h.s.ListDocs(ctx, "account")
	noErr(t, "ListDocs", err)
	if len(docs) != 1 || docs[0].ID != "b" {
		t.Fatalf("ListDocs after delete = %+v", docs)
	}
}

func testBucketConfig(t *testing.T, h *harness) {
	ctx := t.Context()
	if err := h.s.PutBucketConfig(ctx, "nobucket", "lifecycle", []byte("x")); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("PutBucketConfig on missing bucket: %v", err)
	}
	h.bucket("cfg")
	h.bucket("cfg2")
	noErr(t, "PutBucketConfig", h.s.PutBucketConfig(ctx, "cfg", "lifecycle", []byte("<L/>")))
	noErr(t, "PutBucketConfig", h.s.PutBucketConfig(ctx, "cfg", "policy", []byte("{}")))
	noErr(t, "PutBucketConfig", h.s.PutBucketConfig(ctx, "cfg2", "lifecycle", []byte("<other/>")))
	h.reopen()
	v, err := h.s.GetBucketConfig(ctx, "cfg", "lifecycle")
	if err != nil || string(v) != "<L/>" {
		t.Fatalf("GetBucketConfig: %q %v", v, err)
	}
	noErr(t, "DeleteBucketConfig", h.s.DeleteBucketConfig(ctx, "cfg", "lifecycle"))
	if _, err := h.s.GetBucketConfig(ctx, "cfg", "lifecycle"); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("deleted config: %v", err)
	}
	// Deleting a bucket drops its configurations; a new bucket of the same name starts bare.
	noErr(t, "DeleteBucket", h.s.DeleteBucket(ctx, "cfg"))
	h.bucket("cfg")
	if _, err := h.s.GetBucketConfig(ctx, "cfg", "policy"); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("config survived DeleteBucket: %v", err)
	}
	if v, err := h.s.GetBucketConfig(ctx, "cfg2", "lifecycle"); err != nil || string(v) != "<other/>" {
		t.Fatalf("other bucket's config: %q %v", v, err)
	}
}
