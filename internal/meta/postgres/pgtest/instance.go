package pgtest

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// Instance is a PostgreSQL server of one test's own, which the test may
// kill and restart on the same data directory and socket: for tests of
// what a gateway does when its database goes away and comes back. Unlike
// the shared server, it acknowledges a commit only once the commit is in
// its WAL, so killing it loses nothing acknowledged (see crashSettings).
// TESSERA_TEST_POSTGRES does not apply: a server someone else runs cannot
// be killed.
type Instance struct {
	t  testing.TB
	mu sync.Mutex // serialises Kill and Restart
	c  *cluster
}

// StartInstance initialises and starts a new server, stopped and removed
// when the test ends. It fails the test if no PostgreSQL binaries are
// installed.
func StartInstance(t testing.TB) *Instance {
	t.Helper()
	c, err := startCluster(crashSettings)
	if err != nil {
		t.Fatalf("pgtest: start instance: %v", err)
	}
	i := &Instance{t: t, c: c}
	t.Cleanup(func() {
		i.mu.Lock()
		defer i.mu.Unlock()
		if err := i.c.stop(); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return i
}

// DSN is the DSN of the instance's database: the same before and after a
// restart.
func (i *Instance) DSN() string { return i.c.dsn("postgres") }

// Kill sends SIGKILL to the server's postmaster and waits for it to exit.
// Connections fail from then on (the backends exit once they notice their
// postmaster gone), and new ones are refused.
func (i *Instance) Kill() {
	i.t.Helper()
	i.mu.Lock()
	defer i.mu.Unlock()
	if err := i.c.kill(); err != nil {
		i.t.Fatalf("pgtest: %v", err)
	}
}

// restartWithin bounds how long Restart tries: a new postmaster refuses
// to start while a killed one's backends still hold its shared memory.
const restartWithin = 30 * time.Second

// Restart starts the server again on the same data directory and socket,
// after Kill, and returns once it accepts connections: it has replayed its
// WAL by then.
func (i *Instance) Restart() {
	i.t.Helper()
	i.mu.Lock()
	defer i.mu.Unlock()
	deadline := time.Now().Add(restartWithin)
	for {
		err := i.c.start()
		if err == nil {
			return
		}
		// A server that exits at once is most likely refusing to run
		// beside the killed one's backends, which are still exiting.
		if !errors.Is(err, errExited) || time.Now().After(deadline) {
			i.t.Fatalf("pgtest: restart instance: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
