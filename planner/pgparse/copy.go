package pgparse

import (
	"strconv"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/internal/pgerror"
)

// Copy formats.
const (
	CopyText   = "text"
	CopyCSV    = "csv"
	CopyBinary = "binary"
)

// Copy is COPY ... FROM STDIN or COPY ... TO STDOUT. Options are checked as
// PostgreSQL checks them; defaults are filled in for the format.
type Copy struct {
	From    bool     // FROM STDIN; false: TO STDOUT
	Table   string   // target (FROM) or source (TO of a table); "" for TO of a query
	Columns []string // the column list; nil: all columns in table order
	// Format is CopyText, CopyCSV or CopyBinary.
	Format string
	// Header: the first line holds column names (text and csv). With
	// HeaderMatch, COPY FROM checks them against the column list.
	Header      bool
	HeaderMatch bool
	Delimiter   byte   // tab (text) or ',' (csv)
	Null        string // `\N` (text) or "" (csv)
	Quote       byte   // csv only; '"'
	Escape      byte   // csv only; defaults to Quote
}

// copyStmt translates COPY. COPY TO of a table becomes the query
// `SELECT cols FROM table` (the Statement's AST); COPY (query) TO takes the
// query. COPY FROM has no AST: the rows come from the client.
func (t *translator) copyStmt(s *pg.CopyStmt) *Statement {
	switch {
	case s.IsProgram:
		t.fail(pgerror.FeatureNotSupported, "COPY to or from a program is not supported")
	case s.Filename != "":
		t.fail(pgerror.FeatureNotSupported, "COPY to or from a server file is not supported; use STDIN/STDOUT (psql's \\copy reads and writes client files)")
	case s.WhereClause != nil:
		t.unsupported("COPY FROM ... WHERE")
	}
	c := &Copy{From: s.IsFrom}
	if s.Relation != nil {
		c.Table = t.rangeVarName(s.Relation)
	}
	seen := map[string]bool{}
	for _, a := range s.Attlist {
		name := a.GetString_().GetSval()
		if seen[name] {
			t.fail(pgerror.DuplicateColumn, "column %q specified more than once", name)
		}
		seen[name] = true
		c.Columns = append(c.Columns, name)
	}
	t.copyOptions(c, s.Options)
	st := &Statement{Kind: KindCopyFrom, Copy: c, Tag: "COPY"}
	if c.From {
		return st
	}
	st.Kind = KindCopyTo
	if s.Query != nil {
		sel := s.Query.GetSelectStmt()
		if sel == nil {
			t.fail(pgerror.FeatureNotSupported, "COPY (%s) TO is not supported; only queries can be copied", statementName(s.Query))
		}
		st.AST = t.selectStmt(sel, true)
		return st
	}
	// COPY table TO: the same as copying SELECT of its columns.
	cols := "*"
	if len(c.Columns) > 0 {
		q := make([]string, len(c.Columns))
		for i, n := range c.Columns {
			q[i] = quoteIdent(n)
		}
		cols = strings.Join(q, ", ")
	}
	text := "SELECT " + cols + " FROM " + quoteIdent(c.Table)
	tree, err := pg.Parse(text)
	if err != nil || len(tree.Stmts) != 1 {
		t.fail(pgerror.InternalError, "build query for COPY %s TO: %v", c.Table, err)
	}
	st.AST = t.selectStmt(tree.Stmts[0].Stmt.GetSelectStmt(), true)
	st.SQL = text
	return st
}

// copyOptions reads COPY's options (new and old syntax arrive alike as
// DefElems) and checks them as PostgreSQL does.
func (t *translator) copyOptions(c *Copy, opts []*pg.Node) {
	var delim, null, quote, escape *string
	seen := map[string]bool{}
	for _, o := range opts {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		name := strings.ToLower(d.Defname)
		if seen[name] {
			t.fail(pgerror.SyntaxError, "conflicting or redundant options")
		}
		seen[name] = true
		switch name {
		case "format":
			f := strings.ToLower(copyOptString(d))
			switch f {
			case CopyText, CopyCSV, CopyBinary:
				c.Format = f
			default:
				t.fail(pgerror.InvalidParameterValue, "COPY format %q not recognized", copyOptString(d))
			}
		case "header":
			switch v := strings.ToLower(copyOptString(d)); v {
			case "match":
				c.Header, c.HeaderMatch = true, true
			default:
				b, ok := copyBool(v)
				if !ok {
					t.fail(pgerror.SyntaxError, "header requires a Boolean value or \"match\"")
				}
				c.Header = b
			}
		case "delimiter":
			v := copyOptString(d)
			delim = &v
		case "null":
			v := copyOptString(d)
			null = &v
		case "quote":
			v := copyOptString(d)
			quote = &v
		case "escape":
			v := copyOptString(d)
			escape = &v
		case "freeze":
			// Accepted and ignored: rows are visible once COPY is acknowledged.
		case "encoding":
			if e := strings.ToUpper(strings.ReplaceAll(copyOptString(d), "-", "")); e != "UTF8" && e != "UNICODE" {
				t.fail(pgerror.FeatureNotSupported, "COPY encoding %q is not supported; OpenWit speaks UTF8", copyOptString(d))
			}
		default:
			t.fail(pgerror.FeatureNotSupported, "COPY option %s is not supported", strings.ToUpper(d.Defname))
		}
	}
	if c.Format == "" {
		c.Format = CopyText
	}
	csv := c.Format == CopyCSV
	if c.Format == CopyBinary {
		switch {
		case delim != nil:
			t.fail(pgerror.SyntaxError, "cannot specify DELIMITER in BINARY mode")
		case null != nil:
			t.fail(pgerror.SyntaxError, "cannot specify NULL in BINARY mode")
		case c.Header:
			t.fail(pgerror.FeatureNotSupported, "cannot specify HEADER in BINARY mode")
		}
	}
	if c.HeaderMatch && !c.From {
		t.fail(pgerror.FeatureNotSupported, "cannot use \"match\" with HEADER in COPY TO")
	}
	c.Delimiter, c.Null = '\t', `\N`
	if csv {
		c.Delimiter, c.Null, c.Quote = ',', "", '"'
	}
	if delim != nil {
		if len(*delim) != 1 {
			t.fail(pgerror.FeatureNotSupported, "COPY delimiter must be a single one-byte character")
		}
		c.Delimiter = (*delim)[0]
	}
	if null != nil {
		c.Null = *null
	}
	if strings.ContainsAny(c.Null, "\r\n") {
		t.fail(pgerror.FeatureNotSupported, "COPY null representation cannot use newline or carriage return")
	}
	if c.Delimiter == '\r' || c.Delimiter == '\n' {
		t.fail(pgerror.InvalidParameterValue, "COPY delimiter cannot be newline or carriage return")
	}
	if !csv && c.Format == CopyText && strings.IndexByte(`\.abcdefghijklmnopqrstuvwxyz0123456789`, c.Delimiter) >= 0 {
		t.fail(pgerror.InvalidParameterValue, "COPY delimiter cannot be %q", string(c.Delimiter))
	}
	for _, o := range []struct {
		v    *string
		name string
	}{{quote, "quote"}, {escape, "escape"}} {
		if o.v == nil {
			continue
		}
		if !csv {
			t.fail(pgerror.FeatureNotSupported, "COPY %s available only in CSV mode", o.name)
		}
		if len(*o.v) != 1 {
			t.fail(pgerror.FeatureNotSupported, "COPY %s must be a single one-byte character", o.name)
		}
	}
	if quote != nil {
		c.Quote = (*quote)[0]
	}
	c.Escape = c.Quote
	if escape != nil {
		c.Escape = (*escape)[0]
	}
	if csv {
		if c.Delimiter == c.Quote {
			t.fail(pgerror.InvalidParameterValue, "COPY delimiter and quote must be different")
		}
		if strings.IndexByte(c.Null, c.Delimiter) >= 0 {
			t.fail(pgerror.InvalidParameterValue, "COPY delimiter character must not appear in the NULL specification")
		}
		if strings.IndexByte(c.Null, c.Quote) >= 0 {
			t.fail(pgerror.InvalidParameterValue, "CSV quote character must not appear in the NULL specification")
		}
	} else if c.Format == CopyText && strings.IndexByte(c.Null, c.Delimiter) >= 0 {
		t.fail(pgerror.InvalidParameterValue, "COPY delimiter character must not appear in the NULL specification")
	}
}

// copyOptString is an option's argument as text ("" when absent).
func copyOptString(d *pg.DefElem) string {
	if d.Arg == nil {
		return ""
	}
	switch {
	case d.Arg.GetString_() != nil:
		return d.Arg.GetString_().Sval
	case d.Arg.GetBoolean() != nil:
		return strconv.FormatBool(d.Arg.GetBoolean().Boolval)
	case d.Arg.GetInteger() != nil:
		return strconv.Itoa(int(d.Arg.GetInteger().Ival))
	}
	return ""
}

// copyBool reads a boolean option; a bare option ("") is true.
func copyBool(v string) (bool, bool) {
	switch v {
	case "", "true", "on", "1":
		return true, true
	case "false", "off", "0":
		return false, true
	}
	return false, false
}

// quoteIdent double-quotes an identifier.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
