package s3api

import (
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"strconv"

	"github.com/tessera-s3/tessera/internal/engine"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// listAllMyBucketsResult is ListBuckets' answer, elements in the order of
// S3's API reference: Buckets, Owner, ContinuationToken, Prefix.
// ContinuationToken is the next page's token (there is no IsTruncated);
// Prefix echoes the request's prefix, even when nothing matches
// (LocalStack TestS3ListBuckets, recorded against AWS 2025-05).
type listAllMyBucketsResult struct {
	XMLName           xml.Name   `xml:"ListAllMyBucketsResult"`
	NS                string     `xml:"xmlns,attr"`
	Buckets           bucketList `xml:"Buckets"` // present even when empty
	Owner             owner      `xml:"Owner"`
	ContinuationToken string     `xml:"ContinuationToken,omitempty"`
	Prefix            *string    `xml:"Prefix"`
}

type bucketList struct {
	Bucket []bucketEntry `xml:"Bucket"`
}

// bucketEntry is one bucket; S3 always sends BucketRegion now.
type bucketEntry struct {
	Name         string `xml:"Name"`
	CreationDate string `xml:"CreationDate"`
	BucketRegion string `xml:"BucketRegion"`
}

func (h *Handler) listBuckets(q *request) error {
	qs := q.op.Query
	in := engine.ListBucketsInput{Owner: q.owner, Prefix: qs.Get("prefix"), Region: qs.Get("bucket-region")}
	var err error
	if in.Max, err = maxBuckets(qs.Get("max-buckets"), qs.Has("max-buckets")); err != nil {
		return err
	}
	if in.After, err = bucketsToken(qs.Get("continuation-token")); err != nil {
		return err
	}
	page, err := h.cfg.Engine.ListBucketsPage(q.ctx(), in)
	if err != nil {
		return err
	}
	out := listAllMyBucketsResult{NS: s3NS, Owner: owner{ID: q.owner.ID, DisplayName: q.owner.DisplayName}}
	if qs.Has("prefix") {
		out.Prefix = &in.Prefix
	}
	for _, b := range page.Buckets {
		out.Buckets.Bucket = append(out.Buckets.Bucket, bucketEntry{Name: b.Name, CreationDate: isoTime(b.Created), BucketRegion: b.Region})
	}
	if page.Next != "" {
		out.ContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(page.Next))
	}
	writeXML(q.w, http.StatusOK, out)
	return nil
}

// maxBuckets parses max-buckets: 1..10000, 0 when absent (every bucket).
// The texts are S3's as MinIO and versitygw give them (not recorded
// against S3; research12 §8.3).
func maxBuckets(v string, present bool) (int, error) {
	if !present {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0, s3err.InvalidArgumentf("max-buckets", v, "Provided max-buckets not an integer or within integer range")
	}
	if n < 1 || n > engine.MaxListBuckets {
		return 0, s3err.InvalidArgumentf("max-buckets", v, "Argument max-buckets must be an integer between 1 and %d.", engine.MaxListBuckets)
	}
	return int(n), nil
}

// bucketsToken decodes a continuation-token (the last name of the previous
// page); an empty one means the first page, as in S3 (LocalStack
// TestS3ListBuckets [REC]). A token this server did not issue is
// InvalidArgument with the text peers give (research12 §8.3).
func bucketsToken(tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	name, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || !engine.ValidBucketName(string(name)) {
		return "", s3err.InvalidArgumentf("continuation-token", tok, "The continuation token provided is incorrect")
	}
	return string(name), nil
}
