package tesseratest

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

// Metric reads the sample of the server's Prometheus metric name whose
// labels include each of the comma-separated labels (e.g.
// `action="ConsoleLogin",status="200"` in any order; "" for any), -1 if
// absent. With several gateways it is the metric of whichever gateway the
// balancer picks: use it on a Standalone server, or one gateway.
func (s *Server) Metric(t testing.TB, name, label string) float64 {
	t.Helper()
	resp, err := s.HTTPClient().Get(s.URL + "/_tessera/metrics")
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		labels, value, ok := strings.Cut(strings.TrimPrefix(line, name+"{"), "} ")
		if ok && len(line) > len(name) && line[:len(name)+1] == name+"{" && hasLabels(labels, label) {
			var v float64
			fmt.Sscan(value, &v)
			return v
		}
	}
	return -1
}

// hasLabels reports whether the sample's labels hold each of want's.
func hasLabels(labels, want string) bool {
	for _, l := range strings.Split(want, ",") {
		if !strings.Contains(labels, l) {
			return false
		}
	}
	return true
}
