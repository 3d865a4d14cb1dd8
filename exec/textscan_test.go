package exec

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// randomTextPred returns a random LIKE, ILIKE or match() on column 0 made
// from a piece of s.
func randomTextPred(rng *rand.Rand, s string) *Expr {
	switch rng.IntN(4) {
	case 0:
		return &Expr{Op: OpLike, Args: []*Expr{Col(0)}, Str: strings.ToLower(randomPattern(rng, randomCase(rng, s))), Escape: `\`, Fold: true}
	case 1:
		q := randomCase(rng, pruneWords[rng.IntN(len(pruneWords))])
		if rng.IntN(2) == 0 {
			q += " " + pruneWords[rng.IntN(len(pruneWords))]
		}
		return &Expr{Op: OpMatch, Args: []*Expr{Col(0)}, Str: q}
	}
	return &Expr{Op: OpLike, Args: []*Expr{Col(0)}, Str: randomPattern(rng, s), Escape: `\`}
}

// randomText is randomMessage, sometimes with its case changed or an
// invalid UTF-8 byte in it.
func randomText(rng *rand.Rand) string {
	s := randomMessage(rng)
	if rng.IntN(3) == 0 {
		s = randomCase(rng, s)
	}
	if rng.IntN(20) == 0 {
		i := rng.IntN(len(s) + 1)
		s = s[:i] + "\xff" + s[i:]
	}
	return s
}

// TestBytesMatchAgreesWithLike: the byte test of a text scan gives the
// string predicate's answer on every value, for random values and
// patterns (LIKE with escapes and _, ILIKE, match()).
func TestBytesMatchAgreesWithLike(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := schemaOf(field("msg", arrow.BinaryTypes.String))
	rng := rand.New(rand.NewPCG(3, 4))
	rows := make([][]any, 300)
	for i := range rows {
		rows[i] = []any{randomText(rng)}
	}
	rows = append(rows, []any{""}, []any{"a_b%c"}, []any{"A_B%C"}, []any{"ÉCOLE école"})
	b := mkBatch(t, mem, schema, rows)
	defer b.Release()
	out := make([]bool, len(rows))
	matches := 0
	for k := range 600 {
		e := randomTextPred(rng, rows[rng.IntN(len(rows))][0].(string))
		if k%50 == 0 {
			e = &Expr{Op: OpLike, Args: []*Expr{Col(0)}, Str: []string{"a\\_b\\%c", "%", "", "_", "a_b%", "%\\%c"}[k/50%6], Escape: `\`, Fold: k%100 == 0}
		}
		pred, err := compilePredicate(e, schema)
		if err != nil {
			t.Fatalf("compile %s: %v", e.Format([]string{"msg"}), err)
		}
		if err := pred.test(mem, b, out, nil); err != nil {
			t.Fatal(err)
		}
		m, err := compileBytesMatch(e)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			v := r[0].(string)
			if got := m([]byte(v)); got != out[i] {
				t.Fatalf("%s on %q: bytes %v, strings %v", e.Format([]string{"msg"}), v, got, out[i])
			}
			if out[i] {
				matches++
			}
		}
	}
	if matches == 0 {
		t.Fatal("no pattern matched anything: the test proves nothing")
	}
}

// TestTextScanAgrees: a fragment over Parquet files that takes the text
// scan path returns what the same fragment returns over in-memory
// batches (the ordinary filter), for random data with NULLs and random
// text predicates, with and without other conjuncts and aggregates.
func TestTextScanAgrees(t *testing.T) {
	ctx := t.Context()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := schemaOf(field("msg", arrow.BinaryTypes.String))
	rng := rand.New(rand.NewPCG(5, 6))
	rows := make([][]any, 500)
	for i := range rows {
		rows[i] = []any{randomText(rng)}
		if rng.IntN(15) == 0 {
			rows[i] = []any{nil}
		}
	}
	bucket := newBucket(t)
	files := fileSources(t, bucket, schema, rows, 3)
	mems, all := fragSources(t, mem, schema, rows, 2)
	defer releaseAll(all)
	p := Params{Mem: mem, Bucket: bucket, BatchRows: 64}
	taken := 0
	for k := range 150 {
		s, _ := rows[rng.IntN(len(rows))][0].(string)
		e := randomTextPred(rng, s)
		if v, ok := rows[rng.IntN(len(rows))][0].(string); ok && k%3 == 0 {
			e = Call(OpAnd, e, Call(OpNe, Col(0), Str(v)))
		}
		var agg *AggSpec
		if k%2 == 0 {
			agg = &AggSpec{Aggs: []Agg{{Func: AggCountStar}, {Func: AggMax, Arg: Col(0)}}}
		}
		f := &Fragment{Schema: schema, Columns: []string{"msg"}, Filter: e, Agg: agg}
		f.Sources = files
		got, st := runFragment(t, ctx, p, f)
		f.Sources = mems
		want, _ := runFragment(t, ctx, p, f)
		sameRowSet(t, got, want)
		if newTextFilter(schema, e) != nil {
			taken++
			if st.Rows != int64(len(rows)) {
				t.Errorf("%s: text scan reports %d rows scanned, the files hold %d", e.Format([]string{"msg"}), st.Rows, len(rows))
			}
		}
	}
	if taken == 0 {
		t.Fatal("no fragment took the text scan path")
	}
}
