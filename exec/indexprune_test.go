package exec

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/index"
	"openwit/storage/pqfile"
)

var pruneWords = []string{"timeout", "Timeouts", "xtimeout", "request", "upstream", "Straße", "ÉCOLE", "école",
	"\u212Aelvin", "kelvin", "İstanbul", "istanbul", "lock", "db-42", "a", "ok", "%_", "naïve"}

// randomMessage joins random words with random separators.
func randomMessage(rng *rand.Rand) string {
	var b strings.Builder
	for i := range 1 + rng.IntN(4) {
		if i > 0 {
			b.WriteString([]string{" ", "-", ", ", "/", ""}[rng.IntN(5)])
		}
		b.WriteString(pruneWords[rng.IntN(len(pruneWords))])
	}
	return b.String()
}

// randomCase changes the case of some runes of s.
func randomCase(rng *rand.Rand, s string) string {
	rs := []rune(s)
	for i, r := range rs {
		switch rng.IntN(4) {
		case 0:
			rs[i] = []rune(strings.ToUpper(string(r)))[0]
		case 1:
			rs[i] = []rune(strings.ToLower(string(r)))[0]
		}
	}
	return string(rs)
}

// randomPattern makes a LIKE pattern from a piece of s: a substring with
// wildcards around and inside it, special characters escaped.
func randomPattern(rng *rand.Rand, s string) string {
	rs := []rune(s)
	i := rng.IntN(len(rs) + 1)
	j := i + rng.IntN(len(rs)-i+1)
	var b strings.Builder
	if rng.IntN(3) > 0 {
		b.WriteString("%")
	}
	for k, r := range rs[i:j] {
		switch {
		case r == '%' || r == '_' || r == '\\':
			b.WriteRune('\\')
			b.WriteRune(r)
		case k > 0 && rng.IntN(8) == 0:
			b.WriteString([]string{"_", "%"}[rng.IntN(2)])
		default:
			b.WriteRune(r)
		}
	}
	if rng.IntN(3) > 0 {
		b.WriteString("%")
	}
	return b.String()
}

// TestIndexPruneNeverDropsMatches: over random files and random
// predicates, no row group holding a row where the filter is true is ever
// pruned by the artifact; and the artifact does prune.
func TestIndexPruneNeverDropsMatches(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewGoAllocator()
	schema := schemaOf(field("id", arrow.BinaryTypes.String), field("n", arrow.PrimitiveTypes.Int64),
		field("msg", arrow.BinaryTypes.String), field("f", arrow.PrimitiveTypes.Float64), field("ts", tsType))
	cols := names(schema)
	pruned, evaluated := 0, 0
	for seed := range 8 {
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		const groupRows = 40
		nrows := groupRows*(2+rng.IntN(6)) + rng.IntN(groupRows)
		rows := make([][]any, nrows)
		for i := range rows {
			id := any(fmt.Sprintf("%08x", rng.Uint32()%uint32(50+seed*300)))
			if rng.IntN(25) == 0 {
				id = nil
			}
			var msg any = randomMessage(rng)
			if rng.IntN(30) == 0 {
				msg = nil
			}
			f := any(rng.NormFloat64() * 100)
			if rng.IntN(40) == 0 {
				f = math.NaN()
			}
			rows[i] = []any{id, int64(rng.IntN(1000) + i), msg, f, int64(i) * 1000}
		}
		batches := mkBatches(t, mem, schema, rows, 17, 64)
		var buf bytes.Buffer
		if _, _, err := pqfile.Write(&buf, schema, batches, pqfile.WriterOptions{RowGroupRows: groupRows}); err != nil {
			t.Fatal(err)
		}
		releaseAll(batches)
		rd, err := pqfile.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), mem)
		if err != nil {
			t.Fatal(err)
		}
		opt := index.Options{}
		if seed%2 == 1 {
			opt.BloomColumns = []string{"id", "n"}
		}
		ix, err := index.Build(ctx, rd, opt)
		if err != nil {
			t.Fatal(err)
		}
		if ix, err = index.Decode(ix.Encode()); err != nil {
			t.Fatal(err)
		}
		pick := func() []any { return rows[rng.IntN(len(rows))] }
		var leaf func() *Expr
		leaf = func() *Expr {
			switch rng.IntN(8) {
			case 0:
				v, _ := pick()[0].(string)
				if rng.IntN(3) == 0 {
					v = fmt.Sprintf("%08x", rng.Uint32()%5000)
				}
				return Call(OpEq, Col(0), Str(v))
			case 1:
				return Call(OpEq, Int(pick()[1].(int64)+int64(rng.IntN(3))-1), Col(1))
			case 2:
				return Call(OpOr, Call(OpEq, Col(0), Str(fmt.Sprint(pick()[0]))), Call(OpEq, Col(1), Int(int64(rng.IntN(2000)))))
			case 3:
				return Call([]Op{OpLt, OpLe, OpGt, OpGe}[rng.IntN(4)], Col(1+2*rng.IntN(2)), Int(int64(rng.IntN(1400)-100)))
			case 4, 5:
				s, _ := pick()[2].(string)
				if rng.IntN(4) == 0 {
					s = randomMessage(rng)
				}
				if rng.IntN(2) == 0 {
					return &Expr{Op: OpLike, Args: []*Expr{Col(2)}, Str: randomPattern(rng, s), Escape: `\`}
				}
				return &Expr{Op: OpLike, Args: []*Expr{Col(2)}, Str: strings.ToLower(randomPattern(rng, randomCase(rng, s))), Escape: `\`, Fold: true}
			case 6:
				q := randomCase(rng, pruneWords[rng.IntN(len(pruneWords))])
				if rng.IntN(2) == 0 {
					q += " " + pruneWords[rng.IntN(len(pruneWords))]
				}
				return &Expr{Op: OpMatch, Args: []*Expr{Col(2)}, Str: q}
			default:
				return Call(OpEq, Col(4), &Expr{Op: OpLit, Lit: &Lit{Kind: LitTimestamp, I: int64(rng.IntN(nrows+50)) * 1000}})
			}
		}
		for range 200 {
			e := leaf()
			switch rng.IntN(4) {
			case 0:
				e = Call(OpAnd, e, leaf())
			case 1:
				e = Call(OpOr, e, leaf())
			case 2:
				e = Call(OpNot, e)
			}
			pred, err := compilePredicate(e, schema)
			if err != nil {
				t.Fatalf("compile %s: %v", e.Format(cols), err)
			}
			reasons := IndexPrune(e, cols, ix)
			for g, r := range reasons {
				evaluated++
				if r == KeptRowGroup {
					continue
				}
				pruned++
				lo, hi := g*groupRows, min((g+1)*groupRows, nrows)
				b := mkBatch(t, mem, schema, rows[lo:hi])
				out := make([]bool, hi-lo)
				if err := pred.test(mem, b, out, nil); err != nil {
					t.Fatal(err)
				}
				b.Release()
				for i, ok := range out {
					if ok {
						t.Fatalf("seed %d: %s pruned row group %d (reason %d) but row %d matches: %v",
							seed, e.Format(cols), g, r, lo+i, rows[lo+i])
					}
				}
			}
		}
	}
	t.Logf("pruned %d of %d row group evaluations", pruned, evaluated)
	if pruned*5 < evaluated {
		t.Errorf("pruned only %d of %d row group evaluations: the artifact does not prune", pruned, evaluated)
	}
}

// TestFoldLikeAndMatch: ILIKE (LIKE with Fold) and match() on rows.
func TestFoldLikeAndMatch(t *testing.T) {
	mem := memory.NewGoAllocator()
	schema := schemaOf(field("s", arrow.BinaryTypes.String))
	b := mkBatch(t, mem, schema, [][]any{{"Request TIMEOUT after 3s"}, {"timeouts"}, {"xtimeout"}, {nil}, {"Straße-Timeout"}})
	defer b.Release()
	for _, c := range []struct {
		e    *Expr
		want []bool
	}{
		{&Expr{Op: OpLike, Args: []*Expr{Col(0)}, Str: "%timeout%", Fold: true}, []bool{true, true, true, false, true}},
		{&Expr{Op: OpLike, Args: []*Expr{Col(0)}, Str: "%timeout%"}, []bool{false, true, true, false, false}},
		{&Expr{Op: OpMatch, Args: []*Expr{Col(0)}, Str: "Timeout"}, []bool{true, false, false, false, true}},
		{&Expr{Op: OpMatch, Args: []*Expr{Col(0)}, Str: "straße timeout"}, []bool{false, false, false, false, true}},
		{&Expr{Op: OpMatch, Args: []*Expr{Col(0)}, Str: " , "}, []bool{false, false, false, false, false}},
	} {
		pred, err := compilePredicate(c.e, schema)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]bool, 5)
		if err := pred.test(mem, b, out, nil); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(out) != fmt.Sprint(c.want) {
			t.Errorf("%s: got %v, want %v", c.e.Format([]string{"s"}), out, c.want)
		}
	}
}
