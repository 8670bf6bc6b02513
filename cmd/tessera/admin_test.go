package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// clearAdminEnv keeps the developer's environment out of the flag defaults.
func clearAdminEnv(t *testing.T) {
	for _, k := range []string{"TESSERA_ENDPOINT", "TESSERA_ROOT_USER", "TESSERA_ROOT_PASSWORD", "TESSERA_DATA", "TESSERA_REGION"} {
		t.Setenv(k, "")
	}
}

// runAdminCmd runs `tessera admin --endpoint … --access-key … --secret-key … args…`.
func runAdminCmd(t *testing.T, srv *tesseratest.Server, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"admin", "--endpoint", srv.URL, "--access-key", tesseratest.AccessKey, "--secret-key", tesseratest.SecretKey}, args...)
	code = run(full, &out, &errb)
	return code, out.String(), errb.String()
}

func mustAdmin(t *testing.T, srv *tesseratest.Server, args ...string) string {
	t.Helper()
	code, out, errs := runAdminCmd(t, srv, args...)
	if code != 0 {
		t.Fatalf("tessera admin %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// field reads "Label:   value" from the command's output.
func field(t *testing.T, out, label string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(label) + `:\s+(\S+)\s*$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %q in output:\n%s", label, out)
	}
	return m[1]
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestAdminUserAddPrintsUsableKey(t *testing.T) {
	clearAdminEnv(t)
	srv := tesseratest.New(t)
	ctx := context.Background()
	out := mustAdmin(t, srv, "user", "add", "carol")
	id, canonical := field(t, out, "Account ID"), field(t, out, "Canonical ID")
	ak, sk := field(t, out, "Access key ID"), field(t, out, "Secret access key")
	if field(t, out, "Name") != "carol" {
		t.Errorf("Name in output:\n%s", out)
	}
	if len(id) != 12 || strings.Trim(id, "0123456789") != "" || len(canonical) != 64 {
		t.Errorf("account ID %q / canonical ID %q malformed", id, canonical)
	}

	carol := srv.S3As(ak, sk)
	if _, err := carol.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("carols")}); err != nil {
		t.Fatalf("CreateBucket with the printed key: %v", err)
	}
	if _, err := carol.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("carols"), Key: aws.String("k"), Body: strings.NewReader("v")}); err != nil {
		t.Fatalf("PutObject with the printed key: %v", err)
	}
	lb, err := carol.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(lb.Buckets) != 1 || aws.ToString(lb.Owner.ID) != canonical || aws.ToString(lb.Owner.DisplayName) != "carol" {
		t.Errorf("carol ListBuckets: %v %+v", err, lb)
	}
	// The root account does not see carol's bucket, nor read it.
	if rb, _ := srv.S3().ListBuckets(ctx, &s3.ListBucketsInput{}); rb != nil && len(rb.Buckets) != 0 {
		t.Errorf("root sees %d buckets, want 0", len(rb.Buckets))
	}
	if _, err := srv.S3().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("carols"), Key: aws.String("k")}); apiCode(err) != "AccessDenied" {
		t.Errorf("root GetObject in carol's bucket: %v, want AccessDenied", err)
	}

	// user list
	list := mustAdmin(t, srv, "user", "list")
	if !strings.Contains(list, "ACCOUNT ID") || !regexp.MustCompile(`(?m)^`+id+`\s+carol\s+`+canonical).MatchString(list) ||
		!regexp.MustCompile(`(?m)^`+tesseratest.RootAccountID+`\s+root\s`).MatchString(list) {
		t.Errorf("user list:\n%s", list)
	}
	if strings.Contains(list, sk) {
		t.Errorf("user list shows a secret")
	}
	// A second account with the same name is refused.
	if code, _, errs := runAdminCmd(t, srv, "user", "add", "carol"); code != 1 || !strings.Contains(errs, "409") {
		t.Errorf("user add carol again: exit %d, stderr %q; want 1 and a 409", code, errs)
	}
}

func TestAdminKeyCommands(t *testing.T) {
	clearAdminEnv(t)
	srv := tesseratest.New(t)
	ctx := context.Background()
	out := mustAdmin(t, srv, "user", "add", "dave")
	id, ak1, sk1 := field(t, out, "Account ID"), field(t, out, "Access key ID"), field(t, out, "Secret access key")

	out = mustAdmin(t, srv, "key", "create", id)
	ak2, sk2 := field(t, out, "Access key ID"), field(t, out, "Secret access key")
	if ak2 == ak1 || sk2 == sk1 {
		t.Fatalf("key create printed the first key again")
	}
	k2 := srv.S3As(ak2, sk2)
	if _, err := k2.ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
		t.Fatalf("ListBuckets with the created key: %v", err)
	}

	list := mustAdmin(t, srv, "key", "list", id)
	for _, ak := range []string{ak1, ak2} {
		if !regexp.MustCompile(`(?m)^` + ak + `\s+enabled\s`).MatchString(list) {
			t.Errorf("key list lacks %s enabled:\n%s", ak, list)
		}
	}
	if strings.Contains(list, sk1) || strings.Contains(list, sk2) {
		t.Errorf("key list shows secrets:\n%s", list)
	}

	mustAdmin(t, srv, "key", "disable", ak2)
	if !regexp.MustCompile(`(?m)^` + ak2 + `\s+disabled\s`).MatchString(mustAdmin(t, srv, "key", "list", id)) {
		t.Errorf("key list does not show %s disabled", ak2)
	}
	_, err := k2.ListBuckets(ctx, &s3.ListBucketsInput{})
	if apiCode(err) != "InvalidAccessKeyId" {
		t.Errorf("ListBuckets with the disabled key: %v, want InvalidAccessKeyId", err)
	}
	if _, err := srv.S3As(ak1, sk1).ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
		t.Errorf("the account's other key after disable: %v", err)
	}
	mustAdmin(t, srv, "key", "enable", ak2)
	if _, err := k2.ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
		t.Errorf("ListBuckets with the re-enabled key: %v", err)
	}
	mustAdmin(t, srv, "key", "delete", ak2)
	if _, err := k2.ListBuckets(ctx, &s3.ListBucketsInput{}); apiCode(err) != "InvalidAccessKeyId" {
		t.Errorf("ListBuckets with the deleted key: %v, want InvalidAccessKeyId", err)
	}
	if strings.Contains(mustAdmin(t, srv, "key", "list", id), ak2) {
		t.Errorf("key list still shows the deleted key")
	}
	if code, _, errs := runAdminCmd(t, srv, "key", "delete", ak2); code != 1 || !strings.Contains(errs, "404") {
		t.Errorf("key delete of a deleted key: exit %d, stderr %q; want 1 and a 404", code, errs)
	}

	// usage
	u := mustAdmin(t, srv, "usage", id)
	if field(t, u, "Requests") == "0" {
		t.Errorf("usage after requests:\n%s", u)
	}
	field(t, u, "Bytes in")
	field(t, u, "Bytes out")
}

func TestAdminUserRemove(t *testing.T) {
	clearAdminEnv(t)
	srv := tesseratest.New(t)
	ctx := context.Background()
	out := mustAdmin(t, srv, "user", "add", "erin")
	id, ak, sk := field(t, out, "Account ID"), field(t, out, "Access key ID"), field(t, out, "Secret access key")
	erin := srv.S3As(ak, sk)
	if _, err := erin.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("erins")}); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runAdminCmd(t, srv, "user", "remove", id)
	if code != 1 || !strings.Contains(errs, "409") {
		t.Errorf("user remove of an account owning a bucket: exit %d, stderr %q; want 1 and 409", code, errs)
	}
	if !strings.Contains(mustAdmin(t, srv, "user", "list"), "erin") {
		t.Errorf("erin gone after a refused removal")
	}
	if _, err := erin.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("erins")}); err != nil {
		t.Fatal(err)
	}
	mustAdmin(t, srv, "user", "remove", id)
	if strings.Contains(mustAdmin(t, srv, "user", "list"), "erin") {
		t.Errorf("erin still listed after removal")
	}
	if _, err := erin.ListBuckets(ctx, &s3.ListBucketsInput{}); apiCode(err) != "InvalidAccessKeyId" {
		t.Errorf("removed account's key: %v, want InvalidAccessKeyId", err)
	}
}

// TestAdminShareBucketByPolicy is the README walk-through: root creates
// bob with `tessera admin user add bob` and grants him read access by policy.
func TestAdminShareBucketByPolicy(t *testing.T) {
	clearAdminEnv(t)
	srv := tesseratest.New(t)
	ctx := context.Background()
	out := mustAdmin(t, srv, "user", "add", "bob")
	bobID := field(t, out, "Account ID")
	bob := srv.S3As(field(t, out, "Access key ID"), field(t, out, "Secret access key"))
	root := srv.S3()
	if _, err := root.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("shared")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("shared"), Key: aws.String("reports/q1.csv"), Body: strings.NewReader("a,b\n")}); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("shared"), Key: aws.String("reports/q1.csv")}); apiCode(err) != "AccessDenied" {
		t.Fatalf("bob before the policy: %v, want AccessDenied", err)
	}
	policy := `{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "BobReads",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::` + bobID + `:root"},
    "Action": ["s3:GetObject", "s3:ListBucket"],
    "Resource": ["arn:aws:s3:::shared", "arn:aws:s3:::shared/*"]
  }]
}`
	if _, err := root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("shared"), Policy: aws.String(policy)}); err != nil {
		t.Fatalf("PutBucketPolicy: %v", err)
	}
	got, err := bob.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("shared"), Key: aws.String("reports/q1.csv")})
	if err != nil {
		t.Fatalf("bob GetObject under the policy: %v", err)
	}
	b, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(b) != "a,b\n" {
		t.Errorf("bob read %q", b)
	}
	if l, err := bob.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("shared")}); err != nil || len(l.Contents) != 1 {
		t.Errorf("bob ListObjectsV2 under the policy: %v", err)
	}
	if _, err := bob.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("shared"), Key: aws.String("x"), Body: strings.NewReader("x")}); apiCode(err) != "AccessDenied" {
		t.Errorf("bob PutObject under a read-only policy: %v, want AccessDenied", err)
	}
}

func TestAdminCredentialsAndErrors(t *testing.T) {
	clearAdminEnv(t)
	srv := tesseratest.New(t)

	// Wrong root secret → 403, exit 1.
	var out, errb bytes.Buffer
	code := run([]string{"admin", "--endpoint", srv.URL, "--access-key", tesseratest.AccessKey, "--secret-key", "wrong", "user", "list"}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "403") {
		t.Errorf("wrong secret: exit %d, stderr %q; want 1 and 403", code, errb.String())
	}
	// Another account's key → 403.
	o := mustAdmin(t, srv, "user", "add", "gina")
	out.Reset()
	errb.Reset()
	code = run([]string{"admin", "--endpoint", srv.URL, "--access-key", field(t, o, "Access key ID"), "--secret-key", field(t, o, "Secret access key"), "user", "add", "mallory"}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "403") {
		t.Errorf("non-root key: exit %d, stderr %q; want 1 and 403", code, errb.String())
	}
	if strings.Contains(mustAdmin(t, srv, "user", "list"), "mallory") {
		t.Errorf("a non-root key created an account")
	}

	// Usage errors → exit 2.
	for _, args := range [][]string{{"user", "add"}, {"user"}, {"key", "disable"}, {"frobnicate"}, {}} {
		if code, _, _ := runAdminCmd(t, srv, args...); code != 2 {
			t.Errorf("tessera admin %v: exit %d, want 2", args, code)
		}
	}

	// Credentials from the environment.
	t.Setenv("TESSERA_ENDPOINT", srv.URL)
	t.Setenv("TESSERA_ROOT_USER", tesseratest.AccessKey)
	t.Setenv("TESSERA_ROOT_PASSWORD", tesseratest.SecretKey)
	out.Reset()
	errb.Reset()
	if code := run([]string{"admin", "user", "list"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "gina") {
		t.Errorf("credentials from the environment: exit %d\n%s%s", code, out.String(), errb.String())
	}

	// Credentials from <data>/credentials.
	t.Setenv("TESSERA_ROOT_USER", "")
	t.Setenv("TESSERA_ROOT_PASSWORD", "")
	dir := t.TempDir()
	creds := `{"access_key_id":"` + tesseratest.AccessKey + `","secret_access_key":"` + tesseratest.SecretKey + `"}`
	if err := os.WriteFile(filepath.Join(dir, "credentials"), []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"admin", "--data", dir, "user", "list"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "gina") {
		t.Errorf("credentials from --data: exit %d\n%s%s", code, out.String(), errb.String())
	}
	// No credentials anywhere → exit 2 with a hint.
	out.Reset()
	errb.Reset()
	if code := run([]string{"admin", "--data", t.TempDir(), "user", "list"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "--access-key") {
		t.Errorf("no credentials: exit %d, stderr %q", code, errb.String())
	}
}

// TestAdminHelpHidesSecret: `tessera admin --help` lists the flags with
// their defaults; the root secret in the environment must not be one.
func TestAdminHelpHidesSecret(t *testing.T) {
	t.Setenv("TESSERA_ROOT_PASSWORD", "do-not-print-this-secret")
	var out bytes.Buffer
	if code := run([]string{"admin", "--help"}, &out, &out); code != 0 {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	if strings.Contains(out.String(), "do-not-print-this-secret") {
		t.Fatalf("--help printed the secret:\n%s", out.String())
	}
}
