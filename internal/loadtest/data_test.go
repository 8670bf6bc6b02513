package loadtest

import (
	"bytes"
	"io"
	"testing"
)

func TestContent(t *testing.T) {
	for _, size := range []int64{0, 1, 31, 32, 33, 1000, 70001} {
		c := content{seed: 7, size: size}
		all, err := io.ReadAll(c.reader())
		if err != nil || int64(len(all)) != size {
			t.Fatalf("size %d: read %d bytes, %v", size, len(all), err)
		}
		// Any range reads the same bytes as the whole.
		for _, off := range []int64{0, 5, 31, 32, size / 2} {
			if off > size {
				continue
			}
			part, _ := io.ReadAll(c.section(off, size-off))
			if !bytes.Equal(part, all[off:]) {
				t.Errorf("size %d: section at %d differs", size, off)
			}
		}
		if at, err := c.mismatch(bytes.NewReader(all)); at != -1 || err != nil {
			t.Errorf("size %d: own bytes mismatch at %d, %v", size, at, err)
		}
		if size > 0 {
			bad := bytes.Clone(all)
			bad[size-1] ^= 1
			if at, _ := c.mismatch(bytes.NewReader(bad)); at != size-1 {
				t.Errorf("size %d: flipped last byte found at %d", size, at)
			}
			if at, _ := c.mismatch(bytes.NewReader(all[:size-1])); at != size-1 {
				t.Errorf("size %d: short read found at %d", size, at)
			}
		}
		if at, _ := c.mismatch(bytes.NewReader(append(bytes.Clone(all), 'x'))); at != size {
			t.Errorf("size %d: long read found at %d", size, at)
		}
		if other := (content{seed: 8, size: size}); size > 0 {
			if at, _ := other.mismatch(bytes.NewReader(all)); at == -1 {
				t.Errorf("size %d: another seed's bytes match", size)
			}
		}
	}
}
