package flightsql

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/shopspring/decimal"

	"openwit/internal/pgerror"
)

// paramSchema is the parameter schema of a prepared statement: one nullable
// field per placeholder, named "$1", "$2", ... in placeholder order. numeric
// parameters are advertised as Utf8 (exact decimal text): a Decimal128
// would impose a scale the statement does not have. Clients may bind any
// Arrow type readParams understands, whatever the advertised one.
func paramSchema(oids []uint32) *arrow.Schema {
	fields := make([]arrow.Field, len(oids))
	for i, oid := range oids {
		fields[i] = arrow.Field{Name: "$" + strconv.Itoa(i+1), Type: arrowType(oid, -1), Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

// readParams reads every parameter row DoPut sent. Rows with no columns
// (a client binding "nothing") yield no rows.
func readParams(rdr flight.MessageReader) ([][]any, error) {
	var rows [][]any
	for rdr.Next() {
		rec := rdr.RecordBatch()
		if rec.NumCols() == 0 {
			continue
		}
		for r := 0; r < int(rec.NumRows()); r++ {
			row := make([]any, rec.NumCols())
			for c := range row {
				v, err := arrowValue(rec.Column(c), r)
				if err != nil {
					return nil, pgerror.New(pgerror.InvalidParameterType, "parameter $%d: %v", c+1, err)
				}
				row[c] = v
			}
			rows = append(rows, row)
		}
		if len(rows) > maxHandleParams {
			return nil, pgerror.New(pgerror.ProgramLimitExceeded, "too many parameter rows")
		}
	}
	if err := rdr.Err(); err != nil {
		return nil, fmt.Errorf("read parameters: %w", err)
	}
	return rows, nil
}

// arrowValue converts one Arrow value into a planner parameter value: nil,
// bool, int64, float64, string, []byte, time.Time or decimal.Decimal.
func arrowValue(arr arrow.Array, i int) (any, error) {
	if arr.IsNull(i) {
		return nil, nil
	}
	switch a := arr.(type) {
	case *array.Boolean:
		return a.Value(i), nil
	case *array.Int8:
		return int64(a.Value(i)), nil
	case *array.Int16:
		return int64(a.Value(i)), nil
	case *array.Int32:
		return int64(a.Value(i)), nil
	case *array.Int64:
		return a.Value(i), nil
	case *array.Uint8:
		return int64(a.Value(i)), nil
	case *array.Uint16:
		return int64(a.Value(i)), nil
	case *array.Uint32:
		return int64(a.Value(i)), nil
	case *array.Uint64:
		if v := a.Value(i); v > math.MaxInt64 {
			return decimal.RequireFromString(strconv.FormatUint(v, 10)), nil
		}
		return int64(a.Value(i)), nil
	case *array.Float16:
		return float64(a.Value(i).Float32()), nil
	case *array.Float32:
		return float64(a.Value(i)), nil
	case *array.Float64:
		return a.Value(i), nil
	case *array.String:
		return a.Value(i), nil
	case *array.LargeString:
		return a.Value(i), nil
	case *array.StringView:
		return a.Value(i), nil
	case *array.Binary:
		return append([]byte{}, a.Value(i)...), nil
	case *array.LargeBinary:
		return append([]byte{}, a.Value(i)...), nil
	case *array.BinaryView:
		return append([]byte{}, a.Value(i)...), nil
	case *array.FixedSizeBinary:
		return append([]byte{}, a.Value(i)...), nil
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		return a.Value(i).ToTime(unit).UTC().Truncate(time.Microsecond), nil
	case *array.Date32:
		return a.Value(i).ToTime().UTC(), nil
	case *array.Date64:
		return a.Value(i).ToTime().UTC(), nil
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		return decimal.NewFromBigInt(a.Value(i).BigInt(), -scale), nil
	case *array.Decimal256:
		scale := a.DataType().(*arrow.Decimal256Type).Scale
		return decimal.NewFromBigInt(a.Value(i).BigInt(), -scale), nil
	case *array.Dictionary:
		return arrowValue(a.Dictionary(), a.GetValueIndex(i))
	}
	return nil, fmt.Errorf("unsupported parameter type %s", arr.DataType())
}
