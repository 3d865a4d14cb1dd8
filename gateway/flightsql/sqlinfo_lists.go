package flightsql

import "github.com/apache/arrow-go/v18/arrow/flight/flightsql/schema_ref"

// sqlInfoSchema is the schema of GetSqlInfo results.
var sqlInfoSchema = schema_ref.SqlInfo

// keywords are PostgreSQL keywords OpenWit's dialect reserves beyond
// SQL:2003 (what JDBC's getSQLKeywords reports).
var keywords = []string{
	"ANALYZE", "CONCURRENTLY", "DO", "EXPLAIN", "FREEZE", "ILIKE", "ISNULL", "LIMIT", "NOTNULL", "OFFSET",
	"PLACING", "RETURNING", "SHOW", "TEMP", "TEXT", "VACUUM", "VARIADIC", "VERBOSE",
}

// The function lists name what the planner evaluates today; the tests run
// each one (see sqlinfo_test.go).
var (
	numericFunctions = []string{
		"ABS", "ACOS", "ASIN", "ATAN", "ATAN2", "CEIL", "CEILING", "COS", "DEGREES", "EXP", "FLOOR", "GREATEST",
		"LEAST", "LN", "LOG", "LOG10", "MOD", "PI", "POW", "POWER", "RADIANS", "RANDOM", "ROUND", "SIN", "SQRT",
		"TAN", "TRUNC",
	}
	stringFunctions = []string{
		"ASCII", "BIT_LENGTH", "BTRIM", "CHARACTER_LENGTH", "CHAR_LENGTH", "CONCAT", "CONCAT_WS", "INITCAP",
		"LEFT", "LENGTH", "LOWER", "LPAD", "LTRIM", "MD5", "OCTET_LENGTH", "POSITION", "REGEXP_REPLACE",
		"REPEAT", "REPLACE", "REVERSE", "RIGHT", "RPAD", "RTRIM", "SPLIT_PART", "STARTS_WITH", "STRPOS", "SUBSTR",
		"SUBSTRING", "TRIM", "UPPER",
	}
	systemFunctions = []string{
		"COALESCE", "CURRENT_DATABASE", "CURRENT_SCHEMA", "CURRENT_USER", "NULLIF", "PG_BACKEND_PID",
		"SESSION_USER", "USER", "VERSION",
	}
	datetimeFunctions = []string{
		"CURRENT_DATE", "CURRENT_TIMESTAMP", "DATE_PART", "DATE_TRUNC", "EXTRACT", "LOCALTIMESTAMP", "NOW",
		"TO_CHAR", "TO_TIMESTAMP",
	}
)
