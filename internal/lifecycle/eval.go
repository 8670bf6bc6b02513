package lifecycle

import (
	"net/url"
	"strings"
	"time"
)

// Tags parses a tag set as Tessera stores it (the URL-encoded form of the
// x-amz-tagging header, "k1=v1&k2=v2") into a map. A pair that cannot be
// decoded is skipped: it can match no filter anyway.
func Tags(tagging string) map[string]string {
	if tagging == "" {
		return nil
	}
	vals, _ := url.ParseQuery(tagging)
	out := make(map[string]string, len(vals))
	for k, v := range vals {
		if len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out
}

// due is when an action of the given age falls due for something created
// at t: S3 adds the days to the creation time and rounds the result up "to
// the next day at midnight UTC". A result already at midnight also moves to
// the next one, so nothing is acted on before it is fully the given age.
func due(t time.Time, days int) time.Time {
	return t.UTC().AddDate(0, 0, days).Truncate(24 * time.Hour).Add(24 * time.Hour)
}

// AbortDate reports when the configuration aborts an upload of key, started
// at initiated, and by which rule: the earliest date among the enabled rules
// with an AbortIncompleteMultipartUpload action whose filter matches (on a
// tie, the rule listed first). ok is false when no rule applies, and then
// the upload is never aborted. tags is the upload's tag set; Parse refuses
// the action in a rule that filters by tags or size, so today only the key
// decides. A nil configuration applies to nothing.
func (c *Config) AbortDate(key string, tags map[string]string, initiated time.Time) (date time.Time, ruleID string, ok bool) {
	if c == nil {
		return time.Time{}, "", false
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		a := r.AbortIncompleteMultipartUpload
		if a == nil || r.Status != Enabled || !r.matches(key, tags, -1) {
			continue
		}
		if d := due(initiated, a.DaysAfterInitiation); !ok || d.Before(date) {
			date, ruleID, ok = d, r.ID, true
		}
	}
	return date, ruleID, ok
}

// ObjectExpiry reports when the configuration expires an object (its key,
// tag set, size and last-modified time) and by which rule: the earliest
// among the enabled rules with an Expiration by Days (counted from
// lastModified and rounded up to midnight UTC) or by Date whose filter
// matches; on a tie, the rule listed first. A Date in the past means the
// object is due now. ok is false when no rule applies.
func (c *Config) ObjectExpiry(key string, tags map[string]string, size int64, lastModified time.Time) (date time.Time, ruleID string, ok bool) {
	if c == nil {
		return time.Time{}, "", false
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		e := r.Expiration
		if e == nil || r.Status != Enabled || !r.matches(key, tags, size) {
			continue
		}
		var d time.Time
		switch {
		case e.Days != nil:
			d = due(lastModified, *e.Days)
		case e.Date != nil:
			d = *e.Date
		default:
			continue // ExpiredObjectDeleteMarker alone: versioned buckets only
		}
		if !ok || d.Before(date) {
			date, ruleID, ok = d, r.ID, true
		}
	}
	return date, ruleID, ok
}

// matches reports whether the rule's filter selects an object with that
// key, tag set and size; size < 0 means unknown (an upload), which no size
// predicate matches.
func (r *Rule) matches(key string, tags map[string]string, size int64) bool {
	if r.Prefix != nil {
		return strings.HasPrefix(key, *r.Prefix)
	}
	f := r.Filter
	if f == nil {
		return true
	}
	if f.And != nil {
		a := f.And
		if !prefixMatch(a.Prefix, key) || !sizeMatch(a.ObjectSizeGreaterThan, a.ObjectSizeLessThan, size) {
			return false
		}
		for _, t := range a.Tags {
			if !tagMatch(t, tags) {
				return false
			}
		}
		return true
	}
	if f.Tag != nil && !tagMatch(*f.Tag, tags) {
		return false
	}
	return prefixMatch(f.Prefix, key) && sizeMatch(f.ObjectSizeGreaterThan, f.ObjectSizeLessThan, size)
}

func prefixMatch(p *string, key string) bool { return p == nil || strings.HasPrefix(key, *p) }

// tagMatch: "Each tag must match both the key and value exactly"; a tag
// with an empty value matches only an object tag with an empty value.
func tagMatch(t Tag, tags map[string]string) bool {
	v, ok := tags[t.Key]
	return ok && v == t.Value
}

// sizeMatch applies the size bounds, both exclusive as in S3.
func sizeMatch(gt, lt *int64, size int64) bool {
	if gt == nil && lt == nil {
		return true
	}
	if size < 0 {
		return false
	}
	return (gt == nil || size > *gt) && (lt == nil || size < *lt)
}

// NoncurrentExpiry reports when the configuration permanently removes a
// noncurrent version of key (its tag set and size; a delete marker has
// none, and size -1 then means no size predicate matches it) and by which
// rule. since is when the version became noncurrent: when its successor,
// the next newer version, was created, as S3 counts it. newer is how many
// noncurrent versions of the key are newer than it: a rule with
// NewerNoncurrentVersions n keeps the n newest noncurrent versions and
// applies only to the older ones. The earliest date among the enabled
// matching rules wins (on a tie, the rule listed first); ok is false when
// none applies.
func (c *Config) NoncurrentExpiry(key string, tags map[string]string, size int64, since time.Time, newer int) (date time.Time, ruleID string, ok bool) {
	if c == nil {
		return time.Time{}, "", false
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		v := r.NoncurrentVersionExpiration
		if v == nil || r.Status != Enabled || !r.matches(key, tags, size) {
			continue
		}
		if v.NewerNoncurrentVersions != nil && newer < *v.NewerNoncurrentVersions {
			continue
		}
		if d := due(since, v.NoncurrentDays); !ok || d.Before(date) {
			date, ruleID, ok = d, r.ID, true
		}
	}
	return date, ruleID, ok
}

// MarkerExpiry reports when the configuration removes an expired object
// delete marker of key (a delete marker that is its key's latest and only
// version), created at lastModified, and by which rule. S3 removes it under
// a rule with ExpiredObjectDeleteMarker true at once, and under an
// Expiration by Days or Date once the marker itself has the age (AWS user
// guide, "Managing delete markers": "If the lifecycle configuration is set
// to delete current versions, or the ExpiredObjectDeleteMarker action is
// explicitly set, Amazon S3 removes the expired object's delete marker";
// AWS's answer on re:Post: "When you specify the Days tag, Amazon S3
// automatically performs ExpiredObjectDeleteMarker cleanup when the delete
// markers are old enough to satisfy the age criteria"). A marker has no
// tags and no size, so rules filtering on them never match it (Parse
// refuses ExpiredObjectDeleteMarker with such filters anyway).
func (c *Config) MarkerExpiry(key string, lastModified time.Time) (date time.Time, ruleID string, ok bool) {
	if c == nil {
		return time.Time{}, "", false
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		e := r.Expiration
		if e == nil || r.Status != Enabled || !r.matches(key, nil, -1) {
			continue
		}
		var d time.Time
		switch {
		case e.Days != nil:
			d = due(lastModified, *e.Days)
		case e.Date != nil:
			d = *e.Date
		case e.ExpiredObjectDeleteMarker != nil && *e.ExpiredObjectDeleteMarker:
			d = lastModified
		default:
			continue // ExpiredObjectDeleteMarker false: "the policy takes no action"
		}
		if !ok || d.Before(date) {
			date, ruleID, ok = d, r.ID, true
		}
	}
	return date, ruleID, ok
}
