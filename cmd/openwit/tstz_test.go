package main

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

const tstzDDL = "CREATE TABLE tz (ts timestamptz NOT NULL, v int)"

// tstzQueries read the rows back over the range MySQL TIMESTAMP lacked:
// the values, a predicate on each side of 1970 and 2038, truncation and
// extraction, in UTC and in another session TimeZone.
var tstzQueries = []string{
	"SELECT ts, v FROM tz ORDER BY ts, v",
	"SELECT v FROM tz WHERE ts < '1970-01-01' ORDER BY v",
	"SELECT v FROM tz WHERE ts > '2038-01-19 03:14:07+00' AND ts < '2200-01-01' ORDER BY v",
	"SELECT date_trunc('year', ts) AS y, count(*) FROM tz GROUP BY y ORDER BY y",
	"SELECT v, extract(epoch FROM ts), to_char(ts, 'YYYY-MM-DD HH24:MI:SS') FROM tz ORDER BY v",
	"SELECT min(ts), max(ts) FROM tz",
}

// TestTimestampTZRangeMatchesPostgres writes timestamptz values before
// 1970 and after 2038 into OpenWit and PostgreSQL by INSERT, COPY (text,
// csv, binary) and a binary bound parameter, and compares the errors (out
// of range is 22008 in both), the rows in text and in binary (pgx decodes
// timestamptz from its binary form), while buffered, after a flush to
// Parquet and a restart, and in the row engine.
func TestTimestampTZRangeMatchesPostgres(t *testing.T) {
	t.Parallel()
	pg := testpg.Start(t)
	ow := testserver.Start(t, testserver.Options{Args: []string{"--flush-age=50ms"}})
	ctx := t.Context()
	pgc := testserver.Connect(t, pg.CreateDB(t, "tstz"))
	owc := testserver.Connect(t, ow.DSN())
	for _, c := range []*pgx.Conn{pgc, owc} {
		mustExec(t, c, "SET TimeZone = 'UTC'")
		mustExec(t, c, tstzDDL)
	}
	steps := []struct {
		name string
		run  func(conn *pgx.Conn) error
	}{
		{"insert", func(conn *pgx.Conn) error {
			_, err := conn.Exec(ctx, "INSERT INTO tz VALUES ('1969-07-20 20:17:40+00', 1), ('2040-01-01 00:00:00-08', 2), ('epoch', 3), ('0001-01-01 00:00:00+00', 4), ('9999-12-31 23:59:59.999999+00', 5)")
			return err
		}},
		{"insert out of range", func(conn *pgx.Conn) error {
			_, err := conn.Exec(ctx, "INSERT INTO tz VALUES ('2024-01-01', 90), ('294277-01-01', 91)")
			return err
		}},
		{"copy text", func(conn *pgx.Conn) error {
			_, err := conn.PgConn().CopyFrom(ctx, strings.NewReader("1955-05-05 05:05:05+00\t6\n2100-02-03 04:05:06.5+02\t7\n"), "COPY tz FROM STDIN")
			return err
		}},
		{"copy csv", func(conn *pgx.Conn) error {
			_, err := conn.PgConn().CopyFrom(ctx, strings.NewReader("1800-01-01 00:00:00+00,8\n3000-06-01 12:00:00+00,9\n"), "COPY tz FROM STDIN (FORMAT csv)")
			return err
		}},
		{"copy binary", func(conn *pgx.Conn) error {
			rows := [][]any{{time.Date(1901, 12, 13, 20, 45, 51, 0, time.UTC), int32(10)}, {time.Date(2262, 4, 11, 23, 47, 17, 0, time.UTC), int32(11)}}
			_, err := conn.CopyFrom(ctx, pgx.Identifier{"tz"}, []string{"ts", "v"}, pgx.CopyFromRows(rows))
			return err
		}},
		{"binary parameter", func(conn *pgx.Conn) error {
			_, err := conn.Exec(ctx, "INSERT INTO tz VALUES ($1, 12)", time.Date(1492, 10, 12, 0, 0, 0, 0, time.UTC))
			return err
		}},
	}
	for _, s := range steps {
		if p, o := sqlstateOf(s.run(pgc)), sqlstateOf(s.run(owc)); p != o && !(strings.HasPrefix(p, "22008") && strings.HasPrefix(o, "22008")) {
			t.Errorf("%s: PostgreSQL %q, OpenWit %q", s.name, p, o)
		}
	}

	binaryRows := func(conn *pgx.Conn) []string {
		rows, err := conn.Query(ctx, "SELECT ts, v FROM tz WHERE ts < $1 ORDER BY ts", time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var ts time.Time
			var v int32
			if err := rows.Scan(&ts, &v); err != nil {
				t.Fatal(err)
			}
			out = append(out, ts.UTC().Format(time.RFC3339Nano)+" "+string(rune('0'+v%10)))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	compare := func(when string) {
		t.Helper()
		for _, zone := range []string{"UTC", "America/New_York"} {
			mustExec(t, pgc, "SET TimeZone = '"+zone+"'")
			mustExec(t, owc, "SET TimeZone = '"+zone+"'")
			for _, q := range tstzQueries {
				// One statement text per zone: PostgreSQL reads a literal's
				// zone when it prepares the statement, and pgx caches it.
				q += " -- " + zone
				if p, o := textRows(t, pgc, q), textRows(t, owc, q); !reflect.DeepEqual(p, o) {
					t.Errorf("%s, %s: %s:\nPostgreSQL %q\nOpenWit    %q", when, zone, q, p, o)
				}
			}
		}
		if p, o := binaryRows(pgc), binaryRows(owc); !reflect.DeepEqual(p, o) || len(p) < 10 {
			t.Errorf("%s: binary rows:\nPostgreSQL %q\nOpenWit    %q", when, p, o)
		}
	}
	compare("buffered")
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, rows := parquetFiles(t, ow.DataDir); rows == int64(len(textRows(t, pgc, "SELECT 1 FROM tz"))) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("rows not flushed to Parquet after 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	owc.Close(ctx)
	ow.Stop()
	ow.Restart()
	owc = testserver.Connect(t, ow.DSN())
	compare("after flush and restart")
	mustExec(t, owc, "SET openwit.vectorize = off")
	compare("row engine after restart")
}
