package engine

import "testing"

// TestUploadIDNeverLooksLikeAnOption: an upload ID starting with '-' is read
// by the aws cli as an option (--upload-id -x…); 64 first characters, two
// of them unsafe, so 4,000 draws would almost surely meet one.
func TestUploadIDNeverLooksLikeAnOption(t *testing.T) {
	seen := map[string]bool{}
	for range 4000 {
		id := newUploadID()
		if id[0] == '-' || id[0] == '_' || len(id) != 32 || seen[id] {
			t.Fatalf("upload ID %q", id)
		}
		seen[id] = true
	}
}
