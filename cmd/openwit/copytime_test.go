package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// TestCopyTimestampsMatchPostgres feeds timestamp and timestamptz text
// in the shapes COPY's fast path reads (and a few it leaves to the
// general parser) into PostgreSQL 15 and OpenWit, in a UTC session and a
// Europe/Berlin one, and compares the instants stored, or the errors.
func TestCopyTimestampsMatchPostgres(t *testing.T) {
	t.Parallel()
	pg := testpg.Start(t)
	ow := testserver.Start(t, testserver.Options{})
	ctx := t.Context()
	pgc, err := pgx.Connect(ctx, pg.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	defer pgc.Close(ctx)
	owc := testserver.Connect(t, ow.DSN())
	values := []string{"2024-01-01 00:00:00", "2024-02-29 23:59:59.999999Z", "1999-12-31T12:34:56.5+05:30",
		"2000-03-01 00:00:00.01-15", "1970-01-01 00:00:00z", "1900-02-28 01:02:03+00", "2024-06-30 12:00:00.123456-0830",
		"2024-06-30 24:00:00", "2024-06-30 12:00:00 +02", "2024-06-30 12:00:60",
		"2024-06-30 12:00:00 UTC", "2024-06-30 12:00:00 Europe/Berlin", "2024-06-30",
		// Past six fraction digits PostgreSQL rounds the float8 fraction half to even.
		"2024-01-01 00:00:00.1234565", "2024-01-01 00:00:00.1234575", "2024-01-01 00:00:00.9999995",
		"2024-01-01 00:00:00.12345650001", "2024-01-01 00:00:00.0000005+01"}
	var data strings.Builder
	for i, v := range values {
		fmt.Fprintf(&data, "%d\t%s\t%s\n", i, v, v)
	}
	scan := func(r pgx.CollectableRow) (string, error) {
		var id int32
		var tz, lt time.Time
		if err := r.Scan(&id, &tz, &lt); err != nil {
			return "", err
		}
		return fmt.Sprintf("%d:%d,%d", id, tz.UnixMicro(), lt.UnixMicro()), nil
	}
	for _, zone := range []string{"UTC", "Europe/Berlin"} {
		table := "tsc_" + strings.ToLower(strings.ReplaceAll(zone, "/", "_"))
		ddl := "CREATE TABLE " + table + " (id int4, tz timestamptz, lt timestamp)"
		for _, c := range []*pgx.Conn{pgc, owc} {
			mustExec(t, c, "SET TimeZone = '"+zone+"'")
			mustExec(t, c, ddl)
			if _, err := c.PgConn().CopyFrom(ctx, strings.NewReader(data.String()), "COPY "+table+" FROM STDIN"); err != nil {
				t.Fatalf("%s: COPY: %v", zone, err)
			}
		}
		q := "SELECT id, tz, lt FROM " + table + " ORDER BY id"
		want, got := queryRows(t, pgc, q, scan), queryRows(t, owc, q, scan)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s:\nOpenWit    %v\nPostgreSQL %v", zone, got, want)
		}
	}
	// Shapes the fast path refuses that are errors: the general parser's
	// errors, with COPY's context, as PostgreSQL words them.
	for i, bad := range []string{"2023-02-29 00:00:00", "2024-13-01 00:00:00", "2024-01-01 00:00:00+16",
		"2024-01-01 00:00:00-15:60"} {
		table := fmt.Sprintf("tsbad%d", i)
		for _, c := range []*pgx.Conn{pgc, owc} {
			mustExec(t, c, "CREATE TABLE "+table+" (id int4, tz timestamptz)")
		}
		in := "1\t" + bad + "\n"
		_, pgErr := pgc.PgConn().CopyFrom(ctx, strings.NewReader(in), "COPY "+table+" FROM STDIN")
		_, owErr := owc.PgConn().CopyFrom(ctx, strings.NewReader(in), "COPY "+table+" FROM STDIN")
		var a, b *pgconn.PgError
		if !errors.As(pgErr, &a) || !errors.As(owErr, &b) || a.Code != b.Code || a.Where != b.Where {
			t.Errorf("%q: PostgreSQL error %+v, OpenWit error %+v", bad, pgErr, owErr)
		}
		if n := count(t, owc, table); n != 0 {
			t.Errorf("%q: OpenWit stored %d rows", bad, n)
		}
	}
}
