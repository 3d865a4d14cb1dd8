package sqltests

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestRenderValue(t *testing.T) {
	for _, tc := range []struct {
		typ  byte
		in   []byte
		want string
	}{
		{'T', nil, "NULL"},
		{'I', nil, "NULL"},
		{'R', nil, "NULL"},
		{'T', []byte{}, "(empty)"},
		{'T', []byte("api gateway"), "api gateway"},
		{'T', []byte("  a b "), "␠␠a b␠"},
		{'T', []byte("   "), "␠␠␠"},
		{'T', []byte("a\tb\nc"), "a@b@c"},
		{'T', []byte("héllo"), "héllo"},
		{'I', []byte("-42"), "-42"},
		{'B', []byte("t"), "t"},
		{'R', []byte("2.5"), "2.500"},
		{'R', []byte("12"), "12.000"},
		{'R', []byte("345.4444444444444444"), "345.444"},
		{'R', []byte("0.1234999"), "0.123"},
		{'R', []byte("1e+20"), "100000000000000000000.000"},
		{'R', []byte("-0"), "0.000"},
		{'R', []byte("-0.0001"), "0.000"},
		{'R', []byte("NaN"), "NaN"},
		{'R', []byte("Infinity"), "Infinity"},
		{'R', []byte("-Infinity"), "-Infinity"},
	} {
		got, err := RenderValue(tc.typ, tc.in)
		if err != nil {
			t.Errorf("RenderValue(%c, %q): %v", tc.typ, tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("RenderValue(%c, %q) = %q, want %q", tc.typ, tc.in, got, tc.want)
		}
	}
	if _, err := RenderValue('R', []byte("abc")); err == nil || !strings.Contains(err.Error(), "not a number") {
		t.Errorf("RenderValue(R, abc) error = %v, want not a number", err)
	}
}

func TestRenderRows(t *testing.T) {
	rows := [][][]byte{{[]byte("1"), nil, []byte("1.5")}, {[]byte("2"), []byte(""), []byte("x")}}
	if _, err := RenderRows("ITR", 3, rows[:1]); err != nil {
		t.Fatal(err)
	}
	_, err := RenderRows("IT", 3, rows)
	if err == nil || !strings.Contains(err.Error(), `query returned 3 columns, type string "IT" has 2`) {
		t.Errorf("column count error = %v", err)
	}
	_, err = RenderRows("ITR", 3, rows)
	if err == nil || !strings.Contains(err.Error(), "row 2 column 3") {
		t.Errorf("bad real error = %v", err)
	}
}

func TestResultLines(t *testing.T) {
	rows := [][]string{{"b", "2"}, {"a", "10"}, {"a", "1"}}
	if got := strings.Join(ResultLines(rows, NoSort), "|"); got != "b 2|a 10|a 1" {
		t.Errorf("nosort = %q", got)
	}
	if got := strings.Join(ResultLines(rows, RowSort), "|"); got != "a 1|a 10|b 2" {
		t.Errorf("rowsort = %q", got)
	}
	if got := strings.Join(ResultLines(rows, ValueSort), "|"); got != "1|10|2|a|a|b" {
		t.Errorf("valuesort = %q", got)
	}
}

func TestCompare(t *testing.T) {
	rows := [][]string{{"b", "2"}, {"a", "x y"}}
	for _, tc := range []struct {
		name     string
		expected []string
		rows     [][]string
		mode     SortMode
		want     string // "" for a match, else a substring of the message
	}{
		{"rows match", []string{"b 2", "a x y"}, rows, NoSort, ""},
		{"rows in another order", []string{"a x y", "b 2"}, rows, NoSort, "results differ at row 1 (expected 2 rows, got 2)"},
		{"rowsort sorts both sides", []string{"b 2", "a x y"}, rows, RowSort, ""},
		{"rowsort mismatch", []string{"a x y", "c 2"}, rows, RowSort, "results differ at row 2"},
		{"valuesort", []string{"x y", "2", "a", "b"}, rows, ValueSort, ""},
		{"classic layout", []string{"b", "2", "a", "x y"}, rows, NoSort, ""},
		{"classic layout mismatch", []string{"b", "2", "a", "z"}, rows, NoSort, "results differ at value 4 (expected 4 values, got 4)"},
		{"classic layout rowsort", []string{"a", "x y", "b", "2"}, rows, RowSort, ""},
		{"missing row", []string{"b 2"}, rows, NoSort, "results differ at row 2 (expected 1 rows, got 2)"},
		{"extra row", []string{"b 2", "a x y", "c 3"}, rows, NoSort, "got:      (no more results)"},
		{"no rows", nil, nil, NoSort, ""},
		{"rows expected, none got", []string{"1"}, nil, NoSort, "expected 1 rows, got 0"},
		{"single column", []string{"1", "2"}, [][]string{{"1"}, {"2"}}, NoSort, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cols := 2
			if len(tc.rows) > 0 {
				cols = len(tc.rows[0])
			}
			got := Compare(tc.expected, tc.rows, cols, tc.mode)
			if tc.want == "" && got != "" {
				t.Errorf("unexpected difference:\n%s", got)
			}
			if tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("message %q\nwant it to contain %q", got, tc.want)
			}
		})
	}
}

func TestCompareMessageShowsFirstDifference(t *testing.T) {
	got := Compare([]string{"api 200", "auth 401"}, [][]string{{"api", "200"}, {"auth", "403"}}, 2, NoSort)
	for _, want := range []string{"results differ at row 2", "expected: auth 401", "got:      auth 403"} {
		if !strings.Contains(got, want) {
			t.Errorf("message %q\nwant it to contain %q", got, want)
		}
	}
}

func TestIsSQLState(t *testing.T) {
	for s, want := range map[string]bool{
		"42P01": true, "22012": true, "XX000": true, "0A000": true,
		"42p01": false, "4201": false, "42P011": false, "": false, "a.*b": false,
	} {
		if IsSQLState(s) != want {
			t.Errorf("IsSQLState(%q) = %v", s, !want)
		}
	}
}

func TestCheckError(t *testing.T) {
	pgErr := &pgconn.PgError{Severity: "ERROR", Code: "42P01", Message: `relation "nope" does not exist`}
	for _, tc := range []struct {
		pattern string
		err     error
		want    string // "" for a match
	}{
		{"42P01", pgErr, ""},
		{"", pgErr, ""},
		{`relation ".*" does not exist`, pgErr, ""},
		{"42601", pgErr, `expected SQLSTATE 42601, got relation "nope" does not exist (SQLSTATE 42P01)`},
		{"no such table", pgErr, `expected an error matching "no such table"`},
		{"42P01", nil, "expected an error, but it succeeded"},
		{"", nil, "expected an error, but it succeeded"},
		{"42P01", errString("connection reset"), "got an error without one: connection reset"},
	} {
		got := checkError(tc.pattern, tc.err)
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("checkError(%q, %v) = %q, want %q", tc.pattern, tc.err, got, tc.want)
		}
	}
}

type errString string

func (e errString) Error() string { return string(e) }
