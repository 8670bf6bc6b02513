package server

import (
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tessera-s3/tessera/internal/config"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// Why a request was refused, as the throttled metric's reason label.
const (
	reasonRequests    = "requests"
	reasonUploadBytes = "upload_bytes"
)

// admission bounds the S3 work in flight: the number of requests, and the
// request-body bytes being received. A request is admitted or refused as
// it starts — before its body is read — so a refusal costs the server
// nothing but the answer.
//
// Upload bytes are reserved at the start by the length a request declares
// (Content-Length), not counted as they arrive: a refusal must come before
// the body, and what the reservation bounds — temporary disk, bandwidth
// promised to uploads in progress — is committed by the declaration. A
// body larger than the whole budget reserves all of it, so it runs alone
// among uploads instead of never running. A body of unknown length
// (chunked transfer encoding) reserves nothing: S3 requires a length for
// every upload (MissingContentLength), so such bodies are the small XML
// documents whose size the handlers cap.
type admission struct {
	maxRequests, maxBytes int64
	requests, bytes       atomic.Int64
}

func newAdmission(l config.Limits) *admission {
	return &admission{maxRequests: int64(l.MaxRequests), maxBytes: l.MaxUploadBytes}
}

// admit reserves room for a request declaring a body of size bytes (<= 0:
// none). It returns a release function, or the reason for refusing.
func (a *admission) admit(size int64) (release func(), reason string) {
	if a.requests.Add(1) > a.maxRequests {
		a.requests.Add(-1)
		return nil, reasonRequests
	}
	size = min(max(size, 0), a.maxBytes)
	if size > 0 && a.bytes.Add(size) > a.maxBytes {
		a.bytes.Add(-size)
		a.requests.Add(-1)
		return nil, reasonUploadBytes
	}
	return func() {
		a.bytes.Add(-size)
		a.requests.Add(-1)
	}, ""
}

// registerAdmission exposes how much of each limit is taken, so that an
// operator sees how close the server runs to --max-requests and
// --max-upload-bytes (and a test can tell a request has been admitted).
func (m *metrics) registerAdmission(a *admission) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tessera_s3_admitted_requests", Help: "S3 requests admitted and not yet finished (limit: --max-requests)."},
			func() float64 { return float64(a.requests.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tessera_s3_admitted_upload_bytes", Help: "Request body bytes reserved by admitted uploads (limit: --max-upload-bytes)."},
			func() float64 { return float64(a.bytes.Load()) }))
}

// headerSize is the size of a request's header section as sent: each
// field as "Name: value\r\n", Host included (net/http moves it out of
// Header).
func headerSize(r *http.Request) int {
	n := len("Host: \r\n") + len(r.Host)
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + len(": \r\n")
		}
	}
	return n
}

// parserHeaderLimit is http.Server.MaxHeaderBytes: net/http refuses a
// header block beyond it with a bare 431 before any handler runs. It sits
// well above the S3 limit so that S3's own answer
// (RequestHeaderSectionTooLarge) is what clients normally see, while a
// connection still cannot make the server buffer headers without bound.
func parserHeaderLimit(l config.Limits) int { return max(8*l.MaxHeaderBytes, 64<<10) }

// tooLarge is S3's answer to a header section over the limit (versitygw
// #2180 quotes it, with <MaxSizeAllowed>8192).
func tooLarge(limit int) *s3err.Error {
	return s3err.New(s3err.RequestHeaderSectionTooLarge).With("MaxSizeAllowed", strconv.Itoa(limit))
}

// slowDown is S3's answer to too much load. S3 sends no Retry-After and
// closes the connection (the raw 503 logged in pingcap/tiflash#10538 has
// "connection: close" and no Retry-After); SDKs back off on their own.
// Closing also spares the server reading a body it refused.
func slowDown() *s3err.Error {
	return s3err.New(s3err.SlowDown).WithHeader("Connection", "close")
}

// idleBody ends a request whose client stops sending its body: before
// each read the connection's read deadline moves to now+idle, so a slow
// upload that keeps moving goes on however long it takes, and one that
// stalls for idle fails with RequestTimeout (the handlers store nothing
// from a body that fails).
type idleBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	idle time.Duration
	// expired records that the deadline passed, for the access log.
	expired bool
}

func (b *idleBody) Read(p []byte) (int, error) {
	b.rc.SetReadDeadline(time.Now().Add(b.idle)) // ErrNotSupported: no deadline, nothing else to do
	n, err := b.ReadCloser.Read(p)
	switch {
	case err == nil:
	case errors.Is(err, os.ErrDeadlineExceeded):
		b.expired = true
		return n, s3err.New(s3err.RequestTimeout)
	default:
		// At the body's end net/http starts reading the connection in the
		// background (to notice a client going away); a deadline left set
		// would end that read, and cancel the request, while the handler
		// is still working.
		b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}
