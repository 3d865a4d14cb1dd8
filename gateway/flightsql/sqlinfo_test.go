package flightsql_test

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"

	fsql "openwit/gateway/flightsql"
)

// functionCalls is one working call of each function GetSqlInfo lists.
var functionCalls = map[string]string{
	"ABS": "abs(-1)", "ACOS": "acos(1)", "ASIN": "asin(1)", "ATAN": "atan(1)", "ATAN2": "atan2(1, 1)",
	"CEIL": "ceil(1.5)", "CEILING": "ceiling(1.5)", "COS": "cos(1)", "DEGREES": "degrees(1)", "EXP": "exp(1)",
	"FLOOR": "floor(1.5)", "GREATEST": "greatest(1, 2)", "LEAST": "least(1, 2)", "LN": "ln(2)", "LOG": "log(10)",
	"LOG10": "log10(10)", "MOD": "mod(5, 2)", "PI": "pi()", "POW": "pow(2, 3)", "POWER": "power(2, 3)",
	"RADIANS": "radians(1)", "RANDOM": "random()", "ROUND": "round(1.55, 1)", "SIN": "sin(1)", "SQRT": "sqrt(4)",
	"TAN": "tan(1)", "TRUNC": "trunc(1.5)",
	"ASCII": "ascii('a')", "BIT_LENGTH": "bit_length('ab')", "BTRIM": "btrim(' a ')",
	"CHARACTER_LENGTH": "character_length('ab')", "CHAR_LENGTH": "char_length('ab')", "CONCAT": "concat('a', 'b')",
	"CONCAT_WS": "concat_ws(',', 'a', 'b')", "INITCAP": "initcap('ab cd')", "LEFT": "left('abc', 2)",
	"LENGTH": "length('ab')", "LOWER": "lower('A')", "LPAD": "lpad('a', 3)", "LTRIM": "ltrim(' a')", "MD5": "md5('a')",
	"OCTET_LENGTH": "octet_length('ab')", "POSITION": "position('b' in 'abc')", "REGEXP_REPLACE": "regexp_replace('abc', 'b', 'x')", "REPEAT": "repeat('a', 3)", "REPLACE": "replace('abc', 'b', 'x')",
	"REVERSE": "reverse('abc')", "RIGHT": "right('abc', 2)", "RPAD": "rpad('a', 3)", "RTRIM": "rtrim('a ')",
	"SPLIT_PART": "split_part('a,b', ',', 2)", "STARTS_WITH": "starts_with('abc', 'a')", "STRPOS": "strpos('abc', 'b')",
	"SUBSTR": "substr('abc', 2, 1)", "SUBSTRING": "substring('abc' from 2 for 1)", "TRIM": "trim(' a ')", "UPPER": "upper('a')",
	"COALESCE": "coalesce(NULL, 1)", "CURRENT_DATABASE": "current_database()", "CURRENT_SCHEMA": "current_schema()",
	"CURRENT_USER": "current_user", "NULLIF": "nullif(1, 1)", "PG_BACKEND_PID": "pg_backend_pid()",
	"SESSION_USER": "session_user", "USER": "user", "VERSION": "version()",
	"CURRENT_DATE": "current_date", "CURRENT_TIMESTAMP": "current_timestamp", "DATE_PART": "date_part('year', now())",
	"DATE_TRUNC": "date_trunc('hour', now())", "EXTRACT": "extract(year from now())", "LOCALTIMESTAMP": "localtimestamp",
	"NOW": "now()", "TO_CHAR": "to_char(now(), 'YYYY')", "TO_TIMESTAMP": "to_timestamp(0)",
}

// testFunctions runs every function GetSqlInfo advertises: the lists must
// not promise what the planner cannot do.
func testFunctions(t *testing.T, cl *flightsql.Client) {
	ctx := context.Background()
	for kind, names := range fsql.Functions {
		for _, name := range names {
			call, ok := functionCalls[name]
			if !ok {
				t.Errorf("%s function %s: no sample call in the test", kind, name)
				continue
			}
			info, err := cl.Execute(ctx, "SELECT "+call)
			if err == nil {
				_, _, err = fetch(t, ctx, cl, info)
			}
			if err != nil {
				t.Errorf("%s function %s: %v", kind, name, err)
			}
		}
	}
	// Asking for ids the server does not know leaves them out instead of
	// failing the call.
	info, err := cl.GetSqlInfo(ctx, []flightsql.SqlInfo{flightsql.SqlInfoFlightSqlServerName, 99999})
	if err != nil {
		t.Fatal(err)
	}
	_, recs, err := fetch(t, ctx, cl, info)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rowsOf(recs)); n != 1 {
		t.Errorf("%d sql info rows, want 1", n)
	}
}
