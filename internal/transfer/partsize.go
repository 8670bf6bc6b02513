package transfer

import "fmt"

// S3's multipart limits (the same on every S3: AWS documents them in
// "Amazon S3 multipart upload limits").
const (
	MinPartSize  int64 = 5 << 20 // every part but the last
	MaxPartSize  int64 = 5 << 30
	MaxParts           = 10000
	MaxObjectLen int64 = 5 << 40
)

// DefaultPartSize is the part size of files small enough that 10,000 parts
// of it hold them (80 GB): big enough that per-request overhead is small,
// small enough that a resumed upload loses little and --parallel parts fit
// in memory.
const DefaultPartSize int64 = 8 << 20

// PartSize chooses the part size for an object of size bytes: override when
// it is non-zero (checked against S3's limits), else DefaultPartSize grown
// in whole MiB until the object fits in MaxParts parts. It returns the
// part size and the number of parts (at least one).
func PartSize(size, override int64) (partSize int64, parts int, err error) {
	if size < 0 || size > MaxObjectLen {
		return 0, 0, fmt.Errorf("transfer: object size %d is outside S3's limit of 0..5 TiB", size)
	}
	switch {
	case override != 0:
		if override < MinPartSize || override > MaxPartSize {
			return 0, 0, fmt.Errorf("transfer: part size %d is outside S3's limits of 5 MiB..5 GiB", override)
		}
		partSize = override
	default:
		partSize = DefaultPartSize
		if min := ceilDiv(size, MaxParts); min > partSize {
			partSize = ceilDiv(min, 1<<20) << 20
		}
	}
	n := ceilDiv(size, partSize)
	if n > MaxParts {
		return 0, 0, fmt.Errorf("transfer: %d bytes in parts of %d need %d parts, more than S3's %d: use a larger --part-size", size, partSize, n, MaxParts)
	}
	if n == 0 {
		n = 1
	}
	return partSize, int(n), nil
}

// partRange is the offset and length of part i (1-based) of an object of
// size bytes cut into parts of partSize.
func partRange(i int, partSize, size int64) (off, n int64) {
	off = int64(i-1) * partSize
	return off, min(partSize, size-off)
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }
