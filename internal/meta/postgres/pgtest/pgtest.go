// Package pgtest gives tests a PostgreSQL database of their own.
//
// The server is the one named by TESSERA_TEST_POSTGRES (a DSN whose user may
// create databases) or, when that is unset, a throwaway cluster started once
// per test process from the PostgreSQL binaries found on this machine. A
// package using pgtest must run its tests through Main, which stops that
// cluster afterwards:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// Every database pgtest creates has a name unique to the test process, so
// test processes sharing one server do not meet.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// EnvDSN names the environment variable holding the DSN of an existing
// server to use instead of starting one.
const EnvDSN = "TESSERA_TEST_POSTGRES"

var (
	mainCalled atomic.Bool

	startOnce sync.Once
	srv       *server // set by startOnce; nil if startErr is set
	startErr  error
)

// server is the PostgreSQL server of this test process.
type server struct {
	adminDSN string   // DSN of a database to issue CREATE DATABASE from
	cluster  *cluster // the throwaway cluster; nil for an external server
	prefix   string   // of every database name, unique to this process

	mu        sync.Mutex        // guards the fields below and serialises CREATE DATABASE
	admin     *pgx.Conn         // lazily (re)connected
	byName    map[string]string // DSNFor name → DSN
	templates map[string]string // DSNFrom template name → database name, once prepared
	created   []string          // database names, to drop from an external server
	seq       int               // for DSN's names
	// fileCopy: CREATE DATABASE copies files (STRATEGY FILE_COPY) rather
	// than logging every block of the template in the WAL (WAL_LOG,
	// PostgreSQL 15's default). Only on the throwaway cluster: its two
	// checkpoints cost nothing with fsync off, and the copy of the
	// template's ~7 MB is then ~4x faster (75 ms rather than 300 ms on a
	// loaded two-core machine) and writes no WAL. Cleared when the server
	// is older than 15 and does not know the option.
	fileCopy bool
}

// Main runs the tests of m and then stops the cluster pgtest started, if
// any, or drops the databases it created on the TESSERA_TEST_POSTGRES
// server. It returns the exit code for os.Exit.
func Main(m *testing.M) int {
	mainCalled.Store(true)
	code := m.Run()
	// Synchronises with a start by a test, and keeps a goroutine a test
	// leaked from starting a server no one would stop.
	startOnce.Do(func() { startErr = errors.New("a database was asked for after the tests finished") })
	if srv != nil {
		if err := srv.shutdown(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// DSN returns the DSN of a new, empty database. It fails the test if no
// server is available.
func DSN(t testing.TB) string {
	t.Helper()
	s := get(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	dsn, err := s.create(fmt.Sprintf("%s_%d", s.prefix, s.seq), "")
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return dsn
}

// validName is what DSNFor accepts: it becomes part of an unquoted
// database name, within PostgreSQL's 63-byte limit.
var validName = regexp.MustCompile(`^[a-z0-9_]{1,40}$`)

// DSNFor returns the DSN of the database this process knows by name
// (lower-case letters, digits and _, at most 40), creating it empty on the
// first call with that name; later calls return the same DSN, so a test
// can close a store and open it again on the same data.
func DSNFor(t testing.TB, name string) string {
	t.Helper()
	if !validName.MatchString(name) {
		t.Fatalf("pgtest: DSNFor(%q): name must match %s", name, validName)
	}
	s := get(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	if dsn, ok := s.byName[name]; ok {
		return dsn
	}
	dsn, err := s.create(s.prefix+"_n_"+name, "")
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	s.byName[name] = dsn
	return dsn
}

// DSNFrom returns the DSN of a new database that is a copy of the
// template this process knows by name (as DSNFor's names): on the first
// call with that name, the template is created empty and prepare fills it
// (a schema, say), once for the whole process, so that each database after
// that starts out filled without paying for it. prepare must close every
// connection it opened to dsn before it returns: PostgreSQL copies only a
// database no one is connected to. If prepare fails, the test fails, and
// so does every later call with that name.
func DSNFrom(t testing.TB, name string, prepare func(ctx context.Context, dsn string) error) string {
	t.Helper()
	if !validName.MatchString(name) {
		t.Fatalf("pgtest: DSNFrom(%q): name must match %s", name, validName)
	}
	s := get(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	tmpl, ok := s.templates[name]
	if !ok {
		var err error
		if tmpl, err = s.prepareTemplate(name, prepare); err != nil {
			t.Fatalf("pgtest: %v", err)
		}
	}
	if tmpl == "" {
		t.Fatalf("pgtest: template %q: its preparation failed earlier", name)
	}
	s.seq++
	dsn, err := s.create(fmt.Sprintf("%s_%d", s.prefix, s.seq), tmpl)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return dsn
}

// prepareTemplate creates template name's database and runs prepare on
// it; s.mu is held. A failure is remembered, so that it is reported once
// and not retried by every test.
func (s *server) prepareTemplate(name string, prepare func(context.Context, string) error) (string, error) {
	s.templates[name] = ""
	db := s.prefix + "_t_" + name
	dsn, err := s.create(db, "")
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := prepare(ctx, dsn); err != nil {
		return "", fmt.Errorf("prepare template %q: %w", name, err)
	}
	s.templates[name] = db
	return db, nil
}

// get returns the server, starting it on first use, or fails the test.
func get(t testing.TB) *server {
	t.Helper()
	if !mainCalled.Load() {
		t.Fatal("pgtest: the test package must run its tests through pgtest.Main " +
			"(func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }), which stops the server afterwards")
	}
	startOnce.Do(func() { srv, startErr = start() })
	if startErr != nil {
		t.Fatalf("pgtest: %v", startErr)
	}
	return srv
}

func start() (*server, error) {
	var tag [4]byte
	if _, err := rand.Read(tag[:]); err != nil {
		return nil, err
	}
	s := &server{
		prefix:    fmt.Sprintf("tt%d_%s", os.Getpid(), hex.EncodeToString(tag[:])),
		byName:    map[string]string{},
		templates: map[string]string{},
	}
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		s.adminDSN = dsn
		return s, nil
	}
	c, err := startCluster(fastSettings)
	if err != nil {
		return nil, err
	}
	s.cluster = c
	s.adminDSN = c.dsn("postgres")
	s.fileCopy = true
	return s, nil
}

// create creates database name, a copy of database template ("" for the
// server's default, template1), and returns its DSN. s.mu is held.
func (s *server) create(name, template string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if s.admin == nil || s.admin.IsClosed() {
		conn, err := pgx.Connect(ctx, s.adminDSN)
		if err != nil {
			return "", fmt.Errorf("connect to %s: %w", redact(s.adminDSN), err)
		}
		s.admin = conn
	}
	sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if template != "" {
		sql += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	_, err := s.admin.Exec(ctx, sql+s.strategy())
	var pgErr *pgconn.PgError
	if s.fileCopy && errors.As(err, &pgErr) && pgErr.Code == "42601" { // syntax error: older than 15
		s.fileCopy = false
		_, err = s.admin.Exec(ctx, sql)
	}
	if err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	s.created = append(s.created, name)
	return withDatabase(s.adminDSN, name)
}

// strategy is the STRATEGY clause of CREATE DATABASE (see fileCopy).
func (s *server) strategy() string {
	if s.fileCopy {
		return " STRATEGY FILE_COPY"
	}
	return ""
}

// shutdown stops the cluster, or drops the databases created on an
// external server.
func (s *server) shutdown() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cluster != nil {
		if s.admin != nil {
			_ = s.admin.Close(context.Background())
		}
		return s.cluster.stop()
	}
	if s.admin == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	defer s.admin.Close(ctx)
	var errs []error
	for _, name := range s.created {
		id := pgx.Identifier{name}.Sanitize()
		// FORCE (PostgreSQL 13+) ends sessions a test left open.
		_, err := s.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+id+" WITH (FORCE)")
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42601" { // syntax error: an older server
			_, err = s.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+id)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("drop database %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// withDatabase returns dsn with its database replaced by name. dsn is a
// postgres:// URL or a keyword/value string; in the latter a later keyword
// overrides an earlier one.
func withDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("parse %s: %w", EnvDSN, err)
		}
		u.Path = "/" + name
		q := u.Query()
		q.Del("dbname")
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return strings.TrimSpace(dsn) + " dbname=" + quote(name), nil
}

// quote quotes a keyword/value DSN value.
func quote(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// redact hides a password in a DSN for error messages.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return u.String()
		}
		return dsn
	}
	return regexp.MustCompile(`password\s*=\s*('(\\.|[^'])*'|\S+)`).ReplaceAllString(dsn, "password=xxxxx")
}
