// Package metatest is the contract suite every meta.Store backend must pass.
// A backend's test calls RunStoreSuite with a function that opens its store.
package metatest

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/internal/meta"
)

// OpenFunc opens a store for a test. Called with a dir it has not seen, it
// returns an empty store; called again with the same dir (after the store
// from the previous call was closed), it returns a store holding the same
// data — that is how the suite tests durability across Close. A backend
// without a directory (PostgreSQL) can use dir as the name of its
// database or schema. The suite closes every store it opens.
type OpenFunc func(t *testing.T, dir string) meta.Store

// PeerFunc opens a second store on the data of s (opened on dir), as a
// second gateway process would; the suite closes it if it is not s.
type PeerFunc func(t *testing.T, s meta.Store, dir string) meta.Store

// Option configures RunStoreSuite.
type Option func(*options)

type options struct {
	peer PeerFunc
}

// WithPeer says how to open a peer store: a backend that several
// processes share (PostgreSQL) opens a second store on the same database;
// the default, for a backend one process owns (Pebble), is s itself.
func WithPeer(peer PeerFunc) Option {
	return func(o *options) { o.peer = peer }
}

// RunStoreSuite runs the contract suite against the stores open returns.
func RunStoreSuite(t *testing.T, open OpenFunc, opts ...Option) {
	o := options{peer: func(_ *testing.T, s meta.Store, _ string) meta.Store { return s }}
	for _, opt := range opts {
		opt(&o)
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, h *harness)
	}{
		{"Buckets", testBuckets},
		{"DeleteBucketNotEmpty", testDeleteBucketNotEmpty},
		{"ObjectRoundTrip", testObjectRoundTrip},
		{"WebsiteRedirectRoundTrip", testWebsiteRedirectRoundTrip},
		{"EncryptionRoundTrip", testEncryptionRoundTrip},
		{"RewriteCrypt", testRewriteCrypt},
		{"RewriteCryptError", testRewriteCryptError},
		{"RewriteCryptConcurrent", testRewriteCryptConcurrent},
		{"RewriteCryptVersions", testRewriteCryptVersions},
		{"RewriteCryptVersionsConcurrent", testRewriteCryptVersionsConcurrent},
		{"PutObjectReplaceReturnsGarbage", testPutObjectReplace},
		{"DeleteObject", testDeleteObject},
		{"CheckFunc", testCheckFunc},
		{"ListObjects", testListObjects},
		{"ListObjectsBucketIsolation", testListObjectsBucketIsolation},
		{"Garbage", testGarbage},
		{"BucketConfig", testBucketConfig},
		{"BucketConfigs", testBucketConfigs},
		{"PruneCompletions", testPruneCompletions},
		{"ForEachBlobRef", testForEachBlobRef},
		{"Docs", testDocs},
		{"Uploads", testUploads},
		{"PutPartReplace", testPutPartReplace},
		{"ListParts", testListParts},
		{"CompleteUpload", testCompleteUpload},
		{"CompleteUploadAborted", testCompleteUploadAborted},
		{"AbortUpload", testAbortUpload},
		{"ListUploads", testListUploads},
		{"Reopen", testReopen},
		{"UpdateBucket", testUpdateBucket},
		{"VersionsUnversioned", testVersionsUnversioned},
		{"VersionsEnabled", testVersionsEnabled},
		{"VersionsLateWriter", testVersionsLateWriter},
		{"VersionsDeleteMarkers", testVersionsDeleteMarkers},
		{"VersionsSuspended", testVersionsSuspended},
		{"VersionsDeleteByID", testVersionsDeleteByID},
		{"VersionsList", testVersionsList},
		{"VersionsListPosition", testVersionsListPosition},
		{"VersionsBucketNotEmpty", testVersionsBucketNotEmpty},
		{"VersionsComplete", testVersionsComplete},
		{"VersionsBlobRefs", testVersionsBlobRefs},
		{"VersionsReopen", testVersionsReopen},
		{"UpdateObject", testUpdateObject},
		{"ConcurrentVersions", testConcurrentVersions},
		{"ConcurrentPutPart", testConcurrentPutPart},
		{"ConcurrentPutObjectMustNotExist", testConcurrentPutObjectMustNotExist},
		{"ConcurrentDeleteBucket", testConcurrentDeleteBucket},
		{"ConcurrentPutPartAndComplete", testConcurrentPutPartAndComplete},
		{"ClusterGateways", testClusterGateways},
		{"ClusterReap", testClusterReap},
		{"ClusterGarbage", testClusterGarbage},
		{"ClusterLeases", testClusterLeases},
		{"ClusterLead", testClusterLead},
		{"ClusterFeed", testClusterFeed},
		{"ClusterFeedConcurrent", testClusterFeedConcurrent},
		{"ClusterFeedDeadGateway", testClusterFeedDeadGateway},
		{"UpdateDoc", testUpdateDoc},
		{"UpdateDocConcurrent", testUpdateDocConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newHarness(t, open, o.peer))
		})
	}
}

// harness holds the store under test and can reopen it on the same dir.
type harness struct {
	t    *testing.T
	open OpenFunc
	peer PeerFunc
	dir  string
	s    meta.Store
}

func newHarness(t *testing.T, open OpenFunc, peer PeerFunc) *harness {
	h := &harness{t: t, open: open, peer: peer, dir: t.TempDir()}
	h.s = open(t, h.dir)
	t.Cleanup(func() {
		if h.s != nil {
			if err := h.s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}
	})
	return h
}

// peerStore opens a peer of h.s (see WithPeer). separate reports whether
// it is another store than h.s; closePeer closes it then (once; the
// suite's cleanup closes it otherwise) and does nothing if not.
func (h *harness) peerStore() (p meta.Store, closePeer func(), separate bool) {
	h.t.Helper()
	p = h.peer(h.t, h.s, h.dir)
	if p == h.s {
		return p, func() {}, false
	}
	var once sync.Once
	closePeer = func() {
		once.Do(func() {
			if err := p.Close(); err != nil {
				h.t.Errorf("Close(peer): %v", err)
			}
		})
	}
	h.t.Cleanup(closePeer)
	return p, closePeer, true
}

// reopen closes the store and opens it again on the same dir.
func (h *harness) reopen() {
	h.t.Helper()
	s := h.s
	h.s = nil
	if err := s.Close(); err != nil {
		h.t.Fatalf("Close: %v", err)
	}
	h.s = h.open(h.t, h.dir)
}

// base is a fixed time with whole seconds, so that backends storing
// microseconds (PostgreSQL) round-trip it exactly.
var base = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func at(sec int) time.Time { return base.Add(time.Duration(sec) * time.Second) }

var owner = meta.Owner{ID: "0123abcd", DisplayName: "alice"}

func (h *harness) bucket(name string) {
	h.t.Helper()
	if err := h.s.CreateBucket(h.t.Context(), meta.Bucket{Name: name, Region: "us-east-1", Owner: owner, Created: base}); err != nil {
		h.t.Fatalf("CreateBucket(%q): %v", name, err)
	}
}

// object returns a single-segment object whose blob is named after the key.
func object(bucket, key, blob string) meta.Object {
	return meta.Object{
		Bucket: bucket, Key: key, Size: 3, ETag: "etag-" + blob,
		LastModified: base, Owner: owner, StorageClass: "STANDARD",
		Segments: []meta.Segment{{BlobID: blob, Size: 3, ETag: "etag-" + blob}},
	}
}

func (h *harness) put(obj meta.Object) []string {
	h.t.Helper()
	_, g, err := h.s.PutObject(h.t.Context(), obj, nil)
	if err != nil {
		h.t.Fatalf("PutObject(%q, %q): %v", obj.Bucket, obj.Key, err)
	}
	return g
}

func (h *harness) upload(bucket, key, id string, initiated time.Time) meta.Upload {
	h.t.Helper()
	u := meta.Upload{ID: id, Bucket: bucket, Key: key, Initiated: initiated, Initiator: owner, Owner: owner, StorageClass: "STANDARD"}
	if err := h.s.CreateUpload(h.t.Context(), u); err != nil {
		h.t.Fatalf("CreateUpload(%q, %q, %q): %v", bucket, key, id, err)
	}
	return u
}

func part(uploadID string, n int, blob string) meta.Part {
	return meta.Part{UploadID: uploadID, Number: n, BlobID: blob, Size: int64(n), ETag: "etag-" + blob, LastModified: base}
}

func (h *harness) putPart(bucket, key string, p meta.Part) []string {
	h.t.Helper()
	g, err := h.s.PutPart(h.t.Context(), bucket, key, p)
	if err != nil {
		h.t.Fatalf("PutPart(%q, %d): %v", p.UploadID, p.Number, err)
	}
	return g
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: err = %v, want %v", what, err, target)
	}
}

func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// sameSet fails unless got and want hold the same strings, each once.
func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	sort.Strings(g)
	sort.Strings(w)
	if len(g) == 0 && len(w) == 0 {
		return
	}
	if !slices.Equal(g, w) {
		t.Fatalf("%s = %q, want %q (any order, no duplicates)", what, g, w)
	}
}

// equal compares records after normalising what backends may represent
// differently: time zones and nil versus empty maps and slices.
func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	g, w := normalize(got), normalize(want)
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

func normalize(v any) any {
	switch x := v.(type) {
	case meta.Bucket:
		x.Created = x.Created.UTC()
		return x
	case meta.Object:
		// Seq is the store's to choose and IsLatest is the read's; the
		// versions tests check both directly.
		x.Seq, x.IsLatest = 0, false
		if x.VersionID == "" {
			x.VersionID = meta.NullVersion
		}
		x.LastModified = x.LastModified.UTC()
		x.UserMeta = normMap(x.UserMeta)
		x.Checksums = meta.Checksums(normMap(x.Checksums))
		var segs []meta.Segment
		for _, s := range x.Segments {
			s.Checksums = meta.Checksums(normMap(s.Checksums))
			segs = append(segs, s)
		}
		x.Segments = segs
		return x
	case []meta.Object:
		var out []any
		for _, o := range x {
			out = append(out, normalize(o))
		}
		return out
	case meta.Upload:
		x.Initiated = x.Initiated.UTC()
		x.UserMeta = normMap(x.UserMeta)
		return x
	case []meta.Upload:
		var out []any
		for _, u := range x {
			out = append(out, normalize(u))
		}
		return out
	case meta.Part:
		x.LastModified = x.LastModified.UTC()
		x.Checksums = meta.Checksums(normMap(x.Checksums))
		return x
	case []meta.Part:
		var out []any
		for _, p := range x {
			out = append(out, normalize(p))
		}
		return out
	case meta.Completion:
		x.Completed = x.Completed.UTC()
		x.Checksums = meta.Checksums(normMap(x.Checksums))
		if len(x.Parts) == 0 {
			x.Parts = nil
		}
		return x
	}
	panic(fmt.Sprintf("metatest: cannot normalize %T", v))
}

func normMap[M ~map[string]string](m M) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(map[string]string(m))
}
