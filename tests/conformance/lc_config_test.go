package conformance

import (
	"bytes"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestLcConfigRoundTrip stores a configuration using every supported
// filter and action through the SDK, reads it back field by field, and
// checks that it reads back byte for byte after a restart.
func TestLcConfigRoundTrip(t *testing.T) {
	e := lcSetup(t)
	b := e.bucket()
	date := time.Date(2031, 5, 1, 0, 0, 0, 0, time.UTC)
	rules := []types.LifecycleRule{
		lcAbortRule("abort-uploads", "uploads/", 7),
		lcExpireRule("expire-tagged-logs", &types.LifecycleRuleFilter{And: &types.LifecycleRuleAndOperator{
			Prefix:                aws.String("logs/"),
			Tags:                  []types.Tag{{Key: aws.String("class"), Value: aws.String("debug")}, {Key: aws.String("team"), Value: aws.String("a b")}},
			ObjectSizeGreaterThan: aws.Int64(10), ObjectSizeLessThan: aws.Int64(1 << 30),
		}}, types.LifecycleExpiration{Days: aws.Int32(30)}),
		lcExpireRule("expire-on-date", &types.LifecycleRuleFilter{Tag: &types.Tag{Key: aws.String("k"), Value: aws.String("v")}},
			types.LifecycleExpiration{Date: &date}),
		{ // no ID: S3 makes one; disabled; size filter
			Status: types.ExpirationStatusDisabled, Filter: &types.LifecycleRuleFilter{ObjectSizeLessThan: aws.Int64(100)},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(1)},
		},
	}
	e.mustPutConfig(b, rules...)
	out, err := e.c.GetBucketLifecycleConfiguration(lcCtx(), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(b)})
	if err != nil {
		t.Fatalf("GetBucketLifecycleConfiguration: %v", err)
	}
	if len(out.Rules) != 4 {
		t.Fatalf("got %d rules, want 4", len(out.Rules))
	}
	r0, r1, r2, r3 := out.Rules[0], out.Rules[1], out.Rules[2], out.Rules[3]
	if aws.ToString(r0.ID) != "abort-uploads" || r0.Status != types.ExpirationStatusEnabled ||
		aws.ToString(r0.Filter.Prefix) != "uploads/" || aws.ToInt32(r0.AbortIncompleteMultipartUpload.DaysAfterInitiation) != 7 {
		t.Errorf("rule 0 = %+v", r0)
	}
	if a := r1.Filter.And; aws.ToString(r1.ID) != "expire-tagged-logs" || a == nil || aws.ToString(a.Prefix) != "logs/" ||
		len(a.Tags) != 2 || aws.ToString(a.Tags[1].Value) != "a b" || aws.ToInt64(a.ObjectSizeGreaterThan) != 10 ||
		aws.ToInt64(a.ObjectSizeLessThan) != 1<<30 || aws.ToInt32(r1.Expiration.Days) != 30 {
		t.Errorf("rule 1 = %+v (And %+v)", r1, r1.Filter.And)
	}
	if aws.ToString(r2.Filter.Tag.Key) != "k" || !aws.ToTime(r2.Expiration.Date).Equal(date) {
		t.Errorf("rule 2 = %+v", r2)
	}
	if id := aws.ToString(r3.ID); len(id) != 48 || r3.Status != types.ExpirationStatusDisabled || aws.ToInt64(r3.Filter.ObjectSizeLessThan) != 100 {
		t.Errorf("rule 3 (generated ID %q) = %+v", id, r3)
	}

	before := e.raw(http.MethodGet, "/"+b+"?lifecycle", nil, nil)
	if before.status != http.StatusOK || before.header.Get("Content-Type") != "application/xml" {
		t.Fatalf("raw GET: %d %s", before.status, before.header.Get("Content-Type"))
	}
	e.restart()
	after := e.raw(http.MethodGet, "/"+b+"?lifecycle", nil, nil)
	if !bytes.Equal(before.body, after.body) {
		t.Errorf("configuration changed across restart:\n%s\n%s", before.body, after.body)
	}
	// A second GET gives the same generated ID (it was stored, not remade).
	again, err := e.c.GetBucketLifecycleConfiguration(lcCtx(), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(b)})
	if err != nil || aws.ToString(again.Rules[3].ID) != aws.ToString(r3.ID) {
		t.Errorf("generated ID not stable: %v", err)
	}
}

// TestLcConfigLegacyPrefix: a rule-level Prefix (the older
// PutBucketLifecycle form) is kept as sent, not rewritten into a Filter.
func TestLcConfigLegacyPrefix(t *testing.T) {
	e := lcSetup(t)
	b := e.bucket()
	doc := []byte(`<LifecycleConfiguration><Rule><ID>v1</ID><Prefix>tmp/</Prefix><Status>Enabled</Status>` +
		`<AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>`)
	if r := e.raw(http.MethodPut, "/"+b+"?lifecycle", doc, lcMD5(doc)); r.status != http.StatusOK {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	got := e.raw(http.MethodGet, "/"+b+"?lifecycle", nil, nil)
	if !bytes.Contains(got.body, []byte(`<ID>v1</ID><Prefix>tmp/</Prefix><Status>Enabled</Status>`)) || bytes.Contains(got.body, []byte("<Filter")) {
		t.Errorf("GET = %s", got.body)
	}
	out := e.create(b, "tmp/x")
	if aws.ToString(out.AbortRuleId) != "v1" {
		t.Errorf("AbortRuleId = %q, want v1", aws.ToString(out.AbortRuleId))
	}
}

// TestLcConfigAbsent: GET without a configuration, DELETE with and without one.
func TestLcConfigAbsent(t *testing.T) {
	e := lcSetup(t)
	b := e.bucket()
	get := func() error {
		_, err := e.c.GetBucketLifecycleConfiguration(lcCtx(), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(b)})
		return err
	}
	lcWantErr(t, "GET before any PUT", get(), "NoSuchLifecycleConfiguration", 404, "The lifecycle configuration does not exist")
	del := func() {
		t.Helper()
		if _, err := e.c.DeleteBucketLifecycle(lcCtx(), &s3.DeleteBucketLifecycleInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("DeleteBucketLifecycle: %v", err)
		}
	}
	del() // nothing to delete: still 204
	e.mustPutConfig(b, lcAbortRule("r", "", 1))
	if err := get(); err != nil {
		t.Fatalf("GET after PUT: %v", err)
	}
	if r := e.raw(http.MethodDelete, "/"+b+"?lifecycle", nil, nil); r.status != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", r.status, r.body)
	}
	lcWantErr(t, "GET after DELETE", get(), "NoSuchLifecycleConfiguration", 404, "")
	del()

	missing := "no-such-bucket-lc"
	_, err := e.c.GetBucketLifecycleConfiguration(lcCtx(), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(missing)})
	lcWantErr(t, "GET on a missing bucket", err, "NoSuchBucket", 404, "")
	err = e.putConfig(missing, lcAbortRule("r", "", 1))
	lcWantErr(t, "PUT on a missing bucket", err, "NoSuchBucket", 404, "")
	_, err = e.c.DeleteBucketLifecycle(lcCtx(), &s3.DeleteBucketLifecycleInput{Bucket: aws.String(missing)})
	lcWantErr(t, "DELETE on a missing bucket", err, "NoSuchBucket", 404, "")
}

// TestLcConfigIntegrityRequired: S3 refuses the PUT without Content-MD5 or a
// checksum, and checks whichever is sent.
func TestLcConfigIntegrityRequired(t *testing.T) {
	e := lcSetup(t)
	b := e.bucket()
	doc := []byte(`<LifecycleConfiguration><Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>`)
	r := e.raw(http.MethodPut, "/"+b+"?lifecycle", doc, nil)
	if r.status != 400 || !bytes.Contains(r.body, []byte("<Code>InvalidRequest</Code><Message>Missing required header for this request: Content-MD5</Message>")) {
		t.Errorf("no integrity header: %d %s", r.status, r.body)
	}
	r = e.raw(http.MethodPut, "/"+b+"?lifecycle", doc, lcMD5([]byte("something else")))
	if r.status != 400 || !bytes.Contains(r.body, []byte("<Code>BadDigest</Code>")) {
		t.Errorf("wrong Content-MD5: %d %s", r.status, r.body)
	}
	// The SDK sends x-amz-checksum-crc32 (its default), never Content-MD5.
	if err := e.putConfig(b, lcAbortRule("r", "", 1)); err != nil {
		t.Fatalf("SDK PUT: %v", err)
	}
	r = e.raw(http.MethodPut, "/"+b+"?lifecycle", doc, map[string]string{"x-amz-checksum-sha256": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="})
	if r.status != 400 || !bytes.Contains(r.body, []byte("<Code>BadDigest</Code>")) {
		t.Errorf("wrong x-amz-checksum-sha256: %d %s", r.status, r.body)
	}
}

// TestLcConfigValidation checks S3's answers to configurations it refuses.
func TestLcConfigValidation(t *testing.T) {
	e := lcSetup(t)
	b := e.bucket()
	const (
		en    = `<Status>Enabled</Status>`
		pf    = `<Filter><Prefix>p/</Prefix></Filter>`
		abort = `<AbortIncompleteMultipartUpload><DaysAfterInitiation>3</DaysAfterInitiation></AbortIncompleteMultipartUpload>`
	)
	wrap := func(rules ...string) string {
		return `<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule>` + strings.Join(rules, `</Rule><Rule>`) + `</Rule></LifecycleConfiguration>`
	}
	var many []string
	for i := 0; i <= 1000; i++ {
		many = append(many, fmt.Sprintf(`<ID>r%d</ID>`, i)+pf+en+abort)
	}
	tests := []struct {
		name, doc string
		status    int
		code, msg string
	}{
		{"not XML", `Rules: none`, 400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"},
		{"unknown element", wrap(pf + en + abort + `<Colour>red</Colour>`), 400, "MalformedXML", ""},
		{"status in lower case", wrap(pf + `<Status>enabled</Status>` + abort), 400, "MalformedXML", ""},
		{"neither Filter nor Prefix", wrap(en + abort), 400, "MalformedXML", ""},
		{"two predicates in Filter", wrap(`<Filter><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></Filter>` + en + abort), 400, "MalformedXML", ""},
		{"ExpiredObjectDeleteMarker with Days", wrap(pf + en + `<Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`), 400, "MalformedXML", ""},
		{"1001 rules", wrap(many...), 400, "InvalidRequest", "The number of lifecycle rules must not exceed the allowed limit of 1000 rules."},
		{"no action", wrap(pf + en), 400, "InvalidRequest", "At least one action needs to be specified in a rule"},
		{"ID of 256 characters", wrap(`<ID>` + strings.Repeat("i", 256) + `</ID>` + pf + en + abort), 400, "InvalidArgument", "ID length should not exceed allowed limit of 255"},
		{"same ID twice", wrap(`<ID>x</ID>`+pf+en+abort, `<ID>x</ID><Filter><Prefix>q/</Prefix></Filter>`+en+abort), 400, "InvalidArgument", "Rule ID must be unique. Found same ID for more than one rule"},
		{"Days 0", wrap(pf + en + `<Expiration><Days>0</Days></Expiration>`), 400, "InvalidArgument", "'Days' for Expiration action must be a positive integer"},
		{"DaysAfterInitiation 0", wrap(pf + en + `<AbortIncompleteMultipartUpload><DaysAfterInitiation>0</DaysAfterInitiation></AbortIncompleteMultipartUpload>`), 400, "InvalidArgument", "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer"},
		{"Date not at midnight", wrap(pf + en + `<Expiration><Date>2031-01-01T12:00:00Z</Date></Expiration>`), 400, "InvalidArgument", "'Date' must be at midnight GMT"},
		{"abort with a tag filter", wrap(`<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>` + en + abort), 400, "InvalidRequest", "AbortIncompleteMultipartUpload cannot be specified with Tags."},
		{"abort with a size filter", wrap(`<Filter><ObjectSizeGreaterThan>1</ObjectSizeGreaterThan></Filter>` + en + abort), 400, "InvalidRequest", "AbortIncompleteMultipartUpload cannot be specified with Object Size."},
		{"duplicate tag keys", wrap(`<Filter><And><Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k</Key><Value>2</Value></Tag></And></Filter>` + en + `<Expiration><Days>1</Days></Expiration>`), 400, "InvalidRequest", "Duplicate Tag Keys are not allowed."},
		{"ObjectSizeLessThan 0", wrap(`<Filter><ObjectSizeLessThan>0</ObjectSizeLessThan></Filter>` + en + `<Expiration><Days>1</Days></Expiration>`), 400, "InvalidRequest", "'ObjectSizeLessThan' should be between 1 and 1099511627776000."},
		{"legacy prefixes overlap", wrap(`<Prefix></Prefix>`+en+`<Expiration><Days>1</Days></Expiration>`, `<Prefix>a</Prefix>`+en+`<Expiration><Days>2</Days></Expiration>`), 400, "InvalidRequest", "Found overlapping prefixes '' and 'a' for same action type 'Expiration'"},
		{"Filter after a legacy prefix", wrap(`<Prefix>a</Prefix>`+en+abort, pf+en+abort), 400, "InvalidRequest", "Filter element can only be used in Lifecycle V2."},
		{"Transition", wrap(pf + en + `<Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition>`), 501, "NotImplemented", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.raw(http.MethodPut, "/"+b+"?lifecycle", []byte(tc.doc), lcMD5([]byte(tc.doc)))
			want := "<Code>" + tc.code + "</Code>"
			if tc.msg != "" {
				want += "<Message>" + lcXMLEscape(tc.msg) + "</Message>"
			}
			if r.status != tc.status || !bytes.Contains(r.body, []byte(want)) {
				t.Errorf("got %d %s\nwant %d %s", r.status, r.body, tc.status, want)
			}
		})
	}
	// None of them was stored.
	_, err := e.c.GetBucketLifecycleConfiguration(lcCtx(), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(b)})
	lcWantErr(t, "GET after refused PUTs", err, "NoSuchLifecycleConfiguration", 404, "")
}

// lcXMLEscape escapes a message as it appears in an error body.
func lcXMLEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&#39;", `"`, "&#34;").Replace(s)
}

// TestLcConfigGeneratedIDShape: IDs S3 makes are the base64 of a UUID.
func TestLcConfigGeneratedIDShape(t *testing.T) {
	e := lcSetup(t)
	b := e.bucket()
	e.mustPutConfig(b, types.LifecycleRule{
		Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("")},
		AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(1)},
	})
	out := e.create(b, "k")
	if id := aws.ToString(out.AbortRuleId); !regexp.MustCompile(`^[A-Za-z0-9+/]{48}$`).MatchString(id) {
		t.Errorf("generated AbortRuleId %q", id)
	}
}
