package conformance

import (
	"bytes"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

func TestVersioningSmoke(t *testing.T) {
	srv := tesseratest.New(t)
	c := srv.S3()
	b := newBucket(t, c)
	if _, err := c.PutBucketVersioning(ctx(), &s3.PutBucketVersioningInput{Bucket: aws.String(b), VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, body := range []string{"one", "two", "three"} {
		out, err := c.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: bytes.NewReader([]byte(body))})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(out.VersionId))
	}
	t.Logf("ids %q", ids)
	d, err := c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("delete: marker %v id %q", aws.ToBool(d.DeleteMarker), aws.ToString(d.VersionId))
	_, err = c.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	t.Logf("get after delete: %v", err)
	g, err := c.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: aws.String(ids[0])})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("get v1: %q", aws.ToString(g.VersionId))
	l, err := c.ListObjectVersions(ctx(), &s3.ListObjectVersionsInput{Bucket: aws.String(b)})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range l.Versions {
		t.Logf("version %s %s latest=%v", aws.ToString(v.Key), aws.ToString(v.VersionId), aws.ToBool(v.IsLatest))
	}
	for _, m := range l.DeleteMarkers {
		t.Logf("marker %s %s latest=%v", aws.ToString(m.Key), aws.ToString(m.VersionId), aws.ToBool(m.IsLatest))
	}
}
