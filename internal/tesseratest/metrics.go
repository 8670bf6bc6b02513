package tesseratest

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Sample is one counter or gauge series of a scrape, or a histogram's
// _count or _sum (buckets and summaries are left out).
type Sample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// Samples is a scrape of a server's /_tessera/metrics.
type Samples []Sample

// Metrics scrapes the server's metrics: the first gateway's when the
// server runs several (a balancer would answer from any of them).
func (s *Server) Metrics(t testing.TB) Samples {
	t.Helper()
	out, err := Scrape(t.Context(), s.gateways[0].hs.Client(), s.gateways[0].hs.URL)
	if err != nil {
		t.Fatalf("tesseratest: %v", err)
	}
	return out
}

// Scrape reads the /_tessera/metrics of the server at base (a URL with no
// path) with Prometheus' own parser.
func Scrape(ctx context.Context, c *http.Client, base string) (Samples, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/_tessera/metrics", nil)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metrics: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	var out Samples
	for name, f := range families {
		for _, m := range f.GetMetric() {
			smp := Sample{Name: name, Labels: map[string]string{}}
			for _, l := range m.GetLabel() {
				smp.Labels[l.GetName()] = l.GetValue()
			}
			switch {
			case m.Counter != nil:
				smp.Value = m.GetCounter().GetValue()
			case m.Gauge != nil:
				smp.Value = m.GetGauge().GetValue()
			case m.Untyped != nil:
				smp.Value = m.GetUntyped().GetValue()
			case m.Histogram != nil:
				// As the text format names them: NAME_count and NAME_sum.
				h := m.GetHistogram()
				out = append(out, Sample{Name: name + "_count", Labels: smp.Labels, Value: float64(h.GetSampleCount())})
				smp.Name, smp.Value = name+"_sum", h.GetSampleSum()
			default:
				continue
			}
			out = append(out, smp)
		}
	}
	return out, nil
}

// Sum is the sum of the samples named name whose labels include want.
func (ss Samples) Sum(name string, want map[string]string) float64 {
	var sum float64
	for _, s := range ss {
		if s.Name == name && s.has(want) {
			sum += s.Value
		}
	}
	return sum
}

// By sums the samples named name by the value of one label.
func (ss Samples) By(name, label string) map[string]float64 {
	out := map[string]float64{}
	for _, s := range ss {
		if s.Name == name {
			out[s.Labels[label]] += s.Value
		}
	}
	return out
}

// Metric is the value of the first sample of name whose labels include
// each of the comma-separated pairs of label (`action="ConsoleLogin",
// status="200"`, in any order; "" for any), -1 if there is none.
func (s *Server) Metric(t testing.TB, name, label string) float64 {
	t.Helper()
	if v, ok := s.Metrics(t).Get(name, LabelSet(t, strings.Split(label, ",")...)); ok {
		return v
	}
	return -1
}

// LabelSet reads pairs written as in the text format (`status="200"`;
// empty ones are skipped) into the map Get and Sum take.
func LabelSet(t testing.TB, pairs ...string) map[string]string {
	t.Helper()
	want := map[string]string{}
	for _, pair := range pairs {
		if pair == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, "=")
		uq, err := strconv.Unquote(v)
		if !ok || err != nil {
			t.Fatalf("tesseratest: metric label %q: want name=\"value\"", pair)
		}
		want[k] = uq
	}
	return want
}

// Get is the value of the first sample named name whose labels include
// want, and whether there is one.
func (ss Samples) Get(name string, want map[string]string) (float64, bool) {
	for _, s := range ss {
		if s.Name == name && s.has(want) {
			return s.Value, true
		}
	}
	return 0, false
}

func (s Sample) has(want map[string]string) bool {
	for k, v := range want {
		if s.Labels[k] != v {
			return false
		}
	}
	return true
}
