package s3api

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/tessera-s3/tessera/internal/checksum"
	"github.com/tessera-s3/tessera/internal/engine"
	"github.com/tessera-s3/tessera/internal/s3err"
)

func (h *Handler) putObject(q *request) error {
	if _, err := taggingHeader(q.r.Header); err != nil {
		return err
	}
	body, err := q.bodyInput()
	if err != nil {
		return err
	}
	attrs, err := q.lockedWriteAttrs()
	if err != nil {
		return err
	}
	var owner engine.Owner
	if attrs.ACL, owner, err = h.objectWriteACL(q); err != nil {
		return err
	}
	obj, err := h.cfg.Engine.PutObject(q.ctx(), engine.PutInput{
		Bucket: q.op.Bucket, Key: q.op.Key, Owner: owner, Body: body,
		Attrs: attrs,
		Cond:  engine.WriteConditions{IfMatch: q.r.Header.Get("If-Match"), IfNoneMatch: q.r.Header.Get("If-None-Match")},
	})
	if err != nil {
		return err
	}
	h.setWriteHeaders(q, obj)
	q.w.WriteHeader(http.StatusOK)
	return nil
}

// setWriteHeaders sends what S3 answers a new object with, on PutObject
// and on POST uploads alike.
func (h *Handler) setWriteHeaders(q *request, obj engine.Object) {
	hd := q.w.Header()
	hd.Set("ETag", quoteETag(obj.ETag))
	setVersionID(hd, writtenVersion(obj))
	setEncryptionHeaders(hd, obj.Encryption, q.sse.write.CustomerKey, true)
	h.setExpiration(q, obj)
	setChecksumHeaders(hd, obj)
	if obj.StorageClass != "" && obj.StorageClass != "STANDARD" {
		hd.Set("x-amz-storage-class", obj.StorageClass)
	}
}

// writtenVersion is the x-amz-version-id of a PutObject or
// CompleteMultipartUpload: none for the null version, even on a Suspended
// bucket (LocalStack test_put_object_on_suspended_bucket, recorded against
// AWS).
func writtenVersion(obj engine.Object) string {
	if obj.VersionID == engine.NullVersion {
		return ""
	}
	return obj.VersionID
}

// setExpiration sends x-amz-expiration when a lifecycle Expiration rule
// covers the object. A failure to read the configuration only omits it.
func (h *Handler) setExpiration(q *request, obj engine.Object) {
	date, rule, err := h.cfg.Engine.ExpirationInfo(q.ctx(), obj)
	if err != nil || date.IsZero() {
		return
	}
	q.w.Header().Set("x-amz-expiration", fmt.Sprintf(`expiry-date="%s", rule-id="%s"`,
		date.UTC().Format(http.TimeFormat), strings.ReplaceAll(rule, `"`, `\"`)))
}

// setChecksumHeaders sends the object's reported checksum and its type.
func setChecksumHeaders(hd http.Header, obj engine.Object) {
	alg, v := engine.ReportedChecksum(obj)
	a, ok := checksum.Parse(alg)
	if !ok {
		return
	}
	hd.Set(a.Header(), v)
	if obj.ChecksumType != "" {
		hd.Set("x-amz-checksum-type", obj.ChecksumType)
	}
}

// setPartChecksumHeaders sends, for a partNumber read, that part's own
// checksum (which matches the bytes sent) and the object's checksum type.
func setPartChecksumHeaders(hd http.Header, obj engine.Object, n int) {
	alg, _ := engine.ReportedChecksum(obj)
	a, ok := checksum.Parse(alg)
	if !ok || n < 1 || n > len(obj.Segments) {
		return
	}
	if v := obj.Segments[n-1].Checksums[alg]; v != "" {
		hd.Set(a.Header(), v)
		hd.Set("x-amz-checksum-type", obj.ChecksumType)
	}
}

// responseOverrides are the query parameters that override response headers on GET.
var responseOverrides = map[string]string{
	"response-content-type":        "Content-Type",
	"response-content-language":    "Content-Language",
	"response-expires":             "Expires",
	"response-cache-control":       "Cache-Control",
	"response-content-disposition": "Content-Disposition",
	"response-content-encoding":    "Content-Encoding",
}

func (h *Handler) getObject(q *request) error {
	in := engine.GetInput{Bucket: q.op.Bucket, Key: q.op.Key, Cond: readConditions(q.r.Header, ""), CustomerKey: q.sse.write.CustomerKey, Caller: q.account.ID}
	var err error
	if in.VersionID, err = q.versionID(); err != nil {
		return err
	}
	if v := q.r.Header.Get("Range"); v != "" {
		in.Range = parseRange(v)
	}
	if v := q.op.Query.Get("partNumber"); v != "" {
		if in.Range != nil {
			// Checked before the part number itself: "partNumber + Range
			// error trumps bad partNumber" (swift test_mpu.py, run against
			// AWS).
			return s3err.Newf(s3err.InvalidRequest, "Cannot specify both Range header and partNumber query parameter")
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > engine.MaxPartNumber {
			return s3err.InvalidArgumentf("partNumber", v, "Part number must be an integer between 1 and 10000, inclusive")
		}
		in.PartNumber = n
	}
	var out engine.GetOutput
	if q.op.Kind == HeadObject {
		out, err = h.cfg.Engine.HeadObject(q.ctx(), in)
	} else {
		out, err = h.cfg.Engine.GetObject(q.ctx(), in)
	}
	if err != nil {
		return q.hideMissingKey(err)
	}
	if out.Body != nil {
		defer out.Body.Close()
	}
	obj := out.Object
	hd := q.w.Header()
	hd.Set("ETag", quoteETag(obj.ETag))
	hd.Set("Last-Modified", obj.LastModified.UTC().Format(http.TimeFormat))
	hd.Set("Accept-Ranges", "bytes")
	setVersionID(hd, h.cfg.Engine.VersionHeader(q.ctx(), obj))
	q.setLockHeaders(hd, obj)
	setEncryptionHeaders(hd, obj.Encryption, in.CustomerKey, false)
	hd.Set("Content-Length", strconv.FormatInt(out.Length, 10))
	setIf(hd, "Content-Type", obj.Headers.ContentType)
	setIf(hd, "Content-Encoding", obj.Headers.ContentEncoding)
	setIf(hd, "Content-Disposition", obj.Headers.ContentDisposition)
	setIf(hd, "Content-Language", obj.Headers.ContentLanguage)
	setIf(hd, "Cache-Control", obj.Headers.CacheControl)
	setIf(hd, "Expires", obj.Headers.Expires)
	for k, v := range obj.UserMeta {
		// Not Set: S3 sends metadata names lower-case, and clients hand the
		// name back to the user exactly as received.
		hd["x-amz-meta-"+k] = []string{v}
	}
	if obj.StorageClass != "" && obj.StorageClass != "STANDARD" {
		hd.Set("x-amz-storage-class", obj.StorageClass)
	}
	// Returned whether or not the bucket hosts a website, as S3 does on its
	// REST endpoint (Tessera serves no website endpoint).
	setIf(hd, "x-amz-website-redirect-location", obj.WebsiteRedirectLocation)
	if obj.Tagging != "" {
		if tags, err := url.ParseQuery(obj.Tagging); err == nil {
			hd.Set("x-amz-tagging-count", strconv.Itoa(len(tags)))
		}
	}
	if out.PartsCount > 0 {
		hd.Set("x-amz-mp-parts-count", strconv.Itoa(out.PartsCount))
	}
	if in.VersionID == "" {
		// Not when a version is named, even the latest (LocalStack
		// test_bucket_lifecycle_configuration_object_expiry_versioned).
		h.setExpiration(q, obj)
	}
	if strings.EqualFold(q.r.Header.Get("x-amz-checksum-mode"), "ENABLED") && in.Range == nil {
		if in.PartNumber > 0 && obj.PartsCount > 0 {
			setPartChecksumHeaders(hd, obj, in.PartNumber)
		} else {
			setChecksumHeaders(hd, obj)
		}
	}
	for param, header := range responseOverrides {
		if v := q.op.Query.Get(param); v != "" {
			hd.Set(header, v)
		}
	}
	status := http.StatusOK
	if out.Partial {
		hd.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", out.Start, out.Start+out.Length-1, obj.Size))
		status = http.StatusPartialContent
	}
	q.w.WriteHeader(status)
	if out.Body == nil || out.Length == 0 {
		return nil
	}
	if _, err := io.Copy(q.w, out.Body); err != nil {
		// Headers are gone; all we can do is cut the connection short.
		h.log.Warn("get object: streaming body", "bucket", obj.Bucket, "key", obj.Key, "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

func setIf(hd http.Header, name, value string) {
	if value != "" {
		hd.Set(name, value)
	}
}

func (h *Handler) deleteObject(q *request) error {
	versionID, err := q.versionID()
	if err != nil {
		return err
	}
	bypassSent, bypass, err := q.bypassGovernance()
	if err != nil {
		return err
	}
	out, err := h.cfg.Engine.DeleteObject(q.ctx(), engine.DeleteInput{
		Bucket: q.op.Bucket, Key: q.op.Key, VersionID: versionID, Owner: q.account.Owner(),
		BypassSent: bypassSent, Bypass: bypass,
	})
	if err != nil {
		return err
	}
	hd := q.w.Header()
	setVersionID(hd, out.VersionID)
	if out.DeleteMarker {
		hd.Set("x-amz-delete-marker", "true")
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

// copySource parses x-amz-copy-source: "bucket/key" or "/bucket/key",
// URL-encoded, optionally with ?versionId=. Its errors are S3's, checked in
// this order (versitygw's integration tests, written against S3:
// UploadPartCopy_invalid_copy_source, CopyObject_invalid_copy_source; and
// versitygw#1388, #1389): the encoding, then the bucket name (an empty one
// included), then the key. Bucket and key are split at the first literal
// slash, before decoding: AWS answers "Invalid copy source bucket name"
// when the slash itself is encoded (aws-sdk-cpp#1647).
func copySource(v string) (bucket, key, versionID string, err error) {
	invalid := func(msg string) error { return s3err.InvalidArgumentf("x-amz-copy-source", v, "%s", msg) }
	raw, versionID, hasVersion := strings.Cut(v, "?versionId=")
	if _, err := url.PathUnescape(raw); err != nil {
		return "", "", "", invalid("Invalid copy source encoding")
	}
	rawBucket, rawKey, _ := strings.Cut(strings.TrimPrefix(raw, "/"), "/")
	bucket, _ = url.PathUnescape(rawBucket)
	key, _ = url.PathUnescape(rawKey)
	if !engine.ValidBucketName(bucket) {
		return "", "", "", invalid("Invalid copy source bucket name")
	}
	// A key that is only a dot segment ("bucket/.", "bucket/../") names
	// no object. Deeper dot segments ("a/../b") stay ordinary key bytes:
	// versitygw, which rejects them for its file system, notes that AWS
	// accepts them.
	if key == "" || path.Clean(key) == "." || path.Clean(key) == ".." {
		return "", "", "", invalid("Invalid copy source object key")
	}
	if hasVersion {
		if versionID == "" {
			return "", "", "", s3err.InvalidArgumentf("versionId", "", "Version id cannot be the empty string")
		}
		if err := engine.CheckVersionID(versionID); err != nil {
			return "", "", "", err
		}
	}
	return bucket, key, versionID, nil
}

// requireBucket answers NoSuchBucket when authorization found the
// request's bucket missing. S3 checks a copy's destination bucket before
// anything in the request (versitygw UploadPartCopy_non_existing_bucket:
// missing bucket, malformed copy source and bogus upload id → NoSuchBucket);
// authorization has already looked the bucket up, so this costs no read.
func (q *request) requireBucket() error {
	if !q.access.exists {
		return s3err.New(s3err.NoSuchBucket).With("BucketName", q.op.Bucket)
	}
	return nil
}

func (h *Handler) copyObject(q *request) error {
	if err := q.requireBucket(); err != nil {
		return err
	}
	src, err := h.copySourceOf(q)
	if err != nil {
		return err
	}
	srcBucket, srcKey, srcVersion := src.bucket, src.key, src.versionID
	if _, err := taggingHeader(q.r.Header); err != nil {
		return err
	}
	directive := q.r.Header.Get("x-amz-metadata-directive")
	if directive != "" && directive != "COPY" && directive != "REPLACE" {
		return s3err.InvalidArgumentf("x-amz-metadata-directive", directive, "Unknown metadata directive.")
	}
	attrs, err := q.lockedWriteAttrs()
	if err != nil {
		return err
	}
	var owner engine.Owner
	if attrs.ACL, owner, err = h.objectWriteACL(q); err != nil {
		return err
	}
	in := engine.CopyInput{
		SrcBucket: srcBucket, SrcKey: srcKey, SrcVersionID: srcVersion,
		SrcCond: readConditions(q.r.Header, "x-amz-copy-source-"),
		Bucket:  q.op.Bucket, Key: q.op.Key, Owner: owner,
		ReplaceMetadata: directive == "REPLACE",
		Attrs:           attrs,
		Cond:            engine.WriteConditions{IfMatch: q.r.Header.Get("If-Match"), IfNoneMatch: q.r.Header.Get("If-None-Match")},
		SrcCustomerKey:  q.sse.srcKey,
	}
	if q.r.Header.Get("x-amz-tagging-directive") != "REPLACE" {
		in.Attrs.Tagging = ""
	}
	if v := q.r.Header.Get("x-amz-checksum-algorithm"); v != "" {
		a, ok := checksum.Parse(v)
		if !ok {
			return engine.UnsupportedChecksumAlgorithm()
		}
		in.ChecksumAlgorithm = a
	}
	res, err := h.cfg.Engine.CopyObject(q.ctx(), in)
	if err != nil {
		return err
	}
	obj := res.Object
	setVersionID(q.w.Header(), res.VersionHeader)
	if res.SourceVersionID != "" {
		q.w.Header().Set("x-amz-copy-source-version-id", res.SourceVersionID)
	}
	out := copyObjectResult{NS: s3NS, ETag: quoteETag(obj.ETag), LastModified: isoTime(obj.LastModified), ChecksumType: obj.ChecksumType}
	out.set(engine.ReportedChecksum(obj))
	if obj.StorageClass != "STANDARD" {
		q.w.Header().Set("x-amz-storage-class", obj.StorageClass)
	}
	setEncryptionHeaders(q.w.Header(), obj.Encryption, q.sse.write.CustomerKey, true)
	writeXML(q.w, http.StatusOK, out)
	return nil
}
