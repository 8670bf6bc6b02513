package conformance

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// verIDRule is what x-amz-version-id must be on a write's answer.
type verIDRule int

const (
	verNoID   verIDRule = iota // no header at all
	verNewID                   // a new 32-character ID
	verNullID                  // the literal "null"
)

func checkIDRule(t *testing.T, what, got string, rule verIDRule) {
	t.Helper()
	switch rule {
	case verNoID:
		if got != "" {
			t.Errorf("%s: x-amz-version-id %q, want none", what, got)
		}
	case verNewID:
		if len(got) != 32 {
			t.Errorf("%s: x-amz-version-id %q, want a new 32-character ID", what, got)
		}
	case verNullID:
		if got != "null" {
			t.Errorf("%s: x-amz-version-id %q, want null", what, got)
		}
	}
}

// TestVersionIDOnWrites: the x-amz-version-id of PutObject, CopyObject and
// CompleteMultipartUpload in each versioning state, and what a GET of the
// result answers.
func TestVersionIDOnWrites(t *testing.T) {
	e := verNew(t)
	for _, tc := range []struct {
		state               string
		put, copy, complete verIDRule
		get                 verIDRule // GET of the latest afterwards
	}{
		// Never versioned: no header anywhere (LS test_delete_object "put-object";
		// test_s3_copy_object_in_place_suspended_only "copy-in-place-non-versioned";
		// ksan port test_versioning_unversioned_all_version_id for Complete;
		// LS test_get_object_with_version_unversioned_bucket for GET).
		{verNever, verNoID, verNoID, verNoID, verNoID},
		// Enabled: a new ID on every write (LS test_delete_object_versioned "put-object";
		// LS test_s3_copy_object_src_not_exists; ceph s3-tests
		// test_versioning_bucket_multipart_upload_return_version_id).
		{verEnabled, verNewID, verNewID, verNewID, verNewID},
		// Suspended: PutObject sends none (LS test_put_object_on_suspended_bucket),
		// but CopyObject sends "null" (LS test_s3_copy_object_in_place_suspended_only);
		// both recorded against AWS. Complete: none, as PutObject (ksan port
		// test_versioning_suspended_all_version_id, not a recording). GET of the
		// null version says "null" (LS test_put_object_on_suspended_bucket "get-object-current").
		{verSuspended, verNoID, verNullID, verNoID, verNullID},
	} {
		t.Run("state="+tc.state, func(t *testing.T) {
			b := e.bucket(tc.state)
			checkIDRule(t, "PutObject", e.put(b, "src", "source"), tc.put)
			_, out, err := e.getV(b, "src", "")
			if err != nil {
				t.Fatal(err)
			}
			checkIDRule(t, "GetObject after PutObject", aws.ToString(out.VersionId), tc.get)

			cp, err := e.c.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("dst"), CopySource: aws.String(b + "/src")})
			if err != nil {
				t.Fatal(err)
			}
			checkIDRule(t, "CopyObject", aws.ToString(cp.VersionId), tc.copy)

			up, err := e.c.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("mp")})
			if err != nil {
				t.Fatal(err)
			}
			pt, err := e.c.UploadPart(ctx(), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("mp"), UploadId: up.UploadId,
				PartNumber: aws.Int32(1), Body: strings.NewReader("part one")})
			if err != nil {
				t.Fatal(err)
			}
			done, err := e.c.CompleteMultipartUpload(ctx(), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("mp"), UploadId: up.UploadId,
				MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: pt.ETag}}}})
			if err != nil {
				t.Fatal(err)
			}
			checkIDRule(t, "CompleteMultipartUpload", aws.ToString(done.VersionId), tc.complete)
			_, out, err = e.getV(b, "mp", "")
			if err != nil {
				t.Fatal(err)
			}
			checkIDRule(t, "GetObject after Complete", aws.ToString(out.VersionId), tc.get)
		})
	}
}

// TestVersionedOverwriteKeepsVersions: each PUT on an Enabled bucket adds a
// version; every one still reads back by ID (LS test_s3_put_object_versioned).
func TestVersionedOverwriteKeepsVersions(t *testing.T) {
	e := verNew(t)
	b := e.bucket(verEnabled)
	ids := map[string]string{}
	for _, body := range []string{"one", "two", "three"} {
		ids[body] = e.putID(b, "k", body)
	}
	for body, id := range ids {
		e.wantV(b, "k", id, body, id)
	}
	e.wantV(b, "k", "", "three", ids["three"])
}

// TestVersionedMultipartKeepsOld: Complete on an Enabled bucket adds a
// version on top of the old one, which stays readable (ceph s3-tests
// test_versioning_bucket_multipart_upload_return_version_id).
func TestVersionedMultipartKeepsOld(t *testing.T) {
	e := verNew(t)
	b := e.bucket(verEnabled)
	old := e.putID(b, "k", "before the upload")
	up, err := e.c.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	pt, err := e.c.UploadPart(ctx(), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("k"), UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("uploaded")})
	if err != nil {
		t.Fatal(err)
	}
	done, err := e.c.CompleteMultipartUpload(ctx(), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("k"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: pt.ETag}}}})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(done.VersionId)
	if id == "" || id == old {
		t.Fatalf("Complete VersionId %q (old %q): want a new ID", id, old)
	}
	e.wantV(b, "k", "", "uploaded", id)
	e.wantV(b, "k", old, "before the upload", old)
	got := verIDs(e.list(b, "").Entries)
	want := []string{verWant("k", id, false, true), verWant("k", old, false, false)}
	if !slices.Equal(got, want) {
		t.Errorf("listing %v, want %v", got, want)
	}
}

// TestSuspendedNullVersion: on a Suspended bucket a PUT replaces the null
// version and keeps real versions; a DELETE makes a null marker that a
// later PUT replaces again. Evidence: LS test_delete_object_on_suspended_bucket
// ("delete-object-no-version", "list-suspended-delete", "list-suspended-put",
// "list-suspended-after-put") and test_put_object_on_suspended_bucket.
func TestSuspendedNullVersion(t *testing.T) {
	e := verNew(t)
	b := e.bucket(verNever)
	e.put(b, "k", "pre-versioning") // becomes the null version (LS test_s3_put_object_versioned)
	e.setVersioning(b, verEnabled)
	v1 := e.putID(b, "k", "v1")
	e.setVersioning(b, verSuspended)

	steps := []struct {
		name string
		do   func()
		want []string
	}{
		{"PUT on suspended replaces the old null version", func() { e.put(b, "k", "s1") },
			[]string{verWant("k", "null", false, true), verWant("k", v1, false, false)}},
		{"PUT again replaces it again", func() { e.put(b, "k", "s2") },
			[]string{verWant("k", "null", false, true), verWant("k", v1, false, false)}},
		{"DELETE makes a null marker in its place", func() {
			out := e.del(b, "k")
			if !aws.ToBool(out.DeleteMarker) || aws.ToString(out.VersionId) != "null" {
				t.Errorf("DELETE on suspended: DeleteMarker %v VersionId %q, want true null", aws.ToBool(out.DeleteMarker), aws.ToString(out.VersionId))
			}
		}, []string{verWant("k", "null", true, true), verWant("k", v1, false, false)}},
		{"PUT replaces the null marker", func() { e.put(b, "k", "s3") },
			[]string{verWant("k", "null", false, true), verWant("k", v1, false, false)}},
	}
	for _, s := range steps {
		s.do()
		if got := verIDs(e.list(b, "").Entries); !slices.Equal(got, s.want) {
			t.Errorf("%s: listing %v, want %v", s.name, got, s.want)
		}
	}
	e.wantV(b, "k", "", "s3", "null")
	e.wantV(b, "k", "null", "s3", "null")
	e.wantV(b, "k", v1, "v1", v1)
}

// TestVersionsSurviveRestart: versions, markers and the state are durable.
func TestVersionsSurviveRestart(t *testing.T) {
	e := verNew(t)
	b := e.bucket(verEnabled)
	v1 := e.putID(b, "k", "one")
	v2 := e.putID(b, "k", "two")
	dm := e.marker(b, "k")
	s := e.bucket(verSuspended)
	e.put(s, "n", "null one")
	before := verIDs(e.list(b, "").Entries)

	e.srv.Restart()
	e.c = sdkClient(e.srv)
	if got := verIDs(e.list(b, "").Entries); !slices.Equal(got, before) {
		t.Errorf("after restart: listing %v, want %v", got, before)
	}
	want := []string{verWant("k", dm, true, true), verWant("k", v2, false, false), verWant("k", v1, false, false)}
	if !slices.Equal(before, want) {
		t.Errorf("listing %v, want %v", before, want)
	}
	e.wantV(b, "k", v1, "one", v1)
	e.wantV(s, "n", "", "null one", "null")
	for bucket, st := range map[string]types.BucketVersioningStatus{b: types.BucketVersioningStatusEnabled, s: types.BucketVersioningStatusSuspended} {
		out, err := e.c.GetBucketVersioning(ctx(), &s3.GetBucketVersioningInput{Bucket: aws.String(bucket)})
		if err != nil || out.Status != st {
			t.Errorf("after restart %s: Status %q (%v), want %s", bucket, out.Status, err, st)
		}
	}
	// New versions after the restart sort above the old ones.
	v3 := e.putID(b, "k", "three")
	if !(v3 < dm) {
		t.Errorf("new ID %s does not sort before the older %s", v3, dm)
	}
	if _, _, err := e.getV(b, "k", dm); httpStatus(err) != http.StatusMethodNotAllowed {
		t.Errorf("GET of the marker after restart: %v, want 405", err)
	}
}
