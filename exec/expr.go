package exec

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/internal/jsonscan"
	"openwit/storage/index"
)

// ErrUnsupported marks an expression or plan the executor cannot run; the
// planner keeps such a plan in the row engine.
var ErrUnsupported = errors.New("exec: not supported")

func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnsupported, fmt.Sprintf(format, args...))
}

// Op names an expression node.
type Op string

// Expression operators.
const (
	OpCol       Op = "col"         // column Col of the input
	OpLit       Op = "lit"         // the literal Lit
	OpEq        Op = "eq"          // Args[0] = Args[1]
	OpNe        Op = "ne"          // <>
	OpLt        Op = "lt"          // <
	OpLe        Op = "le"          // <=
	OpGt        Op = "gt"          // >
	OpGe        Op = "ge"          // >=
	OpAnd       Op = "and"         // three-valued AND of Args
	OpOr        Op = "or"          // three-valued OR of Args
	OpNot       Op = "not"         // three-valued NOT Args[0]
	OpIsNull    Op = "is_null"     // Args[0] IS NULL
	OpIsNotNull Op = "is_not_null" // Args[0] IS NOT NULL
	OpLike      Op = "like"        // Args[0] LIKE Str (escape Escape)
	OpDateTrunc Op = "date_trunc"  // date_trunc(Str, Args[0]) in UTC
	OpRTrim     Op = "rtrim"       // Args[0] without trailing blanks (char(n) as text)
	// OpMatch is match(Args[0], Str): every word of Str is a word of
	// Args[0] (words as index.Tokens splits them).
	OpMatch Op = "match"
)

// Expr is a serializable expression over the columns of a batch.
type Expr struct {
	Op   Op      `json:"op"`
	Col  int     `json:"col,omitempty"`
	Lit  *Lit    `json:"lit,omitempty"`
	Args []*Expr `json:"args,omitempty"`
	// Str is the LIKE pattern or the date_trunc unit.
	Str string `json:"str,omitempty"`
	// Escape is the LIKE escape character ("" means none).
	Escape string `json:"escape,omitempty"`
	// Fold makes LIKE compare strings.ToLower of Args[0] (ILIKE, whose
	// pattern the planner lowers).
	Fold bool `json:"fold,omitempty"`
	// Zone is the IANA time zone of OpZoneTrunc.
	Zone string `json:"zone,omitempty"`
	// Path is the path of OpJSONGet; Text makes it ->> (or #>>).
	Path []jsonscan.Step `json:"path,omitempty"`
	Text bool            `json:"text,omitempty"`
	// All makes OpArrayAny ALL; Elems is the constant array of @>, <@
	// and &&; Index is OpArrayElem's subscript (expr_arrayvec.go).
	All   bool   `json:"all,omitempty"`
	Elems []*Lit `json:"elems,omitempty"`
	Index int64  `json:"index,omitempty"`
}

// LitKind is the type of a literal.
type LitKind string

// Literal kinds.
const (
	LitNull      LitKind = "null"
	LitInt       LitKind = "int"       // I
	LitFloat     LitKind = "float"     // F
	LitString    LitKind = "string"    // S
	LitBool      LitKind = "bool"      // B
	LitTimestamp LitKind = "timestamp" // I: Unix microseconds
)

// Lit is a constant.
type Lit struct {
	Kind LitKind `json:"kind"`
	I    int64   `json:"i,omitempty"`
	F    float64 `json:"f,omitempty"`
	S    string  `json:"s,omitempty"`
	B    bool    `json:"b,omitempty"`
}

// Col returns a column reference.
func Col(i int) *Expr { return &Expr{Op: OpCol, Col: i} }

// Call returns an operator node.
func Call(op Op, args ...*Expr) *Expr { return &Expr{Op: op, Args: args} }

// Int, Float, Str, Timestamp and Null return literals.
func Int(v int64) *Expr     { return &Expr{Op: OpLit, Lit: &Lit{Kind: LitInt, I: v}} }
func Float(v float64) *Expr { return &Expr{Op: OpLit, Lit: &Lit{Kind: LitFloat, F: v}} }
func Str(v string) *Expr    { return &Expr{Op: OpLit, Lit: &Lit{Kind: LitString, S: v}} }
func Bool(v bool) *Expr     { return &Expr{Op: OpLit, Lit: &Lit{Kind: LitBool, B: v}} }
func Timestamp(t time.Time) *Expr {
	return &Expr{Op: OpLit, Lit: &Lit{Kind: LitTimestamp, I: t.UnixMicro()}}
}
func Null() *Expr { return &Expr{Op: OpLit, Lit: &Lit{Kind: LitNull}} }

// Columns adds the input columns e reads to out.
func (e *Expr) Columns(out map[int]bool) {
	if e == nil {
		return
	}
	if e.Op == OpCol {
		out[e.Col] = true
	}
	for _, a := range e.Args {
		a.Columns(out)
	}
}

// Remap returns a copy of e reading column m[i] wherever e reads column i.
func (e *Expr) Remap(m map[int]int) *Expr {
	c := *e
	if c.Op == OpCol {
		c.Col = m[c.Col]
	}
	if len(e.Args) > 0 {
		c.Args = make([]*Expr, len(e.Args))
		for i, a := range e.Args {
			c.Args[i] = a.Remap(m)
		}
	}
	return &c
}

// String renders the expression for EXPLAIN; names are the input column
// names (nil: $n).
func (e *Expr) String() string { return e.format(nil) }

// Format renders the expression with column names.
func (e *Expr) Format(names []string) string { return e.format(names) }

func (e *Expr) format(names []string) string {
	if e == nil {
		return "<nil>"
	}
	switch e.Op {
	case OpCol:
		if e.Col >= 0 && e.Col < len(names) {
			return names[e.Col]
		}
		return fmt.Sprintf("$%d", e.Col)
	case OpLit:
		switch e.Lit.Kind {
		case LitNull:
			return "NULL"
		case LitInt:
			return fmt.Sprint(e.Lit.I)
		case LitFloat:
			return fmt.Sprint(e.Lit.F)
		case LitString:
			return "'" + strings.ReplaceAll(e.Lit.S, "'", "''") + "'"
		case LitBool:
			return fmt.Sprint(e.Lit.B)
		case LitTimestamp:
			return "'" + time.UnixMicro(e.Lit.I).UTC().Format("2006-01-02 15:04:05.999999Z07") + "'"
		case LitDecimal:
			return formatDecimalLit(e.Lit)
		}
	case OpAnd, OpOr:
		parts := make([]string, len(e.Args))
		for i, a := range e.Args {
			parts[i] = a.format(names)
		}
		return "(" + strings.Join(parts, " "+strings.ToUpper(string(e.Op))+" ") + ")"
	case OpNot:
		return "NOT " + e.Args[0].format(names)
	case OpIsNull:
		return e.Args[0].format(names) + " IS NULL"
	case OpIsNotNull:
		return e.Args[0].format(names) + " IS NOT NULL"
	case OpLike:
		if e.Fold {
			return "lower(" + e.Args[0].format(names) + ") LIKE '" + e.Str + "'"
		}
		return e.Args[0].format(names) + " LIKE '" + e.Str + "'"
	case OpMatch:
		return "match(" + e.Args[0].format(names) + ", '" + strings.ReplaceAll(e.Str, "'", "''") + "')"
	case OpDateTrunc:
		return "date_trunc('" + e.Str + "', " + e.Args[0].format(names) + ")"
	case OpRTrim:
		return "rtrim(" + e.Args[0].format(names) + ")"
	case OpTimeBin:
		return formatTimeBin(e, names)
	case OpZoneTrunc:
		return "date_trunc('" + e.Str + "', " + e.Args[0].format(names) + ", '" + e.Zone + "')"
	case OpCase:
		return formatCase(e, names)
	case OpCaseWhen:
		if len(e.Args) == 3 {
			return "CASE WHEN " + e.Args[0].format(names) + " THEN " + e.Args[1].format(names) + " ELSE " + e.Args[2].format(names) + " END"
		}
		if len(e.Args) == 2 {
			return "CASE WHEN " + e.Args[0].format(names) + " THEN " + e.Args[1].format(names) + " END"
		}
		return "CASE WHEN " + e.Args[0].format(names) + " THEN true END"
	}
	if s, ok := formatJSONVec(e, names); ok {
		return s
	}
	if s, ok := formatArrayVec(e, names); ok {
		return s
	}
	if s, ok := formatInetVec(e, names); ok {
		return s
	}
	if s, ok := formatZonePart(e, names); ok {
		return s
	}
	if s, ok := formatNumArith(e, names); ok {
		return s
	}
	if sym, ok := cmpSymbols[e.Op]; ok && len(e.Args) == 2 {
		return e.Args[0].format(names) + " " + sym + " " + e.Args[1].format(names)
	}
	return string(e.Op)
}

var cmpSymbols = map[Op]string{OpEq: "=", OpNe: "<>", OpLt: "<", OpLe: "<=", OpGt: ">", OpGe: ">="}

// value is a compiled expression producing an array (or a constant).
type value interface {
	// typ is the Arrow type of the result.
	typ() arrow.DataType
	// eval returns the result for rec; the caller releases it.
	eval(mem memory.Allocator, rec arrow.RecordBatch) (arrow.Array, error)
}

// predicate is a compiled boolean expression.
type predicate interface {
	// test sets out[i] to whether row i is TRUE (not FALSE, not NULL) and,
	// when null is non-nil, null[i] to whether it is NULL.
	test(mem memory.Allocator, rec arrow.RecordBatch, out, null []bool) error
}

func compileValue(e *Expr, schema *arrow.Schema) (value, error) {
	switch e.Op {
	case OpCol:
		if e.Col < 0 || e.Col >= schema.NumFields() {
			return nil, fmt.Errorf("exec: column %d out of range (%d columns)", e.Col, schema.NumFields())
		}
		return &colValue{idx: e.Col, dt: schema.Field(e.Col).Type}, nil
	case OpDateTrunc:
		if len(e.Args) != 1 {
			return nil, fmt.Errorf("exec: date_trunc takes 1 argument")
		}
		arg, err := compileValue(e.Args[0], schema)
		if err != nil {
			return nil, err
		}
		if arg.typ().ID() != arrow.TIMESTAMP {
			return nil, unsupported("date_trunc of %s", arg.typ())
		}
		unit, ok := truncUnits[strings.ToLower(e.Str)]
		if !ok {
			return nil, unsupported("date_trunc unit %q", e.Str)
		}
		return &dateTrunc{arg: arg, unit: unit}, nil
	case OpRTrim:
		return compileRTrim(e, schema)
	case OpTimeBin:
		return compileTimeBin(e, schema)
	case OpCaseWhen:
		return compileCaseWhen(e, schema)
	case OpCase:
		return compileCase(e, schema)
	case OpZoneTrunc:
		return compileZoneTrunc(e, schema)
	case OpZonePart:
		return compileZonePart(e, schema)
	case OpJSONGet, OpCast:
		return compileJSONValue(e, schema)
	case OpArrayElem, OpArrayLength:
		return compileArrayValue(e, schema)
	case OpInetFunc:
		return compileInetValue(e, schema)
	case OpNumAdd, OpNumSub, OpNumMul, OpNumNeg, OpNumAbs:
		return compileNumArith(e, schema)
	case OpNumDiv:
		return compileNumDiv(e, schema) // expr_numdiv.go
	}
	return nil, unsupported("value expression %s", e.Op)
}

type colValue struct {
	idx int
	dt  arrow.DataType
}

func (c *colValue) typ() arrow.DataType { return c.dt }
func (c *colValue) eval(_ memory.Allocator, rec arrow.RecordBatch) (arrow.Array, error) {
	a := rec.Column(c.idx)
	a.Retain()
	return a, nil
}

// truncUnits are the date_trunc units with a fixed width in microseconds;
// day is exact because date_trunc here works in UTC.
var truncUnits = map[string]int64{
	"microseconds": 1, "milliseconds": 1000, "second": 1e6, "minute": 60e6, "hour": 3600e6, "day": 86400e6,
}

type dateTrunc struct {
	arg  value
	unit int64
}

func (d *dateTrunc) typ() arrow.DataType { return d.arg.typ() }
func (d *dateTrunc) eval(mem memory.Allocator, rec arrow.RecordBatch) (arrow.Array, error) {
	in, err := d.arg.eval(mem, rec)
	if err != nil {
		return nil, err
	}
	defer in.Release()
	ts := in.(*array.Timestamp)
	b := array.NewTimestampBuilder(mem, d.arg.typ().(*arrow.TimestampType))
	defer b.Release()
	b.Reserve(ts.Len())
	vals := ts.TimestampValues()
	for i, v := range vals {
		if ts.IsNull(i) {
			b.UnsafeAppendBoolToBitmap(false)
			continue
		}
		x := int64(v)
		r := x % d.unit
		if r < 0 {
			r += d.unit
		}
		b.UnsafeAppend(arrow.Timestamp(x - r))
	}
	return b.NewArray(), nil
}

// compilePredicate compiles a boolean expression.
func compilePredicate(e *Expr, schema *arrow.Schema) (predicate, error) {
	switch e.Op {
	case OpAnd, OpOr:
		if len(e.Args) == 0 {
			return nil, fmt.Errorf("exec: %s without arguments", e.Op)
		}
		ps := make([]predicate, len(e.Args))
		for i, a := range e.Args {
			p, err := compilePredicate(a, schema)
			if err != nil {
				return nil, err
			}
			if i > 0 && mayFail(a) {
				p = &lazyArg{p: p}
			}
			ps[i] = p
		}
		return &logical{and: e.Op == OpAnd, args: ps}, nil
	case OpNot:
		p, err := compilePredicate(e.Args[0], schema)
		if err != nil {
			return nil, err
		}
		return &not{arg: p}, nil
	case OpIsNull, OpIsNotNull:
		v, err := compileValue(e.Args[0], schema)
		if err != nil {
			return nil, err
		}
		return &isNull{arg: v, negate: e.Op == OpIsNotNull}, nil
	case OpLike, OpMatch:
		v, err := compileValue(e.Args[0], schema)
		if err != nil {
			return nil, err
		}
		if v.typ().ID() != arrow.STRING {
			return nil, unsupported("%s on %s", e.Op, v.typ())
		}
		if e.Op == OpMatch {
			return &like{arg: v, match: matchWords(e.Str)}, nil
		}
		m, err := compileLike(e.Str, e.Escape)
		if err != nil {
			return nil, err
		}
		if e.Fold {
			cs := m
			m = func(s string) bool { return cs(strings.ToLower(s)) }
		}
		return &like{arg: v, match: m}, nil
	case OpLit:
		if e.Lit.Kind == LitBool {
			return &constPred{val: e.Lit.B}, nil
		}
		if e.Lit.Kind == LitNull {
			return &constPred{null: true}, nil
		}
	case OpCol:
		if e.Col >= 0 && e.Col < schema.NumFields() && schema.Field(e.Col).Type.ID() == arrow.BOOL {
			return &boolCol{idx: e.Col}, nil
		}
	case OpEq, OpNe, OpLt, OpLe, OpGt, OpGe:
		if p, ok, err := compileJSONCompare(e, schema); ok || err != nil {
			return p, err
		}
		return compileCompare(e, schema)
	case OpJSONHas, OpJSONContains:
		return compileJSONPredicate(e, schema)
	case OpArrayAny, OpArrayContains, OpArrayContained, OpArrayOverlap:
		return compileArrayPredicate(e, schema)
	case OpInetCmp:
		return compileInetPredicate(e, schema)
	}
	return nil, unsupported("predicate %s", e.Op)
}

type constPred struct{ val, null bool }

func (c *constPred) test(mem memory.Allocator, rec arrow.RecordBatch, out, null []bool) error {
	for i := range out {
		out[i] = c.val && !c.null
	}
	if null != nil {
		for i := range null {
			null[i] = c.null
		}
	}
	return nil
}

type boolCol struct{ idx int }

func (b *boolCol) test(mem memory.Allocator, rec arrow.RecordBatch, out, null []bool) error {
	a := rec.Column(b.idx).(*array.Boolean)
	for i := range out {
		n := a.IsNull(i)
		out[i] = !n && a.Value(i)
		if null != nil {
			null[i] = n
		}
	}
	return nil
}

type logical struct {
	and  bool
	args []predicate
}

func (l *logical) test(mem memory.Allocator, rec arrow.RecordBatch, out, null []bool) error {
	n := len(out)
	tOut, tNull := make([]bool, n), make([]bool, n)
	// acc: out = definitely TRUE; accNull = NULL so far.
	accNull := null
	if accNull == nil {
		accNull = make([]bool, n)
	}
	if err := l.args[0].test(mem, rec, out, accNull); err != nil {
		return err
	}
	for _, a := range l.args[1:] {
		var err error
		if la, ok := a.(*lazyArg); ok {
			open := make([]bool, n)
			for i := range open {
				open[i] = (l.and && (out[i] || accNull[i])) || (!l.and && !out[i])
			}
			err = la.testOpen(mem, rec, open, tOut, tNull)
		} else {
			err = a.test(mem, rec, tOut, tNull)
		}
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			if l.and {
				// FALSE wins, then NULL, then TRUE.
				aFalse := !out[i] && !accNull[i]
				bFalse := !tOut[i] && !tNull[i]
				switch {
				case aFalse || bFalse:
					out[i], accNull[i] = false, false
				case accNull[i] || tNull[i]:
					out[i], accNull[i] = false, true
				default:
					out[i] = true
				}
			} else {
				switch {
				case out[i] || tOut[i]:
					out[i], accNull[i] = true, false
				case accNull[i] || tNull[i]:
					out[i], accNull[i] = false, true
				default:
					out[i], accNull[i] = false, false
				}
			}
		}
	}
	return nil
}

type not struct{ arg predicate }

func (p *not) test(mem memory.Allocator, rec arrow.RecordBatch, out, null []bool) error {
	nl := null
	if nl == nil {
		nl = make([]bool, len(out))
	}
	if err := p.arg.test(mem, rec, out, nl); err != nil {
		return err
	}
	for i := range out {
		out[i] = !out[i] && !nl[i]
	}
	return nil
}

type isNull struct {
	arg    value
	negate bool
}

func (p *isNull) test(mem memory.Allocator, rec arrow.RecordBatch, out, null []bool) error {
	a, err := p.arg.eval(mem, rec)
	if err != nil {
		return err
	}
	defer a.Release()
	for i := range out {
		out[i] = a.IsNull(i) != p.negate
	}
	if null != nil {
		clear(null)
	}
	return nil
}

type like struct {
	arg   value
	match func(string) bool
}

func (p *like) test(mem memory.Allocator, rec arrow.RecordBatch, out, null []bool) error {
	a, sc, err := evalText(mem, rec, p.arg, "LIKE on %s")
	if err != nil {
		return err
	}
	defer a.Release()
	if sc.isDict() {
		sc.dictMask(p.match, out)
		applyNulls(a, out, null)
		return nil
	}
	s := sc.s
	hasNulls := s.NullN() > 0
	for i := range out {
		if hasNulls && s.IsNull(i) {
			out[i] = false
			if null != nil {
				null[i] = true
			}
			continue
		}
		out[i] = p.match(s.Value(i))
		if null != nil {
			null[i] = false
		}
	}
	return nil
}

// compileLike turns a LIKE pattern into a matcher: plain substring, prefix,
// suffix and equality tests for the common shapes, a regexp otherwise.
// LIKE is case-sensitive and matches the whole string; % is any run of
// characters, _ exactly one.
func compileLike(pattern, escape string) (func(string) bool, error) {
	toks, err := likeTokens(pattern, escape)
	if err != nil {
		return nil, err
	}
	isPct := func(t likeTok) bool { return t.wild == '%' }
	switch {
	case len(toks) == 0:
		return func(s string) bool { return s == "" }, nil
	case len(toks) == 1 && toks[0].wild == 0:
		l := toks[0].lit
		return func(s string) bool { return s == l }, nil
	case len(toks) == 1 && isPct(toks[0]):
		return func(string) bool { return true }, nil
	case len(toks) == 2 && toks[0].wild == 0 && isPct(toks[1]):
		l := toks[0].lit
		return func(s string) bool { return strings.HasPrefix(s, l) }, nil
	case len(toks) == 2 && isPct(toks[0]) && toks[1].wild == 0:
		l := toks[1].lit
		return func(s string) bool { return strings.HasSuffix(s, l) }, nil
	case len(toks) == 3 && isPct(toks[0]) && toks[1].wild == 0 && isPct(toks[2]):
		l := toks[1].lit
		return func(s string) bool { return strings.Contains(s, l) }, nil
	}
	rx, err := likeRegexp(toks)
	if err != nil {
		return nil, err
	}
	return rx.MatchString, nil
}

// likeRegexp is the regexp of a tokenized LIKE pattern (the whole string,
// % any run of characters, _ exactly one).
func likeRegexp(toks []likeTok) (*regexp.Regexp, error) {
	var re strings.Builder
	re.WriteString(`(?s)\A`)
	for _, t := range toks {
		switch t.wild {
		case '%':
			re.WriteString(`.*`)
		case '_':
			re.WriteString(`.`)
		default:
			re.WriteString(regexp.QuoteMeta(t.lit))
		}
	}
	re.WriteString(`\z`)
	rx, err := regexp.Compile(re.String())
	if err != nil {
		return nil, fmt.Errorf("exec: LIKE pattern: %w", err)
	}
	return rx, nil
}

// cmpClass is the domain two operands are compared in.
type cmpClass int

const (
	cmpInt cmpClass = iota
	classFloat
	cmpString
	cmpBool
	cmpTimestamp
)

func classOf(dt arrow.DataType) (cmpClass, bool) {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		return cmpInt, true
	case arrow.FLOAT32, arrow.FLOAT64:
		return classFloat, true
	case arrow.STRING:
		return cmpString, true
	case arrow.BOOL:
		return cmpBool, true
	case arrow.TIMESTAMP:
		return cmpTimestamp, true
	}
	return 0, false
}

func litClass(l *Lit) (cmpClass, bool) {
	switch l.Kind {
	case LitInt:
		return cmpInt, true
	case LitFloat:
		return classFloat, true
	case LitString:
		return cmpString, true
	case LitBool:
		return cmpBool, true
	case LitTimestamp:
		return cmpTimestamp, true
	}
	return 0, false
}

var flipped = map[Op]Op{OpEq: OpEq, OpNe: OpNe, OpLt: OpGt, OpLe: OpGe, OpGt: OpLt, OpGe: OpLe}

func compileCompare(e *Expr, schema *arrow.Schema) (predicate, error) {
	if len(e.Args) != 2 {
		return nil, fmt.Errorf("exec: %s takes 2 arguments", e.Op)
	}
	l, r, op := e.Args[0], e.Args[1], e.Op
	if l.Op == OpLit && r.Op != OpLit {
		l, r, op = r, l, flipped[op]
	}
	if l.Op == OpLit {
		return nil, unsupported("comparison of two constants")
	}
	lv, err := compileValue(l, schema)
	if err != nil {
		return nil, err
	}
	if p, ok, err := compileDecimalCompare(lv, r, op, schema); ok || err != nil {
		return p, err
	}
	lc, ok := classOf(lv.typ())
	if !ok {
		return nil, unsupported("comparison on %s", lv.typ())
	}
	if r.Op == OpLit {
		if r.Lit.Kind == LitNull {
			return &constPred{null: true}, nil
		}
		rc, ok := litClass(r.Lit)
		if !ok {
			return nil, unsupported("literal %s", r.Lit.Kind)
		}
		c := &cmpScalar{arg: lv, op: op}
		switch {
		case lc == cmpInt && rc == cmpInt:
			c.class, c.i = cmpInt, r.Lit.I
		case lc == cmpInt && rc == classFloat, lc == classFloat && rc == cmpInt, lc == classFloat && rc == classFloat:
			c.class, c.f = classFloat, r.Lit.F
			if rc == cmpInt {
				c.f = float64(r.Lit.I)
			}
			if lc == cmpInt {
				// Compare integers with a float constant exactly: fold the
				// constant to an integer bound where that is equivalent.
				return intVsFloat(lv, op, c.f)
			}
		case lc == cmpString && rc == cmpString:
			c.class, c.s = cmpString, r.Lit.S
		case lc == cmpBool && rc == cmpBool:
			c.class, c.b = cmpBool, r.Lit.B
		case lc == cmpTimestamp && rc == cmpTimestamp:
			c.class, c.i = cmpTimestamp, r.Lit.I
		default:
			return nil, unsupported("comparison of %s with %s", lv.typ(), r.Lit.Kind)
		}
		return c, nil
	}
	rv, err := compileValue(r, schema)
	if err != nil {
		return nil, err
	}
	rc, ok := classOf(rv.typ())
	if !ok || rc != lc {
		return nil, unsupported("comparison of %s with %s", lv.typ(), rv.typ())
	}
	return &cmpArrays{l: lv, r: rv, op: op, class: lc}, nil
}

// intVsFloat compares an integer column with a float constant.
func intVsFloat(v value, op Op, f float64) (predicate, error) {
	if math.IsNaN(f) {
		// NaN is larger than every number.
		switch op {
		case OpLt, OpLe, OpNe:
			return &nullAware{arg: v, val: true}, nil
		default:
			return &nullAware{arg: v, val: false}, nil
		}
	}
	if f >= math.MaxInt64 || f <= math.MinInt64 || f != math.Trunc(f) {
		if f >= math.MaxInt64 || f <= math.MinInt64 {
			return nil, unsupported("integer compared with %g", f)
		}
		// Not an integer: x < 2.5 ⇔ x <= 2, x > 2.5 ⇔ x >= 3, = never.
		fl := int64(math.Floor(f))
		switch op {
		case OpEq:
			return &nullAware{arg: v, val: false}, nil
		case OpNe:
			return &nullAware{arg: v, val: true}, nil
		case OpLt, OpLe:
			return &cmpScalar{arg: v, op: OpLe, class: cmpInt, i: fl}, nil
		default:
			return &cmpScalar{arg: v, op: OpGe, class: cmpInt, i: fl + 1}, nil
		}
	}
	return &cmpScalar{arg: v, op: op, class: cmpInt, i: int64(f)}, nil
}

// nullAware is a constant result for non-NULL inputs, NULL for NULL ones.
type nullAware struct {
	arg value
	val bool
}

func (p *nullAware) test(mem memory.Allocator, rec arrow.RecordBatch, out, null []bool) error {
	a, err := p.arg.eval(mem, rec)
	if err != nil {
		return err
	}
	defer a.Release()
	for i := range out {
		n := a.IsNull(i)
		out[i] = p.val && !n
		if null != nil {
			null[i] = n
		}
	}
	return nil
}

// litJSON is Lit's encoding: F travels as a number, or as the string
// "NaN", "Infinity" or "-Infinity", which JSON numbers cannot express.
type litJSON struct {
	Kind LitKind `json:"kind"`
	I    int64   `json:"i,omitempty"`
	F    any     `json:"f,omitempty"`
	S    string  `json:"s,omitempty"`
	B    bool    `json:"b,omitempty"`
}

// MarshalJSON implements json.Marshaler.
func (l Lit) MarshalJSON() ([]byte, error) {
	j := litJSON{Kind: l.Kind, I: l.I, S: l.S, B: l.B}
	switch {
	case math.IsNaN(l.F):
		j.F = "NaN"
	case math.IsInf(l.F, 1):
		j.F = "Infinity"
	case math.IsInf(l.F, -1):
		j.F = "-Infinity"
	case l.F != 0:
		j.F = l.F
	}
	return json.Marshal(j)
}

// UnmarshalJSON implements json.Unmarshaler.
func (l *Lit) UnmarshalJSON(b []byte) error {
	var j struct {
		litJSON
		F json.RawMessage `json:"f,omitempty"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*l = Lit{Kind: j.Kind, I: j.I, S: j.S, B: j.B}
	if len(j.F) == 0 {
		return nil
	}
	var s string
	if err := json.Unmarshal(j.F, &s); err == nil {
		switch s {
		case "NaN":
			l.F = math.NaN()
		case "Infinity":
			l.F = math.Inf(1)
		case "-Infinity":
			l.F = math.Inf(-1)
		default:
			return fmt.Errorf("exec: literal float %q", s)
		}
		return nil
	}
	return json.Unmarshal(j.F, &l.F)
}

// likeTok is a literal run (wild 0) or a wildcard of a LIKE pattern.
type likeTok struct {
	lit  string
	wild rune
}

// likeTokens splits a LIKE pattern into literal runs and wildcards.
func likeTokens(pattern, escape string) ([]likeTok, error) {
	esc := rune(-1)
	if escape != "" {
		r := []rune(escape)
		if len(r) != 1 {
			return nil, unsupported("LIKE escape %q", escape)
		}
		esc = r[0]
	}
	var toks []likeTok
	var cur strings.Builder
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == esc:
			if i+1 >= len(rs) {
				return nil, unsupported("LIKE pattern ends with the escape character")
			}
			i++
			cur.WriteRune(rs[i])
		case r == '%' || r == '_':
			if cur.Len() > 0 {
				toks = append(toks, likeTok{lit: cur.String()})
				cur.Reset()
			}
			toks = append(toks, likeTok{wild: r})
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		toks = append(toks, likeTok{lit: cur.String()})
	}
	return toks, nil
}

// matchWords returns the test of match(x, query): every word of query is
// a word of x. A query without words matches nothing.
func matchWords(query string) func(string) bool {
	want := index.Tokens(query)
	return func(s string) bool { return index.MatchTokens(s, want) }
}
