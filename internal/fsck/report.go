package fsck

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Class is a kind of finding.
type Class string

// The finding classes, in the order reports list them.
const (
	// MissingBlob: a version or part names a blob that does not exist.
	MissingBlob Class = "missing-blob"
	// SizeMismatch: the blob's size is not the one its record needs.
	SizeMismatch Class = "size-mismatch"
	// ChecksumMismatch (deep): a plaintext blob's bytes do not match its
	// recorded MD5 (ETag) or checksums.
	ChecksumMismatch Class = "checksum-mismatch"
	// UnreadableBlob: the blob exists but reading or measuring it failed.
	UnreadableBlob Class = "unreadable-blob"
	// BadBlobID: a record names something that is not a blob ID.
	BadBlobID Class = "bad-blob-id"
	// BadRecord: records disagree with themselves or with each other.
	BadRecord Class = "bad-record"
	// DanglingRef: a blob is referenced by a record no listing reaches.
	DanglingRef Class = "dangling-ref"
	// GarbageInUse: a garbage entry names a blob a live record uses.
	GarbageInUse Class = "garbage-in-use"
	// Orphan: a blob nothing refers to, older than the grace.
	Orphan Class = "orphan"
	// StaleTemp: a temp file a stopped gateway left.
	StaleTemp Class = "stale-temp"
)

// Classes lists every class in report order.
var Classes = []Class{MissingBlob, SizeMismatch, ChecksumMismatch, UnreadableBlob, BadBlobID, BadRecord, DanglingRef, GarbageInUse, Orphan, StaleTemp}

// Item is one finding: the blob or file, the record that names it (if
// any), and what is wrong.
type Item struct {
	Blob      string `json:"blob,omitempty"`
	Path      string `json:"path,omitempty"` // temp files, relative to the data directory
	Bucket    string `json:"bucket,omitempty"`
	Key       string `json:"key,omitempty"`
	VersionID string `json:"version_id,omitempty"`
	UploadID  string `json:"upload_id,omitempty"`
	Part      int    `json:"part,omitempty"`
	Size      int64  `json:"size,omitempty"`
	Detail    string `json:"detail,omitempty"`
}

// Finding is a class's count and its first items.
type Finding struct {
	Count int    `json:"count"`
	Items []Item `json:"items"`
}

// Stats is what the check saw. None of it is a finding.
type Stats struct {
	Buckets       int `json:"buckets"`
	Versions      int `json:"versions"`
	DeleteMarkers int `json:"delete_markers"`
	Uploads       int `json:"uploads"`
	Parts         int `json:"parts"`
	// Referenced is how many distinct blobs versions and parts use.
	Referenced int `json:"referenced_blobs"`
	// Garbage is how many entries the garbage list has (their blobs may
	// already be gone: the collector removes the blob, then the entry).
	Garbage          int  `json:"garbage"`
	GarbageTruncated bool `json:"garbage_truncated,omitempty"`
	// OnDisk is how many blobs the data directory holds.
	OnDisk int `json:"blobs_on_disk"`
	// InFlight counts unreferenced blobs younger than the grace: writes
	// whose metadata is not committed yet (or orphans of a recent crash).
	InFlight int `json:"in_flight_blobs"`
	// TempInFlight counts temp files of registered gateways.
	TempInFlight int `json:"temp_in_flight"`
	// Verified and BytesRead are what a deep check read.
	Verified  int   `json:"verified_blobs"`
	BytesRead int64 `json:"bytes_read"`
}

// Report is the result of a check.
type Report struct {
	Started time.Time `json:"started"`
	Seconds float64   `json:"seconds"`
	Deep    bool      `json:"deep"`
	Repair  bool      `json:"repair"`
	// GraceSeconds is the orphan grace the check used.
	GraceSeconds float64 `json:"orphan_grace_seconds"`
	Stats        Stats   `json:"stats"`
	// Findings by class; classes without findings are absent.
	Findings map[Class]*Finding `json:"findings"`
	// Repaired is how many orphans Repair removed; RepairFailed how many it
	// could not, with the first error.
	Repaired     int    `json:"repaired"`
	RepairFailed int    `json:"repair_failed,omitempty"`
	RepairError  string `json:"repair_error,omitempty"`

	maxItems int
}

func newReport(o Options) *Report {
	return &Report{Deep: o.Deep, Repair: o.Repair, GraceSeconds: o.Grace.Seconds(), Findings: map[Class]*Finding{}, maxItems: o.MaxItems}
}

func (r *Report) add(c Class, it Item) {
	f := r.Findings[c]
	if f == nil {
		f = &Finding{}
		r.Findings[c] = f
	}
	f.Count++
	if len(f.Items) < r.maxItems {
		f.Items = append(f.Items, it)
	}
}

// Count is how many findings of class c the check made.
func (r *Report) Count(c Class) int {
	if f := r.Findings[c]; f != nil {
		return f.Count
	}
	return 0
}

// Problems is how many findings remain: all of them, less the orphans
// Repair removed. Zero means the store is clean.
func (r *Report) Problems() int {
	n := 0
	for _, f := range r.Findings {
		n += f.Count
	}
	return n - r.Repaired
}

// WriteText writes the report for people: a summary, the count of each
// class, then each class's items.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	s := r.Stats
	mode := "quick"
	if r.Deep {
		mode = "deep"
	}
	fmt.Fprintf(&b, "tessera fsck (%s check, %.1fs)\n", mode, r.Seconds)
	fmt.Fprintf(&b, "checked: %d buckets, %d versions (+%d delete markers), %d uploads with %d parts, %d referenced blobs, %d garbage entries, %d blobs on disk\n",
		s.Buckets, s.Versions, s.DeleteMarkers, s.Uploads, s.Parts, s.Referenced, s.Garbage, s.OnDisk)
	if r.Deep {
		fmt.Fprintf(&b, "deep: read %d blobs, %d bytes; plaintext blobs verified against their MD5 and checksums, encrypted ones read whole but not authenticated\n", s.Verified, s.BytesRead)
	}
	fmt.Fprintf(&b, "in flight (not findings): %d unreferenced blobs younger than %s, %d temp files of registered gateways\n",
		s.InFlight, time.Duration(r.GraceSeconds*float64(time.Second)), s.TempInFlight)
	if s.GarbageTruncated {
		fmt.Fprintf(&b, "note: the garbage list was read only in part (%d entries)\n", s.Garbage)
	}
	if len(r.Findings) == 0 {
		b.WriteString("\nclean: no findings\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FINDING\tCOUNT")
	for _, c := range Classes {
		if f := r.Findings[c]; f != nil {
			fmt.Fprintf(tw, "%s\t%d\n", c, f.Count)
		}
	}
	tw.Flush()
	if r.Repair {
		fmt.Fprintf(&b, "repair: removed %d orphans", r.Repaired)
		if r.RepairFailed > 0 {
			fmt.Fprintf(&b, ", %d could not be removed (%s)", r.RepairFailed, r.RepairError)
		}
		b.WriteString("\n")
	}
	for _, c := range Classes {
		f := r.Findings[c]
		if f == nil {
			continue
		}
		fmt.Fprintf(&b, "\n%s (%d", c, f.Count)
		if len(f.Items) < f.Count {
			fmt.Fprintf(&b, ", first %d", len(f.Items))
		}
		b.WriteString("):\n")
		for _, it := range f.Items {
			b.WriteString("  " + it.String() + "\n")
		}
	}
	fmt.Fprintf(&b, "\n%d findings remain\n", r.Problems())
	_, err := io.WriteString(w, b.String())
	return err
}

// String is the item on one line: what, where, why.
func (it Item) String() string {
	var parts []string
	if it.Blob != "" {
		parts = append(parts, "blob "+it.Blob)
	}
	if it.Path != "" {
		parts = append(parts, it.Path)
	}
	if it.Bucket != "" {
		where := it.Bucket + "/" + it.Key
		switch {
		case it.UploadID != "":
			where += fmt.Sprintf(" upload %s part %d", it.UploadID, it.Part)
		case it.VersionID != "":
			where += " version " + it.VersionID
			if it.Part > 0 {
				where += fmt.Sprintf(" part %d", it.Part)
			}
		}
		parts = append(parts, where)
	}
	if it.Size > 0 {
		parts = append(parts, fmt.Sprintf("%d bytes", it.Size))
	}
	s := strings.Join(parts, ", ")
	if it.Detail != "" {
		s += ": " + it.Detail
	}
	return s
}
