package main

import (
	"bytes"
	"testing"
	"time"

	"openwit/internal/testserver"
)

// pg_stat_activity lists every session of the node, each with its own
// application_name, client address, state and last query.
func TestPgStatActivityListsSessions(t *testing.T) {
	s := testserver.Start(t, testserver.Options{})
	ctx := t.Context()
	a := testserver.Connect(t, s.DSN()+"&application_name=alpha")
	b := testserver.Connect(t, s.DSN()+"&application_name=beta")

	var pidA, pidB int32
	if err := a.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pidA); err != nil {
		t.Fatal(err)
	}
	if err := b.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pidB); err != nil {
		t.Fatal(err)
	}
	if pidA == pidB {
		t.Fatalf("both sessions have pid %d", pidA)
	}
	if _, err := b.Exec(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Exec(ctx, "SELECT 42"); err != nil {
		t.Fatal(err)
	}

	type row struct {
		app, addr, state, query string
		started                 bool
	}
	read := func() map[int32]row {
		rows, err := a.Query(ctx, `SELECT pid, application_name, coalesce(client_addr, ''), state, query, backend_start IS NOT NULL
			FROM pg_stat_activity ORDER BY pid`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[int32]row{}
		for rows.Next() {
			var pid int32
			var r row
			if err := rows.Scan(&pid, &r.app, &r.addr, &r.state, &r.query, &r.started); err != nil {
				t.Fatal(err)
			}
			out[pid] = r
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	got := read()
	if len(got) != 2 {
		t.Fatalf("pg_stat_activity has %d sessions, want 2: %+v", len(got), got)
	}
	if r := got[pidA]; r.app != "alpha" || r.addr != "127.0.0.1" || r.state != "active" || !r.started ||
		!bytes.Contains([]byte(r.query), []byte("pg_stat_activity")) {
		t.Errorf("calling session: %+v", r)
	}
	if r := got[pidB]; r.app != "beta" || r.addr != "127.0.0.1" || r.state != "idle in transaction" || r.query != "SELECT 42" || !r.started {
		t.Errorf("other session: %+v", r)
	}

	// A changed application_name shows; a closed session is gone.
	if _, err := b.Exec(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Exec(ctx, "SET application_name = 'gamma'"); err != nil {
		t.Fatal(err)
	}
	if r := read()[pidB]; r.app != "gamma" || r.state != "idle" {
		t.Errorf("other session after SET: %+v", r)
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		got = read()
		if _, ok := got[pidB]; !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("closed session %d still listed: %+v", pidB, got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, ok := got[pidA]; !ok || len(got) != 1 {
		t.Errorf("after close: %+v", got)
	}
}

// DISCARD ALL drops the connection's prepared statements and resets its
// settings; inside a transaction block it fails with 25001.
func TestDiscardAllDropsPreparedStatements(t *testing.T) {
	s := testserver.Start(t, testserver.Options{})
	ctx := t.Context()
	pc := testserver.Connect(t, s.DSN()).PgConn()

	if _, err := pc.Prepare(ctx, "s1", "SELECT 1", nil); err != nil {
		t.Fatal(err)
	}
	if err := pc.ExecPrepared(ctx, "s1", nil, nil, nil).Read().Err; err != nil {
		t.Fatalf("prepared statement before DISCARD ALL: %v", err)
	}
	if _, err := pc.Exec(ctx, "SET application_name = 'x'; BEGIN").ReadAll(); err != nil {
		t.Fatal(err)
	}
	_, err := pc.Exec(ctx, "DISCARD ALL").ReadAll()
	if code := pgCode(err); code != "25001" {
		t.Fatalf("DISCARD ALL in a block: %v, want 25001", err)
	}
	if _, err := pc.Exec(ctx, "ROLLBACK").ReadAll(); err != nil {
		t.Fatal(err)
	}
	if err := pc.ExecPrepared(ctx, "s1", nil, nil, nil).Read().Err; err != nil {
		t.Fatalf("prepared statement after a failed DISCARD ALL: %v", err)
	}
	if _, err := pc.Exec(ctx, "DISCARD ALL").ReadAll(); err != nil {
		t.Fatal(err)
	}
	err = pc.ExecPrepared(ctx, "s1", nil, nil, nil).Read().Err
	if code := pgCode(err); code != "26000" {
		t.Fatalf("prepared statement after DISCARD ALL: %v, want 26000", err)
	}
	res, err := pc.Exec(ctx, "SHOW application_name").ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := string(res[0].Rows[0][0]); got != "" {
		t.Errorf("application_name after DISCARD ALL = %q, want empty", got)
	}
}

// extra_float_digits <= 0 applies to COPY TO text output as to results.
func TestCopyToExtraFloatDigits(t *testing.T) {
	s := testserver.Start(t, testserver.Options{})
	ctx := t.Context()
	pc := testserver.Connect(t, s.DSN()).PgConn()
	for _, q := range []string{"CREATE TABLE f (id int, v float8)", "INSERT INTO f VALUES (1, 1.0 / 3), (2, 0.1 + 0.2)"} {
		if _, err := pc.Exec(ctx, q).ReadAll(); err != nil {
			t.Fatal(err)
		}
	}
	copyOut := func() string {
		var buf bytes.Buffer
		if _, err := pc.CopyTo(ctx, &buf, "COPY f TO STDOUT"); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	// PostgreSQL 15's output for the same rows and settings.
	if got, want := copyOut(), "1\t0.3333333333333333\n2\t0.3\n"; got != want {
		t.Errorf("COPY TO with extra_float_digits 1:\n%q, want\n%q", got, want)
	}
	if _, err := pc.Exec(ctx, "SET extra_float_digits = 0").ReadAll(); err != nil {
		t.Fatal(err)
	}
	if got, want := copyOut(), "1\t0.333333333333333\n2\t0.3\n"; got != want {
		t.Errorf("COPY TO with extra_float_digits 0:\n%q, want\n%q", got, want)
	}
}
