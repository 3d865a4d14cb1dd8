package catalog

import "fmt"

// maxCharLength is PostgreSQL's largest n in varchar(n) and char(n).
const maxCharLength = 10485760

// validCharType reports whether typ is a stored character type with a
// length or none: varchar, varchar(n), bpchar, bpchar(n) (char(n)), with
// 1 <= n <= 10485760 spelled without leading zeros.
func validCharType(typ string) bool {
	for _, base := range []string{"varchar", "bpchar"} {
		if typ == base {
			return true
		}
		var n int
		if k, err := fmt.Sscanf(typ, base+"(%d)", &n); err == nil && k == 1 && typ == fmt.Sprintf("%s(%d)", base, n) {
			return n >= 1 && n <= maxCharLength
		}
	}
	return false
}
