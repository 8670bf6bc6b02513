package cluster

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

const (
	partSize  = 5 << 20
	partCount = 8
	// leaderWithin bounds a change of leader: a killed leader's PostgreSQL
	// session ends with it, and a survivor asks for leadership every 5 s.
	leaderWithin = 20 * time.Second
	// reapWithin bounds the reaping of a killed gateway: its registration
	// expires after the default TTL (15 s) and the leader reaps every 5 s.
	reapWithin = 35 * time.Second
)

// TestKillGatewayMidUpload SIGKILLs the cluster's leader halfway through a
// multipart upload: the upload finishes through the other gateways with
// every acknowledged part intact, leadership moves to a survivor and the
// dead gateway is reaped. Then another gateway is stopped with SIGTERM and
// drains gracefully while requests through HAProxy keep succeeding.
func TestKillGatewayMidUpload(t *testing.T) {
	t.Parallel()
	c := startCluster(t, journeys.Binary())
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	sent := &countingClient{}
	client := s3Client(c.url, func(o *s3.Options) { sent.next = o.HTTPClient; o.HTTPClient = sent })
	bucket, key := "kill-mid-upload", "big/object.bin"

	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	mpu, err := client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	parts := make([][]byte, partCount)
	for i := range parts {
		parts[i] = make([]byte, partSize)
		rand.Read(parts[i])
	}
	up := &uploader{client: client, bucket: bucket, key: key, uploadID: aws.ToString(mpu.UploadId)}
	for n := 1; n <= partCount/2; n++ {
		if err := up.part(ctx, n, parts[n-1]); err != nil {
			t.Fatal(err)
		}
	}

	leader := waitLeader(ctx, t, c.gateways, leaderWithin)
	// Round-robin spread parts 1..4 over the three gateways: the one about
	// to die acknowledged some of them, which must not be lost.
	samples, err := scrape(ctx, leader.url)
	if err != nil {
		t.Fatalf("%s metrics: %v", leader.name, err)
	}
	if n := samples.Sum("tessera_s3_requests_total", map[string]string{"action": "UploadPart", "status": "200"}); n == 0 {
		t.Fatalf("the leader %s acknowledged none of parts 1..4: HAProxy did not spread them", leader.name)
	}
	deadTmp := filepath.Join(c.data, "tmp", leader.name)
	if _, err := os.Stat(deadTmp); err != nil {
		t.Fatalf("the leader's temporary directory: %v", err)
	}

	killed := time.Now()
	leader.kill()
	t.Logf("SIGKILLed the leader %s after parts 1..%d", leader.name, partCount/2)
	var survivors []*proc
	for _, g := range c.gateways {
		if g != leader {
			survivors = append(survivors, g)
		}
	}

	// The rest of the upload, in parallel as uploaders send parts, through
	// HAProxy while it may still think the dead gateway is up.
	before := sent.n.Load()
	var wg sync.WaitGroup
	errs := make([]error, partCount)
	for n := partCount/2 + 1; n <= partCount; n++ {
		wg.Add(1)
		go func() { defer wg.Done(); errs[n-1] = up.part(ctx, n, parts[n-1]) }()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("parts after the kill: %v", err)
	}
	// HAProxy retries a connection the dead gateway refuses on another;
	// the SDK's own retries are the real client's second line.
	t.Logf("parts %d..%d: %d HTTP attempts for %d parts", partCount/2+1, partCount, sent.n.Load()-before, partCount/2)
	up.checkListParts(ctx, t, parts)
	up.complete(ctx, t, parts)
	checkObject(ctx, t, client, bucket, key, parts)

	newLeader := waitLeader(ctx, t, survivors, leaderWithin)
	samples, err = scrape(ctx, newLeader.url)
	if err != nil {
		t.Fatalf("%s metrics: %v", newLeader.name, err)
	}
	if gains := samples.Sum("tessera_cluster_leader_gains_total", nil); gains < 1 {
		t.Errorf("%s leads but tessera_cluster_leader_gains_total is %v", newLeader.name, gains)
	}
	t.Logf("leadership moved from %s to %s within %v of the kill", leader.name, newLeader.name, time.Since(killed).Round(100*time.Millisecond))

	waitReaped(t, newLeader, leader.name, deadTmp, killed)

	var other *proc
	for _, g := range survivors {
		if g != newLeader {
			other = g
		}
	}
	checkDrain(ctx, t, c, other, bucket)
}

// countingClient counts the HTTP requests an SDK client sends, retries
// included.
type countingClient struct {
	next s3.HTTPClient
	n    atomic.Int64
}

func (c *countingClient) Do(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.Do(r)
}

// uploader sends the parts of one multipart upload and remembers the
// ETags the gateways acknowledged.
type uploader struct {
	client                *s3.Client
	bucket, key, uploadID string
	mu                    sync.Mutex
	etags                 map[int32]string
}

// part uploads part n; its acknowledged ETag must be the body's MD5.
func (u *uploader) part(ctx context.Context, n int, body []byte) error {
	out, err := u.client.UploadPart(ctx, &s3.UploadPartInput{
		Bucket: aws.String(u.bucket), Key: aws.String(u.key), UploadId: aws.String(u.uploadID),
		PartNumber: aws.Int32(int32(n)), Body: bytes.NewReader(body),
	})
	if err != nil {
		return fmt.Errorf("UploadPart %d: %w", n, err)
	}
	if got, want := aws.ToString(out.ETag), md5ETag(body); got != want {
		return fmt.Errorf("UploadPart %d: ETag %s, want %s", n, got, want)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.etags == nil {
		u.etags = map[int32]string{}
	}
	u.etags[int32(n)] = aws.ToString(out.ETag)
	return nil
}

// checkListParts: every part, including those the dead gateway
// acknowledged, is listed with its exact ETag and size.
func (u *uploader) checkListParts(ctx context.Context, t *testing.T, parts [][]byte) {
	t.Helper()
	out, err := u.client.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(u.bucket), Key: aws.String(u.key), UploadId: aws.String(u.uploadID)})
	if err != nil {
		t.Fatalf("ListParts: %v", err)
	}
	if len(out.Parts) != len(parts) || aws.ToBool(out.IsTruncated) {
		t.Fatalf("ListParts: %d parts (truncated %v), want %d", len(out.Parts), aws.ToBool(out.IsTruncated), len(parts))
	}
	for i, p := range out.Parts {
		n := int32(i + 1)
		if aws.ToInt32(p.PartNumber) != n || aws.ToString(p.ETag) != md5ETag(parts[i]) || aws.ToInt64(p.Size) != int64(len(parts[i])) {
			t.Errorf("ListParts part %d: number %d ETag %s size %d, want ETag %s size %d",
				n, aws.ToInt32(p.PartNumber), aws.ToString(p.ETag), aws.ToInt64(p.Size), md5ETag(parts[i]), len(parts[i]))
		}
	}
}

// complete completes the upload with every part; the ETag is S3's
// multipart ETag of exactly these parts.
func (u *uploader) complete(ctx context.Context, t *testing.T, parts [][]byte) {
	t.Helper()
	var done []types.CompletedPart
	sums := md5.New()
	for i, p := range parts {
		n := int32(i + 1)
		done = append(done, types.CompletedPart{PartNumber: aws.Int32(n), ETag: aws.String(u.etags[n])})
		sum := md5.Sum(p)
		sums.Write(sum[:])
	}
	out, err := u.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(u.bucket), Key: aws.String(u.key), UploadId: aws.String(u.uploadID),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done},
	})
	if err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	want := fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(sums.Sum(nil)), len(parts))
	if got := aws.ToString(out.ETag); got != want {
		t.Errorf("CompleteMultipartUpload ETag %s, want %s", got, want)
	}
}

// checkObject reads the object back through HAProxy: the bytes sent.
func checkObject(ctx context.Context, t *testing.T, client *s3.Client, bucket, key string, parts [][]byte) {
	t.Helper()
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	defer out.Body.Close()
	got := sha256.New()
	n, err := io.Copy(got, out.Body)
	if err != nil {
		t.Fatalf("GetObject body: %v", err)
	}
	want := sha256.New()
	for _, p := range parts {
		want.Write(p)
	}
	if n != int64(len(parts)*partSize) || !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		t.Fatalf("GetObject: %d bytes, sha256 %x; want %d bytes, sha256 %x", n, got.Sum(nil), len(parts)*partSize, want.Sum(nil))
	}
}

func md5ETag(b []byte) string {
	sum := md5.Sum(b)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// waitLeader waits until exactly one of gateways reports
// tessera_cluster_leader 1 (and every other one 0) and returns it.
func waitLeader(ctx context.Context, t *testing.T, gateways []*proc, within time.Duration) *proc {
	t.Helper()
	deadline := time.Now().Add(within)
	var last string
	for {
		var leaders []*proc
		var report []string
		for _, g := range gateways {
			samples, err := scrape(ctx, g.url)
			if err != nil {
				report = append(report, fmt.Sprintf("%s: %v", g.name, err))
				leaders = nil
				break
			}
			v := samples.Sum("tessera_cluster_leader", nil)
			report = append(report, fmt.Sprintf("%s=%v", g.name, v))
			if v == 1 {
				leaders = append(leaders, g)
			}
		}
		last = strings.Join(report, " ")
		if len(leaders) == 1 {
			return leaders[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no single leader among the gateways after %v: tessera_cluster_leader %s", within, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitReaped waits until the leader has presumed the dead gateway dead
// (its log names it, tessera_cluster_gateways counts the two left) and
// swept its temporary directory.
func waitReaped(t *testing.T, leader *proc, dead, deadTmp string, killed time.Time) {
	t.Helper()
	for {
		logged := strings.Contains(leader.log(), "dead_gateway="+dead)
		_, err := os.Stat(deadTmp)
		swept := errors.Is(err, os.ErrNotExist)
		registered := -1.0
		if samples, err := scrape(t.Context(), leader.url); err == nil {
			registered = samples.Sum("tessera_cluster_gateways", nil)
		}
		if logged && swept && registered == 2 {
			t.Logf("%s reaped %s and swept its temporary directory %v after the kill", leader.name, dead, time.Since(killed).Round(100*time.Millisecond))
			return
		}
		if time.Since(killed) > reapWithin {
			t.Fatalf("%s not reaped %v after the kill: logged by the leader %v, temporary directory swept %v (%v), gateways registered %v", dead, reapWithin, logged, swept, err, registered)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// checkDrain stops g with SIGTERM: during its drain delay its readiness
// answers 503 while it still serves S3 requests sent to it, then it exits
// cleanly; requests through HAProxy, sent without SDK retries, all succeed
// meanwhile — the balancer moved them away before g closed its listener.
func checkDrain(ctx context.Context, t *testing.T, c *cluster, g *proc, bucket string) {
	t.Helper()
	noRetry := func(o *s3.Options) { o.RetryMaxAttempts = 1 }
	through := s3Client(c.url, noRetry)
	stop := make(chan struct{})
	done := make(chan error, 1)
	var requests int
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if err := roundTrip(ctx, through, bucket, fmt.Sprintf("drain/%d", i)); err != nil {
				done <- fmt.Errorf("request %d through HAProxy while %s drained: %w", i, g.name, err)
				return
			}
			requests++
		}
	}()

	signalled := time.Now()
	g.signal(syscall.SIGTERM)
	saw503 := false
	for !saw503 && g.running() && time.Since(signalled) < drainDelay {
		status, err := readiness(g.url)
		saw503 = err == nil && status == http.StatusServiceUnavailable
		if !saw503 {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if !saw503 {
		t.Errorf("%s: readiness never answered 503 during its drain delay", g.name)
	} else if _, err := s3Client(g.url, noRetry).HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Errorf("%s stopped serving S3 during its drain delay: HeadBucket: %v", g.name, err)
	}

	select {
	case <-g.exited:
	case <-time.After(drainDelay + 15*time.Second):
		t.Fatalf("%s still running %v after SIGTERM", g.name, time.Since(signalled))
	}
	if took := time.Since(signalled); g.err != nil || took < drainDelay {
		t.Errorf("%s after SIGTERM: exit %v after %v, want a clean exit after the drain delay (%v)", g.name, g.err, took, drainDelay)
	}
	time.Sleep(time.Second) // traffic goes on to the last gateway
	close(stop)
	if err := <-done; err != nil {
		t.Error(err)
	}
	if requests == 0 {
		t.Error("no request went through HAProxy during the drain")
	}
	t.Logf("%s drained and exited after %v; %d PUT+GET round trips through HAProxy meanwhile, none failed", g.name, time.Since(signalled).Round(100*time.Millisecond), requests)
}

// roundTrip writes a small object and reads it back.
func roundTrip(ctx context.Context, client *s3.Client, bucket, key string) error {
	body := []byte("written while a gateway drains: " + key)
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
		return fmt.Errorf("PutObject: %w", err)
	}
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("GetObject: %w", err)
	}
	defer out.Body.Close()
	got, err := io.ReadAll(out.Body)
	if err != nil {
		return fmt.Errorf("GetObject body: %w", err)
	}
	if !bytes.Equal(got, body) {
		return fmt.Errorf("GetObject: %q, want %q", got, body)
	}
	return nil
}
