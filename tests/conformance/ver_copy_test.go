package conformance

import (
	"net/http"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// TestCopyFromVersion: CopyObject with x-amz-copy-source ?versionId=.
func TestCopyFromVersion(t *testing.T) {
	e := verNew(t)
	b := e.bucket(verEnabled)
	v1 := e.putID(b, "src", "first")
	v2 := e.putID(b, "src", "second")
	dm := e.marker(b, "gone")
	nb := e.bucket(verNever)
	e.put(nb, "plain", "null source")

	for _, tc := range []struct {
		name, source       string
		code               string
		status             int
		body, srcVersionID string
	}{
		// LS test_s3_copy_object_src_not_exists: an older version by ID →
		// its bytes, x-amz-copy-source-version-id = that ID, a new version ID.
		{name: "older version", source: b + "/src?versionId=" + v1, body: "first", srcVersionID: v1},
		// The latest (no versionId) names its version too.
		{name: "latest", source: b + "/src", body: "second", srcVersionID: v2},
		// LS test_s3_copy_object_in_place_versioned (re-enabled row): a null
		// source version sends no x-amz-copy-source-version-id.
		{name: "null source", source: nb + "/plain", body: "null source", srcVersionID: ""},
		{name: "null source by id", source: nb + "/plain?versionId=null", body: "null source", srcVersionID: ""},
		// LS test_s3_copy_object_src_not_exists: a marker by ID → InvalidRequest.
		{name: "marker by id", source: b + "/gone?versionId=" + dm, code: "InvalidRequest", status: 400},
		// …and a key whose latest is a marker → NoSuchKey.
		{name: "latest is a marker", source: b + "/gone", code: "NoSuchKey", status: 404},
		// versitygw#1638: a malformed source versionId → InvalidArgument.
		{name: "malformed id", source: b + "/src?versionId=bogus", code: "InvalidArgument", status: 400},
		// research §3c: a well-formed unknown ID → NoSuchVersion.
		{name: "unknown id", source: b + "/src?versionId=" + verUnknownID, code: "NoSuchVersion", status: 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := e.c.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("dst"), CopySource: aws.String(tc.source)})
			if tc.code != "" {
				wantErr(t, err, tc.code, tc.status)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(out.CopySourceVersionId); got != tc.srcVersionID {
				t.Errorf("CopySourceVersionId %q, want %q", got, tc.srcVersionID)
			}
			id := aws.ToString(out.VersionId)
			if len(id) != 32 {
				t.Errorf("VersionId %q, want a new ID", id)
			}
			e.wantV(b, "dst", "", tc.body, id)
		})
	}
	// The marker message (LS test_s3_copy_object_src_not_exists).
	r := e.raw(http.MethodPut, mpPath(b, "dst"), nil, map[string]string{"x-amz-copy-source": "/" + b + "/gone?versionId=" + dm})
	r.wantErr(t, "copy from marker", http.StatusBadRequest, "InvalidRequest",
		map[string]string{"Message": "The source of a copy request may not specifically refer to a delete marker by version id."})
}

// TestCopyRestoresOldVersion: copying an older version onto its own key is
// how S3 users restore it: a new latest version with the old bytes, the
// history kept (LS test_s3_copy_object_in_place_versioned: a copy in place
// of a version is not "copy to itself" once the source names a version;
// AWS "Restoring previous versions" guide).
func TestCopyRestoresOldVersion(t *testing.T) {
	e := verNew(t)
	b := e.bucket(verEnabled)
	v1 := e.putID(b, "doc", "draft 1")
	v2 := e.putID(b, "doc", "draft 2")
	out, err := e.c.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("doc"), CopySource: aws.String(b + "/doc?versionId=" + v1)})
	if err != nil {
		t.Fatalf("restore v1 onto doc: %v", err)
	}
	v3 := aws.ToString(out.VersionId)
	if aws.ToString(out.CopySourceVersionId) != v1 || v3 == v1 || v3 == v2 {
		t.Errorf("CopySourceVersionId %q VersionId %q", aws.ToString(out.CopySourceVersionId), v3)
	}
	e.wantV(b, "doc", "", "draft 1", v3)
	want := []string{verWant("doc", v3, false, true), verWant("doc", v2, false, false), verWant("doc", v1, false, false)}
	if got := verIDs(e.list(b, "").Entries); !slices.Equal(got, want) {
		t.Errorf("listing %v, want %v", got, want)
	}
	// Copying the latest onto itself unchanged is still refused, versioned
	// or not (LS test_s3_copy_object_in_place_versioned, first row).
	_, err = e.c.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("doc"), CopySource: aws.String(b + "/doc")})
	wantErr(t, err, "InvalidRequest", http.StatusBadRequest)
	// The latest named by its own ID is the same object: no recording
	// covers it; Tessera applies the in-place rule above, as the source
	// and destination are one version.
	_, err = e.c.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("doc"), CopySource: aws.String(b + "/doc?versionId=" + v3)})
	wantErr(t, err, "InvalidRequest", http.StatusBadRequest)
}

// TestUploadPartCopyFromVersion: UploadPartCopy reads the named version and
// answers x-amz-copy-source-version-id (AWS API model,
// UploadPartCopyOutput.CopySourceVersionId); a marker by ID is refused as
// CopyObject refuses it.
func TestUploadPartCopyFromVersion(t *testing.T) {
	e := verNew(t, tesseratest.WithMinPartSize(1))
	b := e.bucket(verEnabled)
	v1 := e.putID(b, "src", "old bytes")
	e.putID(b, "src", "new bytes")
	dm := e.marker(b, "gone")
	up, err := e.c.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("mp")})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := e.c.UploadPartCopy(ctx(), &s3.UploadPartCopyInput{Bucket: aws.String(b), Key: aws.String("mp"), UploadId: up.UploadId,
		PartNumber: aws.Int32(1), CopySource: aws.String(b + "/src?versionId=" + v1)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(pc.CopySourceVersionId) != v1 {
		t.Errorf("CopySourceVersionId %q, want %q", aws.ToString(pc.CopySourceVersionId), v1)
	}
	_, err = e.c.UploadPartCopy(ctx(), &s3.UploadPartCopyInput{Bucket: aws.String(b), Key: aws.String("mp"), UploadId: up.UploadId,
		PartNumber: aws.Int32(2), CopySource: aws.String(b + "/gone?versionId=" + dm)})
	wantErr(t, err, "InvalidRequest", http.StatusBadRequest)
	_, err = e.c.UploadPartCopy(ctx(), &s3.UploadPartCopyInput{Bucket: aws.String(b), Key: aws.String("mp"), UploadId: up.UploadId,
		PartNumber: aws.Int32(2), CopySource: aws.String(b + "/src?versionId=bogus")})
	wantErr(t, err, "InvalidArgument", http.StatusBadRequest)
	done, err := e.c.CompleteMultipartUpload(ctx(), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("mp"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: pc.CopyPartResult.ETag}}}})
	if err != nil {
		t.Fatal(err)
	}
	e.wantV(b, "mp", "", "old bytes", aws.ToString(done.VersionId))
}
