package pgexpr

import (
	"github.com/dolthub/go-mysql-server/sql"

	"openwit/internal/pgfloat"
)

// SessionExtraFloatDigits returns the session's extra_float_digits (1,
// PostgreSQL's default, without a session that has one).
func SessionExtraFloatDigits(ctx *sql.Context) int {
	if ctx != nil && ctx.Session != nil {
		if s, ok := ctx.Session.(interface{ ExtraFloatDigits() int }); ok {
			return s.ExtraFloatDigits()
		}
	}
	return 1
}

// formatFloatIn formats a float as text in the session's
// extra_float_digits: shortest-exact above 0, else with 15 (float8) or 6
// (float4) plus extra_float_digits significant digits.
func formatFloatIn(ctx *sql.Context, f float64, bits int) string {
	if efd := SessionExtraFloatDigits(ctx); efd <= 0 {
		return string(pgfloat.Append(nil, f, bits, efd))
	}
	return FormatFloat(f, bits)
}
