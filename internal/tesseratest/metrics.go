package tesseratest

import (
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

// Metrics scrapes the server's metrics with Prometheus' own parser: the
// first gateway's when the server runs several (a balancer would answer
// from any of them).
func (s *Server) Metrics(t testing.TB) Samples {
	t.Helper()
	resp, err := s.gateways[0].hs.Client().Get(s.gateways[0].hs.URL + "/_tessera/metrics")
	if err != nil {
		t.Fatalf("tesseratest: metrics: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("tesseratest: metrics: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("tesseratest: metrics: %v", err)
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
	return out
}

// Sum is the sum of the samples named name whose labels include want.
func (ss Samples) Sum(name string, want map[string]string) float64 {
	var sum float64
next:
	for _, s := range ss {
		if s.Name != name {
			continue
		}
		for k, v := range want {
			if s.Labels[k] != v {
				continue next
			}
		}
		sum += s.Value
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
	want := map[string]string{}
	for _, pair := range strings.Split(label, ",") {
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
next:
	for _, smp := range s.Metrics(t) {
		if smp.Name != name {
			continue
		}
		for k, v := range want {
			if smp.Labels[k] != v {
				continue next
			}
		}
		return smp.Value
	}
	return -1
}
