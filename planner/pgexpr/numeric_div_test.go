package pgexpr

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/shopspring/decimal"

	"openwit/exec"
	"openwit/internal/pgerror"
)

// TestNumericDivAgreesWithExecutor: the row engine's NumericDiv and the
// vectorized executor's kernel (exec.NumDivide) give the same value and
// display scale on random operands of up to 38 digits and any scale
// (negative, zero, one unit, extremes), and both raise 22012 on a zero
// divisor.
func TestNumericDivAgreesWithExecutor(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed) // a panic would lose the failure message naming it
	r := rand.New(rand.NewPCG(seed, 96))
	draw := func() (decimal128.Num, int32, decimal.Decimal) {
		p := int32(1 + r.IntN([]int{4, 12, 20, 38}[r.IntN(4)]))
		s := int32(r.IntN(int(p) + 1))
		var b strings.Builder
		switch r.IntN(6) {
		case 0:
			b.WriteString("1")
		case 1:
			b.WriteString(strings.Repeat("9", int(p)))
		case 2:
			b.WriteString("1" + strings.Repeat("0", int(p)-1))
		default:
			for range 1 + r.IntN(int(p)) {
				b.WriteByte(byte('0' + r.IntN(10)))
			}
		}
		u, _ := new(big.Int).SetString(b.String(), 10)
		if r.IntN(2) == 0 {
			u.Neg(u)
		}
		return decimal128.FromBigInt(u), s, decimal.NewFromBigInt(u, -s)
	}
	checked := 0
	for range 20000 {
		x, s1, dx := draw()
		y, s2, dy := draw()
		if r.IntN(20) == 0 {
			x, dx = decimal128.Num{}, decimal.New(0, -s1)
		}
		name := fmt.Sprintf("seed %d: %s / %s", seed, dx.StringFixed(s1), dy.StringFixed(s2))
		q, rs, err := exec.NumDivide(x, s1, y, s2)
		want, werr := NumericDiv(dx, dy)
		if y.Sign() == 0 {
			if pgerror.Code(err) != pgerror.DivisionByZero || pgerror.Code(werr) != pgerror.DivisionByZero {
				t.Fatalf("%s: %v and %v, want 22012 from both", name, err, werr)
			}
			continue
		}
		if werr != nil {
			t.Fatalf("%s: row engine: %v", name, werr)
		}
		if err != nil {
			continue // a quotient past 38 digits: the executor never computes it (NumDivType)
		}
		got := decimal.NewFromBigInt(q.BigInt(), -rs).StringFixed(rs)
		if w := want.StringFixed(dscale(want)); got != w || rs != dscale(want) {
			t.Fatalf("%s: executor %s (scale %d), row engine %s (scale %d)", name, got, rs, w, dscale(want))
		}
		checked++
	}
	if checked < 10000 {
		t.Fatalf("seed %d: only %d quotients compared", seed, checked)
	}
}
