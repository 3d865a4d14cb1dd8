package exec

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestPagesRead: over one row group of 200,000 log-like rows written with
// the default page size, a fragment returning the rows of a multi-word
// LIKE with the token postings' candidate rows, and a plain LIMIT, read a
// small part of the file: the pages of the rows they return (design 038).
// Without candidates the LIKE reads every page of its columns.
func TestPagesRead(t *testing.T) {
	ctx := t.Context()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := schemaOf(field("n", arrow.PrimitiveTypes.Int64), field("msg", arrow.BinaryTypes.String))
	rng := rand.New(rand.NewPCG(38, 1))
	const nrows = 200_000
	rows := make([][]any, nrows)
	needles := map[int64]bool{}
	for i := range rows {
		// A vocabulary of some 15k terms: the postings' bound is 64Ki.
		msg := fmt.Sprintf("request %d from %04x took %d ms user %d", i, rng.IntN(10_000), rng.IntN(900), rng.IntN(5000))
		if i%40_000 == 7_000 {
			msg = fmt.Sprintf("tx %d waiting for lock on orders %04x", i, rng.IntN(10_000))
			needles[int64(i)] = true
		}
		rows[i] = []any{int64(i), msg}
	}
	bucket := newBucket(t)
	src, ix := candidateFile(t, bucket, schema, rows, nrows)
	cols := names(schema)
	like := likeE(Col(1), "%waiting for lock on orders%", "")
	withCand := *src
	cand, ok := CandidateRows(like, cols, ix, 0)
	if !ok || cand.GetCardinality() == 0 || cand.GetCardinality() > 64 {
		t.Fatalf("candidate rows %v (known %v)", cand, ok)
	}
	c, err := NewRowCandidates(0, cand)
	if err != nil {
		t.Fatal(err)
	}
	withCand.Candidates = []RowCandidates{c}
	p := Params{Mem: mem, Bucket: bucket}

	f := Fragment{Schema: schema, Columns: cols, Filter: like, Limit: 100, Sources: []Source{{File: &withCand}}}
	got, st := runFragment(t, ctx, p, &f)
	f.Sources = []Source{{File: src}}
	plain, stPlain := runFragment(t, ctx, p, &f)
	if len(got) != len(needles) || !sameSet(got, plain) {
		t.Fatalf("with candidates %v, without %v", fmtRows(got), fmtRows(plain))
	}
	for _, r := range got {
		if !needles[r[0].(int64)] {
			t.Errorf("row %v is no match", r)
		}
	}
	if st.RowGroupsSelected != 1 {
		t.Errorf("row groups selected: %d, want 1", st.RowGroupsSelected)
	}
	t.Logf("LIKE rows: %d bytes read with candidates, %d without", st.BytesRead, stPlain.BytesRead)
	if st.BytesRead*4 > stPlain.BytesRead {
		t.Errorf("the LIKE read %d bytes with %d candidate rows, %d without", st.BytesRead, cand.GetCardinality(), stPlain.BytesRead)
	}

	f = Fragment{Schema: schema, Columns: cols, Limit: 1000, Sources: []Source{{File: src}}}
	got, st = runFragment(t, ctx, p, &f)
	if len(got) != 1000 {
		t.Fatalf("LIMIT 1000 returned %d rows", len(got))
	}
	t.Logf("LIMIT 1000: %d bytes read", st.BytesRead)
	if st.BytesRead*4 > stPlain.BytesRead {
		t.Errorf("LIMIT 1000 read %d bytes, the whole columns %d", st.BytesRead, stPlain.BytesRead)
	}
}
