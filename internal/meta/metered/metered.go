// Package metered wraps a meta.Store to count and time every contract
// call in Prometheus: on PostgreSQL each call is a network round trip to a
// database several gateways share, so the calls an S3 request makes are
// what its latency and the database's load are made of.
package metered

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tessera-s3/tessera/internal/meta"
)

// Results of a call, the values of the "result" label.
const (
	ResultOK          = "ok"
	ResultNotFound    = "not_found"
	ResultError       = "error"
	ResultUnavailable = "unavailable"
)

var results = [...]string{ResultOK, ResultNotFound, ResultError, ResultUnavailable}

// resultOf classifies an error. A store call whose callback (a CheckFunc,
// a BuildFunc, an update function) refused the change returns that
// callback's error, so it counts as "error" too.
func resultOf(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, meta.ErrNotFound):
		return 1
	case errors.Is(err, meta.ErrUnavailable):
		return 3
	default:
		return 2
	}
}

// op is one contract method's series, resolved once so that a call costs
// two clock reads, an observation and an increment, and no label lookup.
type op struct {
	results [len(results)]prometheus.Counter
	seconds prometheus.Observer
}

// Store is a meta.Store that records every call of the store it wraps.
type Store struct {
	next meta.Store
	ops  [numOps]op
}

var _ meta.Store = (*Store)(nil)

// New wraps next, registering tessera_meta_operations_total{op,result}
// and tessera_meta_operation_duration_seconds{op} with reg. Every series
// exists from the start, at zero.
func New(next meta.Store, reg prometheus.Registerer) (*Store, error) {
	count := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tessera_meta_operations_total",
		Help: "Metadata store calls by contract method (op) and result (ok, not_found, error, unavailable).",
	}, []string{"op", "result"})
	seconds := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "tessera_meta_operation_duration_seconds",
		Help:    "Metadata store call latency by contract method (op), callbacks included.",
		Buckets: prometheus.ExponentialBuckets(0.00005, 2, 18),
	}, []string{"op"})
	if err := reg.Register(count); err != nil {
		return nil, fmt.Errorf("metered: %w", err)
	}
	if err := reg.Register(seconds); err != nil {
		return nil, fmt.Errorf("metered: %w", err)
	}
	s := &Store{next: next}
	for i, name := range opNames {
		for r, result := range results {
			s.ops[i].results[r] = count.WithLabelValues(name, result)
		}
		s.ops[i].seconds = seconds.WithLabelValues(name)
	}
	return s, nil
}

// done records a call of op that started at start and ended with *err.
// Methods defer it with a pointer to their named error result.
func (s *Store) done(o opID, start time.Time, err *error) {
	m := &s.ops[o]
	m.seconds.Observe(time.Since(start).Seconds())
	m.results[resultOf(*err)].Inc()
}
