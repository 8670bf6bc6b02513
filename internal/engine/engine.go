// Package engine implements S3 semantics and atomicity over a metadata Store
// and a blob Store: buckets, objects and multipart uploads. It speaks plain
// Go structs, never HTTP or XML, and turns "not found" and friends from the
// stores into the S3 errors a client must see.
package engine

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/tessera-s3/tessera/internal/blob"
	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/s3err"
	"github.com/tessera-s3/tessera/internal/sse"
)

// The record types the edge sees are the metadata records themselves; the
// aliases keep the edge from importing meta.
type (
	Bucket         = meta.Bucket
	Object         = meta.Object
	Owner          = meta.Owner
	ContentHeaders = meta.ContentHeaders
	Checksums      = meta.Checksums
	Upload         = meta.Upload
	Part           = meta.Part
	Segment        = meta.Segment
)

// Limits S3 enforces.
const (
	MaxPutSize      = 5 << 30 // single PUT and single part
	MaxKeyLength    = 1024
	MaxUserMetaSize = 2048
	// MaxRedirectSize is the limit on x-amz-website-redirect-location
	// ("The length of the value is limited to 2 KB", S3 POST Object docs).
	MaxRedirectSize = 2048
	MinPartSize     = 5 << 20
	MaxPartNumber   = 10000
	MaxListKeys     = 1000
)

// Options configures an Engine.
type Options struct {
	Region string
	// Now is the clock; nil means time.Now. Tests pass their own.
	Now    func() time.Time
	Logger *slog.Logger
	// MinPartSize overrides the 5 MiB minimum for non-last parts (tests only).
	MinPartSize int64
	// RootKey (32 bytes) is the server's root key, from which the keys that
	// seal SSE-S3 data keys derive; without it SSE-S3 is refused.
	RootKey []byte
	// Keys is the KMS of SSE-KMS; nil refuses SSE-KMS.
	Keys KeyService
	// Cluster places this engine among the gateways sharing its store
	// (zero: defaults, gateway ID "").
	Cluster ClusterOptions
}

// Engine is safe for concurrent use.
type Engine struct {
	meta        meta.Store
	blobs       *blob.Store
	region      string
	now         func() time.Time
	log         *slog.Logger
	minPartSize int64
	rootKey     []byte     // SSE-S3 data keys are sealed under a KEK derived from it (encryption.go); nil: none
	keys        KeyService // SSE-KMS keys; nil: none
	lc          lcCache    // parsed lifecycle configurations (lifecycle.go)
	enc         encCache   // parsed default encryption configurations (encryptionconfig.go)
	pins        pins       // blobs open readers still need (pins.go)
	cluster     clusterSettings
}

// New returns an engine over the stores; it does not own them.
func New(store meta.Store, blobs *blob.Store, opts Options) *Engine {
	e := &Engine{meta: store, blobs: blobs, region: opts.Region, now: opts.Now, log: opts.Logger, minPartSize: opts.MinPartSize, keys: opts.Keys}
	if e.now == nil {
		e.now = time.Now
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	if e.minPartSize <= 0 {
		e.minPartSize = MinPartSize
	}
	if e.region == "" {
		e.region = "us-east-1"
	}
	e.cluster = opts.Cluster.settings()
	if len(opts.RootKey) > 0 {
		if len(opts.RootKey) != sse.KeySize {
			e.log.Error("engine: unusable root key; SSE-S3 is off", "err", sse.ErrKeySize)
		} else {
			e.rootKey = opts.RootKey
		}
	}
	return e
}

// Region is the region the engine reports for its buckets.
func (e *Engine) Region() string { return e.region }

// clock returns the current time at millisecond precision, UTC, because
// that is what S3 stores and reports.
func (e *Engine) clock() time.Time { return e.now().UTC().Truncate(time.Millisecond) }

func noSuchBucket(name string) error {
	return s3err.New(s3err.NoSuchBucket).With("BucketName", name)
}

func noSuchKey(key string) error {
	return s3err.New(s3err.NoSuchKey).With("Key", key)
}

func noSuchUpload(id string) error {
	return s3err.New(s3err.NoSuchUpload).With("UploadId", id)
}

// bucketExists returns NoSuchBucket unless the bucket exists.
func (e *Engine) bucketExists(ctx context.Context, name string) (Bucket, error) {
	b, err := e.getBucket(ctx, name)
	if errors.Is(err, meta.ErrNotFound) {
		return Bucket{}, noSuchBucket(name)
	}
	return b, err
}

// freeBlobs removes blobs the store has recorded as garbage, then forgets
// them — at once when this is the only gateway; otherwise the leader's
// collector removes them once no gateway can still be reading them (see
// CollectGarbage). Blobs a reader still holds, and failures, are left for
// the collector.
func (e *Engine) freeBlobs(ids []string) {
	if len(ids) == 0 || !e.alone(context.Background()) {
		return
	}
	e.removeGarbage(ids)
}

// removeGarbage removes the blobs no reader of this gateway holds and
// forgets them.
func (e *Engine) removeGarbage(ids []string) {
	var done []string
	for _, id := range e.pins.unpinned(ids) {
		if err := e.blobs.Remove(id); err != nil {
			e.log.Warn("engine: removing garbage blob", "blob", id, "err", err)
			continue
		}
		done = append(done, id)
	}
	if len(done) == 0 {
		return
	}
	if err := e.meta.DeleteGarbage(context.Background(), done); err != nil {
		e.log.Warn("engine: forgetting garbage", "err", err)
	}
}

// CollectGarbage removes the blobs the store lists as garbage that no
// gateway may still be reading: all of them when this is the only gateway,
// else those garbage for GarbageGrace and leased by no live gateway. The
// leader runs it now and then; it also finishes what a crash interrupted.
func (e *Engine) CollectGarbage(ctx context.Context) error {
	ids, err := e.meta.Garbage(ctx, 1<<20)
	if err != nil {
		return err
	}
	// Listed before asking: a gateway that joins after the answer reads
	// metadata committed after every listed blob became garbage.
	if len(ids) > 0 && !e.alone(ctx) {
		ids, err = e.meta.CollectableGarbage(ctx, e.cluster.grace, e.cluster.ttl, 1<<20)
		if err != nil {
			return err
		}
	}
	for len(ids) > 0 {
		n := min(len(ids), 1000)
		e.removeGarbage(ids[:n])
		ids = ids[n:]
	}
	return nil
}

// CompletionTTL is how long a completed upload's result is remembered, so
// that a retried CompleteMultipartUpload still answers 200 with it.
const CompletionTTL = 7 * 24 * time.Hour

// Maintain does the periodic housekeeping: it removes garbage blobs a
// crash left recorded, and forgets completions older than CompletionTTL.
func (e *Engine) Maintain(ctx context.Context) error {
	if err := e.CollectGarbage(ctx); err != nil {
		return err
	}
	n, err := e.meta.PruneCompletions(ctx, e.now().Add(-CompletionTTL))
	if n > 0 {
		e.log.Info("engine: forgot old upload completions", "count", n)
	}
	return err
}

// OrphanGrace is how old an unreferenced blob must be before SweepOrphans
// removes it: far longer than the moment between a blob's commit and the
// metadata commit that refers to it.
const OrphanGrace = time.Hour

// SweepOrphans removes blobs no metadata refers to and that are older than
// grace: what a crash between a blob's commit and its metadata commit
// leaves behind. It reads all metadata, so it runs at start, not per request.
func (e *Engine) SweepOrphans(ctx context.Context, grace time.Duration) (int, error) {
	refs := map[string]struct{}{}
	if err := e.meta.ForEachBlobRef(ctx, func(id string) { refs[id] = struct{}{} }); err != nil {
		return 0, err
	}
	cutoff := time.Now().Add(-grace) // file times are wall-clock, not the engine's clock
	removed := 0
	err := e.blobs.Walk(func(id string) error {
		if _, ok := refs[id]; ok {
			return nil
		}
		mt, err := e.blobs.ModTime(id)
		if err != nil || mt.After(cutoff) {
			return nil
		}
		if err := e.blobs.Remove(id); err != nil {
			e.log.Warn("engine: removing orphan blob", "blob", id, "err", err)
			return nil
		}
		removed++
		return nil
	})
	if removed > 0 {
		e.log.Info("engine: removed orphan blobs", "count", removed)
	}
	return removed, err
}
