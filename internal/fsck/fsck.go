// Package fsck checks a data directory against its metadata: that every
// blob the metadata refers to exists with the size it must have (and, in a
// deep check, the checksums recorded for it), that no blob lies there
// unreferenced, that the records agree with each other, and that no
// stopped gateway left temp files behind. It returns a Report; with
// Repair it also removes orphan blobs, and nothing else.
//
// The check reads only through the meta.Store contract and the blob.Store,
// so it runs the same way offline (`tessera fsck --data DIR`) and inside a
// running server (the admin API's fsck endpoint). Gateways may be writing
// meanwhile (PostgreSQL, or the online check): what a concurrent write can
// make look wrong is either rechecked before it is reported (a referenced
// blob found missing is reported only if its record still names it) or
// not a finding by construction (an unreferenced blob younger than the
// orphan grace is "in flight").
package fsck

import (
	"context"
	"fmt"
	"time"

	"github.com/tessera-s3/tessera/internal/blob"
	"github.com/tessera-s3/tessera/internal/engine"
	"github.com/tessera-s3/tessera/internal/meta"
)

// Options tune a check. The zero value is a quick, read-only check.
type Options struct {
	// Deep reads every referenced blob whole and verifies what can be
	// verified without keys: a plaintext blob's MD5 against its ETag and
	// every recorded checksum; an encrypted blob is read whole (so the
	// device returns every byte) but not authenticated.
	Deep bool
	// Repair removes orphan blobs (unreferenced and older than Grace),
	// and only them.
	Repair bool
	// Grace is how old an unreferenced blob must be to be an orphan rather
	// than a write in flight (0: engine.OrphanGrace, the age at which
	// servers sweep them).
	Grace time.Duration
	// MaxItems is how many items of each finding class the report keeps
	// (0: 100); counts are always complete.
	MaxItems int
	// Now is the clock blob and temp file ages are measured by (nil:
	// time.Now; file times are wall-clock).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Grace <= 0 {
		o.Grace = engine.OrphanGrace
	}
	if o.MaxItems <= 0 {
		o.MaxItems = 100
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Check checks blobs against store and returns the report. An error means
// the check could not be completed (the store or the directory could not
// be read); damage it finds is in the report, not an error.
func Check(ctx context.Context, store meta.Store, blobs *blob.Store, opts Options) (*Report, error) {
	opts = opts.withDefaults()
	c := &checker{
		ctx: ctx, store: store, blobs: blobs, opts: opts,
		rep:     newReport(opts),
		refs:    map[string]*ref{},
		garbage: map[string]bool{},
	}
	start := opts.Now()
	if err := c.run(); err != nil {
		return nil, err
	}
	c.rep.Started, c.rep.Seconds = start.UTC(), opts.Now().Sub(start).Seconds()
	return c.rep, nil
}

// checker is one run of Check.
type checker struct {
	ctx   context.Context
	store meta.Store
	blobs *blob.Store
	opts  Options
	rep   *Report

	// refs are the blobs reachable through the listings (versions and
	// parts), each with what its record says it holds.
	refs map[string]*ref
	// garbage is the garbage list.
	garbage map[string]bool
	// before and after are ForEachBlobRef's answers taken around the walk
	// of the listings.
	before, after map[string]bool
}

func (c *checker) run() error {
	var err error
	if c.before, err = c.allRefs(); err != nil {
		return err
	}
	if err := c.walkMeta(); err != nil {
		return err
	}
	if c.after, err = c.allRefs(); err != nil {
		return err
	}
	c.checkDangling()
	if err := c.checkRefs(); err != nil {
		return err
	}
	c.checkGarbage()
	if err := c.walkBlobs(); err != nil {
		return err
	}
	return c.checkTemp()
}

// allRefs is ForEachBlobRef as a set.
func (c *checker) allRefs() (map[string]bool, error) {
	set := map[string]bool{}
	if err := c.store.ForEachBlobRef(c.ctx, func(id string) { set[id] = true }); err != nil {
		return nil, fmt.Errorf("fsck: reading blob references: %w", err)
	}
	return set, nil
}

// checkDangling reports blobs ForEachBlobRef names, before and after the
// walk, that no listed record or garbage entry holds: their record is one
// the listings cannot reach (a part whose upload is gone, a version whose
// bucket is gone). Requiring both answers leaves out records a concurrent
// write removed or added during the walk.
func (c *checker) checkDangling() {
	for id := range c.before {
		if c.after[id] && c.refs[id] == nil && !c.garbage[id] {
			c.rep.add(DanglingRef, Item{Blob: id, Detail: "the metadata refers to this blob from a record no listing reaches (a part whose upload is gone, or a version whose bucket is gone)"})
		}
	}
}

// checkGarbage reports garbage entries whose blob a live record still
// uses: the collector would delete it from under that record.
func (c *checker) checkGarbage() {
	for id := range c.garbage {
		if r := c.refs[id]; r != nil {
			it := r.item()
			it.Blob, it.Detail = id, "listed as garbage but still used by this record; the garbage collector would delete it"
			c.rep.add(GarbageInUse, it)
		}
	}
}
