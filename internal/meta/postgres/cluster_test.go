package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tessera-s3/tessera/internal/meta"
	"github.com/tessera-s3/tessera/internal/meta/postgres"
	"github.com/tessera-s3/tessera/internal/meta/postgres/pgtest"
)

const live = time.Hour

// cluster opens n stores on one new database and a plain connection to it,
// for what the tests do behind the stores' backs.
func cluster(t *testing.T, n int) ([]*postgres.Store, *pgx.Conn) {
	t.Helper()
	dsn := pgtest.DSN(t)
	var out []*postgres.Store
	for range n {
		s := open(t, dsn)
		t.Cleanup(func() { s.Close() })
		out = append(out, s)
	}
	conn, err := pgx.Connect(t.Context(), dsn)
	must(t, "connect", err)
	t.Cleanup(func() { conn.Close(context.Background()) })
	return out, conn
}

// terminate ends a backend as a network failure or an operator would,
// and waits for it to exit (so that its locks are gone).
func terminate(t *testing.T, conn *pgx.Conn, pid uint32) {
	t.Helper()
	if pid == 0 {
		t.Fatal("no backend to terminate")
	}
	var ok bool
	must(t, "pg_terminate_backend", conn.QueryRow(t.Context(), `SELECT pg_terminate_backend($1, 5000)`, int64(pid)).Scan(&ok))
	if !ok {
		t.Fatalf("backend %d did not end", pid)
	}
}

// changes records what a subscriber gets.
type changes struct {
	mu  sync.Mutex
	got []meta.Change
}

func (c *changes) add(ch meta.Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, ch)
}

func (c *changes) has(ch meta.Change) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Contains(c.got, ch)
}

// eventually fails the test unless cond holds within d.
func eventually(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFeedReconnect: a listener whose connection drops listens again, says
// that changes may have been missed, and delivers (and confirms) what
// follows.
func TestFeedReconnect(t *testing.T) {
	ss, conn := cluster(t, 2)
	ctx := t.Context()
	var got changes
	ss[0].Subscribe(got.add)
	must(t, "Join", ss[0].Join(ctx, meta.Gateway{ID: "a"}, live))
	must(t, "Join", ss[1].Join(ctx, meta.Gateway{ID: "b"}, live))
	terminate(t, conn, postgres.FeedPID(ss[0]))
	eventually(t, "a re-read-everything change", 10*time.Second, func() bool { return got.has(meta.Change{}) })
	c := meta.Change{Kind: "iam.key", ID: "after"}
	must(t, "Publish", ss[1].Publish(ctx, c, live))
	if !got.has(c) {
		t.Fatal("Publish returned before the reconnected gateway delivered the change")
	}
}

// TestFeedLostNotification: a change number taken without its
// notification arriving is noticed by the poll, which says changes may
// have been missed and releases publishers waiting for it.
func TestFeedLostNotification(t *testing.T) {
	t.Cleanup(postgres.SetFeedPoll(50 * time.Millisecond)) // before the stores: restored after they close
	ss, conn := cluster(t, 1)
	ctx := t.Context()
	var got changes
	ss[0].Subscribe(got.add)
	must(t, "Join", ss[0].Join(ctx, meta.Gateway{ID: "a"}, live))
	// A publication whose notification is lost: its number, no NOTIFY.
	var n int64
	must(t, "nextval", conn.QueryRow(ctx, `SELECT nextval('change_seq')`).Scan(&n))
	eventually(t, "a re-read-everything change", 5*time.Second, func() bool { return got.has(meta.Change{}) })
	eventually(t, "gateway a marked as having seen the lost change", 5*time.Second, func() bool {
		var seen int64
		must(t, "seen", conn.QueryRow(ctx, `SELECT seen FROM gateways WHERE id = 'a'`).Scan(&seen))
		return seen >= n
	})
}

// TestLeadConnectionLost: leadership is the session's; when the
// leader's connection ends, another gateway can lead, and the old leader's
// next Lead reconnects and reports that it no longer leads.
func TestLeadConnectionLost(t *testing.T) {
	ss, conn := cluster(t, 2)
	ctx := t.Context()
	a, b := ss[0], ss[1]
	must(t, "Join", a.Join(ctx, meta.Gateway{ID: "a"}, live))
	must(t, "Join", b.Join(ctx, meta.Gateway{ID: "b"}, live))
	leads := func(s *postgres.Store, id string) bool {
		t.Helper()
		ok, err := s.Lead(ctx, id)
		must(t, "Lead("+id+")", err)
		return ok
	}
	if !leads(a, "a") || leads(b, "b") {
		t.Fatal("a should lead, b not")
	}
	// Nobody else tries: a's next Lead takes it again on a new session.
	terminate(t, conn, postgres.LeadPID(a))
	if !leads(a, "a") {
		t.Fatal("a did not lead again after its connection dropped")
	}
	if leads(b, "b") {
		t.Fatal("b leads beside a")
	}
	// b tries first: it takes over, and a learns it does not lead.
	terminate(t, conn, postgres.LeadPID(a))
	if !leads(b, "b") {
		t.Fatal("b did not lead after a's connection dropped")
	}
	if leads(a, "a") {
		t.Fatal("a still leads after its connection dropped")
	}
}

// TestTakeover: when another process takes over a stale registration
// (a restart with a fixed ID), the old process's Beat and Lead report the
// gateway gone instead of renewing the successor's registration, and its
// leadership ends.
func TestTakeover(t *testing.T) {
	ss, _ := cluster(t, 2)
	ctx := t.Context()
	old, successor := ss[0], ss[1]
	must(t, "Join", old.Join(ctx, meta.Gateway{ID: "g"}, live))
	must(t, "Beat", old.Beat(ctx, "g", []string{"blob"}))
	if ok, err := old.Lead(ctx, "g"); err != nil || !ok {
		t.Fatalf("Lead = %v, %v", ok, err)
	}
	time.Sleep(300 * time.Millisecond)
	must(t, "Join(takeover)", successor.Join(ctx, meta.Gateway{ID: "g", Address: "new"}, 200*time.Millisecond))
	if err := old.Beat(ctx, "g", []string{"blob"}); err != meta.ErrGatewayGone {
		t.Fatalf("old Beat = %v, want ErrGatewayGone", err)
	}
	if _, err := old.Lead(ctx, "g"); err != meta.ErrGatewayGone {
		t.Fatalf("old Lead = %v, want ErrGatewayGone", err)
	}
	if ok, err := successor.Lead(ctx, "g"); err != nil || !ok {
		t.Fatalf("successor Lead = %v, %v; want it to lead", ok, err)
	}
	// The successor's registration is untouched by the old process.
	gs, err := successor.Gateways(ctx)
	must(t, "Gateways", err)
	if len(gs) != 1 || gs[0].Address != "new" {
		t.Fatalf("Gateways = %+v", gs)
	}
	must(t, "Leave(old)", old.Leave(ctx, "g")) // not the old one's to end
	if gs, _ := successor.Gateways(ctx); len(gs) != 1 {
		t.Fatalf("the old process's Leave removed its successor: %+v", gs)
	}
}

// TestBeatSendsDifference: a Beat sends only what changed since the last
// one; the lease rows left alone are not rewritten.
func TestBeatSendsDifference(t *testing.T) {
	ss, conn := cluster(t, 1)
	s := ss[0]
	ctx := t.Context()
	must(t, "Join", s.Join(ctx, meta.Gateway{ID: "g"}, live))
	ids := make([]string, 10000) // a 10,000-part object being read
	for i := range ids {
		ids[i] = fmt.Sprintf("blob%05d", i)
	}
	must(t, "Beat", s.Beat(ctx, "g", ids))
	version := func(blob string) (xmin string) {
		t.Helper()
		must(t, "xmin", conn.QueryRow(ctx, `SELECT xmin::text FROM leases WHERE blob_id = $1`, []byte(blob)).Scan(&xmin))
		return xmin
	}
	kept := version("blob05000")
	next := append(slices.Clone(ids[1:]), "other")
	must(t, "Beat", s.Beat(ctx, "g", next))
	if v := version("blob05000"); v != kept {
		t.Fatalf("an unchanged lease was rewritten (xmin %s → %s)", kept, v)
	}
	rows, err := conn.Query(ctx, `SELECT blob_id FROM leases WHERE gateway = 'g'`)
	must(t, "leases", err)
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var b []byte
		err := r.Scan(&b)
		return string(b), err
	})
	must(t, "leases", err)
	slices.Sort(got)
	slices.Sort(next)
	if !slices.Equal(got, next) {
		t.Fatalf("leases hold %d rows (first %q), want %d", len(got), got[:min(3, len(got))], len(next))
	}
}

// TestMigrateGarbageSince: garbage recorded before it was dated counts as
// long ago, so it stays collectable.
func TestMigrateGarbageSince(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.DSN(t)
	must(t, "CreateSchemaAt(2)", postgres.CreateSchemaAt(ctx, dsn, 2))
	conn, err := pgx.Connect(ctx, dsn)
	must(t, "connect", err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `INSERT INTO garbage (blob_id) VALUES ('old')`)
	must(t, "insert garbage", err)
	s := open(t, dsn)
	defer s.Close()
	must(t, "CreateBucket", s.CreateBucket(ctx, meta.Bucket{Name: "b", Created: base}))
	for _, blob := range []string{"new", "kept"} {
		_, _, err := s.PutObject(ctx, meta.Object{Bucket: "b", Key: "k", Segments: []meta.Segment{{BlobID: blob}}}, nil)
		must(t, "PutObject", err)
	}
	got, err := s.CollectableGarbage(ctx, 10*365*24*time.Hour, live, 10)
	must(t, "CollectableGarbage", err)
	if !slices.Equal(got, []string{"old"}) {
		t.Fatalf("CollectableGarbage(minAge 10 years) = %q, want [old]", got)
	}
}
