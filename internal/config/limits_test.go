package config

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"
)

func TestLimits(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    Limits
		wantErr string
	}{
		{name: "defaults", want: DefaultLimits()},
		{name: "flags", args: []string{"--max-requests", "8", "--max-upload-bytes", "64MiB", "--max-header-bytes", "4096",
			"--read-header-timeout", "5s", "--read-idle-timeout", "2s", "--write-idle-timeout", "3s"},
			want: Limits{MaxRequests: 8, MaxUploadBytes: 64 << 20, MaxHeaderBytes: 4096, ReadHeaderTimeout: 5 * time.Second, ReadIdleTimeout: 2 * time.Second, WriteIdleTimeout: 3 * time.Second}},
		{name: "env", env: map[string]string{"TESSERA_MAX_REQUESTS": "16", "TESSERA_MAX_UPLOAD_BYTES": "1000", "TESSERA_READ_IDLE_TIMEOUT": "90s"},
			want: func() Limits {
				l := DefaultLimits()
				l.MaxRequests, l.MaxUploadBytes, l.ReadIdleTimeout = 16, 1000, 90*time.Second
				return l
			}()},
		{name: "flag beats env", args: []string{"--max-requests", "2"}, env: map[string]string{"TESSERA_MAX_REQUESTS": "16"},
			want: func() Limits { l := DefaultLimits(); l.MaxRequests = 2; return l }()},
		{name: "bad size", args: []string{"--max-upload-bytes", "lots"}, wantErr: "max-upload-bytes"},
		{name: "unknown unit", args: []string{"--max-upload-bytes", "1GB"}, wantErr: "max-upload-bytes"},
		{name: "zero requests", args: []string{"--max-requests", "0"}, wantErr: "positive"},
		{name: "negative timeout", args: []string{"--read-idle-timeout", "-1s"}, wantErr: "positive"},
		{name: "bad env", env: map[string]string{"TESSERA_MAX_REQUESTS": "many"}, wantErr: "TESSERA_MAX_REQUESTS"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseServer(tc.args, func(k string) string { return tc.env[k] }, &bytes.Buffer{})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Limits != tc.want {
				t.Errorf("limits = %+v, want %+v", c.Limits, tc.want)
			}
		})
	}
}

func TestLimitsWithDefaults(t *testing.T) {
	if got := (Limits{}).WithDefaults(); got != DefaultLimits() {
		t.Errorf("zero limits = %+v, want the defaults", got)
	}
	if got := (Limits{MaxRequests: 3}).WithDefaults(); got.MaxRequests != 3 || got.MaxUploadBytes != DefaultLimits().MaxUploadBytes {
		t.Errorf("set field lost or zero field kept: %+v", got)
	}
}

func TestHelpListsLimits(t *testing.T) {
	var out bytes.Buffer
	if _, err := ParseServer([]string{"--help"}, func(string) string { return "" }, &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v", err)
	}
	for _, o := range limitOptions {
		if !strings.Contains(out.String(), "--"+o.flag) || !strings.Contains(out.String(), o.env) {
			t.Errorf("help lacks %s / %s", o.flag, o.env)
		}
	}
	if !strings.Contains(out.String(), "(default 1GiB)") {
		t.Errorf("help lacks the upload default:\n%s", out.String())
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "1": 1, "8KiB": 8 << 10, "64 MiB": 64 << 20, "1GiB": 1 << 30, "2TiB": 2 << 40} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "1.5GiB", "GiB", "99999999999TiB", "1 GB"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) succeeded", in)
		}
	}
}
