package lifecycle

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"
)

// Upload is what the worker needs to know of an in-progress multipart upload.
type Upload struct {
	Key, ID   string
	Initiated time.Time
	Tagging   string // URL-encoded tag set, as stored
}

// Object is what the worker needs to know of an object.
type Object struct {
	Key          string
	Size         int64
	LastModified time.Time
	Tagging      string // URL-encoded tag set, as stored
}

// Version is what the worker needs to know of one version of a key, an
// object or a delete marker.
type Version struct {
	Key, VersionID string
	DeleteMarker   bool
	IsLatest       bool
	Size           int64
	LastModified   time.Time
	Tagging        string // URL-encoded tag set, as stored
}

// Source is the storage the Worker acts on; the engine implements it. All
// methods must be safe for concurrent use with requests, and none may hold
// locks between calls: the worker works page by page.
type Source interface {
	// Now is the current time, from the same clock the engine stamps
	// uploads and objects with.
	Now() time.Time
	// Buckets lists every bucket's name.
	Buckets(ctx context.Context) ([]string, error)
	// Config returns the bucket's lifecycle configuration, nil when it has
	// none (or the bucket is gone).
	Config(ctx context.Context, bucket string) (*Config, error)
	// Uploads returns up to limit uploads whose key has the prefix, ordered
	// by key then upload, strictly after (afterKey, afterID); ("", "") starts.
	Uploads(ctx context.Context, bucket, prefix, afterKey, afterID string, limit int) ([]Upload, error)
	// AbortUpload aborts the upload and frees its parts. An upload already
	// gone (completed or aborted meanwhile) is not an error: aborted is false.
	AbortUpload(ctx context.Context, bucket, key, uploadID string) (aborted bool, err error)
	// Objects returns up to limit objects whose key has the prefix, ordered
	// by key, with keys strictly after after.
	Objects(ctx context.Context, bucket, prefix, after string, limit int) ([]Object, error)
	// ExpireObject deletes the key's current object if expired reports
	// true for it, deciding under the key's lock so that an object written
	// since it was listed is judged afresh. deleted is false when the key
	// has no object or expired said no.
	ExpireObject(ctx context.Context, bucket, key string, expired func(Object) bool) (deleted bool, err error)
	// Versioned reports whether the bucket has versions to walk: its
	// versioning was ever enabled.
	Versioned(ctx context.Context, bucket string) (bool, error)
	// Versions returns up to limit versions and delete markers whose key
	// has the prefix, ordered by key and then newest first, strictly after
	// (afterKey, afterVersionID); ("", "") starts.
	Versions(ctx context.Context, bucket, prefix, afterKey, afterVersionID string, limit int) ([]Version, error)
	// RemoveVersion permanently removes that version of the key if
	// remove reports true for it, deciding under the key's lock; a version
	// that Object Lock protects (a legal hold, or a retention not yet
	// over) is never removed. removed is false when the version is gone,
	// protected, or remove said no.
	RemoveVersion(ctx context.Context, bucket, key, versionID string, remove func(Version) bool) (removed bool, err error)
}

// Stats counts what a worker has done since it was made.
type Stats struct {
	Passes  int64 // completed passes over all buckets
	Aborted int64 // uploads aborted
	Expired int64 // objects deleted (or given a delete marker) by an Expiration rule
	// Removed counts versions permanently removed: noncurrent versions by
	// NoncurrentVersionExpiration and expired object delete markers.
	Removed int64
	Errors  int64 // failures, each logged; the next pass retries
	// LastPass is the engine time the last completed pass started at.
	LastPass time.Time
}

// WorkerOptions configures a Worker.
type WorkerOptions struct {
	// Interval between passes; Run needs it positive.
	Interval time.Duration
	Logger   *slog.Logger
	// PageSize bounds each listing call (default 1000).
	PageSize int
	// Leading, when set, is asked before each pass of Run: only the
	// gateway leading the cluster makes passes (nil: always).
	Leading func() bool
}

// Worker enforces lifecycle configurations: on each pass it aborts the
// uploads whose abort date has come and deletes the objects whose
// expiration has come. It keeps no state of its own beyond counters: each
// pass recomputes everything from metadata, so it is idempotent and picks
// up after a restart where the data says it should. It never holds a lock
// across calls, so requests are never kept waiting on it for longer than
// one metadata operation.
type Worker struct {
	src  Source
	opts WorkerOptions
	log  *slog.Logger

	pass  sync.Mutex // one pass at a time (Run and RunOnce may race)
	mu    sync.Mutex // guards stats
	stats Stats
}

// NewWorker returns a worker over src; it does nothing until Run or RunOnce.
func NewWorker(src Source, opts WorkerOptions) *Worker {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 1000
	}
	return &Worker{src: src, opts: opts, log: opts.Logger}
}

// Stats returns a snapshot of the counters.
func (w *Worker) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stats
}

// Run makes a pass at once, then one every Interval, until ctx is done. It
// returns when ctx is done and the pass in progress has stopped.
func (w *Worker) Run(ctx context.Context) {
	if w.opts.Interval <= 0 {
		return
	}
	t := time.NewTicker(w.opts.Interval)
	defer t.Stop()
	for {
		if w.opts.Leading == nil || w.opts.Leading() {
			w.RunOnce(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce makes one pass over every bucket with a lifecycle configuration
// and returns what it did. Errors are logged and counted; a failing bucket
// does not stop the others.
func (w *Worker) RunOnce(ctx context.Context) Stats {
	w.pass.Lock()
	defer w.pass.Unlock()
	now := w.src.Now()
	var done Stats
	buckets, err := w.src.Buckets(ctx)
	if err != nil {
		w.fail(&done, "listing buckets", "", err)
	}
	for _, b := range buckets {
		if ctx.Err() != nil {
			break
		}
		cfg, err := w.src.Config(ctx, b)
		if err != nil {
			w.fail(&done, "reading configuration", b, err)
			continue
		}
		if cfg == nil {
			continue
		}
		w.abortUploads(ctx, b, cfg, now, &done)
		w.expireObjects(ctx, b, cfg, now, &done)
		w.expireVersions(ctx, b, cfg, now, &done)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stats.Aborted += done.Aborted
	w.stats.Expired += done.Expired
	w.stats.Removed += done.Removed
	w.stats.Errors += done.Errors
	if ctx.Err() == nil {
		w.stats.Passes++
		w.stats.LastPass = now
		done.Passes, done.LastPass = 1, now
	}
	if done.Aborted+done.Expired+done.Removed+done.Errors > 0 {
		w.log.Info("lifecycle: pass done", "aborted", done.Aborted, "expired", done.Expired,
			"removed", done.Removed, "errors", done.Errors)
	}
	return done
}

func (w *Worker) fail(done *Stats, what, bucket string, err error) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return // shutting down; the next start picks up from the data
	}
	done.Errors++
	w.log.Warn("lifecycle: "+what, "bucket", bucket, "err", err)
}

// abortUploads aborts the bucket's uploads whose abort date is not after now.
func (w *Worker) abortUploads(ctx context.Context, bucket string, cfg *Config, now time.Time, done *Stats) {
	prefixes := scanPrefixes(cfg, func(r *Rule) bool { return r.AbortIncompleteMultipartUpload != nil })
	for _, p := range prefixes {
		afterKey, afterID := "", ""
		for ctx.Err() == nil {
			ups, err := w.src.Uploads(ctx, bucket, p, afterKey, afterID, w.opts.PageSize)
			if err != nil {
				w.fail(done, "listing uploads", bucket, err)
				return
			}
			for _, u := range ups {
				date, rule, ok := cfg.AbortDate(u.Key, Tags(u.Tagging), u.Initiated)
				if !ok || date.After(now) {
					continue
				}
				aborted, err := w.src.AbortUpload(ctx, bucket, u.Key, u.ID)
				if err != nil {
					w.fail(done, "aborting upload", bucket, err)
					continue
				}
				if !aborted {
					continue
				}
				done.Aborted++
				w.log.Info("lifecycle: aborted incomplete multipart upload", "bucket", bucket, "key", u.Key,
					"upload_id", u.ID, "rule", rule, "initiated", u.Initiated, "abort_date", date)
			}
			if len(ups) < w.opts.PageSize {
				break
			}
			afterKey, afterID = ups[len(ups)-1].Key, ups[len(ups)-1].ID
		}
	}
}

// expireObjects deletes the bucket's objects whose expiry is not after now.
func (w *Worker) expireObjects(ctx context.Context, bucket string, cfg *Config, now time.Time, done *Stats) {
	prefixes := scanPrefixes(cfg, func(r *Rule) bool {
		return r.Expiration != nil && (r.Expiration.Days != nil || r.Expiration.Date != nil)
	})
	expired := func(o Object) (time.Time, string, bool) {
		date, rule, ok := cfg.ObjectExpiry(o.Key, Tags(o.Tagging), o.Size, o.LastModified)
		return date, rule, ok && !date.After(now)
	}
	for _, p := range prefixes {
		after := ""
		for ctx.Err() == nil {
			objs, err := w.src.Objects(ctx, bucket, p, after, w.opts.PageSize)
			if err != nil {
				w.fail(done, "listing objects", bucket, err)
				return
			}
			for _, o := range objs {
				date, rule, ok := expired(o)
				if !ok {
					continue
				}
				// Judge again under the key's lock: the object may have
				// been replaced since it was listed.
				deleted, err := w.src.ExpireObject(ctx, bucket, o.Key, func(cur Object) bool {
					_, _, ok := expired(cur)
					return ok
				})
				if err != nil {
					w.fail(done, "expiring object", bucket, err)
					continue
				}
				if deleted {
					done.Expired++
					w.log.Info("lifecycle: expired object", "bucket", bucket, "key", o.Key, "rule", rule,
						"last_modified", o.LastModified, "expiry_date", date)
				}
			}
			if len(objs) < w.opts.PageSize {
				break
			}
			after = objs[len(objs)-1].Key
		}
	}
}

// scanPrefixes returns the key prefixes to scan to visit everything the
// enabled rules selected by use can act on: each rule's prefix (filters
// without one count as ""), without those inside another. Nil means no
// rule applies and nothing needs scanning.
func scanPrefixes(cfg *Config, use func(*Rule) bool) []string {
	var ps []string
	for i := range cfg.Rules {
		r := &cfg.Rules[i]
		if r.Status == Enabled && use(r) {
			ps = append(ps, r.keyPrefix())
		}
	}
	sort.Strings(ps)
	out := ps[:0]
	for _, p := range ps {
		if len(out) == 0 || !strings.HasPrefix(p, out[len(out)-1]) {
			out = append(out, p)
		}
	}
	return out
}

// keyPrefix is the prefix every key the rule selects has ("" if any key).
func (r *Rule) keyPrefix() string {
	switch f := r.Filter; {
	case r.Prefix != nil:
		return *r.Prefix
	case f == nil:
		return ""
	case f.Prefix != nil:
		return *f.Prefix
	case f.And != nil && f.And.Prefix != nil:
		return *f.And.Prefix
	}
	return ""
}
