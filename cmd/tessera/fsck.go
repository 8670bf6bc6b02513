package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/tessera-s3/tessera/internal/admin"
	"github.com/tessera-s3/tessera/internal/blob"
	"github.com/tessera-s3/tessera/internal/fsck"
	"github.com/tessera-s3/tessera/internal/meta"
	pebblestore "github.com/tessera-s3/tessera/internal/meta/pebble"
	"github.com/tessera-s3/tessera/internal/meta/postgres"
	"github.com/tessera-s3/tessera/internal/server"
	"github.com/tessera-s3/tessera/internal/sigv4"
)

const fsckUsage = `Usage: tessera fsck [flags]

Checks a data directory against its metadata and reports what is wrong:
  missing-blob       a version or part refers to a blob that does not exist
  size-mismatch      a blob's size is not the one its record needs
  checksum-mismatch  (--deep) a plaintext blob's bytes differ from its ETag (MD5)
                     or its recorded checksums
  unreadable-blob    a blob could not be measured or read
  bad-blob-id        a record names something that is not a blob ID
  bad-record         records disagree (an object's size and its parts, ...)
  dangling-ref       a blob is referenced by a record no listing reaches
                     (a part whose upload is gone, a version whose bucket is gone)
  garbage-in-use     the garbage list names a blob a live record still uses
  orphan             a blob nothing refers to, older than an hour
  stale-temp         a temp file left by a gateway that is no longer registered
Unreferenced blobs younger than an hour are writes in flight, not findings.

Offline (the default): opens --data and its metadata itself, read-only: the
embedded metadata under <data>/meta, or the --postgres database. Embedded
metadata can be checked only while no server runs on the directory; a
PostgreSQL store may be checked while gateways serve it.
Online (--endpoint URL): the running server checks its own stores and sends
the report; it is signed with the root credentials, as 'tessera admin' is.

Nothing is changed unless --repair is given; it removes orphans, and only
orphans (a server also removes them, an hour after a crash left them).
--deep reads every referenced blob whole: plaintext blobs are verified
against their MD5 and checksums; encrypted blobs are read (every byte must be
readable) and their sizes checked, but they are not decrypted.

Exit status: 0 clean, 1 findings (after --repair: findings that remain),
2 the check could not be made.

Flags:
`

func runFsck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tessera fsck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", envOr("TESSERA_DATA", "./data"), "data directory to check (online: where the root credentials are read from when no key is given) [$TESSERA_DATA]")
	// Secrets come from the environment after parsing, so that --help
	// never prints them as defaults.
	dsn := fs.String("postgres", "", "PostgreSQL connection string of the metadata; empty: the embedded metadata under --data [$TESSERA_POSTGRES]")
	endpoint := fs.String("endpoint", "", "check through this running server (e.g. http://127.0.0.1:9000) instead of offline")
	accessKey := fs.String("access-key", envOr("TESSERA_ROOT_USER", ""), "online: root access key ID [$TESSERA_ROOT_USER] (default: read from <data>/credentials)")
	secretKey := fs.String("secret-key", "", "online: root secret access key [$TESSERA_ROOT_PASSWORD]")
	region := fs.String("region", envOr("TESSERA_REGION", "us-east-1"), "online: region to sign for [$TESSERA_REGION]")
	deep := fs.Bool("deep", false, "read every referenced blob and verify its checksums")
	repair := fs.Bool("repair", false, "remove orphan blobs (and nothing else)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	maxItems := fs.Int("max-items", 20, "items listed per finding class (counts are always complete)")
	fs.Usage = func() {
		fmt.Fprint(stderr, fsckUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if *dsn == "" {
		*dsn = os.Getenv("TESSERA_POSTGRES")
	}
	if *secretKey == "" {
		*secretKey = os.Getenv("TESSERA_ROOT_PASSWORD")
	}
	if fs.NArg() > 0 || *maxItems < 1 {
		fmt.Fprintf(stderr, "tessera fsck: unexpected arguments %q (or --max-items < 1)\n", fs.Args())
		fs.Usage()
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	opts := fsck.Options{Deep: *deep, Repair: *repair, MaxItems: *maxItems}
	var rep *fsck.Report
	var err error
	if *endpoint != "" {
		rep, err = fsckOnline(ctx, *endpoint, *dataDir, *accessKey, *secretKey, *region, opts)
	} else {
		rep, err = fsckOffline(ctx, *dataDir, *dsn, opts)
	}
	if err != nil {
		fmt.Fprintln(stderr, "tessera fsck:", err)
		return 2
	}
	if *asJSON {
		b, _ := json.MarshalIndent(rep, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
	} else if err := rep.WriteText(stdout); err != nil {
		fmt.Fprintln(stderr, "tessera fsck:", err)
		return 2
	}
	if rep.Problems() > 0 {
		return 1
	}
	return 0
}

// fsckOffline opens the stores read-only and checks them.
func fsckOffline(ctx context.Context, dataDir, dsn string, opts fsck.Options) (*fsck.Report, error) {
	blobs, err := blob.OpenReadOnly(dataDir)
	if err != nil {
		return nil, fmt.Errorf("%s is not a data directory: %w", dataDir, err)
	}
	var store meta.Store
	if dsn != "" {
		octx, cancel := context.WithTimeout(ctx, 30*time.Second)
		store, err = postgres.OpenReadOnly(octx, dsn)
		cancel()
	} else {
		store, err = pebblestore.OpenReadOnly(filepath.Join(dataDir, "meta"))
		if errors.Is(err, pebblestore.ErrLocked) {
			return nil, fmt.Errorf("a server is running on %s (its embedded metadata is locked): stop it, or check through it with --endpoint", dataDir)
		}
	}
	if err != nil {
		return nil, err
	}
	defer store.Close()
	if err := server.CheckStoreID(ctx, dataDir, store); err != nil {
		return nil, fmt.Errorf("%w; not checking, since every blob would look unreferenced", err)
	}
	return fsck.Check(ctx, store, blobs, opts)
}

// fsckOnline asks a running server to check its own stores.
func fsckOnline(ctx context.Context, endpoint, dataDir, accessKey, secretKey, region string, opts fsck.Options) (*fsck.Report, error) {
	if accessKey == "" {
		var err error
		if accessKey, secretKey, err = generatedRoot(dataDir); err != nil {
			return nil, err
		}
	}
	c := &admin.Client{Endpoint: endpoint, Region: region, Cred: sigv4.Credential{AccessKeyID: accessKey, SecretAccessKey: secretKey}}
	var rep fsck.Report
	in := admin.FsckRequest{Deep: opts.Deep, Repair: opts.Repair, MaxItems: opts.MaxItems}
	if err := c.Do(ctx, "POST", "fsck", in, &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}
