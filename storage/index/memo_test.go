package index

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/memory/mallocator"

	"openwit/storage/pqfile"
)

// TestValueMemoMatchesNaive: the postings, Bloom filters and trigram
// filters built through valueMemo are what a row-by-row computation gives,
// for a column of repeated values, one that turns mostly distinct (the
// memo switches off at valueMemoProbe, in a row group that starts with
// repeats or not), one where every value comes twice (the memo keeps
// serving it until valueMemoMax), tokens repeated inside a value, NULLs,
// and row groups cut inside batches.
func TestValueMemoMatchesNaive(t *testing.T) {
	mem := memory.NewCheckedAllocator(mallocator.NewMallocator())
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(5, 50))
	const rows = 30_000
	hosts := make([]string, 40)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("web-%c%c host host", 'a'+i%26, 'a'+i/26)
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "host", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "msg", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "pair", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	vals := [3][]*string{}
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	var batches []arrow.RecordBatch
	for r := 0; r < rows; r++ {
		var h, m *string
		if rng.IntN(9) != 0 {
			s := hosts[rng.IntN(len(hosts))]
			h = &s
		}
		if rng.IntN(11) != 0 {
			// Few values first, then mostly distinct ones (the memo fills
			// up and switches off in the second row group).
			s := fmt.Sprintf("user u%d said hi hi to w%d", rng.IntN(30), rng.IntN(20))
			if r >= rows/3 {
				s = fmt.Sprintf("user u%d said hi to w%d", rng.IntN(1_000_000), rng.IntN(3))
			}
			m = &s
		}
		p := fmt.Sprintf("req-%d twice", r/2)
		for c, v := range []*string{h, m, &p} {
			vals[c] = append(vals[c], v)
			if v == nil {
				b.Field(c).AppendNull()
			} else {
				b.Field(c).(*array.StringBuilder).Append(*v)
			}
		}
		if b.Field(0).Len() == 7_000 || r == rows-1 {
			batches = append(batches, b.NewRecordBatch())
		}
	}
	defer func() {
		for _, r := range batches {
			r.Release()
		}
	}()
	rd := writeTestFile(t, mem, schema, batches, 12_000)
	defer rd.Close()
	ix, err := BuildFromBatches(t.Context(), rd, batches, Options{BloomColumns: []string{"host", "msg", "pair"}})
	if err != nil {
		t.Fatal(err)
	}
	start := 0
	for g, n := range ix.RowGroups {
		for c, name := range []string{"host", "msg", "pair"} {
			col := ix.Column(name)
			// Naive postings: token -> rows of the group holding it.
			want := map[string][]uint32{}
			for r := start; r < start+int(n); r++ {
				v := vals[c][r]
				if v == nil {
					continue
				}
				if col.Blooms[g] == nil || !col.Blooms[g].HasHash(HashString(*v)) {
					t.Fatalf("%s group %d: the Bloom filter misses %q", name, g, *v)
				}
				if !HasGrams(col.Grams[g], Grams(*v)) {
					t.Fatalf("%s group %d: the trigram filter misses %q", name, g, *v)
				}
				for _, tok := range rawTokens(*v) {
					if l := want[tok]; len(l) == 0 || l[len(l)-1] != uint32(r-start) {
						want[tok] = append(l, uint32(r-start))
					}
				}
			}
			p := col.Postings[g]
			if int64(len(want)) > n/PostingsRowsPerTerm+64 {
				if p != nil {
					t.Errorf("%s group %d: %d terms in %d rows got postings", name, g, len(want), n)
				}
				continue
			}
			if p == nil {
				t.Fatalf("%s group %d: no postings for %d terms", name, g, len(want))
			}
			if len(p.Terms) != len(want) {
				t.Fatalf("%s group %d: %d terms, want %d", name, g, len(p.Terms), len(want))
			}
			for k, term := range p.Terms {
				bm, err := p.Bitmap(k)
				if err != nil {
					t.Fatal(err)
				}
				if got := bm.ToArray(); !slices.Equal(got, want[term]) {
					t.Fatalf("%s group %d term %q: rows %v, want %v", name, g, term, got[:min(len(got), 10)], want[term][:min(len(want[term]), 10)])
				}
			}
		}
		start += int(n)
	}
	if len(ix.RowGroups) < 3 {
		t.Fatalf("%d row groups, want 3", len(ix.RowGroups))
	}
}

// rawTokens is the postings' tokenizer written plainly: maximal runs of
// token bytes, digit-only runs left out.
func rawTokens(s string) []string {
	var out []string
	cur := []byte{}
	flush := func() {
		if len(cur) > 0 && !DigitsOnly(string(cur)) {
			out = append(out, string(cur))
		}
		cur = cur[:0]
	}
	for i := 0; i < len(s); i++ {
		if IsTokenByte(s[i]) {
			cur = append(cur, s[i])
		} else {
			flush()
		}
	}
	flush()
	return out
}

// writeTestFile writes batches as a Parquet file of row groups of rgRows
// rows and opens it.
func writeTestFile(t testing.TB, mem memory.Allocator, schema *arrow.Schema, batches []arrow.RecordBatch, rgRows int64) *pqfile.Reader {
	t.Helper()
	var buf bytes.Buffer
	if _, _, err := pqfile.Write(&buf, schema, batches, pqfile.WriterOptions{RowGroupRows: rgRows, Allocator: mem}); err != nil {
		t.Fatal(err)
	}
	rd, err := pqfile.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), mem)
	if err != nil {
		t.Fatal(err)
	}
	return rd
}
