package planner

import (
	"context"
	"math"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

// float4Type is real (float4) as an INSERT stores it: go-mysql-server's
// Float32 rejects Infinity, -Infinity (out of range) and clamps, where
// PostgreSQL stores the infinities and NaN and rejects finite values past
// real's range (22003). It is only the column type of an INSERT's
// destination (float4Dest); everywhere else a real column is
// types.Float32.
type float4Type struct{ sql.NumberType }

// Convert implements sql.Type.
func (float4Type) Convert(ctx context.Context, v any) (any, sql.ConvertInRange, error) {
	switch x := v.(type) {
	case nil:
		return nil, sql.InRange, nil
	case float32:
		return x, sql.InRange, nil
	case float64:
		f, err := narrowFloat8(x)
		return f, sql.InRange, err
	case string:
		f, err := parseFloat4(x)
		return f, sql.InRange, err
	case []byte:
		f, err := parseFloat4(string(x))
		return f, sql.InRange, err
	}
	f, inRange, err := types.Float32.Convert(ctx, v)
	if err == nil && !inRange {
		return nil, sql.InRange, pgerror.New(pgerror.NumericOutOfRange, "value out of range: overflow")
	}
	return f, inRange, err
}

// float8InsertType is a double precision column as an INSERT stores it:
// go-mysql-server's conversion (strconv.ParseFloat) takes NaN but not the
// signed '-NaN' and '+nan' that PostgreSQL's strtod reads.
type float8InsertType struct{ sql.NumberType }

// Convert implements sql.Type.
func (t float8InsertType) Convert(ctx context.Context, v any) (any, sql.ConvertInRange, error) {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
	}
	if t := strings.TrimSpace(s); len(t) == 4 && (t[0] == '-' || t[0] == '+') && strings.EqualFold(t[1:], "nan") {
		return math.NaN(), sql.InRange, nil
	}
	return t.NumberType.Convert(ctx, v)
}

// narrowFloat8 is PostgreSQL's float8 → float4: infinities and NaN pass,
// a finite value too large overflows and a nonzero one too small
// underflows.
func narrowFloat8(x float64) (float32, error) {
	f := float32(x)
	switch {
	case math.IsInf(float64(f), 0) && !math.IsInf(x, 0):
		return 0, pgerror.New(pgerror.NumericOutOfRange, "value out of range: overflow")
	case f == 0 && x != 0:
		return 0, pgerror.New(pgerror.NumericOutOfRange, "value out of range: underflow")
	}
	return f, nil
}

// parseFloat4 is PostgreSQL's float4 input: surrounding spaces, NaN and
// the infinities in any case, and numbers within real's range.
func parseFloat4(s string) (float32, error) {
	t := strings.TrimSpace(s)
	switch strings.ToLower(t) {
	case "nan", "+nan", "-nan": // C's strtod reads a signed NaN
		return float32(math.NaN()), nil
	case "infinity", "inf", "+infinity", "+inf":
		return float32(math.Inf(1)), nil
	case "-infinity", "-inf":
		return float32(math.Inf(-1)), nil
	}
	f, err := strconv.ParseFloat(t, 32)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, pgerror.New(pgerror.NumericOutOfRange, "%q is out of range for type real", s)
		}
		return 0, pgerror.New(pgerror.InvalidTextRepr, "invalid input syntax for type real: %q", s)
	}
	return float32(f), nil
}

// float4Dest is an INSERT's destination with its real columns typed
// float4Type, so that the insert converts values into them as PostgreSQL
// does. It inserts into the destination's table.
type float4Dest struct {
	sql.Node
	table  sql.InsertableTable
	schema sql.Schema
}

var _ sql.TableWrapper = (*float4Dest)(nil)

// Schema implements sql.Node.
func (d *float4Dest) Schema() sql.Schema { return d.schema }

// Underlying implements sql.TableWrapper.
func (d *float4Dest) Underlying() sql.Table { return d.table }

// withFloat4Dest returns ii inserting through a float4Dest when its
// destination has a real, double precision, date, timestamp or timestamptz column
// (datetime_insert.go), else nil.
func withFloat4Dest(ii *plan.InsertInto) (*plan.InsertInto, error) {
	if _, done := ii.Destination.(*float4Dest); done {
		return nil, nil
	}
	sch := ii.Destination.Schema()
	var out sql.Schema
	for i, c := range sch {
		dt, isDatetime := isDatetimeColumn(c.Type)
		_, isDecimal := c.Type.(sql.DecimalType)
		f8, isFloat8 := c.Type.(sql.NumberType)
		isFloat8 = isFloat8 && c.Type.Type() == types.Float64.Type()
		if c.Type.Type() != types.Float32.Type() && !isFloat8 && !isDatetime && c.Type != pgtypes.TimeType && !isDecimal && c.Type != types.JSON {
			continue
		}
		if out == nil {
			out = sch.Copy()
		}
		out[i].Type = float4Type{NumberType: types.Float32}
		if isFloat8 {
			out[i].Type = float8InsertType{NumberType: f8}
		}
		if isDatetime {
			out[i].Type = datetimeInsertType{DatetimeType: dt}
		}
		if c.Type == pgtypes.TimeType {
			out[i].Type = timeInsertType{timeEngineType: pgtypes.TimeType}
		}
		if dec, ok := c.Type.(sql.DecimalType); ok {
			out[i].Type = numericInsertType{DecimalType: dec}
		}
		if c.Type == types.JSON {
			out[i].Type = jsonInsertType{JsonType: types.JsonType{}}
		}
	}
	if out == nil {
		return nil, nil
	}
	tbl, err := plan.GetInsertable(ii.Destination)
	if err != nil {
		return nil, err
	}
	cp := *ii
	cp.Destination = &float4Dest{Node: ii.Destination, table: tbl, schema: out}
	return &cp, nil
}
