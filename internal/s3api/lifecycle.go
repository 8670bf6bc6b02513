package s3api

import (
	"net/http"
	"strconv"

	"github.com/tessera-s3/tessera/internal/engine"
)

// maxLifecycleBody bounds a PutBucketLifecycleConfiguration body. S3
// publishes no limit; 1000 rules with long IDs, prefixes and several tags
// each stay well below it.
const maxLifecycleBody = 8 << 20

// putBucketLifecycle is PutBucketLifecycleConfiguration (and the older
// PutBucketLifecycle, which differs only in its body).
func (h *Handler) putBucketLifecycle(q *request) error {
	data, err := readCheckedBody(q, maxLifecycleBody)
	if err != nil {
		return err
	}
	if err := h.cfg.Engine.PutBucketLifecycle(q.ctx(), q.op.Bucket, data); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

// getBucketLifecycle answers the stored document byte for byte.
func (h *Handler) getBucketLifecycle(q *request) error {
	doc, err := h.cfg.Engine.GetBucketLifecycle(q.ctx(), q.op.Bucket)
	if err != nil {
		return err
	}
	q.w.Header().Set("Content-Type", "application/xml")
	q.w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
	q.w.WriteHeader(http.StatusOK)
	q.w.Write(doc)
	return nil
}

func (h *Handler) deleteBucketLifecycle(q *request) error {
	if err := h.cfg.Engine.DeleteBucketLifecycle(q.ctx(), q.op.Bucket); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

// setAbortHeaders adds x-amz-abort-date and x-amz-abort-rule-id to a
// CreateMultipartUpload or ListParts response when a lifecycle rule will
// abort the upload. The headers are advisory: failing to read the
// configuration is logged and leaves them out rather than failing a call
// whose real work (for CreateMultipartUpload, a new upload) is done.
func (h *Handler) setAbortHeaders(q *request, u engine.Upload) {
	date, rule, err := h.cfg.Engine.AbortInfo(q.ctx(), u)
	if err != nil {
		h.log.Error("lifecycle abort date", "request_id", q.w.Header().Get("x-amz-request-id"), "bucket", u.Bucket, "err", err)
		return
	}
	if date.IsZero() {
		return
	}
	// An HTTP-date, as S3 sends it: "Tue, 19 Aug 2025 00:00:00 GMT".
	q.w.Header().Set("x-amz-abort-date", date.UTC().Format(http.TimeFormat))
	q.w.Header().Set("x-amz-abort-rule-id", rule)
}
