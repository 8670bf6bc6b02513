package conformance

import (
	"bytes"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tessera-s3/tessera/internal/config"
	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// S3's SlowDown as logged raw in pingcap/tiflash#10538: 503, code SlowDown,
// "Please reduce your request rate.", connection: close, no Retry-After.
const slowDownMessage = "Please reduce your request rate."

// onStatus calls f once, on the first response with the status; the SDK
// retries through it.
type onStatus struct {
	base   http.RoundTripper
	status int
	once   sync.Once
	f      func()
}

func (o *onStatus) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := o.base.RoundTrip(r)
	if err == nil && resp.StatusCode == o.status {
		o.once.Do(o.f)
	}
	return resp, err
}

func TestOverloadMaxRequests(t *testing.T) {
	srv := ovlServer(t, tesseratest.WithLimits(config.Limits{MaxRequests: 1}))
	c := srv.S3()
	b := newBucket(t, c)
	held := holdUpload(t, srv, b, "held", 1000, 10) // the one request the server serves

	// Beyond the limit: SlowDown at once, the connection closed, no Retry-After.
	resp, body := srv.Do(t, http.MethodGet, "/"+b+"?list-type=2", nil, nil, "")
	e := wantRawErr(t, resp, body, "SlowDown", http.StatusServiceUnavailable)
	if e.Message != slowDownMessage || e.RequestID == "" {
		t.Errorf("SlowDown message %q request id %q", e.Message, e.RequestID)
	}
	if !resp.Close || resp.Header.Get("Retry-After") != "" {
		t.Errorf("SlowDown: Connection close = %v, Retry-After %q; want close and none (as S3)", resp.Close, resp.Header.Get("Retry-After"))
	}
	_, err := c.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String(b)})
	wantErr(t, err, "SlowDown", http.StatusServiceUnavailable)

	// Health, metrics and admin are not S3 work: never refused.
	for _, p := range []string{"/_tessera/health/live", "/_tessera/health/ready", "/_tessera/metrics"} {
		r, err := srv.HTTPClient().Get(srv.URL + p)
		if err != nil || r.StatusCode != http.StatusOK {
			t.Errorf("GET %s while saturated: %v %v", p, r, err)
		}
		if r != nil {
			r.Body.Close()
		}
	}
	if v := metricValue(t, srv, "tessera_s3_throttled_total", `reason="requests"`); v < 2 {
		t.Errorf(`tessera_s3_throttled_total{reason="requests"} = %v, want >= 2`, v)
	}
	if v := metricValue(t, srv, "tessera_s3_throttled_total", `reason="upload_bytes"`); v != 0 {
		t.Errorf(`tessera_s3_throttled_total{reason="upload_bytes"} = %v, want 0`, v)
	}

	// aws-sdk-go-v2's standard retryer treats SlowDown as throttling and
	// retries it with backoff: when the held request ends after the first
	// refusal, a retry gets through.
	release := func() {
		held.send(randBytes(990, 2))
		r, body := held.response(10 * time.Second)
		wantStatus(t, r, body, http.StatusOK)
	}
	hc := &http.Client{Transport: &onStatus{base: srv.HTTPClient().Transport, status: http.StatusServiceUnavailable, f: release}}
	retrying := srv.S3(func(o *s3.Options) { o.HTTPClient = hc; o.RetryMaxAttempts = 5 })
	out, err := retrying.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("retried"), Body: bytes.NewReader([]byte("after backoff"))})
	if err != nil {
		t.Fatalf("PutObject with retries: %v", err)
	}
	if ar, _ := retry.GetAttemptResults(out.ResultMetadata); len(ar.Results) < 2 {
		n := len(ar.Results)
		t.Errorf("PutObject took %d attempts, want a SlowDown and a retry", n)
	}
	wantBody(t, c, b, "retried", []byte("after backoff"))
	wantBody(t, c, b, "held", append(randBytes(10, 1)[:10], randBytes(990, 2)...))
}

func TestOverloadMaxUploadBytes(t *testing.T) {
	srv := ovlServer(t, tesseratest.WithLimits(config.Limits{MaxUploadBytes: 1000}))
	c := srv.S3()
	b := newBucket(t, c)
	held := holdUpload(t, srv, b, "held", 800, 1)

	// 800 + 300 > 1000: refused before a byte of its body is sent.
	over := dialRaw(t, srv, 0)
	over.start(http.MethodPut, objectPath(b, "over"), 300, nil)
	resp, body := over.response(5 * time.Second)
	if e := wantRawErr(t, resp, body, "SlowDown", http.StatusServiceUnavailable); e.Message != slowDownMessage {
		t.Errorf("message %q", e.Message)
	}
	// 800 + 200 fits; reads and bodiless requests are not upload bytes.
	put(t, c, b, "fits", bytes.Repeat([]byte("f"), 200))
	wantBody(t, c, b, "fits", bytes.Repeat([]byte("f"), 200))
	if v := metricValue(t, srv, "tessera_s3_throttled_total", `reason="upload_bytes"`); v != 1 {
		t.Errorf(`tessera_s3_throttled_total{reason="upload_bytes"} = %v, want 1`, v)
	}

	held.send(randBytes(799, 3))
	r, body := held.response(10 * time.Second)
	wantStatus(t, r, body, http.StatusOK)
	wantAbsent(t, c, b, "over")
	// A body larger than the whole budget is not refused forever: it
	// takes all of it and runs alone.
	big := randBytes(5000, 4)
	put(t, c, b, "big", big)
	wantBody(t, c, b, "big", big)
}

func TestBodyIdleTimeout(t *testing.T) {
	const idle = 400 * time.Millisecond
	srv := ovlServer(t, tesseratest.WithLimits(config.Limits{ReadIdleTimeout: idle}))
	c := srv.S3()
	b := newBucket(t, c)

	// Headers and part of the body, then silence: RequestTimeout, nothing
	// stored. Text: S3's (ember-cli-deploy-s3#108 and MaayanLab/archs4#33
	// quote it; S3 appends "Idle connections will be closed.").
	stalled := stallUpload(t, srv, b, "stalled", 1000, 100)
	start := time.Now()
	resp, body := stalled.response(10 * time.Second)
	e := wantRawErr(t, resp, body, "RequestTimeout", http.StatusBadRequest)
	if !strings.HasPrefix(e.Message, "Your socket connection to the server was not read from or written to within the timeout period.") {
		t.Errorf("message %q", e.Message)
	}
	if waited := time.Since(start); waited < idle {
		t.Errorf("answered after %v, before the idle timeout %v", waited, idle)
	}
	wantAbsent(t, c, b, "stalled")

	// Slow but moving: the timeout is per idle gap, not for the whole body.
	slow := dialRaw(t, srv, 0)
	data := randBytes(1000, 5)
	slow.start(http.MethodPut, objectPath(b, "slow"), int64(len(data)), nil)
	for i := 0; i < len(data); i += 100 {
		slow.send(data[i : i+100])
		time.Sleep(idle / 4) // 10 × 100 ms: longer in total than the timeout
	}
	resp, body = slow.response(10 * time.Second)
	wantStatus(t, resp, body, http.StatusOK)
	wantBody(t, c, b, "slow", data)
}

func TestWriteIdleTimeout(t *testing.T) {
	srv := ovlServer(t, tesseratest.WithLimits(config.Limits{WriteIdleTimeout: 300 * time.Millisecond}))
	c := srv.S3()
	b := newBucket(t, c)
	const size = 24 << 20 // far more than the socket buffers hold
	put(t, c, b, "big", randBytes(size, 6))

	// A client that asks and then reads nothing loses its connection.
	conn := dialRaw(t, srv, 4096)
	conn.start(http.MethodGet, objectPath(b, "big"), 0, nil)
	time.Sleep(2 * time.Second)
	conn.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	n, err := conn.drain()
	if n >= size {
		t.Errorf("a client that stopped reading still got all %d bytes (err %v)", n, err)
	}
	if isTimeout(err) {
		t.Errorf("connection still open after the write idle timeout: %v after %d bytes", err, n)
	}
	// The server is fine and serves the object to a reader.
	wantBody(t, c, b, "big", randBytes(size, 6))

	// The deadline ends with the answer: a kept-alive connection idle for
	// longer than it still serves the next request, S3 or not.
	keep := dialRaw(t, srv, 0)
	for _, p := range []string{"/" + b + "?list-type=2", "/_tessera/health/live", "/" + b + "?list-type=2"} {
		keep.start(http.MethodGet, p, 0, nil)
		resp, body := keep.response(5 * time.Second)
		wantStatus(t, resp, body, http.StatusOK)
		time.Sleep(time.Second)
	}
}

func TestHeaderSectionTooLarge(t *testing.T) {
	srv := ovlServer(t)
	c := srv.S3()
	b := newBucket(t, c)
	tests := []struct {
		name   string
		header int // bytes of one extra header's value
		status int
		code   string
	}{
		{"well under 8 KiB", 4000, http.StatusOK, ""},
		// versitygw#2180 quotes S3: 400 RequestHeaderSectionTooLarge,
		// "Your request header section exceeds the maximum allowed size.",
		// <MaxSizeAllowed>8192.
		{"over 8 KiB", 8200, http.StatusBadRequest, "RequestHeaderSectionTooLarge"},
		{"60 KiB", 60 << 10, http.StatusBadRequest, "RequestHeaderSectionTooLarge"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hdr := http.Header{"X-Padding": {strings.Repeat("p", tc.header)}}
			resp, body := srv.Do(t, http.MethodGet, "/"+b+"?list-type=2", nil, hdr, "")
			if tc.code == "" {
				wantStatus(t, resp, body, tc.status)
				return
			}
			wantRawErr(t, resp, body, tc.code, tc.status)
			if !bytes.Contains(body, []byte("<Message>Your request header section exceeds the maximum allowed size.</Message><MaxSizeAllowed>8192</MaxSizeAllowed>")) {
				t.Errorf("body %s", body)
			}
		})
	}
	// Past what the HTTP parser buffers at all (64 KiB), net/http answers
	// 431 itself before any handler: a bound on memory, not an S3 answer.
	hdr := http.Header{"X-Padding": {strings.Repeat("p", 200<<10)}}
	r := newRaw(t, srv, http.MethodGet, "/"+b, nil)
	r.Header = hdr
	resp, body := do(t, srv, r)
	wantStatus(t, resp, body, http.StatusRequestHeaderFieldsTooLarge)
	if _, err := c.HeadBucket(ctx(), &s3.HeadBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Errorf("server unwell after oversized headers: %v", err)
	}
}
