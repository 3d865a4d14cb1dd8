package pgfloat

import (
	"math"
	"testing"
)

// The expectations are PostgreSQL 15's output with the same
// extra_float_digits.
func TestAppend(t *testing.T) {
	for _, tt := range []struct {
		in   float64
		bits int
		efd  int
		want string
	}{
		{0.1 + 0.2, 64, 0, "0.3"},
		{1.0 / 3, 64, 0, "0.333333333333333"},
		{1e100, 64, 0, "1e+100"},
		{123456789012345678, 64, 0, "1.23456789012346e+17"},
		{1e-5, 64, 0, "1e-05"},
		{0.0001, 64, 0, "0.0001"},
		{1e15, 64, 0, "1e+15"},
		{100, 64, 0, "100"},
		{float64(float32(1.0 / 3)), 32, 0, "0.333333"},
		{1.5, 32, -15, "2"},
		{0.1 + 0.2, 64, -15, "0.3"},
		{math.Copysign(0, -1), 64, 0, "-0"},
	} {
		if got := string(Append(nil, tt.in, tt.bits, tt.efd)); got != tt.want {
			t.Errorf("Append(%v, %d, %d) = %q, want %q", tt.in, tt.bits, tt.efd, got, tt.want)
		}
	}
}
