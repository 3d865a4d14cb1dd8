package pgexpr

import "testing"

// TestQuoteIdent checks quote_ident's keyword rule (PostgreSQL 15's
// answers): reserved, type/function-name and column-name keywords are
// quoted, unreserved keywords are not; asked twice to cover the cache.
func TestQuoteIdent(t *testing.T) {
	for round := range 2 {
		for in, want := range map[string]string{
			"select": `"select"`, "user": `"user"`, "left": `"left"`, "int": `"int"`,
			"name": "name", "abort": "abort", "logs": "logs", "Logs": `"Logs"`,
			"a$b": `"a$b"`, "1x": `"1x"`, "": `""`, `a"b`: `"a""b"`, "_x1": "_x1",
		} {
			if got := QuoteIdent(in); got != want {
				t.Errorf("round %d: QuoteIdent(%q) = %s, want %s", round, in, got, want)
			}
		}
	}
}
