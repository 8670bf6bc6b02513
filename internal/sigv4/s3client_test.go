package sigv4

// The real S3 client of aws-sdk-go-v2 against Verify: over TLS the SDK
// uploads with STREAMING-UNSIGNED-PAYLOAD-TRAILER and a CRC32 trailer by
// default; over plain HTTP it signs the payload hash. Both must verify, and
// the trailer must reach Result.Trailer.

import (
	"bytes"
	"context"
	"encoding/base64"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

type seen struct {
	mode    string
	res     *Result
	body    []byte
	err     error
	trailer http.Header
}

func s3ClientServer(t *testing.T, tls bool) (*httptest.Server, chan seen) {
	v := &Verifier{Credentials: testStore}
	ch := make(chan seen, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := seen{mode: r.Header.Get("X-Amz-Content-Sha256")}
		s.res, s.err = v.Verify(r)
		if s.err == nil {
			s.body, s.err = io.ReadAll(s.res.Body)
			s.trailer = s.res.Trailer
		}
		ch <- s
		if s.err != nil {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.Header().Set("ETag", `"x"`)
	})
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	return srv, ch
}

func TestS3ClientPutObject(t *testing.T) {
	data := bytes.Repeat([]byte("tessera "), 20000) // 160 KB: several chunks
	crc := crc32.ChecksumIEEE(data)
	wantCRC := base64.StdEncoding.EncodeToString([]byte{byte(crc >> 24), byte(crc >> 16), byte(crc >> 8), byte(crc)})

	for _, tc := range []struct {
		name     string
		tls      bool
		body     func([]byte) io.Reader
		wantMode string
	}{
		// Not seekable: the SDK cannot hash it up front, so over TLS it
		// streams it with a trailing checksum.
		{"https unsigned trailer", true, func(b []byte) io.Reader { return struct{ io.Reader }{bytes.NewReader(b)} }, streamingUnsignedTrailer},
		{"http signed payload", false, func(b []byte) io.Reader { return bytes.NewReader(b) }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, ch := s3ClientServer(t, tc.tls)
			client := s3.New(s3.Options{
				Region:       "us-east-1",
				BaseEndpoint: aws.String(srv.URL),
				UsePathStyle: true,
				HTTPClient:   srv.Client(),
				Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
					return testCreds, nil
				}),
				RetryMaxAttempts: 1,
				// What config.LoadDefaultConfig would set.
				RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
			})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := client.PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String("bucket"), Key: aws.String("dir/a key+é"),
				Body: tc.body(data), ContentLength: aws.Int64(int64(len(data))),
			})
			var s seen
			select {
			case s = <-ch:
			default:
				t.Fatalf("request never reached the server: %v", err)
			}
			if s.err != nil || err != nil {
				t.Fatalf("verify: %v; client: %v (mode %s)", s.err, err, s.mode)
			}
			if tc.wantMode != "" && s.mode != tc.wantMode {
				t.Fatalf("SDK used x-amz-content-sha256 %q, test expects %q", s.mode, tc.wantMode)
			}
			if !bytes.Equal(s.body, data) {
				t.Fatalf("body: %d bytes, want %d", len(s.body), len(data))
			}
			if s.res.Streaming {
				if got := s.trailer.Get("X-Amz-Checksum-Crc32"); got != wantCRC {
					t.Fatalf("trailer %v, want crc32 %s", s.trailer, wantCRC)
				}
				if s.res.DecodedLength != int64(len(data)) {
					t.Fatalf("decoded length %d", s.res.DecodedLength)
				}
			}
		})
	}
}
