// Package pgarray writes elements of PostgreSQL's text array literal
// ({a,"b c",NULL}) as PostgreSQL's array output does, for the places that
// render arrays: results (gateway/pgwire, planner/pgtypes), array
// parameters and array_agg.
package pgarray

import "strings"

// AppendElem appends s as one element: double-quoted (with \ before " and
// \) only when NeedsQuotes says so.
func AppendElem(buf []byte, s string) []byte {
	if !NeedsQuotes(s) {
		return append(buf, s...)
	}
	return AppendQuoted(buf, s)
}

// AppendQuoted appends s double-quoted, with \ before " and \.
func AppendQuoted(buf []byte, s string) []byte {
	buf = append(buf, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			buf = append(buf, '\\')
		}
		buf = append(buf, s[i])
	}
	return append(buf, '"')
}

// NeedsQuotes reports whether an element must be quoted: it is empty, is
// NULL spelt out (any case), or holds a brace, comma, quote, backslash or
// white space.
func NeedsQuotes(s string) bool {
	if s == "" || strings.EqualFold(s, "NULL") {
		return true
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{', '}', ',', '"', '\\', ' ', '\t', '\n', '\r', '\v', '\f':
			return true
		}
	}
	return false
}
