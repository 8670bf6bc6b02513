package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/tessera-s3/tessera/internal/config"
	"github.com/tessera-s3/tessera/internal/engine"
	"github.com/tessera-s3/tessera/internal/sse"
)

// rootKeyFile is the generated root key of server-side encryption, kept
// beside the data unless --kms-key-file names another place.
const rootKeyFile = "kms-root-key"

// loadRootKey returns the root key of server-side encryption: TESSERA_KMS_KEY,
// else --kms-key-file (which must exist), else <data>/kms-root-key,
// generated (0600) on first start, by one gateway when several start at
// once (see createOnce). A key beside the data protects against nothing
// that takes the whole directory; the log says so once.
func loadRootKey(cfg config.Config, log *slog.Logger) ([]byte, error) {
	if cfg.KMSKey != "" {
		k, err := sse.ParseRootKey(cfg.KMSKey)
		if err != nil {
			return nil, fmt.Errorf("server: TESSERA_KMS_KEY: %w", err)
		}
		return k, nil
	}
	if cfg.KMSKeyFile != "" {
		k, err := sse.LoadRootKey(cfg.KMSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("server: --kms-key-file: %w", err)
		}
		return k, nil
	}
	path := filepath.Join(cfg.DataDir, rootKeyFile)
	k, err := sse.LoadRootKey(path)
	created := false
	if errors.Is(err, fs.ErrNotExist) {
		k, created, err = createRootKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("server: root key: %w", err)
	}
	if created {
		log.Warn("generated the root key of server-side encryption beside the data; keep a copy elsewhere and pass it with --kms-key-file or TESSERA_KMS_KEY, or a stolen disk carries its own key", "path", path)
	}
	return k, nil
}

// createRootKey generates a root key and stores it at path (0600, base64,
// one line), unless a gateway starting at the same moment stored one
// first: then that key is returned, with created false, so that every
// gateway seals under the same root.
func createRootKey(path string) (key []byte, created bool, err error) {
	key, err = sse.NewDataKey()
	if err != nil {
		return nil, false, err
	}
	data := []byte(base64.StdEncoding.EncodeToString(key) + "\n")
	winner, err := createOnce(path, data, 0o600)
	if err != nil {
		return nil, false, err
	}
	if bytes.Equal(winner, data) {
		return key, true, nil
	}
	if key, err = sse.ParseRootKey(string(winner)); err != nil {
		return nil, false, fmt.Errorf("%w: %s", err, path)
	}
	return key, false, nil
}

// rotateRoot finishes a root key rotation when --kms-previous-key-file is
// given: every SSE-S3 and SSE-KMS data key still sealed under the previous
// root is re-sealed under the current one, before the server serves, so
// no request ever needs the previous key and no write can seal under it
// meanwhile. A walk cut short is finished by the next start with the same
// flags; one that completes leaves no record under the previous root, so
// the next start needs only the current key.
func rotateRoot(cfg config.Config, eng *engine.Engine, rootKey []byte, log *slog.Logger) error {
	if cfg.KMSPreviousKeyFile == "" {
		return nil
	}
	prev, err := sse.LoadRootKey(cfg.KMSPreviousKeyFile)
	if err != nil {
		return fmt.Errorf("server: --kms-previous-key-file: %w", err)
	}
	if bytes.Equal(prev, rootKey) {
		return fmt.Errorf("server: --kms-previous-key-file holds the current root key; pass the new key with --kms-key-file (or TESSERA_KMS_KEY)")
	}
	start := time.Now()
	n, err := eng.RotateRoot(context.Background(), prev)
	if err != nil {
		return fmt.Errorf("server: root key rotation stopped after re-sealing %d data keys (start again with the same keys to finish): %w", n, err)
	}
	log.Warn("root key rotation complete: every SSE-S3 and SSE-KMS data key is sealed under the current root key; the previous key is no longer needed (drop --kms-previous-key-file)",
		"resealed", n, "took", time.Since(start).Round(time.Millisecond))
	return nil
}
