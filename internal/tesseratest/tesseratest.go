// Package tesseratest starts a real Tessera server on 127.0.0.1 for tests
// and hands out real clients for it: aws-sdk-go-v2 and minio-go, built
// explicitly so that ambient AWS_* settings cannot change them.
package tesseratest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/tessera-s3/tessera/internal/config"
	"github.com/tessera-s3/tessera/internal/lifecycle"
	"github.com/tessera-s3/tessera/internal/meta/postgres"
	"github.com/tessera-s3/tessera/internal/meta/postgres/pgtest"
	"github.com/tessera-s3/tessera/internal/server"
)

// Fixed root credentials of test servers.
const (
	AccessKey = "TESSERATESTROOTKEY01"
	SecretKey = "tessera/test/secret/key/0123456789abcdef"
	Region    = "us-east-1"
)

// Server is a running test server.
type Server struct {
	t       testing.TB
	opts    options
	DataDir string
	URL     string           // base URL, e.g. http://127.0.0.1:41234
	srv     *server.Server   // the first gateway
	hs      *httptest.Server // what clients talk to: the only gateway, or the balancer
	// gateways are every gateway (one unless GatewaysEnv says more);
	// with more than one, hs balances requests across them (gateways.go).
	gateways []gateway
}

type options struct {
	tls         bool
	dataDir     string
	now         func() time.Time
	minPartSize int64
	domains     []string
	logger      *slog.Logger
	postgres    string
	kmsKeyFile  string
	kmsPrevFile string
	region      string
	noConsole   bool
	gateways    int
	limits      config.Limits
	blobFS      vfs.FS
}

// Option configures New.
type Option func(*options)

// WithTLS serves HTTPS with a self-signed certificate (SDKs send aws-chunked
// trailers by default only over TLS).
func WithTLS() Option { return func(o *options) { o.tls = true } }

// WithDataDir uses dir instead of a fresh temporary directory.
func WithDataDir(dir string) Option { return func(o *options) { o.dataDir = dir } }

// WithClock makes the server read time from now.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithMinPartSize lowers S3's 5 MiB minimum part size for tests.
func WithMinPartSize(n int64) Option { return func(o *options) { o.minPartSize = n } }

// WithDomains enables virtual-host-style addressing for the domains.
func WithDomains(d ...string) Option { return func(o *options) { o.domains = d } }

// WithLogger sends server logs to l (default: discarded).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithPostgres keeps the server's metadata in the PostgreSQL database dsn
// instead of Pebble under the data directory.
func WithPostgres(dsn string) Option { return func(o *options) { o.postgres = dsn } }

// WithKMSKeyFiles sets the server's root key file (--kms-key-file; ""
// means the one generated in the data directory) and the root key being
// replaced (--kms-previous-key-file; "" for none).
func WithKMSKeyFiles(current, previous string) Option {
	return func(o *options) { o.kmsKeyFile, o.kmsPrevFile = current, previous }
}

// WithRegion sets the server's region (--region; default Region). The
// server's own clients (S3, Minio, Do) sign for it.
func WithRegion(region string) Option { return func(o *options) { o.region = region } }

// WithoutConsole starts the server with --console=false.
func WithoutConsole() Option { return func(o *options) { o.noConsole = true } }

// WithLimits sets the server's overload and slow-client limits
// (--max-requests, --read-idle-timeout, ...); zero fields keep the
// defaults.
func WithLimits(l config.Limits) Option { return func(o *options) { o.limits = l } }

// WithBlobFS runs every gateway's blob store on fsys instead of the real
// disk (server.Options.BlobFS): a test wraps vfs.Default in an error
// injector (pebble's vfs/errorfs) to make the disk fail or fill up.
func WithBlobFS(fsys vfs.FS) Option { return func(o *options) { o.blobFS = fsys } }

// MetaEnv names the environment variable that moves every test server's
// metadata to PostgreSQL: TESSERA_TEST_META=postgres runs a whole suite on
// the scale-out backend (a fresh database per server, from pgtest). A
// package that uses it calls pgtest.Main from its TestMain.
const MetaEnv = "TESSERA_TEST_META"

// New starts a server that stops when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var o options
	for _, f := range opts {
		f(&o)
	}
	if o.dataDir == "" {
		o.dataDir = t.TempDir()
	}
	if o.region == "" {
		o.region = Region
	}
	if o.logger == nil {
		o.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.gateways == 0 {
		o.gateways = gatewaysFromEnv(t)
	}
	if o.postgres == "" && o.gateways > 0 {
		o.postgres = database(t) // gateways share a database
	}
	if o.postgres == "" {
		switch v := os.Getenv(MetaEnv); v {
		case "", "pebble":
		case "postgres":
			o.postgres = database(t)
		default:
			t.Fatalf("tesseratest: %s=%q: want pebble or postgres", MetaEnv, v)
		}
	}
	s := &Server{t: t, opts: o, DataDir: o.dataDir}
	s.start()
	t.Cleanup(s.Stop)
	return s
}

// database returns the DSN of a new PostgreSQL database that already
// holds Tessera's schema and no data: a copy of one that postgres.Open
// migrated once for the whole test process. Migrating an empty database for
// every test server cost each one ~80 ms of DDL in PostgreSQL; the
// migrations themselves are tested where they are the subject
// (internal/meta/postgres, internal/server). The gateways' Open still
// runs migrate, which finds the schema current, as on any restart.
func database(t testing.TB) string {
	t.Helper()
	return pgtest.DSNFrom(t, "tessera_schema", func(ctx context.Context, dsn string) error {
		s, err := postgres.Open(ctx, dsn)
		if err != nil {
			return err
		}
		return s.Close()
	})
}

func (s *Server) start() {
	s.t.Helper()
	if s.opts.gateways > 0 {
		s.startGateways()
		return
	}
	g := s.openGateway("")
	s.gateways = []gateway{g}
	s.srv, s.hs = g.srv, g.hs
	s.URL = s.hs.URL
}

// openGateway opens a server on the test's data directory and store,
// named id ("" for a generated ID), serving on an httptest server.
func (s *Server) openGateway(id string) gateway {
	s.t.Helper()
	cfg := config.Config{
		Address: "127.0.0.1:0", DataDir: s.DataDir, Region: s.opts.region,
		RootUser: AccessKey, RootPassword: SecretKey, Domains: s.opts.domains,
		LogFormat: "text", ShutdownTimeout: 5 * time.Second, PostgresDSN: s.opts.postgres,
		KMSKeyFile: s.opts.kmsKeyFile, KMSPreviousKeyFile: s.opts.kmsPrevFile, GatewayID: id,
		Limits: s.opts.limits, DisableConsole: s.opts.noConsole,
	}
	opts := server.Options{Logger: s.opts.logger, Now: s.opts.now, MinPartSize: s.opts.minPartSize, BlobFS: s.opts.blobFS}
	if s.opts.gateways > 0 {
		opts.Timing = gatewayTiming
	}
	srv, err := server.Open(cfg, opts)
	if err != nil {
		s.t.Fatalf("tesseratest: open server: %v", err)
	}
	g := gateway{srv: srv, down: new(atomic.Bool)}
	// Served as the binary serves it: same header timeout and size limit.
	g.hs = httptest.NewUnstartedServer(srv.Handler())
	srv.ConfigureHTTP(g.hs.Config)
	if s.opts.tls {
		g.hs.StartTLS()
	} else {
		g.hs.Start()
	}
	return g
}

// Stop shuts the server down (idempotent).
func (s *Server) Stop() {
	if s.hs == nil {
		return
	}
	s.hs.Close()
	for _, g := range s.gateways {
		if g.down.Swap(true) {
			continue // stopped by StopGateway
		}
		g.hs.Close()
		if err := g.srv.Close(); err != nil {
			s.t.Errorf("tesseratest: close server: %v", err)
		}
	}
	s.hs, s.srv, s.gateways = nil, nil, nil
}

// Restart stops the server and starts a new one on the same data directory
// (the URL changes; make new clients).
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

// RestartWith restarts the server, as Restart does, with opts applied on
// top of the options it was started with (e.g. other root key files).
func (s *Server) RestartWith(opts ...Option) {
	s.t.Helper()
	for _, f := range opts {
		f(&s.opts)
	}
	s.Restart()
}

// Lifecycle is the server's lifecycle worker. Test servers run no
// background passes: a test calls RunOnce when its clock says so.
func (s *Server) Lifecycle() *lifecycle.Worker { return s.srv.Lifecycle() }

// HTTPClient trusts the server's certificate when it serves TLS.
func (s *Server) HTTPClient() *http.Client { return s.hs.Client() }

// Region is the server's region.
func (s *Server) Region() string { return s.opts.region }

// Host is the server's host:port.
func (s *Server) Host() string {
	u, _ := url.Parse(s.URL)
	return u.Host
}

// S3 returns an aws-sdk-go-v2 client with the SDK's default checksum
// behaviour, path-style addressing and the root credentials.
func (s *Server) S3(optFns ...func(*s3.Options)) *s3.Client {
	cfg := aws.Config{
		Region:      s.opts.region,
		Credentials: credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
		HTTPClient:  s.HTTPClient(),
		// What config.LoadDefaultConfig would fill in: the SDK's default
		// checksum behaviour (trailers over TLS, response validation).
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}
	opts := append([]func(*s3.Options){func(o *s3.Options) {
		o.BaseEndpoint = aws.String(s.URL)
		o.UsePathStyle = true
		o.RetryMaxAttempts = 1
	}}, optFns...)
	return s3.NewFromConfig(cfg, opts...)
}

// Minio returns a minio-go client with the root credentials.
func (s *Server) Minio() *minio.Client {
	c, err := minio.New(s.Host(), &minio.Options{
		Creds:     miniocreds.NewStaticV4(AccessKey, SecretKey, ""),
		Secure:    s.opts.tls,
		Region:    s.opts.region,
		Transport: s.HTTPClient().Transport,
	})
	if err != nil {
		s.t.Fatalf("tesseratest: minio client: %v", err)
	}
	return c
}

// Account is an extra account on the test server with a client of its own.
type Account struct {
	ID          string // 12-digit account ID
	CanonicalID string
	Name        string
	AccessKey   string
	SecretKey   string
	S3          *s3.Client
}

// NewAccount creates an account (as `tessera admin user add` does) and
// returns it with an aws-sdk-go-v2 client signed by its key.
func (s *Server) NewAccount(name string) *Account {
	s.t.Helper()
	a, k, err := s.srv.Accounts().CreateAccount(context.Background(), name, time.Now())
	if err != nil {
		s.t.Fatalf("tesseratest: create account %q: %v", name, err)
	}
	return &Account{
		ID: a.ID, CanonicalID: a.CanonicalID, Name: a.Name,
		AccessKey: k.AccessKeyID, SecretKey: k.SecretAccessKey,
		S3: s.S3As(k.AccessKeyID, k.SecretAccessKey),
	}
}

// NewKMSKey creates a KMS key owned by account (as `tessera admin kms key
// create` does) and returns its ID and ARN.
func (s *Server) NewKMSKey(account string) (id, arn string) {
	s.t.Helper()
	k, err := s.srv.Keys().Create(context.Background(), account, "test key")
	if err != nil {
		s.t.Fatalf("tesseratest: create KMS key for %s: %v", account, err)
	}
	return k.ID, s.srv.Keys().ARN(k)
}

// S3As returns an aws-sdk-go-v2 client for the server signed with the given key.
func (s *Server) S3As(accessKey, secretKey string, optFns ...func(*s3.Options)) *s3.Client {
	return s.S3(append([]func(*s3.Options){func(o *s3.Options) {
		o.Credentials = credentials.NewStaticCredentialsProvider(accessKey, secretKey, "")
	}}, optFns...)...)
}

// RootAccountID is the root account's ID on every server.
const RootAccountID = server.RootAccountID

// Internal returns the running server, for tests that reach past the API
// (e.g. to flush usage counters).
func (s *Server) Internal() *server.Server { return s.srv }
