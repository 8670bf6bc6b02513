package engine

import (
	"context"
	"sync"
)

// pins counts the readers of each blob. A reader opens a multipart object's
// blobs one after another; if the object is replaced meanwhile, freeBlobs
// must not remove a blob a reader has yet to open, or the read dies half
// way. Pinned garbage stays in the store's garbage list and goes at the
// next maintenance pass.
//
// The gate makes "read the metadata, pin its blobs" atomic with respect to
// freeBlobs' "which blobs are unpinned": readers hold it shared for the
// read and the pin; freeBlobs holds it exclusively only to decide. Blobs
// reach freeBlobs after the metadata commit that dropped them, so a reader
// that starts reading after that decision sees the new metadata and never
// pins them.
type pins struct {
	gate sync.RWMutex
	mu   sync.Mutex // guards n; readers pin concurrently under the shared gate
	n    map[string]int
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

// unpinned returns the ids no reader holds. The caller may remove them:
// no reader can pin them any more.
func (p *pins) unpinned(ids []string) []string {
	p.gate.Lock()
	defer p.gate.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	var free []string
	for _, id := range ids {
		if p.n[id] == 0 {
			free = append(free, id)
		}
	}
	return free
}

// pinnedObject reads a version (readVersion's arguments) with its blobs
// pinned; release unpins them (it may be called more than once).
func (e *Engine) pinnedObject(ctx context.Context, bucket, key, versionID, use string) (Object, func(), error) {
	e.pins.gate.RLock()
	obj, err := e.readVersion(ctx, bucket, key, versionID, use)
	if err == nil {
		e.pins.add(obj.Segments, +1)
	}
	e.pins.gate.RUnlock()
	if err != nil {
		return Object{}, nil, err
	}
	var once sync.Once
	return obj, func() { once.Do(func() { e.pins.add(obj.Segments, -1) }) }, nil
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
