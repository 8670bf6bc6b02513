package metatest

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"

	"github.com/tessera-s3/tessera/internal/meta"
)

// reseal is the CryptFunc of these tests: a record "old:X" becomes
// "new:X"; any other record is left alone (so a second walk changes
// nothing, as a real re-seal leaves records already under the new key).
func reseal(enc *meta.Encryption, crypt []byte) ([]byte, bool, error) {
	if rest, ok := strings.CutPrefix(string(crypt), "old:"); ok {
		return []byte("new:" + rest), true, nil
	}
	return nil, false, nil
}

var (
	cryptKMS = &meta.Encryption{Mode: "aws:kms", KMSKeyID: "arn:aws:kms:us-east-1:000000000000:key/k1", KMSContext: "e30="}
	cryptS3  = &meta.Encryption{Mode: "AES256"}
)

// encObject is an object whose segments carry the records crypts (nil:
// plaintext segment), encrypted as enc.
func encObject(bucket, key string, enc *meta.Encryption, crypts ...string) meta.Object {
	o := object(bucket, key, key+"-blob0")
	o.Encryption = enc
	o.Segments = nil
	for i, c := range crypts {
		seg := meta.Segment{BlobID: fmt.Sprintf("%s-blob%d", key, i), Size: 3, PartNumber: i + 1, ETag: "e"}
		if c != "" {
			seg.Crypt = []byte(c)
		}
		o.Segments = append(o.Segments, seg)
	}
	return o
}

// resealed is want with every "old:" record as reseal leaves it.
func resealed(o meta.Object) meta.Object {
	o.Segments = append([]meta.Segment(nil), o.Segments...)
	for i, s := range o.Segments {
		if s.Crypt != nil {
			if c, ok, _ := reseal(o.Encryption, s.Crypt); ok {
				o.Segments[i].Crypt = c
			}
		}
	}
	return o
}

// testRewriteCrypt: RewriteCrypt visits every record of encrypted objects
// (across buckets, past the first page of a listing) and of encrypted
// uploads' parts, with the holder's Encryption; it stores exactly what fn
// changed — no other field, no blob, no garbage — durably; a second run
// changes nothing.
func testRewriteCrypt(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("a")
	h.bucket("b")
	var objs []meta.Object
	// 505 objects in "a": more than one page of any reasonable listing.
	for i := range 505 {
		o := object("a", fmt.Sprintf("k%04d", i), fmt.Sprintf("a-blob%d", i))
		if i%100 == 4 {
			o = encObject("a", o.Key, cryptKMS, fmt.Sprintf("old:a%d", i))
		}
		objs = append(objs, o)
		h.put(o)
	}
	mpu := encObject("b", "mpu", cryptS3, "old:m1", "keep:m2", "old:m3")
	mpu.PartsCount, mpu.ETag, mpu.Checksums = 3, "mpu-etag-3", meta.Checksums{"CRC64NVME": "x"}
	objs = append(objs, mpu, object("b", "plain", "b-plain"))
	h.put(mpu)
	h.put(objs[len(objs)-1])

	enc := h.upload("b", "up", "up-enc", base)
	enc.Encryption = cryptKMS
	noErr(t, "AbortUpload", errOf(h.s.AbortUpload(ctx, "b", "up", "up-enc")))
	noErr(t, "CreateUpload", h.s.CreateUpload(ctx, enc))
	p1, p2, p3 := part("up-enc", 1, "p1"), part("up-enc", 2, "p2"), part("up-enc", 3, "p3")
	p1.Crypt, p2.Crypt = []byte("old:p1"), []byte("keep:p2")
	plainUp := h.upload("b", "up", "up-plain", at(1))
	p4 := part("up-plain", 1, "p4")
	for _, p := range []meta.Part{p1, p2, p3} {
		h.putPart("b", "up", p)
	}
	h.putPart("b", "up", p4)
	garbageBefore, err := h.s.Garbage(ctx, 1000)
	noErr(t, "Garbage", err)

	var mu sync.Mutex
	seen := map[string]string{} // record → the Mode of the Encryption it came with
	fn := func(e *meta.Encryption, crypt []byte) ([]byte, bool, error) {
		mu.Lock()
		defer mu.Unlock()
		if e == nil {
			t.Errorf("record %q came without its Encryption", crypt)
		} else {
			seen[string(crypt)] = e.Mode
		}
		return reseal(e, crypt)
	}
	n, err := h.s.RewriteCrypt(ctx, fn)
	noErr(t, "RewriteCrypt", err)
	if n != 6+2+1 {
		t.Fatalf("RewriteCrypt rewrote %d records, want 9", n)
	}
	want := map[string]string{"old:m1": "AES256", "keep:m2": "AES256", "old:m3": "AES256", "old:p1": "aws:kms", "keep:p2": "aws:kms"}
	for i := 4; i < 505; i += 100 {
		want[fmt.Sprintf("old:a%d", i)] = "aws:kms"
	}
	if !maps.Equal(seen, want) {
		t.Fatalf("records visited, with their Encryption's mode:\n got %v\nwant %v", seen, want)
	}

	check := func(stage string) {
		t.Helper()
		for _, o := range objs {
			got, err := h.s.GetObject(ctx, o.Bucket, o.Key, "")
			noErr(t, stage+" GetObject", err)
			equal(t, stage+" GetObject("+o.Key+")", got, resealed(o))
		}
		p1.Crypt = []byte("new:p1")
		parts, err := h.s.ListParts(ctx, "up-enc", 0, 10)
		noErr(t, stage+" ListParts", err)
		equal(t, stage+" ListParts", parts, []meta.Part{p1, p2, p3})
		parts, err = h.s.ListParts(ctx, "up-plain", 0, 10)
		noErr(t, stage+" ListParts", err)
		equal(t, stage+" ListParts plain", parts, []meta.Part{p4})
		for _, u := range []meta.Upload{enc, plainUp} {
			got, err := h.s.GetUpload(ctx, "b", "up", u.ID)
			noErr(t, stage+" GetUpload", err)
			equal(t, stage+" GetUpload", got, u)
		}
		g, err := h.s.Garbage(ctx, 1000)
		noErr(t, stage+" Garbage", err)
		sameSet(t, stage+" garbage (a rewrite frees no blob)", g, garbageBefore)
	}
	check("rewritten")
	if n, err := h.s.RewriteCrypt(ctx, reseal); err != nil || n != 0 {
		t.Fatalf("second RewriteCrypt = %d, %v; want 0, nil", n, err)
	}
	h.reopen()
	check("reopened")
}

// testRewriteCryptError: an error from fn stops the walk and is returned
// (wrapped or not); what fn changed on the failing object is not stored.
func testRewriteCryptError(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	o := encObject("b", "k", cryptS3, "old:1", "old:2")
	h.put(o)
	boom := errors.New("boom")
	calls := 0
	_, err := h.s.RewriteCrypt(ctx, func(e *meta.Encryption, c []byte) ([]byte, bool, error) {
		if calls++; calls == 2 {
			return nil, false, boom
		}
		return reseal(e, c)
	})
	wantErr(t, "RewriteCrypt", err, boom)
	got, err := h.s.GetObject(ctx, "b", "k", "")
	noErr(t, "GetObject", err)
	equal(t, "object after a failed rewrite", got, o)
}

// testRewriteCryptConcurrent: objects deleted or replaced and uploads
// aborted or given new parts while RewriteCrypt runs are never brought
// back or overwritten with old state: each ends as the concurrent write
// left it (re-sealed if it still held an old record), and the garbage is
// exactly what the concurrent writes freed.
func testRewriteCryptConcurrent(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	const n = 60
	for i := range n {
		h.put(encObject("b", fmt.Sprintf("k%03d", i), cryptKMS, fmt.Sprintf("old:o%d", i)))
		u := h.upload("b", fmt.Sprintf("u%03d", i), fmt.Sprintf("up%03d", i), base)
		u.Encryption = cryptS3
		noErr(t, "AbortUpload", errOf(h.s.AbortUpload(ctx, u.Bucket, u.Key, u.ID)))
		noErr(t, "CreateUpload", h.s.CreateUpload(ctx, u))
		p := part(u.ID, 1, fmt.Sprintf("p%03d", i))
		p.Crypt = []byte(fmt.Sprintf("old:p%d", i))
		h.putPart("b", u.Key, p)
	}
	g0, err := h.s.Garbage(ctx, 1000)
	noErr(t, "Garbage", err)

	var freed []string
	var walkErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 3 { // several walks, so some surely overlap the writes
			if _, err := h.s.RewriteCrypt(ctx, reseal); err != nil {
				walkErr = err
				return
			}
		}
	}()
	for i := range n {
		key, upKey, up := fmt.Sprintf("k%03d", i), fmt.Sprintf("u%03d", i), fmt.Sprintf("up%03d", i)
		switch i % 4 {
		case 0:
			_, g, err := h.s.DeleteObject(ctx, meta.Deletion{Bucket: "b", Key: key}, nil)
			noErr(t, "DeleteObject", err)
			freed = append(freed, g...)
			g, err = h.s.AbortUpload(ctx, "b", upKey, up)
			noErr(t, "AbortUpload", err)
			freed = append(freed, g...)
		case 1:
			r := encObject("b", key, cryptKMS, fmt.Sprintf("fresh:o%d", i))
			r.Segments[0].BlobID = "r-" + key
			_, g, err := h.s.PutObject(ctx, r, nil)
			noErr(t, "PutObject", err)
			freed = append(freed, g...)
			p := part(up, 1, "rp-"+up)
			p.Crypt = []byte(fmt.Sprintf("fresh:p%d", i))
			g, err = h.s.PutPart(ctx, "b", upKey, p)
			noErr(t, "PutPart", err)
			freed = append(freed, g...)
		}
	}
	wg.Wait()
	noErr(t, "RewriteCrypt", walkErr)
	if _, err := h.s.RewriteCrypt(ctx, reseal); err != nil { // whatever the race left, a last walk finishes
		t.Fatalf("RewriteCrypt: %v", err)
	}

	for i := range n {
		key, up := fmt.Sprintf("k%03d", i), fmt.Sprintf("up%03d", i)
		o, oerr := h.s.GetObject(ctx, "b", key, "")
		parts, perr := h.s.ListParts(ctx, up, 0, 10)
		noErr(t, "ListParts", perr)
		switch i % 4 {
		case 0:
			wantErr(t, "GetObject of a deleted object", oerr, meta.ErrNotFound)
			if len(parts) != 0 {
				t.Fatalf("aborted upload %s has parts again: %+v", up, parts)
			}
			_, err := h.s.GetUpload(ctx, "b", fmt.Sprintf("u%03d", i), up)
			wantErr(t, "GetUpload of an aborted upload", err, meta.ErrNotFound)
		case 1:
			noErr(t, "GetObject", oerr)
			if o.Segments[0].BlobID != "r-"+key || string(o.Segments[0].Crypt) != fmt.Sprintf("fresh:o%d", i) {
				t.Fatalf("replaced object %s = %+v, want the replacement", key, o.Segments)
			}
			if len(parts) != 1 || parts[0].BlobID != "rp-"+up || string(parts[0].Crypt) != fmt.Sprintf("fresh:p%d", i) {
				t.Fatalf("replaced part of %s = %+v, want the replacement", up, parts)
			}
		default:
			noErr(t, "GetObject", oerr)
			if string(o.Segments[0].Crypt) != fmt.Sprintf("new:o%d", i) {
				t.Fatalf("object %s record %q, want re-sealed", key, o.Segments[0].Crypt)
			}
			if len(parts) != 1 || string(parts[0].Crypt) != fmt.Sprintf("new:p%d", i) {
				t.Fatalf("part of %s = %+v, want re-sealed", up, parts)
			}
		}
	}
	g, err := h.s.Garbage(ctx, 1000)
	noErr(t, "Garbage", err)
	sameSet(t, "garbage", g, append(g0, freed...))
}

// testRewriteCryptVersions: on a versioned bucket RewriteCrypt visits the
// records of every encrypted version, noncurrent ones included (also under
// a plaintext latest or a delete marker, and the null version), each
// exactly once and with its own Encryption; it changes nothing else, and
// versions keep their IDs, order and place.
func testRewriteCryptVersions(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("v")
	// The null version, written before versioning was enabled.
	n0 := h.putV(encObject("v", "n", cryptS3, "old:n0"))
	h.versioning("v", meta.VersioningEnabled)
	n1 := h.putV(encObject("v", "n", cryptS3, "old:n1"))
	// k: encrypted, plaintext, encrypted with a plaintext segment, then a
	// delete marker on top.
	k1 := h.putV(encObject("v", "k", cryptKMS, "old:k1a", "old:k1b"))
	k2 := h.putV(object("v", "k", "k-plain"))
	k3 := h.putV(encObject("v", "k", cryptS3, "old:k3", "", "keep:k3"))
	km, _ := h.del("v", "k", "")
	// p: an encrypted version under a plaintext latest.
	p1 := h.putV(encObject("v", "p", cryptKMS, "old:p1"))
	p2 := h.putV(object("v", "p", "p-plain"))
	// z: a plaintext key with a plaintext older version.
	z1 := h.putV(object("v", "z", "z-1"))
	z2 := h.putV(object("v", "z", "z-2"))
	all := []meta.Object{k1, k2, k3, latest(*km.Marker), latest(n1), n0, p1, latest(p2), z1, latest(z2)}
	listing := []meta.Object{latest(*km.Marker), k3, k2, k1, latest(n1), n0, latest(p2), p1, latest(z2), z1}
	garbageBefore, err := h.s.Garbage(ctx, 1000)
	noErr(t, "Garbage", err)

	var mu sync.Mutex
	seen := map[string]int{} // record → visits
	modes := map[string]string{}
	fn := func(e *meta.Encryption, crypt []byte) ([]byte, bool, error) {
		mu.Lock()
		defer mu.Unlock()
		seen[string(crypt)]++
		if e != nil {
			modes[string(crypt)] = e.Mode
		}
		return reseal(e, crypt)
	}
	n, err := h.s.RewriteCrypt(ctx, fn)
	noErr(t, "RewriteCrypt", err)
	if n != 6 {
		t.Fatalf("RewriteCrypt rewrote %d records, want 6", n)
	}
	want := map[string]int{"old:n0": 1, "old:n1": 1, "old:k1a": 1, "old:k1b": 1, "old:k3": 1, "keep:k3": 1, "old:p1": 1}
	if !maps.Equal(seen, want) {
		t.Fatalf("records visited (times):\n got %v\nwant %v", seen, want)
	}
	wantModes := map[string]string{"old:n0": "AES256", "old:n1": "AES256", "old:k1a": "aws:kms", "old:k1b": "aws:kms",
		"old:k3": "AES256", "keep:k3": "AES256", "old:p1": "aws:kms"}
	if !maps.Equal(modes, wantModes) {
		t.Fatalf("records' Encryption modes:\n got %v\nwant %v", modes, wantModes)
	}

	check := func(stage string) {
		t.Helper()
		for _, o := range all {
			got := h.getV(o.Bucket, o.Key, o.VersionID)
			equal(t, stage+" GetObject("+vdesc(o)+")", got, resealed(o))
		}
		h.versionsAre("v", "", listing...)
		g, err := h.s.Garbage(ctx, 1000)
		noErr(t, stage+" Garbage", err)
		sameSet(t, stage+" garbage (a rewrite frees no blob)", g, garbageBefore)
	}
	check("rewritten")
	if n, err := h.s.RewriteCrypt(ctx, reseal); err != nil || n != 0 {
		t.Fatalf("second RewriteCrypt = %d, %v; want 0, nil", n, err)
	}
	h.reopen()
	check("reopened")
}

// testRewriteCryptVersionsConcurrent: versions removed, made latest again
// or made noncurrent while RewriteCrypt runs are never brought back, and
// after a last walk every version left holds re-sealed (or fresh) records.
func testRewriteCryptVersionsConcurrent(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("v")
	h.versioning("v", meta.VersioningEnabled)
	const n = 40
	vers := make([][]meta.Object, n)
	for i := range n {
		key := fmt.Sprintf("k%03d", i)
		for j := range 3 {
			o := encObject("v", key, cryptKMS, fmt.Sprintf("old:%d.%d", i, j))
			o.Segments[0].BlobID = fmt.Sprintf("%s-v%d", key, j)
			vers[i] = append(vers[i], h.putV(o))
		}
	}
	g0, err := h.s.Garbage(ctx, 1000)
	noErr(t, "Garbage", err)

	var freed []string
	var walkErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 3 {
			if _, err := h.s.RewriteCrypt(ctx, reseal); err != nil {
				walkErr = err
				return
			}
		}
	}()
	removed := map[string]bool{}
	for i := range n {
		key := fmt.Sprintf("k%03d", i)
		switch i % 4 {
		case 0: // the oldest version removed
			_, g := h.del("v", key, vers[i][0].VersionID)
			freed, removed[vers[i][0].VersionID] = append(freed, g...), true
		case 1: // the latest removed: the one below is latest again
			_, g := h.del("v", key, vers[i][2].VersionID)
			freed, removed[vers[i][2].VersionID] = append(freed, g...), true
		case 2: // a new latest: the old one becomes noncurrent
			o := encObject("v", key, cryptKMS, fmt.Sprintf("fresh:%d", i))
			o.Segments[0].BlobID = key + "-fresh"
			vers[i] = append(vers[i], h.putV(o))
		}
	}
	wg.Wait()
	noErr(t, "RewriteCrypt", walkErr)
	if _, err := h.s.RewriteCrypt(ctx, reseal); err != nil {
		t.Fatalf("RewriteCrypt: %v", err)
	}
	for i := range n {
		for _, v := range vers[i] {
			got, err := h.s.GetObject(ctx, "v", v.Key, v.VersionID)
			if removed[v.VersionID] {
				wantErr(t, "GetObject of a removed version", err, meta.ErrNotFound)
				continue
			}
			noErr(t, "GetObject", err)
			if c := string(got.Segments[0].Crypt); !strings.HasPrefix(c, "new:") && !strings.HasPrefix(c, "fresh:") {
				t.Fatalf("version %s record %q, want re-sealed", vdesc(v), c)
			}
		}
	}
	g, err := h.s.Garbage(ctx, 1000)
	noErr(t, "Garbage", err)
	sameSet(t, "garbage", g, append(g0, freed...))
}
