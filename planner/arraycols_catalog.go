package planner

import (
	"openwit/internal/pgerror"
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

// arrayBound is array_upper(a, dim) (upper) or array_lower(a, dim) of a
// one-dimensional array (lower bound 1): NULL for an empty array or another
// dimension. A catalog vector that is no array literal ("1 2") counts its
// fields.
func arrayBound(fn string, a []any, upper bool) (any, error) {
	s, ok := a[0].(string)
	if !ok {
		return nil, pgerror.New(pgerror.UndefinedFunction, "function %s(%T, integer) does not exist", fn, a[0])
	}
	dim, err := toInt64(a[1])
	if err != nil {
		return nil, err
	}
	n := 0
	if els, ok := pgtypes.ParseArray(s); ok {
		n = len(els)
	} else {
		n = len(arrayElems(s))
	}
	if dim != 1 || n == 0 {
		return nil, nil
	}
	if upper {
		return int32(n), nil
	}
	return int32(1), nil
}
