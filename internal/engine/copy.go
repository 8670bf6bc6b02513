package engine

import (
	"context"

	"github.com/tessera-s3/tessera/internal/checksum"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// CopyInput is a CopyObject request.
type CopyInput struct {
	SrcBucket, SrcKey string
	SrcVersionID      string // "" for the latest
	SrcCond           ReadConditions
	// SrcCustomerKey is the source's SSE-C key (x-amz-copy-source-server-side-encryption-customer-*).
	SrcCustomerKey []byte
	Bucket, Key    string
	Owner          Owner
	// ReplaceMetadata is the REPLACE metadata directive: Attrs replace the
	// source's; otherwise the source's are kept (StorageClass excepted).
	ReplaceMetadata bool
	Attrs           WriteAttrs
	// ChecksumAlgorithm, when set, is computed for the copy.
	ChecksumAlgorithm checksum.Algorithm
	Cond              WriteConditions
}

// CopyOutput is a copy's result: the new version, and the x-amz-version-id
// and x-amz-copy-source-version-id S3 sends ("" for none).
type CopyOutput struct {
	Object
	VersionHeader, SourceVersionID string
}

// sourceVersion is a copy source's version as S3 names it in
// x-amz-copy-source-version-id: not at all for the null version
// (LocalStack test_s3_copy_object_in_place_versioned, recorded against AWS).
func sourceVersion(src Object) string {
	if src.VersionID == NullVersion {
		return ""
	}
	return src.VersionID
}

// CopyObject copies an object's bytes into a new object. The bytes are
// streamed through the same hashing write path as a PUT.
func (e *Engine) CopyObject(ctx context.Context, in CopyInput) (CopyOutput, error) {
	obj, src, err := e.copyObject(ctx, in)
	if err != nil {
		return CopyOutput{}, err
	}
	// Unlike PutObject, a copy into a Suspended bucket names the null
	// version (LocalStack test_s3_copy_object_in_place_suspended_only).
	return CopyOutput{Object: obj, VersionHeader: e.VersionHeader(ctx, obj), SourceVersionID: sourceVersion(src)}, nil
}

func (e *Engine) copyObject(ctx context.Context, in CopyInput) (Object, Object, error) {
	if err := ValidKey(in.Key); err != nil {
		return Object{}, Object{}, err
	}
	src, release, guard, err := e.pinnedObject(ctx, in.SrcBucket, in.SrcKey, in.SrcVersionID, useCopy)
	if err != nil {
		return Object{}, Object{}, err
	}
	defer release()
	precondition := func() error {
		return s3err.New(s3err.PreconditionFailed).With("Condition", "x-amz-copy-source-If-None-Match")
	}
	if err := in.SrcCond.evaluate(src, precondition); err != nil {
		return Object{}, Object{}, err
	}
	if err := copySourceKey(src.Encryption, in.SrcCustomerKey); err != nil {
		return Object{}, Object{}, err
	}
	b, err := e.bucketExists(ctx, in.Bucket)
	if err != nil {
		return Object{}, Object{}, err
	}
	// The source's lock is not copied (LocalStack
	// test_s3_copy_object_retention_lock); the request's or the bucket's
	// default applies. A copy has no body to check.
	now := e.clock()
	ret, hold, err := e.writeLock(ctx, b, in.Attrs.Lock, true, "Put Object", now)
	if err != nil {
		return Object{}, Object{}, err
	}
	// Copying an older version over its key restores it: that is not a
	// copy to itself.
	sameKey := in.SrcBucket == in.Bucket && in.SrcKey == in.Key && src.IsLatest
	classChanged := in.Attrs.StorageClass != "" && in.Attrs.StorageClass != src.StorageClass
	// A redirect location sent with the copy is a change even when equal to
	// the source's: S3 never copies the source's, so the request sets it.
	redirectSet := in.Attrs.WebsiteRedirectLocation != ""
	encryptionSet := in.Attrs.Encryption.Mode != ""
	if sameKey && !in.ReplaceMetadata && !classChanged && !redirectSet && !encryptionSet && in.ChecksumAlgorithm == "" {
		return Object{}, Object{}, s3err.Newf(s3err.InvalidRequest, "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	// attrs.WebsiteRedirectLocation stays the request's under either
	// directive: S3 "is not copied when using the x-amz-metadata-directive
	// header" (CopyObject API reference; aws-sdk-go#1671).
	attrs := in.Attrs
	if !in.ReplaceMetadata {
		attrs.Headers, attrs.UserMeta = src.Headers, src.UserMeta
		if attrs.Tagging == "" {
			attrs.Tagging = src.Tagging
		}
	}
	if attrs.StorageClass == "" {
		attrs.StorageClass = src.StorageClass
	}
	if err := attrs.validate(); err != nil {
		return Object{}, Object{}, err
	}
	if err := in.Cond.validate(); err != nil {
		return Object{}, Object{}, err
	}
	alg := in.ChecksumAlgorithm
	if alg == "" {
		if a, _ := ReportedChecksum(src); a != "" {
			if parsed, ok := checksum.Parse(a); ok {
				alg = parsed
			}
		}
	}
	var ck *ChecksumInput
	if alg != "" {
		ck = &ChecksumInput{Algorithm: alg}
	}
	enc, bk, err := e.encryptionFor(ctx, in.Bucket, in.Attrs.Encryption)
	if err != nil {
		return Object{}, Object{}, err
	}
	srcKeys, err := e.storedSource(ctx, src.Encryption, EncryptionInput{CustomerKey: in.SrcCustomerKey, Caller: in.Attrs.Encryption.Caller}, kmsDecrypt)
	if err != nil {
		return Object{}, Object{}, err
	}
	body := &segmentReader{e: e, segs: src.Segments, left: src.Size, keys: srcKeys, guard: guard}
	defer body.Close()
	st, err := e.stage(ctx, BodyInput{Body: body, Size: src.Size, Checksum: ck}, MaxPutSize, bk)
	if err != nil {
		return Object{}, Object{}, err
	}
	defer st.abort()
	obj := st.object(in.Bucket, in.Key, in.Owner, attrs, ck, e.clock())
	obj.Encryption, obj.Retention, obj.LegalHold = enc, ret, hold
	stored, err := e.commitObject(ctx, st, obj, in.Cond.check(in.Key))
	return stored, src, err
}
