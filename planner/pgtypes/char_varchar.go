package pgtypes

import (
	"context"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"

	"openwit/storage"
)

// BPChar reports whether t is bpchar or char(n), and n (0 for bpchar
// without a length). Values of a char(n) type are blank-padded to n
// characters wherever they come from (storage.FitChar, storage.CastChar).
func BPChar(t sql.Type) (n int, ok bool) {
	c, isChar := t.(charType)
	if !isChar {
		return 0, false
	}
	base, n, _ := storage.CharLength(c.name)
	return n, base == storage.TypeBPChar
}

// Varchar reports whether t is varchar or varchar(n).
func Varchar(t sql.Type) bool {
	c, isChar := t.(charType)
	if !isChar {
		return false
	}
	base, _, _ := storage.CharLength(c.name)
	return base == storage.TypeVarchar
}

// CharType returns the engine type of a canonical character type
// ("varchar(16)", "bpchar(4)", "varchar", "bpchar").
func CharType(name string) sql.Type { return charGMSType(name) }

// Compare implements sql.Type. bpchar values compare without their
// trailing blanks (PostgreSQL's bpcharcmp), so sorting a char(n) column
// orders 'ab' before 'ab\t' as PostgreSQL does; other character types
// compare as text.
func (t charType) Compare(ctx context.Context, a, b any) (int, error) {
	if _, ok := BPChar(t); ok {
		if s, ok := a.(string); ok {
			a = strings.TrimRight(s, " ")
		}
		if s, ok := b.(string); ok {
			b = strings.TrimRight(s, " ")
		}
	}
	return t.StringType.Compare(ctx, a, b)
}
