package server

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// rootCredentials is the root key pair kept in <data>/credentials when the
// operator did not configure one.
type rootCredentials struct {
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
}

const credentialsFile = "credentials"

// loadOrCreateRoot returns the stored root credentials, generating and
// storing them (mode 0600) on first start. Gateways starting together on
// one shared data directory all end up with the pair one of them stored.
// announce receives a newly generated pair, from the gateway that stored
// it only, so it is shown exactly once.
func loadOrCreateRoot(dataDir string, announce io.Writer) (rootCredentials, error) {
	path := filepath.Join(dataDir, credentialsFile)
	data, err := os.ReadFile(path)
	if err == nil {
		return parseRoot(path, data)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return rootCredentials{}, fmt.Errorf("server: reading credentials: %w", err)
	}
	c := rootCredentials{
		AccessKeyID:     randomString(20, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
		SecretAccessKey: randomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
	}
	data, _ = json.MarshalIndent(c, "", "  ")
	data = append(data, '\n')
	winner, err := createOnce(path, data, 0o600)
	if err != nil {
		return c, fmt.Errorf("server: writing credentials: %w", err)
	}
	if !bytes.Equal(winner, data) { // another gateway stored its pair first
		return parseRoot(path, winner)
	}
	if announce != nil {
		fmt.Fprintf(announce, `
================================================================
 Tessera generated root credentials (shown only this once):

   Access key ID:     %s
   Secret access key: %s

 They are stored in %s (mode 0600).
================================================================

`, c.AccessKeyID, c.SecretAccessKey, path)
	}
	return c, nil
}

// parseRoot parses the credentials file at path.
func parseRoot(path string, data []byte) (rootCredentials, error) {
	var c rootCredentials
	if err := json.Unmarshal(data, &c); err != nil || c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return c, fmt.Errorf("server: %s is corrupt; remove it to generate new root credentials", path)
	}
	return c, nil
}

// randomString draws n characters uniformly from alphabet (len ≤ 256).
func randomString(n int, alphabet string) string {
	out := make([]byte, 0, n)
	var b [1]byte
	limit := 256 - 256%len(alphabet) // reject to avoid modulo bias
	for len(out) < n {
		rand.Read(b[:])
		if int(b[0]) < limit {
			out = append(out, alphabet[int(b[0])%len(alphabet)])
		}
	}
	return string(out)
}
