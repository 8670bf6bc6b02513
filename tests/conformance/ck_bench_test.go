package conformance

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// BenchmarkCKComplete10000PartsFullObject times CompleteMultipartUpload of
// a 10,000-part CRC64NVME FULL_OBJECT upload (1-byte parts, each with its
// CRC64NVME in the Complete body). The parts are uploaded outside the
// timer, 16 at a time; only Complete is timed. Complete must be
// metadata-only: its object checksum comes from combining the part CRCs.
// Every iteration needs a fresh upload, so run with a fixed count, e.g.
//
//	go test ./tests/conformance/ -run '^$' -bench BenchmarkCKComplete10000PartsFullObject -benchtime 5x
func BenchmarkCKComplete10000PartsFullObject(b *testing.B) {
	const nParts = 10_000
	e := ckNew(b, false, tesseratest.WithMinPartSize(1))
	data := ckRand(nParts, 10_000)
	want := ckSum("CRC64NVME", data)

	prepare := func(key string) (string, []types.CompletedPart) {
		id := e.mustCreate(key, "CRC64NVME", "FULL_OBJECT")
		parts := make([]types.CompletedPart, nParts)
		next := make(chan int)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var firstErr error
		for range 16 {
			wg.Go(func() {
				for i := range next {
					body := data[i : i+1]
					out, err := e.uploadPart(nil, key, id, int32(i+1), body, "CRC64NVME")
					if err != nil {
						mu.Lock()
						firstErr = fmt.Errorf("UploadPart %d: %w", i+1, err)
						mu.Unlock()
						continue
					}
					parts[i] = ckCompleted(int32(i+1), aws.ToString(out.ETag), "CRC64NVME", aws.ToString(out.ChecksumCRC64NVME))
				}
			})
		}
		for i := range nParts {
			next <- i
		}
		close(next)
		wg.Wait()
		if firstErr != nil {
			b.Fatal(firstErr)
		}
		return id, parts
	}

	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		key := fmt.Sprintf("bench-%d", i)
		id, parts := prepare(key)
		in := &s3.CompleteMultipartUploadInput{Bucket: &e.bucket, Key: &key, UploadId: &id,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}
		start := time.Now()
		b.StartTimer()
		out, err := e.c.CompleteMultipartUpload(ckCtx(), in)
		b.StopTimer()
		total += time.Since(start)
		if err != nil {
			b.Fatalf("Complete: %v", err)
		}
		if got := aws.ToString(out.ChecksumCRC64NVME); got != want || out.ChecksumType != types.ChecksumTypeFullObject {
			b.Fatalf("Complete: CRC64NVME %q type %q, want %q FULL_OBJECT", got, out.ChecksumType, want)
		}
		if i == 0 {
			h := e.headCK(key)
			if aws.ToInt64(h.ContentLength) != nParts || aws.ToString(h.ChecksumCRC64NVME) != want {
				b.Fatalf("HEAD: %d bytes CRC64NVME %q, want %d %q", aws.ToInt64(h.ContentLength), aws.ToString(h.ChecksumCRC64NVME), nParts, want)
			}
			body, _, _ := e.getCK(key)
			if !bytes.Equal(body, data) {
				b.Fatalf("GET body differs")
			}
		}
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(total.Nanoseconds())/float64(b.N)/nParts, "ns/part")
}
