package pgexpr

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestExactDecimalReadsBack checks that the decimal the statistics
// aggregates sum for a float8 converts back to the same float8, on the fast
// path (few decimals) and off it.
func TestExactDecimalReadsBack(t *testing.T) {
	cases := []float64{0.1, 0.5, -2.75, 1e15, 123456.789, 1.0 / 3, math.Pi, 5e-324, math.MaxFloat64, -1e-7, 9007199254740993}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		cases = append(cases, math.Round(r.NormFloat64()*1e6)/1e3, r.NormFloat64()*math.Pow(10, float64(r.IntN(40)-20)))
	}
	for _, f := range cases {
		d := exactDecimal(f)
		if g, _ := d.Float64(); g != f {
			t.Errorf("exactDecimal(%v) = %s, reads back as %v", f, d, g)
		}
	}
	if d := exactDecimal(0.1); d.String() != "0.1" {
		t.Errorf("exactDecimal(0.1) = %s, want the shortest form 0.1", d)
	}
}

// TestDegreesExact checks the values PostgreSQL's float.c makes exact.
func TestDegreesExact(t *testing.T) {
	for _, c := range []struct {
		name string
		got  float64
		want float64
	}{
		{"sind(30)", sind(30), 0.5}, {"sind(-30)", sind(-30), -0.5}, {"sind(90)", sind(90), 1}, {"sind(180)", sind(180), 0},
		{"sind(210)", sind(210), -0.5}, {"cosd(60)", cosd(60), 0.5}, {"cosd(120)", cosd(120), -0.5}, {"cosd(90)", cosd(90), 0},
		{"cosd(-240)", cosd(-240), -0.5}, {"tand(45)", tand(45), 1}, {"tand(135)", tand(135), -1}, {"tand(180)", tand(180), 0},
		{"cotd(45)", cotd(45), 1}, {"cotd(-45)", cotd(-45), -1}, {"asind(0.5)", asind(0.5), 30}, {"asind(-1)", asind(-1), -90},
		{"acosd(0.5)", acosd(0.5), 60}, {"acosd(-0.5)", acosd(-0.5), 120}, {"acosd(-1)", acosd(-1), 180},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if !math.IsInf(tand(90), 1) || !math.IsInf(cotd(0), 1) {
		t.Errorf("tand(90) = %v, cotd(0) = %v, want +Inf", tand(90), cotd(0))
	}
	if math.Signbit(tand(-180)) {
		t.Errorf("tand(-180) is minus zero")
	}
}
