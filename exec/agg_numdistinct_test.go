package exec

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestNumericCountDistinct: count(DISTINCT v) over a numeric column (few
// and many distinct values, negatives, extremes, NULLs), ungrouped and
// grouped by a numeric key, complete and as partial aggregations over
// disjoint inputs merged by a final one, counts each distinct value once.
func TestNumericCountDistinct(t *testing.T) {
	seed := testSeed(t)
	r := rand.New(rand.NewPCG(seed, 96))
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	const p, s = 38, 4
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: &arrow.Decimal128Type{Precision: 5, Scale: 1}, Nullable: true},
		{Name: "v", Type: &arrow.Decimal128Type{Precision: p, Scale: s}, Nullable: true},
	}, nil)
	keys := []*big.Int{nil, big.NewInt(15), big.NewInt(-15), big.NewInt(0)}
	pool := make([]*big.Int, 50)
	for i := range pool {
		pool[i] = drawUnscaled(r, p)
	}
	pool[0], pool[1] = big.NewInt(0), new(big.Int).Neg(new(big.Int).Sub(pow10Big(p), big.NewInt(1)))
	keyName := func(k *big.Int) string {
		if k == nil {
			return "NULL"
		}
		return decText(k, 1)
	}
	want := map[string]map[string]bool{}
	all := map[string]bool{}
	var batches []arrow.RecordBatch
	for _, size := range randomSizes(r, 1500) {
		kv, vv := make([]*big.Int, size), make([]*big.Int, size)
		for i := range kv {
			kv[i] = keys[r.IntN(len(keys))]
			name := keyName(kv[i])
			if want[name] == nil {
				want[name] = map[string]bool{}
			}
			switch r.IntN(5) {
			case 0: // NULL
				continue
			case 1:
				vv[i] = drawUnscaled(r, p) // mostly fresh values
			default:
				vv[i] = pool[r.IntN(len(pool))]
			}
			want[name][vv[i].String()] = true
			all[vv[i].String()] = true
		}
		ka, va := decArray(mem, 5, 1, kv), decArray(mem, p, s, vv)
		batches = append(batches, array.NewRecordBatch(schema, []arrow.Array{ka, va}, int64(size)))
		ka.Release()
		va.Release()
	}
	defer releaseAll(batches)
	collect := func(op Operator, grouped bool) []string {
		if err := op.Open(ctx); err != nil {
			t.Fatal(err)
		}
		defer op.Close()
		var out []string
		for {
			rec, err := op.Next(ctx)
			if err != nil {
				break
			}
			for i := 0; i < int(rec.NumRows()); i++ {
				n := rec.Column(0).(*array.Int64).Value(i)
				if !grouped {
					out = append(out, fmt.Sprint(n))
					continue
				}
				key := "NULL"
				if c := rec.Column(1).(*array.Decimal128); c.IsValid(i) {
					key = c.Value(i).ToString(1)
				}
				out = append(out, fmt.Sprintf("%s:%d", key, n))
			}
		}
		slices.Sort(out)
		return out
	}
	var expGrouped []string
	for k, set := range want {
		expGrouped = append(expGrouped, fmt.Sprintf("%s:%d", k, len(set)))
	}
	slices.Sort(expGrouped)
	expAll := []string{fmt.Sprint(len(all))}
	pr := Params{Mem: mem}
	for _, grouped := range []bool{false, true} {
		spec := AggSpec{Aggs: []Agg{{Func: AggCountDistinct, Arg: Col(1)}}}
		exp := expAll
		if grouped {
			spec.Aggs = append(spec.Aggs, Agg{Func: AggFirst, Arg: Col(0)})
			spec.Keys = []*Expr{Col(0)}
			exp = expGrouped
		}
		complete, err := NewHashAgg(pr, memScan(t, pr, schema, batches), &spec)
		if err != nil {
			t.Fatal(err)
		}
		if got := collect(complete, grouped); !slices.Equal(got, exp) {
			t.Fatalf("seed %d: grouped %v: complete:\n got %v\nwant %v", seed, grouped, got, exp)
		}
		half := len(batches) / 2
		var parts []arrow.RecordBatch
		var partSchema *arrow.Schema
		for _, in := range [][]arrow.RecordBatch{batches[:half], batches[half:]} {
			ps := spec
			ps.Mode = AggPartial
			op, err := NewHashAgg(pr, memScan(t, pr, schema, in), &ps)
			if err != nil {
				t.Fatal(err)
			}
			if err := op.Open(ctx); err != nil {
				t.Fatal(err)
			}
			for {
				rec, err := op.Next(ctx)
				if err != nil {
					break
				}
				rec.Retain()
				parts = append(parts, rec)
				partSchema = rec.Schema()
			}
			op.Close()
		}
		fs := spec
		fs.Mode = AggFinal
		final, err := NewHashAgg(pr, memScan(t, pr, partSchema, parts), &fs)
		if err != nil {
			t.Fatal(err)
		}
		if got := collect(final, grouped); !slices.Equal(got, exp) {
			t.Fatalf("seed %d: grouped %v: partial+final:\n got %v\nwant %v", seed, grouped, got, exp)
		}
		releaseAll(parts)
	}
}
