package pgwire

import (
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
)

// extra_float_digits switches float text output between the shortest
// exact text (above 0) and %g with 15 / 6 plus it digits (0 or less), as
// PostgreSQL 15 prints the same values.
func TestEncoderExtraFloatDigits(t *testing.T) {
	var e encoder
	a, b := 0.1, 0.2 // not constants: 0.1 + 0.2 in float64
	for _, tt := range []struct {
		efd  string
		oid  uint32
		v    any
		want string
	}{
		{"1", pgtype.Float8OID, 1.0 / 3, "0.3333333333333333"},
		{"3", pgtype.Float8OID, a + b, "0.30000000000000004"},
		{"0", pgtype.Float8OID, 1.0 / 3, "0.333333333333333"},
		{"0", pgtype.Float8OID, a + b, "0.3"},
		{"0", pgtype.Float8OID, 123456789012345678.0, "1.23456789012346e+17"},
		{"0", pgtype.Float4OID, float32(1.0 / 3), "0.333333"},
		{"-15", pgtype.Float8OID, 1.0 / 3, "0.3"},
	} {
		e.setExtraFloatDigits(tt.efd)
		got, err := e.appendText(nil, tt.oid, tt.v)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tt.want {
			t.Errorf("extra_float_digits %s: %v as %d = %q, want %q", tt.efd, tt.v, tt.oid, got, tt.want)
		}
	}
}
