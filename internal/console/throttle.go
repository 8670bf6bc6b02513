package console

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// throttle slows down guessing secrets at the login form: it counts failed
// logins per key (a client address, an access key ID) and refuses a key's
// logins, without checking them, once it has failed burst times in quick
// succession, until its failures drain at one per interval. So a client
// may fail burst times at once, then once per interval on average
// (burst=10, interval=6s: ten failures a minute).
//
// It is a throttle, not authoritative state: each gateway keeps its own,
// in memory, and a restart forgets it. Each key's state is one time (the
// generic cell rate algorithm's "theoretical arrival time": when the
// key's failures will have drained), and at most max keys are kept.
type throttle struct {
	burst    int
	interval time.Duration
	max      int

	mu sync.Mutex
	// drained is when each key's failures will have drained.
	drained map[string]time.Time
}

func newThrottle(burst int, interval time.Duration, max int) *throttle {
	return &throttle{burst: burst, interval: interval, max: max, drained: map[string]time.Time{}}
}

// slack is how far ahead of now a key's drained time may be while the key
// may still try: room for one more failure within burst.
func (t *throttle) slack() time.Duration { return time.Duration(t.burst-1) * t.interval }

// wait returns how long the most throttled of keys must wait before its
// next attempt is checked (0: now).
func (t *throttle) wait(now time.Time, keys ...string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	var w time.Duration
	for _, k := range keys {
		if d, ok := t.drained[k]; ok {
			w = max(w, d.Sub(now)-t.slack())
		}
	}
	return w
}

// fail records a failed attempt of each key. It reports whether that made
// a key throttled (for the log: once per key crossing the limit, not once
// per refused attempt).
func (t *throttle) fail(now time.Time, keys ...string) (throttled bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		d, ok := t.drained[k]
		if !ok {
			t.makeRoom(now)
		}
		if d.Before(now) {
			d = now
		}
		was := d.Sub(now) > t.slack()
		d = d.Add(t.interval)
		t.drained[k] = d
		throttled = throttled || !was && d.Sub(now) > t.slack()
	}
	return throttled
}

// makeRoom keeps the map under max before a key is added: it drops the
// keys whose failures have drained (they are as good as new) and, if all
// are still throttled, the one nearest to draining — the least evidence
// of guessing, as a flood of fresh keys is the way to push keys out. The
// scans run only while the map is full, at most max entries each.
func (t *throttle) makeRoom(now time.Time) {
	if len(t.drained) < t.max {
		return
	}
	for k, d := range t.drained {
		if !d.After(now) {
			delete(t.drained, k)
		}
	}
	for len(t.drained) >= t.max {
		var victim string
		var first time.Time
		for k, d := range t.drained {
			if victim == "" || d.Before(first) {
				victim, first = k, d
			}
		}
		delete(t.drained, victim)
	}
}

// size is how many keys are kept (tests).
func (t *throttle) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.drained)
}

// clientKey names the client a request comes from for the throttle: its
// address without the port, and for IPv6 its /64 network (what one
// subscriber is usually given, so cycling through its addresses is one
// client). The server trusts no proxy header, so behind a proxy this is
// the proxy.
func clientKey(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return "addr:" + host
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return "addr:" + p.String()
	}
	return "addr:" + a.String()
}

// keyIDKey names an access key ID for the throttle, bounded in length (an
// access key ID is at most 128 characters; longer ones share a key).
func keyIDKey(id string) string {
	const maxLen = 128
	if len(id) > maxLen {
		id = id[:maxLen]
	}
	return "key:" + id
}
