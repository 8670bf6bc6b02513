package conformance

import (
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// lcWantAbort checks AbortDate/AbortRuleId as the SDK parsed them; rule ""
// means neither may be present.
func lcWantAbort(t *testing.T, what string, date *time.Time, rule *string, wantDate time.Time, wantRule string) {
	t.Helper()
	if wantRule == "" {
		if date != nil || rule != nil {
			t.Errorf("%s: AbortDate %v, AbortRuleId %q; want none", what, aws.ToTime(date), aws.ToString(rule))
		}
		return
	}
	if date == nil || !date.Equal(wantDate) || aws.ToString(rule) != wantRule {
		t.Errorf("%s: AbortDate %v, AbortRuleId %q; want %v, %q", what, aws.ToTime(date), aws.ToString(rule), wantDate, wantRule)
	}
}

// TestLcAbortHeaders: CreateMultipartUpload and ListParts report when an
// enabled rule will abort the upload, for keys the rule matches only.
func TestLcAbortHeaders(t *testing.T) {
	e := lcSetup(t)
	b := e.bucket()
	e.mustPutConfig(b, lcAbortRule("abort-tmp-3d", "tmp/", 3))

	out := e.create(b, "tmp/video.mp4")
	id := aws.ToString(out.UploadId)
	want := lcDue(e.initiated(b, "tmp/video.mp4", id), 3)
	lcWantAbort(t, "CreateMultipartUpload(tmp/…)", out.AbortDate, out.AbortRuleId, want, "abort-tmp-3d")
	e.part(b, "tmp/video.mp4", id, 1, []byte("part one"))
	lp, err := e.listParts(b, "tmp/video.mp4", id)
	if err != nil {
		t.Fatalf("ListParts: %v", err)
	}
	lcWantAbort(t, "ListParts(tmp/…)", lp.AbortDate, lp.AbortRuleId, want, "abort-tmp-3d")

	other := e.create(b, "keep/video.mp4")
	lcWantAbort(t, "CreateMultipartUpload(keep/…)", other.AbortDate, other.AbortRuleId, time.Time{}, "")
	lp, err = e.listParts(b, "keep/video.mp4", aws.ToString(other.UploadId))
	if err != nil {
		t.Fatalf("ListParts: %v", err)
	}
	lcWantAbort(t, "ListParts(keep/…)", lp.AbortDate, lp.AbortRuleId, time.Time{}, "")

	// On the wire: an HTTP-date at midnight GMT, as S3 sends it.
	r := e.raw(http.MethodGet, "/"+b+"/tmp/video.mp4?uploadId="+id, nil, nil)
	if got := r.header.Get("x-amz-abort-date"); got != want.Format(http.TimeFormat) || r.header.Get("x-amz-abort-rule-id") != "abort-tmp-3d" {
		t.Errorf("raw ListParts headers: x-amz-abort-date %q x-amz-abort-rule-id %q; want %q",
			got, r.header.Get("x-amz-abort-rule-id"), want.Format(http.TimeFormat))
	}
	if want.Hour() != 0 || want.Minute() != 0 || want.Second() != 0 {
		t.Errorf("abort date %v is not at midnight", want)
	}
}

// TestLcAbortEarliestRuleWins: of several matching rules, the earliest
// date wins; disabled rules and rules for other keys do not count.
func TestLcAbortEarliestRuleWins(t *testing.T) {
	e := lcSetup(t)
	b := e.bucket()
	disabled := lcAbortRule("disabled-1d", "", 1)
	disabled.Status = types.ExpirationStatusDisabled
	e.mustPutConfig(b,
		lcAbortRule("all-30d", "", 30),
		lcAbortRule("data-10d", "data/", 10),
		lcAbortRule("data-tmp-2d", "data/tmp/", 2),
		lcAbortRule("other-1d", "other/", 1),
		disabled,
	)
	for _, tc := range []struct {
		key, rule string
		days      int
	}{
		{"data/tmp/x", "data-tmp-2d", 2},
		{"data/x", "data-10d", 10},
		{"x", "all-30d", 30},
	} {
		out := e.create(b, tc.key)
		want := lcDue(e.initiated(b, tc.key, aws.ToString(out.UploadId)), tc.days)
		lcWantAbort(t, "CreateMultipartUpload("+tc.key+")", out.AbortDate, out.AbortRuleId, want, tc.rule)
		lp, err := e.listParts(b, tc.key, aws.ToString(out.UploadId))
		if err != nil {
			t.Fatalf("ListParts: %v", err)
		}
		lcWantAbort(t, "ListParts("+tc.key+")", lp.AbortDate, lp.AbortRuleId, want, tc.rule)
	}
}

// TestLcAbortFollowsCurrentConfiguration: the headers reflect the
// configuration as it is now: a rule added after the upload started
// applies, counted from the upload's initiation; a removed one no longer does.
func TestLcAbortFollowsCurrentConfiguration(t *testing.T) {
	e := lcSetup(t)
	b := e.bucket()
	out := e.create(b, "big/file")
	id := aws.ToString(out.UploadId)
	lcWantAbort(t, "CreateMultipartUpload before any rule", out.AbortDate, out.AbortRuleId, time.Time{}, "")
	initiated := e.initiated(b, "big/file", id)

	e.mustPutConfig(b, lcAbortRule("added-later", "big/", 5))
	lp, err := e.listParts(b, "big/file", id)
	if err != nil {
		t.Fatalf("ListParts: %v", err)
	}
	lcWantAbort(t, "ListParts after the rule was added", lp.AbortDate, lp.AbortRuleId, lcDue(initiated, 5), "added-later")

	e.mustPutConfig(b, lcAbortRule("replaced", "big/", 1))
	lp, _ = e.listParts(b, "big/file", id)
	lcWantAbort(t, "ListParts after the rule was replaced", lp.AbortDate, lp.AbortRuleId, lcDue(initiated, 1), "replaced")

	disabled := lcAbortRule("replaced", "big/", 1)
	disabled.Status = types.ExpirationStatusDisabled
	e.mustPutConfig(b, disabled)
	lp, _ = e.listParts(b, "big/file", id)
	lcWantAbort(t, "ListParts with the rule disabled", lp.AbortDate, lp.AbortRuleId, time.Time{}, "")

	e.mustPutConfig(b, lcAbortRule("again", "big/", 1))
	if _, err := e.c.DeleteBucketLifecycle(lcCtx(), &s3.DeleteBucketLifecycleInput{Bucket: aws.String(b)}); err != nil {
		t.Fatal(err)
	}
	lp, _ = e.listParts(b, "big/file", id)
	lcWantAbort(t, "ListParts after DeleteBucketLifecycle", lp.AbortDate, lp.AbortRuleId, time.Time{}, "")
}

// TestLcAbortAndTags: S3 refuses an abort action in a rule that filters by
// tags, so an upload's tags never change its abort date: a prefix rule
// applies to a tagged upload, and a tag rule with an Expiration gives no
// abort headers even when the upload carries its tags.
func TestLcAbortAndTags(t *testing.T) {
	e := lcSetup(t)
	b := e.bucket()
	tagRule := types.LifecycleRule{
		ID: aws.String("tagged"), Status: types.ExpirationStatusEnabled,
		Filter:                         &types.LifecycleRuleFilter{Tag: &types.Tag{Key: aws.String("class"), Value: aws.String("scratch")}},
		AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(1)},
	}
	lcWantErr(t, "abort rule with a tag filter", e.putConfig(b, tagRule), "InvalidRequest", 400,
		"AbortIncompleteMultipartUpload cannot be specified with Tags.")

	e.mustPutConfig(b,
		lcAbortRule("scratch-prefix", "scratch/", 2),
		lcExpireRule("expire-scratch-tag", &types.LifecycleRuleFilter{Tag: &types.Tag{Key: aws.String("class"), Value: aws.String("scratch")}},
			types.LifecycleExpiration{Days: aws.Int32(1)}),
	)
	tagged := func(in *s3.CreateMultipartUploadInput) { in.Tagging = aws.String("class=scratch") }
	out := e.create(b, "scratch/a", tagged)
	want := lcDue(e.initiated(b, "scratch/a", aws.ToString(out.UploadId)), 2)
	lcWantAbort(t, "tagged upload under the prefix", out.AbortDate, out.AbortRuleId, want, "scratch-prefix")
	out = e.create(b, "elsewhere/a", tagged)
	lcWantAbort(t, "tagged upload elsewhere", out.AbortDate, out.AbortRuleId, time.Time{}, "")
	lp, err := e.listParts(b, "elsewhere/a", aws.ToString(out.UploadId))
	if err != nil {
		t.Fatalf("ListParts: %v", err)
	}
	lcWantAbort(t, "ListParts of the tagged upload elsewhere", lp.AbortDate, lp.AbortRuleId, time.Time{}, "")
}
