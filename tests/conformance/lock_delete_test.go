package conformance

import (
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Deleting and overwriting on a lock bucket, x-amz-bypass-governance-retention
// and s3:BypassGovernanceRetention, and locks across a restart.

// TestLockDeleteVersion: which locked versions DeleteObject(versionId)
// refuses, one row each, as the owner.
func TestLockDeleteVersion(t *testing.T) {
	e := lockNew(t)
	b := e.bucket()
	future := lockFuture(time.Hour)
	for _, tc := range []struct {
		name    string
		lock    func(*s3.PutObjectInput)
		bypass  bool
		allowed bool
	}{
		// LocalStack test_s3_object_retention "delete-obj-locked" / "-bypass"
		// [REC]; ceph test_object_lock_delete_object_with_retention. The text
		// is the newer AWS-verified one (moto test_locked_object_governance_mode;
		// research §2 CONTRADICTION — LocalStack's 2023 recording said "Access Denied").
		{"governance", lockHeaders(types.ObjectLockModeGovernance, future, ""), false, false},
		{"governance bypass", lockHeaders(types.ObjectLockModeGovernance, future, ""), true, true},
		// moto test_locked_object_compliance_mode (aws_verified): bypass has no effect.
		{"compliance", lockHeaders(types.ObjectLockModeCompliance, future, ""), false, false},
		{"compliance bypass", lockHeaders(types.ObjectLockModeCompliance, future, ""), true, false},
		// LocalStack test_delete_locked_object [REC]; moto test_put_object_legal_hold:
		// a legal hold is not bypassed.
		{"legal hold", lockHeaders("", time.Time{}, types.ObjectLockLegalHoldStatusOn), false, false},
		{"legal hold bypass", lockHeaders("", time.Time{}, types.ObjectLockLegalHoldStatusOn), true, false},
		{"governance and legal hold bypass", lockHeaders(types.ObjectLockModeGovernance, future, types.ObjectLockLegalHoldStatusOn), true, false},
		// ceph test_object_lock_delete_object_with_legal_hold_off.
		{"legal hold off", lockHeaders("", time.Time{}, types.ObjectLockLegalHoldStatusOff), false, true},
		{"no lock", func(*s3.PutObjectInput) {}, false, true},
	} {
		vid := e.put(b, tc.name, tc.lock)
		in := &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String(tc.name), VersionId: aws.String(vid)}
		if tc.bypass {
			in.BypassGovernanceRetention = aws.Bool(true)
		}
		out, err := e.c.DeleteObject(ctx(), in)
		if !tc.allowed {
			ckWantErr(t, tc.name, err, "AccessDenied", http.StatusForbidden, lockMsgProtected)
			e.head(b, tc.name, vid) // still there
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		// "delete-obj-locked-bypass" [REC]: the version ID is echoed.
		if aws.ToString(out.VersionId) != vid {
			t.Errorf("%s: VersionId %q, want %q", tc.name, aws.ToString(out.VersionId), vid)
		}
	}
}

// TestLockDeleteMakesMarker: DELETE without a version on a lock bucket
// adds a delete marker; the locked version stays, lock and all (LocalStack
// test_object_lock_delete_markers "put-delete-marker" [REC]; marmotitude
// test_simple_delete_with_lock, run against AWS).
func TestLockDeleteMakesMarker(t *testing.T) {
	e := lockNew(t)
	b := e.bucket()
	until := lockFuture(time.Hour)
	vid := e.put(b, "k", lockHeaders(types.ObjectLockModeCompliance, until, types.ObjectLockLegalHoldStatusOn))
	r := e.do(http.MethodDelete, objectPath(b, "k"), nil, nil, false)
	r.wantStatus(t, "delete", http.StatusNoContent)
	if r.Header.Get("x-amz-delete-marker") != "true" || r.Header.Get("x-amz-version-id") == "" {
		t.Errorf("delete: x-amz-delete-marker %q x-amz-version-id %q", r.Header.Get("x-amz-delete-marker"), r.Header.Get("x-amz-version-id"))
	}
	h := e.head(b, "k", vid)
	if h.ObjectLockMode != types.ObjectLockModeCompliance || h.ObjectLockLegalHoldStatus != types.ObjectLockLegalHoldStatusOn {
		t.Errorf("locked version after the marker: %q %q", h.ObjectLockMode, h.ObjectLockLegalHoldStatus)
	}
	// The bypass header on a lock bucket is fine without a version too.
	if _, err := e.c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k"), BypassGovernanceRetention: aws.Bool(true)}); err != nil {
		t.Errorf("second marker with bypass: %v", err)
	}
}

// TestLockOverwrite: a PUT of a locked key makes a new version; the old one
// keeps its lock (AWS docs object-lock-overview; LocalStack
// test_s3_legal_hold_lock_versioned "put-object-2" [REC]).
func TestLockOverwrite(t *testing.T) {
	e := lockNew(t)
	b := e.bucket()
	until := lockFuture(time.Hour)
	v1 := e.put(b, "k", lockHeaders(types.ObjectLockModeCompliance, until, types.ObjectLockLegalHoldStatusOn))
	v2 := e.put(b, "k")
	if v1 == v2 || v2 == "" || v2 == "null" {
		t.Fatalf("versions %q then %q", v1, v2)
	}
	if h := e.head(b, "k", ""); h.ObjectLockMode != "" || h.ObjectLockLegalHoldStatus != "" || aws.ToString(h.VersionId) != v2 {
		t.Errorf("latest: %q %q %q", aws.ToString(h.VersionId), h.ObjectLockMode, h.ObjectLockLegalHoldStatus)
	}
	h := e.head(b, "k", v1)
	if h.ObjectLockMode != types.ObjectLockModeCompliance || h.ObjectLockLegalHoldStatus != types.ObjectLockLegalHoldStatusOn {
		t.Errorf("v1: %q %q", h.ObjectLockMode, h.ObjectLockLegalHoldStatus)
	}
	lockWantTime(t, "v1", h.ObjectLockRetainUntilDate, until)
	// The new, unlocked version can be deleted; v1 cannot.
	if err := lockDeleteVersion(e.c, b, "k", v2, false); err != nil {
		t.Errorf("delete v2: %v", err)
	}
	ckWantErr(t, "delete v1", lockDeleteVersion(e.c, b, "k", v1, true), "AccessDenied", http.StatusForbidden, lockMsgProtected)
}

// TestLockDeleteObjects: locked entries fail one by one with AccessDenied,
// the rest are deleted; with the bypass a GOVERNANCE entry goes (LocalStack
// test_delete_locked_object "delete-objects-locked" [REC]; ceph
// test_object_lock_multi_delete_object_with_retention; text from moto's
// aws_verified test_locked_object_governance_mode).
func TestLockDeleteObjects(t *testing.T) {
	e := lockNew(t)
	b := e.bucket()
	future := lockFuture(time.Hour)
	gv := e.put(b, "gov", lockHeaders(types.ObjectLockModeGovernance, future, ""))
	cv := e.put(b, "comp", lockHeaders(types.ObjectLockModeCompliance, future, ""))
	hv := e.put(b, "hold", lockHeaders("", time.Time{}, types.ObjectLockLegalHoldStatusOn))
	fv := e.put(b, "free")
	e.put(b, "marker-me", lockHeaders(types.ObjectLockModeCompliance, future, ""))
	ids := []types.ObjectIdentifier{
		{Key: aws.String("gov"), VersionId: aws.String(gv)},
		{Key: aws.String("comp"), VersionId: aws.String(cv)},
		{Key: aws.String("hold"), VersionId: aws.String(hv)},
		{Key: aws.String("free"), VersionId: aws.String(fv)},
		{Key: aws.String("marker-me")}, // no version: a delete marker
	}
	del := func(bypass bool) *s3.DeleteObjectsOutput {
		t.Helper()
		in := &s3.DeleteObjectsInput{Bucket: aws.String(b), Delete: &types.Delete{Objects: ids}}
		if bypass {
			in.BypassGovernanceRetention = aws.Bool(true)
		}
		out, err := e.c.DeleteObjects(ctx(), in)
		if err != nil {
			t.Fatalf("DeleteObjects(bypass %v): %v", bypass, err)
		}
		return out
	}
	wantResult(t, "without bypass", del(false), map[string]string{"free": "", "marker-me": "", "gov": lockMsgProtected, "comp": lockMsgProtected, "hold": lockMsgProtected})
	ids = ids[:3]
	wantResult(t, "with bypass", del(true), map[string]string{"gov": "", "comp": lockMsgProtected, "hold": lockMsgProtected})
}

// wantResult checks DeleteObjects' answer: key -> "" for Deleted, else the
// AccessDenied message of its Error.
func wantResult(t *testing.T, what string, out *s3.DeleteObjectsOutput, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for _, d := range out.Deleted {
		got[aws.ToString(d.Key)] = ""
	}
	for _, er := range out.Errors {
		if aws.ToString(er.Code) != "AccessDenied" || aws.ToString(er.VersionId) == "" {
			t.Errorf("%s: error %s %s %q for %s", what, aws.ToString(er.Code), aws.ToString(er.VersionId), aws.ToString(er.Message), aws.ToString(er.Key))
		}
		got[aws.ToString(er.Key)] = aws.ToString(er.Message)
	}
	if len(got) != len(want) {
		t.Errorf("%s: results %q, want %q", what, got, want)
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s: %s -> %q (present %v), want %q", what, k, g, ok, v)
		}
	}
}

// TestLockBypassOnBucketWithoutLock: the header at all, even "false", on a
// bucket without Object Lock is a 400 for the whole request (LocalStack
// test_delete_object_with_no_locking [REC]).
func TestLockBypassOnBucketWithoutLock(t *testing.T) {
	e := lockNew(t)
	b := e.versioned(types.BucketVersioningStatusEnabled)
	vid := e.put(b, "k")
	const msg = "x-amz-bypass-governance-retention is only applicable to Object Lock enabled buckets."
	for _, v := range []bool{true, false} {
		_, err := e.c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k"), BypassGovernanceRetention: aws.Bool(v)})
		ckWantErr(t, "DeleteObject", err, "InvalidArgument", http.StatusBadRequest, msg)
		_, err = e.c.DeleteObjects(ctx(), &s3.DeleteObjectsInput{Bucket: aws.String(b), BypassGovernanceRetention: aws.Bool(v),
			Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("k"), VersionId: aws.String(vid)}}}})
		ckWantErr(t, "DeleteObjects", err, "InvalidArgument", http.StatusBadRequest, msg)
	}
	r := e.do(http.MethodDelete, objectPath(b, "k")+"?versionId="+vid, http.Header{"X-Amz-Bypass-Governance-Retention": {"true"}}, nil, false)
	if x := r.wantErr(t, "raw", http.StatusBadRequest, "InvalidArgument", msg); x.ArgumentName != "x-amz-bypass-governance-retention" {
		t.Errorf("ArgumentName %q", x.ArgumentName)
	}
	e.head(b, "k", vid) // nothing was deleted
}

// TestLockBypassPermission: the bypass takes the header AND
// s3:BypassGovernanceRetention (AWS docs object-lock-managing; research §9).
// A second account gets what a bucket policy grants it; an explicit Deny
// binds even the owner (re:Post test with a Deny on the action).
func TestLockBypassPermission(t *testing.T) {
	e := lockNew(t)
	bob := e.srv.NewAccount("bob")
	bc := e.srv.S3As(bob.AccessKey, bob.SecretKey, sdkDefaults)
	future := lockFuture(24 * time.Hour)
	base := []string{"s3:PutObjectRetention", "s3:GetObjectRetention", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:GetObjectVersion"}
	setup := func(extra ...string) (string, string) {
		t.Helper()
		b := e.bucket()
		acctPolicy(t, e.c, b, acctDoc(acctStmt("Allow", map[string]string{
			"Principal": acctAWS(bob.ID), "Action": acctList(append(base, extra...)...), "Resource": acctList(acctObjARN(b, "*"))})))
		return b, e.put(b, "k", lockHeaders(types.ObjectLockModeGovernance, future, ""))
	}

	// Without s3:BypassGovernanceRetention the header is refused.
	b, vid := setup()
	ckWantErr(t, "bob shortens", lockRetain(bc, b, "k", vid, gov, future.Add(-time.Hour), true), "AccessDenied", http.StatusForbidden, "Access Denied")
	ckWantErr(t, "bob deletes", lockDeleteVersion(bc, b, "k", vid, true), "AccessDenied", http.StatusForbidden, "")
	out, err := bc.DeleteObjects(ctx(), &s3.DeleteObjectsInput{Bucket: aws.String(b), BypassGovernanceRetention: aws.Bool(true),
		Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("k"), VersionId: aws.String(vid)}}}})
	if err != nil || len(out.Errors) != 1 || aws.ToString(out.Errors[0].Code) != "AccessDenied" || len(out.Deleted) != 0 {
		t.Errorf("bob DeleteObjects with bypass: %+v, %v", out, err)
	}
	// Extending needs no bypass, so no permission either.
	if err := lockRetain(bc, b, "k", vid, gov, future.Add(time.Hour), false); err != nil {
		t.Errorf("bob extends: %v", err)
	}
	e.head(b, "k", vid)

	// With it, bob may shorten and delete, by one call or by DeleteObjects.
	b, vid = setup("s3:BypassGovernanceRetention")
	ckWantErr(t, "bob shortens without the header", lockRetain(bc, b, "k", vid, gov, future.Add(-time.Hour), false), "AccessDenied", http.StatusForbidden, "Access Denied")
	if err := lockRetain(bc, b, "k", vid, gov, future.Add(-time.Hour), true); err != nil {
		t.Errorf("bob shortens with bypass: %v", err)
	}
	ckWantErr(t, "bob deletes without the header", lockDeleteVersion(bc, b, "k", vid, false), "AccessDenied", http.StatusForbidden, lockMsgProtected)
	if err := lockDeleteVersion(bc, b, "k", vid, true); err != nil {
		t.Errorf("bob deletes with bypass: %v", err)
	}
	v2 := e.put(b, "k2", lockHeaders(types.ObjectLockModeGovernance, future, ""))
	out, err = bc.DeleteObjects(ctx(), &s3.DeleteObjectsInput{Bucket: aws.String(b), BypassGovernanceRetention: aws.Bool(true),
		Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("k2"), VersionId: aws.String(v2)}}}})
	if err != nil || len(out.Deleted) != 1 || len(out.Errors) != 0 {
		t.Errorf("bob DeleteObjects with bypass and the permission: %+v, %v", out, err)
	}
	// COMPLIANCE stays out of reach.
	cv := e.put(b, "c", lockHeaders(types.ObjectLockModeCompliance, future, ""))
	ckWantErr(t, "bob deletes compliance", lockDeleteVersion(bc, b, "c", cv, true), "AccessDenied", http.StatusForbidden, lockMsgProtected)

	// An explicit Deny binds the owner.
	b = e.bucket()
	acctPolicy(t, e.c, b, acctDoc(acctStmt("Deny", map[string]string{
		"Principal": `"*"`, "Action": acctList("s3:BypassGovernanceRetention"), "Resource": acctList(acctObjARN(b, "*"))})))
	vid = e.put(b, "k", lockHeaders(types.ObjectLockModeGovernance, future, ""))
	free := e.put(b, "free")
	ckWantErr(t, "owner deletes, denied", lockDeleteVersion(e.c, b, "k", vid, true), "AccessDenied", http.StatusForbidden, "")
	ckWantErr(t, "owner shortens, denied", lockRetain(e.c, b, "k", vid, gov, future.Add(-time.Hour), true), "AccessDenied", http.StatusForbidden, "")
	// re:Post: with the Deny, even an unlocked version's delete fails when
	// the header is sent, and works without it.
	ckWantErr(t, "owner deletes unlocked with header, denied", lockDeleteVersion(e.c, b, "free", free, true), "AccessDenied", http.StatusForbidden, "")
	if err := lockDeleteVersion(e.c, b, "free", free, false); err != nil {
		t.Errorf("owner deletes unlocked without header: %v", err)
	}
	e.head(b, "k", vid)
}

// TestLockSurvivesRestart: the bucket's lock and default, and each
// version's retention and legal hold, are metadata that outlives the process.
func TestLockSurvivesRestart(t *testing.T) {
	e := lockNew(t)
	b := e.bucket()
	e.setDefault(b, types.ObjectLockRetentionModeGovernance, 3, 0)
	until := lockFuture(time.Hour)
	held := e.put(b, "held", lockHeaders(types.ObjectLockModeCompliance, until, types.ObjectLockLegalHoldStatusOn))
	dflt := e.put(b, "default")
	before := e.head(b, "default", dflt).ObjectLockRetainUntilDate

	e.srv.Restart()
	e.c = sdkClient(e.srv)

	cfg, err := e.c.GetObjectLockConfiguration(ctx(), &s3.GetObjectLockConfigurationInput{Bucket: aws.String(b)})
	if err != nil || cfg.ObjectLockConfiguration.Rule == nil || aws.ToInt32(cfg.ObjectLockConfiguration.Rule.DefaultRetention.Days) != 3 {
		t.Errorf("configuration after restart: %+v, %v", cfg, err)
	}
	h := e.head(b, "held", held)
	if h.ObjectLockMode != types.ObjectLockModeCompliance || h.ObjectLockLegalHoldStatus != types.ObjectLockLegalHoldStatusOn {
		t.Errorf("held after restart: %q %q", h.ObjectLockMode, h.ObjectLockLegalHoldStatus)
	}
	lockWantTime(t, "held after restart", h.ObjectLockRetainUntilDate, until)
	lockWantTime(t, "default after restart", e.head(b, "default", dflt).ObjectLockRetainUntilDate, *before)
	ckWantErr(t, "delete after restart", lockDeleteVersion(e.c, b, "held", held, true), "AccessDenied", http.StatusForbidden, lockMsgProtected)
	_, err = e.c.PutBucketVersioning(ctx(), &s3.PutBucketVersioningInput{Bucket: aws.String(b),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}})
	ckWantErr(t, "suspend after restart", err, "InvalidBucketState", http.StatusConflict, "")
	// New writes still get the default.
	nv := e.put(b, "new")
	if h := e.head(b, "new", nv); h.ObjectLockMode != types.ObjectLockModeGovernance {
		t.Errorf("new version after restart: mode %q", h.ObjectLockMode)
	}
}
