package planner

import (
	"github.com/dolthub/go-mysql-server/sql"

	"openwit/exec"
	"openwit/planner/pgexpr"
)

// groupValue compiles a GROUP BY key, a group's first value or a
// count(DISTINCT) argument: values that are only compared for equality. An
// inet/cidr column is its stored canonical text there, whose equality is
// network_cmp's (design 077); its order is not, so c.value refuses it
// elsewhere (docs/design/082-case-and-zone-keys.md).
func (c *compiler) groupValue(x sql.Expression) *exec.Expr {
	if t, ok := x.(*pgexpr.InetText); ok {
		// count(DISTINCT ip) counts the text forms (rules_uuidinet.go).
		x = t.Child
	}
	if col, ok := c.inetColumn(x); ok {
		return col
	}
	return c.value(x)
}
