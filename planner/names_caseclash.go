package planner

import (
	"openwit/internal/pgerror"
	"openwit/storage/catalog"
)

// caseClash refuses a table whose column names would include two that
// differ only in case ("Level" and "level"). PostgreSQL accepts them;
// go-mysql-server resolves column names case-insensitively, so every
// reference to either would be ambiguous and every INSERT would fail.
func caseClash(table string, names []string) error {
	a, b, clash := catalog.CaseClash(names)
	if !clash {
		return nil
	}
	return &pgerror.Error{Code: pgerror.FeatureNotSupported,
		Message: "column \"" + b + "\" of relation \"" + table + "\" differs only in case from column \"" + a + "\"",
		Detail:  "OpenWit resolves column names case-insensitively, so a table cannot have two names that differ only in case.",
		Hint:    "Use another name for one of them."}
}

// columnNamesWith returns the names of cols, then extra.
func columnNamesWith(cols []catalog.Column, extra ...string) []string {
	names := make([]string, 0, len(cols)+len(extra))
	for _, c := range cols {
		names = append(names, c.Name)
	}
	return append(names, extra...)
}
