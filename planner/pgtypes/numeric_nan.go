package pgtypes

// NumericNaN is numeric's NaN, the one numeric value decimal.Decimal
// cannot hold. Expressions of a numeric (DECIMAL) type carry it in place
// of a decimal.Decimal; PostgreSQL orders it above every number and equal
// to itself. It cannot be stored (a Parquet DECIMAL has no NaN).
type NumericNaN struct{}

// String is its text form.
func (NumericNaN) String() string { return "NaN" }

// IsNumericNaN reports whether v is numeric NaN.
func IsNumericNaN(v any) bool { _, ok := v.(NumericNaN); return ok }
