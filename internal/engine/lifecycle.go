package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tessera-s3/tessera/internal/lifecycle"
	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// lifecycleDoc names the lifecycle configuration among a bucket's
// configuration documents.
const lifecycleDoc = "lifecycle"

// lcCache remembers the parsed lifecycle configuration of each bucket
// beside the stored bytes it came from. Every use still reads the stored
// document (one metadata get), so a change made through another gateway
// on the same metadata is seen at once; the cache only saves re-parsing
// an unchanged document. The zero value is ready to use.
type lcCache struct {
	mu sync.Mutex
	m  map[string]lcEntry
}

type lcEntry struct {
	doc []byte
	cfg *lifecycle.Config
}

// PutBucketLifecycle validates doc as S3 does and makes it the bucket's
// lifecycle configuration, replacing any previous one. What is stored is
// the parsed configuration written back out, with generated rule IDs
// filled in, so reads and restarts return the same document.
func (e *Engine) PutBucketLifecycle(ctx context.Context, bucket string, doc []byte) error {
	if _, err := e.bucketExists(ctx, bucket); err != nil {
		return err
	}
	cfg, err := lifecycle.Parse(doc)
	if err != nil {
		return err
	}
	dropView(ctx, bucket)
	if err := e.meta.PutBucketConfig(ctx, bucket, lifecycleDoc, cfg.Marshal()); err != nil {
		if errors.Is(err, meta.ErrNotFound) {
			return noSuchBucket(bucket)
		}
		return err
	}
	return nil
}

// GetBucketLifecycle returns the stored configuration document as it was
// stored (an XML document), or NoSuchLifecycleConfiguration.
func (e *Engine) GetBucketLifecycle(ctx context.Context, bucket string) ([]byte, error) {
	if _, err := e.bucketExists(ctx, bucket); err != nil {
		return nil, err
	}
	doc, err := e.getBucketConfig(ctx, bucket, lifecycleDoc)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, s3err.New(s3err.NoSuchLifecycleConfiguration).With("BucketName", bucket)
	}
	return doc, err
}

// DeleteBucketLifecycle removes the configuration; none is not an error.
func (e *Engine) DeleteBucketLifecycle(ctx context.Context, bucket string) error {
	if _, err := e.bucketExists(ctx, bucket); err != nil {
		return err
	}
	dropView(ctx, bucket)
	if err := e.meta.DeleteBucketConfig(ctx, bucket, lifecycleDoc); err != nil && !errors.Is(err, meta.ErrNotFound) {
		return err
	}
	e.lc.mu.Lock()
	delete(e.lc.m, bucket)
	e.lc.mu.Unlock()
	return nil
}

// bucketLifecycle returns the bucket's configuration as it is now, nil
// when it has none.
func (e *Engine) bucketLifecycle(ctx context.Context, bucket string) (*lifecycle.Config, error) {
	doc, err := e.getBucketConfig(ctx, bucket, lifecycleDoc)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	e.lc.mu.Lock()
	ent, ok := e.lc.m[bucket]
	e.lc.mu.Unlock()
	if ok && bytes.Equal(ent.doc, doc) {
		return ent.cfg, nil
	}
	cfg, err := lifecycle.Parse(doc)
	if err != nil {
		// Only valid documents are stored: this one was damaged since.
		return nil, fmt.Errorf("engine: stored lifecycle configuration of bucket %q: %w", bucket, err)
	}
	e.lc.mu.Lock()
	if e.lc.m == nil {
		e.lc.m = make(map[string]lcEntry)
	}
	e.lc.m[bucket] = lcEntry{doc: doc, cfg: cfg}
	e.lc.mu.Unlock()
	return cfg, nil
}

// AbortInfo reports when the bucket's lifecycle configuration, as it is
// now, will abort the upload, and by which rule (the x-amz-abort-date and
// x-amz-abort-rule-id of CreateMultipartUpload and ListParts). date is the
// zero time when no rule applies: the upload is then kept until it is
// completed or aborted.
func (e *Engine) AbortInfo(ctx context.Context, u Upload) (date time.Time, ruleID string, err error) {
	cfg, err := e.bucketLifecycle(ctx, u.Bucket)
	if err != nil {
		return time.Time{}, "", err
	}
	date, ruleID, ok := cfg.AbortDate(u.Key, lifecycle.Tags(u.Tagging), u.Initiated)
	if !ok {
		return time.Time{}, "", nil
	}
	return date, ruleID, nil
}

// LifecycleSource is the engine as the lifecycle worker sees it.
func (e *Engine) LifecycleSource() lifecycle.Source { return lcSource{e} }

// lcSource adapts the engine to lifecycle.Source.
type lcSource struct{ e *Engine }

var _ lifecycle.Source = lcSource{}

func (s lcSource) Now() time.Time { return s.e.clock() }

func (s lcSource) Buckets(ctx context.Context) ([]string, error) {
	bs, err := s.e.meta.ListBuckets(ctx)
	names := make([]string, len(bs))
	for i, b := range bs {
		names[i] = b.Name
	}
	return names, err
}

func (s lcSource) Config(ctx context.Context, bucket string) (*lifecycle.Config, error) {
	return s.e.bucketLifecycle(ctx, bucket)
}

func (s lcSource) Uploads(ctx context.Context, bucket, prefix, afterKey, afterID string, limit int) ([]lifecycle.Upload, error) {
	ups, err := s.e.meta.ListUploads(ctx, bucket, prefix, afterKey, afterID, limit)
	out := make([]lifecycle.Upload, len(ups))
	for i, u := range ups {
		out[i] = lifecycle.Upload{Key: u.Key, ID: u.ID, Initiated: u.Initiated, Tagging: u.Tagging}
	}
	return out, err
}

func (s lcSource) AbortUpload(ctx context.Context, bucket, key, uploadID string) (bool, error) {
	garbage, err := s.e.meta.AbortUpload(ctx, bucket, key, uploadID)
	if errors.Is(err, meta.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	s.e.freeBlobs(garbage)
	return true, nil
}

func (s lcSource) Objects(ctx context.Context, bucket, prefix, after string, limit int) ([]lifecycle.Object, error) {
	from := ""
	if after != "" {
		from = after + "\x00" // the least key after after
	}
	objs, err := s.e.meta.ListObjects(ctx, bucket, prefix, from, limit)
	out := make([]lifecycle.Object, len(objs))
	for i, o := range objs {
		out[i] = lcObject(&o)
	}
	return out, err
}

// errNotDue tells ExpireObject's check that the current object stays.
var errNotDue = errors.New("engine: object not due for expiration")

func (s lcSource) ExpireObject(ctx context.Context, bucket, key string, expired func(lifecycle.Object) bool) (bool, error) {
	// On a versioned bucket this makes a delete marker, as S3's
	// Expiration does, owned by the bucket's owner.
	b, err := s.e.meta.GetBucket(ctx, bucket)
	if errors.Is(err, meta.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	_, garbage, err := s.e.meta.DeleteObject(ctx, meta.Deletion{Bucket: bucket, Key: key, At: s.e.clock(), By: b.Owner}, func(cur *Object) error {
		if cur == nil || cur.DeleteMarker || !expired(lcObject(cur)) {
			return errNotDue
		}
		return nil
	})
	if errors.Is(err, errNotDue) || errors.Is(err, meta.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	s.e.freeBlobs(garbage)
	return true, nil
}

func (s lcSource) Versioned(ctx context.Context, bucket string) (bool, error) {
	b, err := s.e.meta.GetBucket(ctx, bucket)
	if errors.Is(err, meta.ErrNotFound) {
		return false, nil
	}
	return b.Versioning != "", err
}

func (s lcSource) Versions(ctx context.Context, bucket, prefix, afterKey, afterVersionID string, limit int) ([]lifecycle.Version, error) {
	vs, err := s.e.meta.ListVersions(ctx, bucket, prefix, afterKey, afterVersionID, limit)
	if errors.Is(err, meta.ErrNotFound) {
		// The bucket is gone, or the version the page ended on was removed
		// meanwhile and cannot be placed: the next pass starts afresh.
		return nil, nil
	}
	out := make([]lifecycle.Version, len(vs))
	for i := range vs {
		out[i] = lcVersion(&vs[i])
	}
	return out, err
}

// RemoveVersion removes a version for a lifecycle rule. Object Lock's
// protection is checked with no bypass: "protected object versions remain
// safe from being deleted or overwritten by a lifecycle configuration"
// (AWS user guide, object-lock-managing), a GOVERNANCE retention included.
func (s lcSource) RemoveVersion(ctx context.Context, bucket, key, versionID string, remove func(lifecycle.Version) bool) (bool, error) {
	d := meta.Deletion{Bucket: bucket, Key: key, VersionID: versionID}
	_, garbage, err := s.e.meta.DeleteObject(ctx, d, func(cur *Object) error {
		if cur == nil || protects(cur, s.e.clock(), false) || !remove(lcVersion(cur)) {
			return errNotDue
		}
		return nil
	})
	if errors.Is(err, errNotDue) || errors.Is(err, meta.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	s.e.freeBlobs(garbage)
	return true, nil
}

func lcVersion(o *Object) lifecycle.Version {
	return lifecycle.Version{Key: o.Key, VersionID: o.VersionID, DeleteMarker: o.DeleteMarker, IsLatest: o.IsLatest,
		Size: o.Size, LastModified: o.LastModified, Tagging: o.Tagging}
}

func lcObject(o *Object) lifecycle.Object {
	return lifecycle.Object{Key: o.Key, Size: o.Size, LastModified: o.LastModified, Tagging: o.Tagging}
}

// ExpirationInfo tells when an Expiration rule will delete the object, for
// the x-amz-expiration response header (zero time when no rule applies).
func (e *Engine) ExpirationInfo(ctx context.Context, obj Object) (date time.Time, ruleID string, err error) {
	cfg, err := e.bucketLifecycle(ctx, obj.Bucket)
	if err != nil {
		return time.Time{}, "", err
	}
	date, ruleID, ok := cfg.ObjectExpiry(obj.Key, lifecycle.Tags(obj.Tagging), obj.Size, obj.LastModified)
	if !ok {
		return time.Time{}, "", nil
	}
	return date, ruleID, nil
}
