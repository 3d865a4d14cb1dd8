package exec

import (
	"cmp"
	"math"
	"math/big"
	"slices"
	"strings"
)

// This file is a reference implementation over plain Go values of what
// the executor computes, written for clarity rather than speed, to check
// the vectorized code against. It follows PostgreSQL: NULL is unknown,
// NaN equals NaN and sorts above every number, -0 equals 0, text compares
// bytewise, integers compare exactly with float constants.

// refLit returns the Go value of a literal.
func refLit(l *Lit) any {
	switch l.Kind {
	case LitInt, LitTimestamp:
		return l.I
	case LitFloat:
		return l.F
	case LitString:
		return l.S
	case LitBool:
		return l.B
	}
	return nil
}

// refValue evaluates a value expression.
func refValue(e *Expr, row []any) any {
	switch e.Op {
	case OpCol:
		return row[e.Col]
	case OpLit:
		return refLit(e.Lit)
	case OpDateTrunc:
		v := refValue(e.Args[0], row)
		if v == nil {
			return nil
		}
		unit := truncUnits[strings.ToLower(e.Str)]
		x := v.(int64)
		// floor to a multiple of unit
		q := x / unit
		if x%unit != 0 && x < 0 {
			q--
		}
		return q * unit
	}
	panic("refValue: " + string(e.Op))
}

// refFloatCmp orders floats the PostgreSQL way.
func refFloatCmp(a, b float64) int {
	switch {
	case math.IsNaN(a) && math.IsNaN(b):
		return 0
	case math.IsNaN(a):
		return 1
	case math.IsNaN(b):
		return -1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// refIntFloatCmp compares an integer with a float exactly.
func refIntFloatCmp(a int64, b float64) int {
	if math.IsNaN(b) {
		return -1
	}
	if math.IsInf(b, 1) {
		return -1
	}
	if math.IsInf(b, -1) {
		return 1
	}
	return new(big.Float).SetInt64(a).Cmp(new(big.Float).SetFloat64(b))
}

// refCompare orders two non-NULL values.
func refCompare(a, b any) int {
	switch x := a.(type) {
	case int64:
		switch y := b.(type) {
		case int64:
			return cmp.Compare(x, y)
		case float64:
			return refIntFloatCmp(x, y)
		}
	case float64:
		switch y := b.(type) {
		case float64:
			return refFloatCmp(x, y)
		case int64:
			return -refIntFloatCmp(y, x)
		}
	case string:
		return strings.Compare(x, b.(string))
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	}
	panic("refCompare")
}

func refCmpOp(c int, op Op) bool {
	switch op {
	case OpEq:
		return c == 0
	case OpNe:
		return c != 0
	case OpLt:
		return c < 0
	case OpLe:
		return c <= 0
	case OpGt:
		return c > 0
	case OpGe:
		return c >= 0
	}
	panic("refCmpOp")
}

// refEval evaluates a predicate: val is TRUE, null is NULL (val false).
func refEval(e *Expr, row []any) (val, null bool) {
	switch e.Op {
	case OpAnd:
		anyNull := false
		for _, a := range e.Args {
			v, n := refEval(a, row)
			if !v && !n {
				return false, false
			}
			anyNull = anyNull || n
		}
		return !anyNull, anyNull
	case OpOr:
		anyNull := false
		for _, a := range e.Args {
			v, n := refEval(a, row)
			if v {
				return true, false
			}
			anyNull = anyNull || n
		}
		return false, anyNull
	case OpNot:
		v, n := refEval(e.Args[0], row)
		if n {
			return false, true
		}
		return !v, false
	case OpIsNull:
		return refValue(e.Args[0], row) == nil, false
	case OpIsNotNull:
		return refValue(e.Args[0], row) != nil, false
	case OpLike:
		v := refValue(e.Args[0], row)
		if v == nil {
			return false, true
		}
		return refLike(v.(string), e.Str, e.Escape), false
	case OpLit:
		if e.Lit.Kind == LitNull {
			return false, true
		}
		return e.Lit.B, false
	case OpCol:
		v := row[e.Col]
		if v == nil {
			return false, true
		}
		return v.(bool), false
	case OpEq, OpNe, OpLt, OpLe, OpGt, OpGe:
		a, b := refValue(e.Args[0], row), refValue(e.Args[1], row)
		if a == nil || b == nil {
			return false, true
		}
		return refCmpOp(refCompare(a, b), e.Op), false
	}
	panic("refEval: " + string(e.Op))
}

// refLike matches s against a LIKE pattern by backtracking over runes.
func refLike(s, pattern, escape string) bool {
	type tok struct {
		r    rune
		kind byte // 'l' literal, '%', '_'
	}
	var esc rune = -1
	if escape != "" {
		esc = []rune(escape)[0]
	}
	var toks []tok
	pr := []rune(pattern)
	for i := 0; i < len(pr); i++ {
		switch {
		case pr[i] == esc && i+1 < len(pr):
			i++
			toks = append(toks, tok{r: pr[i], kind: 'l'})
		case pr[i] == '%':
			toks = append(toks, tok{kind: '%'})
		case pr[i] == '_':
			toks = append(toks, tok{kind: '_'})
		default:
			toks = append(toks, tok{r: pr[i], kind: 'l'})
		}
	}
	sr := []rune(s)
	// memo[i][j]: toks[i:] matches sr[j:]
	memo := map[[2]int]bool{}
	var match func(i, j int) bool
	match = func(i, j int) bool {
		if i == len(toks) {
			return j == len(sr)
		}
		key := [2]int{i, j}
		if v, ok := memo[key]; ok {
			return v
		}
		var res bool
		switch toks[i].kind {
		case '%':
			for k := j; k <= len(sr) && !res; k++ {
				res = match(i+1, k)
			}
		case '_':
			res = j < len(sr) && match(i+1, j+1)
		default:
			res = j < len(sr) && sr[j] == toks[i].r && match(i+1, j+1)
		}
		memo[key] = res
		return res
	}
	return match(0, 0)
}

// refFilter returns the rows for which e is TRUE.
func refFilter(e *Expr, rows [][]any) [][]any {
	var out [][]any
	for _, r := range rows {
		if e == nil {
			out = append(out, r)
			continue
		}
		if v, _ := refEval(e, r); v {
			out = append(out, r)
		}
	}
	return out
}

// refProject keeps the named columns of rows.
func refProject(rows [][]any, cols []int) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		p := make([]any, len(cols))
		for j, c := range cols {
			p[j] = r[c]
		}
		out[i] = p
	}
	return out
}

// refGroupKey is the grouping identity of a value: -0 and 0 are one key,
// all NaNs are one key, NULL is its own key.
func refGroupKey(v any) string {
	if f, ok := v.(float64); ok {
		if f == 0 {
			return "f0"
		}
		if math.IsNaN(f) {
			return "NaN"
		}
	}
	return fmtValue(v)
}

// refAgg computes spec over rows in arrival order; each output row is
// the aggregates of one group, groups in order of first appearance.
func refAgg(spec *AggSpec, rows [][]any) [][]any {
	type group struct {
		rows [][]any
	}
	var order []string
	groups := map[string]*group{}
	if len(spec.Keys) == 0 {
		order = []string{""}
		groups[""] = &group{}
	}
	for _, r := range rows {
		var kb strings.Builder
		for _, k := range spec.Keys {
			kb.WriteString(refGroupKey(refValue(k, r)))
			kb.WriteString("|")
		}
		k := kb.String()
		g, ok := groups[k]
		if !ok {
			g = &group{}
			groups[k] = g
			order = append(order, k)
		}
		g.rows = append(g.rows, r)
	}
	out := make([][]any, 0, len(order))
	for _, k := range order {
		g := groups[k]
		row := make([]any, len(spec.Aggs))
		for i, a := range spec.Aggs {
			row[i] = refAggregate(a, g.rows)
		}
		out = append(out, row)
	}
	return out
}

// refIsIntType reports whether sum of the argument is exact.
func refAggregate(a Agg, rows [][]any) any {
	var vals []any
	if a.Func != AggCountStar {
		for _, r := range rows {
			vals = append(vals, refValue(a.Arg, r))
		}
	}
	nonNull := slices.DeleteFunc(slices.Clone(vals), func(v any) bool { return v == nil })
	switch a.Func {
	case AggCountStar:
		return int64(len(rows))
	case AggCount:
		return int64(len(nonNull))
	case AggSum:
		if len(nonNull) == 0 {
			return nil
		}
		if _, ok := nonNull[0].(int64); ok {
			s := new(big.Int)
			for _, v := range nonNull {
				s.Add(s, big.NewInt(v.(int64)))
			}
			return decOf(s)
		}
		s := 0.0
		for _, v := range nonNull {
			s += v.(float64)
		}
		return s
	case AggMin, AggMax:
		if len(nonNull) == 0 {
			return nil
		}
		best := nonNull[0]
		for _, v := range nonNull[1:] {
			c := refCompare(v, best)
			if (a.Func == AggMin && c < 0) || (a.Func == AggMax && c > 0) {
				best = v
			}
		}
		return best
	case AggFirst:
		if len(vals) == 0 {
			return nil
		}
		return vals[0]
	case AggCountDistinct:
		seen := map[string]bool{}
		for _, v := range nonNull {
			seen[refGroupKey(v)] = true
		}
		return int64(len(seen))
	case AggList:
		if len(rows) == 0 {
			return nil
		}
		out := make([]any, len(vals))
		for i, v := range vals {
			switch x := v.(type) {
			case int64:
				out[i] = float64(x)
			default:
				out[i] = x
			}
		}
		return out
	}
	panic("refAggregate")
}

// refOrder compares two rows by keys.
func refOrder(a, b []any, keys []SortKey) int {
	for _, k := range keys {
		x, y := a[k.Col], b[k.Col]
		var c int
		switch {
		case x == nil && y == nil:
			c = 0
		case x == nil:
			c = 1
			if k.NullsFirst {
				c = -1
			}
		case y == nil:
			c = -1
			if k.NullsFirst {
				c = 1
			}
		default:
			c = refCompare(x, y)
			if k.Desc {
				c = -c
			}
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// refTopK returns the first k rows in the order of keys, ties in arrival
// order.
func refTopK(rows [][]any, spec *TopKSpec) [][]any {
	s := slices.Clone(rows)
	slices.SortStableFunc(s, func(a, b []any) int { return refOrder(a, b, spec.Keys) })
	if int64(len(s)) > spec.K {
		s = s[:spec.K]
	}
	return s
}
