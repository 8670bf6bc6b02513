package crashtest

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/tessera-s3/tessera/internal/engine"
	"github.com/tessera-s3/tessera/internal/fsck"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// check reopens the stores on what the crash left and compares them with
// the model: every key and every upload must be as acknowledged, or, for
// the one operation in flight, as it would have left them. Then the parts
// of open uploads must read back, and after garbage collection and an
// orphan sweep no blob may be unreferenced or missing.
func (r *run) check() error {
	clone := r.fs.crashed()
	r.close() // the live file system is thrown away with everything unsynced
	if clone == nil {
		// Replays are exact, so this is the test's own fault.
		return fmt.Errorf("the run ended after %d mutations, before the crash point", r.fs.mutations())
	}
	clone, err := r.crashRecovery(clone)
	if err != nil {
		return err
	}
	s, err := openStores(clone, r.clk)
	if err != nil {
		return fmt.Errorf("reopening after the crash: %w", err)
	}
	defer s.meta.Close()
	r.s = s
	for _, k := range keysOf(r.m, r.prevOr()) {
		if err := r.checkKey(k); err != nil {
			return err
		}
	}
	for _, u := range r.m.uploads {
		if err := r.checkUpload(u); err != nil {
			return err
		}
	}
	if err := r.checkBlobs(); err != nil {
		return err
	}
	return r.stillWorks()
}

// crashRecovery cuts the power again, in every other run, while the
// restarted server recovers: opening the stores and collecting garbage and
// orphans the first crash left. It returns what that second crash leaves
// (or the first crash's state, untouched). Recovery changes nothing an S3
// client sees, so the check that follows is the same.
func (r *run) crashRecovery(after *vfs.MemFS) (*vfs.MemFS, error) {
	pick := rand.New(rand.NewPCG(r.seed, 3))
	if pick.IntN(2) == 0 {
		return after, nil
	}
	recover := func(crashAt int64) (*crashFS, error) {
		fs := newCrashFS(after.CrashClone(vfs.CrashCloneCfg{}), crashAt) // on an exact copy
		s, err := openStores(fs, r.clk)
		if err != nil {
			return fs, fmt.Errorf("reopening after the crash: %w", err)
		}
		defer s.meta.Close()
		if err := s.e.CollectGarbage(r.ctx); err != nil {
			return fs, fmt.Errorf("CollectGarbage after the crash: %w", err)
		}
		if _, err := s.e.SweepOrphans(r.ctx, 0); err != nil {
			return fs, fmt.Errorf("SweepOrphans after the crash: %w", err)
		}
		return fs, nil
	}
	measure, err := recover(0)
	if err != nil {
		return nil, err
	}
	n := measure.mutations()
	second, err := recover(1 + pick.Int64N(n))
	if err != nil {
		return nil, err
	}
	if second.crashed() == nil {
		return nil, fmt.Errorf("recovery made fewer than %d mutations", n)
	}
	r.during += " + a second crash in recovery"
	return second.crashed(), nil
}

// prevOr is the model before the operation in flight, or the model itself
// when none was.
func (r *run) prevOr() *model {
	if r.prev != nil {
		return r.prev
	}
	return r.m
}

// checkKey compares one bucket/key's versions with both models.
func (r *run) checkKey(k string) error {
	bucket, key, _ := strings.Cut(k, "/")
	got, err := r.observe(bucket, key)
	if err != nil {
		return fmt.Errorf("%s after the crash: %w", k, err)
	}
	if sameVersions(got, r.m.versions[k]) || sameVersions(got, r.prevOr().versions[k]) {
		return nil
	}
	return fmt.Errorf("%s after the crash holds %s; acknowledged %s (before the operation in flight: %s)",
		k, describe(got), describe(r.m.versions[k]), describe(r.prevOr().versions[k]))
}

// observe reads every version of bucket/key, oldest first, whole.
func (r *run) observe(bucket, key string) ([]version, error) {
	if bucket == plain {
		v, found, err := r.read(bucket, key, "")
		if err != nil || !found {
			return nil, err
		}
		return []version{v}, nil
	}
	res, err := r.s.e.ListObjectVersions(r.ctx, engine.ListVersionsInput{Bucket: bucket, Prefix: key, MaxKeys: 1000})
	if err != nil {
		return nil, err
	}
	var out []version
	for _, o := range slices.Backward(res.Versions) {
		if o.Key != key {
			continue
		}
		if o.DeleteMarker {
			out = append(out, version{id: o.VersionID, marker: true})
			continue
		}
		v, found, err := r.read(bucket, key, o.VersionID)
		if err != nil || !found {
			return nil, fmt.Errorf("listed version %s unreadable: found %v, %v", o.VersionID, found, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// read GETs one version whole; found is false for NoSuchKey.
func (r *run) read(bucket, key, versionID string) (version, bool, error) {
	out, err := r.s.e.GetObject(r.ctx, engine.GetInput{Bucket: bucket, Key: key, VersionID: versionID})
	if s3err.HasCode(err, s3err.NoSuchKey) {
		return version{}, false, nil
	}
	if err != nil {
		return version{}, false, err
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		return version{}, false, fmt.Errorf("reading the body: %w", err)
	}
	if int64(len(data)) != out.Object.Size {
		return version{}, false, fmt.Errorf("body of %d bytes, size %d", len(data), out.Object.Size)
	}
	return version{id: out.Object.VersionID, data: data, etag: out.Object.ETag, sums: out.Object.Checksums}, true, nil
}

func sameVersions(a, b []version) bool {
	return slices.EqualFunc(a, b, func(x, y version) bool {
		return x.id == y.id && x.marker == y.marker && bytes.Equal(x.data, y.data) && x.etag == y.etag && maps.Equal(x.sums, y.sums)
	})
}

func describe(vs []version) string {
	if len(vs) == 0 {
		return "nothing"
	}
	var b strings.Builder
	for i, v := range vs {
		if i > 0 {
			b.WriteString(", ")
		}
		if v.marker {
			fmt.Fprintf(&b, "[marker %s]", v.id)
			continue
		}
		fmt.Fprintf(&b, "[%s: %d bytes, ETag %s, md5 %s, %v]", v.id, len(v.data), v.etag, md5hex(v.data), v.sums)
	}
	return b.String()
}

// checkUpload compares an upload with both models: open with exactly the
// acknowledged parts, completed (a retried Complete answers the same
// object) or gone.
func (r *run) checkUpload(u *upload) error {
	then := r.prevOr().upload(u.id) // nil: created by the operation in flight
	res, err := r.s.e.ListParts(r.ctx, engine.ListPartsInput{Bucket: u.bucket, Key: u.key, UploadID: u.id, MaxParts: 1000})
	switch {
	case err == nil:
		got := map[int]string{}
		for _, p := range res.Parts {
			got[p.Number] = p.ETag
		}
		for _, want := range []*upload{u, then} {
			if want != nil && want.state == open && maps.Equal(got, partETags(want)) {
				return r.readParts(want, res.Parts)
			}
		}
		return fmt.Errorf("upload %s after the crash is open with parts %v; acknowledged %s", u.id, got, describeUpload(u, then))
	case !s3err.HasCode(err, s3err.NoSuchUpload):
		return fmt.Errorf("upload %s after the crash: %w", u.id, err)
	}
	// Gone: completed (the tombstone answers a retry) or aborted.
	for _, want := range []*upload{u, then} {
		if want == nil || want.state != completed {
			continue
		}
		obj, err := r.s.e.CompleteMultipartUpload(r.ctx, engine.CompleteInput{Bucket: u.bucket, Key: u.key, UploadID: u.id, ObjectSize: -1, Parts: completeParts(want, want.chosen)})
		if err == nil && obj.ETag == want.result.etag && obj.VersionID == want.result.id {
			return nil
		}
		return fmt.Errorf("upload %s after the crash: retried Complete = %+v, %v; acknowledged %s", u.id, obj.ETag, err, describeUpload(u, then))
	}
	if u.state == aborted || then == nil || then.state == aborted {
		return nil
	}
	return fmt.Errorf("upload %s is gone after the crash; acknowledged %s", u.id, describeUpload(u, then))
}

func partETags(u *upload) map[int]string {
	m := map[int]string{}
	for n, p := range u.parts {
		m[n] = p.etag
	}
	return m
}

func describeUpload(u, then *upload) string {
	states := map[uploadState]string{open: "open", completed: "completed", aborted: "aborted"}
	s := fmt.Sprintf("%s with parts %v", states[u.state], partETags(u))
	if then != nil {
		s += fmt.Sprintf(" (before the operation in flight: %s with parts %v)", states[then.state], partETags(then))
	}
	return s
}

// readParts completes an upload that survived open, with all its parts,
// and reads the object back: every acknowledged part's bytes survived.
func (r *run) readParts(u *upload, parts []engine.Part) error {
	if len(parts) == 0 {
		return nil
	}
	nums := slices.Sorted(maps.Keys(u.parts))
	obj, err := r.s.e.CompleteMultipartUpload(r.ctx, engine.CompleteInput{Bucket: u.bucket, Key: u.key, UploadID: u.id, ObjectSize: -1, Parts: completeParts(u, nums)})
	if err != nil {
		return fmt.Errorf("completing upload %s after the crash: %w", u.id, err)
	}
	v, found, err := r.read(u.bucket, u.key, obj.VersionID)
	if err != nil || !found {
		return fmt.Errorf("reading upload %s's object after the crash: found %v, %v", u.id, found, err)
	}
	var want []byte
	for _, n := range nums {
		want = append(want, u.parts[n].data...)
	}
	if !bytes.Equal(v.data, want) {
		return fmt.Errorf("upload %s's parts after the crash read %d bytes (md5 %s), want %d (md5 %s)", u.id, len(v.data), md5hex(v.data), len(want), md5hex(want))
	}
	return nil
}

// checkBlobs collects garbage and sweeps orphans (no grace: nothing is
// being written), then demands that the blob files and the blob IDs the
// metadata refers to be the same set, and the garbage list be empty.
func (r *run) checkBlobs() error {
	if err := r.s.e.CollectGarbage(r.ctx); err != nil {
		return fmt.Errorf("CollectGarbage after the crash: %w", err)
	}
	if _, err := r.s.e.SweepOrphans(r.ctx, 0); err != nil {
		return fmt.Errorf("SweepOrphans after the crash: %w", err)
	}
	garbage, err := r.s.meta.Garbage(r.ctx, 1000)
	if err != nil {
		return err
	}
	if len(garbage) > 0 {
		return fmt.Errorf("garbage left after CollectGarbage: %v", garbage)
	}
	// The final word is tessera fsck's, deep: every referenced blob there
	// with its size and checksums, records consistent, and — the sweep
	// having had no grace — not one unreferenced blob, however young.
	rep, err := fsck.Check(r.ctx, r.s.meta, r.s.blobs, fsck.Options{Deep: true, Grace: time.Nanosecond})
	if err != nil {
		return fmt.Errorf("fsck after the crash: %w", err)
	}
	if rep.Problems() > 0 || rep.Stats.InFlight > 0 || rep.Stats.OnDisk != rep.Stats.Referenced {
		var b strings.Builder
		rep.WriteText(&b)
		return fmt.Errorf("fsck after the crash and the sweep:\n%s", b.String())
	}
	return nil
}

// stillWorks writes and reads one object after the crash.
func (r *run) stillWorks() error {
	if _, err := r.s.e.HeadBucket(r.ctx, plain); s3err.HasCode(err, s3err.NoSuchBucket) && !r.setUp {
		return nil // the power went before the bucket was made
	}
	data := []byte("after the power came back")
	if _, err := r.s.e.PutObject(r.ctx, engine.PutInput{Bucket: plain, Key: "after", Owner: engine.Owner{ID: "owner"},
		Body: engine.BodyInput{Body: bytes.NewReader(data), Size: int64(len(data))}}); err != nil {
		return fmt.Errorf("PutObject after the crash: %w", err)
	}
	v, found, err := r.read(plain, "after", "")
	if err != nil || !found || !bytes.Equal(v.data, data) {
		return fmt.Errorf("GetObject after the crash: %q, found %v, %v", v.data, found, err)
	}
	return nil
}
