package lifecycle

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSource is an in-memory Source with a settable clock.
type fakeSource struct {
	mu      sync.Mutex
	now     time.Time
	configs map[string]*Config
	uploads map[string][]Upload // by bucket, sorted by key then ID
	objects map[string][]Object // by bucket, sorted by key
	// versions of versioned buckets, by bucket, sorted by key then newest
	// first; locked holds the IDs of versions Object Lock protects.
	versions map[string][]Version
	locked   map[string]bool
	failCfg  map[string]bool
	calls    int // listing calls, to see paging
}

func newFake(now time.Time) *fakeSource {
	return &fakeSource{now: now, configs: map[string]*Config{}, uploads: map[string][]Upload{},
		objects: map[string][]Object{}, versions: map[string][]Version{}, locked: map[string]bool{}, failCfg: map[string]bool{}}
}

func (f *fakeSource) Now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }

func (f *fakeSource) set(now time.Time) { f.mu.Lock(); f.now = now; f.mu.Unlock() }

func (f *fakeSource) Buckets(context.Context) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for b := range f.configs {
		out = append(out, b)
	}
	for b := range f.uploads {
		if f.configs[b] == nil {
			out = append(out, b)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (f *fakeSource) Config(_ context.Context, b string) (*Config, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failCfg[b] {
		return nil, errors.New("disk on fire")
	}
	return f.configs[b], nil
}

func (f *fakeSource) Uploads(_ context.Context, b, prefix, afterKey, afterID string, limit int) ([]Upload, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	var out []Upload
	for _, u := range f.uploads[b] {
		after := u.Key > afterKey || u.Key == afterKey && afterID != "" && u.ID > afterID
		if strings.HasPrefix(u.Key, prefix) && after && len(out) < limit {
			out = append(out, u)
		}
	}
	return out, nil
}

func (f *fakeSource) AbortUpload(_ context.Context, b, key, id string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ups := f.uploads[b]
	for i, u := range ups {
		if u.Key == key && u.ID == id {
			f.uploads[b] = append(ups[:i:i], ups[i+1:]...)
			return true, nil
		}
	}
	return false, nil
}

func (f *fakeSource) Objects(_ context.Context, b, prefix, after string, limit int) ([]Object, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	var out []Object
	for _, o := range f.objects[b] {
		if strings.HasPrefix(o.Key, prefix) && o.Key > after && len(out) < limit {
			out = append(out, o)
		}
	}
	return out, nil
}

func (f *fakeSource) ExpireObject(_ context.Context, b, key string, expired func(Object) bool) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	objs := f.objects[b]
	for i, o := range objs {
		if o.Key == key {
			if !expired(o) {
				return false, nil
			}
			f.objects[b] = append(objs[:i:i], objs[i+1:]...)
			return true, nil
		}
	}
	return false, nil
}

func (f *fakeSource) Versioned(_ context.Context, b string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.versions[b] != nil, nil
}

func (f *fakeSource) Versions(_ context.Context, b, prefix, afterKey, afterID string, limit int) ([]Version, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	vs := f.versions[b]
	var out []Version
	for _, v := range vs {
		// Test version IDs grow with age's inverse ("v3" is newer than
		// "v2"), so a position is placed even when its version is gone,
		// as the store places a removed ID by its sequence.
		past := v.Key > afterKey || v.Key == afterKey && afterID != "" && v.VersionID < afterID
		if past && strings.HasPrefix(v.Key, prefix) && len(out) < limit {
			out = append(out, v)
		}
	}
	return out, nil
}

func (f *fakeSource) RemoveVersion(_ context.Context, b, key, id string, remove func(Version) bool) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	vs := f.versions[b]
	for i, v := range vs {
		if v.Key != key || v.VersionID != id {
			continue
		}
		if f.locked[id] || !remove(v) {
			return false, nil
		}
		f.versions[b] = append(vs[:i:i], vs[i+1:]...)
		if v.IsLatest && i+1 < len(f.versions[b]) && f.versions[b][i].Key == key {
			f.versions[b][i].IsLatest = true
		}
		return true, nil
	}
	return false, nil
}

func (f *fakeSource) versionIDs(b string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, v := range f.versions[b] {
		out = append(out, v.VersionID)
	}
	return strings.Join(out, ",")
}

func (f *fakeSource) uploadIDs(b string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, u := range f.uploads[b] {
		out = append(out, u.ID)
	}
	return out
}

func (f *fakeSource) objectKeys(b string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, o := range f.objects[b] {
		out = append(out, o.Key)
	}
	return out
}

func quietWorker(src Source, pageSize int) *Worker {
	return NewWorker(src, WorkerOptions{Interval: time.Hour, PageSize: pageSize, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

func TestWorkerAbortsDueUploads(t *testing.T) {
	start := utc(2026, 3, 10, 15, 0)
	src := newFake(start)
	src.configs["b"] = mustParse(t, doc(
		rule(`<ID>tmp</ID><Filter><Prefix>tmp/</Prefix></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>`),
		rule(`<ID>week</ID><Filter><Prefix>big/</Prefix></Filter><Status>Enabled</Status>`+abort7)))
	src.uploads["b"] = []Upload{
		{Key: "big/1", ID: "u1", Initiated: start},
		{Key: "other", ID: "u2", Initiated: start.AddDate(-1, 0, 0)}, // no rule: never aborted
		{Key: "tmp/a", ID: "u3", Initiated: start},
		{Key: "tmp/b", ID: "u4", Initiated: start.AddDate(0, 0, 1)},
		{Key: "tmp/c", ID: "u5", Initiated: start},
	}
	// A bucket without a configuration keeps its uploads forever.
	src.uploads["nocfg"] = []Upload{{Key: "tmp/a", ID: "n1", Initiated: start.AddDate(-5, 0, 0)}}
	w := quietWorker(src, 2) // pages of 2 exercise the paging

	if got := w.RunOnce(context.Background()); got.Aborted != 0 {
		t.Fatalf("aborted %d before any date", got.Aborted)
	}
	src.set(utc(2026, 3, 11, 23, 59)) // one minute before tmp's date
	if got := w.RunOnce(context.Background()); got.Aborted != 0 {
		t.Fatalf("aborted %d early", got.Aborted)
	}
	src.set(utc(2026, 3, 12, 0, 0)) // the date itself is due
	if got := w.RunOnce(context.Background()); got.Aborted != 2 {
		t.Fatalf("aborted %d, want 2 (u3, u5)", got.Aborted)
	}
	if got := strings.Join(src.uploadIDs("b"), ","); got != "u1,u2,u4" {
		t.Fatalf("left %s, want u1,u2,u4", got)
	}
	// Idempotent: running again at the same time does nothing more.
	if got := w.RunOnce(context.Background()); got.Aborted != 0 {
		t.Fatalf("second pass aborted %d", got.Aborted)
	}
	src.set(utc(2026, 3, 18, 0, 0))
	w.RunOnce(context.Background())
	if got := strings.Join(src.uploadIDs("b"), ","); got != "u2" {
		t.Fatalf("left %s, want u2", got)
	}
	if got := src.uploadIDs("nocfg"); len(got) != 1 {
		t.Fatalf("bucket without configuration lost uploads: %v", got)
	}
	st := w.Stats()
	if st.Aborted != 4 || st.Expired != 0 || st.Errors != 0 || st.Passes != 5 || !st.LastPass.Equal(utc(2026, 3, 18, 0, 0)) {
		t.Fatalf("Stats = %+v", st)
	}
}

func TestWorkerExpiresObjects(t *testing.T) {
	mod := utc(2026, 3, 10, 15, 0)
	src := newFake(mod)
	src.configs["b"] = mustParse(t, doc(
		rule(`<ID>days</ID><Filter><Prefix>d/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>2</Days></Expiration>`),
		rule(`<ID>date</ID><Filter><Prefix>x/</Prefix></Filter><Status>Enabled</Status><Expiration><Date>2026-03-11T00:00:00Z</Date></Expiration>`),
		rule(`<ID>tag</ID><Filter><Tag><Key>t</Key><Value>1</Value></Tag></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>`)))
	src.objects["b"] = []Object{
		{Key: "d/1", Size: 1, LastModified: mod},
		{Key: "d/2", Size: 1, LastModified: mod.AddDate(0, 0, 1)},
		{Key: "keep", Size: 1, LastModified: mod.AddDate(-1, 0, 0)},
		{Key: "tagged", Size: 1, LastModified: mod, Tagging: "t=1"},
		{Key: "x/1", Size: 1, LastModified: mod},
		{Key: "x/2", Size: 1, LastModified: mod.AddDate(0, 0, 5)}, // after the date: due at once
	}
	w := quietWorker(src, 1000)
	if got := w.RunOnce(context.Background()); got.Expired != 0 {
		t.Fatalf("expired %d before the date", got.Expired)
	}
	src.set(utc(2026, 3, 11, 0, 0))
	w.RunOnce(context.Background())
	if got := strings.Join(src.objectKeys("b"), ","); got != "d/1,d/2,keep,tagged" {
		t.Fatalf("after the date: %s", got)
	}
	src.set(utc(2026, 3, 12, 0, 0))
	w.RunOnce(context.Background())
	if got := strings.Join(src.objectKeys("b"), ","); got != "d/1,d/2,keep" {
		t.Fatalf("after a day: %s", got)
	}
	src.set(utc(2026, 3, 13, 0, 0))
	w.RunOnce(context.Background())
	if got := strings.Join(src.objectKeys("b"), ","); got != "d/2,keep" {
		t.Fatalf("after two days: %s", got)
	}
	if st := w.Stats(); st.Expired != 4 {
		t.Fatalf("Stats = %+v", st)
	}
}

// replacingSource replaces an object between its listing and its expiry,
// as a client writing the key meanwhile would.
type replacingSource struct{ *fakeSource }

func (r replacingSource) ExpireObject(ctx context.Context, b, key string, expired func(Object) bool) (bool, error) {
	r.mu.Lock()
	for i := range r.objects[b] {
		if r.objects[b][i].Key == key {
			r.objects[b][i].LastModified = r.now
		}
	}
	r.mu.Unlock()
	return r.fakeSource.ExpireObject(ctx, b, key, expired)
}

func TestWorkerSparesReplacedObject(t *testing.T) {
	mod := utc(2026, 3, 10, 15, 0)
	src := newFake(utc(2026, 4, 1, 0, 0))
	src.configs["b"] = mustParse(t, doc(rule(`<ID>d</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>`)))
	src.objects["b"] = []Object{{Key: "k", LastModified: mod}}
	w := quietWorker(replacingSource{src}, 1000)
	if got := w.RunOnce(context.Background()); got.Expired != 0 || len(src.objectKeys("b")) != 1 {
		t.Fatalf("expired a replaced object: %+v", got)
	}
}

func TestWorkerErrorsDoNotStopOtherBuckets(t *testing.T) {
	now := utc(2026, 3, 10, 15, 0)
	src := newFake(now)
	cfg := mustParse(t, doc(rule(`<ID>a</ID><Filter/><Status>Enabled</Status>`+abort7)))
	src.configs["a"], src.configs["b"] = cfg, cfg
	src.failCfg["a"] = true
	src.uploads["b"] = []Upload{{Key: "k", ID: "u", Initiated: now.AddDate(0, 0, -30)}}
	w := quietWorker(src, 1000)
	got := w.RunOnce(context.Background())
	if got.Errors != 1 || got.Aborted != 1 {
		t.Fatalf("RunOnce = %+v, want 1 error and 1 abort", got)
	}
}

func TestWorkerRunStopsWithContext(t *testing.T) {
	now := utc(2026, 3, 10, 15, 0)
	src := newFake(now)
	src.configs["b"] = mustParse(t, doc(rule(`<ID>a</ID><Filter/><Status>Enabled</Status>`+abort7)))
	src.uploads["b"] = []Upload{{Key: "k", ID: "u", Initiated: now.AddDate(0, 0, -30)}}
	w := NewWorker(src, WorkerOptions{Interval: 10 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for w.Stats().Passes < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	// A concurrent RunOnce waits its turn rather than racing the loop.
	w.RunOnce(context.Background())
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if st := w.Stats(); st.Passes < 3 || st.Aborted != 1 {
		t.Fatalf("Stats = %+v, want ≥3 passes and exactly 1 abort", st)
	}
}
