package conformance

// Multipart benchmarks, through aws-sdk-go-v2 against a real server on
// 127.0.0.1 (client costs included):
//
//	go test ./tests/conformance/ -run '^$' -bench 'BenchmarkMP(ListParts|UploadPart|Complete100Parts)$' -benchtime=100x
//	go test ./tests/conformance/ -run '^$' -bench 'BenchmarkMP(ListPartsWalk10000|Complete10000Parts|UploadPart16MiBx8)$' -benchtime=3x
//
// The Complete benchmarks re-create their uploads for every iteration
// (outside the timer), so give them a count (-benchtime=Nx) rather than a
// duration.

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
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

// mpDirBytes sums the sizes of every file under dir.
func mpDirBytes(tb testing.TB, dir string) int64 {
	tb.Helper()
	var n int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// BenchmarkMPComplete10000Parts: CompleteMultipartUpload of 10,000 parts
// (1 KiB each; the engine's minimum part size lowered for the test). Every
// iteration uploads a fresh set of parts outside the timer (slow): run with
// -benchtime=1x..3x. Reports blob bytes and all data-directory bytes
// written during Complete.
func BenchmarkMPComplete10000Parts(b *testing.B) {
	e := mpSetup(b, tesseratest.WithMinPartSize(1))
	var blobW, dirW int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		key := fmt.Sprintf("bench/complete10k/%d", i)
		id := e.create(key)
		etags := e.parts(key, id, mpSeq(1, 10000), func(n int32) []byte { return mpBytes(1024, uint64(n)) }, 16)
		parts := mpCPs(etags)
		blobs0, dir0 := mpBlobBytes(mpBlobs(b, e.srv.DataDir)), mpDirBytes(b, e.srv.DataDir)
		b.StartTimer()
		if _, err := e.complete(key, id, parts); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		blobW += mpBlobBytes(mpBlobs(b, e.srv.DataDir)) - blobs0
		dirW += mpDirBytes(b, e.srv.DataDir) - dir0
		b.StartTimer()
	}
	b.ReportMetric(float64(blobW)/float64(b.N), "blobB-written/op")
	b.ReportMetric(float64(dirW)/float64(b.N), "dataDirB-delta/op")
	b.ReportMetric(10000*1024, "objectB")
}

// mpDiskMBps measures the disk's fsync'd sequential write speed in dir, as
// `dd if=/dev/zero of=F bs=16M count=N conv=fsync` does.
func mpDiskMBps(tb testing.TB, dir string, chunks int) float64 {
	tb.Helper()
	f, err := os.CreateTemp(dir, "dd-*")
	if err != nil {
		tb.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, 16*mpMiB)
	t0 := time.Now()
	for i := 0; i < chunks; i++ {
		if _, err := f.Write(buf); err != nil {
			tb.Fatal(err)
		}
	}
	if err := f.Sync(); err != nil {
		tb.Fatal(err)
	}
	return float64(chunks*16) * mpMiB / 1e6 / time.Since(t0).Seconds()
}

// BenchmarkMPUploadPart16MiBx8: 8 UploadParts of 16 MiB in parallel per
// op; reports MB/s beside the disk's own fsync'd sequential speed measured
// in the same run (256 MiB, dd-style) and the ratio.
func BenchmarkMPUploadPart16MiBx8(b *testing.B) {
	e := mpSetup(b)
	disk := mpDiskMBps(b, e.srv.DataDir, 16)
	got := mpUpload16MiBx8(b, e)
	b.ReportMetric(disk, "disk-MB/s")
	b.ReportMetric(100*got/disk, "%-of-disk")
}

// mpUpload16MiBx8 uploads b.N rounds of eight 16 MiB parts in parallel and
// returns the MB/s achieved.
func mpUpload16MiBx8(b *testing.B, e *mpEnv) float64 {
	id := e.create("bench/16x8")
	body := mpBytes(16*mpMiB, 5)
	b.SetBytes(8 * 16 * mpMiB)
	b.ResetTimer()
	t0 := time.Now()
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				_, errs[w] = e.uploadPart("bench/16x8", id, int32((i*8+w)%10000+1), body)
			}(w)
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	elapsed := time.Since(t0)
	b.StopTimer()
	return float64(b.N*8*16) * mpMiB / 1e6 / elapsed.Seconds()
}
