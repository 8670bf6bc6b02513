package engine

import (
	"context"
	"strings"
)

// MaxListBuckets is the largest page ListBuckets' max-buckets allows.
const MaxListBuckets = 10000

// ListBucketsInput selects a page of an owner's buckets.
type ListBucketsInput struct {
	Owner  Owner
	Prefix string // only names starting with it (case-sensitive, as in S3)
	Region string // only buckets in this region; "" for all
	After  string // only names after it (a continuation)
	Max    int    // at most this many; 0 for no limit
}

// ListBucketsPage is one page of buckets, ascending by name. Next is the
// last name returned when more buckets follow, else "".
type ListBucketsPage struct {
	Buckets []Bucket
	Next    string
}

// ListBucketsPage returns the page of the owner's buckets that in selects.
// An owner has at most a few thousand buckets, so the filter runs over
// ListBuckets' answer rather than a seek in the store.
func (e *Engine) ListBucketsPage(ctx context.Context, in ListBucketsInput) (ListBucketsPage, error) {
	all, err := e.ListBuckets(ctx, in.Owner)
	if err != nil {
		return ListBucketsPage{}, err
	}
	var page ListBucketsPage
	for _, b := range all {
		if b.Name <= in.After || !strings.HasPrefix(b.Name, in.Prefix) || (in.Region != "" && b.Region != in.Region) {
			continue
		}
		if in.Max > 0 && len(page.Buckets) == in.Max {
			page.Next = page.Buckets[len(page.Buckets)-1].Name
			break
		}
		page.Buckets = append(page.Buckets, b)
	}
	return page, nil
}
