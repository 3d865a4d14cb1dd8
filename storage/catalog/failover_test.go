package catalog

import (
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"openwit/internal/testpg"
)

// A real failover: a hot standby made with pg_basebackup, the primary shut
// down while the catalog is in use, the standby promoted. A publish issued
// after the shutdown keeps retrying (connection refused, then the standby
// rejected by target_session_attrs=read-write) and lands on the new primary.
func TestPostgresFailover(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	primary := testpg.Start(t)
	primary.CreateDB(t, "cat")
	standbyPort, standbyDir := startStandby(t, primary)

	dsn := fmt.Sprintf("postgres://postgres@127.0.0.1:%d,127.0.0.1:%d/cat?sslmode=disable&target_session_attrs=read-write",
		primary.Port, standbyPort)
	// A generous budget: promotion takes about a second here.
	c, err := OpenPostgresConfig(ctx, PostgresConfig{DSN: dsn,
		Retry:  RetryPolicy{Attempts: 100, BaseDelay: 10 * time.Millisecond, MaxDelay: 500 * time.Millisecond},
		Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tbl := mustCreate(t, c, "t")
	f1 := sampleFile(tbl.ID, "f1", 0, 0, 10)
	mustPublish(t, c, f1)
	waitReplayed(t, primary.DSN("cat"), fmt.Sprintf("postgres://postgres@127.0.0.1:%d/cat?sslmode=disable", standbyPort))

	pgCtl(t, "-D", filepath.Join(primary.Dir, "data"), "-m", "fast", "-w", "stop")
	published := make(chan error, 1)
	f2 := sampleFile(tbl.ID, "f2", 0, 1, 20)
	go func() { published <- c.PublishFile(ctx, f2) }()
	pgCtl(t, "-D", filepath.Join(standbyDir, "data"), "-w", "promote")
	if err := <-published; err != nil {
		t.Fatalf("PublishFile across the failover: %v", err)
	}
	if ids := fileIDs(mustFiles(t, c, tbl.ID)); fmt.Sprint(ids) != "[f1 f2]" {
		t.Errorf("files after failover = %v, want [f1 f2]", ids)
	}
	if cp := mustCheckpoints(t, c, tbl.ID); cp[0] != 20 {
		t.Errorf("checkpoint after failover = %v, want {0: 20}", cp)
	}
	var addr string
	if err := c.pool.QueryRow(ctx, `SELECT inet_server_port()::text`).Scan(&addr); err != nil || addr != strconv.Itoa(standbyPort) {
		t.Errorf("catalog is connected to port %q (%v), want the promoted standby %d", addr, err, standbyPort)
	}
}

// pgCommand returns a command running a PostgreSQL binary, as the postgres
// user when root (initdb and pg_ctl refuse root).
func pgCommand(name string, args ...string) (*exec.Cmd, error) {
	bin, err := testpg.BinDir()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(bin, name)
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...), nil
	}
	return exec.Command(path, args...), nil
}

func pgRun(t *testing.T, name string, args ...string) {
	t.Helper()
	cmd, err := pgCommand(name, args...)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

func pgCtl(t *testing.T, args ...string) { t.Helper(); pgRun(t, "pg_ctl", args...) }

// startStandby clones primary with pg_basebackup -R and starts it as a hot
// standby on a free port; it is stopped when the test ends.
func startStandby(t *testing.T, primary *testpg.Server) (port int, dir string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "openwit-standby-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			t.Logf("standby log:\n%s", log)
		}
		os.RemoveAll(dir)
	})
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatal(err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(dir, "data")
	pgRun(t, "pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(primary.Port), "-U", "postgres",
		"-D", data, "-R", "-X", "stream", "--checkpoint=fast", "--no-sync")
	port = testpg.FreePort(t)
	pgCtl(t, "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-t", "20", "-o",
		fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c max_connections=200", port, dir), "start")
	t.Cleanup(func() {
		if cmd, err := pgCommand("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"); err == nil {
			_ = cmd.Run() // best effort, like testpg.Server.Stop
		}
	})
	return port, dir
}

// waitReplayed waits until the standby has replayed everything the primary
// has written so far.
func waitReplayed(t *testing.T, primaryDSN, standbyDSN string) {
	t.Helper()
	ctx := t.Context()
	p, err := pgx.Connect(ctx, primaryDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	var lsn string
	if err := p.QueryRow(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&lsn); err != nil {
		t.Fatal(err)
	}
	s, err := pgx.Connect(ctx, standbyDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	for {
		var done bool
		if err := s.QueryRow(ctx, `SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn`, lsn).Scan(&done); err != nil {
			t.Fatal(err)
		}
		if done {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("standby did not catch up before the test ended")
		case <-time.After(20 * time.Millisecond):
		}
	}
}
