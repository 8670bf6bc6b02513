package main

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestParseBytes(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"", 0, false},
		{"1024", 1024, false},
		{"16MiB", 16 << 20, false},
		{"16M", 16 << 20, false},
		{"16mb", 16 << 20, false},
		{"5 MiB", 5 << 20, false},
		{"1G", 1 << 30, false},
		{"8KiB", 8 << 10, false},
		{"1.5MiB", 0, true},
		{"MiB", 0, true},
		{"16TB", 0, true},
		{"-5M", 0, true},
	}
	for _, tt := range tests {
		got, err := parseBytes(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// Flags may stand before, between or after the arguments, as with the
// aws cli; "--" ends the flags.
func TestClientFlagsAnywhere(t *testing.T) {
	tests := []struct {
		args     []string
		wantPos  []string
		noResume bool
		parallel int
	}{
		{[]string{"a", "s3://b/"}, []string{"a", "s3://b/"}, false, 8},
		{[]string{"--no-resume", "a", "s3://b/"}, []string{"a", "s3://b/"}, true, 8},
		{[]string{"a", "s3://b/", "--no-resume", "--parallel", "3"}, []string{"a", "s3://b/"}, true, 3},
		{[]string{"a", "--parallel=2", "s3://b/"}, []string{"a", "s3://b/"}, false, 2},
		{[]string{"--", "--odd-name", "s3://b/"}, []string{"--odd-name", "s3://b/"}, false, 8},
	}
	for _, tt := range tests {
		f := newClientFlags("cp", &bytes.Buffer{})
		pos, err := f.parse(tt.args)
		if err != nil || !reflect.DeepEqual(pos, tt.wantPos) || f.noResume != tt.noResume || f.parallel != tt.parallel {
			t.Errorf("parse(%q) = %q, %v, no-resume %v, parallel %d; want %q, no-resume %v, parallel %d",
				tt.args, pos, err, f.noResume, f.parallel, tt.wantPos, tt.noResume, tt.parallel)
		}
	}
}

func TestClientHelpNamesExitCodes(t *testing.T) {
	var out bytes.Buffer
	if code := run([]string{"cp", "--help"}, &out, &out); code != 0 {
		t.Fatalf("cp --help: exit %d", code)
	}
	for _, want := range []string{"Exit status:", "3    the source changed", "--no-resume", "ListParts"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("cp --help lacks %q", want)
		}
	}
}
