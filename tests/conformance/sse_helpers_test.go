package conformance

// Helpers of the server-side encryption tests (sse_*_test.go).

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// sseCKey is an SSE-C key as the SDKs send it: base64 key and base64 MD5.
type sseCKey struct{ key, md5 string }

func newSSECKey(fill byte) sseCKey {
	k := bytes.Repeat([]byte{fill}, 32)
	k[0] = 0x5e // not a single repeated byte
	sum := md5.Sum(k)
	return sseCKey{base64.StdEncoding.EncodeToString(k), base64.StdEncoding.EncodeToString(sum[:])}
}

// set fills the three SSE-C fields of an SDK input (pointers to them).
func (k sseCKey) set(alg, key, md5 **string) {
	*alg, *key, *md5 = aws.String("AES256"), aws.String(k.key), aws.String(k.md5)
}

// sseGet reads key with SSE-C key k (nil: none) and returns the body.
func sseGet(c *s3.Client, bucket, key string, k *sseCKey, mods ...func(*s3.GetObjectInput)) ([]byte, *s3.GetObjectOutput, error) {
	in := &s3.GetObjectInput{Bucket: &bucket, Key: &key}
	if k != nil {
		k.set(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
	}
	for _, m := range mods {
		m(in)
	}
	out, err := c.GetObject(ckCtx(), in)
	if err != nil {
		return nil, nil, err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return b, out, err
}

// sseDiskHolds reports whether any file under dir contains a 64-byte run of
// secret, the test that the plaintext never reached the disk.
func sseDiskHolds(t testing.TB, dir string, secret []byte) string {
	t.Helper()
	var found string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || found != "" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for off := 0; off+64 <= len(secret); off += 64 {
			if bytes.Contains(b, secret[off:off+64]) {
				found = path
				return nil
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", dir, err)
	}
	return found
}

// sseSetDefault makes alg the default encryption of the env's bucket
// through the SDK's PutBucketEncryption.
func (e *ckEnv) sseSetDefault(alg types.ServerSideEncryption) {
	e.t.Helper()
	_, err := e.c.PutBucketEncryption(ckCtx(), &s3.PutBucketEncryptionInput{Bucket: &e.bucket,
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: alg},
		}}}})
	if err != nil {
		e.t.Fatalf("PutBucketEncryption %s: %v", alg, err)
	}
}

// sseEncDoc is a ServerSideEncryptionConfiguration document holding rules
// (raw XML), with the Content-MD5 S3 requires on its PUT.
func sseEncDoc(rules string) ([]byte, http.Header) {
	doc := []byte(`<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + rules + `</ServerSideEncryptionConfiguration>`)
	sum := md5.Sum(doc)
	hdr := http.Header{}
	hdr.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))
	return doc, hdr
}

// sseErrField is one element of a raw S3 error body (ArgumentName, BucketName …).
func sseErrField(body []byte, name string) string {
	var x struct {
		Fields []struct {
			XMLName xml.Name
			Value   string `xml:",chardata"`
		} `xml:",any"`
	}
	_ = xml.Unmarshal(body, &x)
	for _, f := range x.Fields {
		if f.XMLName.Local == name {
			return f.Value
		}
	}
	return ""
}

// sseMPUStart starts an upload of key encrypted with mode (SSE-S3 or
// SSE-KMS under kmsID) and uploads parts; it returns the upload ID and the
// part list a Complete sends.
func (e *ckEnv) sseMPUStart(key string, mode types.ServerSideEncryption, kmsID string, parts [][]byte) (string, []types.CompletedPart) {
	e.t.Helper()
	in := &s3.CreateMultipartUploadInput{Bucket: &e.bucket, Key: &key, ServerSideEncryption: mode}
	if kmsID != "" {
		in.SSEKMSKeyId = &kmsID
	}
	out, err := e.c.CreateMultipartUpload(ckCtx(), in)
	if err != nil {
		e.t.Fatalf("CreateMultipartUpload %s %s: %v", key, mode, err)
	}
	id := aws.ToString(out.UploadId)
	var done []types.CompletedPart
	for i, p := range parts {
		up := e.mustPart(key, id, int32(i+1), p, "")
		done = append(done, ckCompleted(int32(i+1), aws.ToString(up.ETag), "", ""))
	}
	return id, done
}

// sseMPU uploads and completes a multipart object (see sseMPUStart).
func (e *ckEnv) sseMPU(key string, mode types.ServerSideEncryption, kmsID string, parts [][]byte) {
	e.t.Helper()
	id, done := e.sseMPUStart(key, mode, kmsID, parts)
	if _, err := e.complete(key, id, done); err != nil {
		e.t.Fatalf("CompleteMultipartUpload %s: %v", key, err)
	}
}

// sseWantBodies reads every object of want (with its SSE-C key when
// ssec names one) and fails unless each comes back byte for byte.
func (e *ckEnv) sseWantBodies(stage string, want map[string][]byte, ssec map[string]sseCKey) {
	e.t.Helper()
	for key, body := range want {
		var k *sseCKey
		if sk, ok := ssec[key]; ok {
			k = &sk
		}
		got, _, err := sseGet(e.c, e.bucket, key, k)
		if err != nil || !bytes.Equal(got, body) {
			e.t.Fatalf("%s: GET %s: %v (%d bytes, want %d byte-exact)", stage, key, err, len(got), len(body))
		}
	}
}

// sseLogs collects a test server's log lines (tesseratest.WithLogger).
type sseLogs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *sseLogs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *sseLogs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// sseBlobFiles fingerprints every blob file under a data directory (name
// and SHA-256 of the content, in path order): equal fingerprints mean no
// blob was written, added or removed in between.
func sseBlobFiles(t testing.TB, dataDir string) []byte {
	t.Helper()
	var out bytes.Buffer
	err := filepath.WalkDir(filepath.Join(dataDir, "blobs"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		fmt.Fprintf(&out, "%s %x\n", path, sum)
		return nil
	})
	if err != nil {
		t.Fatalf("walking the blobs: %v", err)
	}
	return out.Bytes()
}

// sseWantVersions reads every version of want (key → version ID → body)
// by its version ID and fails unless each comes back byte for byte.
func (e *ckEnv) sseWantVersions(stage string, want map[string]map[string][]byte) {
	e.t.Helper()
	for key, vs := range want {
		for id, body := range vs {
			got, _, err := sseGet(e.c, e.bucket, key, nil, func(in *s3.GetObjectInput) { in.VersionId = aws.String(id) })
			if err != nil || !bytes.Equal(got, body) {
				e.t.Fatalf("%s: GET %s version %s: %v (%d bytes, want %d byte-exact)", stage, key, id, err, len(got), len(body))
			}
		}
	}
}

// sseLatestVersion is the key's latest version ID as HeadObject reports it.
func (e *ckEnv) sseLatestVersion(key string) string {
	e.t.Helper()
	out, err := e.c.HeadObject(ckCtx(), &s3.HeadObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key)})
	if err != nil {
		e.t.Fatalf("HeadObject(%s): %v", key, err)
	}
	return aws.ToString(out.VersionId)
}
