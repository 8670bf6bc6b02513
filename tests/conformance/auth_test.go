package conformance

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

func withCreds(ak, sk string) func(*s3.Options) {
	return func(o *s3.Options) { o.Credentials = credentials.NewStaticCredentialsProvider(ak, sk, "") }
}

func TestAuthWrongCredentials(t *testing.T) {
	t.Parallel()
	bothTransports(t, func(t *testing.T, srv *tesseratest.Server) {
		c := sdkClient(srv)
		b := newBucket(t, c)
		put(t, c, b, "exists", []byte("x"))

		for _, tc := range []struct {
			name, ak, sk, code string
		}{
			{"wrong secret", accessKey, secretKey + "x", "SignatureDoesNotMatch"},
			{"unknown key", "AKIAUNKNOWNKEY000000", secretKey, "InvalidAccessKeyId"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				bad := sdkClient(srv, withCreds(tc.ak, tc.sk))
				_, err := bad.ListBuckets(ctx(), &s3.ListBucketsInput{})
				wantErr(t, err, tc.code, http.StatusForbidden)
				_, err = bad.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("exists")})
				wantErr(t, err, tc.code, http.StatusForbidden)
				_, err = bad.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("bad-put"), Body: bytes.NewReader(randBytes(10_000, 5))})
				wantErr(t, err, tc.code, http.StatusForbidden)
				wantAbsent(t, c, b, "bad-put")
				_, err = bad.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("exists")})
				wantErr(t, err, tc.code, http.StatusForbidden)
				wantBody(t, c, b, "exists", []byte("x"))
				_, err = bad.CreateBucket(ctx(), &s3.CreateBucketInput{Bucket: aws.String("bad-creds-bucket")})
				wantErr(t, err, tc.code, http.StatusForbidden)

				mc, err := minio.New(srv.Host(), &minio.Options{
					Creds: miniocreds.NewStaticV4(tc.ak, tc.sk, ""), Secure: strings.HasPrefix(srv.URL, "https"),
					Region: region, Transport: srv.HTTPClient().Transport,
				})
				if err != nil {
					t.Fatal(err)
				}
				_, err = mc.PutObject(ctx(), b, "bad-minio", bytes.NewReader(randBytes(10_000, 6)), 10_000, minio.PutObjectOptions{})
				wantMinioErr(t, err, tc.code, http.StatusForbidden)
				wantAbsent(t, c, b, "bad-minio")
			})
		}
	})
}

func TestAuthAnonymous(t *testing.T) {
	t.Parallel()
	srv := tesseratest.New(t)
	c := sdkClient(srv)
	b := newBucket(t, c)
	put(t, c, b, "private", []byte("secret"))
	anon := sdkClient(srv, func(o *s3.Options) { o.Credentials = aws.AnonymousCredentials{} })

	_, err := anon.ListBuckets(ctx(), &s3.ListBucketsInput{})
	wantErr(t, err, "AccessDenied", http.StatusForbidden)
	_, err = anon.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("private")})
	wantErr(t, err, "AccessDenied", http.StatusForbidden)
	_, err = anon.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("anon"), Body: strings.NewReader("x")})
	wantErr(t, err, "AccessDenied", http.StatusForbidden)
	wantAbsent(t, c, b, "anon")
	_, err = anon.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String(b)})
	wantErr(t, err, "AccessDenied", http.StatusForbidden)

	// Plain HTTP, no signature at all.
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		r := newRaw(t, srv, m, objectPath(b, "private"), nil)
		resp, body := do(t, srv, r)
		wantRawErr(t, resp, body, "AccessDenied", http.StatusForbidden)
	}
	wantBody(t, c, b, "private", []byte("secret"))
}

func TestAuthPresignedV4(t *testing.T) {
	t.Parallel()
	bothTransports(t, func(t *testing.T, srv *tesseratest.Server) {
		c := sdkClient(srv)
		b := newBucket(t, c)
		ps := s3.NewPresignClient(c, s3.WithPresignExpires(15*time.Minute))
		hc := srv.HTTPClient()
		data := randBytes(50_000, 7)

		// Presigned PUT.
		preq, err := ps.PresignPutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("pre/signed put.bin")})
		if err != nil {
			t.Fatal(err)
		}
		r, _ := http.NewRequest(preq.Method, preq.URL, bytes.NewReader(data))
		for k, vs := range preq.SignedHeader {
			if strings.EqualFold(k, "Host") {
				continue
			}
			r.Header[k] = vs
		}
		resp, body := do(t, srv, r)
		wantStatus(t, resp, body, http.StatusOK)
		wantBody(t, c, b, "pre/signed put.bin", data)

		// Presigned GET.
		greq, err := ps.PresignGetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("pre/signed put.bin")})
		if err != nil {
			t.Fatal(err)
		}
		gr, err := hc.Get(greq.URL)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(gr.Body)
		gr.Body.Close()
		if gr.StatusCode != 200 || !bytes.Equal(got, data) {
			t.Errorf("presigned GET: status %d, %d bytes", gr.StatusCode, len(got))
		}

		// Presigned HEAD and DELETE.
		hreq, err := ps.PresignHeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("pre/signed put.bin")})
		if err != nil {
			t.Fatal(err)
		}
		hr, _ := http.NewRequest(http.MethodHead, hreq.URL, nil)
		resp, body = do(t, srv, hr)
		wantStatus(t, resp, body, http.StatusOK)

		// Tampering: another key with the same signature.
		tampered := strings.Replace(greq.URL, "signed%20put.bin", "signed%20put.bix", 1)
		if tampered == greq.URL {
			t.Fatalf("could not tamper with %s", greq.URL)
		}
		tr, _ := http.NewRequest(http.MethodGet, tampered, nil)
		resp, body = do(t, srv, tr)
		wantRawErr(t, resp, body, "SignatureDoesNotMatch", http.StatusForbidden)
		// Tampering: a changed query parameter.
		tr, _ = http.NewRequest(http.MethodGet, strings.Replace(greq.URL, "X-Amz-Expires=900", "X-Amz-Expires=901", 1), nil)
		resp, body = do(t, srv, tr)
		wantRawErr(t, resp, body, "SignatureDoesNotMatch", http.StatusForbidden)
		// Tampering: a wrong signature.
		i := strings.Index(greq.URL, "X-Amz-Signature=") + len("X-Amz-Signature=")
		tr, _ = http.NewRequest(http.MethodGet, greq.URL[:i]+corruptHex(greq.URL[i:]), nil)
		resp, body = do(t, srv, tr)
		wantRawErr(t, resp, body, "SignatureDoesNotMatch", http.StatusForbidden)

		dreq, err := ps.PresignDeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("pre/signed put.bin")})
		if err != nil {
			t.Fatal(err)
		}
		dr, _ := http.NewRequest(http.MethodDelete, dreq.URL, nil)
		resp, body = do(t, srv, dr)
		wantStatus(t, resp, body, http.StatusNoContent)
		wantAbsent(t, c, b, "pre/signed put.bin")

		// minio-go presigned PUT and GET.
		pu, err := srv.Minio().PresignedPutObject(ctx(), b, "minio-presigned", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		r, _ = http.NewRequest(http.MethodPut, pu.String(), bytes.NewReader(data[:1000]))
		resp, body = do(t, srv, r)
		wantStatus(t, resp, body, http.StatusOK)
		wantBody(t, c, b, "minio-presigned", data[:1000])
	})
}

// testClock is a server clock that tests can move.
type testClock struct{ off atomic.Int64 }

func (c *testClock) now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *testClock) advance(d time.Duration) { c.off.Add(int64(d)) }

func TestAuthPresignExpiry(t *testing.T) {
	t.Parallel()
	clk := &testClock{}
	srv := tesseratest.New(t, tesseratest.WithClock(clk.now))
	c := sdkClient(srv)
	b := newBucket(t, c)
	put(t, c, b, "k", []byte("v"))

	presign := func(t *testing.T, expires string, ts time.Time) string {
		t.Helper()
		r := newRaw(t, srv, http.MethodGet, objectPath(b, "k")+"?X-Amz-Expires="+expires, nil)
		return tesseratest.Presign(t, r, ts, accessKey, secretKey)
	}
	fetch := func(t *testing.T, u string) (*http.Response, []byte) {
		t.Helper()
		r, _ := http.NewRequest(http.MethodGet, u, nil)
		return do(t, srv, r)
	}

	t.Run("valid", func(t *testing.T) {
		resp, body := fetch(t, presign(t, "60", time.Now()))
		wantStatus(t, resp, body, http.StatusOK)
	})
	t.Run("signed in the past, still valid", func(t *testing.T) {
		resp, body := fetch(t, presign(t, "86400", time.Now().Add(-2*time.Hour)))
		wantStatus(t, resp, body, http.StatusOK)
	})
	t.Run("expired", func(t *testing.T) {
		resp, body := fetch(t, presign(t, "60", time.Now().Add(-10*time.Minute)))
		wantRawErr(t, resp, body, "AccessDenied", http.StatusForbidden)
	})
	t.Run("seven days is the maximum", func(t *testing.T) {
		resp, body := fetch(t, presign(t, "604800", time.Now()))
		wantStatus(t, resp, body, http.StatusOK)
	})
	t.Run("more than seven days", func(t *testing.T) {
		resp, body := fetch(t, presign(t, "604801", time.Now()))
		wantRawErr(t, resp, body, "AuthorizationQueryParametersError", http.StatusBadRequest)
	})
	t.Run("negative expiry", func(t *testing.T) {
		resp, body := fetch(t, presign(t, "-1", time.Now()))
		if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusForbidden {
			t.Errorf("X-Amz-Expires=-1: status %d, want 400 or 403 (body %s)", resp.StatusCode, body)
		}
	})
	t.Run("SDK presign expires on the server clock", func(t *testing.T) {
		ps := s3.NewPresignClient(c, s3.WithPresignExpires(time.Minute))
		req, err := ps.PresignGetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
		if err != nil {
			t.Fatal(err)
		}
		resp, body := fetch(t, req.URL)
		wantStatus(t, resp, body, http.StatusOK)
		clk.advance(2 * time.Minute)
		defer clk.advance(-2 * time.Minute)
		resp, body = fetch(t, req.URL)
		wantRawErr(t, resp, body, "AccessDenied", http.StatusForbidden)
	})
}

func TestAuthClockSkew(t *testing.T) {
	t.Parallel()
	clk := &testClock{}
	srv := tesseratest.New(t, tesseratest.WithClock(clk.now))
	c := sdkClient(srv)
	b := newBucket(t, c)

	for _, tc := range []struct {
		skew time.Duration
		ok   bool
	}{
		{-20 * time.Minute, false},
		{20 * time.Minute, false},
		{-16 * time.Minute, false},
		{-10 * time.Minute, true},
		{10 * time.Minute, true},
	} {
		t.Run(fmt.Sprintf("client clock %v", tc.skew), func(t *testing.T) {
			key := fmt.Sprintf("skew%v", tc.skew)
			data := []byte("skewed")
			r := newRaw(t, srv, http.MethodPut, objectPath(b, key), data)
			signV4With(t, r, sha256Hex(data), time.Now().Add(tc.skew), accessKey, secretKey)
			resp, body := do(t, srv, r)
			if tc.ok {
				wantStatus(t, resp, body, http.StatusOK)
				return
			}
			wantRawErr(t, resp, body, "RequestTimeTooSkewed", http.StatusForbidden)
			wantAbsent(t, c, b, key)
		})
	}

	t.Run("SDK against a server 20 minutes ahead", func(t *testing.T) {
		// The SDK's default client signs with its own clock; with the
		// server's clock 20 minutes ahead the request is too skewed.
		clk.advance(20 * time.Minute)
		defer clk.advance(-20 * time.Minute)
		_, err := sdkClient(srv).PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("sdk-skew"), Body: strings.NewReader("x")})
		wantErr(t, err, "RequestTimeTooSkewed", http.StatusForbidden)
		_, err = sdkClient(srv).ListBuckets(ctx(), &s3.ListBucketsInput{})
		wantErr(t, err, "RequestTimeTooSkewed", http.StatusForbidden)
	})
	wantAbsent(t, c, b, "sdk-skew")
}

// v2Signature is base64(HMAC-SHA1(secret, stringToSign)), SigV2's signature.
func v2Signature(secret, sts string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(sts))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// presignV2 builds a legacy SigV2 query-string presigned URL as boto3 does
// for a custom endpoint.
func presignV2(srv *tesseratest.Server, method, bucket, key string, expires int64, ak, sk string) string {
	path := objectPath(bucket, key)
	sig := v2Signature(sk, method+"\n\n\n"+strconv.FormatInt(expires, 10)+"\n"+path)
	return srv.URL + path + "?AWSAccessKeyId=" + url.QueryEscape(ak) +
		"&Expires=" + strconv.FormatInt(expires, 10) + "&Signature=" + url.QueryEscape(sig)
}

func TestAuthPresignedV2(t *testing.T) {
	t.Parallel()
	bothTransports(t, func(t *testing.T, srv *tesseratest.Server) {
		c := sdkClient(srv)
		b := newBucket(t, c)
		data := randBytes(5000, 8)
		keys := []string{"plain.txt", "dir/with space/ünï.bin"}
		for _, k := range keys {
			put(t, c, b, k, data)
		}
		exp := time.Now().Add(10 * time.Minute).Unix()
		fetch := func(t *testing.T, method, u string, body []byte) (*http.Response, []byte) {
			t.Helper()
			var rd io.Reader
			if body != nil {
				rd = bytes.NewReader(body)
			}
			r, _ := http.NewRequest(method, u, rd)
			return do(t, srv, r)
		}
		for _, k := range keys {
			t.Run(k, func(t *testing.T) {
				resp, body := fetch(t, http.MethodGet, presignV2(srv, "GET", b, k, exp, accessKey, secretKey), nil)
				wantStatus(t, resp, body, http.StatusOK)
				if !bytes.Equal(body, data) {
					t.Errorf("SigV2 presigned GET: %d bytes, want %d", len(body), len(data))
				}
			})
		}
		t.Run("tampered signature", func(t *testing.T) {
			u := presignV2(srv, "GET", b, "plain.txt", exp, accessKey, secretKey)
			i := strings.Index(u, "Signature=") + len("Signature=")
			sig, _ := url.QueryUnescape(u[i:])
			bad := []byte(sig)
			bad[3] ^= 1
			if bad[3] == '+' || bad[3] == '/' || bad[3] == '=' {
				bad[3] = 'A'
			}
			resp, body := fetch(t, http.MethodGet, u[:i]+url.QueryEscape(string(bad)), nil)
			wantRawErr(t, resp, body, "SignatureDoesNotMatch", http.StatusForbidden)
		})
		t.Run("tampered expiry", func(t *testing.T) {
			u := presignV2(srv, "GET", b, "plain.txt", exp, accessKey, secretKey)
			u = strings.Replace(u, "Expires="+strconv.FormatInt(exp, 10), "Expires="+strconv.FormatInt(exp+3600, 10), 1)
			resp, body := fetch(t, http.MethodGet, u, nil)
			wantRawErr(t, resp, body, "SignatureDoesNotMatch", http.StatusForbidden)
		})
		t.Run("tampered key", func(t *testing.T) {
			put(t, c, b, "plain.txu", []byte("other"))
			u := presignV2(srv, "GET", b, "plain.txt", exp, accessKey, secretKey)
			u = strings.Replace(u, "plain.txt", "plain.txu", 1)
			resp, body := fetch(t, http.MethodGet, u, nil)
			wantRawErr(t, resp, body, "SignatureDoesNotMatch", http.StatusForbidden)
		})
		t.Run("wrong secret", func(t *testing.T) {
			resp, body := fetch(t, http.MethodGet, presignV2(srv, "GET", b, "plain.txt", exp, accessKey, "not-the-secret"), nil)
			wantRawErr(t, resp, body, "SignatureDoesNotMatch", http.StatusForbidden)
		})
		t.Run("unknown key", func(t *testing.T) {
			resp, body := fetch(t, http.MethodGet, presignV2(srv, "GET", b, "plain.txt", exp, "AKIANOTKNOWN00000000", secretKey), nil)
			wantRawErr(t, resp, body, "InvalidAccessKeyId", http.StatusForbidden)
		})
		t.Run("expired", func(t *testing.T) {
			resp, body := fetch(t, http.MethodGet, presignV2(srv, "GET", b, "plain.txt", time.Now().Add(-time.Minute).Unix(), accessKey, secretKey), nil)
			wantRawErr(t, resp, body, "AccessDenied", http.StatusForbidden)
		})
		t.Run("PUT", func(t *testing.T) {
			resp, body := fetch(t, http.MethodPut, presignV2(srv, "PUT", b, "v2-put", exp, accessKey, secretKey), []byte("via sigv2"))
			wantStatus(t, resp, body, http.StatusOK)
			wantBody(t, c, b, "v2-put", []byte("via sigv2"))
		})
		t.Run("method is signed", func(t *testing.T) {
			resp, body := fetch(t, http.MethodDelete, presignV2(srv, "GET", b, "plain.txt", exp, accessKey, secretKey), nil)
			wantRawErr(t, resp, body, "SignatureDoesNotMatch", http.StatusForbidden)
			wantBody(t, c, b, "plain.txt", data)
		})
	})
}

func TestAuthPayloadHash(t *testing.T) {
	t.Parallel()
	bothTransports(t, func(t *testing.T, srv *tesseratest.Server) {
		c := sdkClient(srv)
		b := newBucket(t, c)
		data := randBytes(200_000, 9)
		send := func(t *testing.T, key string, body []byte, hash string) (*http.Response, []byte) {
			t.Helper()
			r := newRaw(t, srv, http.MethodPut, objectPath(b, key), body)
			signV4(t, r, hash)
			return do(t, srv, r)
		}

		t.Run("real hex hash", func(t *testing.T) {
			resp, body := send(t, "hex", data, sha256Hex(data))
			wantStatus(t, resp, body, http.StatusOK)
			wantBody(t, c, b, "hex", data)
		})
		t.Run("wrong hex hash", func(t *testing.T) {
			resp, body := send(t, "hex-wrong", data, sha256Hex(data[1:]))
			wantRawErr(t, resp, body, "XAmzContentSHA256Mismatch", http.StatusBadRequest)
			wantAbsent(t, c, b, "hex-wrong")
		})
		t.Run("wrong hex hash keeps previous version", func(t *testing.T) {
			put(t, c, b, "hex-keep", []byte("old"))
			resp, body := send(t, "hex-keep", data, sha256Hex([]byte("old")))
			wantRawErr(t, resp, body, "XAmzContentSHA256Mismatch", http.StatusBadRequest)
			wantBody(t, c, b, "hex-keep", []byte("old"))
		})
		t.Run("body changed after signing", func(t *testing.T) {
			r := newRaw(t, srv, http.MethodPut, objectPath(b, "swapped"), data)
			signV4(t, r, sha256Hex(data))
			other := bytes.Clone(data)
			other[len(other)/2] ^= 0xff
			r.Body = io.NopCloser(bytes.NewReader(other))
			resp, body := do(t, srv, r)
			wantRawErr(t, resp, body, "XAmzContentSHA256Mismatch", http.StatusBadRequest)
			wantAbsent(t, c, b, "swapped")
		})
		t.Run("malformed hash", func(t *testing.T) {
			resp, body := send(t, "hex-bad", data, "not-a-hash")
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("x-amz-content-sha256: not-a-hash → %d, want 400 (%s)", resp.StatusCode, body)
			}
			wantAbsent(t, c, b, "hex-bad")
		})
		t.Run("UNSIGNED-PAYLOAD", func(t *testing.T) {
			resp, body := send(t, "unsigned", data, "UNSIGNED-PAYLOAD")
			wantStatus(t, resp, body, http.StatusOK)
			wantBody(t, c, b, "unsigned", data)
		})
		t.Run("empty body hash", func(t *testing.T) {
			resp, body := send(t, "empty", nil, emptySHA256)
			wantStatus(t, resp, body, http.StatusOK)
			wantBody(t, c, b, "empty", nil)
		})
		t.Run("signed header changed", func(t *testing.T) {
			r := newRaw(t, srv, http.MethodPut, objectPath(b, "hdr"), data)
			r.Header.Set("Content-Type", "text/plain")
			signV4(t, r, "UNSIGNED-PAYLOAD")
			r.Header.Set("Content-Type", "text/html")
			resp, body := do(t, srv, r)
			wantRawErr(t, resp, body, "SignatureDoesNotMatch", http.StatusForbidden)
			wantAbsent(t, c, b, "hdr")
		})
		t.Run("query added after signing", func(t *testing.T) {
			r := newRaw(t, srv, http.MethodGet, objectPath(b, "hex"), nil)
			signV4(t, r, emptySHA256)
			r.URL.RawQuery = "response-content-type=text%2Fhtml"
			resp, body := do(t, srv, r)
			wantRawErr(t, resp, body, "SignatureDoesNotMatch", http.StatusForbidden)
		})
		t.Run("path changed after signing", func(t *testing.T) {
			r := newRaw(t, srv, http.MethodGet, objectPath(b, "hex"), nil)
			signV4(t, r, emptySHA256)
			r.URL.Path, r.URL.RawPath = "/"+b+"/unsigned", ""
			resp, body := do(t, srv, r)
			wantRawErr(t, resp, body, "SignatureDoesNotMatch", http.StatusForbidden)
		})
		t.Run("key with reserved characters", func(t *testing.T) {
			key := "sig/ä b+c=d&e;f:g@h$i,j!k'l(m)n*o~p"
			resp, body := send(t, key, data[:100], sha256Hex(data[:100]))
			wantStatus(t, resp, body, http.StatusOK)
			wantBody(t, c, b, key, data[:100])
		})
	})
}
