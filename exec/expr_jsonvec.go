package exec

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/internal/jsonscan"
	"openwit/internal/pgerror"
)

// JSON operators over the stored text of jsonb columns (Arrow strings),
// and the casts of extracted text that filters compare. Design record:
// docs/design/073-vectorized-json.md.
const (
	// OpJSONGet follows Path from the jsonb text Args[0]: the jsonb text
	// of the value found (-> and #>), or with Text its ->> text (a
	// string's contents; JSON null is NULL). Nothing found is NULL.
	OpJSONGet Op = "json_get"
	// OpJSONHas is Args[0] ? Str (a key, an array's string element, a
	// string's value).
	OpJSONHas Op = "json_has"
	// OpJSONContains is Args[0] @> Str, where Str is the jsonb text of an
	// object of scalars.
	OpJSONContains Op = "json_contains"
	// OpCast is Args[0]::Str for text input: int2, int4, int8 (the result
	// is an int64 array, range-checked for the type) or float8, with
	// PostgreSQL's errors for bad text (22P02, 22003).
	OpCast Op = "cast"
)

func formatJSONVec(e *Expr, names []string) (string, bool) {
	switch e.Op {
	case OpJSONGet:
		var b strings.Builder
		b.WriteString(e.Args[0].format(names))
		for i := 0; i < len(e.Path); {
			last := func(j int) bool { return e.Text && j == len(e.Path)-1 }
			s := e.Path[i]
			if s.Path {
				// A run of #> elements is one #> path.
				var elems []string
				j := i
				for ; j < len(e.Path) && e.Path[j].Path; j++ {
					elems = append(elems, `"`+strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(e.Path[j].Key)+`"`)
				}
				op := " #> "
				if last(j - 1) {
					op = " #>> "
				}
				b.WriteString(op + "'{" + strings.ReplaceAll(strings.Join(elems, ","), "'", "''") + "}'")
				i = j
				continue
			}
			st := s.String()
			if last(i) {
				st = "->>" + st[2:]
			}
			b.WriteString(" " + st)
			i++
		}
		return "(" + b.String() + ")", true
	case OpJSONHas:
		return e.Args[0].format(names) + " ? '" + strings.ReplaceAll(e.Str, "'", "''") + "'", true
	case OpJSONContains:
		return e.Args[0].format(names) + " @> '" + strings.ReplaceAll(e.Str, "'", "''") + "'", true
	case OpCast:
		return "(" + e.Args[0].format(names) + ")::" + e.Str, true
	}
	return "", false
}

func compileJSONValue(e *Expr, schema *arrow.Schema) (value, error) {
	arg, err := compileTextArg(e, schema, string(e.Op))
	if err != nil {
		return nil, err
	}
	if e.Op == OpCast {
		c := &castText{arg: arg, to: e.Str}
		if g, ok := arg.(*jsonGet); ok && g.text {
			c.get = g // cast the values found in place
		}
		switch e.Str {
		case "int2":
			c.lo, c.hi, c.name = math.MinInt16, math.MaxInt16, "smallint"
		case "int4":
			c.lo, c.hi, c.name = math.MinInt32, math.MaxInt32, "integer"
		case "int8":
			c.lo, c.hi, c.name = math.MinInt64, math.MaxInt64, "bigint"
		case "float8":
			c.float, c.name = true, "double precision"
		default:
			return nil, unsupported("cast of text to %s", e.Str)
		}
		return c, nil
	}
	return &jsonGet{arg: arg, path: e.Path, text: e.Text}, nil
}

// compileTextArg compiles the one argument of e, which must be text (what
// names e in the error).
func compileTextArg(e *Expr, schema *arrow.Schema, what string) (value, error) {
	if len(e.Args) != 1 {
		return nil, fmt.Errorf("exec: %s takes 1 argument", e.Op)
	}
	arg, err := compileValue(e.Args[0], schema)
	if err != nil {
		return nil, err
	}
	if !isStringType(arg.typ()) {
		return nil, unsupported("%s of %s", what, arg.typ())
	}
	return arg, nil
}

func isStringType(dt arrow.DataType) bool {
	if dt.ID() == arrow.STRING {
		return true
	}
	if d, ok := dt.(*arrow.DictionaryType); ok {
		return d.ValueType.ID() == arrow.STRING
	}
	return false
}

func compileJSONPredicate(e *Expr, schema *arrow.Schema) (predicate, error) {
	arg, err := compileTextArg(e, schema, string(e.Op))
	if err != nil {
		return nil, err
	}
	if e.Op == OpJSONHas {
		k := e.Str
		return &jsonTest{arg: arg, f: func(v string) (bool, error) { return jsonscan.Has(jsonscan.Trim(v), k) }}, nil
	}
	pairs, ok, err := jsonscan.FlatObject(e.Str)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, unsupported("@> of %s (not an object of scalars)", e.Str)
	}
	return &jsonTest{arg: arg, f: func(v string) (bool, error) { return jsonscan.ContainsPairs(v, pairs) }}, nil
}

// jsonGet is OpJSONGet.
type jsonGet struct {
	arg  value
	path []jsonscan.Step
	text bool
}

func (j *jsonGet) typ() arrow.DataType { return arrow.BinaryTypes.String }

// one appends the result for the document v to buf; null when there is
// none.
func (j *jsonGet) one(buf []byte, v string) ([]byte, bool, error) {
	x, ok, err := jsonscan.Get(v, j.path)
	if err != nil || !ok {
		return buf, true, err
	}
	if j.text {
		return jsonscan.Text(buf, x)
	}
	buf, err = jsonscan.Canon(buf, x)
	return buf, false, err
}

func (j *jsonGet) eval(mem memory.Allocator, rec arrow.RecordBatch) (arrow.Array, error) {
	in, err := j.arg.eval(mem, rec)
	if err != nil {
		return nil, err
	}
	defer in.Release()
	sc, ok := asStrCol(in)
	if !ok {
		return nil, unsupported("json operator on %s", in.DataType())
	}
	n := in.Len()
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(n)
	var buf []byte
	if sc.isDict() {
		// Once per dictionary value.
		vals := sc.vals
		res := make([]string, vals.Len())
		null := make([]bool, vals.Len())
		for k := range res {
			if vals.IsNull(k) {
				null[k] = true
				continue
			}
			var isNull bool
			buf, isNull, err = j.one(buf[:0], vals.Value(k))
			if err != nil {
				return nil, err
			}
			res[k], null[k] = string(buf), isNull
		}
		for i := range n {
			if in.IsNull(i) {
				b.AppendNull()
				continue
			}
			k := sc.code(i)
			if null[k] {
				b.AppendNull()
			} else {
				b.Append(res[k])
			}
		}
		return b.NewArray(), nil
	}
	s := sc.s
	b.ReserveData(len(s.ValueBytes()) / 4)
	for i := range n {
		if s.IsNull(i) {
			b.AppendNull()
			continue
		}
		var isNull bool
		buf, isNull, err = j.one(buf[:0], s.Value(i))
		if err != nil {
			return nil, err
		}
		if isNull {
			b.AppendNull()
		} else {
			b.BinaryBuilder.Append(buf)
		}
	}
	return b.NewArray(), nil
}

// jsonTest is a predicate over jsonb text (? and @>, and comparisons of
// ->> with a constant): f, or g when the result can be NULL.
type jsonTest struct {
	arg      value
	f        func(string) (bool, error)
	g        func(string) (val, null bool, err error)
	nullable bool
}

func (p *jsonTest) test(mem memory.Allocator, rec arrow.RecordBatch, out, null []bool) error {
	a, sc, err := evalText(mem, rec, p.arg, "json operator on %s")
	if err != nil {
		return err
	}
	defer a.Release()
	if p.nullable {
		for i := range out {
			if a.IsNull(i) {
				out[i] = false
				if null != nil {
					null[i] = true
				}
				continue
			}
			v, isNull, err := p.g(sc.value(i))
			if err != nil {
				return err
			}
			out[i] = v && !isNull
			if null != nil {
				null[i] = isNull
			}
		}
		return nil
	}
	var ferr error
	f := func(v string) bool {
		ok, err := p.f(v)
		if err != nil && ferr == nil {
			ferr = err
		}
		return ok
	}
	if sc.isDict() {
		sc.dictMask(f, out)
		applyNulls(a, out, null)
		return ferr
	}
	s := sc.s
	for i := range out {
		if s.IsNull(i) {
			out[i] = false
			if null != nil {
				null[i] = true
			}
			continue
		}
		out[i] = f(s.Value(i))
		if null != nil {
			null[i] = false
		}
	}
	return ferr
}

// castText is OpCast: text to an integer or float8 as PostgreSQL's
// input functions (and the row engine's cast) read it.
type castText struct {
	arg    value
	get    *jsonGet // arg, when it is ->>: read without building its strings
	to     string
	name   string
	lo, hi int64
	float  bool
}

func (c *castText) typ() arrow.DataType {
	if c.float {
		return arrow.PrimitiveTypes.Float64
	}
	return arrow.PrimitiveTypes.Int64
}

func (c *castText) eval(mem memory.Allocator, rec arrow.RecordBatch) (arrow.Array, error) {
	src := c.arg
	if c.get != nil {
		src = c.get.arg // the documents
	}
	in, err := src.eval(mem, rec)
	if err != nil {
		return nil, err
	}
	defer in.Release()
	sc, ok := asStrCol(in)
	if !ok {
		return nil, unsupported("cast of %s", in.DataType())
	}
	n := in.Len()
	// texts walks the texts to cast; f gets each, or null.
	texts := func(f func(s string, null bool) error) error {
		var buf []byte
		for i := range n {
			if in.IsNull(i) {
				if err := f("", true); err != nil {
					return err
				}
				continue
			}
			if c.get == nil {
				if err := f(sc.value(i), false); err != nil {
					return err
				}
				continue
			}
			x, ok, err := jsonscan.Get(sc.value(i), c.get.path)
			if err != nil {
				return err
			}
			if !ok {
				if err := f("", true); err != nil {
					return err
				}
				continue
			}
			s, null, ok := jsonscan.TextString(x)
			if !ok {
				buf, null, err = jsonscan.Text(buf[:0], x)
				if err != nil {
					return err
				}
				s = string(buf)
			}
			if err := f(s, null); err != nil {
				return err
			}
		}
		return nil
	}
	if c.float {
		b := array.NewFloat64Builder(mem)
		defer b.Release()
		b.Reserve(n)
		err := texts(func(s string, null bool) error {
			if null {
				b.UnsafeAppendBoolToBitmap(false)
				return nil
			}
			f, err := textFloat8(s)
			b.UnsafeAppend(f)
			return err
		})
		if err != nil {
			return nil, err
		}
		return b.NewArray(), nil
	}
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.Reserve(n)
	err = texts(func(s string, null bool) error {
		if null {
			b.UnsafeAppendBoolToBitmap(false)
			return nil
		}
		v, err := c.textInt(s)
		b.UnsafeAppend(v)
		return err
	})
	if err != nil {
		return nil, err
	}
	return b.NewArray(), nil
}

// textInt reads x as the row engine's text → integer cast does.
func (c *castText) textInt(x string) (int64, error) {
	n, err := strconv.ParseInt(x, 10, 64)
	if err != nil {
		n, err = strconv.ParseInt(strings.TrimSpace(x), 10, 64)
	}
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, pgerror.New(pgerror.NumericOutOfRange, "value %q is out of range for type %s", x, c.name)
		}
		return 0, pgerror.New(pgerror.InvalidTextRepr, "invalid input syntax for type %s: %q", c.name, x)
	}
	if n < c.lo || n > c.hi {
		return 0, pgerror.New(pgerror.NumericOutOfRange, "%s out of range", c.name)
	}
	return n, nil
}

// textFloat8 reads x as the row engine's text → float8 cast does.
func textFloat8(x string) (float64, error) {
	if f, err := strconv.ParseFloat(x, 64); err == nil {
		return f, nil // no white space: what the row engine's cast reads too
	}
	s := strings.TrimSpace(x)
	switch strings.ToLower(s) {
	case "nan":
		return math.NaN(), nil
	case "infinity", "inf", "+infinity", "+inf":
		return math.Inf(1), nil
	case "-infinity", "-inf":
		return math.Inf(-1), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, pgerror.New(pgerror.NumericOutOfRange, "%q is out of range for type double precision", x)
		}
		return 0, pgerror.New(pgerror.InvalidTextRepr, "invalid input syntax for type double precision: %q", x)
	}
	return f, nil
}

// lazyArg is an argument of AND or OR after the first that may raise an
// error (it holds a cast of text): it is tested only on the rows the
// arguments before it left open (not FALSE for AND, not TRUE for OR), as
// the row engine's short-circuit evaluation does, so a bad value in a row
// that an earlier condition rejects raises no error in either engine.
type lazyArg struct{ p predicate }

func (l *lazyArg) test(mem memory.Allocator, rec arrow.RecordBatch, out, null []bool) error {
	return l.p.test(mem, rec, out, null)
}

// testOpen tests the open rows; the others get FALSE (not NULL).
func (l *lazyArg) testOpen(mem memory.Allocator, rec arrow.RecordBatch, open, out, null []bool) error {
	n := 0
	for _, o := range open {
		if o {
			n++
		}
	}
	if n == len(open) {
		return l.p.test(mem, rec, out, null)
	}
	clear(out)
	clear(null)
	if n == 0 {
		return nil
	}
	sub, err := selectRows(mem, rec, open)
	if err != nil {
		return err
	}
	defer sub.Release()
	so, sn := make([]bool, n), make([]bool, n)
	if err := l.p.test(mem, sub, so, sn); err != nil {
		return err
	}
	j := 0
	for i, o := range open {
		if o {
			out[i], null[i] = so[j], sn[j]
			j++
		}
	}
	return nil
}

// mayFail reports whether evaluating e can raise an error on some input.
func mayFail(e *Expr) bool {
	if e == nil {
		return false
	}
	if e.Op == OpCast || e.Op == OpNumDiv {
		return true
	}
	for _, a := range e.Args {
		if mayFail(a) {
			return true
		}
	}
	return false
}

// compileJSONCompare compiles (x ->> path) op 'constant' into one pass over
// the documents that compares the value found in place, without building
// the extracted strings; ok is false for other comparisons.
func compileJSONCompare(e *Expr, schema *arrow.Schema) (predicate, bool, error) {
	if len(e.Args) != 2 {
		return nil, false, nil
	}
	l, r, op := e.Args[0], e.Args[1], e.Op
	if l.Op == OpLit {
		l, r, op = r, l, flipped[op]
	}
	if l.Op != OpJSONGet || !l.Text || r.Op != OpLit || r.Lit.Kind != LitString || len(l.Args) != 1 {
		return nil, false, nil
	}
	arg, err := compileValue(l.Args[0], schema)
	if err != nil {
		return nil, false, err
	}
	if !isStringType(arg.typ()) {
		return nil, false, unsupported("%s of %s", l.Op, arg.typ())
	}
	get := &jsonGet{path: l.Path, text: true}
	want := r.Lit.S
	var buf []byte
	return &jsonTest{arg: arg, nullable: true, g: func(v string) (bool, bool, error) {
		x, ok, err := jsonscan.Get(v, get.path)
		if err != nil || !ok {
			return false, true, err
		}
		var c int
		if jsonscan.KindOf(x) == jsonscan.String && strings.IndexByte(x, '\\') < 0 {
			c = strings.Compare(x[1:len(x)-1], want)
		} else {
			var null bool
			buf, null, err = get.one(buf[:0], v)
			if err != nil || null {
				return false, true, err
			}
			c = strings.Compare(string(buf), want)
		}
		switch op {
		case OpEq:
			return c == 0, false, nil
		case OpNe:
			return c != 0, false, nil
		case OpLt:
			return c < 0, false, nil
		case OpLe:
			return c <= 0, false, nil
		case OpGt:
			return c > 0, false, nil
		}
		return c >= 0, false, nil
	}}, true, nil
}
