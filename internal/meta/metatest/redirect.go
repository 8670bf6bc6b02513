package metatest

import (
	"strings"
	"testing"

	"github.com/tessera-s3/tessera/internal/meta"
)

// testWebsiteRedirectRoundTrip: an object's and an upload's
// WebsiteRedirectLocation come back exactly as stored, also after a
// completion carries it from the upload to the object and after a reopen.
func testWebsiteRedirectRoundTrip(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	values := map[string]string{
		"none":  "",                              // records written before the field have none either
		"local": "/other/key.html",               // same-bucket target
		"url":   "https://example.com/a?b=c&d",   // external URL with a query
		"long":  "/" + strings.Repeat("é", 1023), // 2047 bytes of UTF-8, near S3's 2 KB limit
	}
	objects := map[string]meta.Object{}
	uploads := map[string]meta.Upload{}
	for name, v := range values {
		obj := object("b", "put-"+name, "blob-"+name)
		obj.WebsiteRedirectLocation = v
		h.put(obj)
		objects[obj.Key] = obj

		open := meta.Upload{ID: "up-open-" + name, Bucket: "b", Key: "open-" + name, Initiated: base, Owner: owner, WebsiteRedirectLocation: v}
		noErr(t, "CreateUpload("+open.Key+")", h.s.CreateUpload(ctx, open))
		uploads[open.Key] = open

		done := meta.Upload{ID: "up-done-" + name, Bucket: "b", Key: "done-" + name, Initiated: base, Owner: owner, WebsiteRedirectLocation: v}
		noErr(t, "CreateUpload("+done.Key+")", h.s.CreateUpload(ctx, done))
		h.putPart("b", done.Key, part(done.ID, 1, "part-"+name))
		built, _, err := h.s.CompleteUpload(ctx, "b", done.Key, done.ID, func(u meta.Upload, ps []meta.Part) (meta.Object, error) {
			o := multipartObject(u, ps, 1)
			o.WebsiteRedirectLocation = u.WebsiteRedirectLocation
			return o, nil
		}, nil)
		noErr(t, "CompleteUpload("+done.Key+")", err)
		if built.WebsiteRedirectLocation != v {
			t.Fatalf("CompleteUpload(%s) redirect = %q, want %q", done.Key, built.WebsiteRedirectLocation, v)
		}
		objects[built.Key] = built
	}
	check := func(stage string) {
		t.Helper()
		for key, want := range objects {
			got, err := h.s.GetObject(ctx, "b", key, "")
			noErr(t, stage+" GetObject("+key+")", err)
			equal(t, stage+" GetObject("+key+")", got, want)
		}
		for key, want := range uploads {
			got, err := h.s.GetUpload(ctx, "b", key, want.ID)
			noErr(t, stage+" GetUpload("+key+")", err)
			equal(t, stage+" GetUpload("+key+")", got, want)
		}
	}
	check("stored")
	h.reopen()
	check("reopened")
}
