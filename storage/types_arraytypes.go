package storage

// arrayOfTypmod reports whether elem is an element type with a type
// modifier that array columns take: numeric(p,s) and varchar(n)
// (docs/design/083).
func arrayOfTypmod(elem string) bool {
	if _, _, ok := NumericPrecisionScale(elem); ok {
		return true
	}
	base, n, ok := CharLength(elem)
	return ok && base == TypeVarchar && n > 0
}
