package engine

import (
	"errors"

	"github.com/tessera-s3/tessera/internal/blob"
	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/s3err"
)

// Unavailable returns the S3 error for a failure that is the metadata
// store being away (meta.ErrUnavailable: its database down or restarting):
// 503 ServiceUnavailable, which every AWS SDK retries with backoff, where
// any other failure would be 500 InternalError. AWS's list of error codes
// gives ServiceUnavailable as 503 and "Reduce your request rate"; the
// message is s3err's. A write whose commit was in flight may or may not
// have happened (see meta.ErrUnavailable): a retry finds out.
//
// A write whose temporary file a leader swept, taking this gateway for
// dead while it was cut off, gets the same answer: nothing was stored, and
// a retry succeeds now that the gateway is back.
func Unavailable(err error) (*s3err.Error, bool) {
	if errors.Is(err, meta.ErrUnavailable) || errors.Is(err, blob.ErrTmpSwept) {
		return s3err.New(s3err.ServiceUnavailable), true
	}
	return nil, false
}

// dropUnreferenced removes blob id after the metadata write that was to
// refer to it failed with err — unless the store was unreachable: then the
// write may have committed with only its answer lost, and removing the
// blob would leave a record without its bytes. Such a blob is left to
// SweepOrphans, which removes it after OrphanGrace if nothing refers to it.
func (e *Engine) dropUnreferenced(id string, err error) {
	if errors.Is(err, meta.ErrUnavailable) {
		e.log.Warn("engine: metadata write of unknown outcome; blob left for the orphan sweep", "blob", id, "err", err)
		return
	}
	if rerr := e.blobs.Remove(id); rerr != nil {
		e.log.Warn("engine: removing unreferenced blob", "blob", id, "err", rerr)
	}
}
