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
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// cluster is a throwaway PostgreSQL cluster: its data directory and Unix
// socket live in one temporary directory, removed when it stops. It listens
// on no TCP port, so clusters of parallel test processes never collide.
type cluster struct {
	dir      string // holds data/, sock/ and postgres.log
	sock     string
	log      string
	data     string
	bin      string              // holds initdb and postgres
	cred     *syscall.Credential // to run them as; nil: as this process
	settings []string            // -c name=value for the server

	cmd     *exec.Cmd     // the running (or last) postgres process
	exited  chan struct{} // closed when it has exited
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

// settings are the server settings of a cluster: the shared test server
// trades durability for speed, since it dies with the tests.
var (
	fastSettings = []string{
		"fsync=off",
		"synchronous_commit=off",
		"full_page_writes=off",
		"wal_level=minimal",
		"max_wal_senders=0",
		"shared_buffers=32MB", // several test processes may each run one
		"max_connections=200",
		"logging_collector=off",
	}
	// crashSettings are for an Instance a test kills: a commit must reach
	// the WAL before it is acknowledged (synchronous_commit), or killing
	// the server loses acknowledged transactions that were still in its
	// WAL buffers. fsync stays off: the machine does not lose power, so
	// the page cache keeps what was written.
	crashSettings = []string{
		"fsync=off",
		"synchronous_commit=on",
		"shared_buffers=16MB",
		"max_connections=100",
		"logging_collector=off",
	}
)

// startCluster runs initdb into a new temporary directory and starts a
// server on it with settings, returning once it accepts connections.
func startCluster(settings []string) (c *cluster, err error) {
	c, err = initCluster(settings)
	if err != nil {
		return nil, err
	}
	if err := c.start(); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// initCluster makes the directories and runs initdb.
func initCluster(settings []string) (c *cluster, err error) {
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
		dir:      dir,
		sock:     filepath.Join(dir, "sock"),
		log:      filepath.Join(dir, "postgres.log"),
		data:     filepath.Join(dir, "data"),
		bin:      bin,
		cred:     cred,
		settings: settings,
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
	ctx, cancel := context.WithTimeout(context.Background(), startupTimeout)
	defer cancel()
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"),
		"-D", c.data, "-A", "trust", "-U", "tessera", "--no-sync", "-E", "UTF8", "--locale=C")
	initdb.SysProcAttr = sysProcAttr(cred)
	initdb.Dir = dir // the postgres user may not be able to enter the caller's directory
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	return c, nil
}

// start runs the server on the cluster's data directory and returns once
// it accepts connections. After a kill it is a restart: the server
// recovers from its WAL first.
func (c *cluster) start() error {
	logf, err := os.OpenFile(c.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close() // the child has its own descriptor
	args := []string{"-D", c.data, "-k", c.sock, "-p", port, "-c", "listen_addresses="}
	for _, s := range c.settings {
		args = append(args, "-c", s)
	}
	cmd := exec.Command(filepath.Join(c.bin, "postgres"), args...)
	cmd.SysProcAttr = sysProcAttr(c.cred)
	cmd.Dir = c.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	exited := make(chan struct{})
	c.cmd, c.exited = cmd, exited
	go func() {
		c.waitErr = cmd.Wait()
		close(exited)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), startupTimeout)
	defer cancel()
	return c.waitReady(ctx)
}

// kill sends SIGKILL to the postmaster, as the kernel's OOM killer or an
// operator's kill -9 would, and waits for it to exit. Its backends notice
// the postmaster's death and exit on their own.
func (c *cluster) kill() error {
	if c.cmd == nil || c.cmd.Process == nil {
		return errors.New("postgres is not running")
	}
	children := childrenOf(c.cmd.Process.Pid)
	if err := c.cmd.Process.Signal(os.Kill); err != nil {
		return fmt.Errorf("kill postgres: %w", err)
	}
	select {
	case <-c.exited:
	case <-time.After(10 * time.Second):
		return errors.New("postgres did not exit within 10s of SIGKILL")
	}
	// A backend answers queries until it notices its postmaster gone:
	// wait for them all, so that the database is away when kill returns.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		alive := 0
		for _, pid := range children {
			if running(pid) {
				alive++
			}
		}
		if alive == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d postgres processes still running 10s after their postmaster was killed", alive)
		}
	}
}

// childrenOf lists the processes whose parent is pid (Linux /proc; none
// elsewhere).
func childrenOf(pid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var kids []int
	for _, st := range stats {
		var child int
		if _, ppid, ok := procStat(st); ok && ppid == pid {
			if _, err := fmt.Sscan(filepath.Base(filepath.Dir(st)), &child); err == nil {
				kids = append(kids, child)
			}
		}
	}
	return kids
}

// running reports whether pid is a process that has not exited (a zombie
// has: only its parent, init by now, has yet to reap it).
func running(pid int) bool {
	state, _, ok := procStat(fmt.Sprintf("/proc/%d/stat", pid))
	return ok && state != "Z"
}

// procStat reads a /proc/<pid>/stat file's state and parent pid.
func procStat(path string) (state string, ppid int, ok bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", 0, false
	}
	// pid (comm) state ppid …; comm may hold spaces and parentheses.
	rest := string(b[strings.LastIndexByte(string(b), ')')+1:])
	if _, err := fmt.Sscan(rest, &state, &ppid); err != nil {
		return "", 0, false
	}
	return state, ppid, true
}

// errExited is the error of a server that exited before it was ready.
var errExited = errors.New("postgres exited during startup")

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
			return fmt.Errorf("%w (%v):\n%s", errExited, c.waitErr, c.logTail())
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
