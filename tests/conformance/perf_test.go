package conformance

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"testing"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// BenchmarkPerfListPartsWalk10000Raw walks a 10,000-part upload in 10 pages
// with signed raw HTTP requests: the server's share of the SDK walk in
// BenchmarkMPListPartsWalk10000, without the SDK's XML decoding.
func BenchmarkPerfListPartsWalk10000Raw(b *testing.B) {
	e := mpSetup(b, tesseratest.WithMinPartSize(1))
	id := e.create("bench/walk")
	e.parts("bench/walk", id, mpSeq(1, 10000), func(n int32) []byte { return mpTiny(n, 0) }, 16)
	next := regexp.MustCompile(`<NextPartNumberMarker>(\d+)</NextPartNumberMarker>`)
	path := "/" + e.bucket + "/bench/walk?uploadId=" + url.QueryEscape(id)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		marker := "0"
		for p := 0; p < 10; p++ {
			resp := mpRaw(b, e.srv, "GET", path+"&part-number-marker="+marker, nil, nil)
			if resp.StatusCode != 200 {
				b.Fatalf("page %d: %d %s", p, resp.StatusCode, resp.Body)
			}
			if n := bytes.Count(resp.Body, []byte("<Part>")); n != 1000 {
				b.Fatalf("page %d: %d parts", p, n)
			}
			m := next.FindSubmatch(resp.Body)
			if m == nil {
				b.Fatalf("page %d: no NextPartNumberMarker", p)
			}
			marker = string(m[1])
		}
		if marker != fmt.Sprint(10000) {
			b.Fatalf("walk ended at %s", marker)
		}
	}
}

// BenchmarkPerfUploadPart16MiBx8TLS is BenchmarkMPUploadPart16MiBx8 over
// HTTPS, where the SDK sends UNSIGNED-PAYLOAD with a CRC32 trailer instead
// of signing (and the server re-hashing) every byte with SHA-256: the
// SDK's default fast path. The disk is measured in the same run, after the
// uploads, as `dd bs=16M conv=fsync` would.
func BenchmarkPerfUploadPart16MiBx8TLS(b *testing.B) {
	e := mpSetup(b, tesseratest.WithTLS())
	got := mpUpload16MiBx8(b, e)
	disk := mpDiskMBps(b, e.srv.DataDir, 16)
	b.ReportMetric(disk, "disk-MB/s")
	b.ReportMetric(100*got/disk, "%-of-disk")
}
