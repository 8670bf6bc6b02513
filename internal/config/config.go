// Package config holds Tessera's server configuration: the Config struct,
// its flags and environment variables, validation and the --help text.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tessera-s3/tessera/internal/blob"
)

// Config is everything the server needs to start.
type Config struct {
	Address string
	DataDir string
	// PostgresDSN, when set, keeps metadata in that PostgreSQL database
	// instead of Pebble under DataDir; object bytes stay under DataDir.
	PostgresDSN     string
	Region          string
	RootUser        string
	RootPassword    string
	Domains         []string
	TLSCert         string
	TLSKey          string
	LogLevel        slog.Level
	LogFormat       string
	ShutdownTimeout time.Duration
	// LifecycleInterval is the time between lifecycle passes (abort
	// expired uploads, expire objects); 0 disables the worker.
	LifecycleInterval time.Duration
	// KMSKeyFile holds the root key of server-side encryption (base64 of
	// 32 bytes); empty means <data>/kms-root-key, generated on first start.
	KMSKeyFile string
	// KMSKey is the root key itself (TESSERA_KMS_KEY, environment only so
	// it never shows in a process list); it wins over KMSKeyFile.
	KMSKey string
	// KMSPreviousKeyFile holds the root key being replaced: at start the
	// server re-seals every SSE-S3 and SSE-KMS data key still sealed under
	// it under the current root key, then needs it no more.
	KMSPreviousKeyFile string
	// GatewayID names this server among the gateways sharing one
	// PostgreSQL database and data directory: in logs, metrics, the
	// gateway registry and its temporary directory tmp/<id>. Empty: the
	// host name and a random suffix, new at every start.
	GatewayID string
	// DrainDelay is how long a stopping server keeps serving while its
	// readiness check fails, so a load balancer stops sending it requests
	// before it closes its listener.
	DrainDelay time.Duration
	// Limits bound in-flight work, header sizes and slow clients.
	Limits Limits
	// ReservedSpace is the free space of the data directory's file system
	// that object bytes and new uploads leave to the metadata store: below
	// it writes get 503 ServiceUnavailable and deletes still work. 0 means
	// DefaultReservedSpace.
	ReservedSpace int64
	// DisableConsole turns the web console at /_tessera/console/ off
	// (--console=false); the zero value serves it.
	DisableConsole bool
}

// DefaultReservedSpace is --reserved-space's default: room for Pebble's
// write-ahead log and a few memtable flushes, and for the deletes that
// free space. A large metadata store compacts in bigger steps: raise it.
const DefaultReservedSpace = 64 << 20

// option binds one flag to its environment variable so --help can list both.
// A secret option's value (it may come from the environment) is never shown.
type option struct {
	flag, env, usage string
	secret           bool
}

var options = []option{
	{"address", "TESSERA_ADDRESS", "host:port to listen on", false},
	{"data", "TESSERA_DATA", "data directory (metadata and object bytes); created if missing", false},
	{"postgres", "TESSERA_POSTGRES", "PostgreSQL connection string (postgres://user:pass@host/db) for metadata; empty keeps metadata embedded under --data", true},
	{"region", "TESSERA_REGION", "region reported by GetBucketLocation, required in LocationConstraint (except us-east-1) and in SigV4 credential scopes", false},
	{"root-user", "TESSERA_ROOT_USER", "root access key ID (default: generated on first start and stored in <data>/credentials)", false},
	{"root-password", "TESSERA_ROOT_PASSWORD", "root secret access key (set together with --root-user)", true},
	{"domain", "TESSERA_DOMAIN", "comma-separated domains for virtual-host-style requests (bucket.domain, and the hosts SDKs make of access point ARNs, NAME-ACCOUNT.domain; S3 Control calls go to ACCOUNT.domain); path style always works", false},
	{"tls-cert", "TESSERA_TLS_CERT", "PEM certificate file; with --tls-key serves HTTPS", false},
	{"tls-key", "TESSERA_TLS_KEY", "PEM private key file for --tls-cert", false},
	{"log-level", "TESSERA_LOG_LEVEL", "log level: debug, info, warn or error", false},
	{"log-format", "TESSERA_LOG_FORMAT", "log format: text or json", false},
	{"shutdown-timeout", "TESSERA_SHUTDOWN_TIMEOUT", "how long graceful shutdown waits for in-flight requests", false},
	{"lifecycle-interval", "TESSERA_LIFECYCLE_INTERVAL", "time between passes of the lifecycle worker (abort incomplete uploads, expire objects); 0 disables it", false},
	{"kms-key-file", "TESSERA_KMS_KEY_FILE", "file holding the root key of server-side encryption (base64 of 32 bytes; must exist); default <data>/kms-root-key, generated on first start. TESSERA_KMS_KEY may hold the key itself instead. Keep a copy away from the data: without it encrypted objects cannot be read", false},
	{"gateway-id", "TESSERA_GATEWAY_ID", "this server's name among gateways sharing one --postgres database and --data directory (logs, metrics, registry, tmp/<id>); 1-64 of A-Z a-z 0-9 . _ -. Default: host name plus a random suffix, new at each start. A fixed ID lets a restarted gateway take over its own registration", false},
	{"reserved-space", "TESSERA_RESERVED_SPACE", "free space of the data directory's file system kept for metadata: once less is free, uploads and copies get 503 ServiceUnavailable (SDKs retry with backoff) while reads and deletes go on, and writes resume when space is freed. Accepts KiB, MiB, GiB suffixes", false},
	{"drain-delay", "TESSERA_DRAIN_DELAY", "on SIGTERM, keep serving this long with /_tessera/health/ready answering 503, so a load balancer moves traffic away first (behind one, make it longer than the time the balancer takes to mark a server down, e.g. 2s for HAProxy's `check inter 500ms fall 2`); then stop accepting and finish in-flight requests within --shutdown-timeout", false},
	{"console", "TESSERA_CONSOLE", "serve the web console at /_tessera/console/ (log in with any account's access key); false: 404 there, and console sessions are not accepted", false},
	{"kms-previous-key-file", "TESSERA_KMS_PREVIOUS_KEY_FILE", "root key rotation: file holding the root key being replaced. At start, before serving, every SSE-S3 and SSE-KMS data key sealed under it is re-sealed under the current root key (--kms-key-file); afterwards it is no longer needed. Stop every other gateway first", false},
}

// ParseServer parses the flags of `tessera server`. Environment variables
// give defaults; flags override them.
func ParseServer(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	fs := flag.NewFlagSet("tessera server", flag.ContinueOnError)
	fs.SetOutput(out)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	var c Config
	var domains, level string
	fs.StringVar(&c.Address, "address", env("TESSERA_ADDRESS", "127.0.0.1:9000"), "")
	fs.StringVar(&c.DataDir, "data", env("TESSERA_DATA", "./data"), "")
	fs.StringVar(&c.PostgresDSN, "postgres", env("TESSERA_POSTGRES", ""), "")
	fs.StringVar(&c.Region, "region", env("TESSERA_REGION", "us-east-1"), "")
	fs.StringVar(&c.RootUser, "root-user", env("TESSERA_ROOT_USER", ""), "")
	fs.StringVar(&c.RootPassword, "root-password", env("TESSERA_ROOT_PASSWORD", ""), "")
	fs.StringVar(&domains, "domain", env("TESSERA_DOMAIN", ""), "")
	fs.StringVar(&c.TLSCert, "tls-cert", env("TESSERA_TLS_CERT", ""), "")
	fs.StringVar(&c.TLSKey, "tls-key", env("TESSERA_TLS_KEY", ""), "")
	fs.StringVar(&level, "log-level", env("TESSERA_LOG_LEVEL", "info"), "")
	fs.StringVar(&c.LogFormat, "log-format", env("TESSERA_LOG_FORMAT", "text"), "")
	defTimeout, err := time.ParseDuration(env("TESSERA_SHUTDOWN_TIMEOUT", "30s"))
	if err != nil {
		return Config{}, fmt.Errorf("config: TESSERA_SHUTDOWN_TIMEOUT: %w", err)
	}
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", defTimeout, "")
	defInterval, err := time.ParseDuration(env("TESSERA_LIFECYCLE_INTERVAL", "1h"))
	if err != nil {
		return Config{}, fmt.Errorf("config: TESSERA_LIFECYCLE_INTERVAL: %w", err)
	}
	fs.DurationVar(&c.LifecycleInterval, "lifecycle-interval", defInterval, "")
	fs.StringVar(&c.KMSKeyFile, "kms-key-file", env("TESSERA_KMS_KEY_FILE", ""), "")
	fs.StringVar(&c.KMSPreviousKeyFile, "kms-previous-key-file", env("TESSERA_KMS_PREVIOUS_KEY_FILE", ""), "")
	fs.StringVar(&c.GatewayID, "gateway-id", env("TESSERA_GATEWAY_ID", ""), "")
	defDrain, err := time.ParseDuration(env("TESSERA_DRAIN_DELAY", "0s"))
	if err != nil {
		return Config{}, fmt.Errorf("config: TESSERA_DRAIN_DELAY: %w", err)
	}
	fs.DurationVar(&c.DrainDelay, "drain-delay", defDrain, "")
	var reserved string
	fs.StringVar(&reserved, "reserved-space", env("TESSERA_RESERVED_SPACE", "64MiB"), "")
	defConsole, err := strconv.ParseBool(env("TESSERA_CONSOLE", "true"))
	if err != nil {
		return Config{}, fmt.Errorf("config: TESSERA_CONSOLE: %w", err)
	}
	console := fs.Bool("console", defConsole, "")
	finishLimits, err := limitFlags(fs, &c.Limits, env)
	if err != nil {
		return Config{}, err
	}
	c.KMSKey = getenv("TESSERA_KMS_KEY")
	fs.Usage = func() { Usage(out, fs) }
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("config: unexpected argument %q", fs.Arg(0))
	}
	if err := finishLimits(); err != nil {
		return Config{}, err
	}
	if c.ReservedSpace, err = ParseSize(reserved); err != nil {
		return Config{}, fmt.Errorf("config: --reserved-space: %w", err)
	}
	c.DisableConsole = !*console
	for _, d := range strings.Split(domains, ",") {
		if d = strings.TrimSpace(d); d != "" {
			c.Domains = append(c.Domains, strings.ToLower(d))
		}
	}
	if err := c.LogLevel.UnmarshalText([]byte(level)); err != nil {
		return Config{}, fmt.Errorf("config: --log-level: %w", err)
	}
	return c, c.Validate()
}

// Validate reports the first inconsistency in c.
func (c Config) Validate() error {
	switch {
	case c.Address == "":
		return errors.New("config: --address is empty")
	case c.DataDir == "":
		return errors.New("config: --data is empty")
	case c.Region == "":
		return errors.New("config: --region is empty")
	case (c.RootUser == "") != (c.RootPassword == ""):
		return errors.New("config: set both --root-user and --root-password (or neither, to use generated credentials)")
	case c.RootUser != "" && (len(c.RootUser) < 3 || len(c.RootPassword) < 8):
		return errors.New("config: root user must be at least 3 characters and root password at least 8")
	case (c.TLSCert == "") != (c.TLSKey == ""):
		return errors.New("config: set both --tls-cert and --tls-key")
	case c.GatewayID != "" && !blob.ValidGatewayID(c.GatewayID):
		return fmt.Errorf("config: --gateway-id %q: want 1 to 64 of A-Z a-z 0-9 . _ - (not . or ..)", c.GatewayID)
	case c.DrainDelay < 0:
		return errors.New("config: --drain-delay must not be negative")
	case c.LifecycleInterval < 0:
		return errors.New("config: --lifecycle-interval must not be negative")
	case c.LogFormat != "text" && c.LogFormat != "json":
		return fmt.Errorf("config: --log-format must be text or json, not %q", c.LogFormat)
	}
	return c.Limits.validate()
}

// Usage writes the help of `tessera server`.
func Usage(out io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(out, `Usage: tessera server [flags]

Runs the S3 API on --address, storing metadata and object bytes under --data
(metadata in PostgreSQL instead when --postgres is set).
Any number of servers may share one --postgres database and one --data
directory on a shared filesystem (NFS, CephFS, ...) behind a load balancer:
they coordinate through the database (see README, "Scale-out").
Every request must be signed (AWS Signature V4, or V2 presigned URLs) with a
key the server knows. Without --root-user/--root-password the server
generates root credentials on first start, prints them once and keeps them in
<data>/credentials (mode 0600).

Also served, without authentication: GET /_tessera/health/live,
GET /_tessera/health/ready and GET /_tessera/metrics (Prometheus).
(Bucket names cannot contain "_", so these never collide with S3 paths.)
The web console is at /_tessera/console/ (--console=false turns it off).

Flags (each can also be set by the environment variable shown):
`)
	for _, o := range append(options[:len(options):len(options)], limitOptions...) {
		def := ""
		if f := fs.Lookup(o.flag); f != nil && f.DefValue != "" && !o.secret {
			def = " (default " + f.DefValue + ")"
		}
		fmt.Fprintf(out, "  --%-19s %s%s\n  %-21s [$%s]\n", o.flag, o.usage, def, "", o.env)
	}
}

// Getenv is os.Getenv; a variable so main can pass it explicitly.
var Getenv = os.Getenv
