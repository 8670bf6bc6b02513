package conformance

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Bucket-level Object Lock: CreateBucket with x-amz-bucket-object-lock-enabled,
// the versioning it forces, and Put/GetObjectLockConfiguration.

// TestLockCreateBucketEnablesVersioning: a lock bucket is versioning
// Enabled and can never be Suspended.
func TestLockCreateBucketEnablesVersioning(t *testing.T) {
	e := lockNew(t)
	b := e.bucket()
	// ceph s3-tests test_object_lock_put_obj_lock: GetBucketVersioning on a
	// lock bucket says Enabled.
	v, err := e.c.GetBucketVersioning(ctx(), &s3.GetBucketVersioningInput{Bucket: aws.String(b)})
	if err != nil || v.Status != types.BucketVersioningStatusEnabled {
		t.Fatalf("GetBucketVersioning = %+v, %v; want Enabled", v, err)
	}
	// LocalStack test_disable_versioning_on_locked_bucket [REC]: 409
	// InvalidBucketState with this text; Enabled again is fine.
	_, err = e.c.PutBucketVersioning(ctx(), &s3.PutBucketVersioningInput{Bucket: aws.String(b),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}})
	ckWantErr(t, "suspend", err, "InvalidBucketState", http.StatusConflict,
		"An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.")
	_, err = e.c.PutBucketVersioning(ctx(), &s3.PutBucketVersioningInput{Bucket: aws.String(b),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	if err != nil {
		t.Errorf("enable again: %v", err)
	}
	// LocalStack test_get_put_object_lock_configuration "get-lock-config-start"
	// [REC]: {ObjectLockEnabled: Enabled}, no Rule.
	got, err := e.c.GetObjectLockConfiguration(ctx(), &s3.GetObjectLockConfigurationInput{Bucket: aws.String(b)})
	if err != nil {
		t.Fatal(err)
	}
	if c := got.ObjectLockConfiguration; c == nil || c.ObjectLockEnabled != types.ObjectLockEnabledEnabled || c.Rule != nil {
		t.Errorf("GetObjectLockConfiguration = %+v, want Enabled without a rule", c)
	}
	// Enabled without a Rule on a bucket that has none is a plain 200
	// (LocalStack "put-lock-config-enabled" [REC]).
	if _, err := e.c.PutObjectLockConfiguration(ctx(), &s3.PutObjectLockConfigurationInput{Bucket: aws.String(b),
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled}}); err != nil {
		t.Errorf("Enabled without a rule: %v", err)
	}
}

// TestLockConfigurationRoundTrip: the default retention comes back as put
// (Days or Years, only the one set); a configuration without a Rule
// removes it.
func TestLockConfigurationRoundTrip(t *testing.T) {
	e := lockNew(t)
	b := e.bucket()
	get := func() *types.ObjectLockConfiguration {
		t.Helper()
		out, err := e.c.GetObjectLockConfiguration(ctx(), &s3.GetObjectLockConfigurationInput{Bucket: aws.String(b)})
		if err != nil {
			t.Fatal(err)
		}
		return out.ObjectLockConfiguration
	}
	for _, tc := range []struct {
		name        string
		mode        types.ObjectLockRetentionMode
		days, years int32
	}{
		// LocalStack test_get_put_object_lock_configuration [REC]: GOVERNANCE Days 1.
		{"governance days", types.ObjectLockRetentionModeGovernance, 1, 0},
		// ceph test_object_lock_put_obj_lock: COMPLIANCE Years 1 after GOVERNANCE.
		{"compliance years", types.ObjectLockRetentionModeCompliance, 0, 1},
		// ceph test_object_lock_get_obj_lock: GET returns exactly what was PUT.
		{"governance 30 days", types.ObjectLockRetentionModeGovernance, 30, 0},
	} {
		e.setDefault(b, tc.mode, tc.days, tc.years)
		want := &types.DefaultRetention{Mode: tc.mode}
		if tc.days != 0 {
			want.Days = aws.Int32(tc.days)
		}
		if tc.years != 0 {
			want.Years = aws.Int32(tc.years)
		}
		c := get()
		if c.ObjectLockEnabled != types.ObjectLockEnabledEnabled || c.Rule == nil || !reflect.DeepEqual(c.Rule.DefaultRetention, want) {
			t.Errorf("%s: got %+v rule %+v, want %+v", tc.name, c, c.Rule, want)
		}
	}
	// LocalStack "put-lock-config-enabled" / "get-lock-config-only-enabled"
	// [REC]: Enabled without a Rule removes the default retention.
	_, err := e.c.PutObjectLockConfiguration(ctx(), &s3.PutObjectLockConfigurationInput{Bucket: aws.String(b),
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled}})
	if err != nil {
		t.Fatal(err)
	}
	if c := get(); c.ObjectLockEnabled != types.ObjectLockEnabledEnabled || c.Rule != nil {
		t.Errorf("after removing the rule: %+v rule %+v", c, c.Rule)
	}
}

// TestLockConfigurationWireFormat: the GET body is S3's document, in the
// S3 namespace, with Mode before Days (API reference shape; research §10).
func TestLockConfigurationWireFormat(t *testing.T) {
	e := lockNew(t)
	b := e.bucket()
	e.setDefault(b, types.ObjectLockRetentionModeGovernance, 1, 0)
	r := e.do(http.MethodGet, "/"+b+"?object-lock", nil, nil, false)
	r.wantStatus(t, "get", http.StatusOK)
	want := `<ObjectLockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>`
	if got := string(r.Body); got != `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+want && got != `<?xml version="1.0" encoding="UTF-8"?>`+want {
		t.Errorf("body %s\nwant %s", got, want)
	}
}

// TestLockConfigurationValidation: S3's answers to configurations it
// refuses, one row each, sent raw with Content-MD5 to a lock bucket.
func TestLockConfigurationValidation(t *testing.T) {
	e := lockNew(t)
	b := e.bucket()
	for _, tc := range []struct {
		name       string
		body       []byte
		code, msg  string
		argument   string
		wantStatus int
	}{
		// LocalStack test_put_object_lock_configuration_exc [REC], all MalformedXML:
		{"no ObjectLockEnabled", lockConfigXML(`<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule>`), "MalformedXML", lockMsgMalformed, "", 400},
		{"empty configuration", lockConfigXML(``), "MalformedXML", lockMsgMalformed, "", 400},
		{"empty rule", lockConfigXML(`<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule></Rule>`), "MalformedXML", lockMsgMalformed, "", 400},
		{"empty default retention", lockEnabledWith(``), "MalformedXML", lockMsgMalformed, "", 400},
		{"neither days nor years", lockEnabledWith(`<Mode>GOVERNANCE</Mode>`), "MalformedXML", lockMsgMalformed, "", 400},
		{"days and years", lockEnabledWith(`<Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years>`), "MalformedXML", lockMsgMalformed, "", 400},
		// ceph test_object_lock_put_obj_lock_invalid_mode: 'abc' and lower case are MalformedXML.
		{"unknown mode", lockEnabledWith(`<Mode>abc</Mode><Days>1</Days>`), "MalformedXML", lockMsgMalformed, "", 400},
		{"lower-case mode", lockEnabledWith(`<Mode>governance</Mode><Days>1</Days>`), "MalformedXML", lockMsgMalformed, "", 400},
		{"no mode", lockEnabledWith(`<Days>1</Days>`), "MalformedXML", lockMsgMalformed, "", 400},
		// ceph test_object_lock_put_obj_lock_invalid_status: Disabled is MalformedXML.
		{"disabled", lockConfigXML(`<ObjectLockEnabled>Disabled</ObjectLockEnabled>`), "MalformedXML", lockMsgMalformed, "", 400},
		// Research §6: non-integer text fails the schema (not recorded; S3's schema says integer).
		{"days not a number", lockEnabledWith(`<Mode>GOVERNANCE</Mode><Days>one</Days>`), "MalformedXML", lockMsgMalformed, "", 400},
		{"not XML", []byte("<ObjectLockConfiguration"), "MalformedXML", lockMsgMalformed, "", 400},
		// Raw S3 in versitygw#1738: Days 0 is InvalidArgument with ArgumentName Days.
		{"days zero", lockEnabledWith(`<Mode>GOVERNANCE</Mode><Days>0</Days>`), "InvalidArgument", "Default retention period must be a positive integer value.", "Days", 400},
		// Negative values: the same answer (research §6, not recorded); Years names itself.
		{"days negative", lockEnabledWith(`<Mode>COMPLIANCE</Mode><Days>-1</Days>`), "InvalidArgument", "Default retention period must be a positive integer value.", "Days", 400},
		{"years negative", lockEnabledWith(`<Mode>GOVERNANCE</Mode><Years>-1</Years>`), "InvalidArgument", "Default retention period must be a positive integer value.", "Years", 400},
		{"years zero", lockEnabledWith(`<Mode>GOVERNANCE</Mode><Years>0</Years>`), "InvalidArgument", "Default retention period must be a positive integer value.", "Years", 400},
		// moto test_put_object_lock_misconfiguration (aws_verified): no body.
		{"no body", nil, "MissingRequestBodyError", "Request Body is empty", "", 400},
	} {
		r := e.do(http.MethodPut, "/"+b+"?object-lock", nil, tc.body, true)
		x := r.wantErr(t, tc.name, tc.wantStatus, tc.code, tc.msg)
		if x.ArgumentName != tc.argument {
			t.Errorf("%s: ArgumentName %q, want %q", tc.name, x.ArgumentName, tc.argument)
		}
	}
	// Nothing refused changed the configuration.
	got, err := e.c.GetObjectLockConfiguration(ctx(), &s3.GetObjectLockConfigurationInput{Bucket: aws.String(b)})
	if err != nil || got.ObjectLockConfiguration.Rule != nil {
		t.Errorf("after refused puts: %+v, %v", got, err)
	}
	// Raw S3 in versitygw#1301: no Content-MD5 and no checksum.
	r := e.do(http.MethodPut, "/"+b+"?object-lock", nil, lockEnabledWith(`<Mode>GOVERNANCE</Mode><Days>1</Days>`), false)
	r.wantErr(t, "no Content-MD5", http.StatusBadRequest, "InvalidRequest", lockMsgMD5Config)
	// A checksum header instead of Content-MD5 is enough (the SDKs' 2025
	// default; research §5f).
	body := lockEnabledWith(`<Mode>GOVERNANCE</Mode><Days>2</Days>`)
	r = e.do(http.MethodPut, "/"+b+"?object-lock", http.Header{"X-Amz-Checksum-Sha256": {ckSum("SHA256", body)}}, body, false)
	r.wantStatus(t, "checksum instead of MD5", http.StatusOK)
	if len(r.Body) != 0 {
		t.Errorf("PutObjectLockConfiguration body %q, want empty (LocalStack [REC])", r.Body)
	}
}

// TestLockConfigurationOnExistingBucket: since November 2023 Object Lock can
// be turned on for a bucket whose versioning is Enabled, without a token
// (LocalStack test_put_object_lock_configuration_on_existing_bucket [REC];
// moto test_put_object_lock_misconfiguration, aws_verified).
func TestLockConfigurationOnExistingBucket(t *testing.T) {
	e := lockNew(t)
	const notVersioned = "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration"
	enable := func(b string) error {
		_, err := e.c.PutObjectLockConfiguration(ctx(), &s3.PutObjectLockConfigurationInput{Bucket: aws.String(b),
			ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
				Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeCompliance, Days: aws.Int32(1)}}}})
		return err
	}
	for _, tc := range []struct {
		name  string
		state types.BucketVersioningStatus
	}{
		// LocalStack [REC] and moto test_put_object_lock_on_non_versioned_bucket (aws_verified).
		{"unversioned", ""},
		// LocalStack "put-object-lock-existing-bucket-versioning-disabled" [REC].
		{"suspended", types.BucketVersioningStatusSuspended},
	} {
		b := e.versioned(tc.state)
		ckWantErr(t, tc.name, enable(b), "InvalidBucketState", http.StatusConflict, notVersioned)
		// Still no lock: LocalStack "get-object-lock-existing-bucket-no-config" [REC].
		_, err := e.c.GetObjectLockConfiguration(ctx(), &s3.GetObjectLockConfigurationInput{Bucket: aws.String(b)})
		ckWantErr(t, tc.name+": get", err, "ObjectLockConfigurationNotFoundError", http.StatusNotFound,
			"Object Lock configuration does not exist for this bucket")
	}

	b := e.versioned(types.BucketVersioningStatusEnabled)
	before := e.put(b, "before") // written before the lock: no retention
	if err := enable(b); err != nil {
		t.Fatalf("enable on a versioned bucket: %v", err)
	}
	got, err := e.c.GetObjectLockConfiguration(ctx(), &s3.GetObjectLockConfigurationInput{Bucket: aws.String(b)})
	if err != nil || got.ObjectLockConfiguration.ObjectLockEnabled != types.ObjectLockEnabledEnabled || got.ObjectLockConfiguration.Rule == nil {
		t.Fatalf("after enabling: %+v, %v", got, err)
	}
	// The bucket is now a lock bucket in every way: versioning stays Enabled,
	// new writes get the default retention, and lock calls work.
	_, err = e.c.PutBucketVersioning(ctx(), &s3.PutBucketVersioningInput{Bucket: aws.String(b),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}})
	ckWantErr(t, "suspend after enabling", err, "InvalidBucketState", http.StatusConflict, "")
	after := e.put(b, "after")
	if h := e.head(b, "after", after); h.ObjectLockMode != types.ObjectLockModeCompliance {
		t.Errorf("new version's mode %q, want COMPLIANCE from the default", h.ObjectLockMode)
	}
	// marmotitude test_delete_object_after_locking (run against AWS): a
	// version written before the lock has none and can be deleted.
	if err := lockDeleteVersion(e.c, b, "before", before, false); err != nil {
		t.Errorf("delete pre-lock version: %v", err)
	}
}

// TestLockConfigurationErrors: GetObjectLockConfiguration without a lock,
// and both calls on a bucket that does not exist.
func TestLockConfigurationErrors(t *testing.T) {
	e := lockNew(t)
	plain := newBucket(t, e.c)
	// LocalStack test_get_object_lock_configuration_exc "get-lock-config-no-enabled"
	// [REC]: 404 with a BucketName element.
	r := e.do(http.MethodGet, "/"+plain+"?object-lock", nil, nil, false)
	x := r.wantErr(t, "no lock", http.StatusNotFound, "ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket")
	if x.BucketName != plain {
		t.Errorf("BucketName %q, want %q", x.BucketName, plain)
	}
	// "get-lock-config-bucket-not-exists" [REC]: NoSuchBucket.
	_, err := e.c.GetObjectLockConfiguration(ctx(), &s3.GetObjectLockConfigurationInput{Bucket: aws.String("no-such-lock-bucket")})
	ckWantErr(t, "get, no bucket", err, "NoSuchBucket", http.StatusNotFound, "The specified bucket does not exist")
	_, err = e.c.PutObjectLockConfiguration(ctx(), &s3.PutObjectLockConfigurationInput{Bucket: aws.String("no-such-lock-bucket"),
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled}})
	ckWantErr(t, "put, no bucket", err, "NoSuchBucket", http.StatusNotFound, "The specified bucket does not exist")
}
