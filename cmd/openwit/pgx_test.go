package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"openwit/internal/testserver"
)

// evRow is a seed row of the ev table; nil pointers are NULLs.
type evRow struct {
	ts    time.Time
	id    int64
	name  *string
	score *float64
	ok    *bool
	n     *int32
}

var evBase = time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)

// evSeed returns rows 1..20 with values derived from the id, and row 21
// with NULL in every column but ts and id.
func evSeed() []evRow {
	var rows []evRow
	for i := int64(1); i <= 20; i++ {
		name := fmt.Sprintf("n%02d", i)
		score := float64(i) * 0.25
		ok := i%3 == 0
		n := int32(i * 10)
		rows = append(rows, evRow{ts: evBase.Add(time.Duration(i) * 7 * time.Minute), id: i, name: &name, score: &score, ok: &ok, n: &n})
	}
	return append(rows, evRow{ts: evBase.Add(21 * 7 * time.Minute), id: 21})
}

func evInsertSQL(rows []evRow) string {
	lit := func(p any) string {
		switch v := p.(type) {
		case *string:
			if v != nil {
				return "'" + *v + "'"
			}
		case *float64:
			if v != nil {
				return fmt.Sprint(*v)
			}
		case *bool:
			if v != nil {
				return fmt.Sprint(*v)
			}
		case *int32:
			if v != nil {
				return fmt.Sprint(*v)
			}
		}
		return "NULL"
	}
	var vals []string
	for _, r := range rows {
		vals = append(vals, fmt.Sprintf("('%s', %d, %s, %s, %s, %s)", r.ts.Format(time.RFC3339Nano), r.id,
			lit(r.name), lit(r.score), lit(r.ok), lit(r.n)))
	}
	return "INSERT INTO ev (ts, id, name, score, ok, n) VALUES " + strings.Join(vals, ", ")
}

func countWhere(rows []evRow, pred func(evRow) bool) int64 {
	var n int64
	for _, r := range rows {
		if pred(r) {
			n++
		}
	}
	return n
}

func TestPgxExtendedProtocol(t *testing.T) {
	t.Parallel()
	s := testserver.Start(t, testserver.Options{})
	conn := testserver.Connect(t, s.DSN())
	ctx := t.Context()
	if conn.Config().DefaultQueryExecMode != pgx.QueryExecModeCacheStatement {
		t.Fatalf("pgx default mode is %v, want the extended protocol with cached statements", conn.Config().DefaultQueryExecMode)
	}
	seed := evSeed()
	const ddl = "(ts timestamptz NOT NULL, id bigint, name text, score float8, ok boolean, n int)"
	mustExec(t, conn, "CREATE TABLE ev "+ddl)
	mustExec(t, conn, evInsertSQL(seed)) // literals: the other subtests do not depend on parameter inference

	t.Run("parameter types", func(t *testing.T) {
		// What PostgreSQL 15 answers to Describe: pgx encodes each argument
		// for the type the server states.
		const (
			ts   = pgtype.TimestamptzOID
			i8   = pgtype.Int8OID
			i4   = pgtype.Int4OID
			text = pgtype.TextOID
			f8   = pgtype.Float8OID
			b    = pgtype.BoolOID
		)
		tests := []struct {
			sql  string
			want []uint32
		}{
			{"INSERT INTO ev (ts, id, name, score, ok, n) VALUES ($1, $2, $3, $4, $5, $6)", []uint32{ts, i8, text, f8, b, i4}},
			{"INSERT INTO ev VALUES ($1, $2, $3, $4, $5, $6)", []uint32{ts, i8, text, f8, b, i4}},
			{"INSERT INTO ev (id, ts) VALUES ($1, $2), ($3, $4)", []uint32{i8, ts, i8, ts}},
			{"SELECT count(*) FROM ev WHERE id = $1 AND ts > $2 AND name = $3 AND score < $4 AND ok = $5 AND n = $6", []uint32{i8, ts, text, f8, b, i4}},
			{"SELECT count(*) FROM ev WHERE id IN ($1, $2)", []uint32{i8, i8}},
			{"SELECT 10 / $1", []uint32{i4}},
			{"SELECT $1::int + 1", []uint32{i4}},
			{"SELECT $1::timestamptz", []uint32{ts}},
			{"SELECT $1", []uint32{text}},
		}
		for _, tt := range tests {
			sd, err := conn.Prepare(ctx, "", tt.sql)
			if err != nil {
				t.Errorf("prepare %s: %v", tt.sql, err)
				continue
			}
			if !slices.Equal(sd.ParamOIDs, tt.want) {
				t.Errorf("parameter types of %s: %v, want %v", tt.sql, sd.ParamOIDs, tt.want)
			}
		}
	})

	t.Run("insert parameters", func(t *testing.T) {
		mustExec(t, conn, "CREATE TABLE ev_params "+ddl)
		// A zone other than UTC: the instant must survive, not the wall time.
		zone := time.FixedZone("UTC+2", 2*3600)
		type in struct {
			ts    time.Time
			id    int64
			name  string
			score float64
			ok    bool
			n     int32
		}
		want := []in{
			{time.Date(2024, 6, 2, 12, 0, 0, 123456000, zone), 1, "first", 1.5, true, 7},
			{time.Date(2024, 6, 2, 13, 30, 0, 0, time.UTC), 2, "it's", -0.125, false, -3},
			{time.Date(2024, 6, 3, 0, 0, 0, 1000, zone), 3, "ünïcode", 1e300, true, 1 << 30},
		}
		const insert = "INSERT INTO ev_params (ts, id, name, score, ok, n) VALUES ($1, $2, $3, $4, $5, $6)"
		for _, w := range want {
			if _, err := conn.Exec(ctx, insert, w.ts, w.id, w.name, w.score, w.ok, w.n); err != nil {
				t.Fatalf("INSERT with parameters %v: %v", w, err)
			}
		}
		got := queryRows(t, conn, "SELECT ts, id, name, score, ok, n FROM ev_params ORDER BY id", func(r pgx.CollectableRow) (in, error) {
			var v in
			err := r.Scan(&v.ts, &v.id, &v.name, &v.score, &v.ok, &v.n)
			return v, err
		})
		eq := func(a, b in) bool {
			return a.ts.Equal(b.ts) && a.id == b.id && a.name == b.name && a.score == b.score && a.ok == b.ok && a.n == b.n
		}
		if !slices.EqualFunc(got, want, eq) {
			t.Errorf("rows inserted with parameters:\ngot  %v\nwant %v", got, want)
		}
	})

	t.Run("where parameters", func(t *testing.T) {
		zone := time.FixedZone("UTC-5", -5*3600)
		lo, hi := evBase.Add(30*time.Minute).In(zone), evBase.Add(100*time.Minute).In(zone)
		tests := []struct {
			name string
			sql  string
			args []any
			want int64
		}{
			{"int64", "SELECT count(*) FROM ev WHERE id > $1", []any{int64(15)},
				countWhere(seed, func(r evRow) bool { return r.id > 15 })},
			{"float64", "SELECT count(*) FROM ev WHERE score >= $1", []any{2.25},
				countWhere(seed, func(r evRow) bool { return r.score != nil && *r.score >= 2.25 })},
			{"string", "SELECT count(*) FROM ev WHERE name = $1", []any{"n07"}, 1},
			{"bool", "SELECT count(*) FROM ev WHERE ok = $1", []any{true},
				countWhere(seed, func(r evRow) bool { return r.ok != nil && *r.ok })},
			{"time.Time range", "SELECT count(*) FROM ev WHERE ts >= $1 AND ts < $2", []any{lo, hi},
				countWhere(seed, func(r evRow) bool { return !r.ts.Before(lo) && r.ts.Before(hi) })},
			{"all together", "SELECT count(*) FROM ev WHERE id <= $1 AND score < $2 AND name <> $3 AND ok = $4 AND ts > $5",
				[]any{int64(18), 4.0, "n06", false, evBase},
				countWhere(seed, func(r evRow) bool {
					return r.id <= 18 && r.score != nil && *r.score < 4 && r.name != nil && *r.name != "n06" && !*r.ok && r.ts.After(evBase)
				})},
			{"parameter in IN list", "SELECT count(*) FROM ev WHERE id IN ($1, $2, $3)", []any{int64(2), int64(4), int64(99)}, 2},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if tt.want == 0 {
					t.Fatalf("bad test: want 0 rows cannot tell a filter from a broken one")
				}
				var got int64
				if err := conn.QueryRow(ctx, tt.sql, tt.args...).Scan(&got); err != nil {
					t.Fatalf("%s %v: %v", tt.sql, tt.args, err)
				}
				if got != tt.want {
					t.Errorf("%s %v = %d, want %d", tt.sql, tt.args, got, tt.want)
				}
			})
		}
	})

	t.Run("named prepared statement", func(t *testing.T) {
		sd, err := conn.Prepare(ctx, "ev_by_id", "SELECT name, score, ok, ts, n FROM ev WHERE id = $1")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(sd.ParamOIDs, []uint32{pgtype.Int8OID}) {
			t.Errorf("ParamOIDs = %v, want [%d] (id is bigint)", sd.ParamOIDs, pgtype.Int8OID)
		}
		for _, id := range []int64{1, 6, 13, 20} {
			w := seed[id-1]
			var (
				name  string
				score float64
				ok    bool
				ts    time.Time
				n     int32
			)
			if err := conn.QueryRow(ctx, "ev_by_id", id).Scan(&name, &score, &ok, &ts, &n); err != nil {
				t.Fatalf("ev_by_id(%d): %v", id, err)
			}
			if name != *w.name || score != *w.score || ok != *w.ok || !ts.Equal(w.ts) || n != *w.n {
				t.Errorf("ev_by_id(%d) = %q %v %v %v %d, want %q %v %v %v %d", id, name, score, ok, ts, n,
					*w.name, *w.score, *w.ok, w.ts, *w.n)
			}
		}
		var count int64
		rows, err := conn.Query(ctx, "ev_by_id", int64(999))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			count++
		}
		if rows.Err() != nil || count != 0 {
			t.Errorf("ev_by_id(999): %d rows, err %v; want no rows", count, rows.Err())
		}
		if err := conn.Deallocate(ctx, "ev_by_id"); err != nil {
			t.Errorf("deallocate: %v", err)
		}
	})

	t.Run("scan into pgtype", func(t *testing.T) {
		const q = "SELECT id, name, score, ok, ts, n FROM ev WHERE id = $1"
		tests := []struct {
			id        int64
			wantValid bool
		}{{9, true}, {21, false}}
		for _, tt := range tests {
			var (
				id    pgtype.Int8
				name  pgtype.Text
				score pgtype.Float8
				ok    pgtype.Bool
				ts    pgtype.Timestamptz
				n     pgtype.Int4
			)
			if err := conn.QueryRow(ctx, q, tt.id).Scan(&id, &name, &score, &ok, &ts, &n); err != nil {
				t.Fatalf("id %d: %v", tt.id, err)
			}
			w := seed[tt.id-1]
			if !id.Valid || id.Int64 != tt.id || !ts.Valid || !ts.Time.Equal(w.ts) {
				t.Errorf("id %d: id %+v ts %+v, want %d and %v", tt.id, id, ts, tt.id, w.ts)
			}
			if name.Valid != tt.wantValid || score.Valid != tt.wantValid || ok.Valid != tt.wantValid || n.Valid != tt.wantValid {
				t.Errorf("id %d: Valid of name/score/ok/n = %v %v %v %v, want all %v", tt.id, name.Valid, score.Valid, ok.Valid, n.Valid, tt.wantValid)
			}
			if tt.wantValid && (name.String != *w.name || score.Float64 != *w.score || ok.Bool != *w.ok || n.Int32 != *w.n) {
				t.Errorf("id %d: %+v %+v %+v %+v, want %q %v %v %d", tt.id, name, score, ok, n, *w.name, *w.score, *w.ok, *w.n)
			}
		}
	})

	t.Run("result type OIDs", func(t *testing.T) {
		tests := []struct {
			name string
			sql  string
			oid  uint32
		}{
			{"count(*)", "SELECT count(*) FROM ev", pgtype.Int8OID},
			{"bigint column", "SELECT id FROM ev", pgtype.Int8OID},
			{"text column", "SELECT name FROM ev", pgtype.TextOID},
			{"timestamptz column", "SELECT ts FROM ev", pgtype.TimestamptzOID},
			{"int column", "SELECT n FROM ev", pgtype.Int4OID},
			{"float8 column", "SELECT score FROM ev", pgtype.Float8OID},
			{"boolean column", "SELECT ok FROM ev", pgtype.BoolOID},
			{"boolean expression", "SELECT score > 1.5 FROM ev", pgtype.BoolOID},
			{"sum of int", "SELECT sum(n) FROM ev", pgtype.Int8OID},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				rows, err := conn.Query(ctx, tt.sql)
				if err != nil {
					t.Fatal(err)
				}
				fds := rows.FieldDescriptions()
				var n int
				for rows.Next() {
					if _, err := rows.Values(); err != nil {
						t.Fatalf("decode a row of %s: %v", tt.sql, err)
					}
					n++
				}
				if err := rows.Err(); err != nil {
					t.Fatalf("%s: %v", tt.sql, err)
				}
				if n == 0 {
					t.Errorf("%s returned no rows", tt.sql)
				}
				if len(fds) != 1 || fds[0].DataTypeOID != tt.oid {
					t.Errorf("%s: field descriptions %+v, want one column of type OID %d", tt.sql, fds, tt.oid)
				}
			})
		}
	})

	t.Run("errors leave the connection usable", func(t *testing.T) {
		tests := []struct {
			name string
			run  func() error
			code string
		}{
			{"1/0", func() error {
				var v int32
				return conn.QueryRow(ctx, "SELECT 1/0").Scan(&v)
			}, "22012"},
			{"division by a zero parameter", func() error {
				var v int32
				return conn.QueryRow(ctx, "SELECT 10 / $1", int32(0)).Scan(&v)
			}, "22012"},
			{"unknown column", func() error {
				_, err := conn.Exec(ctx, "SELECT nosuch FROM ev WHERE id = $1", int64(1))
				return err
			}, "42703"},
			{"in the middle of a pipeline", func() error {
				b := &pgx.Batch{}
				var first, third int32
				b.Queue("SELECT 1").QueryRow(func(r pgx.Row) error { return r.Scan(&first) })
				b.Queue("SELECT count(*) FROM ev WHERE id / $1 > 0", int64(0))
				b.Queue("SELECT 3").QueryRow(func(r pgx.Row) error { return r.Scan(&third) })
				err := conn.SendBatch(ctx, b).Close()
				if err != nil && first != 1 {
					return fmt.Errorf("the statement before the error returned %d, want 1 (%w)", first, err)
				}
				return err
			}, "22012"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.run()
				var pgErr *pgconn.PgError
				if !errors.As(err, &pgErr) || pgErr.Code != tt.code {
					t.Errorf("got %v, want a PostgreSQL error with SQLSTATE %s", err, tt.code)
				}
				var v int64
				if err := conn.QueryRow(ctx, "SELECT count(*) FROM ev WHERE id <= $1", int64(5)).Scan(&v); err != nil || v != 5 {
					t.Fatalf("after the error: %d, %v; want 5", v, err)
				}
			})
		}
	})
}

// x = ANY($1) with array parameters, as pgx applications write IN lists:
// the server declares $1 as an array of x's type, pgx sends it in binary,
// and the result matches the same filter written out.
func TestPgxArrayParameters(t *testing.T) {
	t.Parallel()
	s := testserver.Start(t, testserver.Options{})
	conn := testserver.Connect(t, s.DSN())
	mustExec(t, conn, "CREATE TABLE arr (ts timestamptz NOT NULL, id int8, name text, n int4, score float8)")
	mustExec(t, conn, `INSERT INTO arr VALUES
		('2024-06-01 10:00:00+00', 1, 'a', 10, 0.5), ('2024-06-01 10:01:00+00', 2, 'b', 20, 1.5),
		('2024-06-01 10:02:00+00', 3, 'c', NULL, 2.5), ('2024-06-01 10:03:00+00', 4, NULL, 40, NULL)`)
	ids := func(sql string, args ...any) []int64 {
		t.Helper()
		return queryRows(t, conn, sql, pgx.RowTo[int64], args...)
	}
	a, b, c := "a", "c", "zz"
	n10, n40 := int32(10), int32(40)
	cases := []struct {
		sql  string
		arg  any
		want []int64
	}{
		{"SELECT id FROM arr WHERE id = ANY($1) ORDER BY id", []int64{2, 4, 9}, []int64{2, 4}},
		{"SELECT id FROM arr WHERE n = ANY($1) ORDER BY id", []int32{10, 40}, []int64{1, 4}},
		{"SELECT id FROM arr WHERE n = ANY($1) ORDER BY id", []*int32{&n10, nil, &n40}, []int64{1, 4}},
		{"SELECT id FROM arr WHERE name = ANY($1) ORDER BY id", []string{"a", "c", "zz"}, []int64{1, 3}},
		{"SELECT id FROM arr WHERE name = ANY($1) ORDER BY id", []*string{&a, nil, &b, &c}, []int64{1, 3}},
		{"SELECT id FROM arr WHERE name <> ALL($1) ORDER BY id", []string{"a", "c"}, []int64{2}},
		{"SELECT id FROM arr WHERE score > ALL($1) ORDER BY id", []float64{0.5, 1}, []int64{2, 3}},
		{"SELECT id FROM arr WHERE ts = ANY($1) ORDER BY id",
			[]time.Time{time.Date(2024, 6, 1, 10, 1, 0, 0, time.UTC), time.Date(2024, 6, 1, 12, 3, 0, 0, time.FixedZone("", 2*3600))}, []int64{2, 4}},
		{"SELECT id FROM arr WHERE id = ANY($1::int8[]) ORDER BY id", []int64{1, 3}, []int64{1, 3}},
		{"SELECT id FROM arr WHERE id = ANY($1) ORDER BY id", []int64{}, nil},
	}
	for _, c := range cases {
		if got := ids(c.sql, c.arg); !slices.Equal(got, c.want) {
			t.Errorf("%s with %v: got %v, want %v", c.sql, c.arg, got, c.want)
		}
	}
	// The text format (QueryExecModeExec sends parameters as text).
	rows, err := conn.Query(t.Context(), "SELECT id FROM arr WHERE id = ANY($1) ORDER BY id", pgx.QueryExecModeExec, "{1,4}")
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || !slices.Equal(got, []int64{1, 4}) {
		t.Errorf("text-format array parameter: got %v, %v; want [1 4]", got, err)
	}
	// The declared parameter type is the array type.
	sd, err := conn.Prepare(t.Context(), "arrstmt", "SELECT id FROM arr WHERE n = ANY($1)")
	if err != nil {
		t.Fatal(err)
	}
	if len(sd.ParamOIDs) != 1 || sd.ParamOIDs[0] != pgtype.Int4ArrayOID {
		t.Errorf("parameter types %v, want [%d] (int4[])", sd.ParamOIDs, pgtype.Int4ArrayOID)
	}
	// A malformed text array is 22P02 and the connection keeps working.
	_, err = conn.Exec(t.Context(), "SELECT id FROM arr WHERE id = ANY($1)", pgx.QueryExecModeExec, "{1,x}")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "22P02" {
		t.Errorf("malformed array: %v, want SQLSTATE 22P02", err)
	}
	if got := ids("SELECT count(*) FROM arr"); !slices.Equal(got, []int64{4}) {
		t.Errorf("after the error: count %v", got)
	}
}

// array_agg results are typed arrays (int8[], float8[], text[],
// timestamptz[], bool[]): pgx reads them in binary with NULL elements, and
// the text format is PostgreSQL's array output.
func TestPgxArrayAggResults(t *testing.T) {
	t.Parallel()
	s := testserver.Start(t, testserver.Options{})
	conn := testserver.Connect(t, s.DSN())
	mustExec(t, conn, "CREATE TABLE agg (ts timestamptz NOT NULL, id int8, name text, score float8, ok boolean)")
	mustExec(t, conn, `INSERT INTO agg VALUES
		('2024-06-01 10:00:00+00', 1, 'a b', 0.5, true), ('2024-06-01 10:01:00+00', 2, NULL, 1.5, false),
		('2024-06-01 10:02:00+00', NULL, 'q"x', NULL, NULL)`)
	var (
		ids    []*int64
		names  []*string
		scores []*float64
		ts     []time.Time
		oks    []*bool
	)
	err := conn.QueryRow(t.Context(), `SELECT array_agg(id ORDER BY ts), array_agg(name ORDER BY ts DESC),
		array_agg(score ORDER BY ts), array_agg(ts ORDER BY ts), array_agg(ok ORDER BY ts) FROM agg`).Scan(&ids, &names, &scores, &ts, &oks)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 3 || *ids[0] != 1 || *ids[1] != 2 || ids[2] != nil {
		t.Errorf("array_agg(id) = %v, want [1 2 NULL]", ids)
	}
	if len(names) != 3 || *names[0] != `q"x` || names[1] != nil || *names[2] != "a b" {
		t.Errorf("array_agg(name) = %v, want [q\"x NULL a b]", names)
	}
	if len(scores) != 3 || *scores[0] != 0.5 || *scores[1] != 1.5 || scores[2] != nil {
		t.Errorf("array_agg(score) = %v", scores)
	}
	if len(ts) != 3 || !ts[2].Equal(time.Date(2024, 6, 1, 10, 2, 0, 0, time.UTC)) {
		t.Errorf("array_agg(ts) = %v", ts)
	}
	if len(oks) != 3 || !*oks[0] || *oks[1] || oks[2] != nil {
		t.Errorf("array_agg(ok) = %v", oks)
	}
	// The result column types are the array types.
	rows, err := conn.Query(t.Context(), "SELECT array_agg(id), array_agg(name), array_agg(score) FROM agg")
	if err != nil {
		t.Fatal(err)
	}
	var oids []uint32
	for _, f := range rows.FieldDescriptions() {
		oids = append(oids, f.DataTypeOID)
	}
	rows.Close()
	if want := []uint32{pgtype.Int8ArrayOID, pgtype.TextArrayOID, pgtype.Float8ArrayOID}; !slices.Equal(oids, want) {
		t.Errorf("result types %v, want %v", oids, want)
	}
	// Text format, as psql shows it.
	var text string
	if err := conn.QueryRow(t.Context(), "SELECT array_agg(name ORDER BY ts) FROM agg", pgx.QueryExecModeSimpleProtocol).Scan(&text); err != nil {
		t.Fatal(err)
	}
	if want := `{"a b",NULL,"q\"x"}`; text != want {
		t.Errorf("text form %s, want %s", text, want)
	}
}
