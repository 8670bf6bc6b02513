package conformance

// Server-side encryption benchmarks: the same operation plain and encrypted,
// side by side in one run, through aws-sdk-go-v2 (default checksum
// settings) against a real server on 127.0.0.1, client costs included.
// SSE-C needs TLS (as on S3), so its baseline is plain over TLS; SSE-S3 and
// DSSE-KMS (two layers, under the account's aws/s3 key) are measured on
// both transports. One sub-benchmark per mode reports MB/s
// (b.SetBytes); the last, "interleaved", runs every mode once per
// iteration, in rotating order, and reports each mode's MB/s and each
// encrypted mode's throughput as a percentage of plain on its transport:
// on a machine shared with other work, only pairs measured side by side
// in time compare fairly.
//
//	go test ./tests/conformance/ -run '^$' -bench 'BenchmarkSSE(PutObject|GetObject)1MiB$' -benchtime 200x -count 3
//	go test ./tests/conformance/ -run '^$' -bench 'BenchmarkSSEUploadPart16MiBx8$' -benchtime 3x -count 3
//
// The target: encrypted at most 15 % slower than plain
// (%-of-plain ≥ 85).

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// sseBenchMode is one sub-benchmark: the transport and the encryption asked for.
type sseBenchMode struct {
	name string
	tls  bool
	sse  types.ServerSideEncryption // SSE-S3 or DSSE-KMS
	key  *sseCKey                   // SSE-C
}

var sseBenchModes = func() []sseBenchMode {
	k := newSSECKey(0x42)
	aes, dsse := types.ServerSideEncryptionAes256, types.ServerSideEncryptionAwsKmsDsse
	return []sseBenchMode{
		{"http/plain", false, "", nil},
		{"http/sse-s3", false, aes, nil},
		{"http/dsse-kms", false, dsse, nil},
		{"https/plain", true, "", nil},
		{"https/sse-s3", true, aes, nil},
		{"https/sse-c", true, "", &k},
		{"https/dsse-kms", true, dsse, nil},
	}
}()

// sseBenchTarget is a server of one transport with a client and a bucket.
type sseBenchTarget struct {
	c      *s3.Client
	bucket string
}

// sseBenchTargets starts one plain-HTTP and one TLS server, shared by the
// sub-benchmarks of one run so that every mode meets the same server.
func sseBenchTargets(b *testing.B) map[bool]sseBenchTarget {
	out := map[bool]sseBenchTarget{}
	for _, tls := range []bool{false, true} {
		var opts []tesseratest.Option
		if tls {
			opts = append(opts, tesseratest.WithTLS())
		}
		srv := tesseratest.New(b, opts...)
		c := sdkClient(srv)
		out[tls] = sseBenchTarget{c: c, bucket: newBucket(b, c)}
	}
	return out
}

// sseBenchRun runs op (one operation of size bytes in mode m; i counts
// calls per mode) as one sub-benchmark per mode, then interleaved.
func sseBenchRun(b *testing.B, size int64, op func(b *testing.B, m sseBenchMode, i int)) {
	for _, m := range sseBenchModes {
		b.Run(m.name, func(b *testing.B) {
			b.SetBytes(size)
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				op(b, m, i)
			}
		})
	}
	b.Run("interleaved", func(b *testing.B) {
		spent := make([]time.Duration, len(sseBenchModes))
		calls := 0
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			for j := range sseBenchModes {
				k := (i + j) % len(sseBenchModes) // rotate who goes first
				t0 := time.Now()
				op(b, sseBenchModes[k], i)
				spent[k] += time.Since(t0)
			}
			calls++
		}
		b.StopTimer()
		mbps := func(k int) float64 { return float64(size) * float64(calls) / 1e6 / spent[k].Seconds() }
		plain := map[bool]float64{}
		for k, m := range sseBenchModes {
			b.ReportMetric(mbps(k), "MB/s-"+m.name)
			if strings.HasSuffix(m.name, "/plain") {
				plain[m.tls] = mbps(k)
			}
		}
		for k, m := range sseBenchModes {
			if !strings.HasSuffix(m.name, "/plain") {
				b.ReportMetric(100*mbps(k)/plain[m.tls], "%-of-plain-"+m.name)
			}
		}
	})
}

// BenchmarkSSEPutObject1MiB: PutObject of 1 MiB, plain and encrypted.
func BenchmarkSSEPutObject1MiB(b *testing.B) {
	targets := sseBenchTargets(b)
	data := randBytes(1<<20, 60)
	sseBenchRun(b, int64(len(data)), func(b *testing.B, m sseBenchMode, i int) {
		t := targets[m.tls]
		in := &s3.PutObjectInput{Bucket: aws.String(t.bucket), Key: aws.String(fmt.Sprintf("put/%s/%d", m.name, i%64)),
			Body: bytes.NewReader(data), ServerSideEncryption: m.sse}
		if m.key != nil {
			m.key.set(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
		}
		if _, err := t.c.PutObject(ctx(), in); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkSSEGetObject1MiB: a whole GetObject of 1 MiB read to the end
// (the SDK validating the returned checksum), plain and encrypted.
func BenchmarkSSEGetObject1MiB(b *testing.B) {
	targets := sseBenchTargets(b)
	data := randBytes(1<<20, 61)
	for _, m := range sseBenchModes {
		t := targets[m.tls]
		put(b, t.c, t.bucket, "get/"+m.name, data, func(in *s3.PutObjectInput) {
			in.ServerSideEncryption = m.sse
			if m.key != nil {
				m.key.set(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
			}
		})
	}
	sseBenchRun(b, int64(len(data)), func(b *testing.B, m sseBenchMode, _ int) {
		t := targets[m.tls]
		in := &s3.GetObjectInput{Bucket: aws.String(t.bucket), Key: aws.String("get/" + m.name)}
		if m.key != nil {
			m.key.set(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
		}
		out, err := t.c.GetObject(ctx(), in)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, out.Body)
		out.Body.Close()
		if err != nil || n != int64(len(data)) {
			b.Fatalf("read %d bytes, %v", n, err)
		}
	})
}

// BenchmarkSSEUploadPart16MiBx8: eight 16 MiB UploadParts in parallel per
// op (as BenchmarkMPUploadPart16MiBx8), into a plain or encrypted upload.
func BenchmarkSSEUploadPart16MiBx8(b *testing.B) {
	targets := sseBenchTargets(b)
	body := mpBytes(16*mpMiB, 62)
	uploads := map[string]*string{}
	for _, m := range sseBenchModes {
		t := targets[m.tls]
		cin := &s3.CreateMultipartUploadInput{Bucket: aws.String(t.bucket), Key: aws.String("mp/" + m.name), ServerSideEncryption: m.sse}
		if m.key != nil {
			m.key.set(&cin.SSECustomerAlgorithm, &cin.SSECustomerKey, &cin.SSECustomerKeyMD5)
		}
		created, err := t.c.CreateMultipartUpload(ctx(), cin)
		if err != nil {
			b.Fatal(err)
		}
		uploads[m.name] = created.UploadId
	}
	sseBenchRun(b, 8*16*mpMiB, func(b *testing.B, m sseBenchMode, i int) {
		t := targets[m.tls]
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for w := range 8 {
			wg.Go(func() {
				in := &s3.UploadPartInput{Bucket: aws.String(t.bucket), Key: aws.String("mp/" + m.name), UploadId: uploads[m.name],
					PartNumber: aws.Int32(int32((i*8+w)%10000 + 1)), Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body)))}
				if m.key != nil {
					m.key.set(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
				}
				_, errs[w] = t.c.UploadPart(ctx(), in)
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
