package config

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"
)

func TestParseServer(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(t *testing.T, c Config)
		wantErr string
	}{
		{name: "defaults", check: func(t *testing.T, c Config) {
			if c.Address != "127.0.0.1:9000" || c.DataDir != "./data" || c.Region != "us-east-1" || c.ShutdownTimeout != 30*time.Second {
				t.Errorf("defaults: %+v", c)
			}
		}},
		{name: "flags", args: []string{"--address", "127.0.0.1:9999", "--data", "/d", "--region", "eu-west-1", "--domain", "S3.Example.com, s3.local"}, check: func(t *testing.T, c Config) {
			if c.Address != "127.0.0.1:9999" || c.DataDir != "/d" || c.Region != "eu-west-1" || strings.Join(c.Domains, ",") != "s3.example.com,s3.local" {
				t.Errorf("flags: %+v", c)
			}
		}},
		{name: "env", env: map[string]string{"TESSERA_ROOT_USER": "admin", "TESSERA_ROOT_PASSWORD": "password123", "TESSERA_SHUTDOWN_TIMEOUT": "5s"}, check: func(t *testing.T, c Config) {
			if c.RootUser != "admin" || c.RootPassword != "password123" || c.ShutdownTimeout != 5*time.Second {
				t.Errorf("env: %+v", c)
			}
		}},
		{name: "postgres", env: map[string]string{"TESSERA_POSTGRES": "postgres://t:pw@db/tessera"}, check: func(t *testing.T, c Config) {
			if c.PostgresDSN != "postgres://t:pw@db/tessera" {
				t.Errorf("PostgresDSN %q", c.PostgresDSN)
			}
		}},
		{name: "flag beats env", args: []string{"--region", "ap-south-1"}, env: map[string]string{"TESSERA_REGION": "eu-west-1"}, check: func(t *testing.T, c Config) {
			if c.Region != "ap-south-1" {
				t.Errorf("region %q", c.Region)
			}
		}},
		{name: "reserved space default", check: func(t *testing.T, c Config) {
			if c.ReservedSpace != DefaultReservedSpace {
				t.Errorf("ReservedSpace %d, want %d", c.ReservedSpace, DefaultReservedSpace)
			}
		}},
		{name: "reserved space", args: []string{"--reserved-space", "2GiB"}, env: map[string]string{"TESSERA_RESERVED_SPACE": "1MiB"}, check: func(t *testing.T, c Config) {
			if c.ReservedSpace != 2<<30 {
				t.Errorf("ReservedSpace %d", c.ReservedSpace)
			}
		}},
		{name: "reserved space from env", env: map[string]string{"TESSERA_RESERVED_SPACE": "1MiB"}, check: func(t *testing.T, c Config) {
			if c.ReservedSpace != 1<<20 {
				t.Errorf("ReservedSpace %d", c.ReservedSpace)
			}
		}},
		{name: "bad reserved space", args: []string{"--reserved-space", "1GB"}, wantErr: "reserved-space"},
		{name: "console on by default", check: func(t *testing.T, c Config) {
			if c.DisableConsole {
				t.Error("console off by default")
			}
		}},
		{name: "console off by flag", args: []string{"--console=false"}, check: func(t *testing.T, c Config) {
			if !c.DisableConsole {
				t.Error("--console=false left the console on")
			}
		}},
		{name: "console off by env", env: map[string]string{"TESSERA_CONSOLE": "false"}, check: func(t *testing.T, c Config) {
			if !c.DisableConsole {
				t.Error("TESSERA_CONSOLE=false left the console on")
			}
		}},
		{name: "console flag beats env", args: []string{"--console"}, env: map[string]string{"TESSERA_CONSOLE": "false"}, check: func(t *testing.T, c Config) {
			if c.DisableConsole {
				t.Error("--console did not win over TESSERA_CONSOLE=false")
			}
		}},
		{name: "bad console env", env: map[string]string{"TESSERA_CONSOLE": "maybe"}, wantErr: "TESSERA_CONSOLE"},
		{name: "user without password", args: []string{"--root-user", "admin"}, wantErr: "both"},
		{name: "short password", args: []string{"--root-user", "admin", "--root-password", "short"}, wantErr: "at least 8"},
		{name: "cert without key", args: []string{"--tls-cert", "c.pem"}, wantErr: "--tls-key"},
		{name: "bad level", args: []string{"--log-level", "loud"}, wantErr: "log-level"},
		{name: "bad format", args: []string{"--log-format", "xml"}, wantErr: "log-format"},
		{name: "bad timeout", args: []string{"--shutdown-timeout", "soon"}, wantErr: "shutdown-timeout"},
		{name: "stray argument", args: []string{"data"}, wantErr: "unexpected argument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string { return tc.env[k] }
			c, err := ParseServer(tc.args, getenv, &bytes.Buffer{})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

func TestHelpListsEveryFlagAndVariable(t *testing.T) {
	var out bytes.Buffer
	_, err := ParseServer([]string{"--help"}, func(string) string { return "" }, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v", err)
	}
	for _, o := range options {
		if !strings.Contains(out.String(), "--"+o.flag) || !strings.Contains(out.String(), o.env) {
			t.Errorf("help lacks %s / %s:\n%s", o.flag, o.env, out.String())
		}
	}
}

// Secrets may arrive through the environment; --help shows their variable,
// never their value.
func TestHelpHidesSecrets(t *testing.T) {
	env := map[string]string{"TESSERA_ROOT_PASSWORD": "hunter2hunter2", "TESSERA_ROOT_USER": "admin", "TESSERA_POSTGRES": "postgres://u:s3cr3t@db/x"}
	var out bytes.Buffer
	_, err := ParseServer([]string{"--help"}, func(k string) string { return env[k] }, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v", err)
	}
	for _, secret := range []string{"hunter2", "s3cr3t"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("help shows a secret %q:\n%s", secret, out.String())
		}
	}
	if !strings.Contains(out.String(), "(default admin)") {
		t.Errorf("help should still show non-secret defaults:\n%s", out.String())
	}
}
