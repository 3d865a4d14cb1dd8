package planner

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/exec"
	"openwit/planner/pgexpr"
)

// Numeric division in the vectorized executor (design 096). The executor
// computes x / y exactly as PostgreSQL's numeric_div does (the value
// rounded at select_div_scale's scale for each row) but holds every row
// at one scale, so the row's own display scale, which PostgreSQL prints,
// is lost. The planner therefore sends a division only as an operand of a
// comparison (`amount / qty > 2.5`), where only the value counts; a
// division that is projected, aggregated or grouped stays in the row
// engine. The operands are those of numeric arithmetic (numeric(p,s) and
// integer columns, integer and numeric constants, + - * of them); the
// executor refuses (and the plan stays in the row engine) a division
// whose quotients may need more than 38 digits at that common scale.

// numDiv compiles a numeric division compared with something; ok is false
// when x is not one.
func (c *compiler) numDiv(x sql.Expression) (*exec.Expr, bool) {
	v, ok := x.(*pgexpr.Arith)
	if !ok || v.Op != "/" || v.Neg || !types.IsDecimal(x.Type()) {
		return nil, false
	}
	if !types.IsDecimal(v.Left.Type()) && !types.IsDecimal(v.Right.Type()) {
		return c.fail("division of %s by %s", v.Left.Type(), v.Right.Type()), true
	}
	return exec.Call(exec.OpNumDiv, c.numArithOperand(v.Left), c.numArithOperand(v.Right)), true
}
