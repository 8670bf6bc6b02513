package metered_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/meta/metatest"
	"github.com/tessera-s3/tessera/internal/meta/metered"
	pebblestore "github.com/tessera-s3/tessera/internal/meta/pebble"
)

func openPebble(t testing.TB, dir string) meta.Store {
	s, err := pebblestore.Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func wrap(t testing.TB, s meta.Store) (*metered.Store, *prometheus.Registry) {
	reg := prometheus.NewRegistry()
	m, err := metered.New(s, reg)
	if err != nil {
		t.Fatal(err)
	}
	return m, reg
}

// TestContract: the wrapper passes the contract suite, so it hands every
// argument and result through unchanged.
func TestContract(t *testing.T) {
	metatest.RunStoreSuite(t, func(t *testing.T, dir string) meta.Store {
		m, _ := wrap(t, openPebble(t, dir))
		return m
	})
}

// TestEveryMethodHasASeries: each contract method has its op label (none
// missing when the contract grows, none stale), present at zero from the
// start.
func TestEveryMethodHasASeries(t *testing.T) {
	_, reg := wrap(t, openPebble(t, t.TempDir()))
	var want []string
	st := reflect.TypeFor[meta.Store]()
	for i := range st.NumMethod() {
		want = append(want, st.Method(i).Name)
	}
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "op" && !slices.Contains(got[f.GetName()], l.GetValue()) {
					got[f.GetName()] = append(got[f.GetName()], l.GetValue())
				}
			}
		}
	}
	for _, name := range []string{"tessera_meta_operations_total", "tessera_meta_operation_duration_seconds"} {
		ops := got[name]
		slices.Sort(ops)
		if !slices.Equal(ops, want) {
			t.Errorf("%s ops = %v\nwant the contract's methods %v", name, ops, want)
		}
	}
}

// TestResults: each call is counted once under its result, and timed.
func TestResults(t *testing.T) {
	ctx := context.Background()
	m, reg := wrap(t, openPebble(t, t.TempDir()))
	defer m.Close()
	if err := m.CreateBucket(ctx, meta.Bucket{Name: "b"}); err != nil {
		t.Fatal(err)
	}
	m.GetBucket(ctx, "b")
	m.GetBucket(ctx, "nope")
	m.CreateBucket(ctx, meta.Bucket{Name: "b"}) // exists: error
	boom := fmt.Errorf("wrapped: %w", meta.ErrUnavailable)
	m.UpdateBucket(ctx, "b", func(*meta.Bucket) error { return boom })
	tests := []struct {
		op, result string
		want       float64
	}{
		{"GetBucket", "ok", 1},
		{"GetBucket", "not_found", 1},
		{"GetBucket", "error", 0},
		{"CreateBucket", "ok", 1},
		{"CreateBucket", "error", 1},
		{"UpdateBucket", "unavailable", 1},
		{"PutObject", "ok", 0},
	}
	for _, tt := range tests {
		t.Run(tt.op+"/"+tt.result, func(t *testing.T) {
			got := sample(t, reg, "tessera_meta_operations_total", tt.op, tt.result)
			if got != tt.want {
				t.Errorf("tessera_meta_operations_total{op=%q,result=%q} = %v, want %v", tt.op, tt.result, got, tt.want)
			}
		})
	}
	if n := sample(t, reg, "tessera_meta_operation_duration_seconds", "GetBucket", ""); n != 2 {
		t.Errorf("GetBucket durations observed: %v, want 2", n)
	}
}

// TestRegisterTwice: a second wrapper on one registry is an error, not a panic.
func TestRegisterTwice(t *testing.T) {
	s := openPebble(t, t.TempDir())
	defer s.Close()
	reg := prometheus.NewRegistry()
	if _, err := metered.New(s, reg); err != nil {
		t.Fatal(err)
	}
	if _, err := metered.New(s, reg); err == nil || !strings.HasPrefix(err.Error(), "metered: ") {
		t.Fatalf("second New: %v, want a metered: error", err)
	}
}

// sample is a counter's value or a histogram's count: the series of the
// family name with that op and result ("" for a histogram, which has none).
func sample(t *testing.T, reg *prometheus.Registry, name, op, result string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["op"] != op || labels["result"] != result {
				continue
			}
			if h := m.GetHistogram(); h != nil {
				return float64(h.GetSampleCount())
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no series %s{op=%q,result=%q}", name, op, result)
	return 0
}

// BenchmarkGetBucket: a read through the wrapper against the same read
// direct, the wrapper's whole overhead (a clock read, an observation, an
// increment).
func BenchmarkGetBucket(b *testing.B) {
	ctx := context.Background()
	s := openPebble(b, b.TempDir())
	defer s.Close()
	if err := s.CreateBucket(ctx, meta.Bucket{Name: "b"}); err != nil {
		b.Fatal(err)
	}
	m, _ := wrap(b, s)
	for _, bc := range []struct {
		name  string
		store meta.Store
	}{{"direct", s}, {"metered", m}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.store.GetBucket(ctx, "b"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// nopStore answers GetBucket at once: what the wrapper adds to a call,
// measured without the store's own cost to hide it.
type nopStore struct{ meta.Store }

func (nopStore) GetBucket(context.Context, string) (meta.Bucket, error) { return meta.Bucket{}, nil }

// BenchmarkOverhead is the wrapper's cost per call, against a store that
// does nothing.
func BenchmarkOverhead(b *testing.B) {
	ctx := context.Background()
	m, _ := wrap(b, nopStore{})
	for _, bc := range []struct {
		name  string
		store meta.Store
	}{{"direct", nopStore{}}, {"metered", m}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.store.GetBucket(ctx, "b"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
