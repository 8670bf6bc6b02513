package s3api

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"sort"
	"unicode/utf8"

	"github.com/tessera-s3/tessera/internal/s3err"
)

type tag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	NS      string   `xml:"xmlns,attr,omitempty"`
	TagSet  []tag    `xml:"TagSet>Tag"`
}

// S3's limits on object tags.
const (
	maxObjectTags  = 10
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

// validTags checks a tag set against S3's rules and returns it encoded the
// way x-amz-tagging carries it (which is how objects store their tags).
func validTags(tags []tag) (string, error) {
	if len(tags) > maxObjectTags {
		return "", s3err.Newf(s3err.BadRequest, "Object tags cannot be greater than 10")
	}
	v := url.Values{}
	for _, t := range tags {
		if t.Key == "" || utf8.RuneCountInString(t.Key) > maxTagKeyLen || !utf8.ValidString(t.Key) {
			return "", s3err.Newf(s3err.InvalidTag, "The TagKey you have provided is invalid")
		}
		if utf8.RuneCountInString(t.Value) > maxTagValueLen || !utf8.ValidString(t.Value) {
			return "", s3err.Newf(s3err.InvalidTag, "The TagValue you have provided is invalid")
		}
		if v.Has(t.Key) {
			return "", s3err.Newf(s3err.InvalidTag, "Cannot provide multiple Tags with the same key")
		}
		v.Set(t.Key, t.Value)
	}
	return v.Encode(), nil
}

func (h *Handler) getObjectTagging(q *request) error {
	versionID, err := q.versionID()
	if err != nil {
		return err
	}
	obj, err := h.cfg.Engine.ObjectVersion(q.ctx(), q.op.Bucket, q.op.Key, versionID, false)
	if err != nil {
		return q.hideMissingKey(err)
	}
	setVersionID(q.w.Header(), h.cfg.Engine.VersionHeader(q.ctx(), obj))
	res := tagging{NS: s3NS, TagSet: []tag{}}
	if vals, err := url.ParseQuery(obj.Tagging); err == nil {
		for k, vs := range vals {
			res.TagSet = append(res.TagSet, tag{Key: k, Value: vs[0]})
		}
	}
	sort.Slice(res.TagSet, func(i, j int) bool { return res.TagSet[i].Key < res.TagSet[j].Key })
	writeXML(q.w, http.StatusOK, res)
	return nil
}

func (h *Handler) putObjectTagging(q *request) error {
	var in tagging
	if _, err := readXMLBody(q, &in, 64<<10, false); err != nil {
		return err
	}
	enc, err := validTags(in.TagSet)
	if err != nil {
		return err
	}
	return h.setObjectTagging(q, enc, http.StatusOK)
}

func (h *Handler) deleteObjectTagging(q *request) error {
	return h.setObjectTagging(q, "", http.StatusNoContent)
}

func (h *Handler) setObjectTagging(q *request, tags string, status int) error {
	versionID, err := q.versionID()
	if err != nil {
		return err
	}
	obj, err := h.cfg.Engine.SetObjectTagging(q.ctx(), q.op.Bucket, q.op.Key, versionID, tags)
	if err != nil {
		return q.hideMissingKey(err)
	}
	setVersionID(q.w.Header(), h.cfg.Engine.VersionHeader(q.ctx(), obj))
	q.w.WriteHeader(status)
	return nil
}

// taggingHeader validates x-amz-tagging (sent with PutObject, CopyObject
// and CreateMultipartUpload) by the same rules as PutObjectTagging.
func taggingHeader(h http.Header) (string, error) {
	v := h.Get("x-amz-tagging")
	if v == "" {
		return "", nil
	}
	vals, err := url.ParseQuery(v)
	if err != nil {
		return "", s3err.Newf(s3err.InvalidArgument, "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
	}
	var tags []tag
	for k, vs := range vals {
		if len(vs) > 1 {
			return "", s3err.Newf(s3err.InvalidTag, "Cannot provide multiple Tags with the same key")
		}
		tags = append(tags, tag{Key: k, Value: vs[0]})
	}
	return validTags(tags)
}
