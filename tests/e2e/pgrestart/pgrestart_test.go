// Package pgrestart kills the PostgreSQL server under running gateways
// (SIGKILL to its postmaster, mid-workload) and starts it again on the same
// data directory: while it is away every request that needs metadata is
// refused at once with 503 ServiceUnavailable and readiness fails; after
// it the same gateway processes recover by themselves, and everything they
// acknowledged reads back byte for byte.
package pgrestart

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/meta/postgres/pgtest"
	"github.com/tessera-s3/tessera/internal/tesseratest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const (
	partSize = 64 << 10
	workers  = 4
	// downTime is how long the database stays dead: longer than the
	// gateways' registration TTL (2s in tesseratest), so that every
	// gateway's last heartbeat is stale when it comes back; the leader
	// must not take them for dead (server.member.settled).
	downTime = 3 * time.Second
	// recoverWithin bounds the recovery after the restart: the change
	// feed's listener retries at most every 5 seconds.
	recoverWithin = 30 * time.Second
)

func TestPostgresRestart(t *testing.T) {
	for _, n := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d gateways", n), func(t *testing.T) { testRestart(t, n) })
	}
}

func testRestart(t *testing.T, gateways int) {
	db := pgtest.StartInstance(t)
	srv := tesseratest.New(t, tesseratest.WithPostgres(db.DSN()), tesseratest.WithGateways(gateways),
		tesseratest.WithMinPartSize(partSize))
	raw := srv.S3() // no retries: every answer as sent
	// aws-sdk-go-v2's standard retryer retries 503 ServiceUnavailable
	// (a transient error status) with backoff.
	retrying := srv.S3(func(o *s3.Options) {
		o.RetryMaxAttempts = 30
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) { so.MaxBackoff = 500 * time.Millisecond })
	})
	ctx := t.Context()
	const bucket = "pgrestart"
	if _, err := raw.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, recoverWithin, "one gateway leads", func() bool { return leaders(srv) == 1 })
	createAccessPoint(t, srv, "pgrestart-ap", bucket)

	// An upload begun before the kill, completed after it.
	part1 := bytes.Repeat([]byte("1"), partSize)
	part2 := bytes.Repeat([]byte("2"), partSize/2)
	up, err := raw.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("mp")})
	if err != nil {
		t.Fatal(err)
	}
	p1, err := raw.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("mp"),
		UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader(part1)})
	if err != nil {
		t.Fatal(err)
	}

	w := newWorkload(t, raw, bucket)
	wctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); w.run(wctx, workers) }()
	defer func() { stop(); <-done }()
	time.Sleep(time.Second)

	db.Kill()
	killed := time.Now()
	for i := range gateways {
		base := srv.GatewayURL(i)
		eventually(t, failFast, fmt.Sprintf("gateway %d readiness 503", i), func() bool {
			return probe(base+"/_tessera/health/ready") == http.StatusServiceUnavailable
		})
		if got := probe(base + "/_tessera/health/live"); got != http.StatusOK {
			t.Errorf("gateway %d liveness with the database down: %d, want 200", i, got)
		}
	}
	_, err = raw.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("mp"),
		UploadId: up.UploadId, PartNumber: aws.Int32(2), Body: bytes.NewReader(part2)})
	if a := answerOf(err); !a.unavailable() {
		t.Errorf("UploadPart with the database down: %v, want 503 ServiceUnavailable", err)
	}
	// S3 Control answers through the same error mapping: 503 in its own
	// ErrorResponse envelope, which SDKs retry, not a 500.
	if status, code := getAccessPoint(t, srv, "pgrestart-ap"); status != http.StatusServiceUnavailable || code != "ServiceUnavailable" {
		t.Errorf("GetAccessPoint with the database down: %d %s, want 503 ServiceUnavailable", status, code)
	}
	// A client that retries rides the outage out.
	retried := make(chan error, 1)
	var retriedOut *s3.PutObjectOutput
	go func() {
		var err error
		retriedOut, err = retrying.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket),
			Key: aws.String("retried"), Body: bytes.NewReader([]byte("put while the database was down"))})
		retried <- err
	}()
	eventually(t, failFast, "leadership lost", func() bool { return leaders(srv) == 0 })
	time.Sleep(time.Until(killed.Add(downTime)))
	for i := range gateways {
		if n := metric(t, srv.GatewayURL(i), "tessera_cluster_heartbeat_failures_total"); n < 1 {
			t.Errorf("gateway %d counted %v failed heartbeats with the database down, want some", i, n)
		}
	}
	downAnswers := w.snapshot()

	db.Restart()
	restarted := time.Now()
	for i := range gateways {
		base := srv.GatewayURL(i)
		eventually(t, recoverWithin, fmt.Sprintf("gateway %d readiness 200 after the restart", i), func() bool {
			return probe(base+"/_tessera/health/ready") == http.StatusOK
		})
	}
	ready := time.Since(restarted)
	putsAtRecovery := w.tally("PUT 200")
	eventually(t, recoverWithin, "one gateway leads again", func() bool { return leaders(srv) == 1 })
	for range 10 { // and stays the only one
		if n := leaders(srv); n != 1 {
			t.Fatalf("%d gateways lead after the restart, want 1", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	eventually(t, recoverWithin, "PUTs succeed again", func() bool { return w.tally("PUT 200") > putsAtRecovery+5 })
	stop()
	<-done

	if err := <-retried; err != nil {
		t.Errorf("PutObject with retries across the outage: %v", err)
	} else if ar, _ := retry.GetAttemptResults(retriedOut.ResultMetadata); len(ar.Results) < 2 {
		t.Errorf("PutObject with retries took %d attempts, want a 503 and a retry", len(ar.Results))
	}
	if _, err := retrying.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("mp"),
		UploadId: up.UploadId, PartNumber: aws.Int32(2), Body: bytes.NewReader(part2)}); err != nil {
		t.Fatalf("UploadPart after the restart: %v", err)
	}
	p2etag := w.etagOfPart(ctx, up.UploadId, 2)
	if status, code := getAccessPoint(t, srv, "pgrestart-ap"); status != http.StatusOK {
		t.Errorf("GetAccessPoint after the restart: %d %s, want 200", status, code)
	}
	if _, err := retrying.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket),
		Key: aws.String("mp"), UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
			{PartNumber: aws.Int32(1), ETag: p1.ETag}, {PartNumber: aws.Int32(2), ETag: p2etag}}}}); err != nil {
		t.Fatalf("CompleteMultipartUpload after the restart: %v", err)
	}

	t.Logf("%d gateways: answers until the restart: %s", gateways, downAnswers)
	t.Logf("%d gateways: all answers: %s; slowest 503 %v; every gateway ready %v after the restart",
		gateways, w.snapshot(), w.slowest, ready)
	for _, b := range w.bad {
		t.Errorf("unexpected answer: %s", b)
	}
	if w.tally("PUT 503 ServiceUnavailable")+w.tally("GET 503 ServiceUnavailable") == 0 {
		t.Error("no request was answered 503 ServiceUnavailable while the database was down")
	}
	if w.slowest > failFast {
		t.Errorf("a request took %v to be refused, want under %v", w.slowest, failFast)
	}
	for i := range gateways {
		if n := metric(t, srv.GatewayURL(i), "tessera_cluster_reaped_gateways_total"); n != 0 {
			t.Errorf("gateway %d reaped %v gateways after an outage they all shared, want 0: live gateways lose their in-flight writes", i, n)
		}
	}
	w.acked["retried"] = []byte("put while the database was down")
	w.acked["mp"] = append(append([]byte{}, part1...), part2...)
	w.verify(ctx)
}

// leaders counts the gateways that lead.
func leaders(srv *tesseratest.Server) int {
	n := 0
	for _, g := range srv.Gateways() {
		if g != nil && g.Leading() {
			n++
		}
	}
	return n
}

// etagOfPart lists the upload's parts for part number's ETag.
func (w *workload) etagOfPart(ctx context.Context, uploadID *string, number int32) *string {
	w.t.Helper()
	out, err := w.c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(w.bucket), Key: aws.String("mp"), UploadId: uploadID})
	if err != nil {
		w.t.Fatalf("ListParts: %v", err)
	}
	for _, p := range out.Parts {
		if aws.ToInt32(p.PartNumber) == number {
			return p.ETag
		}
	}
	w.t.Fatalf("ListParts: no part %d", number)
	return nil
}

// verify reads back every acknowledged object byte for byte, finds each
// write of unknown outcome either whole or absent, and checks that the
// listing holds exactly the objects that read back.
func (w *workload) verify(ctx context.Context) {
	t := w.t
	for key, want := range w.acked {
		got, err := getBody(ctx, w.c, w.bucket, key)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("acknowledged %s: %d bytes, %v; want its %d bytes", key, len(got), err, len(want))
		}
	}
	present := map[string]bool{}
	committed := 0
	for key, want := range w.unknown {
		got, err := getBody(ctx, w.c, w.bucket, key)
		switch a := answerOf(err); {
		case err == nil && bytes.Equal(got, want):
			present[key] = true
			committed++
		case a.status == http.StatusNotFound && a.code == "NoSuchKey":
		default:
			t.Errorf("write of unknown outcome %s: %d bytes, %v; want its %d bytes or NoSuchKey", key, len(got), err, len(want))
		}
	}
	t.Logf("%d writes acknowledged, %d of unknown outcome (%d of them committed)", len(w.acked), len(w.unknown), committed)
	listed := map[string]bool{}
	p := s3.NewListObjectsV2Paginator(w.c, &s3.ListObjectsV2Input{Bucket: aws.String(w.bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListObjectsV2: %v", err)
		}
		for _, o := range page.Contents {
			listed[aws.ToString(o.Key)] = true
		}
	}
	for key := range w.acked {
		if !listed[key] {
			t.Errorf("acknowledged %s is not listed", key)
		}
	}
	for key := range listed {
		if _, ok := w.acked[key]; !ok && !present[key] {
			t.Errorf("%s is listed but was neither acknowledged nor found whole", key)
		}
	}
}
