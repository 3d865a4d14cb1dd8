package planner_test

import (
	"context"
	"fmt"
	"testing"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

// TestDeclaredParamTypesDescribe: a parameter type the client declares in
// Parse types the expressions over it when the statement is described, as
// in PostgreSQL ($1 + 1 with $1 int4 is an int4 column, not text); JDBC's
// setInt and pgx send such OIDs.
func TestDeclaredParamTypesDescribe(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	for _, c := range []struct {
		sql  string
		oids []uint32
		want uint32
	}{
		{`SELECT $1 + 1`, []uint32{pgtypes.OIDInt4}, pgtypes.OIDInt4},
		{`SELECT $1 + 1`, []uint32{pgtypes.OIDInt8}, pgtypes.OIDInt8},
		{`SELECT $1 * 2.5`, []uint32{pgtypes.OIDFloat8}, pgtypes.OIDFloat8},
		{`SELECT $2`, []uint32{pgtypes.OIDInt4, pgtypes.OIDText}, pgtypes.OIDText},
	} {
		ps, err := h.s.Prepare(ctx, c.sql, c.oids)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		if cols := ps[0].Columns(); len(cols) != 1 || cols[0].TypeOID != c.want {
			t.Errorf("%s with %v: columns %+v, want type %d", c.sql, c.oids, cols, c.want)
		}
	}
}

// TestDiscardAllDropsSQLPrepared: DISCARD ALL deallocates the statements of
// SQL PREPARE too.
func TestDiscardAllDropsSQLPrepared(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`PREPARE p AS SELECT 1`)
	if got := h.mustQuery(`EXECUTE p`); got == "" {
		t.Fatal("EXECUTE p returned nothing")
	}
	h.mustQuery(`DISCARD ALL`)
	if _, err := h.query(`EXECUTE p`); pgerror.Code(err) != pgerror.InvalidSQLStatementName {
		t.Fatalf("EXECUTE after DISCARD ALL: want 26000, got %v", err)
	}
}

// TestIntegerParameterValues: an integer parameter is an integer of its
// type wherever it is used. A bare small integer literal is
// go-mysql-server's int8, which OpenWit reads as boolean: SELECT $1 with 7
// returned true (psql's text parameters, JDBC's setInt).
func TestIntegerParameterValues(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	for _, c := range []struct {
		sql  string
		oids []uint32
		want string
	}{
		{`SELECT $1`, []uint32{pgtypes.OIDInt4}, "7"},
		{`SELECT $1`, []uint32{pgtypes.OIDInt8}, "7"},
		{`SELECT $1`, []uint32{pgtypes.OIDInt2}, "7"},
		{`SELECT $1`, nil, "7"},
		{`SELECT $1::int`, []uint32{pgtypes.OIDInt4}, "7"},
		{`SELECT $1 + 1`, nil, "8"},
		{`SELECT $1 AS x FROM (VALUES (1)) v(a)`, []uint32{pgtypes.OIDInt4}, "7"},
	} {
		ps, err := h.s.Prepare(ctx, c.sql, c.oids)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		rows, err := ps[0].Execute(ctx, []any{int64(7)})
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		r, err := rows.Next(ctx)
		rows.Close()
		if err != nil || fmt.Sprint(r[0]) != c.want {
			t.Errorf("%s with %v: got %v (%T), %v; want %s", c.sql, c.oids, r, r[0], err, c.want)
		}
	}
	// Inferred types type the result too: $1 + 1 is int4.
	ps, err := h.s.Prepare(ctx, `SELECT $1 + 1`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := ps[0].Columns()[0].TypeOID; got != pgtypes.OIDInt4 || ps[0].ParamOIDs()[0] != pgtypes.OIDInt4 {
		t.Errorf("SELECT $1 + 1: column %d, parameter %v; want int4 both", got, ps[0].ParamOIDs())
	}
}

// TestUntypedParamsInFunctions: a parameter the client leaves untyped
// takes the type of the function argument it is given as (upper($1) is
// text, left(s, $2) int4, date_trunc('hour', $1) timestamptz), as
// PostgreSQL infers it; it was 42883 "function upper(text) does not exist"
// for pgx's Parse without types.
func TestUntypedParamsInFunctions(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	for _, c := range []struct {
		sql   string
		param any
		oid   uint32
		want  string
	}{
		{`SELECT upper($1)`, "abc", pgtypes.OIDText, "ABC"},
		{`SELECT length($1)`, "abc", pgtypes.OIDText, "3"},
		{`SELECT substr($1, 2)`, "abc", pgtypes.OIDText, "bc"},
		{`SELECT left('abcdef', $1)`, int64(2), pgtypes.OIDInt4, "ab"},
		{`SELECT round($1, 1)`, "1.25", pgtypes.OIDNumeric, "1.3"},
	} {
		ps, err := h.s.Prepare(ctx, c.sql, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		if got := ps[0].ParamOIDs(); len(got) != 1 || got[0] != c.oid {
			t.Errorf("%s: parameter types %v, want [%d]", c.sql, got, c.oid)
		}
		rows, err := ps[0].Execute(ctx, []any{c.param})
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		r, err := rows.Next(ctx)
		rows.Close()
		if err != nil || fmt.Sprint(r[0]) != c.want {
			t.Errorf("%s: got %v, %v; want %s", c.sql, r, err, c.want)
		}
	}
}
