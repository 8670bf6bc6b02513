package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/internal/admin"
	"github.com/tessera-s3/tessera/internal/iam"
	"github.com/tessera-s3/tessera/internal/kms"
	"github.com/tessera-s3/tessera/internal/sigv4"
	"github.com/tessera-s3/tessera/internal/tesseratest"
)

func (e *env) kmsKeys(account string) []admin.KeyView {
	e.t.Helper()
	path := "kms/keys"
	if account != "" {
		path += "?account=" + account
	}
	var out []admin.KeyView
	if err := e.client(rootCred).Do(context.Background(), "GET", path, nil, &out); err != nil {
		e.t.Fatalf("list KMS keys: %v", err)
	}
	return out
}

func (e *env) kmsKey(id string) admin.KeyView {
	e.t.Helper()
	var v admin.KeyView
	if err := e.client(rootCred).Do(context.Background(), "GET", "kms/keys/"+id, nil, &v); err != nil {
		e.t.Fatalf("get KMS key: %v", err)
	}
	return v
}

func compactJSON(t *testing.T, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatalf("not JSON: %s", b)
	}
	return buf.String()
}

// TestKMSKeyLifecycle: create, list, get, disable, enable, policy put/get
// through the admin API of a real server, and persistence across a restart.
func TestKMSKeyLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client(rootCred)
	dave := e.addUser("dave")
	before := time.Now().Add(-time.Second)

	// No account: the root account's key.
	var rk admin.KeyView
	if err := c.Do(ctx, "POST", "kms/keys", map[string]string{}, &rk); err != nil {
		t.Fatal(err)
	}
	var dk admin.KeyView
	if err := c.Do(ctx, "POST", "kms/keys", map[string]string{"account_id": dave.Account.ID, "description": "dave's reports"}, &dk); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		v             admin.KeyView
		account, desc string
	}{{rk, tesseratest.RootAccountID, ""}, {dk, dave.Account.ID, "dave's reports"}} {
		v := tc.v
		if len(v.ID) != 36 || v.ARN != "arn:aws:kms:"+tesseratest.Region+":"+tc.account+":key/"+v.ID || v.AccountID != tc.account ||
			v.Description != tc.desc || !v.Enabled || v.Manager != "CUSTOMER" || v.Alias != "" || v.HasPolicy || v.Created.Before(before) {
			t.Errorf("created key = %+v", v)
		}
	}
	if rk.ID == dk.ID {
		t.Fatalf("two keys share an ID")
	}

	// Refused creations.
	e.wantStatus(&rootCred, "POST", "kms/keys", []byte(`{"account_id":"123456789012"}`), http.StatusNotFound)
	e.wantStatus(&rootCred, "POST", "kms/keys", []byte(`{"account_id":"12"}`), http.StatusNotFound)
	e.wantStatus(&rootCred, "POST", "kms/keys", []byte(`not json`), http.StatusBadRequest)
	e.wantStatus(&rootCred, "POST", "kms/keys", []byte(`{"description":"`+strings.Repeat("d", kms.MaxDescription+1)+`"}`), http.StatusBadRequest)

	// List: all, per account, unknown account.
	if all := e.kmsKeys(""); len(all) != 2 || all[0].ID != rk.ID || all[1].ID != dk.ID {
		t.Errorf("key list = %+v, want root's key then dave's", all)
	}
	if mine := e.kmsKeys(dave.Account.ID); len(mine) != 1 || mine[0].ID != dk.ID {
		t.Errorf("dave's keys = %+v", mine)
	}
	e.wantStatus(&rootCred, "GET", "kms/keys?account=123456789012", nil, http.StatusNotFound)
	if got := e.kmsKey(dk.ID); got != dk {
		t.Errorf("get = %+v, want %+v", got, dk)
	}
	e.wantStatus(&rootCred, "GET", "kms/keys/0b6c4e0e-2f0b-4c5d-9d6a-3c1e2f4a5b6c", nil, http.StatusNotFound)

	// Disable and enable.
	e.wantStatus(&rootCred, "POST", "kms/keys/"+dk.ID+"/disable", nil, http.StatusNoContent)
	if e.kmsKey(dk.ID).Enabled {
		t.Errorf("key enabled after disable")
	}
	if !e.kmsKey(rk.ID).Enabled {
		t.Errorf("disabling dave's key disabled root's")
	}
	e.wantStatus(&rootCred, "POST", "kms/keys/"+dk.ID+"/enable", nil, http.StatusNoContent)
	if !e.kmsKey(dk.ID).Enabled {
		t.Errorf("key disabled after enable")
	}
	e.wantStatus(&rootCred, "POST", "kms/keys/0b6c4e0e-2f0b-4c5d-9d6a-3c1e2f4a5b6c/disable", nil, http.StatusNotFound)

	// Policies.
	var pv admin.KeyPolicyView
	if err := c.Do(ctx, "GET", "kms/keys/"+dk.ID+"/policy", nil, &pv); err != nil {
		t.Fatal(err)
	}
	if pv.KeyID != dk.ID || pv.ARN != dk.ARN || string(pv.Policy) != "null" {
		t.Errorf("policy of a key without one = %+v, want a null policy", pv)
	}
	doc := `{
  "Version": "2012-10-17",
  "Statement": [{"Sid": "RootDecrypts", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::` + tesseratest.RootAccountID + `:root"},
    "Action": "kms:Decrypt", "Resource": "` + dk.ARN + `"}]
}`
	if err := c.DoBody(ctx, "PUT", "kms/keys/"+dk.ID+"/policy", []byte(doc), nil); err != nil {
		t.Fatalf("policy put: %v", err)
	}
	if err := c.Do(ctx, "GET", "kms/keys/"+dk.ID+"/policy", nil, &pv); err != nil {
		t.Fatal(err)
	}
	if compactJSON(t, pv.Policy) != compactJSON(t, []byte(doc)) {
		t.Errorf("policy get = %s, want %s", pv.Policy, doc)
	}
	if !e.kmsKey(dk.ID).HasPolicy {
		t.Errorf("has_policy false after a policy put")
	}
	for name, bad := range map[string]string{
		"s3 action":       `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`,
		"bucket resource": `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"arn:aws:s3:::b"}]}`,
		"another key":     `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"` + rk.ARN + `"}]}`,
		"not json":        `{`,
		"empty":           ``,
		"too big":         `{"Id":"` + strings.Repeat("x", iam.MaxKeyPolicySize) + `"}`,
	} {
		body := e.wantStatus(&rootCred, "PUT", "kms/keys/"+dk.ID+"/policy", []byte(bad), http.StatusBadRequest)
		if !strings.Contains(string(body), "kms: invalid argument") {
			t.Errorf("%s: body %s", name, body)
		}
	}
	if err := c.Do(ctx, "GET", "kms/keys/"+dk.ID+"/policy", nil, &pv); err != nil || compactJSON(t, pv.Policy) != compactJSON(t, []byte(doc)) {
		t.Errorf("a refused policy replaced the stored one: %s %v", pv.Policy, err)
	}
	e.wantStatus(&rootCred, "PUT", "kms/keys/0b6c4e0e-2f0b-4c5d-9d6a-3c1e2f4a5b6c/policy", []byte(doc), http.StatusNotFound)
	e.wantStatus(&rootCred, "GET", "kms/keys/0b6c4e0e-2f0b-4c5d-9d6a-3c1e2f4a5b6c/policy", nil, http.StatusNotFound)

	// A restart keeps keys, state and policy.
	e.wantStatus(&rootCred, "POST", "kms/keys/"+rk.ID+"/disable", nil, http.StatusNoContent)
	e.srv.Restart()
	c = e.client(rootCred) // the restarted server listens elsewhere
	after := e.kmsKeys("")
	if len(after) != 2 || after[0].ID != rk.ID || after[0].Enabled || after[1].ID != dk.ID || !after[1].Enabled || !after[1].HasPolicy || after[1].ARN != dk.ARN {
		t.Errorf("keys after restart = %+v", after)
	}
	if err := c.Do(ctx, "GET", "kms/keys/"+dk.ID+"/policy", nil, &pv); err != nil || compactJSON(t, pv.Policy) != compactJSON(t, []byte(doc)) {
		t.Errorf("policy after restart: %s %v", pv.Policy, err)
	}
}

// TestKMSManagedKeyDirect: the handler on its own, with a key service whose
// aws/s3 key was created by use: it is listed as AWS managed and refuses
// disable and policy changes (AWS managed keys are not user-manageable).
func TestKMSManagedKeyDirect(t *testing.T) {
	ctx := context.Background()
	docs := &memDocs{}
	root := iam.Account{ID: "000000000000", CanonicalID: strings.Repeat("ab", 32), Name: "root"}
	svc, err := iam.NewService(ctx, docs, root, iam.Key{AccessKeyID: "ROOTKEY", SecretAccessKey: "rootsecret"})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := kms.New(ctx, docs, bytes.Repeat([]byte{1}, 32), "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	arn, _, err := keys.Use(ctx, root.ID, root.ID, "", kms.ActionGenerateDataKey)
	if err != nil {
		t.Fatal(err)
	}
	h := admin.New(svc, keys, &sigv4.Verifier{Credentials: svc}, func(context.Context, string) (int, error) { return 0, nil }, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	hs := httptest.NewServer(h)
	defer hs.Close()
	cred := &sigv4.Credential{AccessKeyID: "ROOTKEY", SecretAccessKey: "rootsecret"}
	call := func(method, path string, body []byte, want int) []byte {
		t.Helper()
		status, data := raw(t, hs.URL, hs.Client(), cred, method, path, body)
		if status != want {
			t.Errorf("%s %s: %d, want %d (%s)", method, path, status, want, bytes.TrimSpace(data))
		}
		return data
	}
	var list []admin.KeyView
	if err := json.Unmarshal(call("GET", "kms/keys", nil, http.StatusOK), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ARN != arn || list[0].Manager != "AWS" || list[0].Alias != "alias/aws/s3" || !list[0].Enabled ||
		!strings.HasPrefix(list[0].ARN, "arn:aws:kms:eu-west-1:000000000000:key/") {
		t.Fatalf("list = %+v, want the managed key %s", list, arn)
	}
	id := list[0].ID
	for _, r := range []struct{ method, path, body string }{
		{"POST", "kms/keys/" + id + "/disable", ""},
		{"POST", "kms/keys/" + id + "/rotate", ""}, // AWS rotates managed keys itself; RotateKeyOnDemand refuses them
		{"PUT", "kms/keys/" + id + "/policy", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}]}`},
	} {
		body := call(r.method, r.path, []byte(r.body), http.StatusForbidden)
		if !strings.Contains(string(body), "AWS managed key") {
			t.Errorf("%s %s: body %s, want the managed-key message", r.method, r.path, body)
		}
	}
	if k, _ := keys.Get(id); !k.Enabled || k.Policy != nil {
		t.Errorf("managed key changed by refused requests: %+v", k)
	}
	// A handler built without a key service serves no KMS endpoints.
	bare := httptest.NewServer(admin.New(svc, nil, &sigv4.Verifier{Credentials: svc}, nil, nil, slog.New(slog.NewTextHandler(io.Discard, nil))))
	defer bare.Close()
	if status, _ := raw(t, bare.URL, bare.Client(), cred, "GET", "kms/keys", nil); status != http.StatusNotFound {
		t.Errorf("KMS endpoint without a key service: %d, want 404", status)
	}
}
