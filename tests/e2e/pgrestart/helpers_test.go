package pgrestart

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// failFast bounds how long a request may take to be refused while the
// database is away: a refused connection, not a hang.
const failFast = 5 * time.Second

// answer is what one request got: its HTTP status (0 for no response)
// and S3 error code.
type answer struct {
	status int
	code   string
	err    error
}

func answerOf(err error) answer {
	if err == nil {
		return answer{status: http.StatusOK}
	}
	a := answer{err: err}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		a.status = re.HTTPStatusCode()
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		a.code = ae.ErrorCode()
	}
	return a
}

// unavailable is the answer a request needing the database gets while it
// is away: 503 ServiceUnavailable, which SDKs retry. A PUT refused before
// its body was read may lose the error body: the server answers at once
// and closes the connection while the client is still sending (as S3
// does), so the SDK sees the 503 but cannot read its XML. That is still
// the 503, and SDKs retry it the same.
func (a answer) unavailable() bool {
	if a.status != http.StatusServiceUnavailable {
		return false
	}
	var de *smithy.DeserializationError
	return a.code == "ServiceUnavailable" || a.code == "" && errors.As(a.err, &de)
}

// workload PUTs new objects and GETs acknowledged ones from several
// goroutines with a client that does not retry, so that it sees every
// raw answer, and keeps what the server acknowledged.
type workload struct {
	t      *testing.T
	c      *s3.Client
	bucket string
	seq    atomic.Int64

	mu      sync.Mutex
	acked   map[string][]byte // PUT answered 200: must read back exactly
	unknown map[string][]byte // PUT answered 503: committed whole or not at all
	counts  map[string]int    // "PUT 200", "GET 503 ServiceUnavailable", ...
	bad     []string          // answers no phase allows
	slowest time.Duration     // of the 503 answers
}

func newWorkload(t *testing.T, c *s3.Client, bucket string) *workload {
	return &workload{t: t, c: c, bucket: bucket,
		acked: map[string][]byte{}, unknown: map[string][]byte{}, counts: map[string]int{}}
}

// run runs n workers until ctx ends and waits for them.
func (w *workload) run(ctx context.Context, n int) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
			for ctx.Err() == nil {
				w.put(rng)
				w.get(rng)
				time.Sleep(time.Duration(rng.IntN(10)) * time.Millisecond)
			}
		}()
	}
	wg.Wait()
}

func (w *workload) put(rng *rand.Rand) {
	key := fmt.Sprintf("obj-%06d", w.seq.Add(1))
	body := make([]byte, 1+rng.IntN(64<<10))
	for i := range body {
		body[i] = byte(rng.Uint32())
	}
	// The request's own context never ends: a hang must show as one.
	start := time.Now()
	_, err := w.c.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(w.bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	a := answerOf(err)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.count("PUT", a, time.Since(start))
	switch {
	case a.status == http.StatusOK:
		w.acked[key] = body
	case a.unavailable():
		// Its commit may have been in flight when the database went.
		w.unknown[key] = body
	default:
		w.bad = append(w.bad, fmt.Sprintf("PUT %s: %v", key, a.err))
	}
}

func (w *workload) get(rng *rand.Rand) {
	w.mu.Lock()
	var key string
	var want []byte
	for k, v := range w.acked { // map order is random enough
		key, want = k, v
		break
	}
	w.mu.Unlock()
	if key == "" {
		return
	}
	start := time.Now()
	got, err := getBody(context.Background(), w.c, w.bucket, key)
	a := answerOf(err)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.count("GET", a, time.Since(start))
	switch {
	case a.status == http.StatusOK && !bytes.Equal(got, want):
		w.bad = append(w.bad, fmt.Sprintf("GET %s: %d bytes, want the %d acknowledged", key, len(got), len(want)))
	case a.status == http.StatusOK || a.unavailable():
	default:
		w.bad = append(w.bad, fmt.Sprintf("GET %s: %v", key, a.err))
	}
}

// count tallies an answer; w.mu is held.
func (w *workload) count(op string, a answer, took time.Duration) {
	name := fmt.Sprintf("%s %d", op, a.status)
	if a.code != "" {
		name += " " + a.code
	}
	w.counts[name]++
	if a.status == http.StatusServiceUnavailable {
		w.slowest = max(w.slowest, took)
	}
}

// snapshot returns the tallies so far, in a stable order.
func (w *workload) snapshot() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var names []string
	for n := range w.counts {
		names = append(names, fmt.Sprintf("%s: %d", n, w.counts[n]))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// tally returns the count of one kind of answer, e.g. "PUT 200".
func (w *workload) tally(name string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.counts[name]
}

func getBody(ctx context.Context, c *s3.Client, bucket, key string) ([]byte, error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

// probe GETs a health path and returns its status (0: no answer).
func probe(url string) int {
	c := &http.Client{Timeout: failFast}
	resp, err := c.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// metric returns the value of a series of the gateway's metrics whose
// name is name (its labels ignored), or -1 if it has none.
func metric(t *testing.T, base, name string) float64 {
	t.Helper()
	samples, err := tesseratest.Scrape(t.Context(), http.DefaultClient, base)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := samples.Get(name, nil); ok {
		return v
	}
	return -1
}

// eventually polls cond every 50ms until it holds or within passes, and
// returns how long it took; it fails the test with what if it never does.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > within {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start)
}

// createAccessPoint creates root's access point name on bucket through
// S3 Control's REST form (path and x-amz-account-id, as the SDKs send it).
func createAccessPoint(t *testing.T, srv *tesseratest.Server, name, bucket string) {
	t.Helper()
	body := []byte(`<CreateAccessPointRequest xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><Bucket>` + bucket + `</Bucket></CreateAccessPointRequest>`)
	resp, b := srv.Do(t, http.MethodPut, "/v20180820/accesspoint/"+name, body, controlHeader(), "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("CreateAccessPoint %s: %d %s", name, resp.StatusCode, b)
	}
}

// getAccessPoint asks S3 Control for root's access point and returns the
// status and, for an error, the code in its ErrorResponse envelope.
func getAccessPoint(t *testing.T, srv *tesseratest.Server, name string) (int, string) {
	t.Helper()
	resp, b := srv.Do(t, http.MethodGet, "/v20180820/accesspoint/"+name, nil, controlHeader(), "")
	var e struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		Code    string   `xml:"Error>Code"`
	}
	if resp.StatusCode != http.StatusOK {
		if err := xml.Unmarshal(b, &e); err != nil {
			t.Errorf("GetAccessPoint %s: %d with a body that is no ErrorResponse: %v: %s", name, resp.StatusCode, err, b)
		}
	}
	return resp.StatusCode, e.Code
}

func controlHeader() http.Header {
	return http.Header{"X-Amz-Account-Id": {tesseratest.RootAccountID}}
}
