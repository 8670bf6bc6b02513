package pebblestore

import (
	"bytes"
	"cmp"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// randKey draws keys from a tiny alphabet heavy in the bytes the encoding
// treats specially (0x00, 0x01, 0xFF), so prefixes and ties are common.
func randKey(r *rand.Rand) string {
	alphabet := []byte{0x00, 0x01, 0xFF, 'a', 'b', '/'}
	b := make([]byte, r.IntN(4))
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// TestUploadKeyOrder checks that encoded upload keys sort exactly like
// (bucket, key, initiated, id) tuples, and that the prefix-scope encoding
// covers exactly the keys with that prefix.
func TestUploadKeyOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	type tuple struct {
		bucket, key string
		init        time.Time
		id          string
	}
	draw := func() tuple {
		return tuple{
			bucket: []string{"a", "ab", "a-"}[r.IntN(3)],
			key:    randKey(r),
			init:   time.Unix(int64(r.IntN(5)-2), int64(r.IntN(3))),
			id:     []string{"x", "xy", "y"}[r.IntN(3)],
		}
	}
	for range 20000 {
		x, y := draw(), draw()
		want := cmp.Or(strings.Compare(x.bucket, y.bucket), strings.Compare(x.key, y.key),
			x.init.Compare(y.init), strings.Compare(x.id, y.id))
		got := bytes.Compare(uploadKey(x.bucket, x.key, x.init, x.id), uploadKey(y.bucket, y.key, y.init, y.id))
		if got != want {
			t.Fatalf("order of %+v vs %+v: encoded %d, tuple %d", x, y, got, want)
		}
		p := randKey(r)
		inScope := bytes.HasPrefix(uploadKey(x.bucket, x.key, x.init, x.id), uploadPrefixScope(x.bucket, p))
		if inScope != strings.HasPrefix(x.key, p) {
			t.Fatalf("key %q, prefix %q: in scope %v", x.key, p, inScope)
		}
		ofKey := bytes.HasPrefix(uploadKey(x.bucket, x.key, x.init, x.id), uploadKeyPrefix(x.bucket, p))
		if ofKey != (x.key == p) {
			t.Fatalf("key %q, uploadKeyPrefix(%q): match %v", x.key, p, ofKey)
		}
	}
}

func TestObjectAndPartKeyOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		b1, b2 := []string{"a", "ab", "a-"}[r.IntN(3)], []string{"a", "ab", "a-"}[r.IntN(3)]
		k1, k2 := randKey(r), randKey(r)
		want := cmp.Or(strings.Compare(b1, b2), strings.Compare(k1, k2))
		if got := bytes.Compare(objectKey(b1, k1), objectKey(b2, k2)); got != want {
			t.Fatalf("(%q,%q) vs (%q,%q): encoded %d, want %d", b1, k1, b2, k2, got, want)
		}
		if objectKeyName(b1, objectKey(b1, k1)) != k1 {
			t.Fatalf("objectKeyName does not invert objectKey for %q", k1)
		}
		n1, n2 := r.IntN(20000), r.IntN(20000)
		if got := bytes.Compare(partKey("u", n1), partKey("u", n2)); got != cmp.Compare(n1, n2) {
			t.Fatalf("part %d vs %d: encoded %d", n1, n2, got)
		}
	}
	if !bytes.Equal(successor([]byte{'o', 'a', 0xFF, 0xFF}), []byte{'o', 'b'}) {
		t.Fatal("successor does not carry over 0xFF")
	}
}
