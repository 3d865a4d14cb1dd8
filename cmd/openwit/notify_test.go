package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"openwit/internal/testserver"
)

// waitNote waits up to d for conn's next notification; nil when none came.
func waitNote(t *testing.T, conn *pgx.Conn, d time.Duration) *pgconn.Notification {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	n, err := conn.WaitForNotification(ctx)
	if errors.Is(err, context.DeadlineExceeded) || (err != nil && ctx.Err() != nil) {
		return nil
	}
	if err != nil {
		t.Fatalf("wait for notification: %v", err)
	}
	return n
}

func backendPID(t *testing.T, conn *pgx.Conn) uint32 {
	t.Helper()
	var pid int32
	if err := conn.QueryRow(context.Background(), "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	return uint32(pid)
}

// TestListenNotify: notifications reach listening sessions when they are
// idle, at COMMIT of a block and not after ROLLBACK, once per channel and
// payload per block, with the sender's pid (the pg_backend_pid() its
// BackendKeyData carries).
func TestListenNotify(t *testing.T) {
	t.Parallel()
	s := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	connect := func() *pgx.Conn {
		c, err := pgx.Connect(ctx, s.DSN())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(ctx) })
		return c
	}
	a, b := connect(), connect()
	run := func(c *pgx.Conn, sql string) {
		t.Helper()
		if _, err := c.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	bPID := backendPID(t, b)
	if got := b.PgConn().PID(); got != bPID {
		t.Fatalf("BackendKeyData pid %d, pg_backend_pid() %d", got, bPID)
	}

	run(a, "LISTEN alerts")
	run(a, `LISTEN "Mixed Case"`)

	// a waits idle: the notification wakes its connection.
	run(b, "NOTIFY alerts, 'disk full'")
	n := waitNote(t, a, 10*time.Second)
	if n == nil || n.Channel != "alerts" || n.Payload != "disk full" || n.PID != bPID {
		t.Fatalf("got %+v, want alerts/'disk full' from pid %d", n, bPID)
	}
	run(b, `NOTIFY "Mixed Case"`)
	if n := waitNote(t, a, 10*time.Second); n == nil || n.Channel != "Mixed Case" || n.Payload != "" {
		t.Fatalf("got %+v, want \"Mixed Case\" with an empty payload", n)
	}
	run(b, "NOTIFY mixed, 'not listened'")
	run(b, "NOTIFY Alerts, 'folded'") // an unquoted name folds to alerts
	if n := waitNote(t, a, 10*time.Second); n == nil || n.Payload != "folded" {
		t.Fatalf("got %+v, want the folded channel's notification only", n)
	}

	// In a block: nothing before COMMIT, duplicates once, in order.
	run(b, "BEGIN")
	run(b, "NOTIFY alerts, 'one'")
	run(b, "NOTIFY alerts, 'two'")
	run(b, "NOTIFY alerts, 'one'")
	if n := waitNote(t, a, 300*time.Millisecond); n != nil {
		t.Fatalf("notification %+v delivered before COMMIT", n)
	}
	run(b, "COMMIT")
	for _, want := range []string{"one", "two"} {
		if n := waitNote(t, a, 10*time.Second); n == nil || n.Payload != want {
			t.Fatalf("got %+v, want payload %q", n, want)
		}
	}
	if n := waitNote(t, a, 300*time.Millisecond); n != nil {
		t.Fatalf("duplicate notification %+v", n)
	}

	// ROLLBACK, and COMMIT of a failed block, drop the block's NOTIFY.
	run(b, "BEGIN")
	run(b, "NOTIFY alerts, 'rolled back'")
	run(b, "ROLLBACK")
	run(b, "BEGIN")
	run(b, "NOTIFY alerts, 'failed block'")
	if _, err := b.Exec(ctx, "SELECT 1/0"); err == nil {
		t.Fatal("1/0 succeeded")
	}
	run(b, "COMMIT")
	if n := waitNote(t, a, 300*time.Millisecond); n != nil {
		t.Fatalf("notification %+v of a rolled-back block", n)
	}

	// The implicit block of a query string holding several statements:
	// a later statement's failure drops its NOTIFY; success sends it.
	if _, err := b.Exec(ctx, "NOTIFY alerts, 'implicit failed'; SELECT 1/0"); err == nil {
		t.Fatal("1/0 succeeded")
	}
	if n := waitNote(t, a, 300*time.Millisecond); n != nil {
		t.Fatalf("notification %+v of a failed implicit block", n)
	}
	run(b, "NOTIFY alerts, 'implicit ok'; SELECT 1")
	if n := waitNote(t, a, 10*time.Second); n == nil || n.Payload != "implicit ok" {
		t.Fatalf("got %+v, want the implicit block's notification", n)
	}
	// ROLLBACK TO a savepoint drops what was queued after it.
	run(b, "BEGIN")
	run(b, "NOTIFY alerts, 'before savepoint'")
	run(b, "SAVEPOINT s1")
	run(b, "NOTIFY alerts, 'after savepoint'")
	run(b, "ROLLBACK TO SAVEPOINT s1")
	run(b, "COMMIT")
	if n := waitNote(t, a, 10*time.Second); n == nil || n.Payload != "before savepoint" {
		t.Fatalf("got %+v, want the notification from before the savepoint", n)
	}
	if n := waitNote(t, a, 300*time.Millisecond); n != nil {
		t.Fatalf("notification %+v rolled back to a savepoint was sent", n)
	}

	// a is in a block: the notification waits until the block ends.
	run(a, "BEGIN")
	run(b, "NOTIFY alerts, 'after block'")
	time.Sleep(200 * time.Millisecond)
	run(a, "SELECT 1")
	if n := waitNote(t, a, 300*time.Millisecond); n != nil {
		t.Fatalf("notification %+v delivered inside a's block", n)
	}
	run(a, "COMMIT")
	if n := waitNote(t, a, 10*time.Second); n == nil || n.Payload != "after block" {
		t.Fatalf("got %+v after a's COMMIT", n)
	}

	// LISTEN in a rolled-back block does not listen; UNLISTEN stops.
	run(a, "BEGIN")
	run(a, "LISTEN other")
	run(a, "ROLLBACK")
	run(b, "NOTIFY other")
	run(a, "UNLISTEN alerts")
	run(b, "NOTIFY alerts, 'unlistened'")
	if n := waitNote(t, a, 300*time.Millisecond); n != nil {
		t.Fatalf("got %+v, want nothing (other never listened, alerts unlistened)", n)
	}

	// A session hears itself, before its ReadyForQuery.
	run(b, "LISTEN self")
	run(b, "NOTIFY self, 'me'")
	if n := waitNote(t, b, time.Second); n == nil || n.PID != bPID || n.Payload != "me" {
		t.Fatalf("got %+v, want b's own notification", n)
	}

	// pg_notify: the channel as given (not folded), one call per row.
	run(b, "LISTEN \"Self\"")
	run(b, "SELECT pg_notify('Self', v) FROM (VALUES ('r1'), ('r2')) AS t(v)")
	for _, want := range []string{"r1", "r2"} {
		if n := waitNote(t, b, time.Second); n == nil || n.Channel != "Self" || n.Payload != want {
			t.Fatalf("got %+v, want pg_notify's %s on Self", n, want)
		}
	}
	_, err := b.Exec(ctx, "SELECT pg_notify(NULL, 'x')")
	wantPgError(t, err, "22023", "channel name cannot be empty", "")

	// Bad input: PostgreSQL's errors; the session keeps working.
	_, err = b.Exec(ctx, "NOTIFY alerts, '"+strings.Repeat("x", 8000)+"'")
	wantPgError(t, err, "22023", "payload string too long", "")
	run(b, "UNLISTEN *")
	run(b, "DISCARD ALL")
}

// TestListenNotifyPsql: psql prints what it receives, as with PostgreSQL.
func TestListenNotifyPsql(t *testing.T) {
	t.Parallel()
	s := testserver.Start(t, testserver.Options{})
	out, err := exec.Command("psql", s.DSN(), "-X", "-c", "LISTEN jobs", "-c", "NOTIFY jobs, 'run 42'", "-c", "SELECT 1").CombinedOutput()
	if err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), `Asynchronous notification "jobs" with payload "run 42" received from server process with PID`) {
		t.Fatalf("psql output lacks the notification:\n%s", out)
	}
}

// TestListenNotifyAcrossNodes: two front nodes sharing an etcd cluster
// deliver each other's notifications, in each sender's commit order.
func TestListenNotifyAcrossNodes(t *testing.T) {
	t.Parallel()
	members := startEtcdCluster(t, 1)
	node := func(id string) *testserver.Server {
		return testserver.Start(t, testserver.Options{Args: []string{"--node-id", id, "--etcd-endpoints", members[0].client}})
	}
	a, b := node("a"), node("b")
	ca, cb := testserver.Connect(t, a.DSN()), testserver.Connect(t, b.DSN())
	mustExec(t, ca, "LISTEN deploys")
	bPID := backendPID(t, cb)
	// The relay's watch starts with the control plane, in the background:
	// send until the first one arrives.
	deadline := time.Now().Add(60 * time.Second)
	var first *pgconn.Notification
	for first == nil && time.Now().Before(deadline) {
		mustExec(t, cb, "NOTIFY deploys, 'warm-up'")
		first = waitNote(t, ca, 500*time.Millisecond)
	}
	if first == nil || first.Channel != "deploys" || first.PID != bPID {
		t.Fatalf("no notification from node b reached node a: %+v\n%s", first, a.Log())
	}
	for waitNote(t, ca, 500*time.Millisecond) != nil { // drain extra warm-ups
	}
	mustExec(t, cb, "BEGIN")
	for _, p := range []string{"v1", "v2", "v3"} {
		mustExec(t, cb, "NOTIFY deploys, '"+p+"'")
	}
	mustExec(t, cb, "COMMIT")
	mustExec(t, cb, "NOTIFY deploys, 'v4'")
	for _, want := range []string{"v1", "v2", "v3", "v4"} {
		n := waitNote(t, ca, 10*time.Second)
		if n == nil || n.Payload != want || n.PID != bPID {
			t.Fatalf("got %+v, want %s from pid %d", n, want, bPID)
		}
	}
	// A transaction's notifications larger than one etcd request arrive
	// whole and in order.
	big := strings.Repeat("p", 7990)
	mustExec(t, cb, "BEGIN")
	for i := range 300 {
		mustExec(t, cb, fmt.Sprintf("NOTIFY deploys, '%03d%s'", i, big))
	}
	mustExec(t, cb, "COMMIT")
	for i := range 300 {
		n := waitNote(t, ca, 10*time.Second)
		if n == nil || n.Payload != fmt.Sprintf("%03d%s", i, big) {
			t.Fatalf("notification %d of a 2.4 MB transaction: got %.20v", i, n)
		}
	}
	// a's own node delivers to a listener there once, not again from etcd.
	ca2 := testserver.Connect(t, a.DSN())
	mustExec(t, ca2, "NOTIFY deploys, 'local'")
	if n := waitNote(t, ca, 10*time.Second); n == nil || n.Payload != "local" {
		t.Fatalf("got %+v, want the local notification", n)
	}
	if n := waitNote(t, ca, 500*time.Millisecond); n != nil {
		t.Fatalf("local notification delivered twice: %+v", n)
	}
}
