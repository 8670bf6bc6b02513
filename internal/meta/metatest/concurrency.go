package metatest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/internal/meta"
)

// parallel runs fn(0..n-1) in n goroutines released together.
func parallel(n int, fn func(i int)) {
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			fn(i)
		}()
	}
	start.Done()
	done.Wait()
}

// countBlobs adds each id to counts.
func countBlobs(counts map[string]int, ids ...string) {
	for _, id := range ids {
		counts[id]++
	}
}

// testConcurrentPutPart: racing replacements of one part leave exactly one
// part, and every other blob is returned as garbage exactly once.
func testConcurrentPutPart(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	h.upload("b", "k", "up1", base)
	const n = 50
	garbage := make([][]string, n)
	errs := make([]error, n)
	parallel(n, func(i int) {
		garbage[i], errs[i] = h.s.PutPart(ctx, "b", "k", part("up1", 7, fmt.Sprintf("blob%02d", i)))
	})
	counts := map[string]int{}
	for i := range n {
		noErr(t, "PutPart", errs[i])
		countBlobs(counts, garbage[i]...)
	}
	parts, err := h.s.ListParts(ctx, "up1", 0, 100)
	noErr(t, "ListParts", err)
	if len(parts) != 1 {
		t.Fatalf("ListParts = %v, want exactly one part", partNumbers(parts))
	}
	if counts[parts[0].BlobID] != 0 {
		t.Fatalf("the surviving blob %s was returned as garbage", parts[0].BlobID)
	}
	countBlobs(counts, parts[0].BlobID)
	for i := range n {
		id := fmt.Sprintf("blob%02d", i)
		if counts[id] != 1 {
			t.Errorf("blob %s accounted for %d times (as garbage or the survivor), want exactly 1", id, counts[id])
		}
	}
	recorded, err := h.s.Garbage(ctx, 1000)
	noErr(t, "Garbage", err)
	if len(recorded) != n-1 {
		t.Fatalf("Garbage holds %d ids, want %d", len(recorded), n-1)
	}
}

// testConcurrentPutObjectMustNotExist: with a "must not exist" check,
// exactly one of many racing writers wins.
func testConcurrentPutObjectMustNotExist(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	const n = 20
	errs := make([]error, n)
	ifNoneMatch := func(cur *meta.Object) error {
		time.Sleep(time.Millisecond) // widen the window a missing lock would open
		if cur != nil {
			return errVeto
		}
		return nil
	}
	parallel(n, func(i int) {
		var g []string
		_, g, errs[i] = h.s.PutObject(ctx, object("b", "k", fmt.Sprintf("blob%02d", i)), ifNoneMatch)
		if len(g) != 0 {
			errs[i] = fmt.Errorf("unexpected garbage %q", g)
		}
	})
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("writers %d and %d both won", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, errVeto):
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer won")
	}
	got, err := h.s.GetObject(ctx, "b", "k", "")
	noErr(t, "GetObject", err)
	if want := fmt.Sprintf("blob%02d", winner); got.Segments[0].BlobID != want {
		t.Fatalf("object blob = %s, want the winner's %s", got.Segments[0].BlobID, want)
	}
}

// testConcurrentDeleteBucket: DeleteBucket racing PutObject and
// CreateUpload never leaves records in a deleted bucket. Only objects keep a
// bucket alive; uploads created before the delete go with it.
func testConcurrentDeleteBucket(t *testing.T, h *harness) {
	ctx := t.Context()
	// The check runs between the store's bucket check and its commit;
	// sleeping there gives DeleteBucket its chance if nothing stops it.
	linger := func(*meta.Object) error { time.Sleep(time.Millisecond); return nil }
	for round := range 10 {
		h.bucket("r")
		const writers = 8
		errs := make([]error, writers)
		var delErr error
		parallel(writers+1, func(i int) {
			switch {
			case i == writers:
				_, delErr = h.s.DeleteBucket(ctx, "r")
			case i%2 == 0:
				_, _, errs[i] = h.s.PutObject(ctx, object("r", fmt.Sprintf("k%d", i), fmt.Sprintf("blob%d-%d", round, i)), linger)
			default:
				errs[i] = h.s.CreateUpload(ctx, meta.Upload{ID: fmt.Sprintf("up%d-%d", round, i), Bucket: "r", Key: "k", Initiated: base})
			}
		})
		wrote := 0 // objects written
		for i, err := range errs {
			switch {
			case err == nil:
				if i%2 == 0 {
					wrote++
				}
			case !errors.Is(err, meta.ErrNotFound):
				t.Fatalf("round %d writer %d: %v", round, i, err)
			}
		}
		if delErr == nil {
			if wrote != 0 {
				t.Fatalf("round %d: bucket deleted but %d object writes into it succeeded", round, wrote)
			}
			objs, err := h.s.ListObjects(ctx, "r", "", "", 100)
			noErr(t, "ListObjects", err)
			ups, err := h.s.ListUploads(ctx, "r", "", "", "", 100)
			noErr(t, "ListUploads", err)
			if len(objs)+len(ups) != 0 {
				t.Fatalf("round %d: deleted bucket holds %d objects, %d uploads", round, len(objs), len(ups))
			}
			continue
		}
		wantErr(t, "DeleteBucket", delErr, meta.ErrBucketNotEmpty)
		if wrote == 0 {
			t.Fatalf("round %d: DeleteBucket said not empty but no object write succeeded", round)
		}
		// Empty the bucket for the next round.
		for i, err := range errs {
			if err != nil {
				continue
			}
			if i%2 == 0 {
				_, _, err = h.s.DeleteObject(ctx, meta.Deletion{Bucket: "r", Key: fmt.Sprintf("k%d", i)}, nil)
			} else {
				continue // uploads go with the bucket
			}
			noErr(t, "cleanup", err)
		}
		noErr(t, "DeleteBucket(emptied)", errOf(h.s.DeleteBucket(ctx, "r")))
	}
}

// testConcurrentPutPartAndComplete: parts racing a completion either make
// it into the object, come back as garbage exactly once, or are refused
// with ErrNotFound (then nothing references them). Nothing leaks.
func testConcurrentPutPartAndComplete(t *testing.T, h *harness) {
	ctx := t.Context()
	h.bucket("b")
	for round := range 5 {
		key := fmt.Sprintf("k%d", round)
		id := fmt.Sprintf("up%d", round)
		h.upload("b", key, id, base)
		const n = 20
		blob := func(i int) string { return fmt.Sprintf("r%d-blob%02d", round, i) }
		errs := make([]error, n)
		putGarbage := make([][]string, n)
		var obj meta.Object
		var completeGarbage []string
		var completeErr error
		parallel(n+1, func(i int) {
			if i == n {
				obj, completeGarbage, completeErr = h.s.CompleteUpload(ctx, "b", key, id,
					func(u meta.Upload, ps []meta.Part) (meta.Object, error) {
						// Linger, so that racing PutParts land inside the
						// completion if the store lets them.
						time.Sleep(2 * time.Millisecond)
						nums := partNumbers(ps)
						return multipartObject(u, ps, nums...), nil
					}, nil)
				return
			}
			// Part numbers repeat so that replacements race too.
			putGarbage[i], errs[i] = h.s.PutPart(ctx, "b", key, part(id, i%5+1, blob(i)))
		})
		noErr(t, "CompleteUpload", completeErr)
		counts := map[string]int{}
		countBlobs(counts, completeGarbage...)
		for _, s := range obj.Segments {
			countBlobs(counts, s.BlobID)
		}
		for i := range n {
			countBlobs(counts, putGarbage[i]...)
		}
		for i := range n {
			switch {
			case errs[i] == nil && counts[blob(i)] != 1:
				t.Errorf("round %d: accepted blob %s accounted for %d times, want 1", round, blob(i), counts[blob(i)])
			case errors.Is(errs[i], meta.ErrNotFound) && counts[blob(i)] != 0:
				t.Errorf("round %d: refused blob %s is referenced %d times", round, blob(i), counts[blob(i)])
			case errs[i] != nil && !errors.Is(errs[i], meta.ErrNotFound):
				t.Fatalf("round %d: PutPart: %v", round, errs[i])
			}
		}
	}
}
