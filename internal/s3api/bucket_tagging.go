package s3api

import (
	"encoding/json"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tessera-s3/tessera/internal/s3err"
)

// taggingDoc names the bucket configuration document holding a bucket's
// tags: a JSON array of {Key, Value} in the order they were sent, which is
// the order GetBucketTagging returns (LocalStack test_bucket_tagging_crud,
// recorded).
const taggingDoc = "tagging"

// maxBucketTags is S3's limit on a bucket's tags (tagging user guide).
const maxBucketTags = 50

// validTagChar reports whether S3 allows r in a tag key or value: Unicode
// letters, digits and white space, and _ . : / = + @ - (tagging user guide;
// a ',' is refused, LocalStack test_bucket_tagging_crud, recorded).
func validTagChar(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsSpace(r) || strings.ContainsRune("_.:/=+@-", r)
}

func validTagText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !validTagChar(r) {
			return false
		}
	}
	return true
}

// validBucketTags checks a bucket's tag set as S3 does, tag by tag in the
// order sent; the texts are LocalStack's AWS recordings
// (test_bucket_tagging_crud), except the count and length limits, whose
// texts are unrecorded: moto's count text, and the invalid-key/value texts
// for over-long ones (S3's most plausible answer).
func validBucketTags(tags []tag) error {
	if len(tags) > maxBucketTags {
		return s3err.Newf(s3err.InvalidTag, "Bucket tag count cannot be greater than %d", maxBucketTags)
	}
	seen := map[string]bool{}
	for _, t := range tags {
		if t.Key == "" || utf8.RuneCountInString(t.Key) > maxTagKeyLen || !validTagText(t.Key) {
			return s3err.Newf(s3err.InvalidTag, "The TagKey you have provided is invalid").With("TagKey", t.Key)
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return s3err.Newf(s3err.InvalidTag, "System tags cannot be added/updated by requester").With("TagKey", t.Key)
		}
		if utf8.RuneCountInString(t.Value) > maxTagValueLen || !validTagText(t.Value) {
			return s3err.Newf(s3err.InvalidTag, "The TagValue you have provided is invalid").With("TagKey", t.Key).With("TagValue", t.Value)
		}
		if seen[t.Key] {
			return s3err.Newf(s3err.InvalidTag, "Cannot provide multiple Tags with the same key").With("TagKey", t.Key)
		}
		seen[t.Key] = true
	}
	return nil
}

// bucketTagsDoc validates tags and encodes them as the stored document
// (nil for an empty set, which S3 treats as deleting the tags).
func bucketTagsDoc(tags []tag) ([]byte, error) {
	if err := validBucketTags(tags); err != nil {
		return nil, err
	}
	if len(tags) == 0 {
		return nil, nil
	}
	return json.Marshal(tags)
}

func (h *Handler) getBucketTagging(q *request) error {
	doc, err := h.cfg.Engine.BucketConfig(q.ctx(), q.op.Bucket, taggingDoc)
	if err != nil {
		return err
	}
	var tags []tag
	if doc != nil {
		if err := json.Unmarshal(doc, &tags); err != nil {
			return err
		}
	}
	if len(tags) == 0 {
		return s3err.New(s3err.NoSuchTagSet).With("BucketName", q.op.Bucket)
	}
	writeXML(q.w, http.StatusOK, tagging{NS: s3NS, TagSet: tags})
	return nil
}

// putBucketTagging replaces the bucket's tags; S3 answers 204 (recorded,
// although the API reference says 200), and an empty TagSet deletes them.
func (h *Handler) putBucketTagging(q *request) error {
	var in tagging
	if _, err := readXMLBody(q, &in, 64<<10, false); err != nil {
		return err
	}
	doc, err := bucketTagsDoc(in.TagSet)
	if err != nil {
		return err
	}
	if doc == nil {
		err = h.cfg.Engine.DeleteBucketConfig(q.ctx(), q.op.Bucket, taggingDoc)
	} else {
		err = h.cfg.Engine.PutBucketConfig(q.ctx(), q.op.Bucket, taggingDoc, doc)
	}
	if err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) deleteBucketTagging(q *request) error {
	if err := h.cfg.Engine.DeleteBucketConfig(q.ctx(), q.op.Bucket, taggingDoc); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}
