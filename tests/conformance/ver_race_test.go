package conformance

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestVersionsRaceOneKey: writers PUT and DELETE one key of an Enabled
// bucket at once. Afterwards ListObjectVersions holds exactly one version
// per acknowledged PUT (with its bytes) and one marker per acknowledged
// DELETE, no other entry, newest first: IDs ascending as strings (they
// encode the order) and LastModified never increasing, with only the first
// entry latest. S3 gives each write its own version (AWS versioning docs:
// "each PUT creates a new version").
func TestVersionsRaceOneKey(t *testing.T) {
	e := verNew(t)
	b := e.bucket(verEnabled)
	const workers, each = 6, 25
	var mu sync.Mutex
	puts := map[string]string{} // id → body
	markers := map[string]bool{}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if (w+i)%3 == 2 {
					out, err := e.c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
					if err != nil {
						t.Errorf("DeleteObject: %v", err)
						continue
					}
					mu.Lock()
					markers[aws.ToString(out.VersionId)] = true
					mu.Unlock()
					continue
				}
				body := fmt.Sprintf("worker %d write %d", w, i)
				out, err := e.c.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader(body)})
				if err != nil {
					t.Errorf("PutObject: %v", err)
					continue
				}
				mu.Lock()
				puts[aws.ToString(out.VersionId)] = body
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	entries, _ := e.walk(b, "", 1000)
	if len(entries) != len(puts)+len(markers) {
		t.Errorf("%d entries listed, want %d PUTs + %d DELETEs", len(entries), len(puts), len(markers))
	}
	seen := map[string]bool{}
	var prev time.Time
	for i, v := range entries {
		if seen[v.VersionID] {
			t.Errorf("version %s listed twice", v.VersionID)
		}
		seen[v.VersionID] = true
		if v.marker() != markers[v.VersionID] || (!v.marker() && puts[v.VersionID] == "") {
			t.Errorf("entry %v: not an acknowledged write of that kind", v)
		}
		if v.IsLatest != (i == 0) {
			t.Errorf("entry %d %v: IsLatest %v", i, v, v.IsLatest)
		}
		lm, err := time.Parse("2006-01-02T15:04:05.000Z", v.LastModified)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && lm.After(prev) {
			t.Errorf("entry %d %v: LastModified %v after the newer entry's %v", i, v, lm, prev)
		}
		prev = lm
	}
	ids := make([]string, len(entries))
	for i, v := range entries {
		ids[i] = v.VersionID
	}
	if !sort.StringsAreSorted(ids) {
		t.Errorf("IDs not ascending (newest first): %v", ids)
	}
	// Every acknowledged PUT reads back by its ID.
	for id, body := range puts {
		got, _, err := e.getV(b, "k", id)
		if err != nil || got != body {
			t.Errorf("version %s: %q %v, want %q", id, got, err, body)
		}
	}
}
