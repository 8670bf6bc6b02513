package conformance

// Multipart benchmarks, through aws-sdk-go-v2 against a real server on
// 127.0.0.1 (client costs included):
//
//	go test ./tests/conformance/ -run '^$' -bench 'BenchmarkMP' -benchtime=100x
//
// BenchmarkMPComplete100Parts re-creates a 100-part upload for every
// iteration (outside the timer), so give it a count (-benchtime=100x)
// rather than a duration.

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// BenchmarkMPListParts: one full 1000-part page of ListParts.
func BenchmarkMPListParts(b *testing.B) {
	e := mpSetup(b, tesseratest.WithMinPartSize(1))
	id := e.create("bench/listparts")
	e.parts("bench/listparts", id, mpSeq(1, 1000), func(n int32) []byte { return mpTiny(n, 0) }, 16)
	in := &s3.ListPartsInput{Bucket: aws.String(e.bucket), Key: aws.String("bench/listparts"), UploadId: aws.String(id)}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := e.c.ListParts(mpCtx(), in)
		if err != nil {
			b.Fatal(err)
		}
		if len(out.Parts) != 1000 {
			b.Fatalf("%d parts, want 1000", len(out.Parts))
		}
	}
}

// BenchmarkMPListPartsWalk10000: a whole ListParts walk of a 10,000-part
// upload (10 pages of 1000). Reports the slowest and first page so a cost
// growing with the marker shows.
func BenchmarkMPListPartsWalk10000(b *testing.B) {
	e := mpSetup(b, tesseratest.WithMinPartSize(1))
	id := e.create("bench/walk")
	e.parts("bench/walk", id, mpSeq(1, 10000), func(n int32) []byte { return mpTiny(n, 0) }, 16)
	var pageTimes [10][]time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		marker := (*string)(nil)
		for p := 0; p < 10; p++ {
			t0 := time.Now()
			out, err := e.c.ListParts(mpCtx(), &s3.ListPartsInput{Bucket: aws.String(e.bucket), Key: aws.String("bench/walk"), UploadId: aws.String(id), PartNumberMarker: marker})
			if err != nil {
				b.Fatal(err)
			}
			pageTimes[p] = append(pageTimes[p], time.Since(t0))
			if len(out.Parts) != 1000 || aws.ToBool(out.IsTruncated) != (p < 9) {
				b.Fatalf("page %d: %d parts truncated %v", p, len(out.Parts), aws.ToBool(out.IsTruncated))
			}
			marker = out.NextPartNumberMarker
		}
	}
	b.StopTimer()
	med := func(d []time.Duration) time.Duration {
		s := append([]time.Duration(nil), d...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		return s[len(s)/2]
	}
	worst := time.Duration(0)
	for p := range pageTimes {
		worst = max(worst, med(pageTimes[p]))
	}
	b.ReportMetric(float64(med(pageTimes[0]).Microseconds()), "µs-page1")
	b.ReportMetric(float64(med(pageTimes[9]).Microseconds()), "µs-page10")
	b.ReportMetric(float64(worst.Microseconds()), "µs-worst-page")
}

// BenchmarkMPUploadPart: 1 MiB parts, one at a time.
func BenchmarkMPUploadPart(b *testing.B) {
	e := mpSetup(b)
	id := e.create("bench/uploadpart")
	body := mpBytes(mpMiB, 1)
	b.SetBytes(mpMiB)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.uploadPart("bench/uploadpart", id, int32(i%10000+1), body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMPComplete100Parts: CompleteMultipartUpload of 100 parts. Also
// reports the blob bytes written during Complete (metadata-only: 0).
func BenchmarkMPComplete100Parts(b *testing.B) {
	e := mpSetup(b, tesseratest.WithMinPartSize(1))
	var written int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		key := fmt.Sprintf("bench/complete/%d", i)
		id := e.create(key)
		etags := e.parts(key, id, mpSeq(1, 100), func(n int32) []byte { return mpBytes(1024, uint64(n)) }, 16)
		parts := mpCPs(etags)
		before := mpBlobBytes(mpBlobs(b, e.srv.DataDir))
		b.StartTimer()
		if _, err := e.complete(key, id, parts); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		written += mpBlobBytes(mpBlobs(b, e.srv.DataDir)) - before
		b.StartTimer()
	}
	b.ReportMetric(float64(written)/float64(b.N), "blobB-written/op")
}
