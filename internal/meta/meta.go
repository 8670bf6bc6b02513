// Package meta defines the metadata Store: the records Tessera keeps about
// buckets, objects and multipart uploads, and the domain operations on them.
// Each backend (pebble for the embedded default, postgres for scale-out)
// implements Store with its own atomicity; metatest holds the contract suite
// every backend must pass. This package imports no driver.
package meta

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"
)

// Sentinel errors. Backends wrap them with %w; callers test with errors.Is.
var (
	ErrNotFound       = errors.New("meta: not found")
	ErrBucketExists   = errors.New("meta: bucket already exists")
	ErrBucketNotEmpty = errors.New("meta: bucket not empty")
	// ErrUnavailable is a store that cannot be reached: its database is
	// down, restarting or cut off. Any method may return it; the request
	// may be retried once the store is back. It says nothing about what
	// happened to a write whose outcome was in flight when the store went
	// away (its COMMIT sent, no answer read): it may have committed whole
	// or not at all, never in part, and a caller must not assume either.
	ErrUnavailable = errors.New("meta: metadata store unavailable")
	// ErrNoSpace: the metadata store's disk is full (PostgreSQL's
	// disk_full). It satisfies errors.Is(err, syscall.ENOSPC), as a full
	// data directory's own error does, so the edge answers both alike.
	ErrNoSpace = fmt.Errorf("meta: the metadata store's disk is full: %w", syscall.ENOSPC)
)

// Owner identifies an account: its canonical user ID and display name.
type Owner struct {
	ID          string
	DisplayName string
}

// Versioning states of a bucket, as S3 names them. A bucket that never had
// versioning enabled has the state "".
const (
	VersioningEnabled   = "Enabled"
	VersioningSuspended = "Suspended"
)

// NullVersion is the version ID of the null version: the version a write
// makes while the bucket's versioning is not Enabled. Records written before
// versions existed have VersionID "" and are read back as NullVersion.
const NullVersion = "null"

// Bucket is a bucket record.
type Bucket struct {
	Name    string
	Region  string
	Owner   Owner
	Created time.Time
	// Versioning is "", VersioningEnabled or VersioningSuspended. The
	// store reads it inside every write to decide the version it makes.
	Versioning string `json:",omitempty"`
	// ObjectLock is set at creation and never cleared.
	ObjectLock bool `json:",omitempty"`
}

// ContentHeaders are the standard representation headers stored with an
// object or an upload and returned on GET/HEAD.
type ContentHeaders struct {
	ContentType        string
	ContentEncoding    string
	ContentDisposition string
	ContentLanguage    string
	CacheControl       string
	Expires            string
}

// Checksums maps an algorithm name ("CRC32", "CRC32C", "CRC64NVME", "SHA1",
// "SHA256", …) to its base64 value.
type Checksums map[string]string

// Segment is one stretch of an object's bytes held in one blob. A single-PUT
// object has one segment with PartNumber 0; a completed multipart object has
// one segment per chosen part, in part order.
type Segment struct {
	BlobID     string
	Size       int64 // plaintext bytes, whatever the blob holds
	PartNumber int
	ETag       string // hex MD5, no quotes
	Checksums  Checksums
	// Crypt is the blob's encryption record (the engine's format: its
	// nonce prefix, salt and sealed data key), nil for a plaintext blob.
	// It lives here, never beside the bytes.
	Crypt []byte
}

// Encryption is how an object's or an upload's bytes are encrypted at
// rest; nil means plaintext. Per-blob secrets are in Segment.Crypt and
// Part.Crypt.
type Encryption struct {
	// Mode is "SSE-C", "AES256" (SSE-S3), "aws:kms" or "aws:kms:dsse".
	Mode       string
	KMSKeyID   string `json:",omitempty"`
	KMSContext string `json:",omitempty"`
	BucketKey  bool   `json:",omitempty"`
	// CustomerKeyCheck recognises an SSE-C key without storing it (a
	// salted MAC of the key, engine-defined).
	CustomerKeyCheck []byte `json:",omitempty"`
}

// Retention is an object version's Object Lock retention.
type Retention struct {
	Mode  string // "GOVERNANCE" or "COMPLIANCE"
	Until time.Time
}

// Object is one version of a key: an object or a delete marker.
type Object struct {
	Bucket string
	Key    string
	// VersionID is NullVersion or an ID made by NewVersionID; the store
	// assigns it on every write.
	VersionID string `json:",omitempty"`
	// Seq orders the versions of a key (the latest has the largest); the
	// store assigns it, greater than every other version's of the key.
	Seq int64 `json:",omitempty"`
	// DeleteMarker: the version is a delete marker (no bytes, no manifest).
	DeleteMarker bool `json:",omitempty"`
	// IsLatest is set by reads; it is not stored.
	IsLatest bool `json:"-"`
	// Retention and LegalHold are the version's Object Lock state;
	// LegalHold is "" (never set), "ON" or "OFF".
	Retention    *Retention `json:",omitempty"`
	LegalHold    string     `json:",omitempty"`
	Size         int64
	ETag         string // without quotes; multipart ETags end in "-N"
	LastModified time.Time
	Owner        Owner
	StorageClass string
	Headers      ContentHeaders
	UserMeta     map[string]string // keys lower-case, without the x-amz-meta- prefix
	Tagging      string            // URL-encoded tag set, as sent in x-amz-tagging
	Checksums    Checksums
	ChecksumType string // "FULL_OBJECT" or "COMPOSITE" (or "" when none)
	PartsCount   int    // number of parts for a multipart object, 0 otherwise
	// Segments is the manifest. ListObjects may leave it nil.
	Segments []Segment
	// WebsiteRedirectLocation is x-amz-website-redirect-location as sent
	// ("" when none). It is not in Headers because CopyObject never takes
	// it from the source: S3 treats it as unique to each object.
	WebsiteRedirectLocation string
	// Encryption is nil for an object stored in plaintext.
	Encryption *Encryption `json:",omitempty"`
	// ACL is the version's access control list as the s3api layer encodes
	// it ("" for the default: its owner has full control).
	ACL string `json:",omitempty"`
}

// Upload is an in-progress multipart upload.
type Upload struct {
	ID                string
	Bucket            string
	Key               string
	Initiated         time.Time
	Initiator         Owner
	Owner             Owner
	StorageClass      string
	Headers           ContentHeaders
	UserMeta          map[string]string
	Tagging           string
	ChecksumAlgorithm string
	ChecksumType      string
	// WebsiteRedirectLocation is given to the object the upload completes.
	WebsiteRedirectLocation string
	// Encryption applies to every part, and to the object.
	Encryption *Encryption `json:",omitempty"`
	// Retention and LegalHold are given to the object the upload completes.
	Retention *Retention `json:",omitempty"`
	LegalHold string     `json:",omitempty"`
	// ACL is given to the object the upload completes (see Object.ACL).
	ACL string `json:",omitempty"`
}

// Part is one uploaded part of an upload; the latest upload of a part number wins.
type Part struct {
	UploadID     string
	Number       int
	BlobID       string
	Size         int64
	ETag         string // hex MD5, no quotes
	LastModified time.Time
	Checksums    Checksums
	Crypt        []byte // the blob's encryption record, as Segment.Crypt
}

// Completion is the remembered result of a completed upload, so that a
// retried CompleteMultipartUpload answers with the same result.
type Completion struct {
	UploadID     string
	Bucket       string
	Key          string
	ETag         string
	Checksums    Checksums
	ChecksumType string
	Size         int64
	Parts        []int // the part numbers the object was made of
	Completed    time.Time
	VersionID    string `json:",omitempty"` // the version the upload made
}

// Doc is a small stored document: its ID and bytes.
type Doc struct {
	ID   string
	Data []byte
}

// BuildFunc turns an upload and all of its parts (ascending by number) into
// the object that completes it. It runs while the store holds the upload and
// the key locked, so the parts it sees are the ones that will be used. An
// error from it aborts the completion and is returned as is.
type BuildFunc func(u Upload, parts []Part) (Object, error)

// CheckFunc inspects a version before a write replaces or removes it, or
// the latest version (nil when the key has none, possibly a delete marker)
// before a write makes a new latest; an error aborts the write and is
// returned as is. It runs under the key's lock.
type CheckFunc func(cur *Object) error

// Deletion is a DeleteObject request: the key, the version to remove (""
// to delete the key as S3 does without a version ID), and the LastModified
// and Owner of the delete marker, when one is added.
type Deletion struct {
	Bucket, Key string
	VersionID   string
	At          time.Time
	By          Owner
}

// DeleteResult is what DeleteObject did: the version it removed and the
// delete marker it added (either may be nil, not both).
type DeleteResult struct {
	Removed *Object
	Marker  *Object
}

// Store is the metadata store. All methods are safe for concurrent use.
//
// Methods that free blobs return their IDs as garbage: the store has
// recorded them durably in the same atomic step, the caller removes the blobs
// and then calls DeleteGarbage. A crash in between leaves the IDs in
// Garbage for the collector.
type Store interface {
	// CreateBucket creates b; ErrBucketExists if the name is taken.
	CreateBucket(ctx context.Context, b Bucket) error
	// GetBucket returns the bucket or ErrNotFound.
	GetBucket(ctx context.Context, name string) (Bucket, error)
	// ListBuckets returns every bucket, ascending by name.
	ListBuckets(ctx context.Context) ([]Bucket, error)
	// DeleteBucket removes a bucket that holds no object version and no
	// delete marker: ErrNotFound if absent, ErrBucketNotEmpty otherwise. Its in-progress
	// uploads are deleted with it (as S3 does) and their part blobs are
	// returned as garbage; so are its configuration documents.
	DeleteBucket(ctx context.Context, name string) (garbage []string, err error)

	// UpdateBucket calls fn with the bucket and stores what it leaves
	// (fn must not change the name); ErrNotFound if the bucket is absent.
	UpdateBucket(ctx context.Context, name string, fn func(*Bucket) error) error

	// PutObject makes obj the latest version of its key, atomically and
	// durably, and returns it as stored. The store assigns obj.Seq and
	// obj.VersionID: a new ID on a bucket whose versioning is Enabled;
	// otherwise NullVersion, and the key's null version, latest or not, is
	// replaced. The previous latest, unless replaced, becomes noncurrent.
	// check (optional) vets the latest first. The blobs of a replaced
	// version that obj does not reuse are returned as garbage. ErrNotFound
	// if the bucket is gone.
	PutObject(ctx context.Context, obj Object, check CheckFunc) (Object, []string, error)
	// GetObject returns a version with its Segments: the latest when
	// versionID is "" (possibly a delete marker), else the version with
	// that ID. ErrNotFound if there is none.
	GetObject(ctx context.Context, bucket, key, versionID string) (Object, error)
	// DeleteObject with d.VersionID "" adds a delete marker as the latest on
	// a bucket whose versioning is Enabled (a new version ID) or Suspended
	// (the null marker, replacing the null version), and on an unversioned
	// bucket removes the latest (ErrNotFound if there is none); check gets
	// the latest. With a versionID it removes that version (ErrNotFound if
	// there is none), check getting it; when it was the latest, the newest
	// remaining version becomes latest. The removed version's blobs are
	// garbage.
	DeleteObject(ctx context.Context, d Deletion, check CheckFunc) (DeleteResult, []string, error)
	// UpdateObject edits a version in place (tags, ACL, retention, legal hold):
	// fn gets the version (the latest when versionID is "") and may change
	// anything but its identity, bytes and order (key, version, Seq,
	// Segments, Size, DeleteMarker). Returns the stored version;
	// ErrNotFound if there is none.
	UpdateObject(ctx context.Context, bucket, key, versionID string, fn func(*Object) error) (Object, error)
	// ListObjects returns up to limit latest versions that are not delete
	// markers, whose key has the prefix and is >= from, ascending by key
	// (byte order). Segments may be nil.
	ListObjects(ctx context.Context, bucket, prefix, from string, limit int) ([]Object, error)
	// ListVersions returns up to limit versions and delete markers whose key
	// has the prefix, ordered by key and then newest first, with IsLatest
	// set and nil Segments, strictly after the position (afterKey,
	// afterVersionID): with afterVersionID "" every version of afterKey is
	// skipped; otherwise the versions of afterKey older than that version
	// come first. ErrNotFound if afterVersionID names no version of afterKey
	// and cannot be placed (a NullVersion that does not exist, or an ID not
	// made by NewVersionID).
	ListVersions(ctx context.Context, bucket, prefix, afterKey, afterVersionID string, limit int) ([]Object, error)

	// CreateUpload records a new upload. ErrNotFound if the bucket is gone.
	CreateUpload(ctx context.Context, u Upload) error
	// GetUpload returns the upload with that ID in that bucket and key, or
	// ErrNotFound (also when the ID exists under another bucket or key).
	GetUpload(ctx context.Context, bucket, key, uploadID string) (Upload, error)
	// PutPart records p (its blob already durable), replacing a part with
	// the same number; the replaced blob is returned as garbage.
	// ErrNotFound if the upload is gone (the caller then removes p's blob).
	PutPart(ctx context.Context, bucket, key string, p Part) (garbage []string, err error)
	// ListParts returns up to limit parts numbered > after, ascending.
	ListParts(ctx context.Context, uploadID string, after, limit int) ([]Part, error)
	// UploadParts is GetUpload and ListParts in one call (on PostgreSQL
	// one round trip): ListParts' page of the upload with that ID in that
	// bucket and key, and the upload; ErrNotFound as GetUpload.
	UploadParts(ctx context.Context, bucket, key, uploadID string, after, limit int) (Upload, []Part, error)
	// CompleteUpload atomically: calls build with the upload and all its
	// parts, calls check with the key's latest version, stores the built
	// object as PutObject does (assigning its version), deletes the upload and its parts, records a Completion, and
	// returns as garbage the blobs of the replaced object and of the parts
	// the object does not use. ErrNotFound if the upload is gone.
	CompleteUpload(ctx context.Context, bucket, key, uploadID string, build BuildFunc, check CheckFunc) (Object, []string, error)
	// GetCompletion returns the remembered result of a completed upload, or ErrNotFound.
	GetCompletion(ctx context.Context, bucket, key, uploadID string) (Completion, error)
	// PruneCompletions forgets completions recorded before the time and
	// returns how many it forgot (a retried Complete is answered for a while,
	// not forever).
	PruneCompletions(ctx context.Context, before time.Time) (int, error)
	// AbortUpload deletes the upload and its parts; their blobs are garbage.
	// ErrNotFound if the upload is gone.
	AbortUpload(ctx context.Context, bucket, key, uploadID string) (garbage []string, err error)
	// ListUploads returns up to limit uploads of the bucket whose key has the
	// prefix, ordered by (key, initiated, ID), strictly after the position
	// (afterKey, afterUploadID): with afterUploadID "" every upload of
	// afterKey is skipped; otherwise uploads of afterKey that come after
	// afterUploadID in that order are included.
	ListUploads(ctx context.Context, bucket, prefix, afterKey, afterUploadID string, limit int) ([]Upload, error)

	// Garbage returns up to limit blob IDs recorded as garbage.
	Garbage(ctx context.Context, limit int) ([]string, error)
	// DeleteGarbage forgets blob IDs whose blobs have been removed.
	DeleteGarbage(ctx context.Context, ids []string) error
	// ForEachBlobRef calls fn with every blob ID the metadata refers to:
	// every version's segments, uploads' parts and the garbage list (a snapshot;
	// blobs written after it started may be missing).
	ForEachBlobRef(ctx context.Context, fn func(blobID string)) error
	// RewriteCrypt visits every non-nil Crypt record of objects' segments
	// and uploads' parts (see CryptFunc) and stores the ones fn changes;
	// it returns how many it rewrote.
	RewriteCrypt(ctx context.Context, fn CryptFunc) (rewritten int, err error)

	// PutBucketConfig stores a bucket configuration document (e.g.
	// "lifecycle", "policy") verbatim. ErrNotFound if the bucket is gone.
	// DeleteBucket removes a bucket's configurations.
	PutBucketConfig(ctx context.Context, bucket, name string, doc []byte) error
	// GetBucketConfig returns the document or ErrNotFound.
	GetBucketConfig(ctx context.Context, bucket, name string) ([]byte, error)
	// GetBucketConfigs returns the bucket and those of the named
	// configuration documents it has, by name (an absent one is not in the
	// map), read together: one consistent read, on PostgreSQL one query, so
	// that a request learns what it needs of its bucket in one round trip.
	// ErrNotFound if the bucket is absent.
	GetBucketConfigs(ctx context.Context, bucket string, names ...string) (Bucket, map[string][]byte, error)
	// DeleteBucketConfig removes the document (absent is not an error).
	DeleteBucketConfig(ctx context.Context, bucket, name string) error

	// PutDoc stores a small document of a kind (accounts, access keys,
	// usage counters: state off the S3 data path), durably.
	PutDoc(ctx context.Context, kind, id string, doc []byte) error
	// GetDoc returns the document or ErrNotFound.
	GetDoc(ctx context.Context, kind, id string) ([]byte, error)
	// ListDocs returns every document of the kind, ascending by ID.
	ListDocs(ctx context.Context, kind string) ([]Doc, error)
	// DeleteDoc removes the document (absent is not an error).
	DeleteDoc(ctx context.Context, kind, id string) error

	// Cluster is how gateways sharing the store coordinate (cluster.go).
	Cluster

	// Close releases the store.
	Close() error
}
