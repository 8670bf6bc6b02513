package lifecycle

import (
	"context"
	"testing"
	"time"
)

// Noncurrent versions expire NoncurrentDays after their successor was
// created, rounded up to the next midnight UTC as current versions are
// (AWS user guide, "Lifecycle configuration elements": "Amazon S3 calculates
// the time by adding the number of days specified in the rule to the time
// when the new successor version is created and rounding the resulting time
// to the next day midnight UTC").
func TestNoncurrentExpiry(t *testing.T) {
	since := utc(2026, 3, 10, 15, 4)
	cfg := mustParse(t, doc(
		rule(`<ID>nc-3</ID><Filter><Prefix>a/</Prefix></Filter><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>3</NoncurrentDays></NoncurrentVersionExpiration>`),
		rule(`<ID>nc-1</ID><Filter><Prefix>a/fast/</Prefix></Filter><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration>`),
		rule(`<ID>keep-2</ID><Filter><Prefix>k/</Prefix></Filter><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>`),
		rule(`<ID>tag</ID><Filter><Tag><Key>t</Key><Value>x</Value></Tag></Filter><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>2</NoncurrentDays></NoncurrentVersionExpiration>`),
		rule(`<ID>big</ID><Filter><And><Prefix>s/</Prefix><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan></And></Filter><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>2</NoncurrentDays></NoncurrentVersionExpiration>`),
		rule(`<ID>cur</ID><Filter><Prefix>c/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>`),
		rule(`<ID>off</ID><Filter><Prefix>off/</Prefix></Filter><Status>Disabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration>`),
	))
	tests := []struct {
		name     string
		key      string
		tags     string
		size     int64
		newer    int
		wantRule string
		wantDate time.Time
	}{
		{"days from the successor, to midnight", "a/x", "", 5, 0, "nc-3", utc(2026, 3, 14, 0, 0)},
		{"earliest of two matching rules", "a/fast/x", "", 5, 0, "nc-1", utc(2026, 3, 12, 0, 0)},
		{"newest noncurrent kept", "k/x", "", 5, 0, "", time.Time{}},
		{"second newest kept", "k/x", "", 5, 1, "", time.Time{}},
		{"third newest expires", "k/x", "", 5, 2, "keep-2", utc(2026, 3, 12, 0, 0)},
		{"older ones too", "k/x", "", 5, 7, "keep-2", utc(2026, 3, 12, 0, 0)},
		{"tag of the version", "z", "t=x", 5, 0, "tag", utc(2026, 3, 13, 0, 0)},
		{"other tag value", "z", "t=y", 5, 0, "", time.Time{}},
		{"size above the bound", "s/x", "", 11, 0, "big", utc(2026, 3, 13, 0, 0)},
		{"a delete marker has no size", "s/x", "", -1, 0, "", time.Time{}},
		{"a current-version rule does not apply", "c/x", "", 5, 0, "", time.Time{}},
		{"disabled", "off/x", "", 5, 0, "", time.Time{}},
	}
	for _, tc := range tests {
		date, id, ok := cfg.NoncurrentExpiry(tc.key, Tags(tc.tags), tc.size, since, tc.newer)
		if ok != (tc.wantRule != "") || id != tc.wantRule || !date.Equal(tc.wantDate) {
			t.Errorf("%s: NoncurrentExpiry = %v, %q, %v; want %v, %q", tc.name, date, id, ok, tc.wantDate, tc.wantRule)
		}
	}
}

// An expired object delete marker goes under ExpiredObjectDeleteMarker at
// once, and under an Expiration by Days or Date once it has the age (AWS
// user guide "Managing delete markers"; AWS's answer on re:Post).
func TestMarkerExpiry(t *testing.T) {
	made := utc(2026, 3, 10, 15, 4)
	cfg := mustParse(t, doc(
		rule(`<ID>eodm</ID><Filter><Prefix>m/</Prefix></Filter><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`),
		rule(`<ID>no</ID><Filter><Prefix>n/</Prefix></Filter><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>false</ExpiredObjectDeleteMarker></Expiration>`),
		rule(`<ID>days-2</ID><Filter><Prefix>d/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>2</Days></Expiration>`),
		rule(`<ID>date</ID><Filter><Prefix>t/</Prefix></Filter><Status>Enabled</Status><Expiration><Date>2026-03-20T00:00:00Z</Date></Expiration>`),
		rule(`<ID>tagged</ID><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>`),
		rule(`<ID>nc</ID><Filter><Prefix>nc/</Prefix></Filter><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration>`),
		rule(`<ID>off</ID><Filter><Prefix>off/</Prefix></Filter><Status>Disabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`),
	))
	tests := []struct {
		name     string
		key      string
		wantRule string
		wantDate time.Time
	}{
		{"ExpiredObjectDeleteMarker: at once", "m/x", "eodm", made},
		{"ExpiredObjectDeleteMarker false: no action", "n/x", "", time.Time{}},
		{"Days: the marker's age, to midnight", "d/x", "days-2", utc(2026, 3, 13, 0, 0)},
		{"Date", "t/x", "date", utc(2026, 3, 20, 0, 0)},
		{"a tag filter never matches a marker", "x", "", time.Time{}},
		{"NoncurrentVersionExpiration does not", "nc/x", "", time.Time{}},
		{"disabled", "off/x", "", time.Time{}},
	}
	for _, tc := range tests {
		date, id, ok := cfg.MarkerExpiry(tc.key, made)
		if ok != (tc.wantRule != "") || id != tc.wantRule || !date.Equal(tc.wantDate) {
			t.Errorf("%s: MarkerExpiry = %v, %q, %v; want %v, %q", tc.name, date, id, ok, tc.wantDate, tc.wantRule)
		}
	}
}

// ver builds a test version; IDs must grow newer-first within a key
// (see fakeSource.Versions).
func ver(key, id string, latest, marker bool, mod time.Time) Version {
	return Version{Key: key, VersionID: id, IsLatest: latest, DeleteMarker: marker, Size: 5, LastModified: mod}
}

func TestWorkerExpiresNoncurrentVersions(t *testing.T) {
	day := func(d int) time.Time { return utc(2026, 3, d, 12, 0) }
	src := newFake(day(20))
	src.configs["b"] = mustParse(t, doc(
		rule(`<ID>nc</ID><Filter><Prefix>a/</Prefix></Filter><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>2</NoncurrentDays></NoncurrentVersionExpiration>`),
		rule(`<ID>keep</ID><Filter><Prefix>k/</Prefix></Filter><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>`)))
	src.versions["b"] = []Version{
		// a/1: v4 latest; v3 noncurrent since day 10 (+2 days, to
		// midnight: due day 13); v2, a noncurrent marker, since day 5
		// (due day 8); v1 since day 4 (due day 7).
		ver("a/1", "v4", true, false, day(10)),
		ver("a/1", "v3", false, false, day(5)),
		ver("a/1", "v2", false, true, day(4)),
		ver("a/1", "v1", false, false, day(1)),
		// a/2: v1 noncurrent since day 15: due day 18.
		ver("a/2", "v2", true, false, day(15)),
		ver("a/2", "v1", false, false, day(1)),
		// k/1: v4 and v3, the two newest noncurrent versions, stay however
		// old; v2 since day 3 (+1: due day 5), v1 since day 2 (due day 4).
		ver("k/1", "v5", true, false, day(9)),
		ver("k/1", "v4", false, false, day(4)),
		ver("k/1", "v3", false, false, day(3)),
		ver("k/1", "v2", false, false, day(2)),
		ver("k/1", "v1", false, false, day(1)),
		// z: no rule.
		ver("z", "v2", true, false, day(2)),
		ver("z", "v1", false, false, day(1)),
	}
	w := quietWorker(src, 3) // pages of 3 split keys' versions
	steps := []struct {
		at      time.Time
		removed int64
		left    string
	}{
		{utc(2026, 3, 3, 23, 59), 0, "v4,v3,v2,v1,v2,v1,v5,v4,v3,v2,v1,v2,v1"},
		{utc(2026, 3, 4, 0, 0), 1, "v4,v3,v2,v1,v2,v1,v5,v4,v3,v2,v2,v1"},
		{utc(2026, 3, 7, 0, 0), 2, "v4,v3,v2,v2,v1,v5,v4,v3,v2,v1"},
		{utc(2026, 3, 8, 0, 0), 1, "v4,v3,v2,v1,v5,v4,v3,v2,v1"},
		{utc(2026, 3, 12, 23, 59), 0, "v4,v3,v2,v1,v5,v4,v3,v2,v1"},
		{utc(2026, 3, 13, 0, 0), 1, "v4,v2,v1,v5,v4,v3,v2,v1"},
		{utc(2026, 3, 18, 0, 0), 1, "v4,v2,v5,v4,v3,v2,v1"},
		{utc(2027, 1, 1, 0, 0), 0, "v4,v2,v5,v4,v3,v2,v1"},
	}
	for _, st := range steps {
		src.set(st.at)
		if got := w.RunOnce(context.Background()); got.Removed != st.removed || got.Errors != 0 {
			t.Fatalf("pass at %v: %+v, want %d removed", st.at, got, st.removed)
		}
		if got := src.versionIDs("b"); got != st.left {
			t.Fatalf("after the pass at %v: %s, want %s", st.at, got, st.left)
		}
	}
	if st := w.Stats(); st.Removed != 6 || st.Expired != 0 {
		t.Fatalf("Stats = %+v", st)
	}
}

// A delete marker that is its key's only version is removed (AWS user
// guide, "Expiring objects": "If the current object version is the only
// object version and it is also a delete marker ... Amazon S3 removes the
// expired object delete marker"); one with older versions below stays
// ("Amazon S3 doesn't take any action if there are one or more object
// versions and the delete marker is the current version").
func TestWorkerRemovesExpiredDeleteMarkers(t *testing.T) {
	made := utc(2026, 3, 10, 15, 0)
	src := newFake(made)
	src.configs["b"] = mustParse(t, doc(
		rule(`<ID>eodm</ID><Filter><Prefix>m/</Prefix></Filter><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`),
		rule(`<ID>days</ID><Filter><Prefix>d/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>2</Days></Expiration>`)))
	src.versions["b"] = []Version{
		ver("d/alone", "v1", true, true, made),    // due by age: day 13
		ver("m/alone", "v1", true, true, made),    // due at once
		ver("m/hiding", "v2", true, true, made),   // an older version below: stays
		ver("m/hiding", "v1", false, false, made), //
		ver("m/last", "v1", true, true, made),     // the last version of the listing
		ver("x/alone", "v1", true, true, made),    // no rule
	}
	w := quietWorker(src, 2)
	if got := w.RunOnce(context.Background()); got.Removed != 2 {
		t.Fatalf("removed %d at once, want 2 (m/alone, m/last)", got.Removed)
	}
	if got := src.versionIDs("b"); got != "v1,v2,v1,v1" {
		t.Fatalf("left %s", got)
	}
	src.set(utc(2026, 3, 12, 23, 59))
	if got := w.RunOnce(context.Background()); got.Removed != 0 {
		t.Fatalf("removed %d before the marker's age", got.Removed)
	}
	src.set(utc(2026, 3, 13, 0, 0))
	if got := w.RunOnce(context.Background()); got.Removed != 1 {
		t.Fatalf("removed %d at the marker's age, want 1", got.Removed)
	}
	if got := src.versionIDs("b"); got != "v2,v1,v1" {
		t.Fatalf("left %s", got)
	}
}

// "Protected object versions remain safe from being deleted or overwritten
// by a lifecycle configuration" (AWS user guide, object-lock-managing): the
// source refuses them, and the worker goes on with the rest.
func TestWorkerSparesLockedVersions(t *testing.T) {
	mod := utc(2026, 3, 1, 12, 0)
	src := newFake(utc(2026, 4, 1, 0, 0))
	src.configs["b"] = mustParse(t, doc(rule(`<ID>nc</ID><Filter/><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration>`)))
	src.versions["b"] = []Version{
		ver("k", "v3", true, false, mod.AddDate(0, 0, 2)),
		ver("k", "v2", false, false, mod.AddDate(0, 0, 1)),
		ver("k", "v1", false, false, mod),
	}
	src.locked["v2"] = true
	w := quietWorker(src, 1000)
	if got := w.RunOnce(context.Background()); got.Removed != 1 || got.Errors != 0 {
		t.Fatalf("RunOnce = %+v, want v1 removed", got)
	}
	if got := src.versionIDs("b"); got != "v3,v2" {
		t.Fatalf("left %s, want v3,v2", got)
	}
	delete(src.locked, "v2") // the retention ends: the next pass removes it
	if got := w.RunOnce(context.Background()); got.Removed != 1 || src.versionIDs("b") != "v3" {
		t.Fatalf("after the lock ended: %+v, left %s", got, src.versionIDs("b"))
	}
}

// resurrectingSource makes the listed noncurrent version the latest again
// (key k) before it is removed, as a client deleting the newer versions
// meanwhile would, or retags it (key j): the removal's check sees both.
type resurrectingSource struct{ *fakeSource }

func (r resurrectingSource) RemoveVersion(ctx context.Context, b, key, id string, remove func(Version) bool) (bool, error) {
	r.mu.Lock()
	for i := range r.versions[b] {
		v := &r.versions[b][i]
		if v.Key == key && v.VersionID == id {
			if v.Key == "k" {
				v.IsLatest = true
			} else {
				v.Tagging = "t=keep"
			}
		}
	}
	r.mu.Unlock()
	return r.fakeSource.RemoveVersion(ctx, b, key, id, remove)
}

func TestWorkerRechecksVersionUnderLock(t *testing.T) {
	mod := utc(2026, 3, 1, 12, 0)
	src := newFake(utc(2026, 4, 1, 0, 0))
	src.configs["b"] = mustParse(t, doc(rule(`<ID>nc</ID><Filter><Tag><Key>t</Key><Value>old</Value></Tag></Filter><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration>`)))
	src.versions["b"] = []Version{
		ver("j", "v2", true, false, mod.AddDate(0, 0, 1)),
		{Key: "j", VersionID: "v1", LastModified: mod, Tagging: "t=old"},
		ver("k", "v2", true, false, mod.AddDate(0, 0, 1)),
		{Key: "k", VersionID: "v1", LastModified: mod, Tagging: "t=old"},
	}
	w := quietWorker(resurrectingSource{src}, 1000)
	if got := w.RunOnce(context.Background()); got.Removed != 0 || src.versionIDs("b") != "v2,v1,v2,v1" {
		t.Fatalf("removed a version that changed since it was listed: %+v, left %s", got, src.versionIDs("b"))
	}
}

// An unversioned bucket has no versions to walk: the worker does not list them.
func TestWorkerSkipsVersionsOfUnversionedBucket(t *testing.T) {
	src := newFake(utc(2026, 4, 1, 0, 0))
	src.configs["b"] = mustParse(t, doc(rule(`<ID>nc</ID><Filter/><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration>`)))
	w := quietWorker(src, 1000)
	if got := w.RunOnce(context.Background()); got.Errors != 0 || src.calls != 0 {
		t.Fatalf("RunOnce = %+v with %d listing calls, want none", got, src.calls)
	}
}
