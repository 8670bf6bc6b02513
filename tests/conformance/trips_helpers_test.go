package conformance

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// Metadata round trips: how many metadata contract calls an S3 request
// makes, read from tessera_meta_operations_total. On PostgreSQL each call
// is a network round trip to the database all gateways share.

// tripsBackground are the contract methods the server calls on its own
// (heartbeat, leadership, the garbage collector, the usage flusher every
// 10 s, the metrics scrape's gateway count), never for an S3 request on
// an object; a request's count leaves them out so that it does not depend
// on when a ticker fired. (UpdateDoc's only request use is creating and
// deleting access points.)
var tripsBackground = []string{
	"Join", "Beat", "Leave", "Gateways", "Reap", "CollectableGarbage", "Lead", "Resign",
	"Garbage", "DeleteGarbage", "PruneCompletions", "ForEachBlobRef", "Subscribe", "UpdateDoc",
}

// metaCalls is the server's count of metadata calls by op, background
// calls left out.
func metaCalls(t testing.TB, srv *tesseratest.Server) map[string]float64 {
	t.Helper()
	calls := srv.Metrics(t).By("tessera_meta_operations_total", "op")
	for _, op := range tripsBackground {
		delete(calls, op)
	}
	return calls
}

// tripsOf runs do and returns the metadata calls it made by op and in all.
func tripsOf(t testing.TB, srv *tesseratest.Server, do func()) (map[string]int, int) {
	t.Helper()
	before := metaCalls(t, srv)
	do()
	after := metaCalls(t, srv)
	byOp, total := map[string]int{}, 0
	for op, n := range after {
		if d := int(n - before[op]); d != 0 {
			byOp[op] = d
			total += d
		}
	}
	return byOp, total
}

// formatTrips renders calls by op as "GetBucket×2 GetObject×1".
func formatTrips(byOp map[string]int) string {
	var b strings.Builder
	for _, op := range slices.Sorted(maps.Keys(byOp)) {
		fmt.Fprintf(&b, " %s×%d", op, byOp[op])
	}
	return strings.TrimSpace(b.String())
}
