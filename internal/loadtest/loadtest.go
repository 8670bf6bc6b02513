// Package loadtest drives an S3 endpoint with concurrent clients mixing
// PUT, GET, LIST, multipart uploads and DELETE, checks every byte it reads
// back against what it wrote, and counts each outcome. The conformance
// suite runs it briefly against a test server; cmd/tessera-load runs it
// for longer against a server process and reports its peak memory.
package loadtest

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// Config says whom to load and how hard.
type Config struct {
	Endpoint, Region, AccessKey, SecretKey string
	// HTTPClient carries the requests (nil: a fresh transport).
	HTTPClient *http.Client
	Clients    int
	Duration   time.Duration
	// PartSize is the size of multipart parts (the server's minimum part size).
	PartSize int64
	// MaxObject bounds single PUTs.
	MaxObject int64
	// MaxAttempts is the SDK's attempts per operation (SlowDown is retried).
	MaxAttempts int
}

// Report is what a run saw.
type Report struct {
	Duration time.Duration
	// Ops counts completed operations by kind; Bytes written and read.
	Ops                     map[string]int64
	BytesWritten, BytesRead int64
	// Failures counts operations that failed by class: "slowdown" (still
	// SlowDown after every retry), "5xx" (any other server error), "4xx",
	// "network", "data" (bytes or listing not what was written).
	Failures map[string]int64
	// Responses counts HTTP responses by status, retried ones included.
	Responses map[int]int64
	// SlowDowns counts 503 SlowDown responses, retried ones included.
	SlowDowns int64
	// Errors describes the first failures of every class but slowdown.
	Errors []string
}

// Ok reports whether the run met the bar: no server error but SlowDown,
// no client error, no network failure, no wrong byte.
func (r Report) Ok() error {
	var bad []string
	for _, class := range []string{"5xx", "4xx", "network", "data"} {
		if n := r.Failures[class]; n > 0 {
			bad = append(bad, fmt.Sprintf("%d %s", n, class))
		}
	}
	for status, n := range r.Responses {
		if status >= 500 && status != http.StatusServiceUnavailable {
			bad = append(bad, fmt.Sprintf("%d responses %d", n, status))
		}
	}
	if r.Responses[http.StatusServiceUnavailable] != r.SlowDowns {
		bad = append(bad, fmt.Sprintf("%d 503 responses, %d of them SlowDown", r.Responses[http.StatusServiceUnavailable], r.SlowDowns))
	}
	if len(bad) > 0 {
		return fmt.Errorf("loadtest: %s (first errors: %q)", strings.Join(bad, ", "), r.Errors)
	}
	return nil
}

// String is the report for people.
func (r Report) String() string {
	var b strings.Builder
	var ops int64
	kinds := make([]string, 0, len(r.Ops))
	for k, n := range r.Ops {
		ops += n
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	secs := r.Duration.Seconds()
	fmt.Fprintf(&b, "%d operations in %.1fs: %.0f ops/s, %.1f MiB/s written, %.1f MiB/s read\n",
		ops, secs, float64(ops)/secs, float64(r.BytesWritten)/secs/(1<<20), float64(r.BytesRead)/secs/(1<<20))
	for _, k := range kinds {
		fmt.Fprintf(&b, "  %-10s %d\n", k, r.Ops[k])
	}
	fmt.Fprintf(&b, "failed operations: slowdown %d, 5xx %d, 4xx %d, network %d, data %d\n",
		r.Failures["slowdown"], r.Failures["5xx"], r.Failures["4xx"], r.Failures["network"], r.Failures["data"])
	statuses := make([]int, 0, len(r.Responses))
	for s := range r.Responses {
		statuses = append(statuses, s)
	}
	sort.Ints(statuses)
	fmt.Fprintf(&b, "HTTP responses (retries included):")
	for _, s := range statuses {
		fmt.Fprintf(&b, " %d×%d", s, r.Responses[s])
	}
	fmt.Fprintf(&b, "; SlowDown %d\n", r.SlowDowns)
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "  error: %s\n", e)
	}
	return b.String()
}

// counter tallies the outcomes; workers share it.
type counter struct {
	mu        sync.Mutex
	ops       map[string]int64
	failures  map[string]int64
	responses map[int]int64
	errs      []string
	written   atomic.Int64
	read      atomic.Int64
	slowDowns atomic.Int64
}

func (c *counter) op(kind string) {
	c.mu.Lock()
	c.ops[kind]++
	c.mu.Unlock()
}

func (c *counter) fail(class, detail string) {
	c.mu.Lock()
	c.failures[class]++
	if class != "slowdown" && len(c.errs) < 10 {
		c.errs = append(c.errs, class+": "+detail)
	}
	c.mu.Unlock()
}

// statusTransport counts every response, retries included; SlowDown is
// told from other 503s by its code, which S3 also puts in the body only,
// so the body is read and put back.
type statusTransport struct {
	base http.RoundTripper
	c    *counter
}

func (s *statusTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.base.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	s.c.mu.Lock()
	s.c.responses[resp.StatusCode]++
	s.c.mu.Unlock()
	if resp.StatusCode == http.StatusServiceUnavailable {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if strings.Contains(string(body), "<Code>SlowDown</Code>") {
			s.c.slowDowns.Add(1)
		}
		resp.Body = io.NopCloser(strings.NewReader(string(body)))
	}
	return resp, nil
}

// Run loads the endpoint for cfg.Duration (or until ctx ends) in a bucket
// of its own, which it leaves behind.
func Run(ctx context.Context, cfg Config) (Report, error) {
	c := &counter{ops: map[string]int64{}, failures: map[string]int64{}, responses: map[int]int64{}}
	base := http.DefaultTransport
	if cfg.HTTPClient != nil && cfg.HTTPClient.Transport != nil {
		base = cfg.HTTPClient.Transport
	} else if t, ok := http.DefaultTransport.(*http.Transport); ok {
		t = t.Clone()
		t.MaxIdleConnsPerHost = cfg.Clients
		base = t
	}
	client := s3.New(s3.Options{
		Region:       cfg.Region,
		BaseEndpoint: aws.String(cfg.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, ""),
		HTTPClient:   &http.Client{Transport: &statusTransport{base: base, c: c}},
		// The standard retryer, as applications use it, without its retry
		// quota: 64 clients meeting SlowDown on purpose would drain it.
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = cfg.MaxAttempts
			o.RateLimiter = ratelimit.None
			o.MaxBackoff = 2 * time.Second
		}),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	})
	var id [4]byte
	crand.Read(id[:])
	bucket := "load-" + hex.EncodeToString(id[:])
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return Report{}, fmt.Errorf("loadtest: create bucket: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < cfg.Clients; i++ {
		w := &worker{cfg: cfg, s3: client, c: c, bucket: bucket, prefix: fmt.Sprintf("c%02d/", i),
			rnd: rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano()))), known: map[string]*state{}}
		wg.Add(1)
		go func() { defer wg.Done(); w.run(ctx) }()
	}
	wg.Wait()
	return Report{
		Duration: time.Since(start), Ops: c.ops, Failures: c.failures, Responses: c.responses,
		BytesWritten: c.written.Load(), BytesRead: c.read.Load(), SlowDowns: c.slowDowns.Load(), Errors: c.errs,
	}, nil
}

// classify names the class of a failed operation.
func classify(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "SlowDown" {
		return "slowdown"
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		if re.HTTPStatusCode() >= 500 {
			return "5xx"
		}
		return "4xx"
	}
	return "network"
}

// isNotFound reports a 404.
func isNotFound(err error) bool {
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound
}
