package pgwire

import (
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"openwit/internal/pgarray"
	"openwit/internal/pgerror"
)

// paramArrayOIDs are the one-dimensional array types a parameter may have
// (x = ANY($1)); text arrays are in arrayElem.
var paramArrayOIDs = map[uint32]bool{
	pgtype.BoolArrayOID: true, pgtype.Int2ArrayOID: true, pgtype.Int4ArrayOID: true, pgtype.Int8ArrayOID: true,
	pgtype.Float4ArrayOID: true, pgtype.Float8ArrayOID: true, pgtype.NumericArrayOID: true,
	pgtype.TextArrayOID: true, pgtype.VarcharArrayOID: true, pgtype.BPCharArrayOID: true, pgtype.NameArrayOID: true,
	pgtype.TimestampArrayOID: true, pgtype.TimestamptzArrayOID: true, pgtype.DateArrayOID: true,
	pgtype.IntervalArrayOID: true,
}

// decodeArrayParam decodes an array parameter into the array literal the
// Backend receives (a string such as {1,"b c",NULL}, quoted as PostgreSQL prints arrays). Text input is
// passed on as written (so zoneless timestamps keep meaning
// the session TimeZone); binary input is rendered element by element.
// Multi-dimensional arrays are not supported.
func (e *encoder) decodeArrayParam(oid uint32, format int16, data []byte, n int) (any, error) {
	if format != formatBinary {
		// The planner parses the elements (22P02 when malformed); a value
		// that is not even braced fails here, at Bind, as in PostgreSQL.
		if t := strings.TrimSpace(string(data)); len(t) < 2 || t[0] != '{' || t[len(t)-1] != '}' {
			return nil, pgerror.New(pgerror.InvalidTextRepr, "malformed array literal: %q", string(data))
		}
		return string(data), nil
	}
	var elems []any
	if err := e.typeMap().Scan(oid, format, data, &elems); err != nil {
		return nil, pgerror.New(codeInvalidBinaryRepresentation, "incorrect binary data format in bind parameter %d", n)
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, v := range elems {
		if i > 0 {
			b.WriteByte(',')
		}
		if v == nil {
			b.WriteString("NULL")
			continue
		}
		var s string
		switch x := v.(type) {
		case []any:
			return nil, pgerror.New(pgerror.FeatureNotSupported, "multidimensional arrays are not supported (parameter $%d)", n)
		case string:
			s = x
		case bool:
			s = strconv.FormatBool(x)
		case int16:
			s = strconv.FormatInt(int64(x), 10)
		case int32:
			s = strconv.FormatInt(int64(x), 10)
		case int64:
			s = strconv.FormatInt(x, 10)
		case float32:
			s = strconv.FormatFloat(float64(x), 'g', -1, 32)
		case float64:
			s = strconv.FormatFloat(x, 'g', -1, 64)
		case pgtype.Numeric:
			nv, err := x.Value()
			str, ok := nv.(string)
			if err != nil || !ok {
				return nil, pgerror.New(codeInvalidBinaryRepresentation, "incorrect binary data format in bind parameter %d", n)
			}
			s = str
		case time.Time:
			switch oid {
			case pgtype.TimestamptzArrayOID:
				s = x.UTC().Format("2006-01-02 15:04:05.999999") + "+00"
			case pgtype.DateArrayOID:
				s = x.Format("2006-01-02")
			default:
				s = x.Format("2006-01-02 15:04:05.999999")
			}
		case pgtype.Interval:
			s = string(appendInterval(nil, x.Months, x.Days, x.Microseconds))
		case pgtype.InfinityModifier:
			if s = infinityModifierText(x); s == "" {
				return nil, pgerror.New(codeInvalidBinaryRepresentation, "incorrect binary data format in bind parameter %d", n)
			}
		default:
			return nil, pgerror.New(pgerror.FeatureNotSupported, "array parameter $%d: elements of type %T are not supported", n, v)
		}
		b.Write(pgarray.AppendElem(nil, s))
	}
	b.WriteByte('}')
	return b.String(), nil
}
