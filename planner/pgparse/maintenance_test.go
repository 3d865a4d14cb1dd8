package pgparse

import (
	"testing"

	"openwit/internal/pgerror"
)

// TestUnsupportedStatementNames: statements OpenWit refuses are named as
// PostgreSQL names them, and CREATE/DROP INDEX say why no index is needed.
func TestUnsupportedStatementNames(t *testing.T) {
	for sql, want := range map[string]string{
		"CREATE EXTENSION IF NOT EXISTS pg_trgm":                     "CREATE EXTENSION is not supported",
		"DO $$ BEGIN RAISE NOTICE 'x'; END $$":                       "DO is not supported",
		"CREATE SEQUENCE s":                                          "CREATE SEQUENCE is not supported",
		"CREATE FUNCTION f() RETURNS int AS 'select 1' LANGUAGE sql": "CREATE FUNCTION is not supported",
		"CREATE ROLE r":                                              "CREATE ROLE is not supported",
		"GRANT SELECT ON t TO r":                                     "GRANT is not supported",
		"CREATE INDEX i ON t (a)":                                    "CREATE INDEX is not supported",
		"DROP INDEX IF EXISTS i":                                     "DROP INDEX is not supported",
		"CREATE SCHEMA app":                                          "CREATE SCHEMA is not supported",
	} {
		_, err := Parse(sql)
		pe := pgerror.As(err)
		if err == nil || pe.Code != pgerror.FeatureNotSupported || pe.Message != want {
			t.Errorf("%s: %v (%s), want 0A000 %q", sql, err, pe.Code, want)
		}
		if want == "CREATE INDEX is not supported" || want == "DROP INDEX is not supported" {
			if pe.Hint == "" {
				t.Errorf("%s: no hint", sql)
			}
		}
	}
}
