// Command tessera is an S3-compatible object storage server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/tessera-s3/tessera/internal/config"
	"github.com/tessera-s3/tessera/internal/server"
)

const usage = `Tessera: an S3-compatible object storage server.

Usage:
  tessera server [flags]   run the S3 API (see 'tessera server --help')
  tessera admin [flags] …  manage accounts and keys of a running server (see 'tessera admin --help')
  tessera fsck [flags]     check a data directory against its metadata (see 'tessera fsck --help')
  tessera cp SRC DST       copy to, from or inside any S3, resumable and verified (see 'tessera cp --help')
  tessera ls [s3://B[/P]]  list buckets or objects
  tessera rm s3://B/K      delete objects
  tessera mb s3://B        make a bucket
  tessera version          print the version
  tessera help             show this help
`

var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "server":
		return runServer(args[1:], stderr)
	case "admin":
		return runAdmin(args[1:], stdout, stderr)
	case "fsck":
		return runFsck(args[1:], stdout, stderr)
	case "cp", "ls", "rm", "mb":
		return runClient(args[0], args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "tessera", version)
		return 0
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "tessera: unknown command %q\n\n%s", args[0], usage)
	return 2
}

func runServer(args []string, stderr io.Writer) int {
	cfg, err := config.ParseServer(args, os.Getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	var h slog.Handler = slog.NewTextHandler(stderr, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(stderr, opts)
	}
	log := slog.New(h)
	srv, err := server.Open(cfg, server.Options{Logger: log, Announce: stderr})
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	defer srv.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := srv.Run(ctx, nil); err != nil {
		log.Error("server stopped", "err", err)
		return 1
	}
	return 0
}

// envOr is the environment variable k, or def when it is unset or empty:
// the default of a flag that the environment may set.
func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
