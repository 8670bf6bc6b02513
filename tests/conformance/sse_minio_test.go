package conformance

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"io"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/encrypt"
)

// TestSSEMinio: minio-go, a second real client, with its own encryption
// helpers over TLS: encrypt.NewSSEC (SSE-C headers on every request of an
// object, multipart parts and Complete included) and encrypt.NewSSE
// (SSE-S3). Round trips are byte-exact; the
// answers are S3's (research10 Q3: no key 400, another key 403; Q9: SSE-S3
// echoed as x-amz-server-side-encryption: AES256).
func TestSSEMinio(t *testing.T) {
	e := ckNew(t, true)
	mc := e.srv.Minio()
	ctx := context.Background()
	rawKey := func(fill byte) []byte {
		k := bytes.Repeat([]byte{fill}, 32)
		k[0] = 0x5e
		return k
	}
	ssec := func(k []byte) encrypt.ServerSide {
		s, err := encrypt.NewSSEC(k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	k1, k2 := rawKey(21), rawKey(22)
	sum := md5.Sum(k1)
	k1MD5 := base64.StdEncoding.EncodeToString(sum[:])
	const mib5 = 5 << 20
	small := ckRand(200_000, 31)
	large := ckRand(2*mib5+777, 32) // minio-go multipart: three 5 MiB parts

	get := func(key string, opts minio.GetObjectOptions) ([]byte, error) {
		o, err := mc.GetObject(ctx, e.bucket, key, opts)
		if err != nil {
			return nil, err
		}
		defer o.Close()
		return io.ReadAll(o)
	}
	wantStatus := func(what string, err error, status int, code string) {
		t.Helper()
		r := minio.ToErrorResponse(err)
		if err == nil || r.StatusCode != status || (code != "" && r.Code != code) {
			t.Errorf("%s: %v (status %d code %q), want %d %s", what, err, r.StatusCode, r.Code, status, code)
		}
	}

	cases := []struct {
		name string
		body []byte
		put  encrypt.ServerSide
		read encrypt.ServerSide // what GET/Stat send (nil for SSE-S3)
		// header and value StatObject must report.
		hdr, val string
	}{
		{"SSE-C single", small, ssec(k1), ssec(k1), "X-Amz-Server-Side-Encryption-Customer-Key-Md5", k1MD5},
		{"SSE-C multipart", large, ssec(k1), ssec(k1), "X-Amz-Server-Side-Encryption-Customer-Key-Md5", k1MD5},
		{"SSE-S3 single", small, encrypt.NewSSE(), nil, "X-Amz-Server-Side-Encryption", "AES256"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			key := "minio-" + c.name
			info, err := mc.PutObject(ctx, e.bucket, key, bytes.NewReader(c.body), int64(len(c.body)),
				minio.PutObjectOptions{ServerSideEncryption: c.put, PartSize: mib5})
			if err != nil {
				t.Fatalf("PutObject: %v", err)
			}
			if info.Size != int64(len(c.body)) {
				t.Errorf("PutObject size %d", info.Size)
			}
			st, err := mc.StatObject(ctx, e.bucket, key, minio.StatObjectOptions{ServerSideEncryption: c.read})
			if err != nil {
				t.Fatalf("StatObject: %v", err)
			}
			if got := st.Metadata.Get(c.hdr); got != c.val || st.Size != int64(len(c.body)) {
				t.Errorf("StatObject %s = %q size %d, want %q %d", c.hdr, got, st.Size, c.val, len(c.body))
			}
			got, err := get(key, minio.GetObjectOptions{ServerSideEncryption: c.read})
			if err != nil || !bytes.Equal(got, c.body) {
				t.Fatalf("GetObject: %v (equal %v)", err, bytes.Equal(got, c.body))
			}
			ro := minio.GetObjectOptions{ServerSideEncryption: c.read}
			ro.SetRange(65530, 131080) // across 64 KiB encryption packages
			if got, err := get(key, ro); err != nil || !bytes.Equal(got, c.body[65530:131081]) {
				t.Errorf("ranged GetObject: %v", err)
			}
			if c.read == nil {
				return
			}
			_, err = mc.StatObject(ctx, e.bucket, key, minio.StatObjectOptions{})
			wantStatus("StatObject without the key", err, 400, "")
			_, err = get(key, minio.GetObjectOptions{})
			wantStatus("GetObject without the key", err, 400, "InvalidRequest")
			_, err = get(key, minio.GetObjectOptions{ServerSideEncryption: ssec(k2)})
			wantStatus("GetObject with another key", err, 403, "AccessDenied")
		})
	}

	// minio-go repeats x-amz-server-side-encryption on CompleteMultipartUpload
	// for any endpoint but AWS's. S3 refuses the header there (ClickHouse#64570);
	// Tessera accepts it when it names the upload's own mode, so MinIO users'
	// SSE-S3 multipart uploads work.
	t.Run("SSE-S3 multipart", func(t *testing.T) {
		if _, err := mc.PutObject(ctx, e.bucket, "minio-sse-s3-mp", bytes.NewReader(large), int64(len(large)),
			minio.PutObjectOptions{ServerSideEncryption: encrypt.NewSSE(), PartSize: mib5}); err != nil {
			t.Fatalf("SSE-S3 multipart PutObject: %v", err)
		}
		st, err := mc.StatObject(ctx, e.bucket, "minio-sse-s3-mp", minio.StatObjectOptions{})
		if err != nil || st.Metadata.Get("X-Amz-Server-Side-Encryption") != "AES256" {
			t.Errorf("StatObject: %v", err)
		}
		if got, err := get("minio-sse-s3-mp", minio.GetObjectOptions{}); err != nil || !bytes.Equal(got, large) {
			t.Errorf("GET: %v", err)
		}
	})

	// CopyObject between SSE-C keys (minio-go sends the source key as the
	// x-amz-copy-source-… headers), then to SSE-S3.
	t.Run("copy", func(t *testing.T) {
		src := minio.CopySrcOptions{Bucket: e.bucket, Object: "minio-SSE-C single", Encryption: ssec(k1)}
		if _, err := mc.CopyObject(ctx, minio.CopyDestOptions{Bucket: e.bucket, Object: "minio-copy-c", Encryption: ssec(k2)}, src); err != nil {
			t.Fatalf("CopyObject SSE-C → SSE-C: %v", err)
		}
		if got, err := get("minio-copy-c", minio.GetObjectOptions{ServerSideEncryption: ssec(k2)}); err != nil || !bytes.Equal(got, small) {
			t.Errorf("GET the SSE-C copy: %v", err)
		}
		if _, err := mc.CopyObject(ctx, minio.CopyDestOptions{Bucket: e.bucket, Object: "minio-copy-s3", Encryption: encrypt.NewSSE()}, src); err != nil {
			t.Fatalf("CopyObject SSE-C → SSE-S3: %v", err)
		}
		st, err := mc.StatObject(ctx, e.bucket, "minio-copy-s3", minio.StatObjectOptions{})
		if err != nil || st.Metadata.Get("X-Amz-Server-Side-Encryption") != "AES256" {
			t.Errorf("StatObject the SSE-S3 copy: %v", err)
		}
		if got, err := get("minio-copy-s3", minio.GetObjectOptions{}); err != nil || !bytes.Equal(got, small) {
			t.Errorf("GET the SSE-S3 copy: %v", err)
		}
	})
}
