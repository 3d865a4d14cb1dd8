package planner

import "openwit/planner/pgtypes"

// typStorage is pg_type.typstorage (and pg_attribute.attstorage) of a
// type as PostgreSQL 15 has it: "x" (extended: compressed and moved out of
// line) for variable-length types, "m" (main) for numeric, "p" (plain)
// for fixed-length ones.
func typStorage(oid uint32, size int16) string {
	switch {
	case oid == pgtypes.OIDNumeric, oid == pgtypes.OIDInet, oid == pgtypes.OIDCIDR:
		return "m"
	case size < 0:
		return "x"
	}
	return "p"
}

// typAlign is pg_type.typalign (and pg_attribute.attalign) as PostgreSQL
// 15 has it: "c" for bool and name, "s" for int2, "d" for the 8- and
// 16-byte types, "i" for the rest.
func typAlign(oid uint32, size int16) string {
	switch {
	case oid == pgtypes.OIDBool || oid == pgtypes.OIDName || oid == pgtypes.OIDUUID:
		return "c"
	case oid == pgtypes.OIDInt2:
		return "s"
	case size == 8 || size == 16, arrayOfDoubles(oid):
		return "d"
	}
	return "i"
}
