package pgexpr

import "openwit/planner/pgtypes"

// stringElems reports whether a and b are both text, varchar or bpchar:
// element types that cast implicitly into each other, so a function over
// anycompatiblearray (array_cat, ||, array_append, array_position ...)
// takes the first argument's (array_cat(text[], varchar[]) is text[],
// varchar[] || text[] varchar[]). The anyarray operators (@>, <@, &&)
// want one type and still fail.
func stringElems(a, b uint32) bool {
	str := func(o uint32) bool {
		return o == pgtypes.OIDText || o == pgtypes.OIDVarchar || o == pgtypes.OIDBPChar
	}
	return str(a) && str(b)
}
