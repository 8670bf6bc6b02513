package transfer

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/checksum"
	"github.com/tessera-s3/tessera/internal/tesseratest"
)

const MiB = 1 << 20

// newTransfer starts a server with a bucket and returns a Transfer for it
// whose listings come in pages of two (so every resume reads many pages).
func newTransfer(t *testing.T) (*Transfer, *tesseratest.Server) {
	t.Helper()
	srv := tesseratest.New(t)
	c := srv.S3()
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
	return &Transfer{S3: c, Opt: Options{Parallel: 3, PartSize: 5 * MiB, ListPage: 2,
		States: States{Dir: t.TempDir()}}}, srv
}

func writeRandom(t *testing.T, size int) (string, []byte) {
	t.Helper()
	data := make([]byte, size)
	rand.Read(data)
	p := filepath.Join(t.TempDir(), "src.bin")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, data
}

func getObject(t *testing.T, c *s3.Client, key string) []byte {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	b, _ := io.ReadAll(out.Body)
	return b
}

// An interrupted upload with parts 1 and 3 intact (part 3 on the second
// page of ListParts) and part 2 holding wrong
// bytes of the right size resumes: 1 and 3 are reused, 2 is re-sent, 4
// and 5 are sent, and the object is the file.
func TestUploadResumesFromListedParts(t *testing.T) {
	tr, _ := newTransfer(t)
	ctx := context.Background()
	src, data := writeRandom(t, 23*MiB)
	s, err := openSource(src)
	if err != nil {
		t.Fatal(err)
	}
	defer s.f.Close()
	dst := Location{Bucket: "bkt", Key: "big"}
	// Three other uploads of the key, started first, put ours on the
	// second page of ListMultipartUploads (pages of two, oldest first).
	var others []string
	for range 3 {
		out, err := tr.S3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String("big")})
		if err != nil {
			t.Fatal(err)
		}
		others = append(others, aws.ToString(out.UploadId))
	}
	st, err := tr.create(ctx, s, dst, 5*MiB)
	if err != nil {
		t.Fatal(err)
	}
	page1, err := tr.S3.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("bkt"), MaxUploads: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range page1.Uploads {
		if aws.ToString(u.UploadId) == st.UploadID {
			t.Fatalf("our upload is on the first page of ListMultipartUploads: the test proves nothing about paging")
		}
	}
	wrong := bytes.Repeat([]byte{7}, 5*MiB)
	for i, body := range map[int32][]byte{1: data[:5*MiB], 2: wrong, 3: data[10*MiB : 15*MiB]} {
		if _, err := tr.S3.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("bkt"), Key: aws.String("big"),
			UploadId: &st.UploadID, PartNumber: aws.Int32(i), Body: bytes.NewReader(body),
			ChecksumAlgorithm: types.ChecksumAlgorithmCrc64nvme}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := tr.Upload(ctx, src, dst)
	if err != nil {
		t.Fatal(err)
	}
	if res.UploadID != st.UploadID || res.Reused != 2 || res.Sent != 3 || res.Parts != 5 {
		t.Errorf("result %+v: want upload %s, 2 reused, 3 sent of 5", res, st.UploadID)
	}
	if got := getObject(t, tr.S3, "big"); !bytes.Equal(got, data) {
		t.Errorf("object differs from the file (%d bytes, want %d)", len(got), len(data))
	}
	for _, id := range others {
		if _, err := tr.S3.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("bkt"), Key: aws.String("big"), UploadId: aws.String(id)}); err != nil {
			t.Errorf("another client's upload %s of the key: %v (it must be left alone)", id, err)
		}
	}
	if st, _ := tr.Opt.States.Load("upload", s.path, dst.String()); st != nil {
		t.Errorf("state left after a complete upload: %+v", st)
	}
}

// A download whose state names chunks 1 and 3 as on disk fetches only the
// other three and verifies the whole file against the object's CRC64NVME.
func TestDownloadResumesFromChunks(t *testing.T) {
	tr, _ := newTransfer(t)
	ctx := context.Background()
	src, data := writeRandom(t, 23*MiB)
	if _, err := tr.Upload(ctx, src, Location{Bucket: "bkt", Key: "big"}); err != nil {
		t.Fatal(err)
	}
	obj := Location{Bucket: "bkt", Key: "big"}
	dst := filepath.Join(t.TempDir(), "out.bin")
	partial := make([]byte, len(data))
	done := map[int]string{}
	for _, i := range []int{1, 3} {
		off, n := partRange(i, 5*MiB, int64(len(data)))
		copy(partial[off:off+n], data[off:off+n])
		c := checksum.CRC64NVME.New()
		c.Write(data[off : off+n])
		done[i] = b64(c.Sum(nil))
	}
	if err := os.WriteFile(dst+partSuffix, partial, 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := tr.head(ctx, obj)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Opt.States.Save(&State{Kind: "download", Source: obj.String(), Dest: dst, Size: o.size,
		ETag: o.etag, PartSize: 5 * MiB, Done: done}); err != nil {
		t.Fatal(err)
	}
	res, err := tr.Download(ctx, obj, dst)
	if err != nil {
		t.Fatal(err)
	}
	if res.Reused != 2 || res.Sent != 3 {
		t.Errorf("result %+v: want 2 chunks reused, 3 fetched", res)
	}
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, data) {
		t.Errorf("downloaded file differs from the object")
	}
	if _, err := os.Stat(dst + partSuffix); !os.IsNotExist(err) {
		t.Errorf("%s left behind: %v", partSuffix, err)
	}
}

// Copies inside S3, of one part (CopyObject) and of many (UploadPartCopy),
// are byte-exact and carry the source's CRC64NVME.
func TestCopy(t *testing.T) {
	tr, _ := newTransfer(t)
	ctx := context.Background()
	for _, size := range []int{3 * MiB, 23 * MiB} {
		src, data := writeRandom(t, size)
		up, err := tr.Upload(ctx, src, Location{Bucket: "bkt", Key: "src"})
		if err != nil {
			t.Fatal(err)
		}
		res, err := tr.Copy(ctx, Location{Bucket: "bkt", Key: "src"}, Location{Bucket: "bkt", Key: "dir/"})
		if err != nil {
			t.Fatalf("%d bytes: %v", size, err)
		}
		if res.Checksum != up.Checksum {
			t.Errorf("%d bytes: copy's CRC64NVME %q, source's %q", size, res.Checksum, up.Checksum)
		}
		if got := getObject(t, tr.S3, "dir/src"); !bytes.Equal(got, data) {
			t.Errorf("%d bytes: copy differs from the source", size)
		}
	}
}
