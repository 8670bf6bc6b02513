package transfer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestStateRoundTrip(t *testing.T) {
	s := States{Dir: filepath.Join(t.TempDir(), "state")}
	st := &State{Kind: "upload", Source: "/data/big.iso", Dest: "s3://b/k", Size: 42, MtimeNs: 7,
		UploadID: "u1", PartSize: 5 << 20, Started: time.Unix(1, 0).UTC()}
	if err := s.Save(st); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load("upload", "/data/big.iso", "s3://b/k")
	if err != nil || !reflect.DeepEqual(got, st) {
		t.Fatalf("Load = %+v, %v; want %+v", got, err, st)
	}
	if fi, err := os.Stat(s.Dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("state dir: %v %v, want mode 0700 (upload IDs are not for other users)", fi, err)
	}
	if err := s.Remove("upload", "/data/big.iso", "s3://b/k"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Load("upload", "/data/big.iso", "s3://b/k"); got != nil || err != nil {
		t.Errorf("after Remove: Load = %+v, %v; want nil, nil", got, err)
	}
	if err := s.Remove("upload", "/data/big.iso", "s3://b/k"); err != nil {
		t.Errorf("second Remove: %v, want nil", err)
	}
}

func TestStateLoadIgnores(t *testing.T) {
	s := States{Dir: t.TempDir()}
	base := State{Kind: "upload", Source: "/a", Dest: "s3://b/k", UploadID: "u"}
	tests := []struct {
		name    string
		content string // written at the transfer's path; "" = use base with mutate
		mutate  func(*State)
	}{
		{name: "no file"},
		{name: "garbage", content: "{not json"},
		{name: "other version", mutate: func(st *State) { st.Version = 99 }},
		{name: "other kind", mutate: func(st *State) { st.Kind = "download" }},
		{name: "other source (hash collision stand-in)", mutate: func(st *State) { st.Source = "/b" }},
	}
	for _, tt := range tests {
		p := s.path(base.Kind, base.Source, base.Dest)
		os.Remove(p)
		switch {
		case tt.content != "":
			os.WriteFile(p, []byte(tt.content), 0o600)
		case tt.mutate != nil:
			st := base
			if err := s.Save(&st); err != nil {
				t.Fatal(err)
			}
			tt.mutate(&st)
			b := mustJSON(t, st)
			os.WriteFile(p, b, 0o600)
		}
		got, err := s.Load(base.Kind, base.Source, base.Dest)
		if got != nil || err != nil {
			t.Errorf("%s: Load = %+v, %v; want nil, nil", tt.name, got, err)
		}
	}
}

func TestStateDir(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "/x/state")
	if d, _ := StateDir(); d != "/x/state/tessera" {
		t.Errorf("with XDG_STATE_HOME: %q", d)
	}
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "/home/u")
	if d, _ := StateDir(); d != "/home/u/.local/state/tessera" {
		t.Errorf("without XDG_STATE_HOME: %q", d)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
