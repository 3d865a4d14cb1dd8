package pgwire

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"

	"openwit/internal/pgerror"
)

// decodeParam converts one Bind parameter (not NULL) of type oid in the
// given format into the Go value the Backend receives: int64 for integer
// types and oid, float64 for float types, bool, string for text-like
// types, numeric, json, uuid, interval and unknown types, []byte for bytea,
// time.Time for date/timestamp/timestamptz (UTC; timestamptz input without
// a zone is read in the session TimeZone), an array literal string for
// arrays (see decodeArrayParam). A
// binary parameter of a type without a binary decoder arrives as []byte.
// n is the 1-based parameter number for messages. data is only valid
// during the call.
func (e *encoder) decodeParam(oid uint32, format int16, data []byte, n int) (any, error) {
	if paramArrayOIDs[oid] {
		if format != formatBinary && !utf8.Valid(data) {
			return nil, pgerror.New("22021", "invalid byte sequence for encoding \"UTF8\" in parameter $%d", n)
		}
		return e.decodeArrayParam(oid, format, data, n)
	}
	if format == formatBinary {
		return e.decodeBinary(oid, data, n)
	}
	if !utf8.Valid(data) && oid != pgtype.ByteaOID {
		return nil, pgerror.New("22021", "invalid byte sequence for encoding \"UTF8\" in parameter $%d", n)
	}
	s := string(data)
	switch oid {
	case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID, pgtype.OIDOID:
		lo, hi := intRange(oid)
		v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			var ne *strconv.NumError
			if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
				return nil, errValueRange(oid, s)
			}
			return nil, errSyntax(oid, s)
		}
		if v < lo || v > hi {
			return nil, errValueRange(oid, s)
		}
		return v, nil
	case pgtype.Float4OID, pgtype.Float8OID:
		f, err := parseFloat(s)
		if err != nil {
			var ne *strconv.NumError
			if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
				return nil, errValueRange(oid, s)
			}
			return nil, errSyntax(oid, s)
		}
		if oid == pgtype.Float4OID {
			f = float64(float32(f))
		}
		return f, nil
	case pgtype.BoolOID:
		b, err := parseBool(s)
		if err != nil {
			return nil, errSyntax(oid, s)
		}
		return b, nil
	case pgtype.NumericOID:
		t := strings.TrimSpace(s)
		if _, err := parseNumeric(t); err != nil {
			return nil, err
		}
		return canonicalSpecial(t), nil
	case pgtype.ByteaOID:
		return parseByteaText(s)
	case pgtype.DateOID, pgtype.TimestampOID, pgtype.TimestamptzOID:
		return parseTimestamp(s, oid, e.loc)
	case pgtype.UUIDOID:
		u, err := parseUUID(s)
		if err != nil {
			return nil, err
		}
		return string(appendUUID(nil, u)), nil
	case pgtype.IntervalOID:
		return strings.TrimSpace(s), nil
	case pgtype.InetOID, pgtype.CIDROID:
		return decodeInetText(oid, s)
	}
	if _, ok := arrayElem(oid); ok {
		var a []string
		if err := e.typeMap().Scan(oid, pgtype.TextFormatCode, data, &a); err != nil {
			return nil, errSyntax(oid, s)
		}
		return a, nil
	}
	return s, nil
}

// decodeBinary decodes a binary-format parameter.
func (e *encoder) decodeBinary(oid uint32, data []byte, n int) (any, error) {
	bad := func() (any, error) {
		return nil, pgerror.New(codeInvalidBinaryRepresentation, "incorrect binary data format in bind parameter %d", n)
	}
	size := func(want int) bool { return len(data) == want }
	switch oid {
	case pgtype.BoolOID:
		if !size(1) {
			return bad()
		}
		return data[0] != 0, nil
	case pgtype.Int2OID:
		if !size(2) {
			return bad()
		}
		return int64(int16(binary.BigEndian.Uint16(data))), nil
	case pgtype.Int4OID:
		if !size(4) {
			return bad()
		}
		return int64(int32(binary.BigEndian.Uint32(data))), nil
	case pgtype.Int8OID:
		if !size(8) {
			return bad()
		}
		return int64(binary.BigEndian.Uint64(data)), nil
	case pgtype.OIDOID:
		if !size(4) {
			return bad()
		}
		return int64(binary.BigEndian.Uint32(data)), nil
	case pgtype.Float4OID:
		if !size(4) {
			return bad()
		}
		return float64(math.Float32frombits(binary.BigEndian.Uint32(data))), nil
	case pgtype.Float8OID:
		if !size(8) {
			return bad()
		}
		return math.Float64frombits(binary.BigEndian.Uint64(data)), nil
	case pgtype.TextOID, pgtype.VarcharOID, pgtype.NameOID, pgtype.BPCharOID, pgtype.UnknownOID,
		pgtype.QCharOID, pgtype.JSONOID:
		if !utf8.Valid(data) {
			return nil, pgerror.New("22021", "invalid byte sequence for encoding \"UTF8\" in parameter $%d", n)
		}
		return string(data), nil
	case pgtype.JSONBOID:
		if len(data) < 1 || data[0] != 1 || !utf8.Valid(data[1:]) {
			return bad()
		}
		return string(data[1:]), nil
	case pgtype.ByteaOID:
		return append([]byte{}, data...), nil
	case pgtype.DateOID:
		if !size(4) {
			return bad()
		}
		days := int32(binary.BigEndian.Uint32(data))
		if days == math.MaxInt32 || days == math.MinInt32 {
			return nil, pgerror.New(pgerror.FeatureNotSupported, "infinite date values are not supported")
		}
		return time.Unix((int64(days)+pgEpochDays)*86400, 0).UTC(), nil
	case pgtype.TimestampOID, pgtype.TimestamptzOID:
		if !size(8) {
			return bad()
		}
		us := int64(binary.BigEndian.Uint64(data))
		if us == math.MaxInt64 || us == math.MinInt64 {
			return nil, pgerror.New(pgerror.FeatureNotSupported, "infinite timestamp values are not supported")
		}
		return time.UnixMicro(us + pgEpochMicros).UTC(), nil
	case pgtype.IntervalOID:
		if !size(16) {
			return bad()
		}
		us := int64(binary.BigEndian.Uint64(data))
		days := int32(binary.BigEndian.Uint32(data[8:]))
		months := int32(binary.BigEndian.Uint32(data[12:]))
		return string(appendInterval(nil, months, days, us)), nil
	case pgtype.NumericOID:
		var num pgtype.Numeric
		if err := e.typeMap().Scan(oid, pgtype.BinaryFormatCode, data, &num); err != nil {
			return bad()
		}
		v, err := num.Value()
		if err != nil {
			return bad()
		}
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		return s, nil
	case pgtype.UUIDOID:
		if len(data) < 16 {
			// uuid_recv reads 16 bytes: too few is PostgreSQL's
			// protocol error, too many a bad format.
			return nil, pgerror.New(pgerror.ProtocolViolation, "insufficient data left in message")
		}
		if !size(16) {
			return bad()
		}
		return string(appendUUID(nil, [16]byte(data))), nil
	case pgtype.InetOID, pgtype.CIDROID:
		return decodeInetBinary(oid, data)
	}
	if _, ok := arrayElem(oid); ok {
		var a []string
		if err := e.typeMap().Scan(oid, pgtype.BinaryFormatCode, data, &a); err != nil {
			return bad()
		}
		return a, nil
	}
	return append([]byte{}, data...), nil
}

// intRange is the value range of an integer type.
func intRange(oid uint32) (int64, int64) {
	switch oid {
	case pgtype.Int2OID:
		return math.MinInt16, math.MaxInt16
	case pgtype.Int4OID:
		return math.MinInt32, math.MaxInt32
	case pgtype.OIDOID:
		return 0, math.MaxUint32
	}
	return math.MinInt64, math.MaxInt64
}

func errValueRange(oid uint32, s string) error {
	return pgerror.New(pgerror.NumericOutOfRange, "value %q is out of range for type %s", s, typeName(oid))
}

// canonicalSpecial spells NaN and infinities of numeric input the way
// PostgreSQL prints them.
func canonicalSpecial(s string) string {
	switch strings.ToLower(s) {
	case "nan":
		return "NaN"
	case "infinity", "+infinity", "inf", "+inf":
		return "Infinity"
	case "-infinity", "-inf":
		return "-Infinity"
	}
	return s
}

// parseBool accepts PostgreSQL's boolean input: true/false, yes/no, on/off,
// 1/0 and unique prefixes, case-insensitive, with surrounding spaces.
func parseBool(s string) (bool, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "" {
		return false, strconv.ErrSyntax
	}
	switch {
	case t == "1" || t == "on" || strings.HasPrefix("true", t) || strings.HasPrefix("yes", t):
		return true, nil
	case t == "0" || t == "of" || t == "off" || strings.HasPrefix("false", t) || strings.HasPrefix("no", t):
		return false, nil
	}
	return false, strconv.ErrSyntax
}

// parseByteaText decodes bytea input in hex ("\x0a0b") or escape format
// ("a\\b\001").
func parseByteaText(s string) ([]byte, error) {
	bad := func() ([]byte, error) {
		return nil, pgerror.New(pgerror.InvalidTextRepr, "invalid input syntax for type bytea")
	}
	if strings.HasPrefix(s, `\x`) || strings.HasPrefix(s, `\X`) {
		h := s[2:]
		out := make([]byte, 0, len(h)/2)
		for i := 0; i < len(h); {
			c := h[i]
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				i++
				continue
			}
			if i+1 >= len(h) {
				return bad()
			}
			b, err := hex.DecodeString(h[i : i+2])
			if err != nil {
				return bad()
			}
			out = append(out, b[0])
			i += 2
		}
		return out, nil
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			out = append(out, s[i])
			continue
		}
		switch {
		case i+1 < len(s) && s[i+1] == '\\':
			out = append(out, '\\')
			i++
		case i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) && s[i+1] <= '3':
			out = append(out, (s[i+1]-'0')<<6|(s[i+2]-'0')<<3|(s[i+3]-'0'))
			i += 3
		default:
			return bad()
		}
	}
	return out, nil
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }
