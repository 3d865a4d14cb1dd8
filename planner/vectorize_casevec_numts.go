package planner

import (
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"openwit/exec"
	"openwit/planner/pgtypes"
	"openwit/storage"
)

// CASE whose values are numeric or timestamps in the executor (design
// 091). PostgreSQL resolves a CASE of numeric branches to numeric, and
// each value keeps the display scale of the branch it came from (CASE
// WHEN p THEN a ELSE 0 END prints 1.50 and 0): the executor's CASE has one
// Decimal128 type, so only a CASE whose non-NULL branches share one scale
// is sent (numeric columns and numeric arithmetic of that scale, constants
// written with that many fraction digits, integers at scale 0). A
// timestamp or timestamptz CASE takes columns and constants of its own
// type only (mixing them converts in the session's time zone).

// caseNumTSType returns the executor's type name of a numeric or
// timestamp CASE whose branches the executor takes, or "".
func caseNumTSType(x sql.Expression, results []sql.Expression) string {
	t := x.Type()
	switch {
	case types.IsDecimal(t):
		p, s := int32(0), int32(-1)
		for _, r := range results {
			rp, rs, null, ok := caseNumBound(r)
			switch {
			case !ok:
				return ""
			case null:
				continue
			case s >= 0 && rs != s:
				return "" // values of several display scales
			}
			p, s = max(p, rp), rs
		}
		if s < 0 || (p == storage.DefaultNumericPrecision && s == storage.DefaultNumericScale) {
			return ""
		}
		return exec.CaseDecimalType(p, s)
	case pgtypes.IsTimestampTZ(t):
		if sameTimeKind(results, pgtypes.IsTimestampTZ) {
			return "timestamptz"
		}
	case types.IsDatetimeType(t) && t != types.Date:
		if sameTimeKind(results, func(rt sql.Type) bool { return types.IsDatetimeType(rt) && rt != types.Date }) {
			return "timestamp"
		}
	}
	return ""
}

// sameTimeKind reports whether every result is NULL or of a type is
// reports.
func sameTimeKind(results []sql.Expression, is func(sql.Type) bool) bool {
	for _, r := range results {
		if l, ok := r.(*expression.Literal); ok && l.Value() == nil {
			continue
		}
		if !is(r.Type()) {
			return false
		}
	}
	return true
}

// caseNumBound is the precision bound and scale of a numeric CASE result;
// null reports a NULL constant.
func caseNumBound(r sql.Expression) (p, s int32, null, ok bool) {
	l, neg := unNeg(r)
	if lit, isLit := l.(*expression.Literal); isLit {
		if lit.Value() == nil {
			return 0, 0, !neg, !neg
		}
		p, s, ok := numBound(lit)
		return p, s, false, ok && (types.IsDecimal(lit.Type()) || types.IsInteger(lit.Type()))
	}
	if gf, isGF := r.(*expression.GetField); isGF {
		if !types.IsDecimal(gf.Type()) {
			return 0, 0, false, false // an integer column converts at run time
		}
		dt := gf.Type().(sql.DecimalType)
		if dt.Precision() == storage.DefaultNumericPrecision && dt.Scale() == storage.DefaultNumericScale {
			return 0, 0, false, false
		}
	}
	p, s, ok = numBound(r)
	return p, s, false, ok && types.IsDecimal(r.Type())
}

// caseNumTSConst converts a constant result of a numeric or timestamp
// CASE to the executor's literal.
func caseNumTSConst(l *expression.Literal, neg bool, typ string) (*exec.Expr, bool) {
	switch v := l.Value().(type) {
	case nil:
		return exec.Null(), true
	case time.Time:
		tz := pgtypes.IsTimestampTZ(l.Type())
		if neg || (typ == "timestamptz") != tz || (!tz && !types.IsDatetimeType(l.Type())) {
			return nil, false
		}
		return exec.Timestamp(v), true
	case decimal.Decimal:
		if typ == "timestamp" || typ == "timestamptz" || !types.IsDecimal(l.Type()) {
			return nil, false
		}
		if neg {
			v = v.Neg()
		}
		return exec.Decimal(v.StringFixed(max(0, -v.Exponent()))), true
	default:
		k, ok := pgtypes.Int64(v)
		if !ok || !types.IsInteger(l.Type()) || typ == "timestamp" || typ == "timestamptz" {
			return nil, false
		}
		if neg {
			k = -k
		}
		return exec.Int(k), true
	}
}

// numericCaseSumArg compiles sum's argument when it is a numeric CASE:
// one whose values share a scale (the sum's scale), none of them an
// unconstrained numeric.
func (c *compiler) numericCaseSumArg(x sql.Expression) (*exec.Expr, bool) {
	ce, ok := x.(*expression.Case)
	if !ok || !types.IsDecimal(x.Type()) {
		return nil, false
	}
	var results []sql.Expression
	for _, b := range ce.Branches {
		results = append(results, b.Value)
	}
	if ce.Else != nil {
		results = append(results, ce.Else)
	}
	if caseNumTSType(x, results) == "" {
		return c.fail("sum of a CASE of numeric values of several scales"), true
	}
	return c.value(x), true
}
