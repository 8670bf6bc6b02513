package conformance

import (
	"testing"
	"time"
)

func TestMPProbe(t *testing.T) {
	e := mpSmall(t)
	id := e.create("k")
	t0 := time.Now()
	e.parts("k", id, mpSeq(1, 2500), func(n int32) []byte { return mpTiny(n, 0) }, 16)
	t.Logf("2500 parts: %v", time.Since(t0))
}
