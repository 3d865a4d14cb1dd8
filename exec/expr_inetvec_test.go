package exec

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/internal/pgnet"
)

// drawInet draws an inet or cidr value from a few small networks of both
// families, so that equal prefixes and containment happen often.
func drawInet(r *rand.Rand) pgnet.Inet {
	var a pgnet.Inet
	if r.IntN(2) == 0 {
		b := [4]byte{10, byte(r.IntN(3)), byte(r.IntN(3)), byte(r.IntN(4))}
		if r.IntN(5) == 0 {
			b[0] = 192
		}
		a = pgnet.Inet{Addr: netip.AddrFrom4(b), Bits: []int{0, 8, 16, 24, 32, 32, 32}[r.IntN(7)]}
	} else {
		b := [16]byte{0x20, 0x01, 0x0d, 0xb8, 5: byte(r.IntN(3)), 15: byte(r.IntN(4))}
		a = pgnet.Inet{Addr: netip.AddrFrom16(b), Bits: []int{0, 32, 48, 64, 128, 128}[r.IntN(6)]}
	}
	if r.IntN(3) == 0 {
		a = a.Masked()
		a.CIDR = true
	}
	return a
}

// TestInetPredicates: every operator against a constant, over stored
// canonical text (plain and dictionary-encoded, NULLs, random batch
// sizes), agrees with pgnet.Inet's methods, which the row engine uses.
func TestInetPredicates(t *testing.T) {
	seed := testSeed(t)
	r := rand.New(rand.NewPCG(seed, 11))
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	for _, size := range randomSizes(r, 1500) {
		vals := make([]*pgnet.Inet, size)
		for i := range vals {
			if r.IntN(10) > 0 {
				a := drawInet(r)
				vals[i] = &a
			}
		}
		dict := r.IntN(2) == 0
		var col arrow.Array
		if dict {
			b := array.NewDictionaryBuilder(mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}).(*array.BinaryDictionaryBuilder)
			for _, v := range vals {
				if v == nil {
					b.AppendNull()
				} else if err := b.AppendString(v.String()); err != nil {
					t.Fatal(err)
				}
			}
			col = b.NewArray()
			b.Release()
		} else {
			b := array.NewStringBuilder(mem)
			for _, v := range vals {
				if v == nil {
					b.AppendNull()
				} else {
					b.Append(v.String())
				}
			}
			col = b.NewArray()
			b.Release()
		}
		c := drawInet(r)
		for _, op := range []string{"=", "<>", "<", "<=", ">", ">=", "<<", "<<=", ">>", ">>=", "&&"} {
			e := &Expr{Op: OpInetCmp, Str: op, Args: []*Expr{Col(0), Str(c.String())}}
			got := testPred(t, mem, col, e)
			for i, v := range vals {
				w := byte('N')
				if v != nil {
					var res bool
					switch op {
					case "<<":
						res = c.Contains(*v)
					case "<<=":
						res = c.ContainsOrEquals(*v)
					case ">>":
						res = v.Contains(c)
					case ">>=":
						res = v.ContainsOrEquals(c)
					case "&&":
						res = v.Overlaps(c)
					default:
						res = cmpResult(v.Compare(c), cmpOpsBySymbol[op])
					}
					w = tfn(res, false)
				}
				if got[i] != w {
					t.Fatalf("seed %d: %s %s %s: %c, want %c", seed, v, op, c, got[i], w)
				}
			}
		}
		for _, fn := range []string{"family", "masklen"} {
			n := int64(r.IntN(2)*2 + 4)
			if fn == "masklen" {
				n = int64([]int{0, 8, 24, 32, 64, 128}[r.IntN(6)])
			}
			e := cmpE(OpEq, &Expr{Op: OpInetFunc, Str: fn, Args: []*Expr{Col(0)}}, Int(n))
			got := testPred(t, mem, col, e)
			for i, v := range vals {
				w := byte('N')
				if v != nil {
					x := v.Family()
					if fn == "masklen" {
						x = v.Bits
					}
					w = tfn(int64(x) == n, false)
				}
				if got[i] != w {
					t.Fatalf("seed %d: %s(%s) = %d: %c, want %c", seed, fn, v, n, got[i], w)
				}
			}
		}
		if got := testPred(t, mem, col, &Expr{Op: OpInetCmp, Str: "=", Args: []*Expr{Col(0), Null()}}); len(got) > 0 && got[0] != 'N' {
			t.Fatalf("= NULL: %s", got)
		}
		col.Release()
	}
	// A stored value that is not an address is an error, not a guess.
	b := array.NewStringBuilder(mem)
	b.Append("not an address")
	col := b.NewArray()
	b.Release()
	defer col.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: col.DataType(), Nullable: true}}, nil)
	p, err := compilePredicate(&Expr{Op: OpInetCmp, Str: "=", Args: []*Expr{Col(0), Str("10.0.0.1")}}, schema)
	if err != nil {
		t.Fatal(err)
	}
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, 1)
	defer rec.Release()
	if err := p.test(mem, rec, make([]bool, 1), nil); err == nil {
		t.Fatal("no error for a stored value that is no address")
	}
	if _, err := compilePredicate(&Expr{Op: OpInetCmp, Str: "=", Args: []*Expr{Col(0), Str("10.0.0.300")}}, schema); err == nil {
		t.Fatal("a bad constant compiled")
	}
}
