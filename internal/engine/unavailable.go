package engine

import (
	"errors"

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
func Unavailable(err error) (*s3err.Error, bool) {
	if errors.Is(err, meta.ErrUnavailable) {
		return s3err.New(s3err.ServiceUnavailable), true
	}
	return nil, false
}
