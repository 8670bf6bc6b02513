package conformance

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// TestMetaCallsPerOperation holds the hot S3 operations to a budget of
// metadata calls (counts, deterministic: no timer), so that a change that
// adds a round trip to one of them fails here and says which call it
// added. Alice owns the bucket; its policy lets Bob read and write objects,
// so Bob's rows go through the policy, the request-payment check and the
// ACL settings. Every row reads its bucket in one GetBucketConfigs call
// (record, policy, request payment, ownership, public access block, ACL,
// CORS, lifecycle, default encryption, Object Lock default) and then makes
// the calls only its own work needs. Writes go to new keys: replacing an
// object adds the garbage hand-off (Gateways, DeleteGarbage), which the
// count cannot see reliably (the metrics scrape calls Gateways too).
func TestMetaCallsPerOperation(t *testing.T) {
	// One server, no balancer: the scrape must come from the gateway
	// that served the request.
	e := acctNew(t, tesseratest.Standalone())
	alice, bob := e.a.S3, e.b.S3
	b := acctBucket(t, alice)
	acctPolicy(t, alice, b, acctDoc(acctStmt("Allow", map[string]string{
		"Principal": acctAWS(e.b.ID), "Action": acctList("s3:GetObject", "s3:PutObject"), "Resource": acctList(acctObjARN(b, "*")),
	})))
	put(t, alice, b, "obj", []byte("hello"))
	mp := &mpEnv{t: t, srv: e.srv, c: alice, bucket: b}
	id := mp.create("mp")
	var etag string
	rows := []struct {
		name   string
		budget int // GetBucketConfigs + the operation's own calls
		do     func(t *testing.T)
	}{
		{"PutObject", 2, func(t *testing.T) { put(t, alice, b, "new", []byte("hello again")) }},
		{"PutObject by policy", 2, func(t *testing.T) { put(t, bob, b, "bobs", []byte("bob")) }},
		{"GetObject", 2, func(t *testing.T) { get(t, alice, b, "obj") }},
		{"GetObject by policy", 2, func(t *testing.T) { get(t, bob, b, "obj") }},
		{"HeadObject", 2, func(t *testing.T) { head(t, alice, b, "obj") }},
		{"UploadPart", 3, func(t *testing.T) { etag = mp.part("mp", id, 1, []byte("part one")) }}, // + GetUpload, PutPart
		{"ListParts", 3, func(t *testing.T) { // + GetUpload, ListParts
			if _, err := alice.ListParts(ctx(), &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String("mp"), UploadId: aws.String(id)}); err != nil {
				t.Fatal(err)
			}
		}},
		{"CompleteMultipartUpload", 2, func(t *testing.T) {
			_, err := alice.CompleteMultipartUpload(ctx(), &s3.CompleteMultipartUploadInput{
				Bucket: aws.String(b), Key: aws.String("mp"), UploadId: aws.String(id),
				MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: aws.String(etag)}}},
			})
			if err != nil {
				t.Fatal(err)
			}
		}},
		{"ListObjectsV2", 2, func(t *testing.T) {
			if _, err := alice.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String(b)}); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			byOp, total := tripsOf(t, e.srv, func() { row.do(t) })
			t.Logf("%-24s %2d  %s", row.name, total, formatTrips(byOp))
			if total > row.budget {
				t.Errorf("%s made %d metadata calls (%s), budget %d", row.name, total, formatTrips(byOp), row.budget)
			}
		})
	}
}
