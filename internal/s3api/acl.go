package s3api

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"

	"github.com/tessera-s3/tessera/internal/engine"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// Buckets behave as S3's default Object Ownership, BucketOwnerEnforced:
// ACLs are disabled, the bucket owner owns every object and has full
// control, and access is granted by bucket policies. GET answers that
// truthfully; PUT accepts only ACLs that say the same.

// ownerFullControl is the only ACL a bucket or object has.
func ownerFullControl(o engine.Owner) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<AccessControlPolicy xmlns="` + s3NS + `"><Owner><ID>`)
	xml.EscapeText(&b, []byte(o.ID))
	b.WriteString(`</ID><DisplayName>`)
	xml.EscapeText(&b, []byte(o.DisplayName))
	b.WriteString(`</DisplayName></Owner><AccessControlList><Grant>` +
		`<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>`)
	xml.EscapeText(&b, []byte(o.ID))
	b.WriteString(`</ID><DisplayName>`)
	xml.EscapeText(&b, []byte(o.DisplayName))
	b.WriteString(`</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>`)
	return b.Bytes()
}

func (h *Handler) getACL(q *request) error {
	if q.op.Key != "" {
		if err := h.aclObject(q, false); err != nil {
			return err
		}
	} else if _, err := h.cfg.Engine.HeadBucket(q.ctx(), q.op.Bucket); err != nil {
		return err
	}
	body := ownerFullControl(q.bucketOwner)
	q.w.Header().Set("Content-Type", "application/xml")
	q.w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	q.w.WriteHeader(http.StatusOK)
	q.w.Write(body)
	return nil
}

// putACL accepts the canned ACLs that grant nothing beyond the owner
// (private, bucket-owner-full-control) and refuses the rest as S3 does for
// buckets with ACLs disabled.
func (h *Handler) putACL(q *request) error {
	io.Copy(io.Discard, io.LimitReader(q.auth.Body, 64<<10))
	if q.op.Key != "" {
		if err := h.aclObject(q, true); err != nil {
			return err
		}
	} else if _, err := h.cfg.Engine.HeadBucket(q.ctx(), q.op.Bucket); err != nil {
		return err
	}
	switch q.r.Header.Get("x-amz-acl") {
	case "private", "bucket-owner-full-control":
		if q.r.Header.Get("x-amz-grant-read")+q.r.Header.Get("x-amz-grant-write")+q.r.Header.Get("x-amz-grant-full-control") == "" {
			q.w.WriteHeader(http.StatusOK)
			return nil
		}
	}
	return s3err.New(s3err.AccessControlListNotSupported)
}

// aclObject checks that the version an object ACL request names exists and
// sends its x-amz-version-id.
func (h *Handler) aclObject(q *request, put bool) error {
	versionID, err := q.versionID()
	if err != nil {
		return err
	}
	obj, err := h.cfg.Engine.ObjectVersion(q.ctx(), q.op.Bucket, q.op.Key, versionID, put)
	if err != nil {
		return q.hideMissingKey(err)
	}
	setVersionID(q.w.Header(), h.cfg.Engine.VersionHeader(q.ctx(), obj))
	return nil
}
