// Package server runs Tessera: it wires the stores, the engine and the S3
// handler together, and owns the HTTP server's life cycle, health
// endpoints, Prometheus metrics, access log and graceful shutdown.
package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/tessera-s3/tessera/internal/admin"
	"github.com/tessera-s3/tessera/internal/blob"
	"github.com/tessera-s3/tessera/internal/config"
	"github.com/tessera-s3/tessera/internal/console"
	"github.com/tessera-s3/tessera/internal/engine"
	"github.com/tessera-s3/tessera/internal/fsck"
	"github.com/tessera-s3/tessera/internal/iam"
	"github.com/tessera-s3/tessera/internal/kms"
	"github.com/tessera-s3/tessera/internal/lifecycle"
	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/meta/metered"
	pebblestore "github.com/tessera-s3/tessera/internal/meta/pebble"
	"github.com/tessera-s3/tessera/internal/meta/postgres"
	"github.com/tessera-s3/tessera/internal/s3api"
	"github.com/tessera-s3/tessera/internal/session"
	"github.com/tessera-s3/tessera/internal/sigv4"
)

// RootOwner is the root account's owner record. Its canonical ID is fixed
// so that buckets keep their owner when the root key changes.
var RootOwner = engine.Owner{ID: rootCanonicalID(), DisplayName: "root"}

// RootAccountID is the root account's 12-digit account ID.
const RootAccountID = "000000000000"

func rootCanonicalID() string {
	sum := sha256.Sum256([]byte("tessera root account"))
	return hex.EncodeToString(sum[:])
}

// Options are what tests and main may set beyond the Config.
type Options struct {
	Logger *slog.Logger
	// Announce receives generated root credentials on first start (nil: stderr).
	Announce io.Writer
	// Now overrides the clock (tests).
	Now func() time.Time
	// MinPartSize overrides S3's 5 MiB minimum part size (tests).
	MinPartSize int64
	// Timing overrides the cluster's heartbeat, TTL and job intervals (tests).
	Timing Timing
	// BlobFS is the file system the blob store runs on (nil: the real
	// disk); tests wrap the real disk in an error injector to fill it.
	BlobFS vfs.FS
}

// Server is a running Tessera instance's components.
type Server struct {
	cfg     config.Config
	log     *slog.Logger
	meta    meta.Store
	blobs   *blob.Store
	engine  *engine.Engine
	handler http.Handler
	root    rootCredentials
	metrics *metrics
	// lifecycle enforces bucket lifecycle rules; Run drives it.
	lifecycle *lifecycle.Worker
	accounts  *iam.Service
	admin     http.Handler
	// console is the web console; nil when --console=false.
	console *console.Handler
	// stopFlush ends the usage flusher; flushDone closes when it has ended.
	stopFlush context.CancelFunc
	flushDone chan struct{}
	keys      *kms.Service
	// member is this gateway's registration, heartbeat and leader jobs.
	member *member
	// draining makes readiness fail while a stopping server drains.
	draining atomic.Bool
	// limits are cfg.Limits with defaults filled in; admission enforces
	// the in-flight ones.
	limits    config.Limits
	admission *admission
	// revocations are the console sessions logged out (swept even with
	// the console off: it may be on again after a restart, or on another
	// gateway).
	revocations revocations
}

// How often usage counters reach the store, and how often the leader's
// housekeeping (old completions) runs.
const (
	usageFlushInterval  = 10 * time.Second
	maintenanceInterval = 15 * time.Minute
)

// startUsageFlusher runs the background chores: persisting usage counters
// and, on the leader, engine maintenance. Close stops it after a last flush.
func (s *Server) startUsageFlusher() {
	ctx, cancel := context.WithCancel(context.Background())
	s.stopFlush, s.flushDone = cancel, make(chan struct{})
	go func() {
		defer close(s.flushDone)
		flush := time.NewTicker(usageFlushInterval)
		defer flush.Stop()
		maintain := time.NewTicker(maintenanceInterval)
		defer maintain.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-flush.C:
				if err := s.accounts.Flush(ctx); err != nil {
					s.log.Warn("flushing usage counters", "err", err)
				}
			case <-maintain.C:
				if !s.member.leading.Load() {
					continue
				}
				if err := s.Maintain(ctx); err != nil && ctx.Err() == nil {
					s.log.Warn("maintenance", "err", err)
				}
			}
		}
	}()
}

// Open opens the data directory and wires the server. Close releases it.
func Open(cfg config.Config, opts Options) (*Server, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	id := gatewayID(cfg)
	log = log.With("gateway", id)
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("server: data directory: %w", err)
	}
	root := rootCredentials{AccessKeyID: cfg.RootUser, SecretAccessKey: cfg.RootPassword}
	if root.AccessKeyID == "" {
		announce := opts.Announce
		if announce == nil {
			announce = os.Stderr
		}
		var err error
		if root, err = loadOrCreateRoot(cfg.DataDir, announce); err != nil {
			return nil, err
		}
	}
	blobFS := opts.BlobFS
	if blobFS == nil {
		blobFS = vfs.Default
	}
	blobs, err := blob.OpenFS(blobFS, cfg.DataDir, id)
	if err != nil {
		return nil, err
	}
	reserved := cfg.ReservedSpace
	if reserved == 0 {
		reserved = config.DefaultReservedSpace
	}
	blobs.SetReserve(reserved)
	metrics := newMetrics(id)
	store, err := openMeta(cfg, metrics)
	if err != nil {
		return nil, err
	}
	if err := bindStore(context.Background(), cfg.DataDir, store, blobs, cfg.PostgresDSN != ""); err != nil {
		store.Close()
		return nil, err
	}
	timing := opts.Timing.withDefaults()
	rootKey, err := loadRootKey(cfg, log)
	if err != nil {
		store.Close()
		return nil, err
	}
	// The KMS keys of SSE-KMS; their key material derives from rootKey.
	keys, err := kms.New(context.Background(), store, rootKey, cfg.Region, kms.FeedTTL(timing.TTL), kms.Logger(log))
	if err != nil {
		store.Close()
		return nil, err
	}
	eng := engine.New(store, blobs, engine.Options{Region: cfg.Region, Now: opts.Now, Logger: log, MinPartSize: opts.MinPartSize, RootKey: rootKey, Keys: keys,
		Cluster: engine.ClusterOptions{GatewayID: id, TTL: timing.TTL, GarbageGrace: timing.GarbageGrace}})
	keys.SetResealer(eng) // rotating a KMS key re-seals its data keys
	if err := rotateRoot(cfg, eng, rootKey, log); err != nil {
		store.Close()
		return nil, err
	}
	rootAccount := iam.Account{ID: RootAccountID, CanonicalID: RootOwner.ID, Name: RootOwner.DisplayName}
	accounts, err := iam.NewService(context.Background(), store, rootAccount,
		iam.Key{AccessKeyID: root.AccessKeyID, SecretAccessKey: root.SecretAccessKey}, iam.FeedTTL(timing.TTL), iam.Logger(log))
	if err != nil {
		store.Close()
		return nil, err
	}
	// S3 refuses a credential scope for another region; the admin API is
	// Tessera's own and keeps accepting any (its client signs for
	// TESSERA_REGION, which an operator may have set only as a flag on the
	// server).
	verifier := &sigv4.Verifier{Credentials: accounts, Now: opts.Now, Domains: cfg.Domains, Region: cfg.Region}
	adminVerifier := &sigv4.Verifier{Credentials: accounts, Now: opts.Now, Domains: cfg.Domains}
	// Console sessions are a third way into the S3 API, only while the
	// console is served.
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	revoked := revocations{store: store, now: now}
	var sessions *session.Authenticator
	if !cfg.DisableConsole {
		sessions = &session.Authenticator{Credentials: accounts, Revocations: revoked, Now: opts.Now}
	}
	api := s3api.New(s3api.Config{Engine: eng, Verifier: verifier, Domains: cfg.Domains, Logger: log, IAM: accounts, Sessions: sessions})
	ownedBuckets := func(ctx context.Context, canonicalID string) (int, error) {
		bs, err := eng.ListBuckets(ctx, engine.Owner{ID: canonicalID})
		return len(bs), err
	}
	adminAPI := admin.New(accounts, keys, adminVerifier, ownedBuckets, opts.Now, log)
	adminAPI.ServeFsck(func(ctx context.Context, o fsck.Options) (*fsck.Report, error) {
		return fsck.Check(ctx, store, blobs, o)
	})
	adminAPI.ServeAccessPoints(accessPointLister(eng))
	s := &Server{cfg: cfg, log: log, meta: store, blobs: blobs, engine: eng, root: root, metrics: metrics, keys: keys,
		accounts: accounts, admin: adminAPI, revocations: revoked}
	if sessions != nil {
		s.console = console.New(console.Config{Sessions: sessions, IAM: accounts, Admin: adminAPI, Region: cfg.Region, Now: opts.Now, Logger: log})
		s.metrics.registerConsole(s.console.Stats)
	}
	s.limits = cfg.Limits.WithDefaults()
	s.admission = newAdmission(s.limits)
	s.metrics.registerAdmission(s.admission)
	s.member = &member{id: id, s: s, timing: timing}
	if err := s.member.join(context.Background()); err != nil {
		store.Close()
		return nil, err
	}
	s.metrics.registerMember(s.member, eng)
	// The first leader finishes what a crash interrupted: garbage, blobs a
	// crash left between their commit and their metadata commit, and the
	// temporary files of gateways that are gone.
	if s.member.lead(context.Background()) {
		s.member.leaderJobs(context.Background(), true)
	}
	s.member.start()
	s.startUsageFlusher()
	s.lifecycle = lifecycle.NewWorker(eng.LifecycleSource(), lifecycle.WorkerOptions{Interval: cfg.LifecycleInterval, Logger: log, Leading: s.member.leading.Load})
	s.metrics.registerLifecycle(s.lifecycle.Stats)
	s.handler = s.routes(api)
	return s, nil
}

// openMeta opens the metadata store: PostgreSQL when configured, else
// Pebble under the data directory; either way metered, so that every call
// shows in tessera_meta_* (on PostgreSQL each is a round trip).
func openMeta(cfg config.Config, m *metrics) (meta.Store, error) {
	store, err := openBackend(cfg)
	if err != nil {
		return nil, err
	}
	metered, err := metered.New(store, m.reg)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("server: %w", err)
	}
	return metered, nil
}

func openBackend(cfg config.Config) (meta.Store, error) {
	if cfg.PostgresDSN == "" {
		return pebblestore.Open(filepath.Join(cfg.DataDir, "meta"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return postgres.Open(ctx, cfg.PostgresDSN)
}

// RootCredentials returns the root access key pair in use.
func (s *Server) RootCredentials() (accessKeyID, secretAccessKey string) {
	return s.root.AccessKeyID, s.root.SecretAccessKey
}

// Lifecycle is the lifecycle worker. Run drives it every
// cfg.LifecycleInterval; tests call its RunOnce themselves.
func (s *Server) Lifecycle() *lifecycle.Worker { return s.lifecycle }

// Handler is the whole HTTP surface: S3 API, health and metrics.
func (s *Server) Handler() http.Handler { return s.handler }

// Close leaves the cluster and releases the stores after a last usage
// flush. In-flight requests must be finished.
func (s *Server) Close() error {
	s.stopFlush()
	<-s.flushDone
	if err := s.accounts.Flush(context.Background()); err != nil {
		s.log.Warn("flushing usage counters", "err", err)
	}
	s.member.close()
	return s.meta.Close()
}

// GatewayID is this server's ID among the gateways of its store.
func (s *Server) GatewayID() string { return s.member.id }

// Leading reports whether this gateway leads the cluster now.
func (s *Server) Leading() bool { return s.member.leading.Load() }

// Accounts is the account service (tests create accounts through it).
func (s *Server) Accounts() *iam.Service { return s.accounts }

// Meta is the metadata store (benchmarks build large histories through
// it; the S3 API never bypasses the engine).
func (s *Server) Meta() meta.Store { return s.meta }

// Keys returns the KMS key service (what `tessera admin kms` manages).
func (s *Server) Keys() *kms.Service { return s.keys }

// Run serves on cfg.Address until ctx is done, then shuts down gracefully,
// waiting up to cfg.ShutdownTimeout for in-flight requests. ready, if not
// nil, receives the bound address once listening.
func (s *Server) Run(ctx context.Context, ready func(addr net.Addr)) error {
	ln, err := net.Listen("tcp", s.cfg.Address)
	if err != nil {
		return fmt.Errorf("server: listen: %w", err)
	}
	hs := &http.Server{
		Handler:     s.handler,
		IdleTimeout: 120 * time.Second,
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	s.ConfigureHTTP(hs)
	scheme := "http"
	if s.cfg.TLSCert != "" {
		scheme = "https"
	}
	metaBackend := "pebble" // the DSN may hold a password: never logged
	if s.cfg.PostgresDSN != "" {
		metaBackend = "postgres"
	}
	s.log.Info("tessera listening", "address", ln.Addr().String(), "scheme", scheme, "data", s.cfg.DataDir, "meta", metaBackend, "region", s.cfg.Region)
	if ready != nil {
		ready(ln.Addr())
	}
	// The lifecycle worker runs beside the listener and has stopped by the
	// time Run returns, so Close never pulls the stores from under it.
	wctx, stopWorker := context.WithCancel(ctx)
	workerDone := make(chan struct{})
	go func() { defer close(workerDone); s.lifecycle.Run(wctx) }()
	defer func() { stopWorker(); <-workerDone }()
	if s.cfg.LifecycleInterval > 0 {
		s.log.Info("lifecycle worker running", "interval", s.cfg.LifecycleInterval)
	}
	errc := make(chan error, 1)
	go func() {
		if s.cfg.TLSCert != "" {
			errc <- hs.ServeTLS(ln, s.cfg.TLSCert, s.cfg.TLSKey)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	if s.cfg.DrainDelay > 0 {
		// Readiness fails first, so the load balancer stops routing here
		// while requests it already sent are still served.
		s.draining.Store(true)
		s.log.Info("draining", "delay", s.cfg.DrainDelay)
		time.Sleep(s.cfg.DrainDelay)
	}
	s.log.Info("shutting down", "timeout", s.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		s.log.Warn("graceful shutdown incomplete", "err", err)
		hs.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// ConfigureHTTP sets what hs needs from the server's limits (header
// timeout and size) and its error log. Run uses it; so does a test harness
// that serves Handler on a server of its own.
func (s *Server) ConfigureHTTP(hs *http.Server) {
	// No ReadTimeout or WriteTimeout: a 5 GiB upload on a slow link is
	// legitimate. Bodies and responses have idle timeouts instead (limit.go).
	hs.ReadHeaderTimeout = s.limits.ReadHeaderTimeout
	hs.MaxHeaderBytes = parserHeaderLimit(s.limits)
	hs.ErrorLog = slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)
}

// Maintain runs the leader's housekeeping now (the background loop runs
// it every maintenanceInterval): the engine's, then removing the console
// session revocations that have expired.
func (s *Server) Maintain(ctx context.Context) error {
	if err := s.engine.Maintain(ctx); err != nil {
		return err
	}
	n, err := s.revocations.sweep(ctx)
	if n > 0 {
		s.log.Debug("removed expired console session revocations", "count", n)
	}
	return err
}
