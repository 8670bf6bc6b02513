package s3api

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/tessera-s3/tessera/internal/engine"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// readXMLBody decodes a small XML request body into v. An empty body is
// allowed when optional; otherwise, and for bad XML, MalformedXML.
func readXMLBody(q *request, v any, limit int64, optional bool) (bool, error) {
	return readXMLBodyChecked(q, v, limit, optional, true)
}

// readXMLBodyChecked is readXMLBody; with flexibleChecksum false an
// x-amz-checksum-* header is not about the body (CompleteMultipartUpload
// sends the object's checksum in it) and is left to the caller.
func readXMLBodyChecked(q *request, v any, limit int64, optional, flexibleChecksum bool) (bool, error) {
	data, err := io.ReadAll(io.LimitReader(q.auth.Body, limit+1))
	if err != nil {
		if _, ok := s3err.As(err); ok {
			return false, err
		}
		return false, s3err.New(s3err.IncompleteBody)
	}
	if int64(len(data)) > limit {
		return false, s3err.New(s3err.MalformedXML)
	}
	if err := verifySmallBody(q, data, flexibleChecksum); err != nil {
		return false, err
	}
	if len(data) == 0 {
		if optional {
			return false, nil
		}
		return false, s3err.New(s3err.MalformedXML)
	}
	unmarshal := xml.Unmarshal
	if c, ok := v.(*completeMultipartUpload); ok {
		unmarshal = func([]byte, any) error { return decodeComplete(data, c) }
	}
	if err := unmarshal(data, v); err != nil {
		return false, s3err.New(s3err.MalformedXML)
	}
	return true, nil
}

func (h *Handler) createBucket(q *request) error {
	var cfg createBucketConfiguration
	if _, err := readXMLBody(q, &cfg, 64<<10, true); err != nil {
		return err
	}
	if err := h.apHostTaken(q); err != nil {
		return err
	}
	lock := strings.EqualFold(q.r.Header.Get("x-amz-bucket-object-lock-enabled"), "true")
	docs, err := h.newBucketDocs(q, cfg.Tags)
	if err != nil {
		return err
	}
	if err := h.cfg.Engine.CreateBucket(q.ctx(), q.owner, q.op.Bucket, cfg.LocationConstraint, lock, docs); err != nil {
		return err
	}
	q.w.Header().Set("Location", "/"+q.op.Bucket)
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) headBucket(q *request) error {
	b, err := h.cfg.Engine.HeadBucket(q.ctx(), q.op.Bucket)
	if err != nil {
		return err
	}
	// LocalStack test_create_bucket_head_bucket, recorded against AWS.
	q.w.Header().Set("x-amz-bucket-region", b.Region)
	q.w.Header().Set("x-amz-access-point-alias", "false")
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) deleteBucket(q *request) error {
	if err := h.cfg.Engine.DeleteBucket(q.ctx(), q.op.Bucket); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) getBucketLocation(q *request) error {
	b, err := h.cfg.Engine.HeadBucket(q.ctx(), q.op.Bucket)
	if err != nil {
		return err
	}
	loc := b.Region
	if loc == "us-east-1" {
		loc = "" // S3 reports the original region as an empty constraint.
	}
	writeXML(q.w, http.StatusOK, locationConstraint{NS: s3NS, Value: loc})
	return nil
}

func (h *Handler) listObjects(q *request) error {
	qs := q.op.Query
	v2 := q.op.Kind == ListObjectsV2
	limit, err := intParam(qs, "max-keys", engine.MaxListKeys, engine.MaxListKeys)
	if err != nil {
		return err
	}
	enc := qs.Get("encoding-type")
	if enc != "" && enc != "url" {
		return s3err.InvalidArgumentf("encoding-type", enc, "Invalid Encoding Method specified in Request")
	}
	in := engine.ListInput{Bucket: q.op.Bucket, Prefix: qs.Get("prefix"), Delimiter: qs.Get("delimiter"), MaxKeys: limit}
	out := listBucketResult{NS: s3NS, Name: q.op.Bucket, MaxKeys: limit, EncodingType: enc}
	encode := func(s string) string {
		if enc == "url" {
			return url.QueryEscape(s)
		}
		return s
	}
	token := qs.Get("continuation-token")
	if v2 {
		in.After = qs.Get("start-after")
		out.StartAfter = encode(in.After)
		if _, ok := qs["continuation-token"]; ok {
			after, err := base64.RawURLEncoding.DecodeString(token)
			if err != nil || token == "" {
				return s3err.InvalidArgumentf("continuation-token", token, "The continuation token provided is incorrect")
			}
			in.After = string(after)
			out.Token = token
		}
	} else {
		in.After = qs.Get("marker")
		m := encode(in.After)
		out.Marker = &m
	}
	res, err := h.cfg.Engine.ListObjects(q.ctx(), in)
	if err != nil {
		return err
	}
	out.Prefix, out.Delimiter = encode(in.Prefix), encode(in.Delimiter)
	out.IsTruncated = res.IsTruncated
	fetchOwner := !v2 || qs.Get("fetch-owner") == "true"
	for _, o := range res.Objects {
		e := objectEntry{Key: encode(o.Key), LastModified: isoTime(o.LastModified), ETag: quoteETag(o.ETag), Size: o.Size, StorageClass: o.StorageClass}
		if alg, _ := engine.ReportedChecksum(o); alg != "" {
			e.ChecksumAlgorithm, e.ChecksumType = alg, o.ChecksumType
		}
		if fetchOwner {
			e.Owner = &owner{ID: o.Owner.ID, DisplayName: o.Owner.DisplayName}
		}
		out.Contents = append(out.Contents, e)
	}
	for _, p := range res.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, commonPrefix{Prefix: encode(p)})
	}
	if v2 {
		n := len(res.Objects) + len(res.CommonPrefixes)
		out.KeyCount = &n
		if res.IsTruncated {
			out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(res.Next))
		}
	} else if res.IsTruncated && in.Delimiter != "" {
		// S3 returns NextMarker only with a delimiter; without one the
		// client continues from the last key.
		out.NextMarker = encode(res.Next)
	}
	writeXML(q.w, http.StatusOK, out)
	return nil
}

func (h *Handler) deleteObjects(q *request) error {
	var req deleteRequest
	if _, err := readXMLBody(q, &req, 2<<20, false); err != nil {
		return err
	}
	if len(req.Objects) == 0 || len(req.Objects) > 1000 {
		return s3err.New(s3err.MalformedXML)
	}
	out := deleteResult{NS: s3NS}
	ids := make([]engine.ObjectID, 0, len(req.Objects))
	bypassSent, bypass := q.bypassHeader()
	for _, o := range req.Objects {
		denied := q.access.exists && !q.allowed(q.access, actionsFor(DeleteObject, o.VersionID != ""), resourceARN(q.op.Bucket, o.Key))
		if denied || (bypass && !q.mayBypass(o.Key)) {
			e := s3err.New(s3err.AccessDenied)
			out.Errors = append(out.Errors, deleteError{Key: o.Key, VersionID: o.VersionID, Code: string(e.Code), Message: e.Message})
			continue
		}
		ids = append(ids, engine.ObjectID{Key: o.Key, VersionID: o.VersionID})
	}
	results, err := h.cfg.Engine.DeleteObjects(q.ctx(), q.op.Bucket, q.account.Owner(), ids, bypassSent, bypass)
	if err != nil {
		return err
	}
	for _, r := range results {
		if r.Err == nil {
			if !req.Quiet {
				out.Deleted = append(out.Deleted, deletedEntry{
					Key: r.Key, VersionID: r.VersionID, DeleteMarker: r.DeleteMarker, DeleteMarkerVersionID: r.DeleteMarkerVersionID,
				})
			}
			continue
		}
		e, ok := s3err.As(r.Err)
		if !ok {
			e, ok = engine.Unavailable(r.Err)
		}
		if !ok {
			h.log.Error("delete objects", "key", r.Key, "err", r.Err)
			e = s3err.New(s3err.InternalError)
		}
		out.Errors = append(out.Errors, deleteError{Key: r.Key, VersionID: r.VersionID, Code: string(e.Code), Message: e.Message})
	}
	writeXML(q.w, http.StatusOK, out)
	return nil
}

// readCheckedBody reads the small body of a call S3 requires an integrity
// check on (PutBucketLifecycleConfiguration, PutBucketEncryption):
// Content-MD5, or (since the SDKs' 2025 default) an x-amz-checksum-*
// header or trailer, verified against the body. A body over limit is
// MalformedXML.
func readCheckedBody(q *request, limit int64) ([]byte, error) {
	return readIntegrityBody(q, limit, "Missing required header for this request: Content-MD5")
}

// readIntegrityBody is readCheckedBody with missingMsg as the text of the
// InvalidRequest for a request without Content-MD5 or a checksum.
func readIntegrityBody(q *request, limit int64, missingMsg string) ([]byte, error) {
	ck, err := checksumInput(q.r.Header, q.auth.Trailer)
	if err != nil {
		return nil, err
	}
	missing := func() error {
		return s3err.Newf(s3err.InvalidRequest, "%s", missingMsg)
	}
	hasMD5 := q.r.Header.Get("Content-MD5") != ""
	if !hasMD5 && ck == nil {
		return nil, missing()
	}
	data, err := io.ReadAll(io.LimitReader(q.auth.Body, limit+1))
	if err != nil {
		if _, ok := s3err.As(err); ok {
			return nil, err
		}
		return nil, s3err.New(s3err.IncompleteBody)
	}
	if int64(len(data)) > limit {
		return nil, s3err.New(s3err.MalformedXML)
	}
	if !hasMD5 && ck.Value == "" && ck.Trailer() == "" {
		return nil, missing() // a trailer was announced but never sent
	}
	if err := verifySmallBody(q, data, true); err != nil {
		return nil, err
	}
	return data, nil
}

// verifySmallBody checks Content-MD5 and an x-amz-checksum-* header against
// a body read into memory (small XML bodies only).
func verifySmallBody(q *request, data []byte, flexibleChecksum bool) error {
	if v := q.r.Header.Get("Content-MD5"); v != "" {
		want, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(want) != md5.Size {
			return s3err.New(s3err.InvalidDigest)
		}
		if sum := md5.Sum(data); !bytes.Equal(sum[:], want) {
			return s3err.New(s3err.BadDigest)
		}
	}
	if !flexibleChecksum {
		return nil
	}
	ck, err := checksumInput(q.r.Header, q.auth.Trailer)
	if err != nil || ck == nil {
		return err
	}
	want := ck.Value
	if want == "" && ck.Trailer != nil {
		want = ck.Trailer()
	}
	if want == "" {
		return nil
	}
	hsh := ck.Algorithm.New()
	hsh.Write(data)
	if base64.StdEncoding.EncodeToString(hsh.Sum(nil)) != want {
		return s3err.Newf(s3err.BadDigest, "The %s you specified did not match the calculated checksum.", ck.Algorithm)
	}
	return nil
}
