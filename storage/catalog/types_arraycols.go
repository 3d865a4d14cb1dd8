package catalog

import "strings"

// validArrayType reports whether typ is a one-dimensional array column
// type ("text[]") of an element type the catalog knows and that is no
// array itself.
func validArrayType(typ string) bool {
	elem, ok := strings.CutSuffix(typ, "[]")
	return ok && !strings.HasSuffix(elem, "[]") && validType(elem)
}
