package planner

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
)

// Array types in pg_type: every base type of catalogTypes has an array
// type named _name with PostgreSQL's OID, typcategory 'A', typelem the
// base type, and array_in/array_out for I/O; the base type's typarray
// points to it.

// arrayOIDs maps a base type's OID to its array type's OID (PostgreSQL's).
var arrayOIDs = map[uint32]uint32{
	16: 1000, 17: 1001, 19: 1003, 20: 1016, 21: 1005, 23: 1007, 25: 1009, 26: 1028, 114: 199,
	700: 1021, 701: 1022, 1042: 1014, 1043: 1015, 1082: 1182, 1083: 1183, 1114: 1115, 1184: 1185, 1186: 1187, 1700: 1231, 3802: 3807,
	2950: 2951, 869: 1041, 650: 651,
}

// arrayElemOID returns the element type of an array type OID.
func arrayElemOID(oid int64) (int64, bool) {
	for elem, arr := range arrayOIDs {
		if int64(arr) == oid {
			return int64(elem), true
		}
	}
	return 0, false
}

// arrayTypeOID resolves an array type name (_int4, integer[]) to its OID.
func arrayTypeOID(name string) (int64, bool) {
	var elem int64
	var ok bool
	switch {
	case strings.HasSuffix(name, "[]"):
		elem, ok = typeOID(strings.TrimSuffix(name, "[]"))
	case strings.HasPrefix(name, "_"):
		for _, t := range catalogTypes {
			if "_"+t.name == name {
				elem, ok = int64(t.oid), true
			}
		}
	}
	if !ok {
		return 0, false
	}
	arr, ok := arrayOIDs[uint32(elem)]
	return int64(arr), ok
}

// pgTypeArrayRow is the pg_type row of the array type of t; align is the
// base type's typalign.
func pgTypeArrayRow(t pgType, align string) sql.Row {
	if align != "d" {
		align = "i" // an array is int-aligned unless its elements are double-aligned
	}
	coll := int64(0)
	if t.category == "S" {
		coll = 100
	}
	return sql.Row{int64(arrayOIDs[t.oid]), "_" + t.name, int64(oidPgCatalog), int64(oidUser),
		int16(-1), int8(0), "b", "A", int8(0), int8(1),
		",", int64(0), "array_subscript_handler", int64(t.oid), int64(0), "array_in",
		"array_out", "array_recv", "array_send", "-", "-", "array_typanalyze",
		align, "x", int8(0), int64(0), int32(-1), int32(0),
		coll, nil, nil, nil}
}
