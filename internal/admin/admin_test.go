package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/tessera-s3/tessera/internal/admin"
	"github.com/tessera-s3/tessera/internal/iam"
	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/sigv4"
	"github.com/tessera-s3/tessera/internal/tesseratest"
)

var rootCred = sigv4.Credential{AccessKeyID: tesseratest.AccessKey, SecretAccessKey: tesseratest.SecretKey}

// syncBuffer collects log output written from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type env struct {
	t    *testing.T
	srv  *tesseratest.Server
	logs *syncBuffer
}

// newEnv starts a real server whose logs (debug level, text and JSON) are captured.
func newEnv(t *testing.T) *env {
	t.Helper()
	logs := &syncBuffer{}
	h := slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})
	srv := tesseratest.New(t, tesseratest.WithLogger(slog.New(h)))
	return &env{t: t, srv: srv, logs: logs}
}

func (e *env) client(cred sigv4.Credential) *admin.Client {
	return &admin.Client{Endpoint: e.srv.URL, Cred: cred, HTTP: e.srv.HTTPClient()}
}

// raw sends one admin request signed with cred (unsigned when cred is nil)
// and returns the status and body.
func raw(t testing.TB, base string, hc *http.Client, cred *sigv4.Credential, method, path string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, base+admin.Prefix+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cred != nil {
		sigv4.Sign(req, *cred, tesseratest.Region, body, time.Now())
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

func (e *env) raw(cred *sigv4.Credential, method, path string, body []byte) (int, []byte) {
	e.t.Helper()
	return raw(e.t, e.srv.URL, e.srv.HTTPClient(), cred, method, path, body)
}

func (e *env) wantStatus(cred *sigv4.Credential, method, path string, body []byte, want int) []byte {
	e.t.Helper()
	status, data := e.raw(cred, method, path, body)
	if status != want {
		e.t.Errorf("%s %s: HTTP %d, want %d (%s)", method, path, status, want, bytes.TrimSpace(data))
	}
	return data
}

func (e *env) addUser(name string) admin.CreatedAccount {
	e.t.Helper()
	var res admin.CreatedAccount
	if err := e.client(rootCred).Do(context.Background(), "POST", "accounts", map[string]string{"name": name}, &res); err != nil {
		e.t.Fatalf("create account %q: %v", name, err)
	}
	return res
}

func (e *env) s3As(k iam.Key) *s3.Client { return e.srv.S3As(k.AccessKeyID, k.SecretAccessKey) }

func s3Code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// wantKeyWorks / wantKeyRefused check an access key against the S3 API.
func (e *env) wantKeyWorks(what string, k iam.Key) {
	e.t.Helper()
	if _, err := e.s3As(k).ListBuckets(context.Background(), &s3.ListBucketsInput{}); err != nil {
		e.t.Errorf("%s: ListBuckets with key %s: %v, want success", what, k.AccessKeyID, err)
	}
}

func (e *env) wantKeyRefused(what string, k iam.Key) {
	e.t.Helper()
	_, err := e.s3As(k).ListBuckets(context.Background(), &s3.ListBucketsInput{})
	if s3Code(err) != "InvalidAccessKeyId" || !strings.Contains(err.Error(), "StatusCode: 403") {
		e.t.Errorf("%s: ListBuckets with key %s: %v, want 403 InvalidAccessKeyId", what, k.AccessKeyID, err)
	}
}

func (e *env) accounts() []admin.AccountView {
	e.t.Helper()
	var out []admin.AccountView
	if err := e.client(rootCred).Do(context.Background(), "GET", "accounts", nil, &out); err != nil {
		e.t.Fatalf("list accounts: %v", err)
	}
	return out
}

func (e *env) keys(accountID string) []iam.Key {
	e.t.Helper()
	var out []iam.Key
	if err := e.client(rootCred).Do(context.Background(), "GET", "accounts/"+accountID+"/keys", nil, &out); err != nil {
		e.t.Fatalf("list keys: %v", err)
	}
	return out
}

func isDigits(s string, n int) bool { return len(s) == n && strings.Trim(s, "0123456789") == "" }
func isHex(s string, n int) bool    { return len(s) == n && strings.Trim(s, "0123456789abcdef") == "" }

// TestUserAddListRemove: accounts through the admin API.
func TestUserAddListRemove(t *testing.T) {
	e := newEnv(t)
	before := time.Now().Add(-time.Second)
	dave := e.addUser("dave")
	erin := e.addUser("erin")
	if !isDigits(dave.Account.ID, 12) || !isHex(dave.Account.CanonicalID, 64) || dave.Account.Name != "dave" || dave.Account.Root {
		t.Errorf("created account = %+v", dave.Account)
	}
	if dave.Account.Created.Before(before) || dave.Account.Created.After(time.Now().Add(time.Second)) {
		t.Errorf("created time = %v", dave.Account.Created)
	}
	if dave.Key.AccessKeyID == "" || len(dave.Key.SecretAccessKey) < 20 || dave.Key.AccountID != dave.Account.ID || dave.Key.Disabled {
		t.Errorf("first key = %+v", dave.Key)
	}
	if dave.Account.ID == erin.Account.ID || dave.Account.CanonicalID == erin.Account.CanonicalID || dave.Key.AccessKeyID == erin.Key.AccessKeyID {
		t.Errorf("two accounts share IDs or keys: %+v %+v", dave, erin)
	}
	e.wantKeyWorks("dave's first key", dave.Key)

	list := e.accounts()
	var names []string
	for _, a := range list {
		names = append(names, a.Name)
	}
	if len(list) != 3 || list[0].ID != tesseratest.RootAccountID || !list[0].Root || list[0].Name != "root" {
		t.Fatalf("accounts = %+v, want root first, then dave and erin", list)
	}
	if strings.Join(names, ",") != "root,dave,erin" {
		t.Errorf("account names = %v", names)
	}
	for _, a := range list[1:] {
		if a.Root {
			t.Errorf("%s listed as root", a.Name)
		}
	}

	// Refused creations.
	e.wantStatus(&rootCred, "POST", "accounts", []byte(`{"name":"dave"}`), http.StatusConflict)
	e.wantStatus(&rootCred, "POST", "accounts", []byte(`{"name":"root"}`), http.StatusConflict)
	e.wantStatus(&rootCred, "POST", "accounts", []byte(`{"name":""}`), http.StatusBadRequest)
	e.wantStatus(&rootCred, "POST", "accounts", []byte(`{"name":"`+strings.Repeat("x", 65)+`"}`), http.StatusBadRequest)
	e.wantStatus(&rootCred, "POST", "accounts", []byte(`not json`), http.StatusBadRequest)
	if n := len(e.accounts()); n != 3 {
		t.Errorf("%d accounts after refused creations, want 3", n)
	}

	// Remove.
	e.wantStatus(&rootCred, "DELETE", "accounts/"+erin.Account.ID, nil, http.StatusNoContent)
	e.wantKeyRefused("removed account's key", erin.Key)
	e.wantStatus(&rootCred, "DELETE", "accounts/"+erin.Account.ID, nil, http.StatusNotFound)
	e.wantStatus(&rootCred, "GET", "accounts/"+erin.Account.ID+"/keys", nil, http.StatusNotFound)
	e.wantStatus(&rootCred, "POST", "accounts/"+erin.Account.ID+"/keys", nil, http.StatusNotFound)
	e.wantStatus(&rootCred, "DELETE", "accounts/"+tesseratest.RootAccountID, nil, http.StatusForbidden)
	list = e.accounts()
	if len(list) != 2 || list[1].Name != "dave" {
		t.Errorf("accounts after removing erin = %+v", list)
	}
	e.wantKeyWorks("dave's key after erin's removal", dave.Key)
	// The name is free again, for a new account with a new ID.
	erin2 := e.addUser("erin")
	if erin2.Account.ID == erin.Account.ID && erin2.Account.CanonicalID == erin.Account.CanonicalID {
		t.Errorf("recreated account reuses the old IDs")
	}
	e.wantKeyRefused("the old erin's key after a new erin was created", erin.Key)
}

// TestKeyCreateListDisableEnableDelete: the key life cycle.
func TestKeyCreateListDisableEnableDelete(t *testing.T) {
	e := newEnv(t)
	dave := e.addUser("dave")
	c := e.client(rootCred)
	ctx := context.Background()
	var k2 iam.Key
	if err := c.Do(ctx, "POST", "accounts/"+dave.Account.ID+"/keys", nil, &k2); err != nil {
		t.Fatalf("key create: %v", err)
	}
	if k2.AccessKeyID == "" || k2.AccessKeyID == dave.Key.AccessKeyID || k2.SecretAccessKey == "" || k2.SecretAccessKey == dave.Key.SecretAccessKey || k2.AccountID != dave.Account.ID {
		t.Fatalf("second key = %+v", k2)
	}
	e.wantKeyWorks("second key", k2)
	// Both keys act as the same account.
	if _, err := e.s3As(dave.Key).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("dave-bucket")}); err != nil {
		t.Fatal(err)
	}
	lb, err := e.s3As(k2).ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(lb.Buckets) != 1 || aws.ToString(lb.Owner.ID) != dave.Account.CanonicalID {
		t.Errorf("ListBuckets with the second key: %v %+v", err, lb)
	}

	keys := e.keys(dave.Account.ID)
	if len(keys) != 2 {
		t.Fatalf("key list = %+v, want 2 keys", keys)
	}
	ids := []string{keys[0].AccessKeyID, keys[1].AccessKeyID}
	want := []string{dave.Key.AccessKeyID, k2.AccessKeyID}
	sort.Strings(want)
	if ids[0] != want[0] || ids[1] != want[1] {
		t.Errorf("key list IDs = %v, want %v", ids, want)
	}
	for _, k := range keys {
		if k.SecretAccessKey != "" || k.Disabled || k.AccountID != dave.Account.ID {
			t.Errorf("listed key = %+v (secrets must not be listed)", k)
		}
	}
	_, body := e.raw(&rootCred, "GET", "accounts/"+dave.Account.ID+"/keys", nil)
	if strings.Contains(string(body), dave.Key.SecretAccessKey) || strings.Contains(string(body), k2.SecretAccessKey) || strings.Contains(string(body), "secret") {
		t.Errorf("key list body carries secrets: %s", body)
	}

	// Disable → 403 InvalidAccessKeyId; the other key keeps working.
	if err := c.Do(ctx, "POST", "keys/"+k2.AccessKeyID+"/disable", nil, nil); err != nil {
		t.Fatalf("key disable: %v", err)
	}
	e.wantKeyRefused("disabled key", k2)
	e.wantKeyWorks("the account's other key", dave.Key)
	for _, k := range e.keys(dave.Account.ID) {
		if k.Disabled != (k.AccessKeyID == k2.AccessKeyID) {
			t.Errorf("after disable: key %s Disabled=%v", k.AccessKeyID, k.Disabled)
		}
	}
	// A disabled key signs nothing, including an object read.
	_, err = e.s3As(k2).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("dave-bucket"), Key: aws.String("x")})
	if s3Code(err) != "InvalidAccessKeyId" {
		t.Errorf("GetObject with the disabled key: %v, want InvalidAccessKeyId", err)
	}
	// Enable → works again.
	if err := c.Do(ctx, "POST", "keys/"+k2.AccessKeyID+"/enable", nil, nil); err != nil {
		t.Fatalf("key enable: %v", err)
	}
	e.wantKeyWorks("re-enabled key", k2)
	// Delete → refused and gone from the list.
	if err := c.Do(ctx, "DELETE", "keys/"+k2.AccessKeyID, nil, nil); err != nil {
		t.Fatalf("key delete: %v", err)
	}
	e.wantKeyRefused("deleted key", k2)
	if keys := e.keys(dave.Account.ID); len(keys) != 1 || keys[0].AccessKeyID != dave.Key.AccessKeyID {
		t.Errorf("keys after delete = %+v", keys)
	}
	e.wantKeyWorks("remaining key", dave.Key)

	// Unknown keys and accounts.
	e.wantStatus(&rootCred, "POST", "keys/"+k2.AccessKeyID+"/disable", nil, http.StatusNotFound)
	e.wantStatus(&rootCred, "POST", "keys/NOSUCHKEY/enable", nil, http.StatusNotFound)
	e.wantStatus(&rootCred, "DELETE", "keys/"+k2.AccessKeyID, nil, http.StatusNotFound)
	e.wantStatus(&rootCred, "GET", "accounts/123456789012/keys", nil, http.StatusNotFound)
	e.wantStatus(&rootCred, "POST", "accounts/123456789012/keys", nil, http.StatusNotFound)
	// The configured root key cannot be disabled or deleted through the API.
	e.wantStatus(&rootCred, "POST", "keys/"+tesseratest.AccessKey+"/disable", nil, http.StatusForbidden)
	e.wantStatus(&rootCred, "DELETE", "keys/"+tesseratest.AccessKey, nil, http.StatusForbidden)
	if _, err := e.srv.S3().ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
		t.Errorf("root key after refused disable/delete: %v", err)
	}
	// The root account may have extra keys, and they are root's.
	var rk iam.Key
	if err := c.Do(ctx, "POST", "accounts/"+tesseratest.RootAccountID+"/keys", nil, &rk); err != nil {
		t.Fatalf("root key create: %v", err)
	}
	rc := &sigv4.Credential{AccessKeyID: rk.AccessKeyID, SecretAccessKey: rk.SecretAccessKey}
	e.wantStatus(rc, "GET", "accounts", nil, http.StatusOK)
	e.wantStatus(&rootCred, "POST", "keys/"+rk.AccessKeyID+"/disable", nil, http.StatusNoContent)
	e.wantStatus(rc, "GET", "accounts", nil, http.StatusForbidden)
}

// TestRequiresRoot: only requests signed by the root account are served.
func TestRequiresRoot(t *testing.T) {
	e := newEnv(t)
	dave := e.addUser("dave")
	daveCred := &sigv4.Credential{AccessKeyID: dave.Key.AccessKeyID, SecretAccessKey: dave.Key.SecretAccessKey}
	wrongSecret := &sigv4.Credential{AccessKeyID: tesseratest.AccessKey, SecretAccessKey: "not-the-secret"}
	unknown := &sigv4.Credential{AccessKeyID: "AKIAUNKNOWN000000000", SecretAccessKey: tesseratest.SecretKey}
	var daveKMS admin.KeyView
	if err := e.client(rootCred).Do(context.Background(), "POST", "kms/keys", map[string]string{"account_id": dave.Account.ID}, &daveKMS); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cred *sigv4.Credential
	}{{"unsigned", nil}, {"another account", daveCred}, {"wrong secret", wrongSecret}, {"unknown key", unknown}} {
		for _, r := range []struct {
			method, path string
			body         []byte
		}{
			{"GET", "accounts", nil},
			{"POST", "accounts", []byte(`{"name":"mallory"}`)},
			{"DELETE", "accounts/" + dave.Account.ID, nil},
			{"GET", "accounts/" + dave.Account.ID + "/keys", nil},
			{"POST", "accounts/" + dave.Account.ID + "/keys", nil},
			{"GET", "accounts/" + dave.Account.ID + "/usage", nil},
			{"POST", "keys/" + dave.Key.AccessKeyID + "/disable", nil},
			{"DELETE", "keys/" + dave.Key.AccessKeyID, nil},
			{"GET", "kms/keys", nil},
			{"POST", "kms/keys", []byte(`{"account_id":"` + dave.Account.ID + `"}`)},
			{"GET", "kms/keys/" + daveKMS.ID, nil},
			{"POST", "kms/keys/" + daveKMS.ID + "/disable", nil},
			{"PUT", "kms/keys/" + daveKMS.ID + "/policy", []byte(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}]}`)},
			{"GET", "kms/keys/" + daveKMS.ID + "/policy", nil},
		} {
			status, body := e.raw(tc.cred, r.method, r.path, r.body)
			if status != http.StatusForbidden {
				t.Errorf("%s: %s %s = %d, want 403 (%s)", tc.name, r.method, r.path, status, bytes.TrimSpace(body))
			}
			var eb struct {
				Error string `json:"error"`
			}
			if json.Unmarshal(body, &eb) != nil || eb.Error == "" {
				t.Errorf("%s: %s %s: body %q is not a JSON error", tc.name, r.method, r.path, body)
			}
		}
	}
	// Nothing changed.
	if n := len(e.accounts()); n != 2 {
		t.Errorf("%d accounts after refused requests, want 2", n)
	}
	if keys := e.keys(dave.Account.ID); len(keys) != 1 || keys[0].Disabled {
		t.Errorf("dave's keys after refused requests: %+v", keys)
	}
	e.wantKeyWorks("dave's key after refused requests", dave.Key)
	if keys := e.kmsKeys(""); len(keys) != 1 || !keys[0].Enabled || keys[0].HasPolicy {
		t.Errorf("KMS keys after refused requests: %+v", keys)
	}
	// The client reports the refusal.
	err := e.client(*daveCred).Do(context.Background(), "GET", "accounts", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("client signed by dave: %v, want a 403 error", err)
	}
}

// TestRemoveAccountOwningBuckets: 409 while the account owns a bucket.
func TestRemoveAccountOwningBuckets(t *testing.T) {
	e := newEnv(t)
	dave := e.addUser("dave")
	ctx := context.Background()
	s := e.s3As(dave.Key)
	if _, err := s.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("daves")}); err != nil {
		t.Fatal(err)
	}
	body := e.wantStatus(&rootCred, "DELETE", "accounts/"+dave.Account.ID, nil, http.StatusConflict)
	if !strings.Contains(string(body), "bucket") {
		t.Errorf("409 body = %s, want a message about buckets", body)
	}
	err := e.client(rootCred).Do(ctx, "DELETE", "accounts/"+dave.Account.ID, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "409") {
		t.Errorf("client user remove: %v, want a 409 error", err)
	}
	e.wantKeyWorks("dave's key after the refused removal", dave.Key)
	if len(e.accounts()) != 2 {
		t.Errorf("account list changed by a refused removal")
	}
	// A root bucket does not count against dave.
	if _, err := e.srv.S3().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("roots")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("daves")}); err != nil {
		t.Fatal(err)
	}
	e.wantStatus(&rootCred, "DELETE", "accounts/"+dave.Account.ID, nil, http.StatusNoContent)
	e.wantKeyRefused("removed account's key", dave.Key)
}

// TestUsageEndpoint: usage per account through the admin API.
func TestUsageEndpoint(t *testing.T) {
	e := newEnv(t)
	dave := e.addUser("dave")
	ctx := context.Background()
	var u iam.Usage
	if err := e.client(rootCred).Do(ctx, "GET", "accounts/"+dave.Account.ID+"/usage", nil, &u); err != nil {
		t.Fatal(err)
	}
	if u != (iam.Usage{}) {
		t.Errorf("new account usage = %+v, want zero", u)
	}
	s := e.s3As(dave.Key)
	if _, err := s.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("daves")}); err != nil {
		t.Fatal(err)
	}
	body := strings.Repeat("u", 4096)
	if _, err := s.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("daves"), Key: aws.String("k"), Body: strings.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	out, err := s.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("daves"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, out.Body)
	out.Body.Close()
	deadline := time.Now().Add(3 * time.Second)
	for {
		if err := e.client(rootCred).Do(ctx, "GET", "accounts/"+dave.Account.ID+"/usage", nil, &u); err != nil {
			t.Fatal(err)
		}
		if u.Requests >= 3 && u.BytesIn >= 4096 && u.BytesOut >= 4096 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("usage after 3 requests moving 4096 bytes each way = %+v", u)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if u.Requests != 3 {
		t.Errorf("usage requests = %d, want 3", u.Requests)
	}
	e.wantStatus(&rootCred, "GET", "accounts/123456789012/usage", nil, http.StatusNotFound)
}

// TestPersisted: accounts, keys and their state survive a restart.
func TestPersisted(t *testing.T) {
	e := newEnv(t)
	dave := e.addUser("dave")
	var k2 iam.Key
	c := e.client(rootCred)
	if err := c.Do(context.Background(), "POST", "accounts/"+dave.Account.ID+"/keys", nil, &k2); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(context.Background(), "POST", "keys/"+k2.AccessKeyID+"/disable", nil, nil); err != nil {
		t.Fatal(err)
	}
	e.srv.Restart()
	list := e.accounts()
	if len(list) != 2 || list[1].ID != dave.Account.ID || list[1].CanonicalID != dave.Account.CanonicalID || list[1].Name != "dave" {
		t.Fatalf("accounts after restart = %+v", list)
	}
	e.wantKeyWorks("dave's first key after restart", dave.Key)
	e.wantKeyRefused("dave's disabled key after restart", k2)
	keys := e.keys(dave.Account.ID)
	if len(keys) != 2 {
		t.Fatalf("keys after restart = %+v", keys)
	}
}

// TestSecretsNeverLogged: no log line (debug level included) carries a
// secret access key, though the key IDs are logged.
func TestSecretsNeverLogged(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dave := e.addUser("dave")
	var k2 iam.Key
	c := e.client(rootCred)
	if err := c.Do(ctx, "POST", "accounts/"+dave.Account.ID+"/keys", nil, &k2); err != nil {
		t.Fatal(err)
	}
	for _, k := range []iam.Key{dave.Key, k2} {
		s := e.s3As(k)
		if _, err := s.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(strings.ToLower(k.AccessKeyID))}); err != nil {
			t.Fatal(err)
		}
		s.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("nonexistent"), Key: aws.String("x")})
		// A request with a bad signature is logged as a failure.
		bad := e.srv.S3As(k.AccessKeyID, k.SecretAccessKey+"x")
		bad.ListBuckets(ctx, &s3.ListBucketsInput{})
	}
	for _, p := range []string{"keys/" + k2.AccessKeyID + "/disable", "keys/" + k2.AccessKeyID + "/enable"} {
		if err := c.Do(ctx, "POST", p, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	e.s3As(k2).ListBuckets(ctx, &s3.ListBucketsInput{})
	if err := c.Do(ctx, "DELETE", "keys/"+k2.AccessKeyID, nil, nil); err != nil {
		t.Fatal(err)
	}
	e.wantStatus(&rootCred, "POST", "accounts", []byte(`{"name":"dave"}`), http.StatusConflict)
	e.raw(&sigv4.Credential{AccessKeyID: dave.Key.AccessKeyID, SecretAccessKey: dave.Key.SecretAccessKey}, "GET", "accounts", nil)
	e.srv.Stop()

	logs := e.logs.String()
	if !strings.Contains(logs, dave.Key.AccessKeyID) || !strings.Contains(logs, k2.AccessKeyID) {
		t.Errorf("the log does not mention the created key IDs; is it captured? (%d bytes)", len(logs))
	}
	for name, secret := range map[string]string{"dave's first secret": dave.Key.SecretAccessKey, "dave's second secret": k2.SecretAccessKey, "root secret": tesseratest.SecretKey} {
		if i := strings.Index(logs, secret); i >= 0 {
			line := logs[strings.LastIndex(logs[:i], "\n")+1:]
			if j := strings.IndexByte(line, '\n'); j >= 0 {
				line = line[:j]
			}
			t.Errorf("%s appears in the log: %s", name, line)
		}
	}
}

// memDocs is an in-memory iam.Docs: one gateway's store, its change feed
// delivered to its own subscribers.
type memDocs struct {
	mu   sync.Mutex
	m    map[string][]byte
	subs []func(meta.Change)
	// deliver serialises Publish, as the feed delivers one change at a time.
	deliver sync.Mutex
}

func (d *memDocs) UpdateDoc(_ context.Context, kind, id string, fn func([]byte, bool) ([]byte, error)) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	old, found := d.m[kind+"\x00"+id]
	doc, err := fn(old, found)
	if err != nil {
		return err
	}
	if d.m == nil {
		d.m = map[string][]byte{}
	}
	if doc == nil {
		delete(d.m, kind+"\x00"+id)
	} else {
		d.m[kind+"\x00"+id] = append([]byte(nil), doc...)
	}
	return nil
}

func (d *memDocs) Publish(_ context.Context, c meta.Change, _ time.Duration) error {
	d.deliver.Lock()
	defer d.deliver.Unlock()
	d.mu.Lock()
	subs := slices.Clone(d.subs)
	d.mu.Unlock()
	for _, fn := range subs {
		fn(c)
	}
	return nil
}

func (d *memDocs) Subscribe(fn func(meta.Change)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.subs = append(d.subs, fn)
}

func (d *memDocs) PutDoc(_ context.Context, kind, id string, doc []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m == nil {
		d.m = map[string][]byte{}
	}
	d.m[kind+"\x00"+id] = append([]byte(nil), doc...)
	return nil
}

func (d *memDocs) GetDoc(_ context.Context, kind, id string) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	b, ok := d.m[kind+"\x00"+id]
	if !ok {
		return nil, meta.ErrNotFound
	}
	return b, nil
}

func (d *memDocs) ListDocs(_ context.Context, kind string) ([]meta.Doc, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []meta.Doc
	for k, v := range d.m {
		if kd, id, _ := strings.Cut(k, "\x00"); kd == kind {
			out = append(out, meta.Doc{ID: id, Data: v})
		}
	}
	return out, nil
}

func (d *memDocs) DeleteDoc(_ context.Context, kind, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.m, kind+"\x00"+id)
	return nil
}

// TestHandlerDirect: the handler on its own (no S3 server): bucket
// counting decides removal, and an internal error hides its cause.
func TestHandlerDirect(t *testing.T) {
	ctx := context.Background()
	root := iam.Account{ID: "000000000000", CanonicalID: strings.Repeat("ab", 32), Name: "root"}
	svc, err := iam.NewService(ctx, &memDocs{}, root, iam.Key{AccessKeyID: "ROOTKEY", SecretAccessKey: "rootsecret"})
	if err != nil {
		t.Fatal(err)
	}
	owned := map[string]int{}
	var countErr error
	counter := func(_ context.Context, canonicalID string) (int, error) { return owned[canonicalID], countErr }
	logs := &syncBuffer{}
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	h := admin.New(svc, nil, &sigv4.Verifier{Credentials: svc}, counter, func() time.Time { return now }, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	hs := httptest.NewServer(h)
	defer hs.Close()
	cred := &sigv4.Credential{AccessKeyID: "ROOTKEY", SecretAccessKey: "rootsecret"}
	call := func(cred *sigv4.Credential, method, path string, body []byte, want int) []byte {
		t.Helper()
		status, data := raw(t, hs.URL, hs.Client(), cred, method, path, body)
		if status != want {
			t.Errorf("%s %s: %d, want %d (%s)", method, path, status, want, bytes.TrimSpace(data))
		}
		return data
	}

	var created admin.CreatedAccount
	if err := json.Unmarshal(call(cred, "POST", "accounts", []byte(`{"name":"frank"}`), http.StatusCreated), &created); err != nil {
		t.Fatal(err)
	}
	if !created.Account.Created.Equal(now) || !created.Key.Created.Equal(now) {
		t.Errorf("created times = %v / %v, want the handler's clock %v", created.Account.Created, created.Key.Created, now)
	}
	frank := &sigv4.Credential{AccessKeyID: created.Key.AccessKeyID, SecretAccessKey: created.Key.SecretAccessKey}
	call(frank, "GET", "accounts", nil, http.StatusForbidden)
	call(nil, "GET", "accounts", nil, http.StatusForbidden)

	owned[created.Account.CanonicalID] = 2
	call(cred, "DELETE", "accounts/"+created.Account.ID, nil, http.StatusConflict)
	countErr = errors.New("disk on fire")
	if body := call(cred, "DELETE", "accounts/"+created.Account.ID, nil, http.StatusInternalServerError); strings.Contains(string(body), "fire") {
		t.Errorf("500 body leaks the cause: %s", body)
	}
	countErr = nil
	owned[created.Account.CanonicalID] = 0
	call(cred, "DELETE", "accounts/"+created.Account.ID, nil, http.StatusNoContent)
	if _, err := svc.Lookup(ctx, created.Key.AccessKeyID); !errors.Is(err, sigv4.ErrUnknownKey) {
		t.Errorf("removed account's key still resolves: %v", err)
	}
	call(cred, "GET", "nothing-here", nil, http.StatusNotFound)

	// The created secret is only in the 201 body, never in the log.
	if strings.Contains(logs.String(), created.Key.SecretAccessKey) {
		t.Logf("log:\n%s", logs.String())
		t.Errorf("a secret reached the admin log")
	}
	if strings.Contains(logs.String(), "rootsecret") {
		t.Errorf("the root secret reached the admin log")
	}
}
