// Package kms runs the aws cli's KMS encryption journey with metadata in
// PostgreSQL, where KMS keys and the encryption records live.
package kms

import (
	"testing"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

var journeys = tesseratest.Journeys{Root: "../../../../.."}

func TestMain(m *testing.M) { journeys.Main(m) }

func TestAWSCLISSEKMSPostgres(t *testing.T) {
	journeys.RunPostgres(t, "bash", "scripts/e2e-awscli-sse.sh", "kms")
}
