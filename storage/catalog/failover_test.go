package catalog

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"testing"
	"time"

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
	standby := testpg.StartStandby(t, primary)
	standbyPort := standby.Port

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
	testpg.WaitReplayed(t, primary.DSN("cat"), standby.DSN("cat"))

	testpg.PgRun(t, "pg_ctl", "-D", filepath.Join(primary.Dir, "data"), "-m", "fast", "-w", "stop")
	published := make(chan error, 1)
	f2 := sampleFile(tbl.ID, "f2", 0, 1, 20)
	go func() { published <- c.PublishFile(ctx, f2) }()
	standby.Promote(t)
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
