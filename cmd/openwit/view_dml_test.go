package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// Writes through views against real processes (docs/design/076-view-dml.md).

// TestViewDMLMatchesPostgres runs the same writes through views on
// PostgreSQL 15 and on OpenWit (catalog in PostgreSQL, rows in several
// Parquet files and in the ingest buffers): every command tag, every
// RETURNING row and every row of the base table agree, and the refused
// writes fail with PostgreSQL's SQLSTATE, message, DETAIL and HINT and
// change nothing.
func TestViewDMLMatchesPostgres(t *testing.T) {
	t.Parallel()
	p := startDMLPair(t, 4)
	owc, ref, both, check := p.owc, p.ref, p.both, p.check
	both(dmlInsert(400, 60)) // fresh rows in the buffers
	both("CREATE VIEW errs AS SELECT * FROM logs WHERE status = 500")
	both(`CREATE VIEW svc AS SELECT ts AS at, service AS svc_name, user_id AS who, status AS code, latency * 1000 AS latency_us
		FROM logs WHERE service <> 'svc3'`)
	both("CREATE VIEW svc_bad AS SELECT at, svc_name, who, code FROM svc WHERE code >= 400 WITH CASCADED CHECK OPTION")
	both("CREATE VIEW per_user AS SELECT user_id, count(*) AS n FROM logs GROUP BY user_id")

	both("UPDATE errs SET latency = 0 WHERE user_id = 'u1'")
	both("DELETE FROM errs WHERE ts < '2026-01-01 00:30:00+00'")
	both("INSERT INTO svc (at, svc_name, who, code) VALUES ('2026-01-01 02:00:00.5+00', 'svcV', 'uv', 201)")
	both("INSERT INTO svc VALUES ('2026-01-01 02:10:00.5+00', 'svc3', 'hidden', 200)") // a row svc does not show
	both("UPDATE svc SET who = upper(who) WHERE code = $1", 500)
	both("UPDATE svc SET code = 299 WHERE who = 'hidden'") // not shown: UPDATE 0
	both("DELETE FROM svc WHERE who = $1", "u2")
	both("INSERT INTO svc_bad VALUES ('2026-01-01 01:30:00.25+00', 'svcS', 'us', 404)")
	both("UPDATE svc_bad SET code = code + 1 WHERE who = 'U7'")
	both(dmlInsert(1000, 50)) // fresh rows again
	both("DELETE FROM errs")
	// RETURNING over the extended protocol: the same rows as PostgreSQL's.
	for _, q := range []string{
		"UPDATE svc SET code = $1 WHERE who = 'u8' AND svc_name = 'svc0' RETURNING at, who, code, latency_us",
		"DELETE FROM svc WHERE who = 'u6' AND code = $1 RETURNING *",
		"INSERT INTO svc (at, who, code) VALUES ('2026-01-01 00:05:00.125+00', 'ur', $1) RETURNING *",
	} {
		want := returningRows(t, ref, q, 200)
		if strings.HasPrefix(want, "0 rows") {
			t.Fatalf("%s returns no row on PostgreSQL: the test data changed", q)
		}
		if got := returningRows(t, owc, q, 200); got != want {
			t.Errorf("%s:\n got %s\nwant %s", q, got, want)
		}
		check(q)
	}
	// Refusals: PostgreSQL's error (44000's DETAIL prints the whole row),
	// and nothing changes.
	for _, bad := range []string{
		"INSERT INTO per_user VALUES ('x', 1)",
		"UPDATE per_user SET user_id = 'x'",
		"DELETE FROM per_user",
		"UPDATE svc SET latency_us = 1",
		"INSERT INTO svc (at, latency_us) VALUES ('2026-01-01 00:00:00+00', 1)",
		"INSERT INTO svc (nosuch) VALUES (1)",
		"INSERT INTO svc_bad VALUES ('2026-01-01 01:30:00.25+00', 'svcS', 'us', 200)",
		"INSERT INTO svc_bad VALUES ('2026-01-01 01:30:00.25+00', 'svc3', 'us', 500)",
		"UPDATE svc_bad SET code = 200 WHERE who = 'us'", // one row: which row fails first is the scan's order
	} {
		want := pgErr(ref.Exec(t.Context(), bad))
		got := pgErr(owc.Exec(t.Context(), bad))
		if want == nil || got == nil {
			t.Fatalf("%s: OpenWit %v, PostgreSQL %v: want both to fail", bad, got, want)
		}
		if got.Code != want.Code || got.Message != want.Message || got.Hint != want.Hint || got.Detail != want.Detail {
			t.Errorf("%s:\n got %s %q DETAIL %q HINT %q\nwant %s %q DETAIL %q HINT %q", bad,
				got.Code, got.Message, got.Detail, got.Hint, want.Code, want.Message, want.Detail, want.Hint)
		}
		check(bad)
	}
}

func pgErr(_ pgconn.CommandTag, err error) *pgconn.PgError {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}

// TestViewDMLErrorsMatchPostgres runs one script on PostgreSQL 15 and on
// OpenWit: every statement succeeds on both with the same tag, or fails
// on both with the same SQLSTATE, message, DETAIL and HINT (which view's
// check option refuses a row, which column is not updatable, why a view
// is not updatable).
func TestViewDMLErrorsMatchPostgres(t *testing.T) {
	t.Parallel()
	pg := testpg.Start(t)
	ow := testserver.Start(t, testserver.Options{})
	ref, err := pgx.Connect(t.Context(), pg.CreateDB(t, "reference"))
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close(t.Context())
	owc := testserver.Connect(t, ow.DSN())
	failures := 0
	for _, sql := range []string{
		"CREATE TABLE vc (ts timestamptz NOT NULL DEFAULT '2024-01-01 00:00:00+00', a int, b text, ok bool, x numeric(8,2))",
		"CREATE VIEW vc1 AS SELECT * FROM vc WHERE a > 0 WITH CHECK OPTION",
		"CREATE VIEW vc2 AS SELECT a, b FROM vc1 WHERE a < 10 WITH LOCAL CHECK OPTION",
		"CREATE VIEW vc3 AS SELECT a AS aa, b FROM vc1 WHERE a < 10 WITH CASCADED CHECK OPTION",
		"CREATE VIEW vc4 AS SELECT a, b FROM vc1 WHERE a < 10",
		"CREATE VIEW vc6 AS SELECT a, b, ok FROM vc WHERE a > 100",
		"CREATE VIEW vc7 AS SELECT a, b FROM vc6 WHERE b = 'ok' WITH CASCADED CHECK OPTION",
		"CREATE VIEW vc8 WITH (check_option = local) AS SELECT a, b FROM vc6 WHERE b = 'ok'",
		"CREATE VIEW vbad WITH (check_option = nope) AS SELECT * FROM vc",
		"CREATE VIEW vbad AS SELECT a, count(*) FROM vc GROUP BY a WITH LOCAL CHECK OPTION",
		"CREATE VIEW vexpr AS SELECT a, upper(b) AS ub, a + 1 AS a1 FROM vc",
		"CREATE VIEW vnone AS SELECT a + 1 AS a1 FROM vc",
		"CREATE VIEW vlim AS SELECT a FROM vc ORDER BY a LIMIT 3",
		"INSERT INTO vc1 (a, b, ok, x) VALUES (-1, 'no', true, 2)",
		"INSERT INTO vc1 (a) VALUES (NULL)",
		"INSERT INTO vc1 (a, b, ok, x) VALUES (1, 'yes', false, 2.5)",
		"INSERT INTO vc2 (a) VALUES (20)",
		"INSERT INTO vc2 (a) VALUES (-1)",
		"INSERT INTO vc3 (aa, b) VALUES (20, 'x')",
		"INSERT INTO vc4 (a) VALUES (-1)",
		"INSERT INTO vc4 (a) VALUES (20)",
		"INSERT INTO vc7 (a, b) VALUES (1, 'ok')",
		"INSERT INTO vc7 (a, b) VALUES (200, 'no')",
		"INSERT INTO vc8 (a, b) VALUES (2, 'ok')",
		"INSERT INTO vc8 (a, b) VALUES (200, 'no')",
		"UPDATE vc1 SET a = -5, b = repeat('long', 20) WHERE a = 1",
		"UPDATE vc3 SET aa = aa + 100",
		"UPDATE vc3 SET aa = 3 WHERE aa = 1",
		"INSERT INTO vexpr (a, ub) VALUES (1, 'x')",
		"INSERT INTO vexpr VALUES (1, 'x', 2)",
		"UPDATE vexpr SET a1 = 1, ub = 'x'",
		"UPDATE vexpr SET nosuch = 1",
		"INSERT INTO vexpr (a, a) VALUES (1, 2)",
		"INSERT INTO vexpr VALUES (1, 'x', 2, 3)",
		"INSERT INTO vexpr (a, ub) VALUES (1)",
		"INSERT INTO vc2 (a) SELECT 1, 2",
		"INSERT INTO vc2 (a, b) SELECT a, b FROM vc2",
		"INSERT INTO vnone VALUES (1)",
		"UPDATE vnone SET a1 = 1",
		"DELETE FROM vlim",
		"INSERT INTO vlim VALUES (1)",
		"UPDATE vlim SET a = 1",
	} {
		wantTag, wantErr := ref.Exec(t.Context(), sql)
		gotTag, gotErr := owc.Exec(t.Context(), sql)
		want, got := pgErr(wantTag, wantErr), pgErr(gotTag, gotErr)
		switch {
		case (wantErr == nil) != (gotErr == nil):
			t.Errorf("%s: OpenWit %v, PostgreSQL %v", sql, gotErr, wantErr)
		case wantErr == nil && gotTag.String() != wantTag.String():
			t.Errorf("%s: tag %q, PostgreSQL %q", sql, gotTag, wantTag)
		case wantErr != nil && (want == nil || got == nil || got.Code != want.Code || got.Message != want.Message ||
			got.Detail != want.Detail || got.Hint != want.Hint):
			t.Errorf("%s:\n got %v\nwant %v", sql, describePgErr(got, gotErr), describePgErr(want, wantErr))
		}
		if wantErr != nil {
			failures++
		}
	}
	if failures < 20 {
		t.Errorf("%d statements failed on PostgreSQL: the script changed", failures)
	}
	if got, want := readViewCheckRows(t, owc), readViewCheckRows(t, ref); got != want {
		t.Errorf("rows differ:\n got %s\nwant %s", got, want)
	}
}

func describePgErr(pe *pgconn.PgError, err error) string {
	if pe == nil {
		return fmt.Sprint(err)
	}
	return pe.Code + " " + pe.Message + " DETAIL " + pe.Detail + " HINT " + pe.Hint
}

func readViewCheckRows(t *testing.T, conn *pgx.Conn) string {
	t.Helper()
	var s string
	q := `SELECT coalesce(string_agg(coalesce(a::text, '-') || '|' || coalesce(b, '-') || '|' || coalesce(ok::text, '-') || '|' || coalesce(x::text, '-'), ';' ORDER BY a, b), '') FROM vc`
	if err := conn.QueryRow(t.Context(), q).Scan(&s); err != nil {
		t.Fatalf("rows: %v", err)
	}
	return s
}
