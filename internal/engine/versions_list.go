package engine

import (
	"context"
	"errors"
	"strings"

	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// ListVersionsInput is a ListObjectVersions request.
type ListVersionsInput struct {
	Bucket, Prefix, Delimiter  string
	KeyMarker, VersionIDMarker string
	MaxKeys                    int
}

// ListVersionsResult is one page of versions and delete markers, in S3's
// order: by key, newest first within a key. Versions and CommonPrefixes
// together hold at most MaxKeys entries.
type ListVersionsResult struct {
	Versions       []Object // versions and delete markers, interleaved
	CommonPrefixes []string
	IsTruncated    bool
	// NextKeyMarker and NextVersionIDMarker name the page's last entry
	// (a common prefix has no version ID).
	NextKeyMarker, NextVersionIDMarker string
}

// afterEverything is appended to a common prefix to position a listing
// after every key that starts with it: 0xFF never occurs in UTF-8, so
// cp+"\xff" sorts after every valid key with prefix cp and before the keys
// that follow them.
const afterEverything = "\xff"

// ListObjectVersions lists versions as S3 does. KeyMarker alone skips
// every version of that key; with VersionIDMarker the listing continues
// after that version, placed by the order its ID encodes even when it is
// gone (LocalStack test_list_objects_versions_markers and
// test_list_objects_versions_with_prefix_only_and_pagination, recorded
// against AWS). A common prefix is skipped with one seek, so a page costs
// O(page) store reads however many versions precede it.
func (e *Engine) ListObjectVersions(ctx context.Context, in ListVersionsInput) (ListVersionsResult, error) {
	var res ListVersionsResult
	if in.VersionIDMarker != "" {
		if in.KeyMarker == "" {
			// Raw S3 answer in versitygw#2174.
			return res, s3err.InvalidArgumentf("version-id-marker", in.VersionIDMarker, "A version-id marker cannot be specified without a key marker.")
		}
		if err := CheckVersionID(in.VersionIDMarker); err != nil {
			return res, s3err.InvalidArgumentf("version-id-marker", in.VersionIDMarker, "Invalid version id specified")
		}
	}
	if _, err := e.bucketExists(ctx, in.Bucket); err != nil {
		return res, err
	}
	if in.MaxKeys <= 0 {
		return res, nil
	}
	afterKey, afterID := in.KeyMarker, in.VersionIDMarker
	count := 0
	batch := min(in.MaxKeys+1, MaxListKeys+1)
outer:
	for {
		page, err := e.meta.ListVersions(ctx, in.Bucket, in.Prefix, afterKey, afterID, batch)
		if errors.Is(err, meta.ErrNotFound) && afterID != "" {
			afterID = "" // a null version that is gone: go on after its key
			continue
		}
		if err != nil {
			return res, err
		}
		for _, o := range page {
			if in.Delimiter != "" {
				rest := o.Key[len(in.Prefix):]
				if j := strings.Index(rest, in.Delimiter); j >= 0 {
					cp := in.Prefix + rest[:j+len(in.Delimiter)]
					afterKey, afterID = cp+afterEverything, ""
					if strings.HasPrefix(in.KeyMarker, cp) {
						continue outer // the marker is inside: returned already
					}
					if count == in.MaxKeys {
						res.IsTruncated = true
						return res, nil
					}
					res.CommonPrefixes = append(res.CommonPrefixes, cp)
					res.NextKeyMarker, res.NextVersionIDMarker = cp, ""
					count++
					continue outer
				}
			}
			if count == in.MaxKeys {
				res.IsTruncated = true
				return res, nil
			}
			res.Versions = append(res.Versions, o)
			res.NextKeyMarker, res.NextVersionIDMarker = o.Key, o.VersionID
			count++
			afterKey, afterID = o.Key, o.VersionID
		}
		if len(page) < batch {
			return res, nil
		}
	}
}
