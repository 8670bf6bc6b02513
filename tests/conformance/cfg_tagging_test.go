package conformance

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func cfgTags(kv ...string) []types.Tag {
	var ts []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		ts = append(ts, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return ts
}

// TestCfgBucketTaggingCRUD follows LocalStack
// TestS3BucketObjectTagging::test_bucket_tagging_crud (recorded against AWS,
// 2025-01).
func TestCfgBucketTaggingCRUD(t *testing.T) {
	e := cfgNew(t)
	b := cfgBucket(t, e.root)
	bk := aws.String(b)
	_, err := e.root.GetBucketTagging(ctx(), &s3.GetBucketTaggingInput{Bucket: bk})
	cfgWant(t, "Get, never tagged", err, "NoSuchTagSet", 404, "The TagSet does not exist")

	// Put answers 204 (recorded; the API reference says 200).
	resp, body := cfgRaw(t, e, http.MethodPut, "/"+b+"?tagging", []byte(`<Tagging><TagSet><Tag><Key>tag1</Key><Value>tag1</Value></Tag><Tag><Key>tag2</Key><Value></Value></Tag></TagSet></Tagging>`), nil)
	wantStatus(t, resp, body, http.StatusNoContent)
	out, err := e.root.GetBucketTagging(ctx(), &s3.GetBucketTaggingInput{Bucket: bk})
	if err != nil || fmt.Sprint(cfgTagList(out.TagSet)) != "[tag1=tag1 tag2=]" {
		t.Errorf("Get after Put: %v %v, want tag1=tag1 tag2= in the order sent", err, cfgTagList(out.TagSet))
	}
	// A second Put replaces the whole set.
	_, err = e.root.PutBucketTagging(ctx(), &s3.PutBucketTaggingInput{Bucket: bk, Tagging: &types.Tagging{TagSet: cfgTags("tag3", "v3")}})
	cfgWant(t, "Put tag3", err, "", 0, "")
	out, err = e.root.GetBucketTagging(ctx(), &s3.GetBucketTaggingInput{Bucket: bk})
	if err != nil || fmt.Sprint(cfgTagList(out.TagSet)) != "[tag3=v3]" {
		t.Errorf("Get after second Put: %v %v", err, cfgTagList(out.TagSet))
	}
	// Delete: 204, twice; then NoSuchTagSet.
	for i := 0; i < 2; i++ {
		resp, body = cfgRaw(t, e, http.MethodDelete, "/"+b+"?tagging", nil, nil)
		wantStatus(t, resp, body, http.StatusNoContent)
	}
	_, err = e.root.GetBucketTagging(ctx(), &s3.GetBucketTaggingInput{Bucket: bk})
	cfgWant(t, "Get after Delete", err, "NoSuchTagSet", 404, "")
	// An empty TagSet is 204 and deletes the tags.
	_, err = e.root.PutBucketTagging(ctx(), &s3.PutBucketTaggingInput{Bucket: bk, Tagging: &types.Tagging{TagSet: cfgTags("k", "v")}})
	cfgWant(t, "Put k", err, "", 0, "")
	resp, body = cfgRaw(t, e, http.MethodPut, "/"+b+"?tagging", []byte(`<Tagging><TagSet/></Tagging>`), nil)
	wantStatus(t, resp, body, http.StatusNoContent)
	_, err = e.root.GetBucketTagging(ctx(), &s3.GetBucketTaggingInput{Bucket: bk})
	cfgWant(t, "Get after empty Put", err, "NoSuchTagSet", 404, "")
	// Missing bucket (recorded).
	_, err = e.root.PutBucketTagging(ctx(), &s3.PutBucketTaggingInput{Bucket: aws.String("no-such-bucket-tags"), Tagging: &types.Tagging{TagSet: cfgTags("k", "v")}})
	cfgWant(t, "Put on a missing bucket", err, "NoSuchBucket", 404, "The specified bucket does not exist")
}

func cfgTagList(ts []types.Tag) []string {
	var out []string
	for _, t := range ts {
		out = append(out, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
	}
	return out
}

// TestCfgBucketTaggingInvalid: S3's InvalidTag answers, with the extra
// elements, raw so the body can be checked.
func TestCfgBucketTaggingInvalid(t *testing.T) {
	e := cfgNew(t)
	b := cfgBucket(t, e.root)
	tagXML := func(kv ...string) string {
		var s strings.Builder
		s.WriteString("<Tagging><TagSet>")
		for i := 0; i+1 < len(kv); i += 2 {
			fmt.Fprintf(&s, "<Tag><Key>%s</Key><Value>%s</Value></Tag>", kv[i], kv[i+1])
		}
		s.WriteString("</TagSet></Tagging>")
		return s.String()
	}
	var many []string
	for i := 0; i <= 50; i++ {
		many = append(many, fmt.Sprintf("k%d", i), "v")
	}
	for _, tc := range []struct {
		name, body, message, extra string
	}{
		// Recorded (LocalStack test_bucket_tagging_crud, 2025-01).
		{"duplicate key", tagXML("Key1", "a", "Key1", "b"), "Cannot provide multiple Tags with the same key", "<TagKey>Key1</TagKey>"},
		{"invalid key", tagXML("Key1,Key2", "v"), "The TagKey you have provided is invalid", "<TagKey>Key1,Key2</TagKey>"},
		{"invalid value", tagXML("Key1", "Val1,Val2"), "The TagValue you have provided is invalid", "<TagKey>Key1</TagKey><TagValue>Val1,Val2</TagValue>"},
		{"aws: prefix", tagXML("aws:prefixed", "v"), "System tags cannot be added/updated by requester", "<TagKey>aws:prefixed</TagKey>"},
		// Unrecorded limits (tagging user guide: 50 tags, key ≤ 128, value ≤ 256);
		// the count text is moto's, the length texts the invalid-key/value ones —
		// S3's most plausible answers.
		{"51 tags", tagXML(many...), "Bucket tag count cannot be greater than 50", ""},
		{"key of 129", tagXML(strings.Repeat("k", 129), "v"), "The TagKey you have provided is invalid", ""},
		{"value of 257", tagXML("k", strings.Repeat("v", 257)), "The TagValue you have provided is invalid", ""},
		{"empty key", tagXML("", "v"), "The TagKey you have provided is invalid", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := cfgRaw(t, e, http.MethodPut, "/"+b+"?tagging", []byte(tc.body), nil)
			er := wantRawErr(t, resp, body, "InvalidTag", 400)
			if er.Message != tc.message || !strings.Contains(string(body), tc.extra) {
				t.Errorf("message %q, want %q; body %s, want it to contain %s", er.Message, tc.message, body, tc.extra)
			}
		})
	}
	// The limits themselves are allowed: 50 tags, key 128, value 256.
	_, err := e.root.PutBucketTagging(ctx(), &s3.PutBucketTaggingInput{Bucket: aws.String(b), Tagging: &types.Tagging{TagSet: cfgTags(many[:100]...)}})
	cfgWant(t, "50 tags", err, "", 0, "")
	_, err = e.root.PutBucketTagging(ctx(), &s3.PutBucketTaggingInput{Bucket: aws.String(b), Tagging: &types.Tagging{TagSet: cfgTags(strings.Repeat("k", 128), strings.Repeat("v", 256), "ünï cödé", "a b_.:/=+@-")}})
	cfgWant(t, "longest key and value, Unicode letters and the allowed signs", err, "", 0, "")
}

// TestCfgCreateBucketTags: CreateBucketConfiguration carries Tags (API
// reference CreateBucket, 2025); they are the bucket's tags, checked as
// PutBucketTagging checks them (errors unrecorded: S3 most plausibly
// answers the same InvalidTag).
func TestCfgCreateBucketTags(t *testing.T) {
	e := cfgNew(t)
	b := bucketName(t)
	resp, body := cfgRaw(t, e, http.MethodPut, "/"+b, []byte(`<CreateBucketConfiguration><Tags><Tag><Key>team</Key><Value>storage</Value></Tag></Tags></CreateBucketConfiguration>`), nil)
	wantStatus(t, resp, body, http.StatusOK)
	out, err := e.root.GetBucketTagging(ctx(), &s3.GetBucketTaggingInput{Bucket: aws.String(b)})
	if err != nil || fmt.Sprint(cfgTagList(out.TagSet)) != "[team=storage]" {
		t.Errorf("tags of the new bucket: %v %v", err, cfgTagList(out.TagSet))
	}
	resp, body = cfgRaw(t, e, http.MethodPut, "/"+b+"-bad", []byte(`<CreateBucketConfiguration><Tags><Tag><Key>aws:x</Key><Value>v</Value></Tag></Tags></CreateBucketConfiguration>`), nil)
	wantRawErr(t, resp, body, "InvalidTag", 400)
	_, err = e.root.HeadBucket(ctx(), &s3.HeadBucketInput{Bucket: aws.String(b + "-bad")})
	if httpStatus(err) != 404 {
		t.Errorf("a refused CreateBucket made the bucket: %v", err)
	}
}
