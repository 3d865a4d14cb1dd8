package pgparse

import (
	"testing"

	pgq "github.com/pganalyze/pg_query_go/v6"
)

// TestColumnName: unaliased select-list expressions are named as
// PostgreSQL 15 names them (checked there with psql): a cast or CASE
// passes on a column's or function's name, not "?column?" or "case".
func TestColumnName(t *testing.T) {
	for expr, want := range map[string]string{
		"a":                                     "a",
		"t.a":                                   "a",
		"a + 1":                                 "?column?",
		"1":                                     "?column?",
		"count(*)":                              "count",
		"a::int8":                               "a",
		"1::int8":                               "int8",
		"(a + 1)::text":                         "text",
		"CASE WHEN x THEN 1 ELSE b END":         "b",
		"CASE WHEN x THEN b ELSE 1 END":         "case",
		"CASE WHEN x THEN 1 END":                "case",
		"CASE WHEN x THEN 1 ELSE lower(b) END":  "lower",
		"CASE WHEN x THEN 1 ELSE b::text END":   "b",
		"CASE WHEN x THEN 1 ELSE 2::text END":   "case",
		"(CASE WHEN x THEN 1 ELSE 2 END)::int8": "int8",
		"CASE WHEN x THEN 1 ELSE CASE WHEN y THEN 2 ELSE c END END": "c",
		"coalesce(a, b)": "coalesce",
		"CASE WHEN x THEN 1 ELSE coalesce(a, b) END": "coalesce",
		"ARRAY[1]":                           "array",
		"ARRAY(SELECT 1)":                    "array",
		"ARRAY[1]::text[]":                   "array",
		"'{1}'::int[]":                       "int4",
		"(ARRAY[1, 2])[1]":                   "array",
		"(string_to_array(a, ' '))[2]":       "string_to_array",
		"('{4,5}'::int[])[1]":                "int4",
		"(a)[1]":                             "a",
		"CASE WHEN x THEN 1 ELSE (b)[1] END": "b",
	} {
		tree, err := pgq.Parse("SELECT " + expr)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		rt := tree.Stmts[0].Stmt.GetSelectStmt().TargetList[0].GetResTarget()
		if got := ColumnName(rt.Val); got != want {
			t.Errorf("%s: named %q, PostgreSQL names it %q", expr, got, want)
		}
	}
}
