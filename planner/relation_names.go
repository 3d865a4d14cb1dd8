package planner

import (
	"errors"
	"strings"

	"openwit/internal/pgerror"
	"openwit/planner/pgparse"
	"openwit/storage/catalog"
)

// checkColumnNames refuses a column named as one of PostgreSQL's system
// columns (42701, as PostgreSQL), and a table whose column names would
// include two that differ only in case ("Level" and "level"). PostgreSQL accepts them;
// go-mysql-server resolves column names case-insensitively, so every
// reference to either would be ambiguous and every INSERT would fail.
func checkColumnNames(table string, names []string) error {
	for _, n := range names {
		switch n {
		case "tableoid", "xmin", "xmax", "cmin", "cmax", "ctid":
			// PostgreSQL's system columns (OpenWit reads tableoid:
			// pgparse/tableoid.go).
			return pgerror.New(pgerror.DuplicateColumn, "column name %q conflicts with a system column name", n)
		}
	}
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

// relationPositioned gives a 42P01 "relation ... does not exist" error
// without a position the place where the statement names the relation
// (pgparse.Statement.RelationAt), as PostgreSQL's parser reports it for
// the statements whose relations it resolves there.
func relationPositioned(st *pgparse.Statement, err error) error {
	var pe *pgerror.Error
	if st == nil || len(st.RelationAt) == 0 || !errors.As(err, &pe) || pe.Code != pgerror.UndefinedTable || pe.Position != 0 {
		return err
	}
	switch st.Kind {
	case pgparse.KindQuery, pgparse.KindInsert, pgparse.KindUpdate, pgparse.KindDelete, pgparse.KindExplain,
		pgparse.KindDeclare:
	default:
		return err // PostgreSQL looks these relations up later, without a position
	}
	name, ok := strings.CutPrefix(pe.Message, `relation "`)
	if !ok {
		return err
	}
	if name, ok = strings.CutSuffix(name, `" does not exist`); !ok {
		return err
	}
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	pos, ok := st.RelationAt[name]
	if !ok {
		return err
	}
	c := *pe
	c.Position = pos
	return &c
}
