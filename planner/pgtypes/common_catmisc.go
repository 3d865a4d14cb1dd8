package pgtypes

// castsOneWay reports whether from casts implicitly to to and to does not
// cast implicitly back (pg_cast castcontext 'i'), the condition on which
// select_common_type moves its candidate from from to to. text, varchar
// and bpchar cast implicitly into each other, so among them the first
// input's type stays (varchar UNION text is varchar, text UNION varchar
// text); varchar and bpchar cast implicitly to name, which casts back
// only by assignment. The other categories are chains (implicitRank).
func castsOneWay(from, to uint32) bool {
	if Category(from) == 'S' {
		return (from == OIDVarchar || from == OIDBPChar) && to == OIDName
	}
	return implicitRank(from) < implicitRank(to)
}
