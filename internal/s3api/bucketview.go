package s3api

// viewKinds are the operations that read their bucket in one metadata
// call as they start (engine.WithBucketView) instead of one call per
// record or document: the data path, which never changes its bucket's
// record or configuration. Operations on a bucket's configuration read it
// as they go.
var viewKinds = map[Kind]bool{
	HeadBucket: true, ListObjects: true, ListObjectsV2: true, ListObjectVersions: true, ListMultipartUploads: true,
	PutObject: true, CopyObject: true, GetObject: true, HeadObject: true, DeleteObject: true, DeleteObjects: true,
	GetObjectAttributes: true, CreateMultipartUpload: true, UploadPart: true, UploadPartCopy: true,
	CompleteMultipartUpload: true, AbortMultipartUpload: true, ListParts: true,
}

// viewDocs are the bucket documents this package's authorization and
// handlers may read on the data path.
var viewDocs = []string{policyDoc, requestPaymentDoc, ownershipDoc, pabDoc, aclDoc, corsDoc}

// withBucketView gives the request its bucket's view when its kind has one.
func (h *Handler) withBucketView(q *request) error {
	if q.op.Bucket == "" || !viewKinds[q.op.Kind] {
		return nil
	}
	ctx, err := h.cfg.Engine.WithBucketView(q.ctx(), q.op.Bucket, viewDocs...)
	if err != nil {
		return err
	}
	q.r = q.r.WithContext(ctx)
	return nil
}
