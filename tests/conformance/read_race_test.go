package conformance

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// TestReadSurvivesOverwriteAndDelete: a GET that has started streaming a
// multipart object finishes byte-exact although the object is overwritten
// and then deleted meanwhile (its later parts' blobs must not vanish under
// the reader), and the replaced bytes are freed once the reader is done.
func TestReadSurvivesOverwriteAndDelete(t *testing.T) {
	srv := tesseratest.New(t)
	c := srv.S3()
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("race")}); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	parts := make([][]byte, 3)
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("race"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	var done []types.CompletedPart
	for i := range parts {
		parts[i] = make([]byte, 8<<20)
		for j := range parts[i] {
			parts[i][j] = byte(rng.Uint32())
		}
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("race"), Key: aws.String("k"), UploadId: up.UploadId, PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(parts[i])})
		if err != nil {
			t.Fatal(err)
		}
		done = append(done, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag})
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("race"), Key: aws.String("k"), UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}}); err != nil {
		t.Fatal(err)
	}
	want := bytes.Join(parts, nil)

	get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("race"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 1<<20)
	if _, err := io.ReadFull(get.Body, head); err != nil {
		t.Fatal(err)
	}
	// The reader is inside part 1; replace the object, then delete it.
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("race"), Key: aws.String("k"), Body: bytes.NewReader([]byte("new"))}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("race"), Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(get.Body)
	get.Body.Close()
	if err != nil {
		t.Fatalf("read cut short after overwrite+delete: %v (got %d of %d bytes)", err, len(head)+len(rest), len(want))
	}
	if !bytes.Equal(append(head, rest...), want) {
		t.Fatalf("read returned %d bytes that are not the object read", len(head)+len(rest))
	}
	// Once the reader is gone, maintenance frees the old parts' bytes.
	if err := srv.Internal().Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if !mpEventually(func() bool { return len(mpBlobs(t, srv.DataDir)) == 0 }) {
		t.Fatalf("%d blobs left after the object was deleted and read", len(mpBlobs(t, srv.DataDir)))
	}
}
