package server

import (
	"testing"
	"time"

	"github.com/tessera-s3/tessera/internal/meta"
)

// TestAllFresh covers settled's fast path: judging may start before a TTL
// has passed only when no registration is anywhere near stale.
func TestAllFresh(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	gw := func(id string, beatAgo time.Duration) meta.Gateway {
		return meta.Gateway{ID: id, Beat: t0.Add(-beatAgo)}
	}
	const margin = time.Second
	for _, tc := range []struct {
		name string
		gws  []meta.Gateway
		want bool
	}{
		{"alone", []meta.Gateway{gw("a", 0)}, true},
		{"all beat just now", []meta.Gateway{gw("a", 0), gw("b", 100*time.Millisecond), gw("c", 0)}, true},
		{"one newer than self", []meta.Gateway{gw("a", time.Second), gw("b", 0)}, true},
		{"one at the margin", []meta.Gateway{gw("a", 0), gw("b", margin)}, true},
		{"one past the margin (e.g. after a database restart)", []meta.Gateway{gw("a", 0), gw("b", margin+time.Millisecond)}, false},
		{"a dead leader's registration", []meta.Gateway{gw("a", 0), gw("b", 0), gw("old", 10*time.Second)}, false},
		{"self not registered (reaped)", []meta.Gateway{gw("b", 0)}, false},
		{"none", nil, false},
	} {
		if got := allFresh(tc.gws, "a", margin); got != tc.want {
			t.Errorf("%s: allFresh = %v, want %v", tc.name, got, tc.want)
		}
	}
}
