package exec_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/exec"
	"openwit/internal/pgnet"
	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
)

// benchTags are 8,192 rows of one to four tags from a vocabulary of 20.
func benchTags() [][]string {
	r := rand.New(rand.NewPCG(3, 3))
	out := make([][]string, 8192)
	for i := range out {
		t := make([]string, 1+r.IntN(4))
		for j := range t {
			t[j] = []string{"prod", "dev", "staging"}[r.IntN(3)]
			if r.IntN(2) == 0 {
				t[j] = fmt.Sprintf("team-%02d", r.IntN(17))
			}
		}
		out[i] = t
	}
	return out
}

// benchIPs are 8,192 client addresses: IPv4 in a few networks, one in
// eight IPv6.
func benchIPs() []string {
	r := rand.New(rand.NewPCG(4, 4))
	out := make([]string, 8192)
	for i := range out {
		if r.IntN(8) == 0 {
			b := [16]byte{0x20, 0x01, 0x0d, 0xb8, 7: byte(r.IntN(256)), 15: byte(r.IntN(256))}
			out[i] = netip.AddrFrom16(b).String()
			continue
		}
		out[i] = fmt.Sprintf("%d.%d.%d.%d", []int{10, 172, 192}[r.IntN(3)], r.IntN(256), r.IntN(256), r.IntN(256))
	}
	return out
}

// BenchmarkArrayInetFilter compares filters over 8,192 rows: impl=row is
// the row engine's work per row (an array formatted into its text form and
// pgexpr's ANY / @> parsing it again; an inet text parsed into a
// pgnet.Inet and pgexpr's InetOp), impl=vec the vectorized filter over the
// list or the stored text. Compare with benchstat -col /impl.
func BenchmarkArrayInetFilter(b *testing.B) {
	tags := benchTags()
	ips := benchIPs()
	listType := arrow.ListOfField(arrow.Field{Name: "element", Type: arrow.BinaryTypes.String, Nullable: true})
	schema := arrow.NewSchema([]arrow.Field{{Name: "tags", Type: listType, Nullable: true}, {Name: "ip", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	lb := array.NewListBuilderWithField(memory.DefaultAllocator, listType.ElemField())
	vb := lb.ValueBuilder().(*array.StringBuilder)
	for _, t := range tags {
		lb.Append(true)
		vb.AppendValues(t, nil)
	}
	tagCol := lb.NewArray()
	lb.Release()
	sb := array.NewStringBuilder(memory.DefaultAllocator)
	sb.AppendValues(ips, nil)
	ipCol := sb.NewArray()
	sb.Release()
	rec := array.NewRecordBatch(schema, []arrow.Array{tagCol, ipCol}, int64(len(tags)))
	tagCol.Release()
	ipCol.Release()
	defer rec.Release()
	ctx := sql.NewEmptyContext()
	textArray := pgtypes.ArrayType{Elem: pgtypes.OIDText}

	arrayRow := func(eval func(arr sql.Expression) (any, error)) func() (int, error) {
		return func() (int, error) {
			kept := 0
			elems := make([]*string, 0, 4)
			for _, t := range tags {
				elems = elems[:0]
				for j := range t {
					elems = append(elems, &t[j])
				}
				v, err := eval(expression.NewLiteral(pgtypes.FormatArrayText(elems), textArray))
				if err != nil {
					return 0, err
				}
				if v == true || v == int8(1) {
					kept++
				}
			}
			return kept, nil
		}
	}
	inetRow := func(op, c string) func() (int, error) {
		cst, err := pgnet.ParseInet(c, false)
		if err != nil {
			panic(err)
		}
		it, _ := pgtypes.GMSType("inet")
		return func() (int, error) {
			kept := 0
			for _, s := range ips {
				a, err := pgnet.ParseInet(s, false)
				if err != nil {
					return 0, err
				}
				if op == "=" {
					if a.Compare(cst) == 0 {
						kept++
					}
					continue
				}
				e := &pgexpr.InetOp{Op: op, Left: expression.NewLiteral(a, it), Right: expression.NewLiteral(cst, it)}
				v, err := e.Eval(ctx, nil)
				if err != nil {
					return 0, err
				}
				if v == int8(1) {
					kept++
				}
			}
			return kept, nil
		}
	}
	prod := expression.NewLiteral("prod", types.LongText)
	filters := []struct {
		name string
		vec  *exec.Expr
		row  func() (int, error)
	}{
		{"any", &exec.Expr{Op: exec.OpArrayAny, Str: "=", Args: []*exec.Expr{exec.Col(0), exec.Str("prod")}},
			arrayRow(func(arr sql.Expression) (any, error) {
				return (&pgexpr.ArrayAny{X: prod, Array: arr, Op: "="}).Eval(ctx, nil)
			})},
		{"contains", &exec.Expr{Op: exec.OpArrayContains, Args: []*exec.Expr{exec.Col(0)}, Elems: []*exec.Lit{{Kind: exec.LitString, S: "prod"}, {Kind: exec.LitString, S: "team-03"}}},
			func() func() (int, error) {
				f, err := pgexpr.InjectableArrayFn{Name: "@>"}.WithResolvedChildren([]any{expression.NewLiteral("{}", textArray), expression.NewLiteral("{prod,team-03}", textArray)})
				if err != nil {
					panic(err)
				}
				fn := f.(sql.Expression)
				return arrayRow(func(arr sql.Expression) (any, error) {
					g, err := fn.WithChildren(arr, fn.Children()[1])
					if err != nil {
						return nil, err
					}
					return g.Eval(ctx, nil)
				})
			}()},
		{"inet_contained", &exec.Expr{Op: exec.OpInetCmp, Str: "<<", Args: []*exec.Expr{exec.Col(1), exec.Str("10.0.0.0/8")}}, inetRow("<<", "10.0.0.0/8")},
		{"inet_eq", &exec.Expr{Op: exec.OpInetCmp, Str: "=", Args: []*exec.Expr{exec.Col(1), exec.Str(ips[0])}}, inetRow("=", ips[0])},
	}
	for _, f := range filters {
		want, err := f.row()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(f.name+"/impl=row", func(b *testing.B) {
			b.ReportAllocs()
			kept := 0
			for b.Loop() {
				if kept, err = f.row(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(kept), "rows")
		})
		b.Run(f.name+"/impl=vec", func(b *testing.B) {
			b.ReportAllocs()
			p := exec.Params{Mem: memory.DefaultAllocator}
			kept := 0
			for b.Loop() {
				scan, err := exec.NewScan(p, exec.Source{Batches: []arrow.RecordBatch{rec}}, schema, []string{"tags", "ip"}, nil)
				if err != nil {
					b.Fatal(err)
				}
				flt, err := exec.NewFilter(p, scan, f.vec)
				if err != nil {
					b.Fatal(err)
				}
				kept = countRows(b, flt)
			}
			if kept != want {
				b.Fatalf("vectorized kept %d rows, the row engine's operators %d", kept, want)
			}
			b.ReportMetric(float64(kept), "rows")
		})
	}
}
