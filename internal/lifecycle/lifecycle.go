// Package lifecycle holds S3 bucket lifecycle configurations: the document
// types, a strict parser that answers with S3's errors (Parse), the rules'
// evaluation for one upload or object (AbortDate, ObjectExpiry), and the
// background Worker that enforces them.
//
// Tessera implements the Expiration (current versions: a delete marker on
// a versioned bucket; expired object delete markers, by age or by
// ExpiredObjectDeleteMarker), NoncurrentVersionExpiration and
// AbortIncompleteMultipartUpload actions. Transition actions are refused as
// not implemented rather than stored and silently ignored.
package lifecycle

import (
	"encoding/xml"
	"time"
)

// Limits S3 enforces on a configuration.
const (
	MaxRules    = 1000
	MaxIDLength = 255
	// MaxObjectSize bounds ObjectSizeGreaterThan / ObjectSizeLessThan, as
	// S3 states it in its error message (1000 TiB).
	MaxObjectSize = 1099511627776000
	// MaxNewerNoncurrent bounds NewerNoncurrentVersions (AWS user guide:
	// "up to 100 noncurrent versions").
	MaxNewerNoncurrent = 100
)

// Rule statuses.
const (
	Enabled  = "Enabled"
	Disabled = "Disabled"
)

// Config is a parsed, valid lifecycle configuration. Every rule has an ID.
// The xml tags give the document Marshal writes and GET returns.
type Config struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ LifecycleConfiguration"`
	Rules   []Rule   `xml:"Rule"`
}

// Rule is one lifecycle rule. Exactly one of Prefix (the legacy rule-level
// prefix, "Lifecycle V1") and Filter is set; a configuration uses one form
// for all its rules.
type Rule struct {
	ID                             string                          `xml:"ID"`
	Prefix                         *string                         `xml:"Prefix"`
	Filter                         *Filter                         `xml:"Filter"`
	Status                         string                          `xml:"Status"`
	Expiration                     *Expiration                     `xml:"Expiration"`
	NoncurrentVersionExpiration    *NoncurrentVersionExpiration    `xml:"NoncurrentVersionExpiration"`
	AbortIncompleteMultipartUpload *AbortIncompleteMultipartUpload `xml:"AbortIncompleteMultipartUpload"`
}

// Filter selects the objects a rule applies to. At most one of its fields
// is set; an empty Filter selects every object of the bucket.
type Filter struct {
	Prefix                *string `xml:"Prefix"`
	Tag                   *Tag    `xml:"Tag"`
	ObjectSizeGreaterThan *int64  `xml:"ObjectSizeGreaterThan"`
	ObjectSizeLessThan    *int64  `xml:"ObjectSizeLessThan"`
	And                   *And    `xml:"And"`
}

// And is the conjunction of two or more predicates.
type And struct {
	Prefix                *string `xml:"Prefix"`
	Tags                  []Tag   `xml:"Tag"`
	ObjectSizeGreaterThan *int64  `xml:"ObjectSizeGreaterThan"`
	ObjectSizeLessThan    *int64  `xml:"ObjectSizeLessThan"`
}

// Tag is an object tag a filter requires, key and value matched exactly.
type Tag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// Expiration removes objects: Days after their last modification (rounded
// up to midnight UTC), or from Date on; on a versioned bucket "removes"
// means a delete marker is added. ExpiredObjectDeleteMarker (never with Days
// or Date) removes a delete marker left as its key's only version; an
// Expiration by Days or Date removes such a marker too once the marker
// itself is old enough.
type Expiration struct {
	Date                      *time.Time `xml:"Date"`
	Days                      *int       `xml:"Days"`
	ExpiredObjectDeleteMarker *bool      `xml:"ExpiredObjectDeleteMarker"`
}

// NoncurrentVersionExpiration permanently removes noncurrent versions (and
// noncurrent delete markers) NoncurrentDays after they became noncurrent,
// rounded up to midnight UTC, keeping the NewerNoncurrentVersions newest
// noncurrent versions of each key when that is set.
type NoncurrentVersionExpiration struct {
	NoncurrentDays          int  `xml:"NoncurrentDays"`
	NewerNoncurrentVersions *int `xml:"NewerNoncurrentVersions"`
}

// AbortIncompleteMultipartUpload aborts uploads DaysAfterInitiation days
// after they were started (rounded up to midnight UTC).
type AbortIncompleteMultipartUpload struct {
	DaysAfterInitiation int `xml:"DaysAfterInitiation"`
}

// Marshal writes the configuration as S3 returns it from
// GetBucketLifecycleConfiguration: an XML declaration, then the document in
// S3's namespace, each rule as ID, filter (or legacy prefix), Status, actions.
// The output of Marshal parses back to an equal Config, so it is what the
// engine stores: generated IDs stay stable across reads and restarts.
func (c *Config) Marshal() []byte {
	body, err := xml.Marshal(c)
	if err != nil {
		// Every field is a string, number, bool or time: Marshal cannot fail.
		panic("lifecycle: marshal: " + err.Error())
	}
	return append([]byte(xml.Header), body...)
}
