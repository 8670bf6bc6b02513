package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/tessera-s3/tessera/internal/transfer"
)

const clientUsage = `Usage:
  tessera cp [flags] SRC DST      copy a file or object: local → S3, S3 → local, S3 → S3
  tessera ls [flags] [s3://BUCKET[/PREFIX]]
                                  list buckets, or objects under a prefix
  tessera rm [flags] s3://BUCKET/KEY
                                  delete an object (--recursive: every object under a prefix)
  tessera mb [flags] s3://BUCKET  make a bucket

S3 locations are s3://bucket/key; a key that is empty or ends in / takes
the source's name. Any S3 works (AWS included): credentials, region and
endpoint come from the flags below, else the AWS_* environment variables
(AWS_PROFILE, AWS_ACCESS_KEY_ID, AWS_REGION, AWS_ENDPOINT_URL, ...), else
~/.aws/config and ~/.aws/credentials, as the aws cli finds them.

Resume: an upload, download or copy that is interrupted (Ctrl-C, kill -9,
a dropped connection) resumes when the same command runs again. Uploads
find their multipart upload through a state file under
$XDG_STATE_HOME/tessera (default ~/.local/state/tessera) and
ListMultipartUploads, read every page of ListParts, check each listed
part against the local file (size and CRC64NVME; the ETag when a part has
no checksum) and send only what is missing or wrong. Downloads fetch the
missing ranges into DST.tessera-part. Every transfer is verified end to
end with the object's full-object CRC64NVME. A local file that changed
since the interrupted run stops the command (exit 3): --no-resume aborts
the old upload and sends the file as it is now.

Exit status:
  0    done and verified
  1    the transfer failed (network, server, verification): rerun to resume
  2    usage: bad arguments or flags
  3    the source changed between runs or during the transfer
  4    access denied (credentials, bucket policy, local file permissions)
  5    no such bucket, object or local file
  6    the local disk is full
  130  interrupted (Ctrl-C or SIGTERM): rerun to resume

Flags:
`

// clientFlags are the flags of cp, ls, rm and mb.
type clientFlags struct {
	fs                         *flag.FlagSet
	profile, region, endpoint  string
	addressing                 string
	pathStyle                  bool
	parallel                   int
	partSize, maxRate          string
	noResume, quiet, recursive bool
	progressEvery              time.Duration
}

func newClientFlags(cmd string, stderr io.Writer) *clientFlags {
	f := &clientFlags{fs: flag.NewFlagSet("tessera "+cmd, flag.ContinueOnError)}
	fs := f.fs
	fs.SetOutput(stderr)
	fs.StringVar(&f.profile, "profile", "", "profile of ~/.aws/config and ~/.aws/credentials [$AWS_PROFILE]")
	fs.StringVar(&f.region, "region", "", "region to sign for [$AWS_REGION] (default: the profile's, else us-east-1)")
	fs.StringVar(&f.endpoint, "endpoint-url", "", "S3 endpoint, e.g. http://127.0.0.1:9000 [$AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL] (default: AWS)")
	fs.StringVar(&f.addressing, "addressing-style", envOr("TESSERA_ADDRESSING_STYLE", "auto"), "auto (path style for an IP or localhost endpoint, else virtual host), path or virtual [$TESSERA_ADDRESSING_STYLE]")
	fs.BoolVar(&f.pathStyle, "path-style", false, "path-style addressing (same as --addressing-style path)")
	fs.IntVar(&f.parallel, "parallel", 8, "parts (or ranges) in flight at once; each holds a part in memory")
	fs.StringVar(&f.partSize, "part-size", "", "part size, e.g. 16MiB (default: 8MiB, grown so the object fits in 10,000 parts)")
	fs.StringVar(&f.maxRate, "max-rate", "", "limit the average rate, e.g. 50MiB (per second; default: unlimited)")
	fs.BoolVar(&f.noResume, "no-resume", false, "start afresh: abort the interrupted upload this command left, forget its state")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress output")
	fs.DurationVar(&f.progressEvery, "progress-interval", 5*time.Second, "how often to print progress when stderr is not a terminal")
	fs.BoolVar(&f.recursive, "recursive", false, "ls: every object under the prefix; rm: delete every object under the prefix")
	fs.Usage = func() {
		fmt.Fprint(stderr, clientUsage)
		fs.PrintDefaults()
	}
	return f
}

// parse reads flags wherever they stand among the arguments (cp SRC DST
// --no-resume works as the aws cli's does) and returns the positionals.
func (f *clientFlags) parse(args []string) ([]string, error) {
	var pos []string
	for {
		if err := f.fs.Parse(args); err != nil {
			return nil, err
		}
		rest := f.fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

func runClient(cmd string, args []string, stdout, stderr io.Writer) int {
	f := newClientFlags(cmd, stderr)
	pos, err := f.parse(args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return transfer.ExitOK
		}
		return transfer.ExitUsage
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "tessera %s: "+format+"\n(see 'tessera %s --help')\n", append([]any{cmd}, append(a, cmd)...)...)
		return transfer.ExitUsage
	}
	partSize, err := parseBytes(f.partSize)
	if err != nil {
		return usageErr("--part-size: %v", err)
	}
	if partSize != 0 && (partSize < transfer.MinPartSize || partSize > transfer.MaxPartSize) {
		return usageErr("--part-size %s is outside S3's limits of 5MiB..5GiB", f.partSize)
	}
	maxRate, err := parseBytes(f.maxRate)
	if err != nil {
		return usageErr("--max-rate: %v", err)
	}
	if f.parallel < 1 {
		return usageErr("--parallel must be at least 1")
	}
	if f.pathStyle {
		f.addressing = transfer.AddressingPath
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	c, err := transfer.NewS3(ctx, transfer.ClientConfig{Profile: f.profile, Region: f.region, EndpointURL: f.endpoint,
		Addressing: f.addressing, Connections: f.parallel})
	if err != nil {
		return usageErr("%v", err)
	}
	stateDir, err := transfer.StateDir()
	if err != nil {
		return usageErr("%v", err)
	}
	t := &transfer.Transfer{S3: c, Opt: transfer.Options{
		Parallel: f.parallel, PartSize: partSize, NoResume: f.noResume, MaxRate: maxRate,
		States: transfer.States{Dir: stateDir}, Notify: stderr, Endpoint: f.endpoint,
		Progress: func(label string, total int64) transfer.Progress {
			return transfer.NewProgress(stderr, label, total, f.quiet, f.progressEvery)
		},
	}}
	switch cmd {
	case "cp":
		if len(pos) != 2 {
			return usageErr("want SRC and DST, got %d arguments", len(pos))
		}
		err = runCp(ctx, t, pos[0], pos[1], stdout, f.quiet)
	case "ls":
		if len(pos) > 1 {
			return usageErr("want at most one s3:// location")
		}
		err = runLs(ctx, t, pos, f.recursive, stdout)
	case "rm":
		if len(pos) != 1 {
			return usageErr("want one s3://bucket/key")
		}
		err = runRm(ctx, t, pos[0], f.recursive, stdout)
	case "mb":
		if len(pos) != 1 {
			return usageErr("want one s3://bucket")
		}
		err = runMb(ctx, t, pos[0], stdout)
	}
	var ue usageError
	switch {
	case err == nil:
		return transfer.ExitOK
	case errors.As(err, &ue):
		return usageErr("%v", err)
	case ctx.Err() != nil:
		fmt.Fprintf(stderr, "tessera %s: interrupted: run the same command again to resume\n", cmd)
		return 130
	}
	fmt.Fprintf(stderr, "tessera %s: %s\n", cmd, transfer.Explain(err))
	return transfer.ExitCode(err)
}

// usageError is a mistake in the arguments found after parsing them.
type usageError string

func (e usageError) Error() string { return string(e) }

func runCp(ctx context.Context, t *transfer.Transfer, srcArg, dstArg string, stdout io.Writer, quiet bool) error {
	src, err := transfer.ParseLocation(srcArg)
	if err != nil {
		return usageError(err.Error())
	}
	dst, err := transfer.ParseLocation(dstArg)
	if err != nil {
		return usageError(err.Error())
	}
	var res *transfer.Result
	start := time.Now()
	switch {
	case !src.IsS3() && dst.IsS3():
		res, err = t.Upload(ctx, src.Path, dst)
	case src.IsS3() && !dst.IsS3():
		if src.Key == "" || strings.HasSuffix(src.Key, "/") {
			return usageError(fmt.Sprintf("%s names no object", src))
		}
		res, err = t.Download(ctx, src, dst.Path)
	case src.IsS3() && dst.IsS3():
		if src.Key == "" || strings.HasSuffix(src.Key, "/") {
			return usageError(fmt.Sprintf("%s names no object", src))
		}
		res, err = t.Copy(ctx, src, dst)
	default:
		return usageError("one of SRC and DST must be an s3:// location (use cp(1) for local copies)")
	}
	if err != nil {
		return err
	}
	if !quiet {
		el := time.Since(start)
		verified := "size verified (the object has no full-object checksum)"
		if res.Checksum != "" {
			verified = "CRC64NVME " + res.Checksum + " verified"
		}
		fmt.Fprintf(stdout, "copied %s → %s: %d bytes in %s (%.1f MiB/s), %d parts (%d sent, %d resumed), %s\n",
			srcArg, dstArg, res.Bytes, el.Round(time.Millisecond), float64(res.Bytes)/(1<<20)/max(el.Seconds(), 1e-3),
			res.Parts, res.Sent, res.Reused, verified)
	}
	return nil
}

func runLs(ctx context.Context, t *transfer.Transfer, pos []string, recursive bool, stdout io.Writer) error {
	tw := tabwriter.NewWriter(stdout, 0, 0, 1, ' ', tabwriter.AlignRight)
	defer tw.Flush()
	if len(pos) == 0 {
		return t.Buckets(ctx, func(e transfer.Entry) error {
			_, err := fmt.Fprintf(stdout, "%s %s\n", e.Modified.UTC().Format("2006-01-02 15:04:05"), e.Key)
			return err
		})
	}
	l, err := transfer.ParseLocation(pos[0])
	if err != nil || !l.IsS3() {
		return usageError(fmt.Sprintf("%q: want s3://bucket[/prefix]", pos[0]))
	}
	return t.Objects(ctx, l, recursive, func(e transfer.Entry) error {
		if e.Prefix {
			_, err := fmt.Fprintf(tw, "%s\t%s\t%s\t\n", "", "PRE", e.Key)
			return err
		}
		_, err := fmt.Fprintf(tw, "%s\t%d\t%s\t\n", e.Modified.UTC().Format("2006-01-02 15:04:05"), e.Size, e.Key)
		return err
	})
}

func runRm(ctx context.Context, t *transfer.Transfer, arg string, recursive bool, stdout io.Writer) error {
	l, err := transfer.ParseLocation(arg)
	if err != nil || !l.IsS3() {
		return usageError(fmt.Sprintf("%q: want s3://bucket/key", arg))
	}
	if !recursive {
		if l.Key == "" {
			return usageError(fmt.Sprintf("%s names no object (add --recursive to delete every object in the bucket)", arg))
		}
		if err := t.Remove(ctx, l); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "delete: %s\n", l)
		return nil
	}
	_, err = t.RemovePrefix(ctx, l, func(key string) { fmt.Fprintf(stdout, "delete: s3://%s/%s\n", l.Bucket, key) })
	return err
}

func runMb(ctx context.Context, t *transfer.Transfer, arg string, stdout io.Writer) error {
	l, err := transfer.ParseLocation(arg)
	if err != nil || !l.IsS3() || strings.Trim(l.Key, "/") != "" {
		return usageError(fmt.Sprintf("%q: want s3://bucket", arg))
	}
	if err := t.MakeBucket(ctx, l.Bucket); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "make_bucket: %s\n", l.Bucket)
	return nil
}

// parseBytes reads "" (0), a byte count, or one with a unit: K/KB/KiB,
// M/MB/MiB, G/GB/GiB (all binary: part sizes are counted in MiB).
func parseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	num := strings.TrimRightFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	unit := strings.ToUpper(strings.TrimSpace(s[len(num):]))
	mult := map[string]int64{"": 1, "B": 1, "K": 1 << 10, "KB": 1 << 10, "KIB": 1 << 10,
		"M": 1 << 20, "MB": 1 << 20, "MIB": 1 << 20, "G": 1 << 30, "GB": 1 << 30, "GIB": 1 << 30}[unit]
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || mult == 0 || n < 0 {
		return 0, fmt.Errorf("%q is not a size like 16MiB", s)
	}
	return n * mult, nil
}
