package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// TestAdminKMSKeyCommands: `tessera admin kms key …` against a real server.
func TestAdminKMSKeyCommands(t *testing.T) {
	clearAdminEnv(t)
	srv := tesseratest.New(t)
	dave := field(t, mustAdmin(t, srv, "user", "add", "dave"), "Account ID")

	// create: root's by default, or --account's.
	out := mustAdmin(t, srv, "kms", "key", "create")
	rootKey, rootARN := field(t, out, "Key ID"), field(t, out, "ARN")
	if field(t, out, "Account ID") != tesseratest.RootAccountID || rootARN != "arn:aws:kms:"+tesseratest.Region+":"+tesseratest.RootAccountID+":key/"+rootKey {
		t.Errorf("kms key create:\n%s", out)
	}
	out = mustAdmin(t, srv, "kms", "key", "create", "--account", dave, "--description", "dave's reports")
	daveKey, daveARN := field(t, out, "Key ID"), field(t, out, "ARN")
	if field(t, out, "Account ID") != dave || !strings.HasSuffix(daveARN, ":"+dave+":key/"+daveKey) {
		t.Errorf("kms key create --account:\n%s", out)
	}

	// list: all, or one account's.
	list := mustAdmin(t, srv, "kms", "key", "list")
	for _, re := range []string{
		`(?m)^KEY ID\s+ACCOUNT ID\s+STATUS\s+VERSION\s+RESEAL\s+MANAGER\s+ALIAS\s+CREATED\s+DESCRIPTION$`,
		`(?m)^` + rootKey + `\s+` + tesseratest.RootAccountID + `\s+enabled\s+0\s+-\s+CUSTOMER\s+-\s+\S+Z\s*$`,
		`(?m)^` + daveKey + `\s+` + dave + `\s+enabled\s+0\s+-\s+CUSTOMER\s+-\s+\S+Z\s+dave's reports$`,
	} {
		if !regexp.MustCompile(re).MatchString(list) {
			t.Errorf("kms key list does not match %s:\n%s", re, list)
		}
	}
	if l := mustAdmin(t, srv, "kms", "key", "list", "--account", dave); strings.Contains(l, rootKey) || !strings.Contains(l, daveKey) {
		t.Errorf("kms key list --account %s:\n%s", dave, l)
	}

	// get, disable, enable.
	get := mustAdmin(t, srv, "kms", "key", "get", daveKey)
	if field(t, get, "ARN") != daveARN || field(t, get, "Status") != "enabled" || field(t, get, "Manager") != "CUSTOMER" || field(t, get, "Alias") != "-" ||
		!regexp.MustCompile(`(?m)^Key policy:\s+none `).MatchString(get) || !regexp.MustCompile(`(?m)^Description:\s+dave's reports$`).MatchString(get) {
		t.Errorf("kms key get:\n%s", get)
	}
	mustAdmin(t, srv, "kms", "key", "disable", daveKey)
	if field(t, mustAdmin(t, srv, "kms", "key", "get", daveKey), "Status") != "disabled" {
		t.Errorf("kms key get after disable does not say disabled")
	}
	if !regexp.MustCompile(`(?m)^` + daveKey + `\s+` + dave + `\s+disabled\s`).MatchString(mustAdmin(t, srv, "kms", "key", "list")) {
		t.Errorf("kms key list after disable does not say disabled")
	}
	mustAdmin(t, srv, "kms", "key", "enable", daveKey)
	if field(t, mustAdmin(t, srv, "kms", "key", "get", daveKey), "Status") != "enabled" {
		t.Errorf("kms key get after enable does not say enabled")
	}

	// rotate: a new version, shown by get and list.
	if field(t, get, "Key version") != "0" || field(t, get, "Rotated") != "never" {
		t.Errorf("kms key get before rotation:\n%s", get)
	}
	rot := mustAdmin(t, srv, "kms", "key", "rotate", daveKey)
	if field(t, rot, "Key ID") != daveKey || field(t, rot, "Key version") != "1" || !regexp.MustCompile(`(?m)^Re-sealed:\s+0 data keys$`).MatchString(rot) {
		t.Errorf("kms key rotate:\n%s", rot)
	}
	get = mustAdmin(t, srv, "kms", "key", "get", daveKey)
	if field(t, get, "Key version") != "1" || !regexp.MustCompile(`(?m)^Rotated:\s+\S+Z$`).MatchString(get) ||
		!regexp.MustCompile(`(?m)^Re-seal:\s+done \(0 data keys re-sealed under version 1\)$`).MatchString(get) {
		t.Errorf("kms key get after rotation:\n%s", get)
	}
	if !regexp.MustCompile(`(?m)^` + daveKey + `\s+` + dave + `\s+enabled\s+1\s+done\s+CUSTOMER\s`).MatchString(mustAdmin(t, srv, "kms", "key", "list")) {
		t.Errorf("kms key list after rotation does not show version 1, done")
	}

	// policy put / get.
	if code, out, errs := runAdminCmd(t, srv, "kms", "key", "policy", "get", daveKey); code != 1 || out != "" || !strings.Contains(errs, "no key policy") {
		t.Errorf("policy get without a policy: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"RootDecrypts","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + tesseratest.RootAccountID + `:root"},"Action":"kms:Decrypt","Resource":"*"}]}`
	file := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	mustAdmin(t, srv, "kms", "key", "policy", "put", daveKey, file)
	got := mustAdmin(t, srv, "kms", "key", "policy", "get", daveKey)
	if strings.Join(strings.Fields(got), "") != strings.Join(strings.Fields(doc), "") {
		t.Errorf("policy get = %s, want %s", got, doc)
	}
	if !regexp.MustCompile(`(?m)^Key policy:\s+yes `).MatchString(mustAdmin(t, srv, "kms", "key", "get", daveKey)) {
		t.Errorf("kms key get does not show the policy")
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`), 0o600)

	// Errors: exit 1 with the server's status, or exit 2 for usage.
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"kms", "key", "policy", "put", daveKey, bad}, 1, "400"},
		{[]string{"kms", "key", "policy", "put", daveKey, filepath.Join(t.TempDir(), "missing.json")}, 1, "no such file"},
		{[]string{"kms", "key", "get", "0b6c4e0e-2f0b-4c5d-9d6a-3c1e2f4a5b6c"}, 1, "404"},
		{[]string{"kms", "key", "disable", "0b6c4e0e-2f0b-4c5d-9d6a-3c1e2f4a5b6c"}, 1, "404"},
		{[]string{"kms", "key", "rotate", "0b6c4e0e-2f0b-4c5d-9d6a-3c1e2f4a5b6c"}, 1, "404"},
		{[]string{"kms", "key", "rotate"}, 2, "usage"},
		{[]string{"kms", "key", "rotate", daveKey, "extra"}, 2, "usage"},
		{[]string{"kms", "key", "create", "--account", "123456789012"}, 1, "404"},
		{[]string{"kms", "key", "list", "--account", "123456789012"}, 1, "404"},
		{[]string{"kms", "key"}, 2, "usage"},
		{[]string{"kms", "key", "get"}, 2, "usage"},
		{[]string{"kms", "key", "get", "a", "b"}, 2, "usage"},
		{[]string{"kms", "key", "disable"}, 2, "usage"},
		{[]string{"kms", "key", "policy"}, 2, "usage"},
		{[]string{"kms", "key", "policy", "put", daveKey}, 2, "usage"},
		{[]string{"kms", "key", "create", "extra"}, 2, "usage"},
		{[]string{"kms", "key", "get", "--description", "x", daveKey}, 2, "usage"},
		{[]string{"kms", "key", "create", "--bogus"}, 2, "usage"},
		{[]string{"kms", "key", "frobnicate"}, 2, "usage"},
		{[]string{"kms", "thing", "list"}, 2, "usage"},
	} {
		code, _, errs := runAdminCmd(t, srv, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("tessera admin %v: exit %d, stderr %q; want %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
	// A refused policy left the stored one alone.
	if got := mustAdmin(t, srv, "kms", "key", "policy", "get", daveKey); !strings.Contains(got, "RootDecrypts") {
		t.Errorf("policy after a refused put:\n%s", got)
	}
}

// TestAdminKMSHelp: the usage text lists the kms commands; --help on a kms
// command prints it and exits 0.
func TestAdminKMSHelp(t *testing.T) {
	clearAdminEnv(t)
	srv := tesseratest.New(t)
	code, _, errs := runAdminCmd(t, srv, "--help")
	if code != 0 {
		t.Errorf("admin --help: exit %d", code)
	}
	for _, cmd := range []string{"kms key create [--account ACCOUNT_ID] [--description TEXT]", "kms key list [--account ACCOUNT_ID]", "kms key get KEY_ID",
		"kms key disable KEY_ID", "kms key enable KEY_ID", "kms key rotate KEY_ID", "kms key policy put KEY_ID FILE", "kms key policy get KEY_ID", "root key"} {
		if !strings.Contains(errs, cmd) {
			t.Errorf("admin --help lacks %q:\n%s", cmd, errs)
		}
	}
	code, _, errs = runAdminCmd(t, srv, "kms", "key", "create", "--help")
	if code != 0 || !strings.Contains(errs, "kms key create") {
		t.Errorf("kms key create --help: exit %d\n%s", code, errs)
	}
}
