package sqltests

import (
	"testing"

	"github.com/jackc/pgx/v5"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// toNumberCases are (input, format) pairs for to_number; TestToNumber
// wants OpenWit's answer (the value as text, which shows its scale, or the
// SQLSTATE) to be PostgreSQL 15's for each.
var toNumberCases = [][2]string{
	{"12,454.8-", "99G999D9S"}, {"1234", "99"}, {"  123", "999"}, {"-123", "999"}, {"123.456", "999.99"},
	{"12.3", "999.999"}, {"abc", "999"}, {"1 2 3", "999"}, {"1,234.56", "9G999D99"}, {"$1,234.56", "L9G999D99"},
	{"-12.50", "S999.99"}, {"+12.50", "S999.99"}, {"12.50-", "999.99S"}, {"123", "FM999"}, {"  12", "FM999"},
	{"0012", "0000"}, {"1.5", "9.9"}, {"12", "9.9"}, {"5", "9999"}, {"<123>", "999PR"}, {"123-", "999MI"},
	{"-123", "MI999"}, {"123", "MI999"}, {"1,2,3", "9,9,9"}, {"123", "9,9,9"}, {"12345", "99999999"}, {"-", "999"},
	{"", "999"}, {"1.2.3", "9.9.9"}, {"123", "999V9"}, {"12.5", "999V9"}, {"1234", "99V99"}, {"12.34", "99.99EEEE"},
	{"x12", "999"}, {"12x", "999"}, {"1e3", "9999"}, {"  -1", "9999"}, {"- 5", "999"}, {"$12", "L99"},
	{"1,234", "FM9,999"}, {"1,234", "FM9G999"}, {"1,234", "9G999"}, {"1234", "9G999"}, {".5", "9.9"}, {".5", "D9"},
	{"0.5", "0D9"}, {"-0.5", "S0.9"}, {"5-", "9MI"}, {"5+", "9PL"}, {"+5", "PL9"}, {"-5", "SG9"}, {"5-", "9SG"},
	{"12.3-", "FM9999.999MI"}, {"1 -", "9S"}, {"1-", "9S"}, {"-1", "S9"}, {"100", "9"}, {"999", "999"},
	{"1000", "999"}, {"12.345", "99.9"}, {"12.", "99.9"}, {".", "9.9"}, {"12", "\"x\"99"}, {"x12", "\"x\"99"},
	{"abc12", "xyz99"}, {"12 34", "99 99"}, {"12:34", "99:99"}, {"0", "9"}, {"-0", "S9"}, {"00.00", "99.99"},
	{"1.000", "9.999"}, {"123456789012345678", "999999999999999999"}, {"1,000,000", "9,999,999"},
	{"1.000.000", "9G999G999"}, {"12th", "99th"}, {"XIV", "RN"}, {"<12>", "99PR"}, {"12", "99PR"},
	{"  1  2", "9999"}, {"1", "B9"}, {"12", "0099"}, {"-.5", "S.9"}, {"1,2", "99D9"},
	{"5", "PL9"}, {"5", "SG9"}, {"x5", "MI9"}, {"x5", "PL9"}, {"+5", "MI9"}, {"-5", "PL9"}, {"5 -", "9MI"},
	{"12-", "99SG"}, {"1-2", "9MI9"}, {"-1-2", "S9MI9"},
	{" 5", "MI9"}, {"xy5", "MI9"}, {".5", "MI9D9"}, {"x5", "MI99"}, {"5x", "9MI9"}, {"x5", "SG9"}, {"15", "MI99"},
	{"xx5", "MIMI9"}, {"x5", "MI 9"}, {"x,5", "MI9"}, {"-x5", "MIMI9"},
}

// TestToNumber compares to_number with PostgreSQL 15 over toNumberCases.
func TestToNumber(t *testing.T) {
	pg := testpg.Start(t)
	pconn := testserver.Connect(t, pg.CreateDB(t, "to_number"))
	srv := testserver.Start(t, testserver.Options{Args: []string{"--flush-age=1h"}})
	oconn := testserver.Connect(t, srv.DSN())
	const q = "SELECT to_number($1::text, $2::text)::text"
	for _, c := range toNumberCases {
		want := limitParamsRun(t, pconn, q, []any{c[0], c[1]})
		got := limitParamsRun(t, oconn, q, []any{c[0], c[1]})
		if got != want {
			t.Errorf("to_number(%q, %q):\n got %s\nwant %s", c[0], c[1], got, want)
		}
	}
	_ = pgx.ErrNoRows
}
