// Package e2e builds the tessera binary once and drives it with boto3, the
// admin CLI, restic and kill -9, the way a user would. Each script starts
// and stops its own server on 127.0.0.1 and exits non-zero on any failed
// check. The aws cli journeys (slow: a Python start per command) are in
// tests/e2e/awscli and the PostgreSQL ones in tests/e2e/postgres/...:
// packages of their own, so that each stays within go test's 10-minute limit.
package e2e

import (
	"testing"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

var journeys = tesseratest.Journeys{Root: "../.."}

func TestMain(m *testing.M) { journeys.Main(m) }

func TestBoto3(t *testing.T)    { journeys.Run(t, "python3", "scripts/e2e_boto3.py") }
func TestBoto3SSE(t *testing.T) { journeys.Run(t, "python3", "scripts/e2e_boto3_sse.py") }

// TestAdminCLI: accounts, sharing, keys and KMS keys through `tessera admin`
// and the AWS CLI.
func TestAdminCLI(t *testing.T) { journeys.Run(t, "bash", "scripts/e2e-admin.sh") }
func TestBoto3SeedListParts(t *testing.T) {
	journeys.Run(t, "python3", "scripts/e2e_seed_listparts.py")
}
func TestBoto3Checksums(t *testing.T) { journeys.Run(t, "python3", "scripts/e2e_boto3_checksums.py") }
func TestBoto3Lifecycle(t *testing.T) { journeys.Run(t, "python3", "scripts/e2e_boto3_lifecycle.py") }

// Versioning (issue 11): versions, delete markers, list-object-versions.
func TestBoto3Versions(t *testing.T) { journeys.Run(t, "python3", "scripts/e2e_boto3_versions.py") }

// Object Lock (issue 11): retention, legal hold, protected deletes.
func TestBoto3Lock(t *testing.T) { journeys.Run(t, "python3", "scripts/e2e_boto3_lock.py") }

// Browser form uploads (issue 12): boto3's generate_presigned_post forms
// (SigV4 and SigV2), S3's success answers and policy refusals.
func TestBoto3Post(t *testing.T) { journeys.Run(t, "python3", "scripts/e2e_boto3_post.py") }

// Access points (issue 17): S3 Control calls, the seed's ListParts with an
// access point ARN as Bucket and with its alias, admin listing, deletion.
func TestBoto3AccessPoints(t *testing.T) {
	journeys.Run(t, "python3", "scripts/e2e_boto3_accesspoints.py")
}
