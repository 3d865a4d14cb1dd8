package exec

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/internal/jsonscan"
	"openwit/internal/pgerror"
)

// jsonEvent is what a generated document holds; its text varies (key
// order, white space, escaped keys, a duplicate key before the real one).
type jsonEvent struct {
	svc    string // "" = absent
	status int    // 0 = absent
	pod    string // "" = no k8s object
	level  string // "" = absent
	err    bool   // has an "error" key
}

func (e jsonEvent) text(r *rand.Rand) string {
	var parts []string
	sp := func() string { return []string{"", " ", "\n  "}[r.IntN(3)] }
	if e.svc != "" {
		key := `"svc"`
		if r.IntN(4) == 0 {
			key = `"s\u0076c"`
		}
		if r.IntN(4) == 0 {
			parts = append(parts, `"svc":"decoy"`) // the later value wins
		}
		parts = append(parts, key+":"+sp()+`"`+e.svc+`"`)
	}
	if e.status != 0 {
		if r.IntN(5) == 0 {
			parts = append(parts, fmt.Sprintf(`"status":%de0`, e.status))
		} else {
			parts = append(parts, fmt.Sprintf(`"status": %d`, e.status))
		}
	}
	if e.pod != "" {
		parts = append(parts, fmt.Sprintf(`"k8s": {"ns": "prod", "pod": %q, "pod2": [1, 2]}`, e.pod))
	}
	if e.level != "" {
		parts = append(parts, fmt.Sprintf(`"level":%q`, e.level))
	}
	if e.err {
		parts = append(parts, `"error": {"msg": "boom"}`)
	}
	parts = append(parts, `"ms": 12.50`)
	r.Shuffle(len(parts), func(i, j int) {
		// Keep a decoy svc before the real one.
		if strings.Contains(parts[i], "decoy") || strings.Contains(parts[j], "decoy") {
			return
		}
		parts[i], parts[j] = parts[j], parts[i]
	})
	return sp() + "{" + strings.Join(parts, ","+sp()) + "}" + sp()
}

func jsonEvents(r *rand.Rand, n int) ([]jsonEvent, [][]any) {
	evs := make([]jsonEvent, n)
	rows := make([][]any, n)
	for i := range evs {
		e := jsonEvent{}
		if r.IntN(10) > 0 {
			e.svc = []string{"api", "web", "db"}[r.IntN(3)]
		}
		if r.IntN(8) > 0 {
			e.status = []int{200, 201, 404, 500, 503}[r.IntN(5)]
		}
		if r.IntN(2) == 0 {
			e.pod = fmt.Sprintf("%s-%d", []string{"web", "api"}[r.IntN(2)], r.IntN(5))
		}
		if r.IntN(3) == 0 {
			e.level = []string{"error", "info"}[r.IntN(2)]
		}
		e.err = r.IntN(7) == 0
		evs[i] = e
		if r.IntN(20) == 0 {
			rows[i] = []any{nil, int64(i)}
			evs[i] = jsonEvent{status: -1} // marks a NULL document
			continue
		}
		rows[i] = []any{e.text(r), int64(i)}
	}
	return evs, rows
}

var jsonSchema = schemaOf(field("doc", arrow.BinaryTypes.String), field("id", arrow.PrimitiveTypes.Int64))

func jsonGetE(text bool, arg *Expr, path ...jsonscan.Step) *Expr {
	return &Expr{Op: OpJSONGet, Args: []*Expr{arg}, Path: path, Text: text}
}

func key(k string) jsonscan.Step { return jsonscan.Step{Key: k} }

// randomSizes cuts n rows into random batch sizes.
func randomSizes(r *rand.Rand, n int) []int {
	var sizes []int
	for n > 0 {
		s := []int{0, 1, 7, 64, 200, 1024}[r.IntN(6)]
		sizes = append(sizes, s)
		n -= s
	}
	return sizes
}

// TestJSONFilters runs JSON filters through Filter over randomly cut
// batches and checks the rows kept against what the documents hold.
func TestJSONFilters(t *testing.T) {
	seed := testSeed(t)
	r := rand.New(rand.NewPCG(seed, 1))
	evs, rows := jsonEvents(r, 2000)
	doc := Col(0)
	cases := []struct {
		name string
		e    *Expr
		want func(e jsonEvent) bool
	}{
		{"->> =", cmpE(OpEq, jsonGetE(true, doc, key("svc")), Str("api")), func(e jsonEvent) bool { return e.svc == "api" }},
		{"->> <>", cmpE(OpNe, jsonGetE(true, doc, key("svc")), Str("api")), func(e jsonEvent) bool { return e.svc != "" && e.svc != "api" }},
		{"->> IS NULL", Call(OpIsNull, jsonGetE(true, doc, key("svc"))), func(e jsonEvent) bool { return e.svc == "" }},
		{"-> ->> LIKE", &Expr{Op: OpLike, Args: []*Expr{jsonGetE(true, doc, key("k8s"), key("pod"))}, Str: "web-%"}, func(e jsonEvent) bool { return strings.HasPrefix(e.pod, "web-") }},
		{"#>> =", cmpE(OpEq, jsonGetE(true, doc, jsonscan.Step{Key: "k8s", Path: true}, jsonscan.Step{Key: "pod", Path: true}), Str("api-1")), func(e jsonEvent) bool { return e.pod == "api-1" }},
		{"->> of a number", cmpE(OpEq, jsonGetE(true, doc, key("status")), Str("500")), func(e jsonEvent) bool { return e.status == 500 }},
		{"?", &Expr{Op: OpJSONHas, Args: []*Expr{doc}, Str: "error"}, func(e jsonEvent) bool { return e.err }},
		{"@>", &Expr{Op: OpJSONContains, Args: []*Expr{doc}, Str: `{"level": "error"}`}, func(e jsonEvent) bool { return e.level == "error" }},
		{"@> two keys, a number", &Expr{Op: OpJSONContains, Args: []*Expr{doc}, Str: `{"svc": "web", "status": 500.0}`}, func(e jsonEvent) bool { return e.svc == "web" && e.status == 500 }},
		{"::int4 >=", cmpE(OpGe, &Expr{Op: OpCast, Str: "int4", Args: []*Expr{jsonGetE(true, doc, key("status"))}}, Int(500)), func(e jsonEvent) bool { return e.status >= 500 }},
		{"::float8 <", cmpE(OpLt, &Expr{Op: OpCast, Str: "float8", Args: []*Expr{jsonGetE(true, doc, key("status"))}}, Float(300)), func(e jsonEvent) bool { return e.status > 0 && e.status < 300 }},
		{"-> 0 of an array", cmpE(OpEq, jsonGetE(true, doc, key("k8s"), key("pod2"), jsonscan.Step{ByIndex: true, Index: -1}), Str("2")), func(e jsonEvent) bool { return e.pod != "" }},
		{"-> object text", cmpE(OpEq, jsonGetE(false, doc, key("error")), Str(`{"msg": "boom"}`)), func(e jsonEvent) bool { return e.err }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(&Pool{Poison: true})
			defer mem.AssertSize(t, 0)
			p := Params{Mem: mem}
			bs := mkBatches(t, mem, jsonSchema, rows, randomSizes(r, len(rows))...)
			defer releaseAll(bs)
			f, err := NewFilter(p, memScan(t, p, jsonSchema, bs), tc.e)
			if err != nil {
				t.Fatal(err)
			}
			got := drain(t, t.Context(), f)
			var want [][]any
			for i, e := range evs {
				if tc.want(e) { // a NULL document is a zero jsonEvent but status -1
					want = append(want, rows[i])
				}
			}
			if len(want) == 0 {
				t.Fatalf("seed %d: no row passes %s; the test data lost its point", seed, tc.e)
			}
			if !rowsEqual(got, want) {
				t.Fatalf("seed %d: %s kept %d rows, want %d", seed, tc.e, len(got), len(want))
			}
		})
	}
}

// TestJSONGroupBy groups by doc ->> 'svc' in the hash aggregation.
func TestJSONGroupBy(t *testing.T) {
	seed := testSeed(t)
	r := rand.New(rand.NewPCG(seed, 2))
	evs, rows := jsonEvents(r, 1500)
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	p := Params{Mem: mem}
	bs := mkBatches(t, mem, jsonSchema, rows, randomSizes(r, len(rows))...)
	defer releaseAll(bs)
	svc := jsonGetE(true, Col(0), key("svc"))
	spec := &AggSpec{Keys: []*Expr{svc}, Aggs: []Agg{{Func: AggFirst, Arg: svc}, {Func: AggCountStar}}}
	got := runHashAgg(t, p, jsonSchema, bs, spec)
	want := map[any]int64{}
	for _, e := range evs {
		var k any = e.svc
		if e.svc == "" {
			k = nil
		}
		want[k]++
	}
	if len(got) != len(want) {
		t.Fatalf("seed %d: %d groups %v, want %v", seed, len(got), got, want)
	}
	for _, row := range got {
		if want[row[0]] != row[1].(int64) {
			t.Fatalf("seed %d: group %v counted %v, want %d", seed, row[0], row[1], want[row[0]])
		}
	}
}

// TestJSONGetValues checks the texts ->, ->> and #>> produce, over plain
// and dictionary-encoded input.
func TestJSONGetValues(t *testing.T) {
	docs := []any{
		`{"a": 1, "b": "x"}`,
		`{"a":1e2, "a":  2.50, "b": "y\u00e9\n", "c": {"z": 1, "y": [true, null]}}`,
		`{"b": null, "c": null}`,
		nil,
		`[1, "a"]`,
		`"scalar"`,
	}
	cases := []struct {
		e    *Expr
		want []any
	}{
		{jsonGetE(true, Col(0), key("a")), []any{"1", "2.50", nil, nil, nil, nil}},
		{jsonGetE(false, Col(0), key("a")), []any{"1", "2.50", nil, nil, nil, nil}},
		{jsonGetE(true, Col(0), key("b")), []any{"x", "yé\n", nil, nil, nil, nil}},
		{jsonGetE(false, Col(0), key("b")), []any{`"x"`, `"yé\n"`, "null", nil, nil, nil}},
		{jsonGetE(true, Col(0), key("c")), []any{nil, `{"y": [true, null], "z": 1}`, nil, nil, nil, nil}},
		{jsonGetE(true, Col(0), jsonscan.Step{ByIndex: true, Index: 0}), []any{nil, nil, nil, nil, "1", "scalar"}},
		{jsonGetE(true, Col(0), jsonscan.Step{Key: "1", Path: true}), []any{nil, nil, nil, nil, "a", nil}},
		{jsonGetE(true, Col(0), key("c"), key("y"), jsonscan.Step{ByIndex: true, Index: 0}), []any{nil, "true", nil, nil, nil, nil}},
	}
	for _, dict := range []bool{false, true} {
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s dict=%v", tc.e, dict), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
				defer mem.AssertSize(t, 0)
				var col arrow.Array
				if dict {
					b := array.NewDictionaryBuilder(mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String})
					for _, d := range append(docs, docs...) {
						if d == nil {
							b.AppendNull()
						} else if err := b.(*array.BinaryDictionaryBuilder).AppendString(d.(string)); err != nil {
							t.Fatal(err)
						}
					}
					col = b.NewArray()
					b.Release()
				} else {
					b := array.NewStringBuilder(mem)
					for _, d := range append(docs, docs...) {
						if d == nil {
							b.AppendNull()
						} else {
							b.Append(d.(string))
						}
					}
					col = b.NewArray()
					b.Release()
				}
				schema := schemaOf(field("doc", col.DataType()))
				rec := array.NewRecordBatch(schema, []arrow.Array{col}, int64(col.Len()))
				col.Release()
				defer rec.Release()
				v, err := compileValue(tc.e, schema)
				if err != nil {
					t.Fatal(err)
				}
				out, err := v.eval(mem, rec)
				if err != nil {
					t.Fatal(err)
				}
				defer out.Release()
				for i := range out.Len() {
					if got, want := valueAt(out, i), tc.want[i%len(docs)]; got != want {
						t.Errorf("row %d: %#v, want %#v", i, got, want)
					}
				}
			})
		}
	}
}

// TestJSONCastErrors checks the SQLSTATEs and messages of bad text, as
// the row engine's cast reports them, and that no memory is left behind.
func TestJSONCastErrors(t *testing.T) {
	cases := []struct {
		to, text, code, msg string
	}{
		{"int4", "abc", pgerror.InvalidTextRepr, `invalid input syntax for type integer: "abc"`},
		{"int4", "1.5", pgerror.InvalidTextRepr, `invalid input syntax for type integer: "1.5"`},
		{"int4", "3000000000", pgerror.NumericOutOfRange, `integer out of range`},
		{"int2", "40000", pgerror.NumericOutOfRange, `smallint out of range`},
		{"int8", "99999999999999999999", pgerror.NumericOutOfRange, `value "99999999999999999999" is out of range for type bigint`},
		{"float8", "x1", pgerror.InvalidTextRepr, `invalid input syntax for type double precision: "x1"`},
	}
	for _, tc := range cases {
		t.Run(tc.to+" "+tc.text, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			p := Params{Mem: mem}
			rows := [][]any{{`{"v": 1}`, int64(0)}, {`{"v": "` + tc.text + `"}`, int64(1)}}
			bs := mkBatches(t, mem, jsonSchema, rows)
			defer releaseAll(bs)
			e := cmpE(OpGt, &Expr{Op: OpCast, Str: tc.to, Args: []*Expr{jsonGetE(true, Col(0), key("v"))}}, Int(0))
			f, err := NewFilter(p, memScan(t, p, jsonSchema, bs), e)
			if err != nil {
				t.Fatal(err)
			}
			_, err = tryDrain(t.Context(), f)
			var pe *pgerror.Error
			if !errors.As(err, &pe) || pe.Code != tc.code || pe.Message != tc.msg {
				t.Fatalf("error %v, want %s %s", err, tc.code, tc.msg)
			}
		})
	}
	// Spaces around a number are fine; a NULL stays NULL.
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rows := [][]any{{`{"v": " 7 "}`, int64(0)}, {`{}`, int64(1)}, {`{"v": "-3"}`, int64(2)}}
	bs := mkBatches(t, mem, jsonSchema, rows)
	defer releaseAll(bs)
	got, err := evalPred(t, jsonSchema, bs[0], cmpE(OpGt, &Expr{Op: OpCast, Str: "int8", Args: []*Expr{jsonGetE(true, Col(0), key("v"))}}, Int(0)))
	if err != nil || got != "TNF" {
		t.Fatalf("got %q, %v; want TNF", got, err)
	}
}

// TestJSONCompileErrors: what the kernels do not take is ErrUnsupported
// (the planner keeps such plans in the row engine).
func TestJSONCompileErrors(t *testing.T) {
	for _, e := range []*Expr{
		{Op: OpJSONContains, Args: []*Expr{Col(0)}, Str: `{"a": {"b": 1}}`},
		{Op: OpJSONContains, Args: []*Expr{Col(0)}, Str: `[1]`},
		{Op: OpJSONHas, Args: []*Expr{Col(1)}, Str: "a"},
		cmpE(OpEq, &Expr{Op: OpCast, Str: "numeric", Args: []*Expr{Col(0)}}, Int(1)),
	} {
		if _, err := compilePredicate(e, jsonSchema); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: %v, want ErrUnsupported", e, err)
		}
	}
}

// TestJSONCastShortCircuit: a cast in a later condition of AND/OR sees
// only the rows the conditions before it left open, as the row engine's
// short-circuit evaluation does, so bad text in rows already decided
// raises no error.
func TestJSONCastShortCircuit(t *testing.T) {
	rows := [][]any{
		{`{"svc": "api", "status": "500"}`, int64(0)},
		{`{"svc": "web", "status": "oops"}`, int64(1)},
		{`{"status": "404"}`, int64(2)},
		{`{"svc": "api", "status": "200"}`, int64(3)},
		{nil, int64(4)},
	}
	svc := jsonGetE(true, Col(0), key("svc"))
	status := &Expr{Op: OpCast, Str: "int4", Args: []*Expr{jsonGetE(true, Col(0), key("status"))}}
	cases := []struct {
		e    *Expr
		want string // evalPred's letters, "" for the 22P02 error
	}{
		{Call(OpAnd, cmpE(OpEq, svc, Str("api")), cmpE(OpGe, status, Int(500))), "TFFFN"},
		{Call(OpOr, cmpE(OpNe, svc, Str("api")), cmpE(OpGe, status, Int(500))), "TTNFN"},
		{Call(OpAnd, cmpE(OpEq, svc, Str("web")), cmpE(OpGe, status, Int(500))), ""},
		{Call(OpAnd, Call(OpIsNotNull, svc), Call(OpAnd, cmpE(OpEq, svc, Str("api")), cmpE(OpGe, status, Int(500)))), "TFFFF"},
		{cmpE(OpGe, status, Int(500)), ""},
	}
	for _, tc := range cases {
		t.Run(tc.e.String(), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			bs := mkBatches(t, mem, jsonSchema, rows)
			defer releaseAll(bs)
			p, err := compilePredicate(tc.e, jsonSchema)
			if err != nil {
				t.Fatal(err)
			}
			out, null := make([]bool, len(rows)), make([]bool, len(rows))
			err = p.test(mem, bs[0], out, null)
			if tc.want == "" {
				var pe *pgerror.Error
				if !errors.As(err, &pe) || pe.Code != pgerror.InvalidTextRepr {
					t.Fatalf("error %v, want 22P02", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var sb strings.Builder
			for i := range out {
				switch {
				case out[i]:
					sb.WriteByte('T')
				case null[i]:
					sb.WriteByte('N')
				default:
					sb.WriteByte('F')
				}
			}
			if sb.String() != tc.want {
				t.Fatalf("got %s, want %s", sb.String(), tc.want)
			}
		})
	}
}

// TestJSONFragmentEncoding: paths, ->> and the constants travel in a
// fragment's encoding (a search worker's ticket).
func TestJSONFragmentEncoding(t *testing.T) {
	filter := Call(OpAnd,
		cmpE(OpEq, jsonGetE(true, Col(0), key("k'8s"), jsonscan.Step{ByIndex: true, Index: -2}, jsonscan.Step{Key: "a\"b", Path: true}), Str("x")),
		&Expr{Op: OpJSONHas, Args: []*Expr{Col(0)}, Str: "error"},
		&Expr{Op: OpJSONContains, Args: []*Expr{Col(0)}, Str: `{"level": "error"}`},
		cmpE(OpGe, &Expr{Op: OpCast, Str: "int4", Args: []*Expr{jsonGetE(true, Col(0), key("status"))}}, Int(500)))
	f := &Fragment{Table: "t", Columns: []string{"doc"}, Filter: filter, Agg: &AggSpec{Keys: []*Expr{jsonGetE(false, Col(0), key("svc"))}, Aggs: []Agg{{Func: AggCountStar}}}}
	b, err := f.Encode()
	if err != nil {
		t.Fatal(err)
	}
	g, err := DecodeFragment(b)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := g.Filter.String(), f.Filter.String(); got != want {
		t.Fatalf("decoded filter %s, want %s", got, want)
	}
	if got, want := g.Agg.Keys[0].String(), f.Agg.Keys[0].String(); got != want || !strings.Contains(got, "-> 'svc'") {
		t.Fatalf("decoded key %s, want %s", got, want)
	}
	g.Schema = jsonSchema
	if err := g.Validate(Params{}); err != nil {
		t.Fatal(err)
	}
}
