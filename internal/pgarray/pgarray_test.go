package pgarray

import "testing"

// TestAppendElem: the quoting PostgreSQL's array output applies
// (SELECT ARRAY['a', ”, 'NULL', 'b c', 'x"y', 'p\q', '{}']::text[]).
func TestAppendElem(t *testing.T) {
	var buf []byte
	for i, s := range []string{"a", "", "NULL", "null", "b c", `x"y`, `p\q`, "{}", "1,2", "tab\there"} {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = AppendElem(buf, s)
	}
	want := `a,"","NULL","null","b c","x\"y","p\\q","{}","1,2","tab` + "\t" + `here"`
	if string(buf) != want {
		t.Fatalf("got  %s\nwant %s", buf, want)
	}
	if got := string(AppendQuoted(nil, "plain")); got != `"plain"` {
		t.Fatalf("AppendQuoted: %s", got)
	}
}
