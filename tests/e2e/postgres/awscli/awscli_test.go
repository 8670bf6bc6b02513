// Package awscli runs the aws cli's SSE-C and SSE-S3 journey with metadata
// in PostgreSQL: encryption records (Part/Segment.Crypt, the SSE-C key
// check) live in the metadata. ./kms runs the KMS part.
package awscli

import (
	"testing"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

var journeys = tesseratest.Journeys{Root: "../../../.."}

func TestMain(m *testing.M) { journeys.Main(m) }

func TestAWSCLISSEPostgres(t *testing.T) {
	journeys.RunPostgres(t, "bash", "scripts/e2e-awscli-sse.sh", "customer")
}
