// Command tessera-load puts a Tessera server under load: 64 clients (by
// default) mixing PUT, GET, LIST, multipart and DELETE for a minute, every
// byte read back checked. It starts the server as a child process of its
// own (this binary re-executed, so no separate build is needed) and
// reports the server's peak resident memory from /proc/<pid>/status
// (VmHWM); with --endpoint it loads a running server instead, and
// --server-pid names that server's process for the memory figure.
//
//	go run ./cmd/tessera-load --duration 1m
//
// It exits 1 if any operation failed other than by SlowDown, or any byte
// read back was wrong.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/tessera-s3/tessera/internal/config"
	"github.com/tessera-s3/tessera/internal/loadtest"
	"github.com/tessera-s3/tessera/internal/server"
)

// childEnv marks the re-executed process that runs the server.
const childEnv = "TESSERA_LOAD_CHILD"

const (
	childUser   = "tesseraload"
	childSecret = "tessera-load-secret-key"
)

func main() {
	if os.Getenv(childEnv) != "" {
		if err := child(); err != nil {
			fmt.Fprintln(os.Stderr, "tessera-load server:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "tessera-load:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		duration    = flag.Duration("duration", time.Minute, "how long to run")
		clients     = flag.Int("clients", 64, "concurrent clients")
		partSize    = flag.String("part-size", "5MiB", "multipart part size (the spawned server's minimum part size)")
		maxObject   = flag.String("max-object", "1MiB", "largest single PUT")
		maxAttempts = flag.Int("max-attempts", 10, "SDK attempts per operation (SlowDown is retried with backoff)")
		maxRequests = flag.Int("max-requests", 32, "spawned server's --max-requests (low, so that SlowDown happens)")
		maxUpload   = flag.String("max-upload-bytes", "64MiB", "spawned server's --max-upload-bytes")
		endpoint    = flag.String("endpoint", "", "load this running server instead of spawning one (with --access-key, --secret-key)")
		accessKey   = flag.String("access-key", "", "access key for --endpoint")
		secretKey   = flag.String("secret-key", "", "secret key for --endpoint")
		region      = flag.String("region", "us-east-1", "region for --endpoint")
		serverPID   = flag.Int("server-pid", 0, "with --endpoint: the server's process, for its peak RSS")
	)
	flag.Parse()
	ps, err := config.ParseSize(*partSize)
	if err != nil {
		return err
	}
	mo, err := config.ParseSize(*maxObject)
	if err != nil {
		return err
	}
	cfg := loadtest.Config{Endpoint: *endpoint, Region: *region, AccessKey: *accessKey, SecretKey: *secretKey,
		Clients: *clients, Duration: *duration, PartSize: ps, MaxObject: mo, MaxAttempts: *maxAttempts}
	pid := *serverPID
	if *endpoint == "" {
		cmd, addr, err := spawn(ps, *maxRequests, *maxUpload)
		if err != nil {
			return err
		}
		defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
		cfg.Endpoint, cfg.AccessKey, cfg.SecretKey, cfg.Region = "http://"+addr, childUser, childSecret, "us-east-1"
		pid = cmd.Process.Pid
		fmt.Printf("server: pid %d on %s, --max-requests %d --max-upload-bytes %s, part size %s\n", pid, addr, *maxRequests, *maxUpload, *partSize)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	fmt.Printf("load: %d clients for %v\n", *clients, *duration)
	rep, err := loadtest.Run(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Print(rep)
	if pid > 0 {
		if hwm, err := peakRSS(pid); err != nil {
			fmt.Println("server peak RSS: unknown:", err)
		} else {
			fmt.Printf("server peak RSS (VmHWM of pid %d): %s\n", pid, hwm)
		}
	}
	return rep.Ok()
}

// spawn re-executes this binary as the server and waits for its address.
func spawn(partSize int64, maxRequests int, maxUpload string) (*exec.Cmd, string, error) {
	dir, err := os.MkdirTemp("", "tessera-load-")
	if err != nil {
		return nil, "", err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), childEnv+"=1", "TESSERA_DATA="+dir, "TESSERA_MAX_REQUESTS="+strconv.Itoa(maxRequests),
		"TESSERA_MAX_UPLOAD_BYTES="+maxUpload, "TESSERA_LOAD_PART_SIZE="+strconv.FormatInt(partSize, 10))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		return nil, "", fmt.Errorf("server did not start: %w", err)
	}
	go io.Copy(io.Discard, out)
	return cmd, strings.TrimSpace(strings.TrimPrefix(line, "listening ")), nil
}

// child runs the server on a free port with the limits from the
// environment, prints "listening <addr>" and serves until interrupted;
// it removes its data directory at the end.
func child() error {
	cfg, err := config.ParseServer([]string{"--address", "127.0.0.1:0", "--root-user", childUser, "--root-password", childSecret,
		"--lifecycle-interval", "0"}, os.Getenv, os.Stderr)
	if err != nil {
		return err
	}
	defer os.RemoveAll(cfg.DataDir)
	partSize, _ := strconv.ParseInt(os.Getenv("TESSERA_LOAD_PART_SIZE"), 10, 64)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := server.Open(cfg, server.Options{Logger: log, MinPartSize: partSize})
	if err != nil {
		return err
	}
	defer srv.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return srv.Run(ctx, func(addr net.Addr) { fmt.Printf("listening %s\n", addr) })
}

// peakRSS reads VmHWM, the process's peak resident set size.
func peakRSS(pid int) (string, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}
