// Package awscli runs the aws cli encryption journey with metadata in
// PostgreSQL: encryption records (Part/Segment.Crypt, the SSE-C key check)
// and KMS keys live in the metadata.
package awscli

import (
	"testing"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

var journeys = tesseratest.Journeys{Root: "../../../.."}

func TestMain(m *testing.M) { journeys.Main(m) }

func TestAWSCLISSEPostgres(t *testing.T) {
	journeys.RunPostgres(t, "bash", "scripts/e2e-awscli-sse.sh")
}
