package conformance

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

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

// BenchmarkPerfListPartsSDKDecode10Pages is the client's share of
// BenchmarkMPListPartsWalk10000: aws-sdk-go-v2 decoding, ten times, the
// exact 1000-part page this server sent, replayed by an in-memory
// transport so that neither the server nor the network is measured. It is
// the floor under any SDK walk of 10,000 parts on this machine.
func BenchmarkPerfListPartsSDKDecode10Pages(b *testing.B) {
	e := mpSetup(b, tesseratest.WithMinPartSize(1))
	id := e.create("bench/decode")
	e.parts("bench/decode", id, mpSeq(1, 1000), func(n int32) []byte { return mpTiny(n, 0) }, 16)
	resp := mpRaw(b, e.srv, "GET", "/"+e.bucket+"/bench/decode?uploadId="+url.QueryEscape(id), nil, nil)
	if resp.StatusCode != 200 {
		b.Fatalf("ListParts: %d %s", resp.StatusCode, resp.Body)
	}
	c := s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String("http://127.0.0.1:1"),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		HTTPClient:   &http.Client{Transport: replayTransport(resp.Body)},
	})
	in := &s3.ListPartsInput{Bucket: aws.String(e.bucket), Key: aws.String("bench/decode"), UploadId: aws.String(id)}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for p := 0; p < 10; p++ {
			out, err := c.ListParts(context.Background(), in)
			if err != nil {
				b.Fatal(err)
			}
			if len(out.Parts) != 1000 || aws.ToInt32(out.Parts[999].PartNumber) != 1000 {
				b.Fatalf("decoded %d parts", len(out.Parts))
			}
		}
	}
}

// replayTransport answers every request with 200 and body.
type replayTransport []byte

func (body replayTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{
		StatusCode:    200,
		Header:        http.Header{"Content-Type": {"application/xml"}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       r,
	}, nil
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
