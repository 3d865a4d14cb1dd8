package exec_test

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/jackc/pgx/v5"

	"openwit/exec"
	"openwit/internal/testpg"
)

// TestNumericDivisionPostgres: on a grid of numeric(p1,s1) / numeric(p2,s2)
// types and values of each (one unit, the largest, a power of ten,
// random, zero dividends, both signs), the executor's division gives
// PostgreSQL 15's quotient and display scale, and for every type pair the
// kernel accepts (exec.NumDivType) PostgreSQL's quotients fit its common
// scale and precision.
func TestNumericDivisionPostgres(t *testing.T) {
	pg := testpg.Start(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pg.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	r := rand.New(rand.NewPCG(96, 15))
	type typ struct{ p, s int32 }
	var types []typ
	for _, p := range []int32{1, 3, 5, 8, 10, 12, 18, 24, 38} {
		for _, s := range []int32{0, 1, 2, 4, p / 2, p} {
			if s <= p && (len(types) == 0 || types[len(types)-1] != typ{p, s}) {
				types = append(types, typ{p, s})
			}
		}
	}
	values := func(tp typ, dividend bool) []*big.Int {
		lim := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(tp.p)), nil)
		random := func() *big.Int {
			var b strings.Builder
			for range 1 + r.IntN(int(tp.p)) {
				b.WriteByte(byte('0' + r.IntN(10)))
			}
			v, _ := new(big.Int).SetString(b.String(), 10)
			return v
		}
		vs := []*big.Int{big.NewInt(1), new(big.Int).Sub(lim, big.NewInt(1)), new(big.Int).Quo(lim, big.NewInt(10)), random(), random()}
		if dividend {
			vs = append(vs, big.NewInt(0))
		}
		for _, v := range vs[:len(vs)-2] {
			if v.Sign() != 0 && r.IntN(2) == 0 {
				v.Neg(v)
			}
		}
		for i, v := range vs {
			if v.Sign() == 0 && i < 3 {
				vs[i] = big.NewInt(1)
			}
		}
		return vs
	}
	text := func(v *big.Int, s int32) string {
		return new(big.Rat).SetFrac(v, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(s)), nil)).FloatString(int(s))
	}
	type pair struct {
		x, y   *big.Int
		t1, t2 typ
	}
	var pairs []pair
	var xs, ys []string
	for _, t1 := range types {
		for _, t2 := range types {
			xv, yv := values(t1, true), values(t2, false)
			for range 4 {
				x, y := xv[r.IntN(len(xv))], yv[r.IntN(len(yv))]
				if y.Sign() == 0 {
					continue
				}
				pairs = append(pairs, pair{x, y, t1, t2})
				xs, ys = append(xs, text(x, t1.s)), append(ys, text(y, t2.s))
			}
		}
	}
	rows, err := conn.Query(ctx, `SELECT (x::numeric / y::numeric)::text, scale(x::numeric / y::numeric)
		FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(x, y, n) ORDER BY n`, xs, ys)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	var scales []int32
	for rows.Next() {
		var q string
		var sc int32
		if err := rows.Scan(&q, &sc); err != nil {
			t.Fatal(err)
		}
		want, scales = append(want, q), append(scales, sc)
	}
	if err := rows.Err(); err != nil || len(want) != len(pairs) {
		t.Fatalf("%d answers for %d pairs: %v", len(want), len(pairs), err)
	}
	bounded := 0
	for i, pr := range pairs {
		name := fmt.Sprintf("%s::numeric(%d,%d) / %s::numeric(%d,%d)", xs[i], pr.t1.p, pr.t1.s, ys[i], pr.t2.p, pr.t2.s)
		q, rs, err := exec.NumDivide(decimal128.FromBigInt(pr.x), pr.t1.s, decimal128.FromBigInt(pr.y), pr.t2.s)
		switch {
		case err != nil && strings.Contains(err.Error(), "beyond 38 digits"):
			// PostgreSQL's quotient has more than 38 digits: check it does.
			if d := len(strings.TrimLeft(strings.NewReplacer("-", "", ".", "").Replace(want[i]), "0")); d <= 38 {
				t.Errorf("%s: refused as beyond 38 digits, PostgreSQL gives %s", name, want[i])
			}
			continue
		case err != nil:
			t.Fatalf("%s: %v", name, err)
		}
		if got := text(q.BigInt(), rs); got != want[i] || rs != scales[i] {
			t.Errorf("%s = %s (scale %d), PostgreSQL %s (scale %d)", name, got, rs, want[i], scales[i])
		}
		dt, ok := exec.NumDivType(exec.ColumnDivRange(pr.t1.p, pr.t1.s), pr.t1.s, exec.ColumnDivRange(pr.t2.p, pr.t2.s), pr.t2.s, false)
		if !ok {
			continue
		}
		bounded++
		held := new(big.Int).Mul(new(big.Int).Abs(q.BigInt()), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(dt.Scale-rs)), nil))
		if rs > dt.Scale || held.Cmp(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(dt.Precision)), nil)) >= 0 {
			t.Errorf("%s = %s does not fit the kernel's %s", name, want[i], dt)
		}
	}
	t.Logf("%d quotients compared, %d of type pairs the kernel accepts", len(pairs), bounded)
	if bounded == 0 {
		t.Fatal("no accepted type pair in the grid")
	}
}
