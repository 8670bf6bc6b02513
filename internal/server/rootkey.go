package server

import (
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/tessera-s3/tessera/internal/config"
	"github.com/tessera-s3/tessera/internal/sse"
)

// rootKeyFile is the generated root key of server-side encryption, kept
// beside the data unless --kms-key-file names another place.
const rootKeyFile = "kms-root-key"

// loadRootKey returns the root key of server-side encryption: TESSERA_KMS_KEY,
// else --kms-key-file (which must exist), else <data>/kms-root-key,
// generated (0600) on first start. A key beside the data protects against
// nothing that takes the whole directory; the log says so once.
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
	k, created, err := sse.LoadOrCreateRootKey(path)
	if err != nil {
		return nil, fmt.Errorf("server: root key: %w", err)
	}
	if created {
		log.Warn("generated the root key of server-side encryption beside the data; keep a copy elsewhere and pass it with --kms-key-file or TESSERA_KMS_KEY, or a stolen disk carries its own key", "path", path)
	}
	return k, nil
}
