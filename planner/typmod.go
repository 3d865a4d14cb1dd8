package planner

import (
	"context"
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/sqltypes"

	"openwit/planner/pgtypes"
)

// Typmod is the precision and scale of a numeric result column (PostgreSQL's
// type modifier of numeric(p,s)).
type Typmod struct {
	Precision int32
	Scale     int32
}

// NumericTypmods returns, for each result column, its precision and scale
// when the column is numeric (TypeOID 1700), and the zero Typmod for every
// other column. Gateways whose wire types carry the scale (Arrow
// Decimal128) need it before execution; the PostgreSQL wire does not.
//
// It plans the statement again, so callers should ask only when Columns has
// a numeric column. Values returned by Rows.Next for such a column may carry
// fewer fractional digits than Scale (decimal.Decimal drops trailing zeros),
// never more for plain column references; computed expressions are rounded by
// the engine to the scale it reports here.
func (p *Prepared) NumericTypmods(ctx context.Context) ([]Typmod, error) {
	if p.cols == nil {
		return nil, nil
	}
	out := make([]Typmod, len(p.cols))
	numeric := false
	for _, c := range p.cols {
		if c.TypeOID == pgtypes.OIDNumeric {
			numeric = true
		}
	}
	if !numeric {
		return out, nil
	}
	node, err := p.describePlan(p.s.sqlContext(ctx))
	if err != nil {
		return nil, err
	}
	schema := node.Schema()
	if len(schema) != len(p.cols) {
		return nil, fmt.Errorf("describe numeric columns: plan has %d columns, statement %d", len(schema), len(p.cols))
	}
	for i, c := range schema {
		if p.cols[i].TypeOID != pgtypes.OIDNumeric {
			continue
		}
		switch t := c.Type.(type) {
		case sql.DecimalType:
			out[i] = Typmod{Precision: int32(t.Precision()), Scale: int32(t.Scale())}
		default:
			if c.Type.Type() == sqltypes.Uint64 {
				out[i] = Typmod{Precision: 20}
			} else {
				out[i] = Typmod{Precision: 38, Scale: -1}
			}
		}
	}
	return out, nil
}
