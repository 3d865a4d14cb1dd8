package testpg

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Standby is a hot standby of a Server, made with pg_basebackup -R and
// streaming from it.
type Standby struct {
	Port int
	Dir  string // holds data/, the log and the socket
}

// DSN returns a connection string for database db ("" for postgres).
func (s *Standby) DSN(db string) string {
	if db == "" {
		db = "postgres"
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, db)
}

// Promote makes the standby a primary (pg_ctl promote) and waits for it.
func (s *Standby) Promote(tb testing.TB) {
	tb.Helper()
	PgRun(tb, "pg_ctl", "-D", filepath.Join(s.Dir, "data"), "-w", "promote")
}

// PgCommand returns a command running a PostgreSQL binary, as the postgres
// user when root (initdb and pg_ctl refuse root).
func PgCommand(name string, args ...string) (*exec.Cmd, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(bin, name)
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...), nil
	}
	return exec.Command(path, args...), nil
}

// PgRun runs a PostgreSQL binary (see PgCommand) and fails the test if it
// fails.
func PgRun(tb testing.TB, name string, args ...string) {
	tb.Helper()
	cmd, err := PgCommand(name, args...)
	if err != nil {
		tb.Fatal(err)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// StartStandby clones primary with pg_basebackup -R and starts it as a hot
// standby on a free port; it is stopped when the test ends.
func StartStandby(tb testing.TB, primary *Server) *Standby {
	tb.Helper()
	dir, err := os.MkdirTemp("", "openwit-standby-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			tb.Logf("standby log:\n%s", log)
		}
		os.RemoveAll(dir)
	})
	if err := os.Chmod(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			tb.Fatal(err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			tb.Fatal(err)
		}
	}
	data := filepath.Join(dir, "data")
	PgRun(tb, "pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(primary.Port), "-U", "postgres",
		"-D", data, "-R", "-X", "stream", "--checkpoint=fast", "--no-sync")
	port := FreePort(tb)
	PgRun(tb, "pg_ctl", "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-t", "20", "-o",
		fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c max_connections=200", port, dir), "start")
	tb.Cleanup(func() {
		if cmd, err := PgCommand("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"); err == nil {
			_ = cmd.Run() // best effort, like Server.Stop
		}
	})
	return &Standby{Port: port, Dir: dir}
}

// RequireSynchronousStandby makes every commit on s wait until a standby has
// flushed it (synchronous_standby_names = '*'), so a failover loses nothing
// that was committed. Call it after the standby is streaming.
func (s *Server) RequireSynchronousStandby(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, s.DSN(""))
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close(ctx)
	for _, q := range []string{`ALTER SYSTEM SET synchronous_standby_names = '*'`, `SELECT pg_reload_conf()`} {
		if _, err := c.Exec(ctx, q); err != nil {
			tb.Fatalf("%s: %v", q, err)
		}
	}
	for {
		var state string
		err := c.QueryRow(ctx, `SELECT coalesce(max(sync_state), '') FROM pg_stat_replication`).Scan(&state)
		if err != nil {
			tb.Fatal(err)
		}
		if state == "sync" {
			return
		}
		select {
		case <-ctx.Done():
			tb.Fatalf("no synchronous standby after 30s (sync_state %q)", state)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Kill ends the server's postmaster with SIGKILL, as a crash would; its
// children notice and exit. Stop still cleans up afterwards.
func (s *Server) Kill(tb testing.TB) {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(s.Dir, "data", "postmaster.pid"))
	if err != nil {
		tb.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		tb.Fatalf("postmaster.pid: %v", err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		tb.Fatalf("kill postmaster %d: %v", pid, err)
	}
}

// WaitReplayed waits until the standby at standbyDSN has replayed
// everything the primary at primaryDSN has written so far.
func WaitReplayed(tb testing.TB, primaryDSN, standbyDSN string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := pgx.Connect(ctx, primaryDSN)
	if err != nil {
		tb.Fatal(err)
	}
	defer p.Close(ctx)
	var lsn string
	if err := p.QueryRow(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&lsn); err != nil {
		tb.Fatal(err)
	}
	s, err := pgx.Connect(ctx, standbyDSN)
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close(ctx)
	for {
		var done bool
		if err := s.QueryRow(ctx, `SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn`, lsn).Scan(&done); err != nil {
			tb.Fatal(err)
		}
		if done {
			return
		}
		select {
		case <-ctx.Done():
			tb.Fatal("standby did not catch up within a minute")
		case <-time.After(20 * time.Millisecond):
		}
	}
}
