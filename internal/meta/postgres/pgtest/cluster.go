package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// cluster is a throwaway PostgreSQL cluster: its data directory and Unix
// socket live in one temporary directory, removed when it stops. It listens
// on no TCP port, so clusters of parallel test processes never collide.
type cluster struct {
	dir     string // holds data/, sock/ and postgres.log
	sock    string
	log     string
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the postgres process has exited
	waitErr error         // valid once exited is closed
}

// port only names the socket file; the socket directory is private.
const port = "5432"

// startupTimeout bounds initdb plus the server's start on a slow machine.
const startupTimeout = 30 * time.Second

func (c *cluster) dsn(database string) string {
	return fmt.Sprintf("host=%s port=%s user=tessera dbname=%s sslmode=disable", quote(c.sock), port, quote(database))
}

// findBinaries returns the directory holding initdb and postgres: that of
// initdb on PATH (or of the file it links to), else the newest /usr/lib/postgresql/*/bin (Debian keeps
// the server binaries off PATH).
func findBinaries() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		// PATH may hold a symlink to initdb alone; its target's
		// directory holds postgres too.
		for _, q := range []string{p, resolve(p)} {
			if dir := filepath.Dir(q); isExecutable(filepath.Join(dir, "postgres")) {
				return dir, nil
			}
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	// Newest major version first: compare numerically, so 9 < 10.
	version := func(d string) int {
		n, _ := strconv.Atoi(filepath.Base(filepath.Dir(d)))
		return n
	}
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, dir := range dirs {
		if isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("no PostgreSQL server binaries (initdb, postgres) on PATH or in /usr/lib/postgresql/*/bin: " +
		"install the Debian package postgresql (apt-get install postgresql), " +
		"or set " + EnvDSN + " to the DSN of a server whose user may create databases")
}

func resolve(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// serverUser returns the credentials to run PostgreSQL with: nil when the
// process is not root, else those of the postgres user, since PostgreSQL
// refuses to run as root.
func serverUser() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, and PostgreSQL refuses to: need a 'postgres' user to run it as "+
			"(the Debian package postgresql creates one): %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("user postgres: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// startCluster runs initdb into a new temporary directory and starts a
// server on it, returning once it accepts connections.
func startCluster() (c *cluster, err error) {
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	cred, err := serverUser()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "tessera-pg-")
	if err != nil {
		return nil, err
	}
	// A Unix socket path is limited to about 100 bytes.
	if len(dir) > 60 {
		os.RemoveAll(dir)
		if dir, err = os.MkdirTemp("/tmp", "tessera-pg-"); err != nil {
			return nil, err
		}
	}
	c = &cluster{
		dir:    dir,
		sock:   filepath.Join(dir, "sock"),
		log:    filepath.Join(dir, "postgres.log"),
		exited: make(chan struct{}),
	}
	defer func() {
		if err != nil {
			c.stop()
		}
	}()
	if err := os.Mkdir(c.sock, 0o700); err != nil {
		return nil, err
	}
	if cred != nil {
		// initdb creates data/ inside dir, and the server its socket in sock/.
		for _, p := range []string{dir, c.sock} {
			if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
				return nil, fmt.Errorf("chown %s to postgres: %w", p, err)
			}
		}
	}
	data := filepath.Join(dir, "data")

	ctx, cancel := context.WithTimeout(context.Background(), startupTimeout)
	defer cancel()
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"),
		"-D", data, "-A", "trust", "-U", "tessera", "--no-sync", "-E", "UTF8", "--locale=C")
	initdb.SysProcAttr = sysProcAttr(cred)
	initdb.Dir = dir // the postgres user may not be able to enter the caller's directory
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}

	logf, err := os.OpenFile(c.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child has its own descriptor
	// Durability is worth nothing here: the cluster dies with the tests.
	c.cmd = exec.Command(filepath.Join(bin, "postgres"),
		"-D", data, "-k", c.sock, "-p", port,
		"-c", "listen_addresses=",
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "wal_level=minimal",
		"-c", "max_wal_senders=0",
		"-c", "shared_buffers=32MB", // several test processes may each run one
		"-c", "max_connections=200",
		"-c", "logging_collector=off",
	)
	c.cmd.SysProcAttr = sysProcAttr(cred)
	c.cmd.Dir = dir
	c.cmd.Stdout, c.cmd.Stderr = logf, logf
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	go func() {
		c.waitErr = c.cmd.Wait()
		close(c.exited)
	}()
	if err := c.waitReady(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// waitReady polls until the server accepts a connection.
func (c *cluster) waitReady(ctx context.Context) error {
	for {
		attempt, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(attempt, c.dsn("postgres"))
		cancel()
		if err == nil {
			return conn.Close(ctx)
		}
		select {
		case <-c.exited:
			return fmt.Errorf("postgres exited during startup (%v):\n%s", c.waitErr, c.logTail())
		case <-ctx.Done():
			return fmt.Errorf("postgres did not accept connections within %v (last error: %v):\n%s",
				startupTimeout, err, c.logTail())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// logTail returns the end of the server's log, for error messages.
func (c *cluster) logTail() string {
	b, _ := os.ReadFile(c.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(bytes.TrimSpace(b))
}

// stop shuts the server down (fast shutdown: SIGINT; escalating if it
// hangs) and removes the directory.
func (c *cluster) stop() error {
	var errs []error
	if c.cmd != nil && c.cmd.Process != nil {
		for _, step := range []struct {
			sig  os.Signal
			wait time.Duration
		}{
			{syscall.SIGINT, 20 * time.Second}, // fast shutdown: ends sessions, checkpoints
			{syscall.SIGQUIT, 5 * time.Second}, // immediate shutdown
			{os.Kill, 5 * time.Second},
		} {
			select {
			case <-c.exited:
				continue
			default:
			}
			_ = c.cmd.Process.Signal(step.sig)
			select {
			case <-c.exited:
			case <-time.After(step.wait):
				errs = append(errs, fmt.Errorf("postgres ignored %v for %v", step.sig, step.wait))
			}
		}
	}
	if err := os.RemoveAll(c.dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("stop cluster in %s: %w", c.dir, errors.Join(errs...))
	}
	return nil
}
