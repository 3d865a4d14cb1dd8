package pgtypes

import (
	"fmt"

	"openwit/internal/pgerror"
	"openwit/storage"
)

// Category is PostgreSQL's type category of an OID (pg_type.typcategory):
// 'N' numeric, 'S' string, 'D' date/time, 'T' timespan, 'B' boolean, 'A'
// array, 'U' anything else (user-defined in PostgreSQL).
func Category(oid uint32) byte {
	switch oid {
	case OIDInt2, OIDInt4, OIDInt8, OIDNumeric, OIDFloat4, OIDFloat8, OIDOid:
		return 'N'
	case OIDText, OIDVarchar, OIDBPChar, OIDName:
		return 'S'
	case OIDDate, OIDTimestamp, OIDTimestampTZ, OIDTime:
		return 'D'
	case OIDBool:
		return 'B'
	case OIDInterval:
		return 'T'
	}
	if _, ok := ArrayElemOID(oid); ok {
		return 'A'
	}
	return 'U'
}

// implicitRank orders the types of a category by PostgreSQL's implicit
// casts: a type casts implicitly to every type of the same category with a
// higher rank and not back (int2 → int4 → int8 → numeric → float4 →
// float8; date → timestamp → timestamptz). The top of each chain is the
// category's preferred type. The string types are not a chain
// (castsOneWay).
func implicitRank(oid uint32) int {
	switch oid {
	case OIDInt2:
		return 1
	case OIDInt4, OIDOid:
		return 2
	case OIDInt8:
		return 3
	case OIDNumeric:
		return 4
	case OIDFloat4:
		return 5
	case OIDFloat8:
		return 6
	case OIDDate:
		return 1
	case OIDTimestamp:
		return 2
	case OIDTimestampTZ:
		return 3
	case OIDBPChar, OIDVarchar, OIDName:
		return 1
	case OIDText:
		return 2
	}
	return 0
}

// preferred reports PostgreSQL's preferred type of a category
// (pg_type.typispreferred).
func preferred(oid uint32) bool {
	switch oid {
	case OIDFloat8, OIDText, OIDTimestampTZ, OIDInterval, OIDBool:
		return true
	}
	return false
}

// CommonType resolves the type of a UNION/INTERSECT/EXCEPT column, a
// VALUES column, CASE results and the like as PostgreSQL's
// select_common_type does ("10.5 UNION, CASE, and Related Constructs"):
// unknown inputs (string literals and NULL; oid 0 or OIDUnknown) take the
// others' type, text when all are unknown; the other inputs must share a
// category (else 42804 "<construct> types a and b cannot be matched"); from
// left to right the candidate moves to an input type it casts to
// implicitly and that does not cast back, and stays on a preferred type.
func CommonType(construct string, oids []uint32) (uint32, error) {
	var cand uint32
	for _, o := range oids {
		if o == 0 || o == OIDUnknown {
			continue
		}
		if cand == 0 {
			cand = o
			continue
		}
		if o == cand {
			continue
		}
		if Category(o) != Category(cand) || Category(o) == 'U' || Category(o) == 'A' {
			return 0, pgerror.New(pgerror.DatatypeMismatch, "%s types %s and %s cannot be matched", construct, TypeName(cand), TypeName(o))
		}
		if !preferred(cand) && castsOneWay(cand, o) { // common_catmisc.go
			cand = o
		}
	}
	if cand == 0 {
		return OIDText, nil
	}
	return cand, nil
}

// CastName is the canonical type name (storage.Type*) a value is cast to
// for a type OID; "" when OpenWit has no cast to it.
func CastName(oid uint32) string {
	switch oid {
	case OIDNumeric:
		return fmt.Sprintf("numeric(%d,%d)", storage.DefaultNumericPrecision, storage.DefaultNumericScale)
	case OIDText, OIDVarchar, OIDBPChar:
		return storage.TypeText
	}
	if n := CanonicalName(oid); n != storage.TypeText {
		return n
	}
	return ""
}
