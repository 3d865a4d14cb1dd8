package main

import (
	"errors"
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
	pg := testpg.Start(t)
	ow := testserver.Start(t, testserver.Options{Args: []string{"--catalog", pg.CreateDB(t, "owcatalog"),
		"--flush-rows", "64", "--flush-age", "1h", "--compaction-interval", "0"}})
	ref, err := pgx.Connect(t.Context(), pg.CreateDB(t, "reference"))
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close(t.Context())
	owc := testserver.Connect(t, ow.DSN())
	check := func(what string) {
		t.Helper()
		if got, want := readUpdateRows(t, owc), readUpdateRows(t, ref); got != want {
			t.Fatalf("after %s: the rows differ from PostgreSQL's\n got %.600s\nwant %.600s", what, got, want)
		}
	}
	both := func(sql string, args ...any) {
		t.Helper()
		want := execTag(t, ref, sql, args...)
		if got := execTag(t, owc, sql, args...); got != want {
			t.Errorf("%s: tag %q, PostgreSQL %q", abbrev(sql), got, want)
		}
		check(abbrev(sql))
	}
	both(dmlTable)
	for i := range 4 {
		both(dmlInsert(i*100, 100))
		waitFor(t, "the flushes", ow, func() bool {
			_, rows := parquetFiles(t, ow.DataDir)
			return rows >= int64((i+1)*100-3*63)
		})
	}
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
