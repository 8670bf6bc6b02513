package blob

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// ErrNoSpace is returned by Create, and by Write, when the file system the
// store is on has less free space than the reserve (SetReserve). It
// satisfies errors.Is(err, syscall.ENOSPC), as the file system's own
// "no space left on device" does, so callers treat both alike.
var ErrNoSpace = fmt.Errorf("blob: free space below the reserve: %w", syscall.ENOSPC)

// reserveCheckBytes is how many bytes a Writer writes between two looks at
// the free space: a statfs per MiB costs nothing next to writing the MiB,
// and one MiB per concurrent upload is all the reserve can be overdrawn by.
const reserveCheckBytes = 1 << 20

// SetReserve makes Create and Write fail with ErrNoSpace while the file
// system has fewer than n bytes available (0: no reserve). The reserve is
// what keeps the metadata store, which shares the disk and which a failed
// write of its own stops (Pebble exits on a failed WAL write, as it cannot
// tell what reached the disk), writing after object bytes filled the rest:
// object bytes stop at the reserve, deletes and other metadata-only
// changes go on inside it. On a file system that cannot tell its free
// space (the in-memory ones of tests, unless they are told), only the
// file system's own ENOSPC stops a write. Call it before the store is
// used.
func (s *Store) SetReserve(n int64) { s.reserve = n }

// CheckSpace returns ErrNoSpace when the free space is below the reserve;
// a write that adds no bytes of its own (completing a multipart upload)
// asks first, so that it too stays out of the reserve.
func (s *Store) CheckSpace() error {
	if s.reserve <= 0 {
		return nil
	}
	u, err := s.fs.GetDiskUsage(s.blobs)
	if errors.Is(err, vfs.ErrUnsupported) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("blob: free space: %w", err)
	}
	if u.AvailBytes < uint64(s.reserve) {
		return ErrNoSpace
	}
	return nil
}
