package tesseratest

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tessera-s3/tessera/internal/iam"
	"github.com/tessera-s3/tessera/internal/server"
)

// GatewaysEnv names the environment variable that runs every test server
// as that many gateways on one PostgreSQL database and one data directory,
// behind a balancer that sends consecutive requests to different gateways:
// TESSERA_TEST_GATEWAYS=3 runs a suite against the scale-out deployment
// (and =1, one gateway behind the same balancer, is its baseline).
// A package that uses it calls pgtest.Main from its TestMain.
const GatewaysEnv = "TESSERA_TEST_GATEWAYS"

// gatewayTiming shortens the cluster's clocks so that what the leader does
// in the background (collect garbage, reap gateways) happens within the
// second or two a test waits for it.
var gatewayTiming = server.Timing{
	Beat:         100 * time.Millisecond,
	TTL:          2 * time.Second,
	Jobs:         200 * time.Millisecond,
	GarbageGrace: 500 * time.Millisecond,
}

type gateway struct {
	srv *server.Server
	hs  *httptest.Server
	// down is set by StopGateway; the balancer skips it.
	down *atomic.Bool
}

// WithGateways runs n gateways on one PostgreSQL database and one data
// directory behind a round-robin balancer, whatever GatewaysEnv says.
func WithGateways(n int) Option { return func(o *options) { o.gateways = n } }

// Standalone runs one plain server with no balancer, whatever GatewaysEnv
// says: for tests of how one server treats its own connections (limits,
// timeouts), which a balancer in front would change.
func Standalone() Option { return func(o *options) { o.gateways = -1 } }

func gatewaysFromEnv(t testing.TB) int {
	v := os.Getenv(GatewaysEnv)
	if v == "" {
		return 0 // a plain server, no balancer
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 16 {
		t.Fatalf("tesseratest: %s=%q: want a number from 1 to 16", GatewaysEnv, v)
	}
	return n
}

// startGateways opens opts.gateways servers, gw-0 first (Internal() and
// the admin helpers use it), and a round-robin balancer in front.
func (s *Server) startGateways() {
	s.t.Helper()
	s.gateways = nil
	for i := 0; i < s.opts.gateways; i++ {
		s.gateways = append(s.gateways, s.openGateway(fmt.Sprintf("gw-%d", i)))
	}
	s.srv = s.gateways[0].srv
	h := s.balancer()
	if s.opts.tls {
		s.hs = httptest.NewTLSServer(h)
	} else {
		s.hs = httptest.NewServer(h)
	}
	s.URL = s.hs.URL
}

// balancer forwards each request to the next gateway in turn, keeping the
// Host header (SigV4 signs it) and adding nothing: the gateways see the
// client's request as sent.
func (s *Server) balancer() http.Handler {
	targets := make([]*url.URL, len(s.gateways))
	for i, g := range s.gateways {
		targets[i], _ = url.Parse(g.hs.URL)
	}
	downs := make([]*atomic.Bool, len(s.gateways))
	for i, g := range s.gateways {
		downs[i] = g.down
	}
	var next atomic.Uint64
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} // the gateways' own test certificates
	transport.MaxIdleConnsPerHost = 64
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			i := next.Add(1) % uint64(len(targets))
			for j := 0; j < len(targets) && downs[i].Load(); j++ {
				i = (i + 1) % uint64(len(targets))
			}
			u := targets[i]
			pr.Out.URL.Scheme, pr.Out.URL.Host = u.Scheme, u.Host
			pr.Out.Host = pr.In.Host
		},
		Transport:     transport,
		FlushInterval: -1, // stream responses as the gateway writes them
		// A client hanging up mid-body (tests do) is not news.
		ErrorLog: log.New(io.Discard, "", 0),
	}
}

// Gateways returns every gateway's server (one unless GatewaysEnv says
// more); a stopped gateway's entry is nil.
func (s *Server) Gateways() []*server.Server {
	out := make([]*server.Server, len(s.gateways))
	for i, g := range s.gateways {
		if !g.down.Load() {
			out[i] = g.srv
		}
	}
	return out
}

// StopGateway shuts gateway i down; the balancer sends requests to the
// others from then on, and Internal() is the first one still running.
func (s *Server) StopGateway(i int) {
	s.t.Helper()
	g := s.gateways[i]
	if g.down.Swap(true) {
		return
	}
	g.hs.Close()
	if err := g.srv.Close(); err != nil {
		s.t.Errorf("tesseratest: close gateway %d: %v", i, err)
	}
	for _, g := range s.gateways {
		if !g.down.Load() {
			s.srv = g.srv
			break
		}
	}
}

// GatewayURL is gateway i's own base URL, bypassing the balancer (to send
// requests to chosen gateways at once).
func (s *Server) GatewayURL(i int) string { return s.gateways[i].hs.URL }

// GatewayS3 is an aws-sdk-go-v2 client, as S3 returns, that talks to
// gateway i only.
func (s *Server) GatewayS3(i int, optFns ...func(*s3.Options)) *s3.Client {
	return s.S3(append([]func(*s3.Options){func(o *s3.Options) {
		o.BaseEndpoint = aws.String(s.gateways[i].hs.URL)
	}}, optFns...)...)
}

// DirectHost is the first gateway's host:port, bypassing the balancer:
// for raw-connection tests of how a gateway treats the bytes on its own
// connection (a balancer would buffer or reframe them).
func (s *Server) DirectHost() string {
	u, _ := url.Parse(s.gateways[0].hs.URL)
	return u.Host
}

// FlushUsage persists every running gateway's usage counters.
func (s *Server) FlushUsage(ctx context.Context) error {
	for _, g := range s.Gateways() {
		if g != nil {
			if err := g.Accounts().Flush(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// Usage is an account's usage as the cluster counts it: every gateway's
// counters flushed, then read.
func (s *Server) Usage(ctx context.Context, accountID string) (iam.Usage, error) {
	if len(s.gateways) > 1 {
		if err := s.FlushUsage(ctx); err != nil {
			return iam.Usage{}, err
		}
	}
	return s.srv.Accounts().Usage(ctx, accountID)
}
