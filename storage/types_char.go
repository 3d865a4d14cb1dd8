package storage

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Canonical names of PostgreSQL's character types with a length limit.
// The catalog stores "varchar" (no limit), "varchar(n)", "bpchar" (no
// limit, only from casts) and "bpchar(n)" (char(n)); their values are text.
const (
	TypeVarchar = "varchar"
	TypeBPChar  = "bpchar"
)

// MaxCharLength is PostgreSQL's largest n in varchar(n) and char(n).
const MaxCharLength = 10485760

// charType returns the canonical name of varchar or char with mods.
// PostgreSQL's parser gives char without a length the modifier 1; a bare
// "bpchar" has none and no limit.
func charType(base string, mods []int32) (string, error) {
	if len(mods) == 0 {
		return base, nil
	}
	if len(mods) > 1 {
		return "", fmt.Errorf("invalid type modifier for %s", base)
	}
	n := mods[0]
	name := "varchar"
	if base == TypeBPChar {
		name = "char"
	}
	if n < 1 {
		return "", fmt.Errorf("length for type %s must be at least 1", name)
	}
	if n > MaxCharLength {
		return "", fmt.Errorf("length for type %s cannot exceed %d", name, MaxCharLength)
	}
	return fmt.Sprintf("%s(%d)", base, n), nil
}

// CharLength parses "varchar(n)" or "bpchar(n)": base is TypeVarchar or
// TypeBPChar, n the length limit (0 when the type has none). ok is false
// for every other type.
func CharLength(t string) (base string, n int, ok bool) {
	switch t {
	case TypeVarchar, TypeBPChar:
		return t, 0, true
	}
	for _, b := range []string{TypeVarchar, TypeBPChar} {
		if strings.HasPrefix(t, b+"(") && strings.HasSuffix(t, ")") {
			v, err := strconv.Atoi(t[len(b)+1 : len(t)-1])
			if err != nil || v < 1 {
				return "", 0, false
			}
			return b, v, true
		}
	}
	return "", 0, false
}

// IsTextual reports whether values of canonical type t are stored as text
// strings (text, varchar, char).
func IsTextual(t string) bool {
	if t == TypeText {
		return true
	}
	_, _, ok := CharLength(t)
	return ok
}

// ErrValueTooLong is wrapped by FitChar when a value does not fit its
// varchar(n) or char(n) column.
var ErrValueTooLong = fmt.Errorf("value too long")

// FitChar applies PostgreSQL's assignment rule for a value stored into a
// column of canonical type t: a value longer than n characters is an error
// unless the characters past n are all blanks, which are cut; char(n)
// pads with blanks to n. Other types return s unchanged.
func FitChar(t, s string) (string, error) {
	base, n, ok := CharLength(t)
	if !ok || n == 0 {
		return s, nil
	}
	l := utf8.RuneCountInString(s)
	if l > n {
		cut := runePrefix(s, n)
		if strings.TrimRight(s[len(cut):], " ") != "" {
			return "", fmt.Errorf("%w for type %s", ErrValueTooLong, CharTypeName(t))
		}
		return cut, nil
	}
	if base == TypeBPChar && l < n {
		return s + strings.Repeat(" ", n-l), nil
	}
	return s, nil
}

// CastChar applies PostgreSQL's explicit cast rule to varchar(n) or
// char(n): the value is cut to n characters without error; char(n) pads
// with blanks to n.
func CastChar(t, s string) string {
	base, n, ok := CharLength(t)
	if !ok || n == 0 {
		return s
	}
	l := utf8.RuneCountInString(s)
	if l > n {
		return runePrefix(s, n)
	}
	if base == TypeBPChar && l < n {
		return s + strings.Repeat(" ", n-l)
	}
	return s
}

// CharTypeName is PostgreSQL's format_type name of a canonical character
// type: "character varying(16)", "character(4)", "bpchar".
func CharTypeName(t string) string {
	base, n, ok := CharLength(t)
	switch {
	case !ok:
		return t
	case base == TypeVarchar && n == 0:
		return "character varying"
	case base == TypeVarchar:
		return fmt.Sprintf("character varying(%d)", n)
	case n == 0:
		return "bpchar"
	}
	return fmt.Sprintf("character(%d)", n)
}

// runePrefix returns the first n characters of s.
func runePrefix(s string, n int) string {
	i := 0
	for k := range s {
		if i == n {
			return s[:k]
		}
		i++
	}
	return s
}
