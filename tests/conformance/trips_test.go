package conformance

import (
	"fmt"
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
		{"ListParts", 2, func(t *testing.T) { // + UploadParts (the upload and the page in one call)
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

// TestClusterBucketChangesEverywhere: a data-path request reads its bucket
// once as it starts and keeps nothing after, so a bucket policy or default
// encryption changed through one gateway applies to the next request on
// every other (as on S3, where a policy change applies to later requests).
func TestClusterBucketChangesEverywhere(t *testing.T) {
	e := clusterNew(t)
	b := e.bucket("cluster-bucket-changes")
	put(t, e.gw[0], b, "obj", []byte("hello"))
	bob := e.srv.NewAccount("bob")
	bobVia := func(i int) error {
		_, err := e.srv.GatewayS3(i, clusterAs(bob.AccessKey, bob.SecretKey)).GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("obj")})
		return err
	}
	grant := acctDoc(acctStmt("Allow", map[string]string{
		"Principal": acctAWS(bob.ID), "Action": acctList("s3:GetObject"), "Resource": acctList(acctObjARN(b, "*")),
	}))
	steps := []struct {
		name   string
		change func()
		bobOK  bool
	}{
		{"no policy", func() {}, false},
		{"policy granted through gateway 0", func() { acctPolicy(t, e.gw[0], b, grant) }, true},
		{"policy deleted through gateway 2", func() {
			if _, err := e.gw[2].DeleteBucketPolicy(ctx(), &s3.DeleteBucketPolicyInput{Bucket: aws.String(b)}); err != nil {
				t.Fatal(err)
			}
		}, false},
	}
	for _, st := range steps {
		st.change()
		for i := range clusterGateways {
			err := bobVia(i)
			if st.bobOK && err != nil {
				t.Errorf("%s: Bob's GetObject through gateway %d: %v, want allowed", st.name, i, err)
			}
			if !st.bobOK {
				acctDenied(t, fmt.Sprintf("%s: Bob's GetObject through gateway %d", st.name, i), err)
			}
		}
	}
	if out := put(t, e.gw[2], b, "plain", []byte("x")); out.ServerSideEncryption != "" {
		t.Fatalf("PutObject before a default encryption: x-amz-server-side-encryption %q, want none", out.ServerSideEncryption)
	}
	if _, err := e.gw[1].PutBucketEncryption(ctx(), &s3.PutBucketEncryptionInput{Bucket: aws.String(b),
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAes256},
		}}}}); err != nil {
		t.Fatal(err)
	}
	for i := range clusterGateways {
		out := put(t, e.gw[i], b, fmt.Sprintf("enc-%d", i), []byte("x"))
		if out.ServerSideEncryption != types.ServerSideEncryptionAes256 {
			t.Errorf("PutObject through gateway %d after default encryption was set through gateway 1: x-amz-server-side-encryption %q, want AES256", i, out.ServerSideEncryption)
		}
	}
}
