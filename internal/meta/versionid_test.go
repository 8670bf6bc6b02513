package meta

import (
	"sort"
	"strings"
	"testing"
	"time"
)

func TestVersionIDRoundTripAndOrder(t *testing.T) {
	seqs := []int64{1, 2, 1_700_000_000_000_000_000, 1_700_000_000_000_000_001, 1<<62 + 5}
	var ids []string
	for _, seq := range seqs {
		id := NewVersionID(seq)
		if len(id) != VersionIDLen || strings.Trim(id, "0123456789ABCDEFGHIJKLMNOPQRSTUV") != "" {
			t.Fatalf("NewVersionID(%d) = %q: want %d URL-safe characters", seq, id, VersionIDLen)
		}
		got, ok := VersionSeq(id)
		if !ok || got != seq {
			t.Fatalf("VersionSeq(%q) = %d, %v; want %d", id, got, ok, seq)
		}
		ids = append(ids, id)
	}
	// Newest (largest Seq) first as plain strings.
	if !sort.SliceIsSorted(ids, func(i, j int) bool { return ids[i] > ids[j] }) {
		t.Fatalf("IDs %q do not sort newest first", ids)
	}
	if a, b := NewVersionID(7), NewVersionID(7); a == b {
		t.Fatalf("two IDs for one Seq are equal: %q", a)
	}
}

func TestVersionSeqRejects(t *testing.T) {
	for _, id := range []string{"", NullVersion, "abc", strings.Repeat("0", 31), strings.Repeat("W", 32), strings.Repeat("v", 32), strings.Repeat("Z", 32)} {
		if _, ok := VersionSeq(id); ok {
			t.Errorf("VersionSeq(%q) accepted", id)
		}
	}
}

func TestNextSeq(t *testing.T) {
	for _, tc := range []struct {
		t            time.Time
		latest, want int64
	}{
		{time.Unix(0, 10), 0, 10}, {time.Unix(0, 10), 9, 10}, {time.Unix(0, 10), 10, 11}, {time.Unix(0, 10), 50, 51},
		{time.Time{}, 0, 1}, {time.Time{}, 7, 8},
	} {
		if got := NextSeq(tc.t, tc.latest); got != tc.want {
			t.Errorf("NextSeq(%v, %d) = %d, want %d", tc.t, tc.latest, got, tc.want)
		}
	}
}
