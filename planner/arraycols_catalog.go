package planner

import (
	"openwit/planner/pgtypes"
	"openwit/storage"
)

// arrayColumnAttrs returns pg_attribute's attndims and attcollation of a
// user table's column of type colType (canonical) and OID oid: 1 and, for
// arrays of text types, the default collation (100), as PostgreSQL has
// them for an array column; 0 and coll for other columns.
func arrayColumnAttrs(colType string, oid uint32, coll int64) (int32, int64) {
	if _, ok := storage.ArrayElem(colType); !ok {
		return 0, coll
	}
	switch elem, _ := pgtypes.ArrayElemOID(oid); elem {
	case pgtypes.OIDText, pgtypes.OIDVarchar, pgtypes.OIDBPChar:
		coll = 100
	}
	return 1, coll
}

// arrayInfoSchema returns information_schema.columns' data_type and
// udt_name of an array column of type OID oid ("ARRAY", "_text"); ok is
// false for other types.
func arrayInfoSchema(oid uint32) (dataType, udt string, ok bool) {
	elem, ok := pgtypes.ArrayElemOID(oid)
	if !ok {
		return "", "", false
	}
	for _, t := range catalogTypes {
		if t.oid == elem {
			return "ARRAY", "_" + t.name, true
		}
	}
	return "", "", false
}

// arrayOfDoubles reports whether oid is an array type whose elements are
// double-aligned (int8[], float8[], the timestamps', time[], interval[]):
// PostgreSQL aligns such arrays on 8 bytes (typalign d).
func arrayOfDoubles(oid uint32) bool {
	elem, ok := pgtypes.ArrayElemOID(oid)
	if !ok {
		return false
	}
	switch elem {
	case pgtypes.OIDInt8, pgtypes.OIDFloat8, pgtypes.OIDTimestamp, pgtypes.OIDTimestampTZ, pgtypes.OIDTime, pgtypes.OIDInterval:
		return true
	}
	return false
}
