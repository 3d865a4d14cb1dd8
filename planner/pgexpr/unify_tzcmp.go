package pgexpr

import (
	"github.com/dolthub/go-mysql-server/sql"

	"openwit/planner/pgtypes"
	"openwit/storage"
)

// charCommon is the engine type of a set operation or VALUES column whose
// inputs are character values of different types with common type oid:
// bpchar or varchar without a length (PostgreSQL's select_common_type
// keeps the type, the typmod only when every input has it); nil for other
// types.
func charCommon(oid uint32) sql.Type {
	switch oid {
	case pgtypes.OIDBPChar:
		return pgtypes.CharType(storage.TypeBPChar)
	case pgtypes.OIDVarchar:
		return pgtypes.CharType(storage.TypeVarchar)
	}
	return nil
}

// charAs converts a character value to the character type to: a bpchar
// value loses its trailing blanks unless to is bpchar too (the conversion
// to text or varchar); the other values do not change.
func charAs(e sql.Expression, to sql.Type) sql.Expression {
	return &TextAs{Child: toCommonChar(to, e), To: to}
}

// distinctChar drops the trailing blanks of a bpchar input of a set
// operation that removes duplicates when the column's type is bpchar
// without a length (char(n) inputs of different n): the duplicates are
// found by comparing the values, and bpchar's equality ignores those
// blanks. PostgreSQL keeps the padding of the value it keeps; here the
// kept value has none.
func distinctChar(e sql.Expression, to sql.Type) sql.Expression {
	if n, ok := pgtypes.BPChar(to); !ok || n > 0 {
		return e
	}
	if _, ok := pgtypes.BPChar(e.Type()); !ok {
		return e
	}
	return &TextAs{Child: NewBPCharTrim(e), To: e.Type()}
}
