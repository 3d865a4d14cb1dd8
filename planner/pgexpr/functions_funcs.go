package pgexpr

import (
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"math/big"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
	"openwit/storage"
)

// funcsFuncs are sha224/sha256/sha384/sha512(bytea), factorial(bigint),
// setseed(double precision), num_nulls and num_nonnulls(VARIADIC "any").
var funcsFuncs = map[string]funcDef{
	"sha224": shaFunc(func(b []byte) []byte { s := sha256.Sum224(b); return s[:] }),
	"sha256": shaFunc(func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }),
	"sha384": shaFunc(func(b []byte) []byte { s := sha512.Sum384(b); return s[:] }),
	"sha512": shaFunc(func(b []byte) []byte { s := sha512.Sum512(b); return s[:] }),
	// factorial(bigint) is numeric; a negative argument is 22003.
	"factorial": {args: []argKind{kAny}, check: int8Arg, result: func([]sql.Expression) sql.Type { return numericType }, evalCtx: evalFactorial},
	// setseed returns void; its argument must lie in [-1, 1] (22023).
	"setseed": {args: []argKind{kAny}, check: sleepSecondsArg, result: voidResult, evalCtx: evalSetseed},
	// num_nulls and num_nonnulls count their NULL and non-NULL arguments
	// (integer); they are never NULL themselves.
	"num_nulls":    {args: []argKind{kAny}, variadic: true, nonStrict: true, result: int32Result, eval: countNulls(true)},
	"num_nonnulls": {args: []argKind{kAny}, variadic: true, nonStrict: true, result: int32Result, eval: countNulls(false)},
}

// funcsParamOID is the type of a parameter given as the first argument of
// these functions (factorial($1): bigint), or 0.
func funcsParamOID(name string) uint32 {
	switch name {
	case "factorial":
		return pgtypes.OIDInt8
	case "setseed":
		return pgtypes.OIDFloat8
	case "sha224", "sha256", "sha384", "sha512":
		return pgtypes.OIDBytea
	}
	return 0
}

// shaFunc is a SHA-2 digest of a bytea (an unknown-typed literal is read
// as bytea input, so '\x01' is the byte 1); text is 42883.
func shaFunc(sum func([]byte) []byte) funcDef {
	return funcDef{args: []argKind{kAny}, check: byteaArg, result: func([]sql.Expression) sql.Type { return types.LongBlob },
		eval: func(a []any, ts []sql.Type) (any, error) {
			var b []byte
			switch x := a[0].(type) {
			case string:
				b = []byte(x)
			case []byte:
				b = x
			default:
				return nil, fmt.Errorf("sha: unexpected %T", a[0])
			}
			if !isBytea(ts[0]) {
				b = ByteaInput(b) // an unknown literal: bytea input
			}
			return sum(b), nil
		}}
}

// byteaArg accepts a bytea, an unknown-typed literal or NULL.
func byteaArg(a []sql.Expression) bool {
	t := a[0].Type()
	return t == types.Null || isBytea(t) || IsUnknownLiteral(a[0]) || isParam(a[0])
}

// int8Arg accepts what converts implicitly to bigint: integers, unknown
// literals and parameters.
func int8Arg(a []sql.Expression) bool {
	t := a[0].Type()
	return t == types.Null || IsUnknownLiteral(a[0]) || isParam(a[0]) || (types.IsInteger(t) && t != types.Boolean)
}

func evalFactorial(ctx *sql.Context, a []any, ts []sql.Type) (any, error) {
	v, err := CastValue(ctx, a[0], ts[0], storage.TypeInt8)
	if err != nil {
		return nil, err
	}
	n, err := asInt64(v)
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, pgerror.New(pgerror.NumericOutOfRange, "factorial of a negative number is undefined")
	}
	// PostgreSQL's numeric holds up to 131072 digits before the point:
	// 32177! is the largest factorial that fits.
	if n > 32177 {
		return nil, pgerror.New(pgerror.NumericOutOfRange, "value overflows numeric format")
	}
	return decimal.NewFromBigInt(new(big.Int).MulRange(1, n), 0), nil
}

func evalSetseed(ctx *sql.Context, a []any, ts []sql.Type) (any, error) {
	f, err := CastValue(ctx, a[0], ts[0], storage.TypeFloat8)
	if err != nil {
		return nil, err
	}
	x, _ := f.(float64)
	if x < -1 || x > 1 || x != x {
		return nil, pgerror.New(pgerror.InvalidParameterValue, "setseed parameter %s is out of allowed range [-1,1]", FormatFloat(x, 64))
	}
	if p := sessionPRNG(ctx); p != nil {
		p.SeedFloat(x) // the session's random() (random_prng.go)
	}
	return "", nil
}

func countNulls(nulls bool) func([]any, []sql.Type) (any, error) {
	return func(a []any, _ []sql.Type) (any, error) {
		n := int32(0)
		for _, v := range a {
			if (v == nil) == nulls {
				n++
			}
		}
		return n, nil
	}
}
