package crashtest

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tessera-s3/tessera/internal/engine"
	"github.com/tessera-s3/tessera/internal/lifecycle"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// step runs one random operation and records what it acknowledged.
func (r *run) step() (string, error) {
	n := r.rng.IntN(100)
	switch {
	case n < 25:
		return "PutObject", r.put()
	case n < 37:
		return "DeleteObject", r.delete()
	case n < 47:
		return "CreateMultipartUpload", r.createUpload()
	case n < 66:
		return "UploadPart", r.uploadPart()
	case n < 76:
		return "CompleteMultipartUpload", r.complete()
	case n < 81:
		return "AbortMultipartUpload", r.abort()
	case n < 87:
		return "retried Complete / Abort after Complete", r.afterEnd()
	case n < 95:
		return "lifecycle pass", r.lifecycle()
	case n < 98:
		return "CollectGarbage", r.s.e.CollectGarbage(r.ctx)
	default:
		_, err := r.s.e.SweepOrphans(r.ctx, 0)
		return "SweepOrphans", err
	}
}

// data returns random bytes of a random size: often empty or tiny, some
// spanning several 4 KiB blocks (what a crash clone keeps or drops).
func (r *run) data() []byte {
	var n int
	switch r.rng.IntN(4) {
	case 0:
		n = r.rng.IntN(2)
	case 1:
		n = 1 + r.rng.IntN(100)
	default:
		n = 1 + r.rng.IntN(40000)
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.rng.Uint32())
	}
	return b
}

func (r *run) pick(options ...string) string { return options[r.rng.IntN(len(options))] }

func (r *run) bucket() (string, bool) {
	if r.rng.IntN(2) == 0 {
		return plain, false
	}
	return versioned, true
}

func (r *run) key(bucket string) string {
	if bucket == plain {
		return r.pick("a", "b", "c", "d/e", "lc/x")
	}
	return r.pick("a", "b", "c")
}

func md5hex(b []byte) string {
	h := md5.Sum(b)
	return hex.EncodeToString(h[:])
}

func unquote(etag string) string { return strings.Trim(etag, `"`) }

func (r *run) put() error {
	bucket, isVersioned := r.bucket()
	key, data := r.key(bucket), r.data()
	obj, err := r.s.e.PutObject(r.ctx, engine.PutInput{Bucket: bucket, Key: key, Owner: engine.Owner{ID: "owner"},
		Body: engine.BodyInput{Body: bytes.NewReader(data), Size: int64(len(data))}})
	if err != nil {
		return err
	}
	if unquote(obj.ETag) != md5hex(data) {
		return fmt.Errorf("PutObject answered ETag %s for a body with MD5 %s", obj.ETag, md5hex(data))
	}
	r.m.put(bucket, key, isVersioned, version{id: obj.VersionID, data: data, etag: obj.ETag, sums: obj.Checksums})
	return nil
}

func (r *run) delete() error {
	bucket, isVersioned := r.bucket()
	key := r.key(bucket)
	in := engine.DeleteInput{Bucket: bucket, Key: key, Owner: engine.Owner{ID: "owner"}}
	vs := r.m.versions[bucket+"/"+key]
	byID := isVersioned && len(vs) > 0 && r.rng.IntN(2) == 0
	if byID {
		in.VersionID = vs[r.rng.IntN(len(vs))].id
	}
	out, err := r.s.e.DeleteObject(r.ctx, in)
	if err != nil {
		return err
	}
	switch {
	case !isVersioned:
		delete(r.m.versions, bucket+"/"+key)
	case byID:
		r.m.removeVersion(bucket, key, in.VersionID)
	default:
		if !out.DeleteMarker || out.VersionID == "" {
			return fmt.Errorf("DeleteObject in a versioned bucket made no delete marker: %+v", out)
		}
		r.m.put(bucket, key, true, version{id: out.VersionID, marker: true})
	}
	return nil
}

func (r *run) createUpload() error {
	bucket, _ := r.bucket()
	key := r.key(bucket)
	if bucket == plain && r.rng.IntN(2) == 0 {
		key = "lc/" + r.pick("m", "n") // the lifecycle rule's prefix
	}
	u, err := r.s.e.CreateMultipartUpload(r.ctx, engine.CreateUploadInput{Bucket: bucket, Key: key, Owner: engine.Owner{ID: "owner"}, Initiator: engine.Owner{ID: "owner"}})
	if err != nil {
		return err
	}
	r.m.uploads = append(r.m.uploads, &upload{bucket: bucket, key: key, id: u.ID, parts: map[int]part{}})
	return nil
}

// someUpload picks an upload in the given state, nil when there is none.
func (r *run) someUpload(state uploadState) *upload {
	var us []*upload
	for _, u := range r.m.uploads {
		if u.state == state {
			us = append(us, u)
		}
	}
	if len(us) == 0 {
		return nil
	}
	return us[r.rng.IntN(len(us))]
}

// uploadPart uploads part 1, 2 or 3, so part numbers are often uploaded
// again (the old part's blob becomes garbage).
func (r *run) uploadPart() error {
	u := r.someUpload(open)
	if u == nil {
		return r.createUpload()
	}
	num, data := 1+r.rng.IntN(3), r.data()
	if len(data) == 0 { // every part but the last must reach MinPartSize, 1 here
		data = []byte{0}
	}
	res, err := r.s.e.UploadPart(r.ctx, engine.UploadPartInput{Bucket: u.bucket, Key: u.key, UploadID: u.id, PartNumber: num,
		Body: engine.BodyInput{Body: bytes.NewReader(data), Size: int64(len(data))}})
	if err != nil {
		return err
	}
	if unquote(res.ETag) != md5hex(data) {
		return fmt.Errorf("UploadPart answered ETag %s for a body with MD5 %s", res.ETag, md5hex(data))
	}
	u.parts[num] = part{data: data, etag: res.ETag}
	return nil
}

// completeParts lists the chosen parts as a client sends them.
func completeParts(u *upload, chosen []int) []engine.CompletePart {
	var out []engine.CompletePart
	for _, n := range chosen {
		out = append(out, engine.CompletePart{Number: n, ETag: u.parts[n].etag})
	}
	return out
}

// complete completes an upload with all its parts or, now and then, some
// of them (the others' blobs become garbage).
func (r *run) complete() error {
	u := r.someUpload(open)
	if u == nil || len(u.parts) == 0 {
		return r.uploadPart()
	}
	nums := slices.Sorted(maps.Keys(u.parts))
	var chosen []int
	for _, n := range nums {
		if len(nums) == 1 || r.rng.IntN(4) != 0 {
			chosen = append(chosen, n)
		}
	}
	if len(chosen) == 0 {
		chosen = nums[:1]
	}
	obj, err := r.s.e.CompleteMultipartUpload(r.ctx, engine.CompleteInput{Bucket: u.bucket, Key: u.key, UploadID: u.id, ObjectSize: -1, Parts: completeParts(u, chosen)})
	if err != nil {
		return err
	}
	var data []byte
	for _, n := range chosen {
		data = append(data, u.parts[n].data...)
	}
	if obj.Size != int64(len(data)) {
		return fmt.Errorf("CompleteMultipartUpload answered size %d for %d bytes of parts", obj.Size, len(data))
	}
	u.state, u.chosen = completed, chosen
	u.result = version{id: obj.VersionID, data: data, etag: obj.ETag, sums: obj.Checksums}
	r.m.put(u.bucket, u.key, u.bucket == versioned, u.result)
	return nil
}

func (r *run) abort() error {
	u := r.someUpload(open)
	if u == nil {
		return r.createUpload()
	}
	if err := r.s.e.AbortMultipartUpload(r.ctx, u.bucket, u.key, u.id); err != nil {
		return err
	}
	u.state = aborted
	return nil
}

// afterEnd calls Complete again on a completed upload (a client retrying
// after a lost answer: the same result), Abort on a completed one (an
// abort that lost the race: NoSuchUpload, the object stays) or Complete
// on an aborted one (NoSuchUpload). None changes anything.
func (r *run) afterEnd() error {
	switch u := r.someUpload(completed); {
	case u != nil && r.rng.IntN(2) == 0:
		obj, err := r.s.e.CompleteMultipartUpload(r.ctx, engine.CompleteInput{Bucket: u.bucket, Key: u.key, UploadID: u.id, ObjectSize: -1, Parts: completeParts(u, u.chosen)})
		if err != nil {
			return fmt.Errorf("retried Complete: %w", err)
		}
		if obj.ETag != u.result.etag || obj.VersionID != u.result.id {
			return fmt.Errorf("retried Complete answered %s %s, first %s %s", obj.ETag, obj.VersionID, u.result.etag, u.result.id)
		}
		return nil
	case u != nil:
		err := r.s.e.AbortMultipartUpload(r.ctx, u.bucket, u.key, u.id)
		if !s3err.HasCode(err, s3err.NoSuchUpload) {
			return fmt.Errorf("Abort after Complete = %v, want NoSuchUpload", err)
		}
		return nil
	}
	u := r.someUpload(aborted)
	if u == nil || len(u.parts) == 0 { // no parts: MalformedXML comes first
		return r.abort()
	}
	_, err := r.s.e.CompleteMultipartUpload(r.ctx, engine.CompleteInput{Bucket: u.bucket, Key: u.key, UploadID: u.id, ObjectSize: -1, Parts: completeParts(u, slices.Sorted(maps.Keys(u.parts)))})
	if !s3err.HasCode(err, s3err.NoSuchUpload) {
		return fmt.Errorf("Complete after Abort = %v, want NoSuchUpload", err)
	}
	return nil
}

// lifecycle moves the clock three days on and runs a lifecycle pass: every
// upload under lc/ in the plain bucket, all started before the jump, is
// past its abort date (one day, rounded to the next midnight) and is
// aborted; every other one is untouched.
func (r *run) lifecycle() error {
	r.clk.advance(72 * time.Hour)
	w := lifecycle.NewWorker(r.s.e.LifecycleSource(), lifecycle.WorkerOptions{Logger: quiet})
	st := w.RunOnce(r.ctx)
	want := 0
	for _, u := range r.m.uploads {
		if u.state == open && u.bucket == plain && strings.HasPrefix(u.key, "lc/") {
			u.state = aborted
			want++
		}
	}
	if st.Errors != 0 || st.Aborted != int64(want) {
		return fmt.Errorf("lifecycle pass aborted %d uploads with %d errors, want %d aborted", st.Aborted, st.Errors, want)
	}
	return nil
}
