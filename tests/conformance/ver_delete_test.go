package conformance

import (
	"net/http"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestDeleteObjectsVersions: DeleteObjects entries with and without
// VersionId on an Enabled bucket, each with S3's result element.
func TestDeleteObjectsVersions(t *testing.T) {
	e := verNew(t)
	b := e.bucket(verEnabled)
	v1 := e.putID(b, "a", "a1")
	v2 := e.putID(b, "a", "a2")
	dmB := func() string { e.putID(b, "b", "b1"); return e.marker(b, "b") }()

	type row struct {
		name      string
		id        types.ObjectIdentifier
		versionID string // want in <Deleted>
		marker    bool
		markerID  string // "" = new, checked to be 32 chars
		errCode   string
	}
	rows := []row{
		// LS test_delete_objects_versioned "delete-objects-no-version-id":
		// a plain key gets a marker: DeleteMarker + DeleteMarkerVersionId.
		{name: "plain key", id: types.ObjectIdentifier{Key: aws.String("c")}, marker: true},
		// LS "delete-objects-version-id": a real version: VersionId only.
		{name: "real version", id: types.ObjectIdentifier{Key: aws.String("a"), VersionId: aws.String(v1)}, versionID: v1},
		// LS "delete-objects-marker": a marker by ID: VersionId ==
		// DeleteMarkerVersionId, DeleteMarker true.
		{name: "marker by id", id: types.ObjectIdentifier{Key: aws.String("b"), VersionId: aws.String(dmB)}, versionID: dmB, marker: true, markerID: dmB},
		// LS "delete-objects-wrong-version-id": a malformed ID is this
		// entry's NoSuchVersion, not the request's InvalidArgument.
		{name: "malformed id", id: types.ObjectIdentifier{Key: aws.String("a"), VersionId: aws.String("HPniJFCxqTsMuIH9KX8K8wEjNUgmABCD")}, errCode: "NoSuchVersion"},
	}
	ids := make([]types.ObjectIdentifier, len(rows))
	for i, r := range rows {
		ids[i] = r.id
	}
	out, err := e.c.DeleteObjects(ctx(), &s3.DeleteObjectsInput{Bucket: aws.String(b), Delete: &types.Delete{Objects: ids}})
	if err != nil {
		t.Fatal(err)
	}
	deleted := map[string]types.DeletedObject{}
	for _, d := range out.Deleted {
		deleted[aws.ToString(d.Key)+"@"+aws.ToString(d.VersionId)] = d
	}
	errs := map[string]types.Error{}
	for _, x := range out.Errors {
		errs[aws.ToString(x.Key)+"@"+aws.ToString(x.VersionId)] = x
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			k := aws.ToString(r.id.Key) + "@" + aws.ToString(r.id.VersionId)
			if r.errCode != "" {
				x, ok := errs[k]
				if !ok || aws.ToString(x.Code) != r.errCode || aws.ToString(x.Message) != "The specified version does not exist." {
					t.Errorf("want <Error> %s for %s; errors %+v", r.errCode, k, out.Errors)
				}
				return
			}
			d, ok := deleted[k]
			if !ok {
				t.Fatalf("no <Deleted> for %s (errors %+v)", k, out.Errors)
			}
			if aws.ToString(d.VersionId) != r.versionID || aws.ToBool(d.DeleteMarker) != r.marker {
				t.Errorf("Deleted %s: VersionId %q DeleteMarker %v, want %q %v", k, aws.ToString(d.VersionId), aws.ToBool(d.DeleteMarker), r.versionID, r.marker)
			}
			mid := aws.ToString(d.DeleteMarkerVersionId)
			switch {
			case !r.marker && mid != "":
				t.Errorf("DeleteMarkerVersionId %q, want none", mid)
			case r.marker && r.markerID != "" && mid != r.markerID:
				t.Errorf("DeleteMarkerVersionId %q, want %q", mid, r.markerID)
			case r.marker && len(mid) != 32:
				t.Errorf("DeleteMarkerVersionId %q, want an ID", mid)
			}
		})
	}
	// a: v2 left and latest; b: back to its version; c: a marker.
	e.wantV(b, "a", "", "a2", v2)
	e.wantV(b, "b", "", "b1", e.list(b, "prefix=b").Entries[0].VersionID)
	if p := e.list(b, "prefix=c"); len(p.Entries) != 1 || !p.Entries[0].marker() {
		t.Errorf("c: %v, want one marker", verIDs(p.Entries))
	}
	if _, _, err := e.getV(b, "a", v1); apiCode(err) != "NoSuchVersion" {
		t.Errorf("GET deleted v1: %v, want NoSuchVersion", err)
	}
}

// TestDeleteObjectsUnversionedVersionID: on an unversioned bucket too a
// VersionId S3 never made is that entry's NoSuchVersion (LS
// test_delete_objects "delete-object-wrong-version-id").
func TestDeleteObjectsUnversionedVersionID(t *testing.T) {
	e := verNew(t)
	b := e.bucket(verNever)
	e.put(b, "k", "body")
	out, err := e.c.DeleteObjects(ctx(), &s3.DeleteObjectsInput{Bucket: aws.String(b), Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: aws.String("k"), VersionId: aws.String("HPniJFCxqTsMuIH9KX8K8wEjNUgmABCD")}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Errors) != 1 || aws.ToString(out.Errors[0].Code) != "NoSuchVersion" || len(out.Deleted) != 0 {
		t.Errorf("Deleted %+v Errors %+v, want one NoSuchVersion", out.Deleted, out.Errors)
	}
	wantBody(t, e.c, b, "k", []byte("body"))
}

// TestDeleteBucketWithVersions: a bucket holding versions, or only delete
// markers, is not empty, with S3's versioned message (LS
// test_delete_versioned_bucket_with_objects "delete-with-obj-and-delete-marker",
// "delete-with-only-delete-marker", "success-delete-bucket").
func TestDeleteBucketWithVersions(t *testing.T) {
	e := verNew(t)
	const msg = "The bucket you tried to delete is not empty. You must delete all versions in the bucket."
	for _, tc := range []struct {
		name  string
		setup func(b string) []string // leaves; returns the IDs to delete afterwards
	}{
		{"noncurrent version under a marker", func(b string) []string {
			v := e.putID(b, "k", "x")
			return []string{e.marker(b, "k"), v}
		}},
		{"only a marker", func(b string) []string {
			return []string{e.marker(b, "gone")}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := e.bucket(verEnabled)
			left := tc.setup(b)
			r := e.raw(http.MethodDelete, "/"+b, nil, nil)
			r.wantErr(t, "DeleteBucket", http.StatusConflict, "BucketNotEmpty", map[string]string{"Message": msg, "BucketName": b})
			// ListObjectsV2 is empty, yet the bucket is not.
			l, err := e.c.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String(b)})
			if err != nil || len(l.Contents) != 0 {
				t.Errorf("ListObjectsV2: %v %d objects, want none", err, len(l.Contents))
			}
			for _, id := range left {
				e.delVersion(b, "k", id)
				e.delVersion(b, "gone", id)
			}
			if _, err := e.c.DeleteBucket(ctx(), &s3.DeleteBucketInput{Bucket: aws.String(b)}); err != nil {
				t.Errorf("DeleteBucket once every version is gone: %v", err)
			}
		})
	}
}

// TestListObjectsHideMarkers: a key whose latest is a delete marker is in
// neither ListObjects nor ListObjectsV2, while a noncurrent version under a
// real latest does not duplicate its key (S3 lists latest versions only:
// AWS ListObjectsV2 docs; LS test_delete_object_versioned lists after delete).
func TestListObjectsHideMarkers(t *testing.T) {
	e := verNew(t)
	b := e.bucket(verEnabled)
	e.putID(b, "a", "a1")
	e.putID(b, "a", "a2")
	e.putID(b, "b", "b1")
	e.marker(b, "b")
	e.putID(b, "c", "c1")
	e.marker(b, "d")
	v2, err := e.c.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String(b)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range v2.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	if want := []string{"a", "c"}; !slices.Equal(keys, want) || aws.ToInt32(v2.KeyCount) != 2 {
		t.Errorf("ListObjectsV2 keys %v (KeyCount %d), want %v", keys, aws.ToInt32(v2.KeyCount), want)
	}
	v1, err := e.c.ListObjects(ctx(), &s3.ListObjectsInput{Bucket: aws.String(b)})
	if err != nil {
		t.Fatal(err)
	}
	keys = keys[:0]
	for _, o := range v1.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	if want := []string{"a", "c"}; !slices.Equal(keys, want) {
		t.Errorf("ListObjects keys %v, want %v", keys, want)
	}
	// Paging by one key at a time skips the hidden keys too.
	p, err := e.c.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String(b), MaxKeys: aws.Int32(1), StartAfter: aws.String("a")})
	if err != nil || len(p.Contents) != 1 || aws.ToString(p.Contents[0].Key) != "c" || aws.ToBool(p.IsTruncated) {
		t.Errorf("ListObjectsV2 after a, max 1: %v %+v", err, p)
	}
}
