package engine

import (
	"context"

	"github.com/tessera-s3/tessera/internal/checksum"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// CopyInput is a CopyObject request.
type CopyInput struct {
	SrcBucket, SrcKey string
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

// CopyObject copies an object's bytes into a new object. The bytes are
// streamed through the same hashing write path as a PUT.
func (e *Engine) CopyObject(ctx context.Context, in CopyInput) (Object, error) {
	if err := ValidKey(in.Key); err != nil {
		return Object{}, err
	}
	src, release, err := e.pinnedObject(ctx, in.SrcBucket, in.SrcKey)
	if err != nil {
		return Object{}, err
	}
	defer release()
	precondition := func() error {
		return s3err.New(s3err.PreconditionFailed).With("Condition", "x-amz-copy-source-If-None-Match")
	}
	if err := in.SrcCond.evaluate(src, precondition); err != nil {
		return Object{}, err
	}
	if err := copySourceKey(src.Encryption, in.SrcCustomerKey); err != nil {
		return Object{}, err
	}
	if _, err := e.bucketExists(ctx, in.Bucket); err != nil {
		return Object{}, err
	}
	sameKey := in.SrcBucket == in.Bucket && in.SrcKey == in.Key
	classChanged := in.Attrs.StorageClass != "" && in.Attrs.StorageClass != src.StorageClass
	// A redirect location sent with the copy is a change even when equal to
	// the source's: S3 never copies the source's, so the request sets it.
	redirectSet := in.Attrs.WebsiteRedirectLocation != ""
	encryptionSet := in.Attrs.Encryption.Mode != ""
	if sameKey && !in.ReplaceMetadata && !classChanged && !redirectSet && !encryptionSet && in.ChecksumAlgorithm == "" {
		return Object{}, s3err.Newf(s3err.InvalidRequest, "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
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
		return Object{}, err
	}
	if err := in.Cond.validate(); err != nil {
		return Object{}, err
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
		return Object{}, err
	}
	srcKeys, err := e.storedSource(ctx, src.Encryption, EncryptionInput{CustomerKey: in.SrcCustomerKey, Caller: in.Attrs.Encryption.Caller}, kmsDecrypt)
	if err != nil {
		return Object{}, err
	}
	body := &segmentReader{e: e, segs: src.Segments, left: src.Size, keys: srcKeys}
	defer body.Close()
	st, err := e.stage(ctx, BodyInput{Body: body, Size: src.Size, Checksum: ck}, MaxPutSize, bk)
	if err != nil {
		return Object{}, err
	}
	defer st.abort()
	obj := st.object(in.Bucket, in.Key, in.Owner, attrs, ck, e.clock())
	obj.Encryption = enc
	return obj, e.commitObject(ctx, st, obj, in.Cond.check(in.Key))
}
