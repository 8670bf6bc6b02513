package cluster

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tessera-s3/tessera/internal/meta/postgres/pgtest"
	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// The cluster's root credentials: every gateway must be given the same
// ones (they are not generated into the shared data directory here).
const (
	rootUser     = "CLUSTERE2EROOTKEY001"
	rootPassword = "cluster/e2e/secret/0123456789abcdef"
	region       = "us-east-1"
)

// Gateway settings. drainDelay outlasts HAProxy's time to mark a draining
// gateway down (fall 2 × inter 500ms = 1 s, plus a check's round trip), so
// the balancer has stopped routing to it before it closes its listener.
const (
	gatewayCount = 3
	drainDelay   = 2 * time.Second
	readyWithin  = 30 * time.Second
)

// proc is a process the test started, killed at the test's end whatever
// happens; its output goes to a log file printed when the test fails.
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	url     string        // a gateway's own base URL, or HAProxy's frontend
	exited  chan struct{} // closed once the process is reaped
	err     error         // Wait's result, set before exited closes
}

// cluster is three gateways of the built binary on one fresh PostgreSQL
// database and one data directory, behind HAProxy.
type cluster struct {
	t        *testing.T
	dir      string // the test's temporary directory: data, logs, key, HAProxy config
	data     string // the shared --data directory
	url      string // HAProxy's frontend: what clients talk to
	gateways []*proc
	haproxy  *proc
}

// startCluster starts the gateways one after another (each ready before
// the next starts), then HAProxy in front of them, and returns once
// HAProxy answers ready.
func startCluster(t *testing.T, binary string) *cluster {
	t.Helper()
	haproxy := haproxyBinary(t)
	dir := t.TempDir()
	c := &cluster{t: t, dir: dir, data: filepath.Join(dir, "data")}
	if err := os.Mkdir(c.data, 0o700); err != nil {
		t.Fatal(err)
	}
	dsn := pgtest.DSN(t)
	keyFile := writeRootKey(t, dir)
	// Registered before any process starts, so it runs after every kill
	// and the logs are complete.
	t.Cleanup(c.dumpLogsOnFailure)
	for i := 0; i < gatewayCount; i++ {
		id := fmt.Sprintf("gw-%d", i)
		addr := freeAddr(t)
		g := c.start(id, binary, "server",
			"--address", addr, "--data", c.data, "--postgres", dsn, "--gateway-id", id,
			"--root-user", rootUser, "--root-password", rootPassword,
			"--kms-key-file", keyFile, "--drain-delay", drainDelay.String())
		g.url = "http://" + addr
		c.waitReady(g)
		c.gateways = append(c.gateways, g)
	}
	front := freeAddr(t)
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(haproxyConfig(front, c.gateways)), 0o600); err != nil {
		t.Fatal(err)
	}
	c.haproxy = c.start("haproxy", haproxy, "-f", cfg, "-db")
	c.haproxy.url = "http://" + front
	c.url = c.haproxy.url
	c.waitReady(c.haproxy)
	return c
}

// haproxyConfig is the balancer of the README's scale-out section:
// round-robin over the gateways, each checked at its readiness endpoint,
// a request whose connection to a gateway fails retried on another, and
// timeouts long enough for multi-gigabyte bodies on slow links.
func haproxyConfig(front string, gateways []*proc) string {
	var b strings.Builder
	fmt.Fprintf(&b, `global
    log stdout format raw local0 info
    maxconn 1024

defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 10m
    timeout server 10m
    timeout http-request 30s
    timeout http-keep-alive 30s
    timeout queue 30s
    timeout check 2s
    retries 3
    option redispatch

frontend s3
    bind %s
    default_backend gateways

backend gateways
    balance roundrobin
    option httpchk GET /_tessera/health/ready
    http-check expect status 200
`, front)
	for _, g := range gateways {
		fmt.Fprintf(&b, "    server %s %s check inter 500ms fall 2 rise 2\n", g.name, strings.TrimPrefix(g.url, "http://"))
	}
	return b.String()
}

// haproxyBinary finds HAProxy (Debian installs it in /usr/sbin, which a
// user's PATH may lack); a missing one fails the test: .ci/run installs it.
func haproxyBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("haproxy"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/haproxy"); err == nil {
		return "/usr/sbin/haproxy"
	}
	t.Fatal("haproxy not installed (.ci/run installs it: apt-get install haproxy)")
	return ""
}

// writeRootKey writes a root key of server-side encryption outside the
// data directory, as the README advises; every gateway gets the same one.
func writeRootKey(t *testing.T, dir string) string {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	path := filepath.Join(dir, "kms-root-key")
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// freeAddr is a 127.0.0.1 address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start runs a process with its output in <dir>/<name>.log and an
// environment without TESSERA_* and AWS_* variables, so nothing ambient
// changes the gateways' configuration. The process is SIGKILLed at the
// test's end (and when the test binary dies: Pdeathsig).
func (c *cluster) start(name, binary string, args ...string) *proc {
	c.t.Helper()
	p := &proc{name: name, logPath: filepath.Join(c.dir, name+".log"), exited: make(chan struct{})}
	logf, err := os.Create(p.logPath)
	if err != nil {
		c.t.Fatal(err)
	}
	defer logf.Close() // the child holds its own descriptor
	p.cmd = exec.Command(binary, args...)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	p.cmd.Env = cleanEnv()
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		c.t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	c.t.Cleanup(func() { p.signal(syscall.SIGKILL); <-p.exited })
	return p
}

func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TESSERA_") && !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return env
}

// signal sends sig unless the process has exited already.
func (p *proc) signal(sig syscall.Signal) {
	select {
	case <-p.exited:
	default:
		p.cmd.Process.Signal(sig)
	}
}

// kill SIGKILLs the process and waits until it is gone.
func (p *proc) kill() {
	p.signal(syscall.SIGKILL)
	<-p.exited
}

func (p *proc) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// log is the process's output so far.
func (p *proc) log() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// waitReady waits until p answers 200 at /_tessera/health/ready (through
// HAProxy: some gateway does); it fails the test if p exits first.
func (c *cluster) waitReady(p *proc) {
	c.t.Helper()
	deadline := time.Now().Add(readyWithin)
	for {
		if !p.running() {
			c.t.Fatalf("%s exited before it was ready (%v); its log:\n%s", p.name, p.err, p.log())
		}
		if status, err := readiness(p.url); err == nil && status == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s not ready at %s after %v", p.name, p.url, readyWithin)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// readiness is the status of GET base/_tessera/health/ready.
func readiness(base string) (int, error) {
	resp, err := plainHTTP.Get(base + "/_tessera/health/ready")
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// plainHTTP reaches the gateways and HAProxy directly: no proxy from the
// environment, short timeouts.
var plainHTTP = &http.Client{
	Timeout:   5 * time.Second,
	Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
}

// dumpLogsOnFailure prints the tail of every process's log when the test
// failed.
func (c *cluster) dumpLogsOnFailure() {
	if !c.t.Failed() {
		return
	}
	for _, p := range append(append([]*proc(nil), c.gateways...), c.haproxy) {
		if p == nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(p.log(), "\n"), "\n")
		if len(lines) > 150 {
			lines = lines[len(lines)-150:]
		}
		c.t.Logf("--- %s log (%s, last %d lines) ---\n%s", p.name, p.logPath, len(lines), strings.Join(lines, "\n"))
	}
}

// scriptEnv points an end-to-end script at HAProxy (endpoint mode).
func (c *cluster) scriptEnv() []string {
	return []string{"TESSERA_ENDPOINT=" + c.url, "TESSERA_ACCESS_KEY=" + rootUser, "TESSERA_SECRET_KEY=" + rootPassword}
}

// S3 is an aws-sdk-go-v2 client for base (HAProxy's frontend or one
// gateway), built explicitly as tesseratest builds its clients so that
// ambient AWS_* settings cannot change it, and retrying as the SDK does by
// default for a real application (RetryMaxAttempts 5).
func s3Client(base string, optFns ...func(*s3.Options)) *s3.Client {
	cfg := aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(rootUser, rootPassword, ""),
		HTTPClient:  &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16}},
		// What config.LoadDefaultConfig would fill in.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}
	opts := append([]func(*s3.Options){func(o *s3.Options) {
		o.BaseEndpoint = aws.String(base)
		o.UsePathStyle = true
		o.RetryMaxAttempts = 5
	}}, optFns...)
	return s3.NewFromConfig(cfg, opts...)
}

// scrape reads a gateway's metrics.
func scrape(ctx context.Context, base string) (tesseratest.Samples, error) {
	return tesseratest.Scrape(ctx, plainHTTP, base)
}
