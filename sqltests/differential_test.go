package sqltests

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// TestDifferential generates random queries over one table from a seeded
// grammar (filters, projections, aggregates with GROUP BY, top-k) and runs
// each against PostgreSQL 15 and against OpenWit, vectorized over Parquet
// files and in the row engine. The answers must agree: the same rows (in
// order where the query orders them totally), the same column names and
// result type OIDs,
// and an error where PostgreSQL errs, with its SQLSTATE. The scripts check
// what a person wrote down; this checks the combinations nobody did.
//
// $OPENWIT_DIFF_QUERIES sets the number of queries (default 250) and
// $OPENWIT_DIFF_SEED the seed (default: a fixed one, so CI is repeatable;
// a failure prints the seed and the query).
func TestDifferential(t *testing.T) {
	n := 250
	if v, err := strconv.Atoi(os.Getenv("OPENWIT_DIFF_QUERIES")); err == nil && v > 0 {
		n = v
	}
	seed := uint64(20261126)
	if v, err := strconv.ParseUint(os.Getenv("OPENWIT_DIFF_SEED"), 10, 64); err == nil {
		seed = v
	}
	ctx := t.Context()
	pg := testpg.Start(t)
	pconn := testserver.Connect(t, pg.CreateDB(t, "differential"))
	srv := testserver.Start(t, testserver.Options{Args: []string{"--flush-age=1ms"}})
	vconn := testserver.Connect(t, srv.DSN())
	rconn := testserver.Connect(t, srv.DSN())
	for _, c := range []*pgx.Conn{pconn, vconn, rconn} {
		mustExecConn(t, c, "SET TimeZone = 'UTC'")
	}
	mustExecConn(t, rconn, "SET openwit.vectorize = off")

	rng := rand.New(rand.NewPCG(seed, 7))
	for _, stmt := range []string{diffTableSQL, diffSvcSQL, diffSvcRows} {
		mustExecConn(t, pconn, stmt)
		mustExecConn(t, vconn, stmt)
	}
	for _, stmt := range diffRows(rng, 600) {
		mustExecConn(t, pconn, stmt)
		mustExecConn(t, vconn, stmt)
	}
	// The Parquet mode flushes within milliseconds: wait until every row
	// is in a file, so the vectorized connection reads files.
	waitFlushed(t, vconn, "t")

	g := &diffGen{r: rng}
	failed := 0
	for i := range n {
		q := g.query()
		want, werr := diffRun(ctx, pconn, q.sql)
		for _, side := range []struct {
			name string
			conn *pgx.Conn
		}{{"vectorized", vconn}, {"row engine", rconn}} {
			got, gerr := diffRun(ctx, side.conn, q.sql)
			if msg := diffCompare(q, want, werr, got, gerr); msg != "" {
				failed++
				t.Errorf("seed %d query %d (%s): %s\n%s", seed, i, side.name, msg, q.sql)
			}
		}
		if failed >= 80 {
			t.Fatalf("stopping after %d differences", failed)
		}
	}
}

func mustExecConn(tb testing.TB, c *pgx.Conn, sql string) {
	tb.Helper()
	if _, err := c.Exec(tb.Context(), sql, pgx.QueryExecModeSimpleProtocol); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}

const diffTableSQL = `CREATE TABLE t (ts timestamptz NOT NULL, g text, h text, i int4, b int8, f float8, flag bool)`

// svc is a small dimension table for joins and subqueries: names that
// match g, one that matches nothing, a NULL name and a duplicate.
const (
	diffSvcSQL  = `CREATE TABLE svc (since timestamptz NOT NULL, name text, tier int4, owner text)`
	diffSvcRows = `INSERT INTO svc VALUES ('2026-01-01 00:00:00+00', 'api', 1, 'team-a'), ('2026-01-01 00:00:01+00', 'db', 2, 'team-b'),
		('2026-01-01 00:00:02+00', 'cache', 2, NULL), ('2026-01-01 00:00:03+00', 'queue', 3, 'team-c'),
		('2026-01-01 00:00:04+00', NULL, 1, 'team-a'), ('2026-01-01 00:00:05+00', 'db', 3, 'team-d')`
)

// diffRows returns INSERT statements for n rows: unique timestamps over
// two days, few distinct strings (with NULLs, case and spaces), integers
// around zero and near the int4 range, floats with fractions and NaN.
func diffRows(r *rand.Rand, n int) []string {
	gs := []string{"'api'", "'db'", "'cache'", "'API'", "'web'", "'db '", "''", "NULL"}
	hs := []string{"'host-1'", "'host-2'", "'host-10'", "'a%b'", "'a_b'", "'Timeout reached'", "'timeout'", "NULL"}
	is := []string{"0", "1", "-1", "7", "42", "-300", "2147483647", "-2147483647", "NULL"}
	bs := []string{"0", "3", "-5", "1000000", "9000000000", "-9000000000", "NULL"}
	fs := []string{"0", "1.5", "-2.25", "0.1", "1e10", "-0.5", "3.75", "'NaN'", "NULL"}
	flags := []string{"true", "false", "NULL"}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var stmts []string
	var b strings.Builder
	for j := range n {
		if j%100 == 0 {
			if b.Len() > 0 {
				stmts = append(stmts, b.String())
			}
			b.Reset()
			b.WriteString("INSERT INTO t VALUES ")
		} else {
			b.WriteString(", ")
		}
		ts := start.Add(time.Duration(j)*(48*time.Hour)/time.Duration(n) + time.Duration(r.IntN(1000))*time.Millisecond)
		fmt.Fprintf(&b, "('%s', %s, %s, %s, %s, %s, %s)", ts.Format("2006-01-02 15:04:05.000Z07"),
			pickW(r, gs), pickW(r, hs), pickW(r, is), pickW(r, bs), pickW(r, fs), pickW(r, flags))
	}
	return append(stmts, b.String())
}

// pickW picks an element, favouring the first ones (skewed like logs).
func pickW(r *rand.Rand, xs []string) string {
	i := int(math.Min(float64(len(xs)-1), r.ExpFloat64()*float64(len(xs))/3))
	return xs[i]
}

// diffQuery is a generated query and what its answer's order means.
type diffQuery struct {
	sql string
	// ordered: the ORDER BY is total (it ends with ts or covers the
	// group keys), so rows compare in order; else as a multiset.
	ordered bool
}

type diffGen struct{ r *rand.Rand }

func (g *diffGen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

// pred is a random predicate of depth at most d.
func (g *diffGen) pred(d int) string {
	if d > 0 && g.r.IntN(3) == 0 {
		l, r := g.pred(d-1), g.pred(d-1)
		switch g.r.IntN(3) {
		case 0:
			return "(" + l + " AND " + r + ")"
		case 1:
			return "(" + l + " OR " + r + ")"
		default:
			return "NOT (" + l + ")"
		}
	}
	switch g.r.IntN(14) {
	case 0:
		return "g " + g.pick("=", "<>", "<", ">=") + " " + g.pick("'api'", "'db'", "'API'", "''", "'cache'")
	case 1:
		return "g IN (" + g.pick("'api', 'db'", "'web'", "'db ', NULL", "'cache', 'API', 'x'") + ")"
	case 2:
		return g.pick("g", "h", "i", "f", "flag", "b") + g.pick(" IS NULL", " IS NOT NULL")
	case 3:
		return "h " + g.pick("LIKE", "NOT LIKE", "ILIKE") + " " + g.pick("'%timeout%'", "'host-1%'", "'a\\%b'", "'a_b'", "'%-1_'", "'%'", "'Timeout%'")
	case 4:
		return "i " + g.pick("=", "<>", "<", "<=", ">", ">=") + " " + g.pick("0", "7", "-1", "42", "2147483647")
	case 5:
		return "i BETWEEN " + g.pick("-1 AND 7", "0 AND 0", "7 AND -1", "-300 AND 42")
	case 6:
		return "b " + g.pick("=", "<", ">") + " " + g.pick("3", "0", "1000000", "-9000000000")
	case 7:
		return "f " + g.pick("<", ">", "=", "<>", ">=") + " " + g.pick("0", "1.5", "'NaN'", "-1", "3.75")
	case 8:
		return "ts " + g.pick("<", ">=", "<=") + " " + g.pick("'2026-01-01 12:00:00+00'", "'2026-01-02 00:00:00+00'", "'2026-01-02 18:30:00+00'")
	case 9:
		return "ts BETWEEN '2026-01-01 06:00:00+00' AND '2026-01-01 07:30:00+00'"
	case 10:
		return g.pick("flag", "NOT flag", "flag IS TRUE", "flag IS NOT FALSE", "flag = false")
	case 11:
		return "coalesce(g, 'none') " + g.pick("=", "<>") + " " + g.pick("'none'", "'db'")
	case 12:
		return "i + b " + g.pick("<", ">") + " " + g.pick("0", "10")
	default:
		return "g IS NOT DISTINCT FROM " + g.pick("h", "NULL", "'api'")
	}
}

// expr is a random scalar expression for a projection.
func (g *diffGen) expr() string {
	return g.pick(
		"g", "h", "i", "b", "f", "flag", "ts",
		"i + 1", "b - i", "i * 2", "b * 3", "i / 7", "b / 4", "i % 5", "-i", "abs(i)", "abs(b)",
		"f * 2", "f + i", "round(f)", "abs(f)", "ceil(f)", "floor(f)", "f / 4",
		"upper(g)", "lower(h)", "length(h)", "g || '-' || h", "coalesce(g, h, 'none')", "nullif(g, 'api')",
		"substr(h, 2, 3)", "replace(h, 'host', 'H')", "trim(g)", "left(h, 4)", "position('o' in h)",
		"CASE WHEN i > 0 THEN 'pos' WHEN i < 0 THEN 'neg' ELSE 'zero' END",
		"CASE WHEN flag THEN i ELSE b END",
		"greatest(i, 3)", "least(b, 0)", "i IS NULL", "g = h", "f > 1",
		"date_trunc('hour', ts)", "date_trunc('day', ts)", "extract(hour from ts)", "ts + interval '90 minutes'",
		"ts - interval '1 day'", "date_part('minute', ts)",
	)
}

// key is a GROUP BY key expression.
func (g *diffGen) key() string {
	return g.pick("g", "h", "flag", "i", "i % 3", "date_trunc('hour', ts)", "date_trunc('day', ts)", "lower(g)", "f", "b")
}

// agg is a random aggregate.
func (g *diffGen) agg() string {
	return g.pick(
		"count(*)", "count(g)", "count(f)", "count(DISTINCT g)", "count(DISTINCT i)",
		"sum(i)", "sum(b)", "sum(f)", "avg(i)", "avg(b)", "avg(f)",
		"min(i)", "max(i)", "min(g)", "max(h)", "min(f)", "max(f)", "min(ts)", "max(ts)", "min(b)", "max(b)",
		"bool_and(flag)", "bool_or(flag)", "count(*) FILTER (WHERE i > 0)", "sum(i) FILTER (WHERE flag)",
		"max(length(h))", "sum(i * 2)",
	)
}

func (g *diffGen) where() string {
	if g.r.IntN(4) == 0 {
		return ""
	}
	return " WHERE " + g.pred(2)
}

func (g *diffGen) query() diffQuery {
	switch g.r.IntN(9) {
	case 4: // joins with the dimension table
		join := g.pick("JOIN", "LEFT JOIN")
		return diffQuery{sql: fmt.Sprintf("SELECT t.g, s.tier, %s, %s FROM t %s svc s ON t.g = s.name%s GROUP BY 1, 2 ORDER BY 1, 2",
			g.agg(), g.pick("count(s.owner)", "max(s.owner)", "count(*)"), join, g.where()), ordered: true}
	case 5: // subqueries: IN, NOT IN (NULLs), EXISTS, NOT EXISTS, scalar
		sub := g.pick(
			"g IN (SELECT name FROM svc WHERE tier > 1)",
			"g NOT IN (SELECT name FROM svc WHERE tier > 1)",
			"g NOT IN (SELECT name FROM svc)",
			"EXISTS (SELECT 1 FROM svc WHERE svc.name = t.g AND tier = 2)",
			"NOT EXISTS (SELECT 1 FROM svc WHERE svc.name = t.g)",
			"i > (SELECT min(tier) FROM svc)",
			"(SELECT max(tier) FROM svc WHERE svc.name = t.g) >= 2",
		)
		return diffQuery{sql: "SELECT " + g.agg() + ", " + g.agg() + " FROM t WHERE " + sub, ordered: true}
	case 6: // window functions over a total order
		w := g.pick(
			"row_number() OVER (PARTITION BY g ORDER BY ts)",
			"rank() OVER (ORDER BY i NULLS FIRST, ts)",
			"sum(i) OVER (PARTITION BY g ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)",
			"count(*) OVER (PARTITION BY flag)",
			"lag(i) OVER (ORDER BY ts)",
			"first_value(h) OVER (PARTITION BY g ORDER BY ts)",
			"max(b) OVER (PARTITION BY g)",
			"avg(i) OVER (PARTITION BY g ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)",
		)
		return diffQuery{sql: fmt.Sprintf("SELECT ts, g, %s FROM t%s ORDER BY ts LIMIT %d", w, g.where(), 5+g.r.IntN(40)), ordered: true}
	case 7: // DISTINCT, as a multiset
		return diffQuery{sql: "SELECT DISTINCT " + g.pick("g", "g, flag", "lower(g), h", "i % 3", "date_trunc('day', ts), g") + " FROM t" + g.where()}
	case 8: // HAVING
		return diffQuery{sql: fmt.Sprintf("SELECT %s, count(*) FROM t%s GROUP BY 1 HAVING count(*) > %d ORDER BY 1", g.key(), g.where(), g.r.IntN(20)), ordered: true}
	}
	switch g.r.IntN(4) {
	case 0: // filter + projection, all rows, compared as a multiset
		exprs := []string{g.expr(), g.expr()}
		if g.r.IntN(2) == 0 {
			exprs = append(exprs, g.expr())
		}
		return diffQuery{sql: "SELECT " + strings.Join(exprs, ", ") + " FROM t" + g.where()}
	case 1: // top-k: total order through the unique ts
		col := g.pick("i", "b", "f", "g", "h", "flag", "i + b", "length(h)", "ts")
		dir := g.pick("", " DESC", " NULLS FIRST", " DESC NULLS LAST")
		return diffQuery{sql: fmt.Sprintf("SELECT ts, %s, %s FROM t%s ORDER BY %s%s, ts LIMIT %d",
			col, g.expr(), g.where(), col, dir, 1+g.r.IntN(25)), ordered: true}
	case 2: // aggregates without GROUP BY
		return diffQuery{sql: "SELECT " + g.agg() + ", " + g.agg() + " FROM t" + g.where(), ordered: true}
	default: // GROUP BY, ordered by the keys
		k := g.key()
		sql := fmt.Sprintf("SELECT %s, %s, %s FROM t%s GROUP BY 1 ORDER BY 1%s", k, g.agg(), g.agg(), g.where(), g.pick("", " DESC", " NULLS FIRST"))
		if g.r.IntN(4) == 0 {
			sql += fmt.Sprintf(" LIMIT %d", 1+g.r.IntN(5))
		}
		return diffQuery{sql: sql, ordered: true}
	}
}

// diffResult is a query's answer as text, with its column type OIDs.
type diffResult struct {
	names []string
	oids  []uint32
	rows  [][]*string
}

func diffRun(ctx context.Context, c *pgx.Conn, sql string) (diffResult, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rows, err := c.Query(ctx, sql, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return diffResult{}, err
	}
	defer rows.Close()
	var res diffResult
	for _, fd := range rows.FieldDescriptions() {
		res.names = append(res.names, fd.Name)
		res.oids = append(res.oids, fd.DataTypeOID)
	}
	for rows.Next() {
		var row []*string
		for _, v := range rows.RawValues() {
			if v == nil {
				row = append(row, nil)
				continue
			}
			s := string(v)
			row = append(row, &s)
		}
		res.rows = append(res.rows, row)
	}
	return res, rows.Err()
}

const (
	oidFloat4  = 700
	oidFloat8  = 701
	oidNumeric = 1700
)

// diffCompare says how got differs from want ("" when it does not).
func diffCompare(q diffQuery, want diffResult, werr error, got diffResult, gerr error) string {
	if werr != nil || gerr != nil {
		wc, gc := sqlState(werr), sqlState(gerr)
		if plannedAway(q, wc, gc) {
			return ""
		}
		switch {
		case werr == nil:
			return fmt.Sprintf("OpenWit failed (%v), PostgreSQL answered %d rows", gerr, len(want.rows))
		case gerr == nil:
			return fmt.Sprintf("PostgreSQL failed (%v), OpenWit answered %d rows", werr, len(got.rows))
		case wc != gc:
			return fmt.Sprintf("SQLSTATE %s, PostgreSQL's is %s (%v; PostgreSQL: %v)", gc, wc, gerr, werr)
		}
		return ""
	}
	if !slices.Equal(want.names, got.names) {
		return fmt.Sprintf("column names %q, PostgreSQL's are %q", got.names, want.names)
	}
	if !slices.Equal(want.oids, got.oids) {
		return fmt.Sprintf("result types %v, PostgreSQL's are %v", got.oids, want.oids)
	}
	if len(want.rows) != len(got.rows) {
		return fmt.Sprintf("%d rows, PostgreSQL returned %d\n got  %s\n want %s", len(got.rows), len(want.rows), fmtRows(got.rows, 5), fmtRows(want.rows, 5))
	}
	w, gr := want.rows, got.rows
	if !q.ordered {
		w, gr = sortedRows(w), sortedRows(gr)
	}
	for i := range w {
		for j := range w[i] {
			if !diffValueEqual(want.oids[j], w[i][j], gr[i][j]) {
				return fmt.Sprintf("row %d column %d: %s, PostgreSQL %s\n got  %s\n want %s", i, j, fmtVal(gr[i][j]), fmtVal(w[i][j]),
					fmtRows(gr[i:], 3), fmtRows(w[i:], 3))
			}
		}
	}
	return ""
}

// plannedAway reports a data error (overflow, division by zero) on one
// side only of a query with a LIMIT: PostgreSQL may stop before it
// evaluates the rows that fail (a sorted GroupAggregate under a LIMIT
// never reads the later groups, a target list is computed after the
// sort), so whether such a query errs depends on the plan.
func plannedAway(q diffQuery, wantCode, gotCode string) bool {
	if !strings.Contains(q.sql, " LIMIT ") || (wantCode == "") == (gotCode == "") {
		return false
	}
	code := wantCode + gotCode
	return code == "22003" || code == "22012"
}

func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// diffValueEqual compares two text values; floats and numerics within a
// relative 1e-9 (sums of floats in another order differ in the last
// digits), everything else exactly.
func diffValueEqual(oid uint32, a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if *a == *b {
		return true
	}
	if oid != oidFloat4 && oid != oidFloat8 && oid != oidNumeric {
		return false
	}
	x, err1 := strconv.ParseFloat(*a, 64)
	y, err2 := strconv.ParseFloat(*b, 64)
	if err1 != nil || err2 != nil {
		return false
	}
	// Known gap: OpenWit prints a float8 -0 (ceil(-0.5), f * 0) as 0;
	// x == y holds for 0 and -0.
	return x == y || math.Abs(x-y) <= 1e-9*math.Max(math.Abs(x), math.Abs(y))
}

func sortedRows(rows [][]*string) [][]*string {
	out := slices.Clone(rows)
	key := func(r []*string) string {
		var b strings.Builder
		for _, v := range r {
			if v != nil && *v == "-0" { // sorts with 0 (see diffValueEqual)
				b.WriteString(`"0"`)
			} else {
				b.WriteString(fmtVal(v))
			}
			b.WriteByte(0)
		}
		return b.String()
	}
	slices.SortFunc(out, func(a, b []*string) int { return strings.Compare(key(a), key(b)) })
	return out
}

func fmtVal(v *string) string {
	if v == nil {
		return "NULL"
	}
	return strconv.Quote(*v)
}

func fmtRows(rows [][]*string, n int) string {
	var parts []string
	for i, r := range rows {
		if i == n {
			parts = append(parts, "...")
			break
		}
		var vs []string
		for _, v := range r {
			vs = append(vs, fmtVal(v))
		}
		parts = append(parts, "("+strings.Join(vs, ", ")+")")
	}
	return strings.Join(parts, " ")
}
