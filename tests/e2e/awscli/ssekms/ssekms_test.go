// Package ssekms runs the aws cli's KMS encryption journey (SSE-KMS under
// the managed and a customer managed key, DSSE-KMS, an aws:kms bucket
// default, key disable and enable, restarts under other root keys) against
// the built binary; ../sse runs the SSE-C and SSE-S3 part of the script.
package ssekms

import (
	"testing"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

var journeys = tesseratest.Journeys{Root: "../../../.."}

func TestMain(m *testing.M) { journeys.Main(m) }

func TestAWSCLISSEKMS(t *testing.T) { journeys.Run(t, "bash", "scripts/e2e-awscli-sse.sh", "kms") }
