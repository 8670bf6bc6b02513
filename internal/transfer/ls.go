package transfer

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// Entry is one line of a listing: a bucket, an object, or a common prefix
// (Prefix true, only Key set).
type Entry struct {
	Key      string
	Size     int64
	Modified time.Time
	Prefix   bool
}

// Buckets lists the caller's buckets, every page.
func (t *Transfer) Buckets(ctx context.Context, fn func(Entry) error) error {
	p := s3.NewListBucketsPaginator(t.S3, &s3.ListBucketsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("transfer: list buckets: %w", err)
		}
		for _, b := range out.Buckets {
			if err := fn(Entry{Key: aws.ToString(b.Name), Modified: aws.ToTime(b.CreationDate)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Objects lists the objects under l's key prefix, every page: all of them
// when recursive, else one level (deeper keys fold into prefixes at "/").
func (t *Transfer) Objects(ctx context.Context, l Location, recursive bool, fn func(Entry) error) error {
	in := &s3.ListObjectsV2Input{Bucket: &l.Bucket, Prefix: &l.Key}
	if !recursive {
		in.Delimiter = aws.String("/")
	}
	p := s3.NewListObjectsV2Paginator(t.S3, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("transfer: list %s: %w", l, err)
		}
		for _, cp := range out.CommonPrefixes {
			if err := fn(Entry{Key: aws.ToString(cp.Prefix), Prefix: true}); err != nil {
				return err
			}
		}
		for _, o := range out.Contents {
			if err := fn(Entry{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size), Modified: aws.ToTime(o.LastModified)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Remove deletes one object.
func (t *Transfer) Remove(ctx context.Context, l Location) error {
	if _, err := t.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &l.Bucket, Key: &l.Key}); err != nil {
		return fmt.Errorf("transfer: delete %s: %w", l, err)
	}
	return nil
}

// RemovePrefix deletes every object under l's key prefix with
// DeleteObjects, a page (at most 1,000 keys) at a time, calling fn for
// each key deleted. A key S3 refuses to delete fails the whole call after
// the page, naming the key and S3's code.
func (t *Transfer) RemovePrefix(ctx context.Context, l Location, fn func(key string)) (int, error) {
	p := s3.NewListObjectsV2Paginator(t.S3, &s3.ListObjectsV2Input{Bucket: &l.Bucket, Prefix: &l.Key})
	n := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return n, fmt.Errorf("transfer: list %s: %w", l, err)
		}
		if len(out.Contents) == 0 {
			continue
		}
		ids := make([]types.ObjectIdentifier, len(out.Contents))
		for i, o := range out.Contents {
			ids[i] = types.ObjectIdentifier{Key: o.Key}
		}
		del, err := t.S3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &l.Bucket,
			Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(false)}})
		if err != nil {
			return n, fmt.Errorf("transfer: delete under %s: %w", l, err)
		}
		for _, d := range del.Deleted {
			n++
			fn(aws.ToString(d.Key))
		}
		if len(del.Errors) > 0 {
			e := del.Errors[0]
			return n, fmt.Errorf("transfer: delete s3://%s/%s: %w", l.Bucket, aws.ToString(e.Key),
				&deleteError{code: aws.ToString(e.Code), msg: aws.ToString(e.Message), more: len(del.Errors) - 1})
		}
	}
	return n, nil
}

// deleteError is one key's failure inside a DeleteObjects answer, shaped
// as an API error so that exit codes classify it (AccessDenied → 4).
type deleteError struct {
	code, msg string
	more      int
}

func (e *deleteError) Error() string {
	s := e.code + ": " + e.msg
	if e.more > 0 {
		s += fmt.Sprintf(" (and %d more keys failed)", e.more)
	}
	return s
}
func (e *deleteError) ErrorCode() string    { return e.code }
func (e *deleteError) ErrorMessage() string { return e.msg }
func (e *deleteError) ErrorFault() smithy.ErrorFault {
	return smithy.FaultUnknown
}

// MakeBucket creates a bucket, in the client's region (S3 wants the
// region named unless it is us-east-1).
func (t *Transfer) MakeBucket(ctx context.Context, bucket string) error {
	in := &s3.CreateBucketInput{Bucket: &bucket}
	if r := t.S3.Options().Region; r != "" && r != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(r)}
	}
	if _, err := t.S3.CreateBucket(ctx, in); err != nil {
		return fmt.Errorf("transfer: make bucket %s: %w", bucket, err)
	}
	return nil
}
