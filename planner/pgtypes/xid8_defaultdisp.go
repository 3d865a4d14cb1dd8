package pgtypes

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// OIDXid8 is the OID of PostgreSQL's xid8, the 64-bit transaction id
// pg_current_xact_id() returns.
const OIDXid8 = 5069

// Xid8Type is the engine type of xid8 values: a bigint underneath (values
// compare as integers and cast to text as digits), OID 5069 to clients
// and pg_typeof.
var Xid8Type sql.Type = xid8Type{NumberType: types.Int64}

type xid8Type struct{ sql.NumberType }

// Equals implements sql.Type: only xid8 is xid8.
func (xid8Type) Equals(o sql.Type) bool { _, ok := o.(xid8Type); return ok }

// String implements sql.Type.
func (xid8Type) String() string { return "xid8" }

// IsXid8 reports whether t is xid8.
func IsXid8(t sql.Type) bool { _, ok := t.(xid8Type); return ok }
