package s3api

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/tessera-s3/tessera/internal/engine"
	"github.com/tessera-s3/tessera/internal/s3err"
)

var compositeSuffix = regexp.MustCompile(`-\d+$`)

// getObjectAttributes answers GetObjectAttributes from metadata alone.
func (h *Handler) getObjectAttributes(q *request) error {
	want := map[string]bool{}
	for _, v := range q.r.Header.Values("x-amz-object-attributes") {
		for _, a := range strings.Split(v, ",") {
			a = strings.TrimSpace(a)
			switch a {
			case "ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize":
				want[a] = true
			case "":
			default:
				return s3err.InvalidArgumentf("x-amz-object-attributes", a, "Invalid attribute name specified.")
			}
		}
	}
	if len(want) == 0 {
		return s3err.Newf(s3err.InvalidArgument, "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty")
	}
	maxParts, err := intParam(q.op.Query, "max-parts", 1000, 1000)
	if err != nil {
		return err
	}
	hv := url.Values{
		"x-amz-part-number-marker": {q.r.Header.Get("x-amz-part-number-marker")},
		"x-amz-max-parts":          {q.r.Header.Get("x-amz-max-parts")},
	}
	marker, err := intParam(hv, "x-amz-part-number-marker", 0, 1<<31-1)
	if err != nil {
		return err
	}
	if hv.Get("x-amz-max-parts") != "" {
		if maxParts, err = intParam(hv, "x-amz-max-parts", 1000, 1000); err != nil {
			return err
		}
	}
	versionID, err := q.versionID()
	if err != nil {
		return err
	}
	out, err := h.cfg.Engine.HeadObject(q.ctx(), engine.GetInput{Bucket: q.op.Bucket, Key: q.op.Key, VersionID: versionID, CustomerKey: q.sse.write.CustomerKey, Caller: q.account.ID})
	if err != nil {
		return q.hideMissingKey(err)
	}
	obj := out.Object
	setVersionID(q.w.Header(), h.cfg.Engine.VersionHeader(q.ctx(), obj))
	res := getObjectAttributesResponse{NS: s3NS}
	if want["ETag"] {
		res.ETag = obj.ETag
	}
	if want["StorageClass"] {
		res.StorageClass = obj.StorageClass
	}
	if want["ObjectSize"] {
		size := obj.Size
		res.ObjectSize = &size
	}
	if want["Checksum"] {
		if alg, v := engine.ReportedChecksum(obj); alg != "" {
			c := &attributesChecksum{ChecksumType: obj.ChecksumType}
			// GetObjectAttributes reports a composite checksum without its -N.
			c.set(alg, compositeSuffix.ReplaceAllString(v, ""))
			res.Checksum = c
		}
	}
	if want["ObjectParts"] && obj.PartsCount > 0 {
		parts := &attributesParts{TotalPartsCount: obj.PartsCount, PartNumberMarker: marker, MaxParts: maxParts}
		alg, _ := engine.ReportedChecksum(obj)
		for i, s := range obj.Segments {
			n := i + 1
			if n <= marker {
				continue
			}
			if len(parts.Parts) == maxParts {
				parts.IsTruncated = true
				break
			}
			p := attributesPart{PartNumber: n, Size: s.Size}
			if obj.ChecksumType == "COMPOSITE" || alg != "CRC64NVME" {
				p.set(alg, s.Checksums[alg])
			}
			parts.Parts = append(parts.Parts, p)
			parts.NextPartNumberMarker = n
		}
		res.ObjectParts = parts
	}
	q.w.Header().Set("Last-Modified", obj.LastModified.UTC().Format(http.TimeFormat))
	writeXML(q.w, http.StatusOK, res)
	return nil
}
