package conformance

import (
	"flag"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/internal/config"
	"github.com/tessera-s3/tessera/internal/loadtest"
	"github.com/tessera-s3/tessera/internal/tesseratest"
)

var loadDuration = flag.Duration("load.duration", 5*time.Second,
	"how long TestLoad runs (go run ./cmd/tessera-load for the long run with peak RSS)")

// TestLoad runs 64 clients mixing PUT, GET, LIST, multipart and DELETE
// against a server with limits low enough that SlowDown happens, and
// requires zero server errors but SlowDown and zero wrong bytes.
func TestLoad(t *testing.T) {
	const partSize = 64 << 10
	srv := ovlServer(t, tesseratest.WithMinPartSize(partSize),
		tesseratest.WithLimits(config.Limits{MaxRequests: 8, MaxUploadBytes: 1 << 20}))
	rep, err := loadtest.Run(ctx(), loadtest.Config{
		Endpoint: srv.URL, Region: srv.Region(), AccessKey: accessKey, SecretKey: secretKey,
		HTTPClient: srv.HTTPClient(), Clients: 64, Duration: *loadDuration,
		PartSize: partSize, MaxObject: 256 << 10, MaxAttempts: 20,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("load report:\n%s", rep)
	if err := rep.Ok(); err != nil {
		t.Error(err)
	}
	if rep.SlowDowns == 0 {
		t.Errorf("no SlowDown at %d requests in flight: the limit was never reached", 8)
	}
	for _, kind := range []string{"put", "get", "list", "multipart", "delete"} {
		if rep.Ops[kind] == 0 {
			t.Errorf("no %s completed", kind)
		}
	}
}
