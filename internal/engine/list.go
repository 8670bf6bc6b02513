package engine

import (
	"context"
	"strings"
)

// ListInput is a ListObjects (v1 or v2) request, in engine terms.
type ListInput struct {
	Bucket    string
	Prefix    string
	Delimiter string
	// After is exclusive: the marker, start-after or continuation position.
	After   string
	MaxKeys int
}

// ListResult is one page of a listing. Objects and CommonPrefixes are each
// ascending; together they hold at most MaxKeys entries.
type ListResult struct {
	Objects        []Object
	CommonPrefixes []string
	IsTruncated    bool
	// Next is the last key or common prefix of the page: the position to
	// continue after.
	Next string
}

// ListObjects lists a bucket the way S3 does: keys with Prefix, those with
// Delimiter after the prefix rolled up into CommonPrefixes. It reads the
// store in key order and skips a whole common prefix with one seek, so a
// page costs O(page) store reads, not O(bucket).
func (e *Engine) ListObjects(ctx context.Context, in ListInput) (ListResult, error) {
	var res ListResult
	if _, err := e.bucketExists(ctx, in.Bucket); err != nil {
		return res, err
	}
	if in.MaxKeys <= 0 {
		return res, nil
	}
	from := in.Prefix
	if in.After >= from {
		from = in.After + "\x00" // the smallest key after After
	}
	count := 0
	batch := min(in.MaxKeys+1, MaxListKeys+1)
outer:
	for {
		objs, err := e.meta.ListObjects(ctx, in.Bucket, in.Prefix, from, batch)
		if err != nil {
			return res, err
		}
		for i, o := range objs {
			if in.Delimiter != "" {
				rest := o.Key[len(in.Prefix):]
				if j := strings.Index(rest, in.Delimiter); j >= 0 {
					cp := in.Prefix + rest[:j+len(in.Delimiter)]
					next := prefixEnd(cp)
					if strings.HasPrefix(in.After, cp) {
						// The marker is inside this prefix: it was returned already.
						from = next
						continue outer
					}
					if count == in.MaxKeys {
						res.IsTruncated = true
						return res, nil
					}
					res.CommonPrefixes = append(res.CommonPrefixes, cp)
					res.Next = cp
					count++
					if next == "" {
						return res, nil
					}
					from = next
					continue outer
				}
			}
			if count == in.MaxKeys {
				res.IsTruncated = true
				return res, nil
			}
			res.Objects = append(res.Objects, o)
			res.Next = o.Key
			count++
			if i == len(objs)-1 {
				from = o.Key + "\x00"
			}
		}
		if len(objs) < batch {
			return res, nil
		}
	}
}

// prefixEnd returns the smallest string greater than every string with
// prefix p ("" if there is none).
func prefixEnd(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}
