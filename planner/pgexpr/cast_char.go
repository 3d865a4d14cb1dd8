package pgexpr

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"

	"openwit/planner/pgtypes"
	"openwit/storage"
)

// castChar is an explicit cast to varchar, varchar(n), bpchar or char(n):
// the text form of v cut to n characters without error (PostgreSQL's rule
// for explicit casts; an assignment errors instead, see storage.FitChar),
// blank-padded to n for char(n).
func castChar(ctx *sql.Context, v any, fromOID uint32, to string) (any, error) {
	s, err := TextOf(ctx, v, fromOID)
	if err != nil {
		return nil, err
	}
	return storage.CastChar(to, s), nil
}

// bpcharAsText is PostgreSQL's conversion of a char(n) value to text
// (and varchar): the trailing blanks are not significant and are dropped.
// Values of other types are returned unchanged.
func bpcharAsText(t sql.Type, v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	if name, ok := pgtypes.CharTypeOf(t); ok {
		if base, _, _ := storage.CharLength(name); base == storage.TypeBPChar {
			return strings.TrimRight(s, " ")
		}
	}
	return v
}
