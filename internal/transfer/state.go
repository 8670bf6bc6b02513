package transfer

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// stateVersion is written into every state file; a file of another
// version is ignored (as if there were none), never misread.
const stateVersion = 1

// State is what an interrupted transfer leaves behind so that the same
// command, run again, can find its work. It is a hint, never the truth:
// every part it leads to is verified against the source before it counts.
type State struct {
	Version int    `json:"version"`
	Kind    string `json:"kind"` // "upload", "download" or "copy"
	Source  string `json:"source"`
	Dest    string `json:"dest"`
	// The source as it was when the transfer began: a local file's size
	// and modification time, or an object's size and ETag.
	Size    int64  `json:"size"`
	MtimeNs int64  `json:"mtimeNs,omitempty"`
	ETag    string `json:"etag,omitempty"`
	// Uploads and copies: the multipart upload that holds the parts.
	UploadID string `json:"uploadId,omitempty"`
	Endpoint string `json:"endpoint,omitempty"`
	PartSize int64  `json:"partSize"`
	// Downloads: the CRC64NVME (base64) of each chunk known to be on disk.
	Done    map[int]string `json:"done,omitempty"`
	Started time.Time      `json:"started"`
}

// StateDir is where state files live: $XDG_STATE_HOME/tessera, else
// ~/.local/state/tessera (the XDG base directory default).
func StateDir() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "tessera"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("transfer: no state directory: set XDG_STATE_HOME or HOME: %w", err)
	}
	return filepath.Join(home, ".local", "state", "tessera"), nil
}

// States is a directory of state files, one per (kind, source, dest).
type States struct{ Dir string }

// path names the state file of a transfer. The source's size and time are
// deliberately not in the name: a file changed since the interrupted run
// must find the old state, so that the change is reported rather than
// silently starting a second upload beside the first.
func (s States) path(kind, source, dest string) string {
	h := sha256.Sum256([]byte(kind + "\x00" + source + "\x00" + dest))
	return filepath.Join(s.Dir, kind+"-"+hex.EncodeToString(h[:12])+".json")
}

// Load returns the state of the transfer, or nil when there is none (or
// it is unreadable, of another version, or for another transfer: a state
// file is only ever a hint).
func (s States) Load(kind, source, dest string) (*State, error) {
	b, err := os.ReadFile(s.path(kind, source, dest))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("transfer: read state: %w", err)
	}
	var st State
	if json.Unmarshal(b, &st) != nil || st.Version != stateVersion || st.Kind != kind || st.Source != source || st.Dest != dest {
		return nil, nil
	}
	return &st, nil
}

// Save writes st durably and atomically (temp file, fsync, rename), so a
// crash leaves the old state or the new one, never half of one.
func (s States) Save(st *State) error {
	st.Version = stateVersion
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("transfer: state directory: %w", err)
	}
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("transfer: encode state: %w", err)
	}
	p := s.path(st.Kind, st.Source, st.Dest)
	f, err := os.CreateTemp(s.Dir, ".state-*")
	if err != nil {
		return fmt.Errorf("transfer: write state: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("transfer: write state: %w", err)
	}
	return nil
}

// Remove deletes the state of a finished or abandoned transfer.
func (s States) Remove(kind, source, dest string) error {
	if err := os.Remove(s.path(kind, source, dest)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("transfer: remove state: %w", err)
	}
	return nil
}
