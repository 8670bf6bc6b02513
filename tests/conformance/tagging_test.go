package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

func taggingCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// TestObjectTagging: tags set at upload or by PutObjectTagging round-trip
// through GetObjectTagging and x-amz-tagging-count, leave the bytes, ETag
// and Last-Modified alone, obey S3's limits, and can be deleted.
func TestObjectTagging(t *testing.T) {
	srv := tesseratest.New(t)
	c := srv.S3()
	ctx := context.Background()
	bucket := aws.String("tags")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket}); err != nil {
		t.Fatal(err)
	}
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("k"), Body: bytes.NewReader([]byte("payload")), Tagging: aws.String("team=blue&env=prod")})
	if err != nil {
		t.Fatal(err)
	}
	get := func() map[string]string {
		t.Helper()
		out, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: bucket, Key: aws.String("k")})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, tg := range out.TagSet {
			m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		}
		return m
	}
	if m := get(); len(m) != 2 || m["team"] != "blue" || m["env"] != "prod" {
		t.Fatalf("tags from upload: %v", m)
	}
	head0, _ := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String("k")})

	if _, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: bucket, Key: aws.String("k"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("a b"), Value: aws.String("x&y=z")}}}}); err != nil {
		t.Fatal(err)
	}
	if m := get(); len(m) != 1 || m["a b"] != "x&y=z" {
		t.Fatalf("tags after PutObjectTagging: %v", m)
	}
	obj, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	if string(b) != "payload" || aws.ToString(obj.ETag) != aws.ToString(put.ETag) || !aws.ToTime(obj.LastModified).Equal(aws.ToTime(head0.LastModified)) || aws.ToInt32(obj.TagCount) != 1 {
		t.Fatalf("object changed by tagging: %q etag %s lm %v tags %d", b, aws.ToString(obj.ETag), obj.LastModified, aws.ToInt32(obj.TagCount))
	}

	tooMany := make([]types.Tag, 11)
	for i := range tooMany {
		tooMany[i] = types.Tag{Key: aws.String(fmt.Sprint("k", i)), Value: aws.String("v")}
	}
	for name, tc := range map[string]struct {
		tags []types.Tag
		code string
	}{
		"11 tags":       {tooMany, "BadRequest"},
		"duplicate key": {[]types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("a"), Value: aws.String("2")}}, "InvalidTag"},
		"long key":      {[]types.Tag{{Key: aws.String(string(bytes.Repeat([]byte("k"), 129))), Value: aws.String("v")}}, "InvalidTag"},
		"long value":    {[]types.Tag{{Key: aws.String("k"), Value: aws.String(string(bytes.Repeat([]byte("v"), 257)))}}, "InvalidTag"},
	} {
		_, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: bucket, Key: aws.String("k"), Tagging: &types.Tagging{TagSet: tc.tags}})
		if taggingCode(err) != tc.code {
			t.Errorf("%s: err %v, want %s", name, err, tc.code)
		}
	}
	if m := get(); len(m) != 1 {
		t.Fatalf("a refused PutObjectTagging changed the tags: %v", m)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("bad"), Body: bytes.NewReader(nil), Tagging: aws.String("a=1&a=2")}); taggingCode(err) != "InvalidTag" {
		t.Errorf("PutObject with duplicate tag keys: %v", err)
	}

	if _, err := c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: bucket, Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	if m := get(); len(m) != 0 {
		t.Fatalf("tags after DeleteObjectTagging: %v", m)
	}
	if _, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: bucket, Key: aws.String("missing"), Tagging: &types.Tagging{TagSet: []types.Tag{}}}); taggingCode(err) != "NoSuchKey" {
		t.Errorf("tagging a missing key: %v", err)
	}
	// Tags survive a restart, and so do the bytes they sit beside.
	if _, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: bucket, Key: aws.String("k"), Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("kept"), Value: aws.String("yes")}}}}); err != nil {
		t.Fatal(err)
	}
	srv.Restart()
	c = srv.S3()
	if m := get(); m["kept"] != "yes" {
		t.Fatalf("tags after restart: %v", m)
	}
}
