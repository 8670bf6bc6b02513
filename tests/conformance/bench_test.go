package conformance

import (
	"bytes"
	"fmt"
	"io"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

var benchSizes = []struct {
	name string
	size int
}{{"4KiB", 4 << 10}, {"1MiB", 1 << 20}}

// BenchmarkPutObject measures PutObject through aws-sdk-go-v2 (default
// checksum settings) against a plain-HTTP server on loopback: signing,
// the SDK's CRC32, the server's MD5+CRC64NVME, fsync and the metadata commit.
func BenchmarkPutObject(b *testing.B) {
	for _, bs := range benchSizes {
		b.Run(bs.name, func(b *testing.B) {
			srv := tesseratest.New(b)
			c := sdkClient(srv)
			bucket := newBucket(b, c)
			data := randBytes(bs.size, 50)
			b.SetBytes(int64(bs.size))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				_, err := c.PutObject(ctx(), &s3.PutObjectInput{
					Bucket: aws.String(bucket), Key: aws.String(fmt.Sprintf("k%d", i%64)), Body: bytes.NewReader(data),
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPutObjectParallel1MiB: 8 clients PUT 1 MiB objects at once —
// the scale-out comparison: run it with TESSERA_TEST_META=postgres (one
// gateway) and with TESSERA_TEST_GATEWAYS=3 (three, behind a balancer).
func BenchmarkPutObjectParallel1MiB(b *testing.B) {
	srv := tesseratest.New(b)
	c := sdkClient(srv)
	bucket := newBucket(b, c)
	data := randBytes(1<<20, 51)
	var n atomic.Int64
	b.SetBytes(1 << 20)
	b.SetParallelism(4) // 8 clients on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := fmt.Sprintf("k%d", n.Add(1)%256)
			if _, err := c.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkGetObject measures a whole-object GetObject (body read to the
// end, the SDK validating the returned checksum) over plain HTTP.
func BenchmarkGetObject(b *testing.B) {
	for _, bs := range benchSizes {
		b.Run(bs.name, func(b *testing.B) {
			srv := tesseratest.New(b)
			c := sdkClient(srv)
			bucket := newBucket(b, c)
			data := randBytes(bs.size, 51)
			put(b, c, bucket, "obj", data)
			b.SetBytes(int64(bs.size))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				out, err := c.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("obj")})
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, out.Body)
				out.Body.Close()
				if err != nil || n != int64(bs.size) {
					b.Fatalf("read %d bytes, %v", n, err)
				}
			}
		})
	}
}
