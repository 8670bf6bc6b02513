package pgrestart

import (
	"bytes"
	"crypto/md5"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/meta/postgres/pgtest"
	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// TestCommitAnswerLost cuts the database connection of a PUT, an
// UploadPart and a CompleteMultipartUpload after PostgreSQL received
// their COMMIT and before its answer came back: the commit happened, the
// gateway cannot know it. Each is answered 503 ServiceUnavailable (the
// client retries), and what committed is whole: the object reads back
// byte for byte, the part is listed and completes, the completed object
// reads back and a retried Complete answers with it. Before the engine
// kept the blob of a write of unknown outcome, the record would have
// pointed at removed bytes.
func TestCommitAnswerLost(t *testing.T) {
	db := pgtest.StartInstance(t)
	proxy := startCutProxy(t, db.DSN())
	srv := tesseratest.New(t, tesseratest.WithPostgres(proxy.DSN()), tesseratest.WithMinPartSize(partSize))
	c := srv.S3() // no retries: the 503 as sent
	ctx := t.Context()
	const bucket = "commit-cut"
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	cut := func(what, marker string, call func() error) {
		t.Helper()
		before := proxy.cuts.Load()
		proxy.arm(marker)
		err := call()
		if proxy.cuts.Load() != before+1 {
			t.Fatalf("%s: the proxy cut no COMMIT (err %v)", what, err)
		}
		if a := answerOf(err); !a.unavailable() {
			t.Fatalf("%s with its COMMIT's answer lost: %v, want 503 ServiceUnavailable", what, err)
		}
	}

	// PutObject.
	body := bytes.Repeat([]byte("put "), 10000)
	cut("PutObject", "cut-put-key", func() error {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("cut-put-key"), Body: bytes.NewReader(body)})
		return err
	})
	if got, err := getBody(ctx, c, bucket, "cut-put-key"); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("the PUT whose COMMIT answer was lost: %d bytes, %v; want its %d bytes", len(got), err, len(body))
	}

	// UploadPart, then CompleteMultipartUpload.
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("cut-mp")})
	if err != nil {
		t.Fatal(err)
	}
	uploadID := aws.ToString(up.UploadId)
	part1 := bytes.Repeat([]byte("1"), partSize)
	part2 := []byte("the last part")
	cut("UploadPart", uploadID, func() error {
		_, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("cut-mp"), UploadId: up.UploadId,
			PartNumber: aws.Int32(1), Body: bytes.NewReader(part1)})
		return err
	})
	lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String("cut-mp"), UploadId: up.UploadId})
	if err != nil {
		t.Fatal(err)
	}
	wantETag := fmt.Sprintf(`"%x"`, md5.Sum(part1))
	if len(lp.Parts) != 1 || aws.ToString(lp.Parts[0].ETag) != wantETag || aws.ToInt64(lp.Parts[0].Size) != partSize {
		t.Fatalf("ListParts after the UploadPart whose COMMIT answer was lost: %+v, want part 1 (%s, %d bytes)", lp.Parts, wantETag, partSize)
	}
	p2, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("cut-mp"), UploadId: up.UploadId,
		PartNumber: aws.Int32(2), Body: bytes.NewReader(part2)})
	if err != nil {
		t.Fatal(err)
	}
	complete := &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("cut-mp"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
			{PartNumber: aws.Int32(1), ETag: aws.String(wantETag)}, {PartNumber: aws.Int32(2), ETag: p2.ETag}}}}
	cut("CompleteMultipartUpload", uploadID, func() error {
		_, err := c.CompleteMultipartUpload(ctx, complete)
		return err
	})
	want := append(append([]byte{}, part1...), part2...)
	if got, err := getBody(ctx, c, bucket, "cut-mp"); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("the upload whose Complete's COMMIT answer was lost: %d bytes, %v; want its %d bytes", len(got), err, len(want))
	}
	// The client's retry of Complete finds it done and answers with it.
	if out, err := c.CompleteMultipartUpload(ctx, complete); err != nil || aws.ToString(out.Key) != "cut-mp" {
		t.Fatalf("CompleteMultipartUpload retried after its lost answer: %v", err)
	}
}
