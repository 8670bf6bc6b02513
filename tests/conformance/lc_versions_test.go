package conformance

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestLcVersionsConfig: the versioned-bucket actions are stored and
// returned as sent; their malformed forms are refused as S3 refuses them.
func TestLcVersionsConfig(t *testing.T) {
	e := lcSetup(t)
	b := e.bucket()
	// LocalStack test_bucket_lifecycle_configuration_object_expiry_versioned
	// (AWS recording): Expiration beside NoncurrentVersionExpiration is
	// accepted and GET returns NoncurrentVersionExpiration as sent.
	rules := []types.LifecycleRule{
		{ID: aws.String("both"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("a/")},
			Expiration:                  &types.LifecycleExpiration{Days: aws.Int32(30)},
			NoncurrentVersionExpiration: &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(1)}},
		lcNoncurrentRule("newer", "b/", 7, aws.Int32(3)),
		// LocalStack test_lifecycle_expired_object_delete_marker (AWS
		// recording): ExpiredObjectDeleteMarker alone is accepted.
		lcExpireRule("marker", &types.LifecycleRuleFilter{Prefix: aws.String("c/")}, types.LifecycleExpiration{ExpiredObjectDeleteMarker: aws.Bool(true)}),
	}
	e.mustPutConfig(b, rules...)
	out, err := e.c.GetBucketLifecycleConfiguration(lcCtx(), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(b)})
	if err != nil || len(out.Rules) != 3 {
		t.Fatalf("GET: %v, %d rules", err, len(out.Rules))
	}
	r0, r1, r2 := out.Rules[0], out.Rules[1], out.Rules[2]
	if n := r0.NoncurrentVersionExpiration; n == nil || aws.ToInt32(n.NoncurrentDays) != 1 || n.NewerNoncurrentVersions != nil ||
		r0.Expiration == nil || aws.ToInt32(r0.Expiration.Days) != 30 {
		t.Errorf("rule both: %+v %+v", r0.Expiration, r0.NoncurrentVersionExpiration)
	}
	if n := r1.NoncurrentVersionExpiration; n == nil || aws.ToInt32(n.NoncurrentDays) != 7 || aws.ToInt32(n.NewerNoncurrentVersions) != 3 {
		t.Errorf("rule newer: %+v", r1.NoncurrentVersionExpiration)
	}
	if x := r2.Expiration; x == nil || !aws.ToBool(x.ExpiredObjectDeleteMarker) || x.Days != nil || x.Date != nil {
		t.Errorf("rule marker: %+v", r2.Expiration)
	}
	// LocalStack test_lifecycle_expired_object_delete_marker: with only an
	// ExpiredObjectDeleteMarker rule, objects carry no x-amz-expiration.
	e.put(b, "c/x", []byte("x"))
	if h, err := e.c.HeadObject(lcCtx(), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("c/x")}); err != nil || h.Expiration != nil {
		t.Errorf("HEAD under a delete-marker rule: %v, x-amz-expiration %q", err, aws.ToString(h.Expiration))
	}

	const pf, en = `<Filter><Prefix>p/</Prefix></Filter>`, `<Status>Enabled</Status>`
	wrap := func(rule string) []byte {
		return []byte(`<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule>` + rule + `</Rule></LifecycleConfiguration>`)
	}
	tests := []struct {
		name, rule, code, msg string
	}{
		// LocalStack test_put_bucket_lifecycle_conf_exc, recorded against AWS:
		// "missing-noncurrent-version-expiration-data" → MalformedXML.
		{"empty NoncurrentVersionExpiration", pf + en + `<NoncurrentVersionExpiration></NoncurrentVersionExpiration>`, "MalformedXML", ""},
		// Same test, "expired-delete-marker-and-days" → MalformedXML.
		{"ExpiredObjectDeleteMarker with Days", pf + en + `<Expiration><Days>2</Days><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`, "MalformedXML", ""},
		// The API reference: "This cannot be specified with Days or Date";
		// a Date is taken to fail as Days does (no recording).
		{"ExpiredObjectDeleteMarker with Date", pf + en + `<Expiration><Date>2030-01-01T00:00:00Z</Date><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`, "MalformedXML", ""},
		// No AWS recording: the user guide's bound of 100, the message in
		// the form of NoncurrentDays' (which AWS returns, terraform-provider-aws#35328).
		{"NewerNoncurrentVersions 101", pf + en + `<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>101</NewerNoncurrentVersions></NoncurrentVersionExpiration>`,
			"InvalidArgument", "'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be an integer between 1 and 100"},
		{"NewerNoncurrentVersions 0", pf + en + `<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>0</NewerNoncurrentVersions></NoncurrentVersionExpiration>`,
			"InvalidArgument", "'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be an integer between 1 and 100"},
		// terraform-provider-aws#35328 quotes AWS's answer.
		{"NoncurrentDays 0", pf + en + `<NoncurrentVersionExpiration><NoncurrentDays>0</NoncurrentDays></NoncurrentVersionExpiration>`,
			"InvalidArgument", "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := wrap(tc.rule)
			r := e.raw(http.MethodPut, "/"+b+"?lifecycle", body, lcMD5(body))
			want := "<Code>" + tc.code + "</Code>"
			if tc.msg != "" {
				want += "<Message>" + lcXMLEscape(tc.msg) + "</Message>"
			}
			if r.status != 400 || !bytes.Contains(r.body, []byte(want)) {
				t.Errorf("got %d %s\nwant 400 %s", r.status, r.body, want)
			}
		})
	}
}

// TestLcVersionsNoncurrentExpiration: a noncurrent version is permanently
// removed NoncurrentDays after its successor was created, rounded up to
// midnight UTC (AWS user guide, "Lifecycle configuration elements"), the
// NewerNoncurrentVersions newest noncurrent ones kept; its bytes are freed.
func TestLcVersionsNoncurrentExpiration(t *testing.T) {
	e := lcSetup(t)
	b := e.versionedBucket(false)
	e.mustPutConfig(b, lcNoncurrentRule("keep-1", "n/", 1, aws.Int32(1)), lcNoncurrentRule("two-days", "p/", 2, nil))

	blobs := lcBlobs(t, e.srv.DataDir)
	n1 := e.put(b, "n/k", bytes.Repeat([]byte("1"), 100))
	n1Blobs := lcNew(blobs, lcBlobs(t, e.srv.DataDir))
	n2 := e.put(b, "n/k", []byte("two"))
	n2Made := e.versionTime(b, "n/k", n2)
	n3 := e.put(b, "n/k", []byte("three"))
	p1 := e.put(b, "p/k", []byte("p one"))
	p2 := e.put(b, "p/k", []byte("p two"))
	p2Made := e.versionTime(b, "p/k", p2)
	o1 := e.put(b, "other", []byte("no rule"))
	o2 := e.put(b, "other", []byte("no rule 2"))
	if len(n1Blobs) == 0 {
		t.Fatal("the first version made no blob file")
	}

	// n/k v1 became noncurrent when v2 was made; v2 is the newest
	// noncurrent version and is kept.
	nDue := lcDue(n2Made, 1)
	if st := e.passStats(nDue.Add(-time.Minute)); st.Removed != 0 {
		t.Fatalf("a pass a minute early removed %d versions", st.Removed)
	}
	if st := e.passStats(nDue); st.Removed != 1 {
		t.Fatalf("the pass at n/k v1's date removed %d versions, want 1", st.Removed)
	}
	e.wantVersions("after n/k v1's date", b, "", "n/k "+n3+" latest", "n/k "+n2, "p/k "+p2+" latest", "p/k "+p1, "other "+o2+" latest", "other "+o1)
	_, err := e.c.GetObject(lcCtx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("n/k"), VersionId: aws.String(n1)})
	lcWantErr(t, "GET of the removed version", err, "NoSuchVersion", 404, "")
	for _, p := range lcBlobsGone(t, e.srv.DataDir, n1Blobs) {
		t.Errorf("blob %s of the removed version still on disk", p)
	}

	// After a restart the next pass goes on from the metadata alone.
	e.restart()
	pDue := lcDue(p2Made, 2)
	if !pDue.After(nDue) {
		t.Fatalf("dates out of order: %v %v", pDue, nDue)
	}
	if st := e.passStats(pDue); st.Removed != 1 {
		t.Fatalf("the pass at p/k v1's date removed %d versions, want 1", st.Removed)
	}
	if st := e.passStats(pDue.AddDate(1, 0, 0)); st.Removed != 0 {
		t.Fatalf("a year on, a pass removed %d more (n/k v2 is kept by NewerNoncurrentVersions)", st.Removed)
	}
	e.wantVersions("a year on", b, "", "n/k "+n3+" latest", "n/k "+n2, "p/k "+p2+" latest", "other "+o2+" latest", "other "+o1)
	got, _ := e.c.GetObject(lcCtx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("n/k"), VersionId: aws.String(n2)})
	if got == nil {
		t.Fatal("the kept noncurrent version cannot be read")
	}
	got.Body.Close()
}

// TestLcVersionsExpirationLifecycle: on a versioning-enabled bucket an
// Expiration adds a delete marker, keeping the object as a noncurrent
// version (AWS user guide, "Expiring objects"); NoncurrentVersionExpiration
// then removes that version, and the marker, left alone, is removed once it
// is old enough ("When you specify the Days tag, Amazon S3 automatically
// performs ExpiredObjectDeleteMarker cleanup when the delete markers are old
// enough", AWS on re:Post; user guide "Managing delete markers").
func TestLcVersionsExpirationLifecycle(t *testing.T) {
	e := lcSetup(t)
	b := e.versionedBucket(false)
	e.mustPutConfig(b, types.LifecycleRule{
		ID: aws.String("all"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("")},
		Expiration:                  &types.LifecycleExpiration{Days: aws.Int32(1)},
		NoncurrentVersionExpiration: &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(1)},
	})
	v1 := e.put(b, "k", []byte("data"))
	t1 := lcDue(e.versionTime(b, "k", v1), 1)

	if st := e.passStats(t1); st.Expired != 1 || st.Removed != 0 {
		t.Fatalf("the pass at the expiry date: %+v, want 1 expired", st)
	}
	vs := e.versions(b, "")
	if len(vs) != 2 || vs[1] != "k "+v1 || !strings.HasSuffix(vs[0], " marker latest") {
		t.Fatalf("after expiry: %q, want a marker over the version", vs)
	}
	if e.exists(b, "k") {
		t.Error("the expired key still reads")
	}
	if b, err := e.c.GetObject(lcCtx(), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: aws.String(v1)}); err != nil {
		t.Errorf("the expired version by ID: %v", err)
	} else {
		b.Body.Close()
	}

	// The version became noncurrent when the marker was made, at t1.
	t2 := lcDue(t1, 1)
	if st := e.passStats(t2.Add(-time.Minute)); st.Removed != 0 || st.Expired != 0 {
		t.Fatalf("a pass before the noncurrent date: %+v", st)
	}
	removed := e.passStats(t2).Removed
	removed += e.passStats(t2).Removed // the marker, alone now, on the next pass
	if removed != 2 {
		t.Fatalf("passes at the noncurrent date removed %d, want the version and the marker", removed)
	}
	e.wantVersions("at the end", b, "")
}

// TestLcVersionsExpiredObjectDeleteMarker: a rule with
// ExpiredObjectDeleteMarker removes a delete marker that is its key's only
// version, and leaves one that still hides versions (AWS user guide,
// "Expiring objects": "Amazon S3 doesn't take any action if there are one
// or more object versions and the delete marker is the current version").
func TestLcVersionsExpiredObjectDeleteMarker(t *testing.T) {
	e := lcSetup(t)
	b := e.versionedBucket(false)
	e.mustPutConfig(b, lcExpireRule("eodm", &types.LifecycleRuleFilter{Prefix: aws.String("m/")}, types.LifecycleExpiration{ExpiredObjectDeleteMarker: aws.Bool(true)}))
	del := func(key, id string) string {
		t.Helper()
		in := &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String(key)}
		if id != "" {
			in.VersionId = aws.String(id)
		}
		out, err := e.c.DeleteObject(lcCtx(), in)
		if err != nil {
			t.Fatalf("DeleteObject(%s, %q): %v", key, id, err)
		}
		return aws.ToString(out.VersionId)
	}
	a1 := e.put(b, "m/alone", []byte("a"))
	aMarker := del("m/alone", "")
	del("m/alone", a1) // only the marker is left
	h1 := e.put(b, "m/hiding", []byte("h"))
	hMarker := del("m/hiding", "")
	x1 := e.put(b, "x/alone", []byte("x"))
	xMarker := del("x/alone", "")
	del("x/alone", x1) // a lone marker no rule covers

	e.wantVersions("before", b, "", "m/alone "+aMarker+" marker latest", "m/hiding "+hMarker+" marker latest", "m/hiding "+h1, "x/alone "+xMarker+" marker latest")
	if st := e.passStats(time.Now()); st.Removed != 1 {
		t.Fatalf("the pass removed %d, want m/alone's marker", st.Removed)
	}
	e.wantVersions("after", b, "", "m/hiding "+hMarker+" marker latest", "m/hiding "+h1, "x/alone "+xMarker+" marker latest")
	if st := e.passStats(time.Now().AddDate(1, 0, 0)); st.Removed != 0 {
		t.Fatalf("a later pass removed %d more", st.Removed)
	}
}

// TestLcVersionsNeverRemovesLocked: "protected object versions remain safe
// from being deleted or overwritten by a lifecycle configuration" (AWS user
// guide, object-lock-managing): a legal hold, and a GOVERNANCE retention
// (lifecycle does not bypass it), keep a noncurrent version however old;
// it goes on the first pass after the protection ends.
func TestLcVersionsNeverRemovesLocked(t *testing.T) {
	e := lcSetup(t)
	b := e.versionedBucket(true)
	e.mustPutConfig(b, lcNoncurrentRule("nc", "", 1, nil))
	held := e.put(b, "k", []byte("held"), func(in *s3.PutObjectInput) { in.ObjectLockLegalHoldStatus = types.ObjectLockLegalHoldStatusOn })
	retained := e.put(b, "k", []byte("retained"), func(in *s3.PutObjectInput) {
		in.ObjectLockMode = types.ObjectLockModeGovernance
		in.ObjectLockRetainUntilDate = aws.Time(time.Now().AddDate(1, 0, 0))
	})
	plain := e.put(b, "k", []byte("plain"))
	cur := e.put(b, "k", []byte("current"))

	st := e.passStats(time.Now().AddDate(0, 1, 0))
	if st.Removed != 1 {
		t.Fatalf("a month on, the pass removed %d, want only the unprotected version", st.Removed)
	}
	e.wantVersions("a month on", b, "", "k "+cur+" latest", "k "+retained, "k "+held)
	_, err := e.c.HeadObject(lcCtx(), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: aws.String(plain)})
	lcWantErr(t, "HEAD of the removed version", err, "NotFound", 404, "")

	if _, err := e.c.PutObjectLegalHold(lcCtx(), &s3.PutObjectLegalHoldInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: aws.String(held),
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOff}}); err != nil {
		t.Fatalf("PutObjectLegalHold OFF: %v", err)
	}
	if st := e.passStats(time.Now().AddDate(0, 1, 0)); st.Removed != 1 {
		t.Fatalf("after the hold was lifted the pass removed %d, want 1", st.Removed)
	}
	e.wantVersions("hold lifted", b, "", "k "+cur+" latest", "k "+retained)
	if st := e.passStats(time.Now().AddDate(1, 0, 1)); st.Removed != 1 {
		t.Fatalf("after the retention ended the pass removed %d, want 1", st.Removed)
	}
	e.wantVersions("retention over", b, "", "k "+cur+" latest")
}
