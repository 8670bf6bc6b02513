package server

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tessera-s3/tessera/internal/admin"
	"github.com/tessera-s3/tessera/internal/console"
	"github.com/tessera-s3/tessera/internal/engine"
	"github.com/tessera-s3/tessera/internal/lifecycle"
	"github.com/tessera-s3/tessera/internal/s3api"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// Paths outside the S3 namespace: bucket names cannot contain "_".
const (
	pathLive    = "/_tessera/health/live"
	pathReady   = "/_tessera/health/ready"
	pathMetrics = "/_tessera/metrics"
)

type metrics struct {
	registry *prometheus.Registry
	// reg registers with the gateway label every series carries.
	reg      prometheus.Registerer
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	bytesIn  prometheus.Counter
	bytesOut prometheus.Counter
	inflight prometheus.Gauge
	// throttled counts requests refused with SlowDown, by the limit hit.
	throttled *prometheus.CounterVec
}

// newMetrics labels every series with the gateway ID, so that the series
// of several gateways behind one load balancer stay apart when scraped
// through it or federated.
func newMetrics(gateway string) *metrics {
	registry := prometheus.NewRegistry()
	m := &metrics{
		registry: registry,
		reg:      prometheus.WrapRegistererWith(prometheus.Labels{"gateway": gateway}, registry),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tessera_s3_requests_total", Help: "S3 requests, and the console's API calls (actions Console...), by action and HTTP status.",
		}, []string{"action", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tessera_s3_request_duration_seconds", Help: "S3 and console API request latency by action.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"action"}),
		bytesIn:  prometheus.NewCounter(prometheus.CounterOpts{Name: "tessera_s3_received_bytes_total", Help: "Request body bytes received."}),
		bytesOut: prometheus.NewCounter(prometheus.CounterOpts{Name: "tessera_s3_sent_bytes_total", Help: "Response body bytes sent."}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "tessera_s3_requests_in_flight", Help: "S3 requests being served."}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tessera_s3_throttled_total", Help: "S3 requests refused with 503 SlowDown, by the limit they hit (requests: --max-requests, upload_bytes: --max-upload-bytes).",
		}, []string{"reason"}),
	}
	for _, reason := range []string{reasonRequests, reasonUploadBytes} {
		m.throttled.WithLabelValues(reason) // present, at 0, before the first refusal
	}
	m.reg.MustRegister(m.requests, m.duration, m.bytesIn, m.bytesOut, m.inflight, m.throttled,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// statsCounter is a counter read from a component's Stats when scraped.
func statsCounter[S any](stats func() S, name, help string, f func(S) int64) prometheus.Collector {
	return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
		func() float64 { return float64(f(stats())) })
}

// registerConsole exposes the console's login counts.
func (m *metrics) registerConsole(stats func() console.Stats) {
	m.reg.MustRegister(
		statsCounter(stats, "tessera_console_login_failures_total", "Console logins refused for a wrong, unknown or disabled access key.", func(s console.Stats) int64 { return s.LoginFailures }),
		statsCounter(stats, "tessera_console_login_throttled_total", "Console logins refused unchecked (429) after too many failures from the address or for the access key.", func(s console.Stats) int64 { return s.LoginsThrottled }),
	)
}

// registerLifecycle exposes the lifecycle worker's counts.
func (m *metrics) registerLifecycle(stats func() lifecycle.Stats) {
	m.reg.MustRegister(
		statsCounter(stats, "tessera_lifecycle_passes_total", "Completed lifecycle worker passes.", func(s lifecycle.Stats) int64 { return s.Passes }),
		statsCounter(stats, "tessera_lifecycle_uploads_aborted_total", "Multipart uploads aborted by AbortIncompleteMultipartUpload rules.", func(s lifecycle.Stats) int64 { return s.Aborted }),
		statsCounter(stats, "tessera_lifecycle_objects_expired_total", "Objects deleted by Expiration rules.", func(s lifecycle.Stats) int64 { return s.Expired }),
		statsCounter(stats, "tessera_lifecycle_errors_total", "Lifecycle worker failures (each logged, retried next pass).", func(s lifecycle.Stats) int64 { return s.Errors }),
	)
}

// registerMember exposes the gateway's place in the cluster: whether it
// leads, how often it gained leadership, its read leases and failed
// heartbeats.
func (m *metrics) registerMember(mb *member, eng *engine.Engine) {
	mb.leaderGains = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "tessera_cluster_leader_gains_total", Help: "Times this gateway became the cluster's leader (runs garbage collection, orphan sweep, lifecycle).",
	})
	mb.beatErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "tessera_cluster_heartbeat_failures_total", Help: "Heartbeats that did not reach the metadata store.",
	})
	mb.reaped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "tessera_cluster_reaped_gateways_total", Help: "Gateways this gateway, leading, presumed dead (no heartbeat within the TTL) and removed from the registry.",
	})
	m.reg.MustRegister(mb.leaderGains, mb.beatErrors, mb.reaped,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tessera_cluster_leader", Help: "1 while this gateway leads the cluster, else 0."},
			func() float64 {
				if mb.leading.Load() {
					return 1
				}
				return 0
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tessera_cluster_read_leases", Help: "Blobs this gateway's readers hold (leased in the metadata store)."},
			func() float64 { return float64(len(eng.Leased())) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tessera_cluster_gateways", Help: "Gateways registered with the metadata store (this one included; a dead one until the leader reaps it); -1 if the store does not answer."},
			func() float64 {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				gws, err := mb.s.meta.Gateways(ctx)
				if err != nil {
					return -1
				}
				return float64(len(gws))
			}),
	)
}

// routes mounts health and metrics beside the S3 API and wraps the API with
// the access log and metrics.
func (s *Server) routes(api *s3api.Handler) http.Handler {
	metricsHandler := promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case pathLive:
			w.WriteHeader(http.StatusOK)
			w.Write([]byte("ok\n"))
			return
		case pathReady:
			s.ready(w, r)
			return
		case pathMetrics:
			metricsHandler.ServeHTTP(w, r)
			return
		}
		if r.URL.Path == console.Root || strings.HasPrefix(r.URL.Path, console.Prefix) {
			s.serveConsole(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, admin.Prefix) {
			s.admin.ServeHTTP(w, r)
			return
		}
		r = s3api.WithOpSlot(r)
		s.observe(w, r, api, api.Refuse, s3api.OpName)
	})
}

// serveConsole serves the web console. Its API calls (login, session,
// presign, the admin relay) are work like S3 requests: they count against
// the same admission limits and in the same metrics, labelled with the
// console's operation; the page's files are served as they are.
func (s *Server) serveConsole(w http.ResponseWriter, r *http.Request) {
	if s.console == nil {
		http.NotFound(w, r) // --console=false
		return
	}
	op := s.console.Operation(r)
	if op == "" {
		s.console.ServeHTTP(w, r)
		return
	}
	s.observe(w, r, s.console, s.console.Refuse, func(*http.Request) string { return op })
}

// ready answers 200 when this gateway can serve: it is not draining, the
// metadata store answers and the data directory takes a write — what a
// load balancer's health check needs to know.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		http.Error(w, "draining", http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := s.meta.ListBuckets(ctx); err != nil {
		http.Error(w, "metadata store unavailable", http.StatusServiceUnavailable)
		return
	}
	// A full disk is not an unavailable one: reads, listings and deletes
	// go on, and the gateways sharing the directory are all as full, so a
	// load balancer taking them out would stop the reads too.
	if err := s.probeData(ctx); err != nil && !fullDisk(err) {
		s.log.Warn("readiness: data directory", "err", err)
		http.Error(w, "data directory unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ok\n"))
}

// probeData creates and discards a temporary blob. A hung network
// filesystem blocks the probe, not the check: it gives up at ctx's end.
func (s *Server) probeData(ctx context.Context) error {
	done := make(chan error, 1)
	go func() {
		w, err := s.blobs.Create()
		if err == nil {
			_, err = w.Write([]byte("probe"))
			w.Abort()
		}
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fullDisk reports whether err is a full disk (answered 503 to writes).
func fullDisk(err error) bool {
	_, full := s3err.NoSpace(err)
	return full
}

// recorder captures the status and body size for the log and metrics,
// and keeps the write deadline idle+now while the response is written:
// a client that stops reading loses its connection after idle, one that
// reads slowly but steadily gets the whole answer.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	rc     *http.ResponseController
	idle   time.Duration
}

func (rw *recorder) extend() {
	if rw.rc != nil {
		rw.rc.SetWriteDeadline(time.Now().Add(rw.idle)) // ErrNotSupported: nothing to do
	}
}

func (rw *recorder) WriteHeader(code int) {
	if rw.status == 0 {
		rw.status = code
	}
	rw.extend()
	rw.ResponseWriter.WriteHeader(code)
}

func (rw *recorder) Write(p []byte) (int, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	rw.extend()
	n, err := rw.ResponseWriter.Write(p)
	rw.bytes += int64(n)
	return n, err
}

// Flush keeps streaming responses streaming through the recorder.
func (rw *recorder) Flush() {
	rw.extend()
	if f, ok := rw.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (rw *recorder) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

type countingBody struct {
	r interface {
		Read([]byte) (int, error)
		Close() error
	}
	n int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingBody) Close() error { return c.r.Close() }

// refuser answers a request the server refuses before its handler runs,
// in the handler's own form (S3's XML, the console's JSON).
type refuser func(http.ResponseWriter, *http.Request, *s3err.Error)

// observe serves r with h under the admission limits, and records it in
// the metrics and the access log as action(r) (read once h is done: the
// S3 API names its action while serving).
func (s *Server) observe(w http.ResponseWriter, r *http.Request, h http.Handler, refuse refuser, action func(*http.Request) string) {
	start := time.Now()
	s.metrics.inflight.Inc()
	defer s.metrics.inflight.Dec()
	rc := http.NewResponseController(w)
	rec := &recorder{ResponseWriter: w, rc: rc, idle: s.limits.WriteIdleTimeout}
	rec.extend() // covers what net/http writes itself (100 Continue)
	// Wrap the body on a shallow copy: net/http drains (or refuses to
	// drain) an unread body by its own type after the handler returns, and
	// would block on a client still sending a body we refused.
	idle := &idleBody{ReadCloser: r.Body, rc: rc, idle: s.limits.ReadIdleTimeout}
	body := &countingBody{r: idle}
	r.Body = body
	defer func() {
		// The response's last bytes leave after the handler returns;
		// net/http clears the deadline once they have.
		rec.extend()
		action := action(r)
		if action == "" {
			action = "unknown"
		}
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		elapsed := time.Since(start)
		s.metrics.requests.WithLabelValues(action, strconv.Itoa(status)).Inc()
		s.metrics.duration.WithLabelValues(action).Observe(elapsed.Seconds())
		s.metrics.bytesIn.Add(float64(body.n))
		s.metrics.bytesOut.Add(float64(rec.bytes))
		s.log.Debug("request", "request_id", rec.Header().Get("x-amz-request-id"), "action", action,
			"method", r.Method, "path", r.URL.Path, "status", status, "in", body.n, "out", rec.bytes,
			"duration_ms", float64(elapsed.Microseconds())/1000, "remote", r.RemoteAddr, "body_timeout", idle.expired)
	}()
	if headerSize(r) > s.limits.MaxHeaderBytes {
		refuse(rec, r, tooLarge(s.limits.MaxHeaderBytes))
		return
	}
	release, reason := s.admission.admit(r.ContentLength)
	if release == nil {
		s.metrics.throttled.WithLabelValues(reason).Inc()
		refuse(rec, r, slowDown())
		return
	}
	defer release()
	h.ServeHTTP(rec, r)
}
