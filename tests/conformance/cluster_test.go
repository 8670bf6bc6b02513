package conformance

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/admin"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// Scale-out (issue 13): three gateways on one PostgreSQL database and one
// data directory must behave as one S3 — read-after-write and
// list-after-write across gateways, races decided once — and must agree on
// what is on disk.

// TestClusterReadAfterWrite: what one gateway acknowledges, the next
// request to another gateway sees (S3's strong read-after-write
// consistency, AWS S3 user guide "Amazon S3 data consistency model").
func TestClusterReadAfterWrite(t *testing.T) {
	e := clusterNew(t)
	b := e.bucket("cluster-raw")
	for i := 0; i < 20; i++ {
		body := fmt.Sprintf("version %d", i)
		w, r, l := e.gw[i%3], e.gw[(i+1)%3], e.gw[(i+2)%3]
		if _, err := w.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
		out, err := r.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if string(got) != body {
			t.Fatalf("write %d: GET on another gateway read %q", i, got)
		}
		key := fmt.Sprintf("listed-%02d", i)
		if _, err := w.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: strings.NewReader("x")}); err != nil {
			t.Fatal(err)
		}
		list, err := l.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String(b), Prefix: aws.String("listed-")})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(list.Contents); n != i+1 || aws.ToString(list.Contents[i].Key) != key {
			t.Fatalf("write %d: a listing on a third gateway shows %d keys", i, n)
		}
	}
	e.settled()
}

// TestClusterMultipartAcrossGateways is the seed's journey spread over the
// gateways: parts uploaded through each are in the next ListParts on
// another, and Complete on a third sees every one.
func TestClusterMultipartAcrossGateways(t *testing.T) {
	e := clusterNew(t)
	b := e.bucket("cluster-mp")
	up, err := e.gw[0].CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("big")})
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	var parts []types.CompletedPart
	for n := int32(1); n <= 9; n++ {
		body := clusterRandom(1000 + int(n))
		want.Write(body)
		out, err := e.gw[n%3].UploadPart(ctx(), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("big"), UploadId: up.UploadId, PartNumber: aws.Int32(n), Body: bytes.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag})
		lp, err := e.gw[(n+1)%3].ListParts(ctx(), &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String("big"), UploadId: up.UploadId})
		if err != nil {
			t.Fatal(err)
		}
		if len(lp.Parts) != int(n) || aws.ToString(lp.Parts[n-1].ETag) != aws.ToString(out.ETag) {
			t.Fatalf("after part %d through gateway %d, ListParts on gateway %d shows %d parts", n, n%3, (n+1)%3, len(lp.Parts))
		}
	}
	if _, err := e.gw[2].CompleteMultipartUpload(ctx(), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("big"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	got := clusterGet(t, e.gw[1], b, "big")
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("GET returned %d bytes, want the %d uploaded", len(got), want.Len())
	}
	e.settled()
}

func clusterGet(t *testing.T, c *s3.Client, bucket, key string) []byte {
	t.Helper()
	out, err := c.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func clusterETag(b []byte) string {
	sum := md5.Sum(b)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// TestClusterSamePartNumberRace: one part number uploaded through two
// gateways at once. Both succeed (S3: "If you upload a new part using the
// same part number as a previously uploaded part, the previously uploaded
// part is overwritten", UploadPart docs); exactly one is the part, whole,
// and the loser's blob is collected.
func TestClusterSamePartNumberRace(t *testing.T) {
	e := clusterNew(t)
	b := e.bucket("cluster-samepart")
	for round := 0; round < 8; round++ {
		key := fmt.Sprintf("k%d", round)
		up, err := e.gw[0].CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		bodies := [][]byte{clusterRandom(64 << 10), clusterRandom(64 << 10)}
		var wg sync.WaitGroup
		for i, body := range bodies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := e.gw[1+i].UploadPart(ctx(), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader(body)}); err != nil {
					t.Errorf("UploadPart through gateway %d: %v", 1+i, err)
				}
			}()
		}
		wg.Wait()
		lp, err := e.gw[0].ListParts(ctx(), &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: up.UploadId})
		if err != nil {
			t.Fatal(err)
		}
		if len(lp.Parts) != 1 {
			t.Fatalf("round %d: %d parts listed, want 1", round, len(lp.Parts))
		}
		etag := aws.ToString(lp.Parts[0].ETag)
		var winner []byte
		for _, body := range bodies {
			if clusterETag(body) == etag {
				winner = body
			}
		}
		if winner == nil {
			t.Fatalf("round %d: listed ETag %s is neither upload's", round, etag)
		}
		if _, err := e.gw[2].CompleteMultipartUpload(ctx(), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: up.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: aws.String(etag)}}}}); err != nil {
			t.Fatal(err)
		}
		if got := clusterGet(t, e.gw[round%3], b, key); !bytes.Equal(got, winner) {
			t.Fatalf("round %d: object is not the listed part's bytes", round)
		}
	}
	e.settled()
}

// TestClusterCompleteRacesUploadPart: Complete through one gateway while
// another uploads a part the Complete does not name. Complete wins with
// the parts it named; the racing UploadPart either landed first (its part
// is then dropped by Complete, as S3 drops unlisted parts) or finds the
// upload gone (NoSuchUpload) — never a half state.
func TestClusterCompleteRacesUploadPart(t *testing.T) {
	e := clusterNew(t)
	b := e.bucket("cluster-complete-race")
	for round := 0; round < 8; round++ {
		key := fmt.Sprintf("k%d", round)
		up, err := e.gw[0].CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		var parts []types.CompletedPart
		for n := int32(1); n <= 3; n++ {
			body := clusterRandom(4096)
			want.Write(body)
			out, err := e.gw[0].UploadPart(ctx(), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: up.UploadId, PartNumber: aws.Int32(n), Body: bytes.NewReader(body)})
			if err != nil {
				t.Fatal(err)
			}
			parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag})
		}
		var wg sync.WaitGroup
		var completeErr, partErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, completeErr = e.gw[1].CompleteMultipartUpload(ctx(), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: up.UploadId,
				MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
		}()
		go func() {
			defer wg.Done()
			_, partErr = e.gw[2].UploadPart(ctx(), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: up.UploadId, PartNumber: aws.Int32(4), Body: bytes.NewReader(clusterRandom(4096))})
		}()
		wg.Wait()
		if completeErr != nil {
			t.Fatalf("round %d: Complete: %v", round, completeErr)
		}
		if partErr != nil && !strings.Contains(partErr.Error(), string(s3err.NoSuchUpload)) {
			t.Fatalf("round %d: the racing UploadPart failed with %v; want success or NoSuchUpload", round, partErr)
		}
		if got := clusterGet(t, e.gw[0], b, key); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("round %d: object is not the three named parts", round)
		}
	}
	e.settled()
}

// TestClusterDeleteBucketRacesPutObject: DeleteBucket through one gateway
// while another writes into the empty bucket. Exactly one wins: either the
// bucket is gone and the PUT got NoSuchBucket, or the PUT stored its
// object and DeleteBucket got BucketNotEmpty.
func TestClusterDeleteBucketRacesPutObject(t *testing.T) {
	e := clusterNew(t)
	outcomes := map[string]int{}
	for round := 0; round < 12; round++ {
		b := e.bucket(fmt.Sprintf("cluster-delrace-%d", round))
		var wg sync.WaitGroup
		var delErr, putErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, delErr = e.gw[1].DeleteBucket(ctx(), &s3.DeleteBucketInput{Bucket: aws.String(b)})
		}()
		go func() {
			defer wg.Done()
			_, putErr = e.gw[2].PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader("racing")})
		}()
		wg.Wait()
		switch {
		case delErr == nil && putErr != nil && strings.Contains(putErr.Error(), string(s3err.NoSuchBucket)):
			outcomes["delete won"]++
			if _, err := e.gw[0].HeadBucket(ctx(), &s3.HeadBucketInput{Bucket: aws.String(b)}); err == nil {
				t.Fatalf("round %d: DeleteBucket won, yet the bucket is there", round)
			}
		case putErr == nil && delErr != nil && strings.Contains(delErr.Error(), string(s3err.BucketNotEmpty)):
			outcomes["put won"]++
			if got := clusterGet(t, e.gw[0], b, "k"); string(got) != "racing" {
				t.Fatalf("round %d: PUT won, yet the object reads %q", round, got)
			}
		default:
			t.Fatalf("round %d: DeleteBucket: %v; PutObject: %v — want exactly one winner", round, delErr, putErr)
		}
	}
	t.Logf("outcomes: %v", outcomes)
	e.settled()
}

// TestClusterReadOutlivesOverwrite: a GET streaming through one gateway
// keeps its blobs while another gateway overwrites the object and the
// leader collects garbage: the reader's lease (sent with its heartbeats)
// keeps them on disk past the garbage grace, and once the read ends they
// go.
func TestClusterReadOutlivesOverwrite(t *testing.T) {
	e := clusterNew(t)
	b := e.bucket("cluster-lease")
	up, err := e.gw[0].CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	var parts []types.CompletedPart
	for n := int32(1); n <= 4; n++ {
		body := clusterRandom(256 << 10)
		want.Write(body)
		out, err := e.gw[0].UploadPart(ctx(), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("k"), UploadId: up.UploadId, PartNumber: aws.Int32(n), Body: bytes.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag})
	}
	if _, err := e.gw[0].CompleteMultipartUpload(ctx(), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("k"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	out, err := e.gw[1].GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	head := make([]byte, 1000)
	if _, err := io.ReadFull(out.Body, head); err != nil {
		t.Fatal(err)
	}
	// Overwrite through another gateway, then wait well past the garbage
	// grace and several collections by the leader.
	if _, err := e.gw[2].PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader("new")}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	rest, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("the read was cut short after the overwrite: %v", err)
	}
	if got := append(head, rest...); !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("the read returned %d bytes that differ from the object it began on", len(got))
	}
	out.Body.Close()
	e.settled()
}

// TestClusterAccountChangesEverywhere: an account created, a key disabled
// and re-enabled through one gateway take effect on the others when the
// admin call returns.
func TestClusterAccountChangesEverywhere(t *testing.T) {
	e := clusterNew(t)
	var created admin.CreatedAccount
	if err := e.admin(0).Do(ctx(), "POST", "accounts", map[string]string{"name": "alice"}, &created); err != nil {
		t.Fatal(err)
	}
	k := created.Key
	for i := 1; i < clusterGateways; i++ {
		c := e.srv.GatewayS3(i, clusterAs(k.AccessKeyID, k.SecretAccessKey))
		if _, err := c.ListBuckets(ctx(), &s3.ListBucketsInput{}); err != nil {
			t.Fatalf("a key created through gateway 0 is refused by gateway %d: %v", i, err)
		}
	}
	if err := e.admin(1).Do(ctx(), "POST", "keys/"+k.AccessKeyID+"/disable", nil, nil); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 2} {
		c := e.srv.GatewayS3(i, clusterAs(k.AccessKeyID, k.SecretAccessKey))
		if _, err := c.ListBuckets(ctx(), &s3.ListBucketsInput{}); err == nil || !strings.Contains(err.Error(), "InvalidAccessKeyId") {
			t.Fatalf("a key disabled through gateway 1 still works on gateway %d: %v", i, err)
		}
	}
	if err := e.admin(2).Do(ctx(), "POST", "keys/"+k.AccessKeyID+"/enable", nil, nil); err != nil {
		t.Fatal(err)
	}
	c := e.srv.GatewayS3(0, clusterAs(k.AccessKeyID, k.SecretAccessKey))
	if _, err := c.ListBuckets(ctx(), &s3.ListBucketsInput{}); err != nil {
		t.Fatalf("a key re-enabled through gateway 2 is refused by gateway 0: %v", err)
	}
}

func clusterAs(accessKey, secretKey string) func(*s3.Options) {
	return func(o *s3.Options) {
		o.Credentials = credentials.NewStaticCredentialsProvider(accessKey, secretKey, "")
	}
}

// TestClusterLeadershipMoves: exactly one gateway leads; when it leaves,
// another takes over within a few job intervals.
func TestClusterLeadershipMoves(t *testing.T) {
	e := clusterNew(t)
	leaders := func() []int {
		var out []int
		for i, g := range e.srv.Gateways() {
			if g != nil && g.Leading() {
				out = append(out, i)
			}
		}
		return out
	}
	if l := leaders(); len(l) != 1 {
		t.Fatalf("leaders %v, want exactly one", l)
	}
	old := leaders()[0]
	e.srv.StopGateway(old)
	deadline := time.Now().Add(10 * time.Second)
	for {
		l := leaders()
		if len(l) == 1 && l[0] != old {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("leaders %v after gateway %d left, want one other", l, old)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
