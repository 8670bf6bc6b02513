package lifecycle

import (
	"context"
	"time"
)

// keyWalk is what expireVersions remembers of the key whose versions it is
// walking, newest first, across listing pages.
type keyWalk struct {
	key      string
	versions int       // versions of the key seen so far
	prev     time.Time // LastModified of the previous (newer) version
	newer    int       // noncurrent versions of the key seen so far
	marker   *Version  // the key's latest version, when a delete marker
}

// expireVersions removes, on a versioned bucket, the noncurrent versions
// whose NoncurrentVersionExpiration is due and the expired object delete
// markers whose rule is due. Decisions use the listing (a version's
// successor and how many noncurrent versions are newer); the removal
// re-checks, under the key's lock, what the version itself says: that it
// still exists and is still noncurrent (or still the latest marker), its
// tags, and its Object Lock state. A version whose successor was removed
// meanwhile is later judged from its new successor, so it can only be
// removed later than S3 would, never earlier.
func (w *Worker) expireVersions(ctx context.Context, bucket string, cfg *Config, now time.Time, done *Stats) {
	prefixes := scanPrefixes(cfg, func(r *Rule) bool { return r.NoncurrentVersionExpiration != nil || r.Expiration != nil })
	if prefixes == nil {
		return
	}
	versioned, err := w.src.Versioned(ctx, bucket)
	if err != nil {
		w.fail(done, "reading versioning", bucket, err)
		return
	}
	if !versioned {
		return // every key has one version, its latest, and no marker
	}
	for _, p := range prefixes {
		var kw keyWalk
		afterKey, afterID := "", ""
		for ctx.Err() == nil {
			vs, err := w.src.Versions(ctx, bucket, p, afterKey, afterID, w.opts.PageSize)
			if err != nil {
				w.fail(done, "listing versions", bucket, err)
				return
			}
			for i := range vs {
				v := &vs[i]
				if v.Key != kw.key {
					w.expireMarker(ctx, bucket, cfg, now, &kw, done)
					kw = keyWalk{key: v.Key}
				}
				w.visitVersion(ctx, bucket, cfg, now, &kw, v, done)
			}
			if len(vs) < w.opts.PageSize {
				break
			}
			afterKey, afterID = vs[len(vs)-1].Key, vs[len(vs)-1].VersionID
		}
		if ctx.Err() == nil {
			w.expireMarker(ctx, bucket, cfg, now, &kw, done)
		}
	}
}

// visitVersion takes the next (older) version of kw's key: it notes the
// latest, and removes a noncurrent version that is due.
func (w *Worker) visitVersion(ctx context.Context, bucket string, cfg *Config, now time.Time, kw *keyWalk, v *Version, done *Stats) {
	since, newer := kw.prev, kw.newer
	kw.versions++
	kw.prev = v.LastModified
	if v.IsLatest {
		if v.DeleteMarker {
			m := *v
			kw.marker = &m
		}
		return
	}
	kw.newer++
	if since.IsZero() {
		return // the successor was not seen: judged on a later pass
	}
	due := func(cur Version) (time.Time, string, bool) {
		size := cur.Size
		if cur.DeleteMarker {
			size = -1
		}
		date, rule, ok := cfg.NoncurrentExpiry(cur.Key, Tags(cur.Tagging), size, since, newer)
		return date, rule, ok && !date.After(now)
	}
	date, rule, ok := due(*v)
	if !ok {
		return
	}
	removed, err := w.src.RemoveVersion(ctx, bucket, v.Key, v.VersionID, func(cur Version) bool {
		_, _, ok := due(cur)
		return ok && !cur.IsLatest
	})
	if err != nil {
		w.fail(done, "removing noncurrent version", bucket, err)
		return
	}
	if removed {
		done.Removed++
		w.log.Info("lifecycle: removed noncurrent version", "bucket", bucket, "key", v.Key,
			"version_id", v.VersionID, "rule", rule, "noncurrent_since", since, "expiry_date", date)
	}
}

// expireMarker removes kw's key's latest delete marker when it was the
// key's only version and a rule has it due. Under the key's lock it need
// only still be the latest: no write adds a version below the latest, so a
// marker still latest is still alone.
func (w *Worker) expireMarker(ctx context.Context, bucket string, cfg *Config, now time.Time, kw *keyWalk, done *Stats) {
	m := kw.marker
	if m == nil || kw.versions != 1 {
		return
	}
	date, rule, ok := cfg.MarkerExpiry(m.Key, m.LastModified)
	if !ok || date.After(now) {
		return
	}
	removed, err := w.src.RemoveVersion(ctx, bucket, m.Key, m.VersionID, func(cur Version) bool {
		return cur.IsLatest && cur.DeleteMarker
	})
	if err != nil {
		w.fail(done, "removing expired object delete marker", bucket, err)
		return
	}
	if removed {
		done.Removed++
		w.log.Info("lifecycle: removed expired object delete marker", "bucket", bucket, "key", m.Key,
			"version_id", m.VersionID, "rule", rule, "last_modified", m.LastModified, "expiry_date", date)
	}
}
