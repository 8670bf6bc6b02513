package crashtest

import (
	"maps"
	"slices"
)

// The model is what the engine has acknowledged: the state every
// operation that returned success leaves. Operations are sequential, so at
// a crash at most one is in flight; its effect may or may not have become
// durable, and the check accepts, entity by entity (a key, an upload),
// either the model before it or the model after it.

// version is one acknowledged object version or delete marker.
type version struct {
	id     string // "" in an unversioned bucket
	marker bool
	data   []byte
	etag   string
	sums   map[string]string
}

// upload is one multipart upload as acknowledged.
type upload struct {
	bucket, key, id string
	state           uploadState
	parts           map[int]part
	result          version // the completed object
	chosen          []int   // the part numbers Complete was given
}

type uploadState int

const (
	open uploadState = iota
	completed
	aborted
)

type part struct {
	data []byte
	etag string
}

type model struct {
	versions map[string][]version // bucket/key → versions, oldest first
	uploads  []*upload            // in creation order (never map order: choices must replay)
}

func newModel() *model { return &model{versions: map[string][]version{}} }

func (m *model) clone() *model {
	c := &model{versions: make(map[string][]version, len(m.versions))}
	for k, vs := range m.versions {
		c.versions[k] = slices.Clone(vs)
	}
	for _, u := range m.uploads {
		cu := *u
		cu.parts = maps.Clone(u.parts)
		cu.chosen = slices.Clone(u.chosen)
		c.uploads = append(c.uploads, &cu)
	}
	return c
}

func (m *model) upload(id string) *upload {
	for _, u := range m.uploads {
		if u.id == id {
			return u
		}
	}
	return nil
}

// openUploads returns the uploads not yet completed or aborted.
func (m *model) openUploads() []*upload {
	var out []*upload
	for _, u := range m.uploads {
		if u.state == open {
			out = append(out, u)
		}
	}
	return out
}

// put records a new current version of bucket/key.
func (m *model) put(bucket, key string, versioned bool, v version) {
	k := bucket + "/" + key
	if !versioned {
		m.versions[k] = []version{v}
		return
	}
	m.versions[k] = append(m.versions[k], v)
}

// removeVersion forgets one version of bucket/key.
func (m *model) removeVersion(bucket, key, id string) {
	k := bucket + "/" + key
	m.versions[k] = slices.DeleteFunc(m.versions[k], func(v version) bool { return v.id == id })
}

// keys returns every bucket/key the model has ever seen, sorted.
func keysOf(ms ...*model) []string {
	seen := map[string]bool{}
	for _, m := range ms {
		for k := range m.versions {
			seen[k] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}
