package pgtest

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestWithDatabase(t *testing.T) {
	for _, tc := range []struct{ dsn, want string }{
		{"host=/tmp/s user=u dbname=postgres", "host=/tmp/s user=u dbname=postgres dbname='db_1'"},
		{"postgres://u:p@h:5432/postgres?sslmode=disable", "postgres://u:p@h:5432/db_1?sslmode=disable"},
		{"postgresql://u@/x?host=/tmp/s&dbname=x", "postgresql://u@/db_1?host=%2Ftmp%2Fs"},
	} {
		got, err := withDatabase(tc.dsn, "db_1")
		if err != nil || got != tc.want {
			t.Errorf("withDatabase(%q) = %q, %v; want %q", tc.dsn, got, err, tc.want)
		}
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ dsn, want string }{
		{"host=h password=secret user=u", "host=h password=xxxxx user=u"},
		{"host=h password='se cr\\'et' user=u", "host=h password=xxxxx user=u"},
		{"postgres://u:secret@h/db", "postgres://u:xxxxx@h/db"},
		{"postgres://u@h/db", "postgres://u@h/db"},
	} {
		if got := redact(tc.dsn); got != tc.want {
			t.Errorf("redact(%q) = %q, want %q", tc.dsn, got, tc.want)
		}
	}
}

func TestQuote(t *testing.T) {
	if got, want := quote(`a b'c\d`), `'a b\'c\\d'`; got != want {
		t.Errorf("quote = %q, want %q", got, want)
	}
}

// TestInstanceRestart checks that a killed instance restarts on its data:
// a row committed before the kill is there after it.
func TestInstanceRestart(t *testing.T) {
	in := StartInstance(t)
	ctx := context.Background()
	exec := func(sql string) error {
		conn, err := pgx.Connect(ctx, in.DSN())
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec(`CREATE TABLE t (v int); INSERT INTO t VALUES (42)`); err != nil {
		t.Fatal(err)
	}
	in.Kill()
	if err := exec(`SELECT 1`); err == nil {
		t.Fatal("a killed instance accepted a connection")
	}
	in.Restart()
	conn, err := pgx.Connect(ctx, in.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var v int
	if err := conn.QueryRow(ctx, `SELECT v FROM t`).Scan(&v); err != nil || v != 42 {
		t.Fatalf("after restart: %d, %v; want 42", v, err)
	}
}

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// TestDSNFrom checks that a template is prepared once and that every
// database made from it starts with what prepare made, independently of
// the others.
func TestDSNFrom(t *testing.T) {
	ctx := context.Background()
	prepared := 0
	prepare := func(ctx context.Context, dsn string) error {
		prepared++
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, `CREATE TABLE t (v int); INSERT INTO t VALUES (1)`)
		return err
	}
	count := func(dsn string) (n int) {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM t`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	a, b := DSNFrom(t, "tmpl_test", prepare), DSNFrom(t, "tmpl_test", prepare)
	if a == b {
		t.Fatalf("two databases from one template share a DSN: %s", a)
	}
	if prepared != 1 {
		t.Errorf("prepare ran %d times, want once", prepared)
	}
	conn, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `INSERT INTO t VALUES (2)`); err != nil {
		t.Fatal(err)
	}
	if got := count(a); got != 2 {
		t.Errorf("database a: %d rows, want 2", got)
	}
	if got := count(b); got != 1 {
		t.Errorf("database b: %d rows, want the template's 1", got)
	}
	if got := count(DSNFrom(t, "tmpl_test", prepare)); got != 1 {
		t.Errorf("a later copy: %d rows, want the template's 1", got)
	}
}
