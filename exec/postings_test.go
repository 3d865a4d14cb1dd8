package exec

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/index"
	"openwit/storage/pqfile"
)

// TestPostingsNeverDropMatches: over random files and random LIKE, ILIKE
// and match() predicates, the rows the token postings give hold every
// row where the predicate is true, and are exactly those rows when
// textRows says so; IndexCount then gives their number. Some predicates
// must be exact and some postings must leave rows out, or the test
// proves little.
func TestPostingsNeverDropMatches(t *testing.T) {
	ctx := t.Context()
	mem := memory.NewGoAllocator()
	schema := schemaOf(field("msg", arrow.BinaryTypes.String), field("n", arrow.PrimitiveTypes.Int64))
	cols := names(schema)
	words := append(append([]string(nil), pruneWords...), "42", "db_42", "x9", "Ünïcode", "\xff\xfe", "12ms", "a.b")
	exact, narrowed, checked := 0, 0, 0
	for seed := range 6 {
		rng := rand.New(rand.NewPCG(uint64(seed), 11))
		const groupRows = 50
		nrows := groupRows*(1+rng.IntN(4)) + rng.IntN(groupRows)
		rows := make([][]any, nrows)
		for i := range rows {
			var b strings.Builder
			for k := range 1 + rng.IntN(4) {
				if k > 0 {
					b.WriteString([]string{" ", "-", ", ", "/", "", "."}[rng.IntN(6)])
				}
				w := words[rng.IntN(len(words))]
				if rng.IntN(4) == 0 {
					w = randomCase(rng, w)
				}
				b.WriteString(w)
			}
			var msg any = b.String()
			if rng.IntN(20) == 0 {
				msg = nil
			}
			rows[i] = []any{msg, int64(i)}
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
		ix, err := index.Build(ctx, rd, index.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if ix, err = index.Decode(ix.Encode()); err != nil {
			t.Fatal(err)
		}
		if ix.Column("msg").Postings == nil {
			t.Fatal("no postings built for msg")
		}
		for k := range 300 {
			s, _ := rows[rng.IntN(len(rows))][0].(string)
			var e *Expr
			switch {
			case k%5 == 0:
				w := words[rng.IntN(len(words))]
				w = w[:rng.IntN(len(w)+1)]
				e = &Expr{Op: OpLike, Args: []*Expr{Col(0)}, Str: "%" + w + "%", Escape: `\`}
				if rng.IntN(2) == 0 {
					e.Str, e.Fold = strings.ToLower(e.Str), true
				}
			default:
				e = randomTextPred(rng, s)
			}
			if k%7 == 0 {
				e = Call([]Op{OpAnd, OpOr}[rng.IntN(2)], e, randomTextPred(rng, s))
			}
			pred, err := compilePredicate(e, schema)
			if err != nil {
				t.Fatalf("compile %s: %v", e.Format(cols), err)
			}
			counts := IndexCount(e, cols, ix)
			for g := range ix.RowGroups {
				lo, hi := g*groupRows, min((g+1)*groupRows, nrows)
				b := mkBatch(t, mem, schema, rows[lo:hi])
				out := make([]bool, hi-lo)
				if err := pred.test(mem, b, out, nil); err != nil {
					t.Fatal(err)
				}
				b.Release()
				n := int64(0)
				for _, ok := range out {
					if ok {
						n++
					}
				}
				if counts[g] >= 0 {
					exact++
					if counts[g] != n {
						t.Fatalf("seed %d: %s row group %d: IndexCount %d, %d rows match", seed, e.Format(cols), g, counts[g], n)
					}
				}
				if e.Op != OpLike && e.Op != OpMatch {
					continue
				}
				got, isExact, ok := textRows(e, ix.Column("msg"), g)
				if !ok {
					continue
				}
				checked++
				if int64(got.GetCardinality()) < int64(hi-lo) {
					narrowed++
				}
				for i, m := range out {
					if m && !got.Contains(uint32(i)) {
						t.Fatalf("seed %d: %s row group %d: postings drop row %d %q", seed, e.Format(cols), g, lo+i, rows[lo+i][0])
					}
					if isExact && !m && got.Contains(uint32(i)) {
						t.Fatalf("seed %d: %s row group %d: exact postings keep row %d %q", seed, e.Format(cols), g, lo+i, rows[lo+i][0])
					}
				}
			}
		}
	}
	t.Logf("%d exact counts, %d of %d postings selections narrowed", exact, narrowed, checked)
	if exact == 0 || narrowed*4 < checked {
		t.Errorf("%d exact counts, %d of %d selections narrowed: the postings do little", exact, narrowed, checked)
	}
}
