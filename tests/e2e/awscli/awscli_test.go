// Package awscli drives the built tessera binary with the aws cli (v1), the
// journeys of scripts/e2e-awscli*.sh, with metadata in the embedded store.
package awscli

import (
	"testing"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

var journeys = tesseratest.Journeys{Root: "../../.."}

func TestMain(m *testing.M) { journeys.Main(m) }

func TestAWSCLI(t *testing.T)    { journeys.Run(t, "bash", "scripts/e2e-awscli.sh") }
func TestAWSCLISSE(t *testing.T) { journeys.Run(t, "bash", "scripts/e2e-awscli-sse.sh") }

// Versioning (issue 11): put-bucket-versioning, list-object-versions,
// --version-id reads and deletes, restoring by copy.
func TestAWSCLIVersions(t *testing.T) { journeys.Run(t, "bash", "scripts/e2e-awscli-versions.sh") }
