package exec

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// CASE whose values are numeric or timestamps (design 091). A numeric
// CASE, Str "decimal(p,s)", has one scale for all its values: PostgreSQL
// gives each value of a CASE of numeric the display scale of the branch
// it came from, so the planner sends only a CASE whose branches share the
// scale s; each branch is a Decimal128 value of scale s and precision at
// most p, a numeric constant written with s fraction digits or, at scale
// 0, an integer constant. A timestamp CASE, Str "timestamp" or
// "timestamptz", takes values of exactly its Arrow type and timestamp
// constants.

// caseNumTSType parses the numeric and timestamp names of OpCase types.
func caseNumTSType(name string) (arrow.DataType, bool) {
	switch name {
	case "timestamp":
		return &arrow.TimestampType{Unit: arrow.Microsecond}, true
	case "timestamptz":
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, true
	}
	var p, s int32
	if n, err := fmt.Sscanf(name, "decimal(%d,%d)", &p, &s); err != nil || n != 2 || fmt.Sprintf("decimal(%d,%d)", p, s) != name {
		return nil, false
	}
	if p < 1 || p > maxDecPrecision || s < 0 || s > p {
		return nil, false
	}
	return &arrow.Decimal128Type{Precision: p, Scale: s}, true
}

// CaseDecimalType is the OpCase type name of a numeric CASE.
func CaseDecimalType(p, s int32) string { return fmt.Sprintf("decimal(%d,%d)", p, s) }

func isNumTSCase(dt arrow.DataType) bool {
	return dt.ID() == arrow.DECIMAL128 || dt.ID() == arrow.TIMESTAMP
}

func compileNumTSBranch(b caseBranch, a *Expr, schema *arrow.Schema, dt arrow.DataType) (caseBranch, error) {
	if a.Op == OpLit {
		l := a.Lit
		if l == nil {
			return b, fmt.Errorf("exec: literal without a value")
		}
		if l.Kind == LitNull {
			b.null = true
			return b, nil
		}
		switch t := dt.(type) {
		case *arrow.TimestampType:
			if l.Kind == LitTimestamp {
				b.i = l.I
				return b, nil
			}
		case *arrow.Decimal128Type:
			var v decimal128.Num
			var s int32
			switch l.Kind {
			case LitInt:
				v = decimal128.FromI64(l.I)
			case LitDecimal:
				var err error
				if v, s, err = parseDecimal(l.S); err != nil {
					return b, err
				}
			default:
				return b, unsupported("CASE branch %s in a CASE of %s", b.label, dt)
			}
			if s != t.Scale || !v.FitsInPrecision(t.Precision) {
				return b, unsupported("CASE branch %s in a CASE of %s", b.label, dt)
			}
			b.d = v
			return b, nil
		}
		return b, unsupported("CASE branch %s in a CASE of %s", b.label, dt)
	}
	v, err := compileValue(a, schema)
	if err != nil {
		return b, err
	}
	switch t := v.typ().(type) {
	case *arrow.TimestampType:
		if arrow.TypeEqual(t, dt) {
			b.v = v
			return b, nil
		}
	case *arrow.Decimal128Type:
		if d, ok := dt.(*arrow.Decimal128Type); ok && t.Scale == d.Scale && t.Precision <= d.Precision {
			b.v = v
			return b, nil
		}
	}
	return b, unsupported("CASE branch of %s in a CASE of %s", v.typ(), dt)
}

// evalNumTS builds a numeric or timestamp CASE's result: pick[i] is the
// branch of row i, arrs the evaluated value branches.
func (c *caseExpr) evalNumTS(mem memory.Allocator, pick []uint16, arrs []arrow.Array) (arrow.Array, error) {
	if c.dt.ID() == arrow.TIMESTAMP {
		vals, valid, err := pickCaseValues(c, pick, arrs, func(a arrow.Array) ([]arrow.Timestamp, bool) {
			x, ok := a.(*array.Timestamp)
			if !ok {
				return nil, false
			}
			return x.TimestampValues(), true
		}, func(br *caseBranch) arrow.Timestamp { return arrow.Timestamp(br.i) })
		if err != nil {
			return nil, err
		}
		b := array.NewTimestampBuilder(mem, c.dt.(*arrow.TimestampType))
		defer b.Release()
		b.AppendValues(vals, valid)
		return b.NewArray(), nil
	}
	vals, valid, err := pickCaseValues(c, pick, arrs, func(a arrow.Array) ([]decimal128.Num, bool) {
		x, ok := a.(*array.Decimal128)
		if !ok {
			return nil, false
		}
		return x.Values(), true
	}, func(br *caseBranch) decimal128.Num { return br.d })
	if err != nil {
		return nil, err
	}
	b := array.NewDecimal128Builder(mem, c.dt.(*arrow.Decimal128Type))
	defer b.Release()
	b.AppendValues(vals, valid)
	return b.NewArray(), nil
}

// pickCaseValues gathers row i's value from the branch pick[i]: a value
// branch's array (values read by valuesOf), a NULL, or a literal (lit).
func pickCaseValues[T any](c *caseExpr, pick []uint16, arrs []arrow.Array, valuesOf func(arrow.Array) ([]T, bool), lit func(*caseBranch) T) ([]T, []bool, error) {
	n := len(pick)
	get := make([][]T, len(arrs))
	for k, a := range arrs {
		if a == nil {
			continue
		}
		v, ok := valuesOf(a)
		if !ok {
			return nil, nil, unsupported("CASE branch of %s", a.DataType())
		}
		get[k] = v
	}
	vals := make([]T, n)
	valid := make([]bool, n)
	for i, k := range pick {
		br := &c.vals[k]
		switch {
		case br.v != nil:
			if arrs[k].IsNull(i) {
				continue
			}
			vals[i] = get[k][i]
		case br.null:
			continue
		default:
			vals[i] = lit(br)
		}
		valid[i] = true
	}
	return vals, valid, nil
}
