package engine

import (
	"context"
	"errors"

	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// Versioning states and the null version's ID, as S3 names them.
const (
	VersioningEnabled   = meta.VersioningEnabled
	VersioningSuspended = meta.VersioningSuspended
	NullVersion         = meta.NullVersion
)

// PutBucketVersioning sets a bucket's versioning state (Enabled or
// Suspended; a bucket never goes back to unversioned). A bucket with Object
// Lock stays Enabled (LocalStack test_s3_api.py TestS3ObjectLock, recorded
// against AWS).
func (e *Engine) PutBucketVersioning(ctx context.Context, bucket, state string) error {
	if state != VersioningEnabled && state != VersioningSuspended {
		return s3err.New(s3err.MalformedXML)
	}
	dropView(ctx, bucket)
	err := e.meta.UpdateBucket(ctx, bucket, func(b *Bucket) error {
		if b.ObjectLock && state != VersioningEnabled {
			return s3err.Newf(s3err.InvalidBucketState, "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.")
		}
		b.Versioning = state
		return nil
	})
	if errors.Is(err, meta.ErrNotFound) {
		return noSuchBucket(bucket)
	}
	return err
}

// GetBucketVersioning returns the bucket's versioning state ("" if it was
// never set).
func (e *Engine) GetBucketVersioning(ctx context.Context, bucket string) (string, error) {
	b, err := e.bucketExists(ctx, bucket)
	return b.Versioning, err
}

// CheckVersionID applies S3's rules to a versionId a request names: ""
// (sent empty) and IDs Tessera never made are InvalidArgument (LocalStack
// test_delete_object "delete-nonexistent-object-versionid" and
// test_get_object_with_version_unversioned_bucket, recorded against AWS;
// aws-sdk-core-ruby#76 for the empty one).
func CheckVersionID(id string) error {
	if id == "" {
		return s3err.InvalidArgumentf("versionId", id, "Version id cannot be the empty string")
	}
	if id == NullVersion {
		return nil
	}
	if _, ok := meta.VersionSeq(id); !ok {
		return s3err.InvalidArgumentf("versionId", id, "Invalid version id specified")
	}
	return nil
}

// How a request uses the version it names; S3 answers delete markers
// differently for each (LocalStack test_delete_object_versioned and
// test_put_object_acl_on_delete_marker, recorded against AWS).
const (
	useGet  = "GET"  // GET/HEAD of the object or of a sub-resource
	usePut  = "PUT"  // PUT of a sub-resource (ACL, tagging, retention…)
	useCopy = "COPY" // the source of CopyObject or UploadPartCopy
)

// readVersion returns the version a request names (versionID "" for the
// latest) or S3's error: NoSuchBucket, NoSuchKey, NoSuchVersion, or the
// delete marker's answer for use.
func (e *Engine) readVersion(ctx context.Context, bucket, key, versionID, use string) (Object, error) {
	if versionID != "" {
		if err := CheckVersionID(versionID); err != nil {
			return Object{}, err
		}
	}
	obj, err := e.meta.GetObject(ctx, bucket, key, versionID)
	if errors.Is(err, meta.ErrNotFound) {
		if _, berr := e.bucketExists(ctx, bucket); berr != nil {
			return Object{}, berr
		}
		if versionID != "" {
			return Object{}, s3err.New(s3err.NoSuchVersion).With("Key", key).With("VersionId", versionID)
		}
		return Object{}, noSuchKey(key)
	}
	if err != nil || !obj.DeleteMarker {
		return obj, err
	}
	marked := func(e *s3err.Error) error {
		return e.WithHeader("x-amz-delete-marker", "true").WithHeader("x-amz-version-id", obj.VersionID)
	}
	switch {
	case use == useCopy && versionID != "":
		return Object{}, s3err.Newf(s3err.InvalidRequest, "The source of a copy request may not specifically refer to a delete marker by version id.")
	case use == usePut || versionID != "":
		method := use
		if method == useCopy {
			method = useGet
		}
		return Object{}, marked(s3err.New(s3err.MethodNotAllowed).With("Method", method).With("ResourceType", "DeleteMarker").
			WithHeader("Allow", "DELETE"))
	}
	return Object{}, marked(s3err.New(s3err.NoSuchKey).With("Key", key))
}

// VersionHeader is the x-amz-version-id S3 sends for obj on a read: its
// version ID, except that the null version of a bucket whose versioning
// was never set goes without one (LocalStack test_s3_put_object_versioned,
// recorded against AWS).
func (e *Engine) VersionHeader(ctx context.Context, obj Object) string {
	if obj.VersionID != NullVersion && obj.VersionID != "" {
		return obj.VersionID
	}
	b, err := e.getBucket(ctx, obj.Bucket)
	if err != nil || b.Versioning == "" {
		return ""
	}
	return NullVersion
}

// DeleteInput is a DeleteObject request.
type DeleteInput struct {
	Bucket, Key string
	// VersionID is the version to remove; "" deletes the key as S3 does
	// (a delete marker on a versioned bucket).
	VersionID string
	// Owner is the requester, the owner of a delete marker.
	Owner Owner
	// BypassSent: the request carried x-amz-bypass-governance-retention;
	// Bypass: it was "true" and the caller may bypass GOVERNANCE retention.
	BypassSent, Bypass bool
}

// DeleteOutput is what a delete did, for x-amz-version-id and
// x-amz-delete-marker.
type DeleteOutput struct {
	VersionID    string // "" when S3 sends none
	DeleteMarker bool
}

// DeleteObject removes a version, or deletes a key as S3 does. Deleting a
// missing key or version succeeds, as in S3.
func (e *Engine) DeleteObject(ctx context.Context, in DeleteInput) (DeleteOutput, error) {
	if in.VersionID != "" {
		if err := CheckVersionID(in.VersionID); err != nil {
			return DeleteOutput{}, err
		}
	}
	if err := e.checkBypass(ctx, in.Bucket, in.BypassSent); err != nil {
		return DeleteOutput{}, err
	}
	return e.deleteVersion(ctx, in)
}

// checkBypass returns NoSuchBucket, or S3's error for
// x-amz-bypass-governance-retention (sent at all, even "false") on a bucket
// without Object Lock (LocalStack test_delete_object_with_no_locking,
// recorded against AWS).
func (e *Engine) checkBypass(ctx context.Context, bucket string, sent bool) error {
	b, err := e.bucketExists(ctx, bucket)
	if err == nil && sent && !b.ObjectLock {
		err = s3err.InvalidArgumentf("x-amz-bypass-governance-retention", "", "x-amz-bypass-governance-retention is only applicable to Object Lock enabled buckets.")
	}
	return err
}

func (e *Engine) deleteVersion(ctx context.Context, in DeleteInput) (DeleteOutput, error) {
	var check meta.CheckFunc
	if in.VersionID != "" {
		// Removing a version is what Object Lock forbids; a delete marker
		// on top of a locked version is always allowed (AWS docs).
		check = func(cur *Object) error {
			if protects(cur, e.clock(), in.Bypass) {
				return errProtected()
			}
			return nil
		}
	}
	res, garbage, err := e.meta.DeleteObject(ctx, meta.Deletion{
		Bucket: in.Bucket, Key: in.Key, VersionID: in.VersionID, At: e.clock(), By: in.Owner,
	}, check)
	if errors.Is(err, meta.ErrNotFound) {
		// S3 answers 204 for a key or version that is not there; a named
		// version is echoed.
		return DeleteOutput{VersionID: in.VersionID}, nil
	}
	if err != nil {
		return DeleteOutput{}, err
	}
	e.freeBlobs(garbage)
	switch {
	case res.Marker != nil:
		return DeleteOutput{VersionID: res.Marker.VersionID, DeleteMarker: true}, nil
	case in.VersionID != "":
		return DeleteOutput{VersionID: res.Removed.VersionID, DeleteMarker: res.Removed.DeleteMarker}, nil
	}
	return DeleteOutput{}, nil
}

// ObjectID names one entry of DeleteObjects.
type ObjectID struct {
	Key, VersionID string
}

// DeleteResult is the outcome for one entry of DeleteObjects.
type DeleteResult struct {
	Key, VersionID string
	// DeleteMarker and DeleteMarkerVersionID: the entry made or removed a
	// delete marker.
	DeleteMarker          bool
	DeleteMarkerVersionID string
	Err                   error
}

// DeleteObjects deletes several keys or versions; each gets its own result.
// A version ID Tessera never made is that entry's NoSuchVersion, not the
// request's InvalidArgument (LocalStack test_delete_objects_versioned
// "delete-objects-wrong-version-id", recorded against AWS).
func (e *Engine) DeleteObjects(ctx context.Context, bucket string, owner Owner, ids []ObjectID, bypassSent, bypass bool) ([]DeleteResult, error) {
	if err := e.checkBypass(ctx, bucket, bypassSent); err != nil {
		return nil, err
	}
	out := make([]DeleteResult, 0, len(ids))
	for _, id := range ids {
		r := DeleteResult{Key: id.Key, VersionID: id.VersionID}
		if r.Err = ValidKey(id.Key); r.Err == nil && id.VersionID != "" && CheckVersionID(id.VersionID) != nil {
			r.Err = s3err.New(s3err.NoSuchVersion)
		}
		if r.Err == nil {
			var d DeleteOutput
			d, r.Err = e.deleteVersion(ctx, DeleteInput{Bucket: bucket, Key: id.Key, VersionID: id.VersionID, Owner: owner, Bypass: bypass})
			if d.DeleteMarker {
				r.DeleteMarker, r.DeleteMarkerVersionID = true, d.VersionID
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// ObjectVersion returns the version a sub-resource request (tagging, ACL,
// retention…) names, "" for the latest, with S3's errors; put tells a
// write of the sub-resource from a read, which S3 answers differently on a
// delete marker.
func (e *Engine) ObjectVersion(ctx context.Context, bucket, key, versionID string, put bool) (Object, error) {
	use := useGet
	if put {
		use = usePut
	}
	return e.readVersion(ctx, bucket, key, versionID, use)
}
