package engine

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/tessera-s3/tessera/internal/meta"
)

// A request's view of its bucket: the bucket record and the configuration
// documents the request may consult, read in ONE metadata call when the
// request starts (on PostgreSQL one round trip instead of one per read:
// authorization's policy, the write's default encryption, its lifecycle
// headers, …). It lives in the request's context and dies with it; nothing
// is kept from one request to the next, so a change made through any
// gateway applies to the next request on every gateway, as it did when
// each read went to the store. Within the request the view is what a
// read made as it started would have seen, as the separate reads were.
//
// A request that changes its bucket's record or configuration should go
// without a view; the engine's own changes drop it, so that reads after
// them go to the store.

// viewDocs are the configuration documents the engine's hot paths read.
var viewDocs = []string{lifecycleDoc, encryptionDoc, lockConfigDoc}

type bucketView struct {
	name   string
	exists bool
	bucket Bucket
	// docs holds the documents of names that the bucket has; a name in
	// names but not in docs is known to be absent.
	docs  map[string][]byte
	names map[string]bool
	// dropped: the request changed the bucket; reads go to the store.
	dropped atomic.Bool
}

type viewKey struct{}

// WithBucketView reads bucket (its record and the documents the engine
// and the caller's docs name) in one call and returns a context that
// carries the view to every engine read of that bucket made with it. An
// absent bucket is a view too (reads answer NoSuchBucket from it).
func (e *Engine) WithBucketView(ctx context.Context, bucket string, docs ...string) (context.Context, error) {
	names := append(append(make([]string, 0, len(viewDocs)+len(docs)), viewDocs...), docs...)
	b, found, err := e.meta.GetBucketConfigs(ctx, bucket, names...)
	if err != nil && !errors.Is(err, meta.ErrNotFound) {
		return ctx, err
	}
	v := &bucketView{name: bucket, exists: err == nil, bucket: b, docs: found, names: make(map[string]bool, len(names))}
	for _, n := range names {
		v.names[n] = true
	}
	return context.WithValue(ctx, viewKey{}, v), nil
}

// viewOf returns the live view of bucket ctx carries, or nil.
func viewOf(ctx context.Context, bucket string) *bucketView {
	v, _ := ctx.Value(viewKey{}).(*bucketView)
	if v == nil || v.name != bucket || v.dropped.Load() {
		return nil
	}
	return v
}

// dropView makes later reads of bucket in this request go to the store:
// the request is changing it.
func dropView(ctx context.Context, bucket string) {
	if v := viewOf(ctx, bucket); v != nil {
		v.dropped.Store(true)
	}
}

// getBucket is meta's GetBucket, answered from the request's view when it
// has one.
func (e *Engine) getBucket(ctx context.Context, name string) (Bucket, error) {
	if v := viewOf(ctx, name); v != nil {
		if !v.exists {
			return Bucket{}, meta.ErrNotFound
		}
		return v.bucket, nil
	}
	return e.meta.GetBucket(ctx, name)
}

// getBucketConfig is meta's GetBucketConfig (ErrNotFound when the document
// or the bucket is absent), answered from the request's view when it holds
// the document.
func (e *Engine) getBucketConfig(ctx context.Context, bucket, name string) ([]byte, error) {
	if v := viewOf(ctx, bucket); v != nil && (v.names[name] || !v.exists) {
		if doc, ok := v.docs[name]; ok && v.exists {
			return doc, nil
		}
		return nil, meta.ErrNotFound
	}
	return e.meta.GetBucketConfig(ctx, bucket, name)
}
