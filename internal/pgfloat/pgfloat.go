// Package pgfloat formats float4 and float8 values as PostgreSQL's text
// output does when extra_float_digits is 0 or less: C's %.*g with
// FLT_DIG (6) or DBL_DIG (15) plus extra_float_digits significant digits
// (at least 1), trailing zeros dropped, the exponent with a sign and at
// least two digits, and NaN, Infinity and -Infinity spelled out. With
// extra_float_digits above 0 PostgreSQL 12+ prints the shortest text that
// reads back exactly; callers keep their own formatter for that case.
package pgfloat

import (
	"math"
	"strconv"
)

// Precision returns the number of significant digits a float of bits (32
// or 64) is printed with for extra_float_digits efd <= 0.
func Precision(bits, efd int) int {
	base := 15
	if bits == 32 {
		base = 6
	}
	return max(1, base+efd)
}

// Append appends f, a float of bits (32 or 64), formatted for
// extra_float_digits efd <= 0.
func Append(buf []byte, f float64, bits, efd int) []byte {
	if out, ok := AppendSpecial(buf, f); ok {
		return out
	}
	// Go's 'g' with an explicit precision is C's %g: exponent form when
	// the exponent is below -4 or at least the precision, trailing zeros
	// removed, two exponent digits at least.
	return strconv.AppendFloat(buf, f, 'g', Precision(bits, efd), bits)
}

// AppendSpecial appends PostgreSQL's spelling of NaN, Infinity and
// -Infinity; false (buf unchanged) for a finite f.
func AppendSpecial(buf []byte, f float64) ([]byte, bool) {
	switch {
	case math.IsNaN(f):
		return append(buf, "NaN"...), true
	case math.IsInf(f, 1):
		return append(buf, "Infinity"...), true
	case math.IsInf(f, -1):
		return append(buf, "-Infinity"...), true
	}
	return buf, false
}
