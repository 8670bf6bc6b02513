package engine

import (
	"context"
	"errors"
	"sync"

	"github.com/tessera-s3/tessera/internal/meta"
)

// pins counts the readers of each blob. A reader opens a multipart object's
// blobs one after another; if the object is replaced meanwhile, freeBlobs
// must not remove a blob a reader has yet to open, or the read dies half
// way. Pinned garbage stays in the store's garbage list and goes at the
// next maintenance pass.
type pins struct {
	mu sync.Mutex
	n  map[string]int
}

func (p *pins) add(segs []Segment, delta int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == nil {
		p.n = map[string]int{}
	}
	for _, s := range segs {
		if p.n[s.BlobID] += delta; p.n[s.BlobID] <= 0 {
			delete(p.n, s.BlobID)
		}
	}
}

// removeUnpinned calls remove for each id no reader holds, under the lock
// so that no reader can pin it in between; it returns the ids removed.
func (p *pins) removeUnpinned(ids []string, remove func(string) bool) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var done []string
	for _, id := range ids {
		if p.n[id] > 0 {
			continue
		}
		if remove(id) {
			done = append(done, id)
		}
	}
	return done
}

// pinnedObject reads a key's object and pins its blobs; release unpins
// them. After pinning it reads the key again: if the object changed in
// between, its blobs may already be gone, so it starts over with the new one.
func (e *Engine) pinnedObject(ctx context.Context, bucket, key string) (Object, func(), error) {
	obj, err := e.getObject(ctx, bucket, key)
	for attempt := 0; ; attempt++ {
		if err != nil {
			return Object{}, nil, err
		}
		e.pins.add(obj.Segments, +1)
		cur, cerr := e.meta.GetObject(ctx, bucket, key)
		if cerr == nil && sameBlobs(cur.Segments, obj.Segments) {
			segs := obj.Segments
			var once sync.Once
			return obj, func() { once.Do(func() { e.pins.add(segs, -1) }) }, nil
		}
		e.pins.add(obj.Segments, -1)
		if cerr != nil && !errors.Is(cerr, meta.ErrNotFound) {
			return Object{}, nil, cerr
		}
		if attempt == 10 {
			return Object{}, nil, errors.New("engine: object kept changing while being opened")
		}
		obj, err = e.getObject(ctx, bucket, key)
	}
}

func sameBlobs(a, b []Segment) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].BlobID != b[i].BlobID {
			return false
		}
	}
	return true
}
