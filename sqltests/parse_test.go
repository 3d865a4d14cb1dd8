package sqltests

import (
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	src := `# a comment
hash-threshold 8

statement ok
CREATE TABLE t (a int,
  b text)

statement error 42P01
SELECT * FROM nope

# comment before a record
skipif openwit
onlyif postgres
statement error relation ".*" does not exist
SELECT * FROM nope

query IT rowsort mylabel
SELECT a, b
FROM t
----
1 x
2  y z

query R
SELECT 1.5
----

query T valuesort
SELECT b FROM t

query error
SELECT 1/0

halt

statement ok
not reached
`
	s, err := Parse("x.slt", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []Record{
		{Kind: KindStatement, Line: 4, SQL: "CREATE TABLE t (a int,\n  b text)"},
		{Kind: KindStatement, Line: 8, SQL: "SELECT * FROM nope", ExpectError: true, Pattern: "42P01"},
		{Kind: KindStatement, Line: 14, SQL: "SELECT * FROM nope", ExpectError: true, Pattern: `relation ".*" does not exist`,
			SkipIf: []string{"openwit"}, OnlyIf: []string{"postgres"}},
		{Kind: KindQuery, Line: 17, SQL: "SELECT a, b\nFROM t", Types: "IT", Sort: RowSort, Label: "mylabel",
			Expected: []string{"1 x", "2  y z"}},
		{Kind: KindQuery, Line: 24, SQL: "SELECT 1.5", Types: "R"},
		{Kind: KindQuery, Line: 28, SQL: "SELECT b FROM t", Types: "T", Sort: ValueSort},
		{Kind: KindQuery, Line: 31, SQL: "SELECT 1/0", ExpectError: true},
		{Kind: KindHalt, Line: 34},
		{Kind: KindStatement, Line: 36, SQL: "not reached"},
	}
	if len(s.Records) != len(want) {
		t.Fatalf("got %d records, want %d: %+v", len(s.Records), len(want), s.Records)
	}
	for i, w := range want {
		g := s.Records[i]
		if g.Kind != w.Kind || g.Line != w.Line || g.SQL != w.SQL || g.ExpectError != w.ExpectError ||
			g.Pattern != w.Pattern || g.Types != w.Types || g.Sort != w.Sort || g.Label != w.Label ||
			!slices.Equal(g.Expected, w.Expected) || !slices.Equal(g.SkipIf, w.SkipIf) || !slices.Equal(g.OnlyIf, w.OnlyIf) {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}

func TestParseCRLFAndTrailingSpace(t *testing.T) {
	s, err := Parse("x.slt", []byte("query I\r\nSELECT 1\r\n----\r\n1   \r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Records[0].Expected; !slices.Equal(got, []string{"1"}) {
		t.Errorf("expected = %q", got)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"unknown record", "statement ok\nSELECT 1\n\nselect 1\n", "x.slt:4: unknown record type \"select\""},
		{"statement without sql", "statement ok\n\n", "x.slt:1: statement has no SQL"},
		{"statement at eof without sql", "statement ok", "x.slt:1: statement has no SQL"},
		{"statement bad word", "statement okay\nSELECT 1\n", "x.slt:1: want \"statement ok\""},
		{"statement with results", "statement ok\nSELECT 1\n----\n1\n", "x.slt:3: statement records have no results"},
		{"query without types", "query\nSELECT 1\n", "x.slt:1: query needs a type string"},
		{"query bad type", "query IX\nSELECT 1, 2\n", "x.slt:1: type string \"IX\": unknown type 'X'"},
		{"query bad sort", "query I rowsrot\nSELECT 1\n", "x.slt:1: unknown sort mode \"rowsrot\""},
		{"query too many words", "query I rowsort a b\nSELECT 1\n", "x.slt:1: too many words"},
		{"query without sql", "\n\nquery I\n----\n1\n", "x.slt:3: query has no SQL"},
		{"query error with results", "query error\nSELECT 1\n----\n1\n", "x.slt:3: query error records have no results"},
		{"bad regexp", "statement error (unclosed\nSELECT 1\n", "x.slt:1: error pattern is neither a SQLSTATE nor a regular expression"},
		{"unknown target", "skipif mysql\nstatement ok\nSELECT 1\n", "x.slt:1: unknown target \"mysql\""},
		{"condition without target", "onlyif\nstatement ok\nSELECT 1\n", "x.slt:1: onlyif needs exactly one target"},
		{"condition then blank", "onlyif postgres\n\nstatement ok\nSELECT 1\n", "x.slt:2: blank line between a condition and its record"},
		{"condition at eof", "statement ok\nSELECT 1\n\nskipif openwit\n", "x.slt:4: condition at the end of the file has no record"},
		{"hash-threshold word", "hash-threshold many\n", "x.slt:1: hash-threshold needs one number"},
		{"halt argument", "halt now\n", "x.slt:1: halt takes no arguments"},
		{"halt then sql", "halt\nSELECT 1\n", "x.slt:2: halt must be followed by a blank line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("x.slt", []byte(tc.src))
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestRecordRuns(t *testing.T) {
	for _, tc := range []struct {
		skip, only []string
		target     string
		want       bool
	}{
		{nil, nil, TargetOpenWit, true},
		{[]string{TargetOpenWit}, nil, TargetOpenWit, false},
		{[]string{TargetOpenWit}, nil, TargetPostgres, true},
		{nil, []string{TargetPostgres}, TargetOpenWit, false},
		{nil, []string{TargetPostgres}, TargetPostgres, true},
	} {
		r := Record{SkipIf: tc.skip, OnlyIf: tc.only}
		if got := r.Runs(tc.target); got != tc.want {
			t.Errorf("skipif %v onlyif %v on %s: runs = %v, want %v", tc.skip, tc.only, tc.target, got, tc.want)
		}
	}
}

// TestCorpusParses keeps every script in testdata parseable without a server.
func TestCorpusParses(t *testing.T) {
	files, err := Files("testdata")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scripts in testdata")
	}
	for _, f := range files {
		s, err := ParseFile(f)
		if err != nil {
			t.Error(err)
			continue
		}
		for _, r := range s.Records {
			// Scripts shared by both servers compare errors by SQLSTATE.
			if r.ExpectError && r.Runs(TargetOpenWit) && !IsSQLState(r.Pattern) {
				t.Errorf("%s:%d: error records that run on openwit must name a SQLSTATE, got %q", f, r.Line, r.Pattern)
			}
		}
	}
}
