package conformance

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestLcExpirationHeader: PUT, GET and HEAD of an object covered by an
// Expiration rule carry x-amz-expiration with the due date and rule ID; an
// object no rule covers carries none.
func TestLcExpirationHeader(t *testing.T) {
	e := lcSetup(t)
	b := e.bucket()
	e.mustPutConfig(b, lcExpireRule("logs-30d", &types.LifecycleRuleFilter{Prefix: aws.String("logs/")}, types.LifecycleExpiration{Days: aws.Int32(30)}))

	put, err := e.c.PutObject(lcCtx(), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("logs/a"), Body: bytes.NewReader([]byte("x"))})
	if err != nil {
		t.Fatal(err)
	}
	head, err := e.c.HeadObject(lcCtx(), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("logs/a")})
	if err != nil {
		t.Fatal(err)
	}
	due := lcDue(aws.ToTime(head.LastModified), 30)
	want := `expiry-date="` + due.UTC().Format(time.RFC1123) + `", rule-id="logs-30d"`
	want = strings.Replace(want, "UTC", "GMT", 1)
	for what, got := range map[string]*string{"PutObject": put.Expiration, "HeadObject": head.Expiration} {
		if aws.ToString(got) != want {
			t.Errorf("%s Expiration = %q, want %q", what, aws.ToString(got), want)
		}
	}
	get, err := e.c.GetObject(lcCtx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("logs/a")})
	if err != nil {
		t.Fatal(err)
	}
	get.Body.Close()
	if aws.ToString(get.Expiration) != want {
		t.Errorf("GetObject Expiration = %q, want %q", aws.ToString(get.Expiration), want)
	}

	if _, err := e.c.PutObject(lcCtx(), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("data/a"), Body: bytes.NewReader([]byte("x"))}); err != nil {
		t.Fatal(err)
	}
	other, err := e.c.HeadObject(lcCtx(), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("data/a")})
	if err != nil {
		t.Fatal(err)
	}
	if other.Expiration != nil {
		t.Errorf("object outside the rule has Expiration %q", aws.ToString(other.Expiration))
	}
}
