package pgparse

import (
	"fmt"
	"testing"
)

// TestDisplayDefault checks the display of DEFAULT shapes against what
// PostgreSQL 15 prints for them (the same cases as
// sqltests/testdata/default_display.slt, which compares with a real
// server), the pretty form of each display, and that the pretty form of
// a pretty form is itself (psql reads it back that way).
func TestDisplayDefault(t *testing.T) {
	// A stand-in for the engine's conversion: the cases below use
	// literals that are already in their output form, except these.
	out := func(lit, typ string) (string, error) {
		switch {
		case typ == "interval" && lit == "1 hour":
			return "01:00:00", nil
		case typ == "int4" && lit == "x":
			return "", fmt.Errorf("invalid input syntax for type integer: %q", lit)
		}
		return lit, nil
	}
	for _, tc := range []struct{ def, typ, want, pretty string }{
		{"now()", "timestamptz", "now()", "now()"},
		{"'none'", "text", "'none'::text", "'none'::text"},
		{"'none'", "varchar(10)", "'none'::character varying", "'none'::character varying"},
		{"'ab'", "bpchar(3)", "'ab'::bpchar", "'ab'::bpchar"},
		{"-1", "int4", "'-1'::integer", "'-1'::integer"},
		{"-1", "int8", "'-1'::integer", "'-1'::integer"},
		{"10000000000", "int8", "'10000000000'::bigint", "'10000000000'::bigint"},
		{"2 + 3", "int4", "(2 + 3)", "2 + 3"},
		{"2 + 3 * 4", "int4", "(2 + (3 * 4))", "2 + 3 * 4"},
		{"(2 + 3) * 4", "int4", "((2 + 3) * 4)", "(2 + 3) * 4"},
		{"1 - (2 - 3)", "int4", "(1 - (2 - 3))", "1 - (2 - 3)"},
		{"2 ^ 3", "int8", "((2)::double precision ^ (3)::double precision)", "(2::double precision ^ 3::double precision)"},
		{"2 * pi()", "float8", "((2)::double precision * pi())", "2::double precision * pi()"},
		{"1 + 1", "float8", "(1 + 1)", "(1 + 1)"},
		{"0", "float8", "0", "0"},
		{"1.5", "numeric", "1.5", "1.5"},
		{"-2.5", "float8", "'-2.5'::numeric", "'-2.5'::numeric"},
		{"'2.5'", "numeric(10,2)", "2.5", "2.5"},
		{"true", "bool", "true", "true"},
		{"'t'", "bool", "true", "true"},
		{"(NOT true)", "bool", "(NOT true)", "NOT true"},
		{"1 < 2 AND 2 < 3 OR false", "bool", "(((1 < 2) AND (2 < 3)) OR false)", "1 < 2 AND 2 < 3 OR false"},
		{"NOT (true AND false)", "bool", "(NOT (true AND false))", "NOT (true AND false)"},
		{"CURRENT_TIMESTAMP", "timestamptz", "CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP"},
		{"CURRENT_TIMESTAMP(3)", "timestamptz", "CURRENT_TIMESTAMP(3)", "CURRENT_TIMESTAMP(3)"},
		{"current_user", "text", "CURRENT_USER", "CURRENT_USER"},
		{"CURRENT_DATE + 1", "date", "(CURRENT_DATE + 1)", "CURRENT_DATE + 1"},
		{"now() - interval '1 hour'", "timestamptz", "(now() - '01:00:00'::interval)", "now() - '01:00:00'::interval"},
		{"now()::date", "date", "(now())::date", "now()::date"},
		{"(1 + 2)::text", "text", "((1 + 2))::text", "(1 + 2)::text"},
		{"'abc'::varchar(2)", "text", "'abc'::character varying(2)", "'abc'::character varying(2)"},
		{"upper('abc') || '-' || 1", "text", "((upper('abc'::text) || '-'::text) || 1)", "(upper('abc'::text) || '-'::text) || 1"},
		{"'a' || NULL", "text", "('a'::text || NULL::text)", "'a'::text || NULL::text"},
		{"coalesce(NULL, 'z')", "text", "COALESCE(NULL::text, 'z'::text)", "COALESCE(NULL::text, 'z'::text)"},
		{"greatest(1, 2)", "int4", "GREATEST(1, 2)", "GREATEST(1, 2)"},
		{"concat('a', 'b', 3)", "text", "concat('a', 'b', 3)", "concat('a', 'b', 3)"},
		{"abs(-5)", "int4", "abs('-5'::integer)", "abs('-5'::integer)"},
		{"abs(1 - 2) * 3", "int4", "(abs((1 - 2)) * 3)", "abs(1 - 2) * 3"},
		{"date_trunc('hour', now())", "timestamptz", "date_trunc('hour'::text, now())", "date_trunc('hour'::text, now())"},
		{"-(2 + 3)", "int4", "(- (2 + 3))", "- (2 + 3)"},
		{"'{}'", "text[]", "'{}'::text[]", "'{}'::text[]"},
		{"ARRAY[1, 2, 3]", "int4[]", "ARRAY[1, 2, 3]", "ARRAY[1, 2, 3]"},
		{"ARRAY['x', 'y']", "text[]", "ARRAY['x'::text, 'y'::text]", "ARRAY['x'::text, 'y'::text]"},
		{"ARRAY[]::float8[]", "float8[]", "ARRAY[]::double precision[]", "ARRAY[]::double precision[]"},
		{"'{}'", "jsonb", "'{}'::jsonb", "'{}'::jsonb"},
		{"gen_random_uuid()", "uuid", "gen_random_uuid()", "gen_random_uuid()"},
		{"('x' IS NULL)", "bool", "('x' IS NULL)", "'x' IS NULL"},
		{"extract(epoch from now())", "float8", "EXTRACT(epoch FROM now())", "EXTRACT(epoch FROM now())"},
		{"(1 = ANY (ARRAY[1, 2]))", "bool", "(1 = ANY (ARRAY[1, 2]))", "1 = ANY (ARRAY[1, 2])"},
		{"nullif(1, 2)", "int4", "NULLIF(1, 2)", "NULLIF(1, 2)"},
		{"(now() - interval '1 hour') AT TIME ZONE 'UTC'", "timestamp",
			"((now() - '01:00:00'::interval) AT TIME ZONE 'UTC'::text)", "((now() - '01:00:00'::interval) AT TIME ZONE 'UTC'::text)"},
		{"1 + 1", "int2", "(1 + 1)", "(1 + 1)"},
		{"lower(current_user)", "text", "lower((CURRENT_USER)::text)", "lower(CURRENT_USER::text)"},
		{"now()::timestamp(0)", "timestamptz", "(now())::timestamp(0) without time zone", "now()::timestamp(0) without time zone"},
		{"CASE WHEN 1 > 2 THEN 'a' ELSE 'b' END", "text",
			"\nCASE\n    WHEN (1 > 2) THEN 'a'::text\n    ELSE 'b'::text\nEND",
			"\nCASE\n    WHEN 1 > 2 THEN 'a'::text\n    ELSE 'b'::text\nEND"},
		{"CASE WHEN true THEN 1 END", "int4",
			"\nCASE\n    WHEN true THEN 1\n    ELSE NULL::integer\nEND",
			"\nCASE\n    WHEN true THEN 1\n    ELSE NULL::integer\nEND"},
	} {
		got, err := DisplayDefault(tc.def, tc.typ, out)
		if err != nil || got != tc.want {
			t.Errorf("DisplayDefault(%q, %s) = %q, %v; want %q", tc.def, tc.typ, got, err, tc.want)
			continue
		}
		pretty, err := PrettyDefault(got, tc.typ)
		if err != nil || pretty != tc.pretty {
			t.Errorf("PrettyDefault(%q, %s) = %q, %v; want %q", got, tc.typ, pretty, err, tc.pretty)
		}
		again, err := DisplayDefault(got, "", out)
		if err != nil || again != got {
			t.Errorf("DisplayDefault of the display %q = %q, %v: not stable", got, again, err)
		}
	}
	// A literal the type does not take is the conversion's error; text
	// that is not one expression is an error (the caller shows the
	// stored text then).
	if got, err := DisplayDefault("'x'", "int4", out); err == nil {
		t.Errorf("DisplayDefault('x', int4) = %q, want an error", got)
	}
	for _, bad := range []string{"", "1, 2", "1; SELECT 2", "(SELECT 1"} {
		if got, err := DisplayDefault(bad, "int4", out); err == nil {
			t.Errorf("DisplayDefault(%q) = %q, want an error", bad, got)
		}
	}
}
