package exec

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/internal/pgnet"
)

var inetSchema = schemaOf(
	field("ip", arrow.BinaryTypes.String),    // 0: stored inet/cidr text
	field("id", arrow.PrimitiveTypes.Int64),  // 1: row number
	field("grp", arrow.PrimitiveTypes.Int64), // 2
)

// inetText draws a stored inet value: both families, short and full
// masks, host bits under short masks, few distinct networks so that
// prefixes are shared; nil for NULL.
func inetText(r *rand.Rand) any {
	switch r.IntN(9) {
	case 0:
		return nil
	case 1:
		return []string{"0.0.0.0/0", "::/0", "::", "::ffff:10.0.0.1", "::10.0.0.1", "255.255.255.255", "10.0.0.0/8"}[r.IntN(7)]
	}
	var a pgnet.Inet
	if r.IntN(3) > 0 {
		b := [4]byte{10, byte(r.IntN(3)), byte(r.IntN(3)), byte(r.IntN(5))}
		if r.IntN(4) == 0 {
			b[0] = byte(r.IntN(256))
		}
		a = pgnet.Inet{Addr: netip.AddrFrom4(b), Bits: []int{0, 7, 8, 16, 24, 31, 32, 32, 32}[r.IntN(9)]}
	} else {
		var b [16]byte
		b[0], b[1], b[2], b[3], b[5], b[15] = 0x20, 0x01, 0x0d, 0xb8, byte(r.IntN(3)), byte(r.IntN(5))
		a = pgnet.Inet{Addr: netip.AddrFrom16(b), Bits: []int{0, 32, 48, 64, 127, 128, 128}[r.IntN(7)]}
	}
	if r.IntN(3) == 0 {
		a = a.Masked()
	}
	// One column holds one type's output: inet here (equal values
	// print alike).
	return a.String()
}

func inetRows(r *rand.Rand, n int) [][]any {
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = []any{inetText(r), int64(i), int64(r.IntN(4))}
	}
	return rows
}

// inetCmpText is the reference order: PostgreSQL's network_cmp on the
// parsed values (pgnet.Inet.Compare, not the sort key).
func inetCmpText(tb testing.TB, a, b string) int {
	x, err := pgnet.ParseInet(a, false)
	if err != nil {
		tb.Fatal(err)
	}
	y, err := pgnet.ParseInet(b, false)
	if err != nil {
		tb.Fatal(err)
	}
	return x.Compare(y)
}

// refTopK sorts rows by spec's keys (inet keys in network order) and keeps
// K.
func refInetTopK(tb testing.TB, rows [][]any, spec *TopKSpec) [][]any {
	out := slices.Clone(rows)
	slices.SortStableFunc(out, func(x, y []any) int {
		for _, k := range spec.Keys {
			a, b := x[k.Col], y[k.Col]
			var c int
			switch {
			case a == nil || b == nil:
				c = orderValues(a, b, k)
			case k.Order == OrderInet:
				c = inetCmpText(tb, a.(string), b.(string))
				if k.Desc {
					c = -c
				}
			default:
				c = orderValues(a, b, k)
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
	return out[:min(int64(len(out)), spec.K)]
}

func runInetFragment(tb testing.TB, p Params, f *Fragment) [][]any {
	tb.Helper()
	ctx := context.Background()
	op, err := Run(ctx, p, f)
	if err != nil {
		tb.Fatal(err)
	}
	defer op.Close()
	return drain(tb, ctx, op)
}

// TestInetTopK: a top-k with inet keys (ASC/DESC, NULLS FIRST/LAST, mixed
// with other keys, K from 1 past the row count) keeps PostgreSQL's order
// over in-memory batches of random sizes and Parquet files, with several
// workers merging their heaps, and leaks no memory.
func TestInetTopK(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewPCG(4, 92))
	rows := inetRows(r, 1800)
	bucket := newBucket(t)
	var files []Source
	var mems []Source
	for fi, part := range [][][]any{rows[:700], rows[700:1500], rows[1500:]} {
		bs := mkBatches(t, mem, inetSchema, part, randSizes(r, len(part))...)
		files = append(files, Source{File: writeParquet(t, bucket, fmt.Sprintf("i/%d.parquet", fi), inetSchema, bs, int64(50+r.IntN(300)))})
		mems = append(mems, Source{Batches: bs})
		defer releaseAll(bs)
	}
	inet := func(desc, nullsFirst bool) SortKey {
		return SortKey{Col: 0, Desc: desc, NullsFirst: nullsFirst, Order: OrderInet}
	}
	specs := map[string]*TopKSpec{
		"asc":                  {K: 25, Keys: []SortKey{inet(false, false), {Col: 1}}},
		"desc":                 {K: 25, Keys: []SortKey{inet(true, true), {Col: 1}}},
		"asc nulls first":      {K: 300, Keys: []SortKey{inet(false, true), {Col: 1, Desc: true}}},
		"desc nulls last":      {K: 300, Keys: []SortKey{inet(true, false), {Col: 1}}},
		"second key":           {K: 100, Keys: []SortKey{{Col: 2}, inet(true, true), {Col: 1}}},
		"k=1":                  {K: 1, Keys: []SortKey{inet(false, false), {Col: 1}}},
		"k past the row count": {K: 5000, Keys: []SortKey{inet(false, false), {Col: 1}}},
	}
	for name, spec := range specs {
		want := refInetTopK(t, rows, spec)
		for _, src := range []struct {
			name string
			s    []Source
		}{{"batches", mems}, {"parquet", files}} {
			for _, par := range []int{1, 3} {
				t.Run(fmt.Sprintf("%s/%s/par=%d", name, src.name, par), func(t *testing.T) {
					f := &Fragment{Table: "t", Schema: inetSchema, Columns: names(inetSchema), Sources: src.s, TopK: spec}
					if err := f.Validate(Params{}); err != nil {
						t.Fatal(err)
					}
					sameRows(t, runInetFragment(t, Params{Mem: mem, Bucket: bucket, Parallelism: par}, f), want)
				})
			}
		}
	}
}

// TestInetMinMax: min_inet/max_inet keep the least and greatest value in
// network order, printed as stored, per group and without groups, over
// plain batches and dictionary-encoded Parquet columns, complete and as
// partial then final aggregations.
func TestInetMinMax(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewPCG(8, 92))
	// Few distinct values in the last file, so that its Parquet column
	// is dictionary-encoded (checked below); random ones before.
	pool := make([]any, 8)
	for i := range pool {
		for pool[i] == nil {
			pool[i] = inetText(r)
		}
	}
	rows := inetRows(r, 7000)
	for i := range rows {
		if i >= 3400 && rows[i][0] != nil {
			rows[i][0] = pool[r.IntN(len(pool))]
		}
	}
	for i := range rows[:300] {
		rows[i][2] = int64(9) // group 9: every value NULL
		rows[i][0] = nil
	}
	bucket := newBucket(t)
	var files, mems []Source
	for fi, part := range [][][]any{rows[:300], rows[300:3400], rows[3400:]} {
		bs := mkBatches(t, mem, inetSchema, part, randSizes(r, len(part))...)
		files = append(files, Source{File: writeParquet(t, bucket, fmt.Sprintf("m/%d.parquet", fi), inetSchema, bs, int64(1800+fi*1000))})
		mems = append(mems, Source{Batches: bs})
		defer releaseAll(bs)
	}
	// The reference: per group, the least and greatest text in network order.
	type mm struct{ lo, hi any }
	ref := map[any]*mm{}
	all := &mm{}
	fold := func(m *mm, v any) {
		if v == nil {
			return
		}
		s := v.(string)
		if m.lo == nil || inetCmpText(t, s, m.lo.(string)) < 0 {
			m.lo = s
		}
		if m.hi == nil || inetCmpText(t, s, m.hi.(string)) > 0 {
			m.hi = s
		}
	}
	for _, row := range rows {
		if ref[row[2]] == nil {
			ref[row[2]] = &mm{}
		}
		fold(ref[row[2]], row[0])
		fold(all, row[0])
	}
	var wantGroups [][]any
	for g, m := range ref {
		wantGroups = append(wantGroups, []any{g, m.lo, m.hi})
	}
	specs := map[string]struct {
		spec AggSpec
		want [][]any
	}{
		"no keys": {AggSpec{Aggs: []Agg{{Func: AggMinInet, Arg: Col(0)}, {Func: AggMaxInet, Arg: Col(0)}}}, [][]any{{all.lo, all.hi}}},
		"by grp":  {AggSpec{Keys: []*Expr{Col(2)}, Aggs: []Agg{{Func: AggFirst, Arg: Col(2)}, {Func: AggMinInet, Arg: Col(0)}, {Func: AggMaxInet, Arg: Col(0)}}}, wantGroups},
	}
	for name, tc := range specs {
		for _, src := range []struct {
			name string
			s    []Source
		}{{"batches", mems}, {"parquet", files}} {
			for _, par := range []int{1, 3} {
				t.Run(fmt.Sprintf("%s/%s/par=%d", name, src.name, par), func(t *testing.T) {
					p := Params{Mem: mem, Bucket: bucket, Parallelism: par}
					spec := tc.spec
					f := &Fragment{Table: "t", Schema: inetSchema, Columns: names(inetSchema), Sources: src.s, Agg: &spec}
					sameRowSet(t, runInetFragment(t, p, f), tc.want)
					// Two phases: a partial aggregation per source, a final
					// one over their states.
					var parts []Source
					var pschema *arrow.Schema
					for _, s := range src.s {
						ps := tc.spec
						ps.Mode = AggPartial
						pf := &Fragment{Table: "t", Schema: inetSchema, Columns: names(inetSchema), Sources: []Source{s}, Agg: &ps}
						op, err := Run(context.Background(), p, pf)
						if err != nil {
							t.Fatal(err)
						}
						if err := op.Open(context.Background()); err != nil {
							t.Fatal(err)
						}
						rec, err := op.Next(context.Background())
						if err != nil {
							t.Fatal(err)
						}
						rec.Retain()
						op.Close()
						defer rec.Release()
						pschema = rec.Schema()
						parts = append(parts, Source{Batches: []arrow.RecordBatch{rec}})
					}
					fs := tc.spec
					fs.Mode = AggFinal
					ff := &Fragment{Table: "t", Schema: pschema, Columns: names(pschema), Sources: parts, Agg: &fs}
					sameRowSet(t, runInetFragment(t, p, ff), tc.want)
				})
			}
		}
	}
	// The Parquet columns are dictionary-encoded where the scan reads
	// them for an aggregation.
	f := &Fragment{Table: "t", Schema: inetSchema, Columns: names(inetSchema), Sources: files[2:], Agg: &AggSpec{Aggs: []Agg{{Func: AggMinInet, Arg: Col(0)}}}}
	scan, err := f.scan(Params{Mem: mem, Bucket: bucket}, files[2], nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := scan.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec, err := scan.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	dt := rec.Column(0).DataType()
	scan.Close()
	if dt.ID() != arrow.DICTIONARY {
		t.Fatalf("the Parquet ip column was read as %s, not a dictionary: the dictionary path is untested", dt)
	}
}

// TestInetOrderBadText: a stored text that is not an address is an error
// of the top-k and of min/max, not a guess or a crash.
func TestInetOrderBadText(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	bs := mkBatches(t, mem, inetSchema, [][]any{{"10.0.0.1", int64(0), int64(0)}, {"not an address", int64(1), int64(0)}})
	defer releaseAll(bs)
	for name, f := range map[string]*Fragment{
		"top-k": {TopK: &TopKSpec{K: 1, Keys: []SortKey{{Col: 0, Order: OrderInet}}}},
		"min":   {Agg: &AggSpec{Aggs: []Agg{{Func: AggMinInet, Arg: Col(0)}}}},
	} {
		f.Table, f.Schema, f.Columns, f.Sources = "t", inetSchema, names(inetSchema), []Source{{Batches: bs}}
		op, err := Run(context.Background(), Params{Mem: mem}, f)
		if err == nil {
			_, err = tryDrain(context.Background(), op)
			op.Close()
		}
		if err == nil || !strings.Contains(err.Error(), "not an address") {
			t.Errorf("%s: %v", name, err)
		}
	}
	// An inet order on a column that is not text is refused.
	f := &Fragment{Table: "t", Schema: inetSchema, Columns: names(inetSchema), TopK: &TopKSpec{K: 1, Keys: []SortKey{{Col: 1, Order: OrderInet}}}}
	if err := f.Validate(Params{}); err == nil {
		t.Error("inet order of an int64 column validated")
	}
	f.TopK.Keys[0] = SortKey{Col: 0, Order: "klingon"}
	if err := f.Validate(Params{}); err == nil {
		t.Error("an unknown order validated")
	}
}

// TestInetOrderEncoding: a fragment with an inet sort key is encoded as
// FragmentVersionOrder (an older worker refuses it instead of sorting by
// text) and decodes with its order; others stay FragmentVersion.
func TestInetOrderEncoding(t *testing.T) {
	src := []Source{{File: &FileSource{ID: "f", Path: "p"}}}
	for _, tc := range []struct {
		spec    *TopKSpec
		version int
	}{
		{&TopKSpec{K: 3, Keys: []SortKey{{Col: 1}, {Col: 0, Desc: true, NullsFirst: true, Order: OrderInet}}}, FragmentVersionOrder},
		{&TopKSpec{K: 3, Keys: []SortKey{{Col: 1}}}, FragmentVersion},
	} {
		f := &Fragment{Table: "t", Columns: names(inetSchema), Sources: src, TopK: tc.spec}
		b, err := f.Encode()
		if err != nil {
			t.Fatal(err)
		}
		g, err := DecodeFragment(b)
		if err != nil {
			t.Fatal(err)
		}
		if g.Version != tc.version || !slices.Equal(g.TopK.Keys, tc.spec.Keys) {
			t.Errorf("decoded version %d keys %+v; want %d %+v", g.Version, g.TopK.Keys, tc.version, tc.spec.Keys)
		}
	}
}
