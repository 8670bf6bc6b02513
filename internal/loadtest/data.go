package loadtest

import (
	"crypto/sha256"
	"encoding/binary"
	"io"
)

// content is an object's bytes, generated from a seed rather than held:
// 64 clients writing megabytes each would otherwise measure the load
// generator's memory, not the server's. Block j (32 bytes) is
// SHA-256(seed, j), so any range can be regenerated to check a read.
type content struct {
	seed uint64
	size int64
}

const blockSize = sha256.Size

func (c content) block(j int64) [blockSize]byte {
	var in [16]byte
	binary.LittleEndian.PutUint64(in[:8], c.seed)
	binary.LittleEndian.PutUint64(in[8:], uint64(j))
	return sha256.Sum256(in[:])
}

// ReadAt fills p with the bytes at off.
func (c content) ReadAt(p []byte, off int64) (int, error) {
	if off >= c.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && off < c.size {
		b := c.block(off / blockSize)
		end := min(int64(blockSize), c.size-off/blockSize*blockSize) // the last block may be short
		k := copy(p[n:], b[off%blockSize:end])
		n += k
		off += int64(k)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// reader is the whole content as an io.ReadSeeker (SDKs seek to hash and
// to retry).
func (c content) reader() io.ReadSeeker { return io.NewSectionReader(c, 0, c.size) }

// section is bytes [off, off+n) as an io.ReadSeeker, for one part.
func (c content) section(off, n int64) io.ReadSeeker { return io.NewSectionReader(c, off, n) }

// mismatch compares r with the content and reports the first offset where
// they differ, or -1 if r is exactly the content.
func (c content) mismatch(r io.Reader) (int64, error) {
	got := make([]byte, 32<<10)
	want := make([]byte, 32<<10)
	var off int64
	for {
		n, err := io.ReadFull(r, got)
		if n > 0 {
			m, _ := c.ReadAt(want[:n], off)
			for i := 0; i < n; i++ {
				if i >= m || got[i] != want[i] {
					return off + int64(i), nil
				}
			}
			off += int64(n)
		}
		switch err {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			if off != c.size {
				return off, nil
			}
			return -1, nil
		default:
			return 0, err
		}
	}
}
