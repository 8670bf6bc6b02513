package crashtest

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/tessera-s3/tessera/internal/blob"
	"github.com/tessera-s3/tessera/internal/engine"
	pebblestore "github.com/tessera-s3/tessera/internal/meta/pebble"
)

var (
	seedsFlag   = flag.Int("powerloss.seeds", 200, "how many seeds TestPowerLoss runs, one crash each")
	firstFlag   = flag.Uint64("powerloss.first", 1, "the first seed TestPowerLoss runs")
	opsFlag     = flag.Int("powerloss.ops", 60, "operations per seed")
	seedFlag    = flag.Uint64("powerloss.seed", 0, "replay this one seed (with -powerloss.crashat)")
	crashAtFlag = flag.Int64("powerloss.crashat", 0, "with -powerloss.seed: crash after this mutation (0: pick as the seed does)")
)

// TestPowerLoss runs, for each seed, a random sequence of S3 operations on
// an engine over the blob store and the Pebble store, both on one
// crashable in-memory file system; it cuts the power after a random one of
// the run's file-system mutations, reopens everything on what survived, and
// checks it (see check). A failure names the seed and crash point, and
// -powerloss.seed=S -powerloss.crashat=N replays exactly that run: crypto/rand
// (blob, upload and version IDs) is seeded too. The long run:
//
//	go test ./internal/engine/crashtest -run TestPowerLoss -powerloss.seeds=100000 -timeout 0
func TestPowerLoss(t *testing.T) {
	if *seedFlag != 0 {
		res, err := powerLoss(t, *seedFlag, *crashAtFlag)
		if err != nil {
			t.Fatalf("seed=%d crashAt=%d (during %s): %v", *seedFlag, res.crashAt, res.during, err)
		}
		t.Logf("seed=%d crashAt=%d (during %s): %d operations, no loss", *seedFlag, res.crashAt, res.during, res.ops)
		return
	}
	var ops, crashes, failed int
	during := map[string]int{}
	for seed := *firstFlag; seed < *firstFlag+uint64(*seedsFlag) && failed < 10; seed++ {
		res, err := powerLoss(t, seed, 0)
		ops += res.ops
		crashes++
		during[res.during]++
		if err != nil {
			failed++
			t.Errorf("seed=%d crashAt=%d (during %s): %v\nreplay: go test ./internal/engine/crashtest -run TestPowerLoss -powerloss.seed=%d -powerloss.crashat=%d -v",
				seed, res.crashAt, res.during, err, seed, res.crashAt)
		}
	}
	t.Logf("%d crash points tried, %d operations run before them, %d losses; crashes during: %v", crashes, ops, failed, during)
}

// result describes one seed's run.
type result struct {
	ops     int    // operations run, the one in flight at the crash included
	crashAt int64  // the mutation after which the power went
	during  string // what was running then
}

// powerLoss runs one seed. Without a crash point it first runs the seed to
// the end to count its mutations, then picks one of them.
func powerLoss(t *testing.T, seed uint64, crashAt int64) (result, error) {
	if crashAt == 0 {
		r, err := runOps(t, seed, 0)
		if err != nil {
			return result{ops: r.ops, during: r.during}, fmt.Errorf("run without a crash: %w", err)
		}
		total := r.fs.mutations() // not counting Close's
		r.close()
		// One crash in ten falls while the stores are first opened and
		// the buckets made (a few hundred mutations, mostly Open's
		// directories); the rest among the operations.
		pick := rand.New(rand.NewPCG(seed, 1))
		if pick.IntN(10) == 0 || total <= r.setupMutations {
			crashAt = 1 + pick.Int64N(total)
		} else {
			crashAt = r.setupMutations + 1 + pick.Int64N(total-r.setupMutations)
		}
	}
	r, err := runOps(t, seed, crashAt)
	if err == nil {
		err = r.check()
	}
	return result{ops: r.ops, crashAt: crashAt, during: r.during}, err
}

// clock is the engine's clock; the lifecycle step moves it days ahead.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond) // every stamp distinct, as in life
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const (
	dataDir   = "/data"
	gatewayID = "gw"
	plain     = "plain"     // unversioned, with a lifecycle rule aborting lc/ uploads
	versioned = "versioned" // versioning enabled
)

var quiet = slog.New(slog.DiscardHandler)

// stores are the engine and what it runs on, opened on one file system.
type stores struct {
	meta  *pebblestore.Store
	blobs *blob.Store
	e     *engine.Engine
}

// openStores opens the stores as the server does: the blob store in the
// data directory, Pebble in its meta/ subdirectory.
func openStores(fs vfs.FS, clk *clock) (stores, error) {
	bs, err := blob.OpenFS(fs, dataDir, gatewayID)
	if err != nil {
		return stores{}, err
	}
	st, err := pebblestore.Open(dataDir+"/meta", pebblestore.WithFS(fs))
	if err != nil {
		return stores{}, err
	}
	e := engine.New(st, bs, engine.Options{Now: clk.now, Logger: quiet, MinPartSize: 1})
	return stores{meta: st, blobs: bs, e: e}, nil
}

// run is one seed's run.
type run struct {
	t     *testing.T
	seed  uint64
	rng   *rand.Rand
	fs    *crashFS
	clk   *clock
	s     stores
	ctx   context.Context
	ops   int
	m     *model // the acknowledged state, with the op in flight at the crash applied
	prev  *model // the acknowledged state before that op; nil when none was in flight
	setUp bool   // the buckets were made and configured before the crash
	// during names what ran last: at the crash, what the power cut.
	during string
	// setupMutations counts the mutations of opening and setting up.
	setupMutations int64
}

func (r *run) close() {
	if r.s.meta != nil {
		r.s.meta.Close()
	}
}

// runOps runs the seed's operations until the crash (crashAt 0: none).
func runOps(t *testing.T, seed uint64, crashAt int64) (*run, error) {
	cryptotest.SetGlobalRandom(t, seed)
	r := &run{
		t:    t,
		seed: seed,
		rng:  rand.New(rand.NewPCG(seed, 0)),
		fs:   newCrashFS(vfs.NewCrashableMem(), crashAt),
		clk:  &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		ctx:  context.Background(),
		m:    newModel(),
	}
	// The server makes the data directory, without an fsync, before the
	// stores open in it.
	if err := r.fs.MkdirAll(dataDir, 0o750); err != nil {
		return r, err
	}
	s, err := openStores(r.fs, r.clk)
	r.s = s
	r.during = "opening the stores"
	if r.fs.crashed() != nil {
		return r, nil // the power went while opening: nothing to lose yet
	}
	if err != nil {
		return r, err
	}
	r.during = "making the buckets"
	if err := r.setup(); err != nil {
		return r, err
	}
	if r.fs.crashed() != nil {
		return r, nil
	}
	r.setUp = true
	r.setupMutations = r.fs.mutations()
	for r.ops < *opsFlag {
		prev := r.m.clone()
		op, err := r.step()
		r.ops++
		r.during = op
		if err != nil {
			return r, fmt.Errorf("operation %d (%s): %w", r.ops, op, err)
		}
		if r.fs.crashed() != nil {
			r.prev = prev
			break
		}
	}
	return r, nil
}

// lifecycleDoc aborts uploads under lc/ a day after they start.
const lifecycleDoc = `<LifecycleConfiguration><Rule><ID>abort-lc</ID><Filter><Prefix>lc/</Prefix></Filter><Status>Enabled</Status>` +
	`<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>`

func (r *run) setup() error {
	owner := engine.Owner{ID: "owner"}
	for _, b := range []string{plain, versioned} {
		if err := r.s.e.CreateBucket(r.ctx, owner, b, "", false, nil); err != nil {
			return err
		}
	}
	if err := r.s.e.PutBucketVersioning(r.ctx, versioned, engine.VersioningEnabled); err != nil {
		return err
	}
	return r.s.e.PutBucketLifecycle(r.ctx, plain, []byte(lifecycleDoc))
}
