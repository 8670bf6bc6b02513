package server

import (
	"log/slog"

	"github.com/tessera-s3/tessera/internal/blob"
	"github.com/tessera-s3/tessera/internal/config"
)

// gatewayIDFor names this process among the gateways sharing the data
// directory; the blob store keeps its writes in flight under tmp/<id>/.
//
// Placeholder: every process is "local" until the gateway registry gives
// each its own ID from a flag (the lead's part of issue 13). Until then
// two gateways on one data directory would empty each other's temp
// directory at start.
func gatewayIDFor(cfg config.Config) string {
	_ = cfg // the ID will come from cfg
	return "local"
}

// sweepTmpAlone removes every other gateway's temp directory and the old
// temp files of earlier versions. Only for embedded metadata, where
// Pebble's lock, already held, makes this process the directory's only
// user; with PostgreSQL, the cluster leader sweeps the temp directories of
// gateways it knows are gone.
func sweepTmpAlone(cfg config.Config, blobs *blob.Store, log *slog.Logger) {
	if cfg.PostgresDSN != "" {
		return
	}
	n, err := blobs.SweepTmp(func(string) bool { return false })
	if err != nil {
		log.Warn("sweeping temp files at start", "err", err)
	}
	if n > 0 {
		log.Info("removed temp files left by earlier processes", "count", n)
	}
}
