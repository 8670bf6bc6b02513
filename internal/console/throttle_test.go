package console

import (
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)

// step is one event on the throttle's clock: at, a failure of keys (fail)
// or a check of keys that must have to wait want.
type step struct {
	at   time.Duration
	fail bool
	keys []string
	want time.Duration // for a check
}

func fails(at time.Duration, n int, keys ...string) []step {
	out := make([]step, n)
	for i := range out {
		out[i] = step{at: at, fail: true, keys: keys}
	}
	return out
}

func check(at time.Duration, want time.Duration, keys ...string) step {
	return step{at: at, keys: keys, want: want}
}

func TestThrottle(t *testing.T) {
	const s = time.Second
	cat := func(parts ...[]step) []step {
		var out []step
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"a new key may try", []step{check(0, 0, "a")}},
		{"nine failures: may still try", cat(fails(0, 9, "a"), []step{check(0, 0, "a")})},
		{"ten failures at once: wait one interval", cat(fails(0, 10, "a"), []step{check(0, 6*s, "a")})},
		{"the wait shrinks with time", cat(fails(0, 10, "a"), []step{check(4*s, 2*s, "a"), check(6*s, 0, "a")})},
		{"ten failures spread over a minute: never throttled", cat(
			fails(0, 1, "a"), fails(6*s, 1, "a"), fails(12*s, 1, "a"), fails(18*s, 1, "a"), fails(24*s, 1, "a"),
			fails(30*s, 1, "a"), fails(36*s, 1, "a"), fails(42*s, 1, "a"), fails(48*s, 1, "a"), fails(54*s, 1, "a"),
			[]step{check(60*s, 0, "a"), check(54*s+1, 0, "a")})},
		{"after the burst, one failure per interval", cat(fails(0, 10, "a"), fails(6*s, 1, "a"),
			[]step{check(6*s, 6*s, "a"), check(12*s, 0, "a")})},
		{"a drained key starts afresh", cat(fails(0, 10, "a"), fails(10*time.Minute, 9, "a"),
			[]step{check(10*time.Minute, 0, "a")})},
		{"keys are apart", cat(fails(0, 10, "a"), []step{check(0, 0, "b")})},
		{"the most throttled key decides", cat(fails(0, 10, "a"), fails(0, 11, "b"),
			[]step{check(0, 12*s, "a", "b"), check(0, 6*s, "a", "c")})},
		{"a failure counts for each of its keys", cat(fails(0, 10, "addr", "key"),
			[]step{check(0, 6*s, "addr"), check(0, 6*s, "key")})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			th := newThrottle(10, 6*time.Second, 100)
			for i, st := range tc.steps {
				now := t0.Add(st.at)
				if st.fail {
					th.fail(now, st.keys...)
					continue
				}
				if got := th.wait(now, st.keys...); got != st.want {
					t.Fatalf("step %d, check %v at %v: wait %v, want %v", i, st.keys, st.at, got, st.want)
				}
			}
		})
	}
}

// fail reports the failure that makes a key throttled, once.
func TestThrottleFailReportsCrossing(t *testing.T) {
	th := newThrottle(3, time.Second, 10)
	var got []bool
	for range 5 {
		got = append(got, th.fail(t0, "a"))
	}
	want := []bool{false, false, true, false, false} // the third makes the next attempt wait
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("fail reported %v, want %v", got, want)
	}
}

// The throttle keeps at most max keys: drained keys go first, then the
// ones nearest to draining; the most throttled key stays throttled.
func TestThrottleBounded(t *testing.T) {
	for _, tc := range []struct {
		name string
		// fill adds keys before the flood; flood is how many fresh keys fail
		// once each, at the given time.
		floodAt  time.Duration
		flood    int
		wantSize int
		// guessing (10 failures at t0) must still wait this long at floodAt.
		wantGuessingWait time.Duration
	}{
		{"under the bound", 0, 5, 6, 6 * time.Second},
		{"a flood of fresh keys", 0, 1000, 8, 6 * time.Second},
		{"a flood after the guessing drained", time.Hour, 1000, 8, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			th := newThrottle(10, 6*time.Second, 8)
			for range 10 {
				th.fail(t0, "guessing")
			}
			at := t0.Add(tc.floodAt)
			for i := range tc.flood {
				th.fail(at, fmt.Sprintf("fresh-%d", i))
			}
			if n := th.size(); n != tc.wantSize {
				t.Errorf("%d keys kept, want %d", n, tc.wantSize)
			}
			if w := th.wait(at, "guessing"); w != tc.wantGuessingWait {
				t.Errorf("guessing key waits %v, want %v", w, tc.wantGuessingWait)
			}
		})
	}
}

func TestClientKey(t *testing.T) {
	for _, tc := range []struct{ remote, want string }{
		{"192.0.2.7:51234", "addr:192.0.2.7"},
		{"192.0.2.7:1", "addr:192.0.2.7"},
		{"[2001:db8:1:2:3:4:5:6]:443", "addr:2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1]:443", "addr:2001:db8:1:2::/64"},
		{"[::ffff:192.0.2.7]:80", "addr:192.0.2.7"},
		{"[fe80::1%eth0]:80", "addr:fe80::/64"},
		{"not an address", "addr:not an address"},
	} {
		if got := clientKey(tc.remote); got != tc.want {
			t.Errorf("clientKey(%q) = %q, want %q", tc.remote, got, tc.want)
		}
	}
}

func TestKeyIDKeyBounded(t *testing.T) {
	long := string(make([]byte, 1000))
	if got := keyIDKey(long); len(got) != len("key:")+128 {
		t.Fatalf("key of %d bytes", len(got))
	}
}
