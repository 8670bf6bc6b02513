package conformance

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/minio/minio-go/v7"
)

// TestVersioningMinio: minio-go's own versioning API against Tessera:
// EnableVersioning/GetBucketVersioning, version IDs on PutObject,
// ListObjects WithVersions (versions and markers, newest first per key),
// GetObject and StatObject with VersionID, RemoveObject without a version
// (a marker) and with one (LS test_delete_object_versioned rows, recorded
// against AWS, for every answer).
func TestVersioningMinio(t *testing.T) {
	srv := verNew(t).srv
	mc := srv.Minio()
	c := context.Background()
	b := bucketName(t)
	if err := mc.MakeBucket(c, b, minioMakeBucketOptions()); err != nil {
		t.Fatal(err)
	}
	if err := mc.EnableVersioning(c, b); err != nil {
		t.Fatal(err)
	}
	cfg, err := mc.GetBucketVersioning(c, b)
	if err != nil || !cfg.Enabled() {
		t.Fatalf("GetBucketVersioning: %+v %v", cfg, err)
	}
	var ids []string
	for _, body := range []string{"first", "second"} {
		info, err := mc.PutObject(c, b, "k", bytes.NewReader([]byte(body)), int64(len(body)), minio.PutObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(info.VersionID) != 32 {
			t.Fatalf("PutObject VersionID %q", info.VersionID)
		}
		ids = append(ids, info.VersionID)
	}
	read := func(id string) (string, error) {
		o, err := mc.GetObject(c, b, "k", minio.GetObjectOptions{VersionID: id})
		if err != nil {
			return "", err
		}
		defer o.Close()
		data, err := io.ReadAll(o)
		return string(data), err
	}
	if got, err := read(ids[0]); err != nil || got != "first" {
		t.Errorf("GetObject VersionID first: %q %v", got, err)
	}
	st, err := mc.StatObject(c, b, "k", minio.StatObjectOptions{VersionID: ids[0]})
	if err != nil || st.VersionID != ids[0] || st.Size != 5 {
		t.Errorf("StatObject first: %+v %v", st, err)
	}
	// RemoveObject without a version: a delete marker; the key reads 404.
	if err := mc.RemoveObject(c, b, "k", minio.RemoveObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = mc.StatObject(c, b, "k", minio.StatObjectOptions{})
	wantMinioErr(t, err, "", 404)

	type entry struct {
		id             string
		latest, marker bool
	}
	list := func() []entry {
		var out []entry
		for o := range mc.ListObjects(c, b, minio.ListObjectsOptions{WithVersions: true, Recursive: true}) {
			if o.Err != nil {
				t.Fatal(o.Err)
			}
			out = append(out, entry{o.VersionID, o.IsLatest, o.IsDeleteMarker})
		}
		return out
	}
	got := list()
	if len(got) != 3 || !got[0].marker || !got[0].latest || got[1] != (entry{ids[1], false, false}) || got[2] != (entry{ids[0], false, false}) {
		t.Fatalf("ListObjects WithVersions: %+v", got)
	}
	// RemoveObject with the marker's VersionID brings "second" back.
	if err := mc.RemoveObject(c, b, "k", minio.RemoveObjectOptions{VersionID: got[0].id}); err != nil {
		t.Fatal(err)
	}
	if got, err := read(""); err != nil || got != "second" {
		t.Errorf("after removing the marker: %q %v", got, err)
	}
	// RemoveObject with a real VersionID removes only that version.
	if err := mc.RemoveObject(c, b, "k", minio.RemoveObjectOptions{VersionID: ids[1]}); err != nil {
		t.Fatal(err)
	}
	if got := list(); len(got) != 1 || got[0] != (entry{ids[0], true, false}) {
		t.Errorf("after removing the latest version: %+v, want only the first, latest", got)
	}
	_, err = read(ids[1])
	wantMinioErr(t, err, "NoSuchVersion", 404)
	if got, err := read(""); err != nil || got != "first" {
		t.Errorf("latest after removing second: %q %v", got, err)
	}
	// Suspend through minio-go.
	if err := mc.SuspendVersioning(c, b); err != nil {
		t.Fatal(err)
	}
	if cfg, err := mc.GetBucketVersioning(c, b); err != nil || !cfg.Suspended() {
		t.Errorf("after SuspendVersioning: %+v %v", cfg, err)
	}
}
