package metatest

import (
	"testing"

	"github.com/tessera-s3/tessera/internal/meta"
)

// testEncryptionRoundTrip: an object's and an upload's Encryption, and the
// per-blob Crypt records of parts and segments, come back byte for byte —
// through PutObject, PutPart, ListParts, a completion (which the build
// function carries from parts to segments) and a reopen. Plaintext records
// beside them keep nil.
func testEncryptionRoundTrip(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	ssec := &meta.Encryption{Mode: "SSE-C", CustomerKeyCheck: []byte{0, 1, 2, 255}}
	kms := &meta.Encryption{Mode: "aws:kms", KMSKeyID: "arn:aws:kms:us-east-1:000000000000:key/k1", KMSContext: "e30=", BucketKey: true}

	obj := object("b", "put", "blob-put")
	obj.Encryption = kms
	obj.Segments[0].Crypt = []byte("sealed\x00key\xff")
	h.put(obj)
	plain := object("b", "plain", "blob-plain")
	h.put(plain)

	u := meta.Upload{ID: "up-enc", Bucket: "b", Key: "mpu", Initiated: base, Owner: owner, Encryption: ssec}
	noErr(t, "CreateUpload", h.s.CreateUpload(ctx, u))
	p1 := part(u.ID, 1, "blob-p1")
	p1.Crypt = []byte{1, 2, 3}
	p2 := part(u.ID, 2, "blob-p2") // a plaintext part beside an encrypted one
	h.putPart("b", "mpu", p1)
	h.putPart("b", "mpu", p2)
	parts, err := h.s.ListParts(ctx, u.ID, 0, 10)
	noErr(t, "ListParts", err)
	equal(t, "ListParts", parts, []meta.Part{p1, p2})
	gotU, err := h.s.GetUpload(ctx, "b", "mpu", u.ID)
	noErr(t, "GetUpload", err)
	equal(t, "GetUpload", gotU, u)

	built, _, err := h.s.CompleteUpload(ctx, "b", "mpu", u.ID, func(u meta.Upload, ps []meta.Part) (meta.Object, error) {
		o := multipartObject(u, ps, 1, 2)
		o.Encryption = u.Encryption
		for i := range o.Segments {
			o.Segments[i].Crypt = ps[i].Crypt
		}
		return o, nil
	}, nil)
	noErr(t, "CompleteUpload", err)
	if len(built.Segments) != 2 || string(built.Segments[0].Crypt) != "\x01\x02\x03" || built.Segments[1].Crypt != nil {
		t.Fatalf("CompleteUpload segments %+v", built.Segments)
	}
	check := func(stage string) {
		t.Helper()
		for _, want := range []meta.Object{obj, plain, built} {
			got, err := h.s.GetObject(ctx, "b", want.Key, "")
			noErr(t, stage+" GetObject("+want.Key+")", err)
			equal(t, stage+" GetObject("+want.Key+")", got, want)
		}
	}
	check("stored")
	h.reopen()
	check("reopened")
}
