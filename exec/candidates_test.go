package exec

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/index"
	"openwit/storage/objstore"
	"openwit/storage/pqfile"
)

// candWords are the words of TestCandidatesAgree's messages: words that
// are prefixes, suffixes and infixes of others, digits only, digits and
// letters, non-ASCII (and case-folding traps), LIKE's special characters
// and invalid UTF-8.
var candWords = []string{"waiting", "wait", "await", "for", "form", "lock", "locks", "block", "on", "one", "orders",
	"order", "reorders", "db_42", "42", "2024", "x9", "Straße", "ÉCOLE", "école", "\u212Aelvin", "kelvin", "İstanbul",
	"naïve", "100%", "a_b", "\\", "\xff\xfe", "Lock", "ORDERS"}

// candidateMessage joins random words with random separators.
func candidateMessage(rng *rand.Rand) string {
	var b strings.Builder
	for i := range 2 + rng.IntN(6) {
		if i > 0 {
			b.WriteString([]string{" ", " ", " ", "-", ", ", "/", "", ".", ":", "  "}[rng.IntN(10)])
		}
		b.WriteString(candWords[rng.IntN(len(candWords))])
	}
	return b.String()
}

// candidatePred returns a random text predicate on column 0 from a
// piece of s spanning several words, sometimes ANDed or ORed with
// another predicate.
func candidatePred(rng *rand.Rand, s string, other string) *Expr {
	var e *Expr
	switch rng.IntN(6) {
	case 0:
		e = &Expr{Op: OpLike, Args: []*Expr{Col(0)}, Str: strings.ToLower(randomPattern(rng, randomCase(rng, s))), Escape: `\`, Fold: true}
	case 1:
		e = &Expr{Op: OpMatch, Args: []*Expr{Col(0)}, Str: candWords[rng.IntN(len(candWords))] + " " + candWords[rng.IntN(len(candWords))]}
	case 2: // words cut in the middle: prefixes and suffixes of tokens
		w := strings.Fields(s)
		if len(w) >= 2 {
			i := rng.IntN(len(w) - 1)
			a, b := w[i], w[i+1]
			a, b = a[rng.IntN(len(a)):], b[:1+rng.IntN(len(b))]
			p := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(a + " " + b)
			e = &Expr{Op: OpLike, Args: []*Expr{Col(0)}, Str: "%" + p + "%", Escape: `\`}
			break
		}
		fallthrough
	default:
		e = &Expr{Op: OpLike, Args: []*Expr{Col(0)}, Str: randomPattern(rng, s), Escape: `\`}
	}
	switch rng.IntN(5) {
	case 0:
		e = Call(OpAnd, e, cmpE(OpLt, Col(1), Int(int64(rng.IntN(400)))))
	case 1:
		e = Call(OpOr, e, &Expr{Op: OpLike, Args: []*Expr{Col(0)}, Str: "%" + other + "%", Escape: `\`})
	case 2:
		e = Call(OpAnd, e, &Expr{Op: OpLike, Args: []*Expr{Col(0)}, Str: "%" + other + "%", Escape: `\`})
	case 3:
		e = Call(OpOr, e, cmpE(OpEq, Col(1), Int(int64(rng.IntN(400)))))
	}
	return e
}

// TestCandidatesAgree: over random multi-word messages and random
// multi-word LIKE, ILIKE and match() predicates (cut words, punctuation,
// digits only, non-ASCII, _ and escaped %, under AND and OR), a fragment
// reading only the candidate rows the token postings give returns what
// it returns reading every row, and what the in-memory filter returns;
// for count(*) (the text scan) and for fragments returning rows. The
// candidates must leave rows out often, or the test proves little.
func TestCandidatesAgree(t *testing.T) {
	ctx := t.Context()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := schemaOf(field("msg", arrow.BinaryTypes.String), field("n", arrow.PrimitiveTypes.Int64))
	cols := names(schema)
	narrowed, used, matched, skipped := 0, 0, 0, 0
	for seed := range 4 {
		rng := rand.New(rand.NewPCG(uint64(seed), 33))
		rows := make([][]any, 600+rng.IntN(400))
		for i := range rows {
			var msg any = candidateMessage(rng)
			if rng.IntN(10) == 0 {
				msg = randomCase(rng, msg.(string))
			}
			if rng.IntN(15) == 0 {
				msg = nil
			}
			rows[i] = []any{msg, int64(i)}
		}
		bucket := newBucket(t)
		src, ix := candidateFile(t, bucket, schema, rows, 150+rng.IntN(150))
		mems, all := fragSources(t, mem, schema, rows, 2)
		p := Params{Mem: mem, Bucket: bucket, BatchRows: 16 + int64(rng.IntN(50))}
		for k := range 120 {
			s, _ := rows[rng.IntN(len(rows))][0].(string)
			other := candWords[rng.IntN(len(candWords))]
			e := candidatePred(rng, s, strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(other))
			checkIndexRowGroups(t, e, cols, ix)
			withCand := *src
			for g := range ix.RowGroups {
				rows, ok := CandidateRows(e, cols, ix, g)
				if !ok {
					continue
				}
				if int64(rows.GetCardinality()) < ix.RowGroups[g] {
					narrowed++
				}
				c, err := NewRowCandidates(g, rows)
				if err != nil {
					t.Fatal(err)
				}
				withCand.Candidates = append(withCand.Candidates, c)
			}
			if len(withCand.Candidates) > 0 {
				used++
			}
			var f Fragment
			switch k % 3 {
			case 0: // count(*): the text scan
				f = Fragment{Columns: []string{"msg"}, Filter: e.Remap(map[int]int{0: 0}), Agg: &AggSpec{Aggs: []Agg{{Func: AggCountStar}}}}
				if usesCol(e, 1) {
					f.Columns = cols
					f.Filter = e
				}
			case 1: // rows
				f = Fragment{Columns: cols, Filter: e}
			default: // rows, dictionary arrays, a limit
				f = Fragment{Columns: cols, Filter: e, Agg: &AggSpec{Keys: []*Expr{Col(0)}, Aggs: []Agg{{Func: AggCountStar}}}}
			}
			f.Schema = schema
			f.Sources = []Source{{File: &withCand}}
			got, st := runFragment(t, ctx, p, &f)
			if st.Rows < int64(len(rows)) {
				skipped++ // the scan read fewer rows than the file holds
			}
			f.Sources = []Source{{File: src}}
			plain, _ := runFragment(t, ctx, p, &f)
			f.Sources = mems
			want, _ := runFragment(t, ctx, p, &f)
			name := fmt.Sprintf("seed %d case %d: %s", seed, k, e.Format(cols))
			if !sameSet(got, want) || !sameSet(plain, want) {
				t.Fatalf("%s\ncandidates: %v\nall rows: %v\nin memory: %v", name, fmtRows(got), fmtRows(plain), fmtRows(want))
			}
			if len(want) > 0 && !(k%3 == 0 && want[0][0] == int64(0)) {
				matched++
			}
		}
		releaseAll(all)
	}
	t.Logf("%d predicates used candidates, %d row groups narrowed, %d with matches, %d scans skipped rows", used, narrowed, matched, skipped)
	if used < 100 || narrowed < 100 || matched < 50 || skipped < 50 {
		t.Fatalf("candidates used %d times, narrowed %d row groups, %d results with matches: the test proves little", used, narrowed, matched)
	}
}

// usesCol reports whether e reads column c.
func usesCol(e *Expr, c int) bool {
	used := map[int]bool{}
	e.Columns(used)
	return used[c]
}

// sameSet reports whether two results hold the same rows in any order.
func sameSet(a, b [][]any) bool {
	x, y := fmtRows(a), fmtRows(b)
	if len(x) != len(y) {
		return false
	}
	seen := map[string]int{}
	for _, r := range x {
		seen[r]++
	}
	for _, r := range y {
		if seen[r]--; seen[r] < 0 {
			return false
		}
	}
	return true
}

// candidateFile writes rows as one Parquet file with row groups of
// groupRows rows and returns it with its decoded index artifact.
func candidateFile(tb testing.TB, bucket objstore.Bucket, schema *arrow.Schema, rows [][]any, groupRows int) (*FileSource, *index.Index) {
	tb.Helper()
	mem := memory.NewGoAllocator()
	bs := mkBatches(tb, mem, schema, rows, 37)
	defer releaseAll(bs)
	src := writeParquet(tb, bucket, "t/cand.parquet", schema, bs, int64(groupRows))
	rc, err := bucket.Get(context.Background(), src.Path)
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	_, err = buf.ReadFrom(rc)
	rc.Close()
	if err != nil {
		tb.Fatal(err)
	}
	rd, err := pqfile.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), mem)
	if err != nil {
		tb.Fatal(err)
	}
	ix, err := index.Build(context.Background(), rd, index.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	if ix, err = index.Decode(ix.Encode()); err != nil {
		tb.Fatal(err)
	}
	if ix.Column("msg").Postings == nil {
		tb.Fatal("no postings built for msg")
	}
	return src, ix
}

// checkIndexRowGroups: IndexRowGroups agrees with IndexPrune, IndexCount
// and CandidateRows.
func checkIndexRowGroups(tb testing.TB, e *Expr, cols []string, ix *index.Index) {
	tb.Helper()
	all := IndexRowGroups(e, cols, ix, true)
	prune, count := IndexPrune(e, cols, ix), IndexCount(e, cols, ix)
	for g, r := range all {
		want := RowGroupIndex{Reason: prune[g], Count: -1}
		if prune[g] == KeptRowGroup {
			want.Count = count[g]
			if count[g] < 0 {
				want.Candidates, _ = CandidateRows(e, cols, ix, g)
			}
		}
		if r.Reason != want.Reason || r.Count != want.Count || (r.Candidates == nil) != (want.Candidates == nil) ||
			(r.Candidates != nil && !r.Candidates.Equals(want.Candidates)) {
			tb.Fatalf("%s, row group %d: IndexRowGroups %+v, separately %+v", e.Format(cols), g, r, want)
		}
	}
}

// TestBadCandidates: candidate rows that do not decode, name a row group
// the file lacks or a row past their row group are an error of the
// fragment, not a crash or a wrong answer.
func TestBadCandidates(t *testing.T) {
	ctx := t.Context()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := schemaOf(field("msg", arrow.BinaryTypes.String), field("n", arrow.PrimitiveTypes.Int64))
	rows := make([][]any, 100)
	for i := range rows {
		rows[i] = []any{fmt.Sprintf("waiting for lock %d", i), int64(i)}
	}
	bucket := newBucket(t)
	src, _ := candidateFile(t, bucket, schema, rows, 50)
	past, err := NewRowCandidates(1, roaring.BitmapOf(3, 50))
	if err != nil {
		t.Fatal(err)
	}
	p := Params{Mem: mem, Bucket: bucket}
	e := &Expr{Op: OpLike, Args: []*Expr{Col(0)}, Str: "%lock 7%", Escape: `\`}
	for _, c := range []RowCandidates{{RowGroup: 0, Rows: []byte("junk")}, {RowGroup: 2, Rows: past.Rows}, past} {
		for _, cols := range [][]string{{"msg"}, {"msg", "n"}} {
			f := *src
			f.Candidates = []RowCandidates{c}
			frag := &Fragment{Schema: schema, Columns: cols, Filter: e, Sources: []Source{{File: &f}}}
			op, err := Run(ctx, p, frag)
			if err == nil {
				_, err = tryDrain(ctx, op)
				op.Close()
			}
			if err == nil {
				t.Errorf("candidates of row group %d (%d bytes), columns %v: no error", c.RowGroup, len(c.Rows), cols)
			}
		}
	}
}
