// Package sse runs the aws cli encryption journey (SSE-C, SSE-S3, SSE-KMS,
// DSSE-KMS over HTTPS) against the built binary: the longest aws cli
// journey, in a package of its own so that each stays within go test's
// 10-minute limit (go test runs at most GOMAXPROCS tests of a package at once).
package sse

import (
	"testing"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

var journeys = tesseratest.Journeys{Root: "../../../.."}

func TestMain(m *testing.M) { journeys.Main(m) }

func TestAWSCLISSE(t *testing.T) { journeys.Run(t, "bash", "scripts/e2e-awscli-sse.sh") }
