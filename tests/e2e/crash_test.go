package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/meta/postgres/pgtest"
)

const (
	crashUser   = "CRASHTESTROOTKEY0001"
	crashSecret = "crash/test/secret/key/0123456789abcdef"
)

// startBinary runs the built server on a free port over dataDir (plus
// extra flags) and waits until it is ready.
func startBinary(t *testing.T, dataDir string, extra ...string) (*exec.Cmd, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(journeys.Binary(), append([]string{"server", "--address", addr, "--data", dataDir,
		"--root-user", crashUser, "--root-password", crashSecret, "--log-level", "warn"}, extra...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	url := "http://" + addr
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(url + "/_tessera/health/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return cmd, url
			}
		}
	}
	cmd.Process.Kill()
	t.Fatal("server did not become ready")
	return nil, ""
}

func crashClient(url string) *s3.Client {
	return s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(url), UsePathStyle: true,
		Credentials:                credentials.NewStaticCredentialsProvider(crashUser, crashSecret, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
		RetryMaxAttempts:           1,
	})
}

// body returns the deterministic content of version v of key k.
func body(k, v int) []byte {
	seed := sha256.Sum256([]byte(fmt.Sprintf("%d/%d", k, v)))
	return bytes.Repeat(seed[:], 1+(k*7919+v*104729)%4096) // 32 B … 128 KiB
}

// TestCrashKeepsAcknowledgedWrites kills the server with SIGKILL while
// writers overwrite keys and multipart uploads complete, restarts it on the
// same directory, and checks: every key holds exactly one whole version,
// at least as new as the last one acknowledged before the kill, and every
// acknowledged multipart object is there byte-exact.
func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	t.Parallel()
	crashKeepsAcknowledgedWrites(t)
}

// The same with metadata in PostgreSQL: the restarted server also takes
// over the database from the killed one's session.
func TestCrashKeepsAcknowledgedWritesPostgres(t *testing.T) {
	t.Parallel()
	crashKeepsAcknowledgedWrites(t, "--postgres", pgtest.DSN(t))
}

func crashKeepsAcknowledgedWrites(t *testing.T, extra ...string) {
	dir := t.TempDir()
	cmd, url := startBinary(t, dir, extra...)
	c := crashClient(url)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("crash")}); err != nil {
		t.Fatal(err)
	}
	const keys = 24
	var mu sync.Mutex
	acked := map[int]int{}    // key → newest acknowledged version
	inflight := map[int]int{} // key → version being written when the server died
	ackedMPU := map[string][]byte{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for v := 1; ; v++ {
				select {
				case <-stop:
					return
				default:
				}
				// Writer w owns the keys ≡ w (mod 4), so each key's
				// versions come from one writer, in order.
				k := (w*1000+v)%keys - (w*1000+v)%keys%4 + w
				mu.Lock()
				inflight[k] = v
				mu.Unlock()
				_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("crash"), Key: aws.String(fmt.Sprint(k)), Body: bytes.NewReader(body(k, v))})
				if err != nil {
					return // the server is gone
				}
				mu.Lock()
				acked[k] = v
				delete(inflight, k)
				mu.Unlock()
			}
		}(w)
	}
	wg.Add(1)
	go func() { // multipart uploads of 2 parts (the last may be small)
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			key := fmt.Sprintf("mpu/%d", i)
			up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("crash"), Key: aws.String(key)})
			if err != nil {
				return
			}
			p1 := bytes.Repeat([]byte{byte(i)}, 5<<20)
			p2 := body(i, 0)
			var etags []string
			for n, p := range [][]byte{p1, p2} {
				out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("crash"), Key: aws.String(key), UploadId: up.UploadId, PartNumber: aws.Int32(int32(n + 1)), Body: bytes.NewReader(p)})
				if err != nil {
					return
				}
				etags = append(etags, aws.ToString(out.ETag))
			}
			done := &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
				{PartNumber: aws.Int32(1), ETag: aws.String(etags[0])},
				{PartNumber: aws.Int32(2), ETag: aws.String(etags[1])},
			}}
			_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("crash"), Key: aws.String(key), UploadId: up.UploadId, MultipartUpload: done})
			if err != nil {
				return
			}
			mu.Lock()
			ackedMPU[key] = append(append([]byte(nil), p1...), p2...)
			mu.Unlock()
		}
	}()
	time.Sleep(1500 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	close(stop)
	wg.Wait()

	cmd, url = startBinary(t, dir, extra...)
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	c = crashClient(url)
	mu.Lock()
	defer mu.Unlock()
	if len(acked) == 0 {
		t.Fatal("no write was acknowledged before the kill; the test proved nothing")
	}
	for k := 0; k < keys; k++ {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("crash"), Key: aws.String(fmt.Sprint(k))})
		if err != nil {
			if acked[k] > 0 || !strings.Contains(err.Error(), "NoSuchKey") {
				t.Errorf("key %d (acknowledged v%d): %v", k, acked[k], err)
			}
			continue
		}
		var got bytes.Buffer
		_, err = got.ReadFrom(out.Body)
		out.Body.Close()
		if err != nil {
			t.Errorf("key %d: reading: %v", k, err)
			continue
		}
		// The acknowledged version, or the one in flight at the kill: whole,
		// never older, never a mix.
		ok := acked[k] > 0 && bytes.Equal(got.Bytes(), body(k, acked[k]))
		if v, in := inflight[k]; in && bytes.Equal(got.Bytes(), body(k, v)) {
			ok = true
		}
		if !ok {
			t.Errorf("key %d: content is neither the acknowledged v%d nor the in-flight write (%d bytes)", k, acked[k], got.Len())
		}
	}
	for key, want := range ackedMPU {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("crash"), Key: aws.String(key)})
		if err != nil {
			t.Errorf("acknowledged multipart %s: %v", key, err)
			continue
		}
		var got bytes.Buffer
		_, err = got.ReadFrom(out.Body)
		out.Body.Close()
		if err != nil || !bytes.Equal(got.Bytes(), want) {
			t.Errorf("acknowledged multipart %s: %d bytes, err %v", key, got.Len(), err)
		}
	}
	t.Logf("checked %d keys (%d acknowledged) and %d multipart objects after SIGKILL", keys, len(acked), len(ackedMPU))

	// The final word is fsck's, offline and deep, once the server has
	// stopped: every referenced blob there with its size and checksums,
	// the records consistent, nothing left over but the writes the kill
	// cut (unreferenced blobs younger than the orphan grace, not findings).
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	fsck := exec.Command(journeys.Binary(), append([]string{"fsck", "--data", dir, "--deep"}, extra...)...)
	fsck.Env = append(os.Environ(), "TESSERA_POSTGRES=")
	out, err := fsck.CombinedOutput()
	if err != nil {
		t.Errorf("tessera fsck --deep after the crash: %v\n%s", err, out)
	} else {
		t.Logf("tessera fsck --deep after the crash:\n%s", out)
	}
}
