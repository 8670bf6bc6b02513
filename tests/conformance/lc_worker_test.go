package conformance

import (
	"bytes"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestLcWorkerAbortsDueUploads: once the clock reaches an upload's abort
// date, a lifecycle pass aborts it and frees its part bytes; uploads not
// yet due, and uploads no rule covers, are left alone; after a restart the
// next pass picks up where the data says.
func TestLcWorkerAbortsDueUploads(t *testing.T) {
	e := lcSetup(t)
	b := e.bucket()
	e.mustPutConfig(b, lcAbortRule("tmp-1d", "tmp/", 1), lcAbortRule("slow-7d", "slow/", 7))

	blobsBefore := lcBlobs(t, e.srv.DataDir)
	due := e.create(b, "tmp/due")
	dueID := aws.ToString(due.UploadId)
	e.part(b, "tmp/due", dueID, 1, bytes.Repeat([]byte("a"), 1000))
	e.part(b, "tmp/due", dueID, 2, bytes.Repeat([]byte("b"), 1000))
	dueBlobs := lcNew(blobsBefore, lcBlobs(t, e.srv.DataDir))
	if len(dueBlobs) != 2 {
		t.Fatalf("2 parts made %d blob files", len(dueBlobs))
	}
	slow := e.create(b, "slow/x")
	e.part(b, "slow/x", aws.ToString(slow.UploadId), 1, []byte("slow part"))
	free := e.create(b, "free/x") // no rule: never aborted
	e.part(b, "free/x", aws.ToString(free.UploadId), 1, []byte("free part"))
	abortDate := aws.ToTime(due.AbortDate)
	slowDate := aws.ToTime(slow.AbortDate)
	if abortDate.IsZero() || slowDate.IsZero() {
		t.Fatalf("no abort dates: %v %v", abortDate, slowDate)
	}

	if a, _ := e.pass(abortDate.Add(-time.Minute)); a != 0 {
		t.Fatalf("a pass a minute before the date aborted %d uploads", a)
	}
	if _, err := e.listParts(b, "tmp/due", dueID); err != nil {
		t.Fatalf("ListParts before the date: %v", err)
	}
	if a, _ := e.pass(abortDate); a != 1 {
		t.Fatalf("the pass at the abort date aborted %d uploads, want 1", a)
	}
	_, err := e.listParts(b, "tmp/due", dueID)
	lcWantErr(t, "ListParts of the aborted upload", err, "NoSuchUpload", 404, "")
	for _, p := range lcBlobsGone(t, e.srv.DataDir, dueBlobs) {
		t.Errorf("part blob %s still on disk after the abort", p)
	}
	for _, u := range []struct{ key, id string }{{"slow/x", aws.ToString(slow.UploadId)}, {"free/x", aws.ToString(free.UploadId)}} {
		if lp, err := e.listParts(b, u.key, u.id); err != nil || len(lp.Parts) != 1 {
			t.Errorf("ListParts(%s) after the pass: %v", u.key, err)
		}
	}
	if a, _ := e.pass(abortDate.Add(time.Hour)); a != 0 {
		t.Errorf("a second pass aborted %d more", a)
	}

	// Restart: the new server's first pass past the slow rule's date aborts
	// that upload too, with nothing remembered but the metadata.
	e.restart()
	if a, _ := e.pass(slowDate.Add(24 * 365 * time.Hour)); a != 1 {
		t.Fatalf("the pass after restart aborted %d uploads, want 1", a)
	}
	_, err = e.listParts(b, "slow/x", aws.ToString(slow.UploadId))
	lcWantErr(t, "ListParts of the upload aborted after restart", err, "NoSuchUpload", 404, "")
	if lp, err := e.listParts(b, "free/x", aws.ToString(free.UploadId)); err != nil || len(lp.Parts) != 1 {
		t.Errorf("upload without a rule was touched: %v", err)
	}
	if st := e.srv.Lifecycle().Stats(); st.Aborted != 1 || st.Passes != 1 {
		t.Errorf("Stats after restart = %+v, want 1 pass, 1 aborted", st)
	}
}

// TestLcWorkerNoRuleNoAbort: without a lifecycle rule an upload is kept
// forever, as in S3 (no hidden 24-hour janitor).
func TestLcWorkerNoRuleNoAbort(t *testing.T) {
	e := lcSetup(t)
	b := e.bucket()
	out := e.create(b, "k")
	e.part(b, "k", aws.ToString(out.UploadId), 1, []byte("x"))
	if a, _ := e.pass(time.Now().AddDate(10, 0, 0)); a != 0 {
		t.Fatalf("aborted %d uploads without a rule", a)
	}
	if _, err := e.listParts(b, "k", aws.ToString(out.UploadId)); err != nil {
		t.Fatalf("ListParts ten years on: %v", err)
	}
}

// TestLcWorkerExpiresByDays: objects are deleted once Days have passed
// since their last modification, rounded up to midnight UTC; objects the
// filter does not select stay.
func TestLcWorkerExpiresByDays(t *testing.T) {
	e := lcSetup(t)
	b := e.bucket()
	e.mustPutConfig(b,
		lcExpireRule("logs-2d", &types.LifecycleRuleFilter{Prefix: aws.String("logs/")}, types.LifecycleExpiration{Days: aws.Int32(2)}),
		lcExpireRule("scratch-1d", &types.LifecycleRuleFilter{Tag: &types.Tag{Key: aws.String("class"), Value: aws.String("scratch")}},
			types.LifecycleExpiration{Days: aws.Int32(1)}))
	blobsBefore := lcBlobs(t, e.srv.DataDir)
	e.put(b, "logs/a", []byte("log a"))
	logBlobs := lcNew(blobsBefore, lcBlobs(t, e.srv.DataDir))
	e.put(b, "keep", []byte("keep"))
	e.put(b, "tagged", []byte("tagged"), func(in *s3.PutObjectInput) { in.Tagging = aws.String("class=scratch") })
	e.put(b, "untagged", []byte("untagged"), func(in *s3.PutObjectInput) { in.Tagging = aws.String("class=keep") })
	mod := e.lastModified(b, "logs/a")
	logsDue, tagDue := lcDue(mod, 2), lcDue(e.lastModified(b, "tagged"), 1)

	if _, x := e.pass(tagDue.Add(-time.Second)); x != 0 {
		t.Fatalf("expired %d objects early", x)
	}
	if _, x := e.pass(tagDue); x != 1 || e.exists(b, "tagged") || !e.exists(b, "untagged") {
		t.Fatalf("at the tag rule's date: expired %d; tagged exists %v, untagged exists %v", x, e.exists(b, "tagged"), e.exists(b, "untagged"))
	}
	if _, x := e.pass(logsDue); x != 1 || e.exists(b, "logs/a") {
		t.Fatalf("at the logs rule's date: expired %d", x)
	}
	_, err := e.c.GetObject(lcCtx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("logs/a")})
	lcWantErr(t, "GetObject of the expired object", err, "NoSuchKey", 404, "")
	for _, p := range lcBlobsGone(t, e.srv.DataDir, logBlobs) {
		t.Errorf("blob %s of the expired object still on disk", p)
	}
	if _, x := e.pass(logsDue.AddDate(1, 0, 0)); x != 0 || !e.exists(b, "keep") || !e.exists(b, "untagged") {
		t.Errorf("a year on: expired %d; keep %v untagged %v", x, e.exists(b, "keep"), e.exists(b, "untagged"))
	}
}

// TestLcWorkerExpiresByDate: an Expiration by Date deletes the selected
// objects from that midnight on, including objects written after it.
func TestLcWorkerExpiresByDate(t *testing.T) {
	e := lcSetup(t)
	b := e.bucket()
	date := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 3)
	e.mustPutConfig(b, lcExpireRule("on-date", &types.LifecycleRuleFilter{Prefix: aws.String("old/")}, types.LifecycleExpiration{Date: &date}))
	e.put(b, "old/a", []byte("a"))
	e.put(b, "new/a", []byte("a"))
	if _, x := e.pass(date.Add(-time.Minute)); x != 0 || !e.exists(b, "old/a") {
		t.Fatalf("before the date: expired %d", x)
	}
	if _, x := e.pass(date); x != 1 || e.exists(b, "old/a") || !e.exists(b, "new/a") {
		t.Fatalf("at the date: expired %d", x)
	}
	// The date has passed: a new object under the prefix goes on the next pass.
	e.mustPutConfig(b, lcExpireRule("past", &types.LifecycleRuleFilter{Prefix: aws.String("old/")},
		types.LifecycleExpiration{Date: aws.Time(time.Now().UTC().Truncate(24 * time.Hour))}))
	e.put(b, "old/b", []byte("b"))
	if _, x := e.pass(time.Now()); x != 1 || e.exists(b, "old/b") {
		t.Fatalf("date in the past: expired %d", x)
	}
}
