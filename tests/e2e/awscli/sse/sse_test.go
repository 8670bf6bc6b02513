// Package sse runs the aws cli's customer-side encryption journey (SSE-C
// and SSE-S3 over HTTPS) against the built binary. The aws cli journeys are
// split across packages (see ../ssekms) so that each stays within go test's
// 10-minute limit on a busy two-core machine: every aws cli call starts a
// Python process, and go test runs at most GOMAXPROCS tests of a package at
// once.
package sse

import (
	"testing"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

var journeys = tesseratest.Journeys{Root: "../../../.."}

func TestMain(m *testing.M) { journeys.Main(m) }

func TestAWSCLISSE(t *testing.T) { journeys.Run(t, "bash", "scripts/e2e-awscli-sse.sh", "customer") }
