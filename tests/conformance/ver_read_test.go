package conformance

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/meta"
)

// A well-formed version ID no version has: Tessera's own format (32
// base32hex characters), for a Seq no test reaches.
var verUnknownID = meta.NewVersionID(12345)

// TestVersionIDRequests: every object operation that takes ?versionId=,
// with an invalid, an empty and an unknown well-formed ID, and with a real
// old version (which must answer for that version, not the latest).
func TestVersionIDRequests(t *testing.T) {
	e := verNew(t)
	b := e.bucket(verEnabled)
	old := e.putID(b, "k", "old body")
	e.putID(b, "k", "new body")
	if _, err := e.c.PutObjectTagging(ctx(), &s3.PutObjectTaggingInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: aws.String(old),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("which"), Value: aws.String("old")}}}}); err != nil {
		t.Fatalf("PutObjectTagging of the old version: %v", err)
	}
	path := mpPath(b, "k")
	ops := []struct {
		name, method, sub string
	}{
		{"GetObject", http.MethodGet, ""},
		{"HeadObject", http.MethodHead, ""},
		{"GetObjectAttributes", http.MethodGet, "attributes&"},
		{"GetObjectTagging", http.MethodGet, "tagging&"},
		{"PutObjectTagging", http.MethodPut, "tagging&"},
		{"DeleteObjectTagging", http.MethodDelete, "tagging&"},
		{"GetObjectAcl", http.MethodGet, "acl&"},
		{"DeleteObject", http.MethodDelete, ""},
	}
	hdr := map[string]string{"x-amz-object-attributes": "ETag"}
	tagging := []byte(`<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>`)
	for _, op := range ops {
		var body []byte
		if op.method == http.MethodPut {
			body = tagging
		}
		t.Run(op.name, func(t *testing.T) {
			// versitygw#1638 (S3 answers InvalidArgument for malformed IDs on
			// each of these operations); LS test_get_object_with_version_unversioned_bucket
			// "get-obj-with-version" for the message and fields.
			r := e.raw(op.method, path+"?"+op.sub+"versionId=not-a-version-id", body, hdr)
			r.wantErr(t, "invalid id", http.StatusBadRequest, "InvalidArgument",
				map[string]string{"Message": "Invalid version id specified", "ArgumentName": "versionId", "ArgumentValue": "not-a-version-id"})
			// aws-sdk-core-ruby#76 and noobaa#7970 quote S3: an empty versionId.
			r = e.raw(op.method, path+"?"+op.sub+"versionId=", body, hdr)
			r.wantErr(t, "empty id", http.StatusBadRequest, "InvalidArgument", map[string]string{"Message": "Version id cannot be the empty string"})
			if op.method == http.MethodDelete && op.sub == "" {
				// DELETE of a well-formed unknown ID: no recording (research §4
				// note); Tessera answers 204 echoing the ID, as S3 does for
				// a missing key.
				r = e.raw(op.method, path+"?versionId="+verUnknownID, nil, nil)
				if r.StatusCode != http.StatusNoContent {
					t.Errorf("DELETE unknown version: status %d, want 204", r.StatusCode)
				}
				return
			}
			// LS test_delete_object_versioned "get-deleted-object-with-version":
			// NoSuchVersion with Key and VersionId, no version headers.
			r = e.raw(op.method, path+"?"+op.sub+"versionId="+verUnknownID, body, hdr)
			r.wantErr(t, "unknown id", http.StatusNotFound, "NoSuchVersion",
				map[string]string{"Message": "The specified version does not exist.", "Key": "k", "VersionId": verUnknownID})
			verHeaders(t, "unknown id", r.Header, "", "")
		})
	}

	// The old version by ID answers for itself (LS test_delete_object_versioned
	// "get-object-with-version"; test_get_object_attributes_versioned).
	e.wantV(b, "k", old, "old body", old)
	h, err := e.c.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: aws.String(old)})
	if err != nil || aws.ToString(h.VersionId) != old || aws.ToInt64(h.ContentLength) != int64(len("old body")) {
		t.Errorf("HeadObject old: %v %+v", err, h)
	}
	at, err := e.c.GetObjectAttributes(ctx(), &s3.GetObjectAttributesInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: aws.String(old),
		ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectSize}})
	if err != nil || aws.ToString(at.VersionId) != old || aws.ToInt64(at.ObjectSize) != int64(len("old body")) {
		t.Errorf("GetObjectAttributes old: %v %+v", err, at)
	}
	tg, err := e.c.GetObjectTagging(ctx(), &s3.GetObjectTaggingInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: aws.String(old)})
	if err != nil || aws.ToString(tg.VersionId) != old || len(tg.TagSet) != 1 || aws.ToString(tg.TagSet[0].Value) != "old" {
		t.Errorf("GetObjectTagging old: %v %+v", err, tg)
	}
	tg, err = e.c.GetObjectTagging(ctx(), &s3.GetObjectTaggingInput{Bucket: aws.String(b), Key: aws.String("k")})
	if err != nil || len(tg.TagSet) != 0 {
		t.Errorf("GetObjectTagging latest: %v %+v, want no tags (tags belong to a version)", err, tg)
	}
	if _, err := e.c.GetObjectAcl(ctx(), &s3.GetObjectAclInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: aws.String(old)}); err != nil {
		t.Errorf("GetObjectAcl old: %v", err)
	}
}

// TestVersionIDOnUnversionedBucket: versionId=null reads the object with no
// header; a malformed ID is InvalidArgument (LS
// test_get_object_with_version_unversioned_bucket, recorded against AWS).
func TestVersionIDOnUnversionedBucket(t *testing.T) {
	e := verNew(t)
	b := e.bucket(verNever)
	e.put(b, "k", "plain")
	e.wantV(b, "k", "null", "plain", "")
	r := e.raw(http.MethodGet, mpPath(b, "k")+"?versionId=HPniJFCxqTsMuIH9KX8K8wEjNUgmABCD", nil, nil)
	r.wantErr(t, "S3-style id", http.StatusBadRequest, "InvalidArgument",
		map[string]string{"Message": "Invalid version id specified", "ArgumentValue": "HPniJFCxqTsMuIH9KX8K8wEjNUgmABCD"})
	// LS test_delete_object "delete-nonexistent-object-versionid".
	r = e.raw(http.MethodDelete, mpPath(b, "k")+"?versionId=HPniJFCxqTsMuIH9KX8K8wEjNUgmABCD", nil, nil)
	r.wantErr(t, "DELETE S3-style id", http.StatusBadRequest, "InvalidArgument", map[string]string{"ArgumentName": "versionId"})
	e.wantV(b, "k", "", "plain", "")
}

// TestDeleteMarkers: what DELETE makes and how reads answer a marker.
func TestDeleteMarkers(t *testing.T) {
	e := verNew(t)
	b := e.bucket(verEnabled)
	v1 := e.putID(b, "k", "one")
	path := mpPath(b, "k")

	// LS test_delete_object_versioned "delete-object": 204, marker headers.
	r := e.raw(http.MethodDelete, path, nil, nil)
	if r.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: status %d", r.StatusCode)
	}
	dm := r.Header.Get("x-amz-version-id")
	verHeaders(t, "DELETE", r.Header, dm, "true")
	if len(dm) != 32 || dm == v1 {
		t.Fatalf("marker ID %q", dm)
	}

	for _, tc := range []struct {
		name, method, query string
		status              int
		code                string
		fields              map[string]string
		allow               string
	}{
		// LS test_delete_object_versioned "get-deleted-object": 404 NoSuchKey + marker headers.
		{"GET latest", http.MethodGet, "", 404, "NoSuchKey", map[string]string{"Key": "k", "Message": "The specified key does not exist."}, ""},
		// research §3b: HEAD of a marker-latest key: 404 with the same headers.
		{"HEAD latest", http.MethodHead, "", 404, "", nil, ""},
		// LS "get-delete-marker": 405 MethodNotAllowed, Method/ResourceType, Allow: DELETE.
		{"GET by marker id", http.MethodGet, "?versionId=" + dm, 405, "MethodNotAllowed",
			map[string]string{"Method": "GET", "ResourceType": "DeleteMarker", "Message": "The specified method is not allowed against this resource."}, "DELETE"},
		// LS test_object_lock_delete_markers: HEAD by marker ID → 405, no body.
		{"HEAD by marker id", http.MethodHead, "?versionId=" + dm, 405, "", nil, "DELETE"},
		// LS test_put_object_acl_on_delete_marker "get-acl-delete-marker": 404 NoSuchKey.
		{"GET acl latest", http.MethodGet, "?acl", 404, "NoSuchKey", map[string]string{"Key": "k"}, ""},
		// LS "get-acl-delete-marker-version-id": 405 Method GET.
		{"GET acl by marker id", http.MethodGet, "?acl&versionId=" + dm, 405, "MethodNotAllowed", map[string]string{"Method": "GET", "ResourceType": "DeleteMarker"}, "DELETE"},
		// LS test_get_object_attributes_versioned: attributes of a marker-latest key → NoSuchKey.
		{"GET attributes latest", http.MethodGet, "?attributes", 404, "NoSuchKey", map[string]string{"Key": "k"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.raw(tc.method, path+tc.query, nil, map[string]string{"x-amz-object-attributes": "ETag"})
			if tc.method == http.MethodHead {
				if r.StatusCode != tc.status {
					t.Errorf("status %d, want %d", r.StatusCode, tc.status)
				}
			} else {
				r.wantErr(t, tc.name, tc.status, tc.code, tc.fields)
			}
			verHeaders(t, tc.name, r.Header, dm, "true")
			if got := r.Header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow %q, want %q", got, tc.allow)
			}
		})
	}
	// LS test_put_object_acl_on_delete_marker "put-acl-delete-marker": 405 Method PUT.
	_, err := e.c.PutObjectAcl(ctx(), &s3.PutObjectAclInput{Bucket: aws.String(b), Key: aws.String("k"), ACL: types.ObjectCannedACLPrivate})
	wantErr(t, err, "MethodNotAllowed", http.StatusMethodNotAllowed)

	// The SDK sees the marker headers on its 404 too.
	_, err = e.c.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	wantErr(t, err, "", http.StatusNotFound)

	// The old version still reads by ID (LS "get-object-with-version").
	e.wantV(b, "k", v1, "one", v1)

	// A second DELETE stacks another marker (LS "delete-object-2").
	dm2 := e.marker(b, "k")
	// LS "delete-delete-marker": DELETE ?versionId=<marker> answers 204 with
	// the marker headers; removing both markers brings the version back.
	for _, id := range []string{dm2, dm} {
		r := e.raw(http.MethodDelete, path+"?versionId="+url.QueryEscape(id), nil, nil)
		if r.StatusCode != http.StatusNoContent {
			t.Errorf("DELETE marker %s: status %d", id, r.StatusCode)
		}
		verHeaders(t, "DELETE marker by id", r.Header, id, "true")
	}
	e.wantV(b, "k", "", "one", v1)

	// LS "delete-object-version": DELETE of a real version: its ID, no marker header.
	r = e.raw(http.MethodDelete, path+"?versionId="+v1, nil, nil)
	verHeaders(t, "DELETE version", r.Header, v1, "")
	if _, _, err := e.getV(b, "k", ""); apiCode(err) != "NoSuchKey" {
		t.Errorf("GET after the last version went: %v, want NoSuchKey", err)
	}
	// LS "delete-wrong-key": DELETE of a key that never existed still makes a marker.
	e.marker(b, "never-existed")
}
