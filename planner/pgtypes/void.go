package pgtypes

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// OIDVoid is the OID of PostgreSQL's pseudo-type void, the result of
// functions that return nothing (pg_sleep).
const OIDVoid = 2278

// VoidType is the engine type of void results: text whose only value is
// the empty string (void_out prints nothing), so casts to text, the
// encoders and psql see an empty value, and clients see OID 2278.
var VoidType sql.Type = voidType{StringType: types.LongText}

type voidType struct{ sql.StringType }

// Equals implements sql.Type: only void is void.
func (voidType) Equals(o sql.Type) bool { _, ok := o.(voidType); return ok }

// String implements sql.Type.
func (voidType) String() string { return "void" }

// IsVoid reports whether t is the void pseudo-type.
func IsVoid(t sql.Type) bool { _, ok := t.(voidType); return ok }
