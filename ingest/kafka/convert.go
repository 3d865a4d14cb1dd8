package kafka

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/shopspring/decimal"

	"openwit/ingest"
	"openwit/internal/pgtime"
	"openwit/storage"
	"openwit/storage/catalog"
)

// Range of timestamps the planner's types accept, as COPY enforces it
// (planner/copy.go): timestamptz within 0001-01-01 .. 9999-12-31 UTC
// (internal/pgtime), timestamp and date within years 1000 .. 9999.
var (
	minTimestampTZ = pgtime.MinTimestampTZ.UnixMicro()
	maxTimestampTZ = pgtime.MaxTimestampTZ.UnixMicro()
	minDatetime    = time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	maxDatetime    = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC).UnixMicro()
)

// Epoch magnitudes: a number below 1e11 counts seconds, below 1e14
// milliseconds, below 1e17 microseconds, else nanoseconds (by absolute
// value; see doc.go).
const (
	epochSecondsBelow = 1e11
	epochMillisBelow  = 1e14
	epochMicrosBelow  = 1e17
)

// value is one converted column value.
type value struct {
	null bool
	i    int64 // ints, timestamps (Unix µs), dates (days)
	f    float64
	s    []byte // text, jsonb, bytea; may alias the record (see field)
	b    bool
	d    decimal128.Num
	list []value // array columns' elements (convert_arraycols.go)
}

// converter turns JSON records into rows of one table. Not safe for
// concurrent use.
type converter struct {
	t       *catalog.Table
	schema  *arrow.Schema
	byName  map[string]int
	timeIdx int // -1: the table has no time column
	reject  bool
	add     bool              // PolicyAdd: unknown fields become columns
	folded  map[string]string // lowercased column name -> column name
	vals    []value
	set     []bool
	// char[k] is whether column k is varchar(n) or char(n) (decided once:
	// parsing the type name per value cost a tenth of the decode).
	char []bool
	// kind[k] is column k's colKind (kindPlain for varchar/char): the
	// common values of the common types convert without the switch on
	// the type name (convertFast).
	kind   []colKind
	fields []field
	// order[i] is the column the i-th member of the last record named
	// (-1: none): records of a topic usually list the same members in
	// the same order, so a comparison with that column's name replaces
	// the map lookup.
	order []int
	// pending holds, after convert returned errNewColumns, the columns
	// the record needs (PolicyAdd).
	pending []catalog.Column
}

// errNewColumns is convert's answer, under PolicyAdd, for a record that is
// valid but has fields the table lacks: the caller adds c.pending to the
// table and converts the record again.
var errNewColumns = errors.New("kafka: record has new fields")

func newConverter(t *catalog.Table, policy string) (*converter, error) {
	schema, err := storage.ArrowSchema(t)
	if err != nil {
		return nil, err
	}
	c := &converter{t: t, schema: schema, byName: map[string]int{}, timeIdx: -1,
		reject: policy != PolicyIgnore && policy != PolicyAdd, add: policy == PolicyAdd, folded: map[string]string{},
		vals: make([]value, len(t.Columns)), set: make([]bool, len(t.Columns)), char: make([]bool, len(t.Columns)),
		kind: make([]colKind, len(t.Columns))}
	for i, col := range t.Columns {
		c.char[i] = col.Type != storage.TypeText && storage.IsTextual(col.Type)
		if !c.char[i] {
			c.kind[i] = columnKind(col.Type)
		}
		c.byName[col.Name] = i
		c.folded[strings.ToLower(col.Name)] = col.Name
		if col.Name == t.TimeColumn {
			c.timeIdx = i
		}
	}
	return c, nil
}

// newColumn is the column an unknown field becomes under PolicyAdd: its
// name folded to lower case (as PostgreSQL folds an unquoted identifier),
// its type inferred from the JSON value (see doc.go). ok is false for a
// null value: no column is made from null alone. An error means the field
// cannot become a column (the record is a dead letter).
func (c *converter) newColumn(f *field) (col catalog.Column, ok bool, err error) {
	if f.kind == kindNull {
		return col, false, nil
	}
	name := strings.ToLower(string(f.key))
	switch {
	case name == "":
		return col, false, errors.New("field with an empty name cannot become a column")
	case len(name) > catalog.MaxNameBytes:
		return col, false, fmt.Errorf("field %q cannot become a column: its name is longer than %d bytes", f.key, catalog.MaxNameBytes)
	case strings.ContainsRune(name, 0):
		return col, false, fmt.Errorf("field %q cannot become a column: its name contains NUL", f.key)
	}
	if other, clash := c.folded[name]; clash {
		return col, false, fmt.Errorf("field %q cannot become a column: it differs only in case from column %q of table %s", f.key, other, c.t.Name)
	}
	return catalog.Column{Name: name, Type: inferType(f)}, true, nil
}

// inferType is the column type for a JSON value: string text, a number
// written as an integer that fits int8 bigint (int8), any other number
// double precision (float8), boolean bool, object or array jsonb.
func inferType(f *field) string {
	switch f.kind {
	case kindNumber:
		if isInteger(f.raw) {
			if _, err := strconv.ParseInt(string(f.raw), 10, 64); err == nil {
				return storage.TypeInt8
			}
		}
		return storage.TypeFloat8
	case kindBool:
		return storage.TypeBool
	case kindObject, kindArray:
		return storage.TypeJSONB
	}
	return storage.TypeText
}

// convert parses one record into c.vals and returns its time shard. An
// error describes why the record cannot become a row.
func (c *converter) convert(raw []byte) (int64, error) {
	var err error
	c.fields, err = scanObject(raw, c.fields)
	if err != nil {
		return 0, err
	}
	clear(c.set)
	c.pending = c.pending[:0]
	for i := range c.fields {
		f := &c.fields[i]
		k, ok := c.column(i, f.key)
		if !ok {
			if c.reject {
				return 0, fmt.Errorf("unknown field %q (table %s has no such column)", f.key, c.t.Name)
			}
			if c.add {
				col, ok, err := c.newColumn(f)
				if err != nil {
					return 0, err
				}
				if ok && !slices.ContainsFunc(c.pending, func(p catalog.Column) bool { return p.Name == col.Name }) {
					c.pending = append(c.pending, col)
				}
			}
			continue
		}
		v, ok := convertFast(f, c.kind[k])
		var err error
		switch {
		case ok:
		case c.char[k]:
			v, err = convertChar(f, c.t.Columns[k].Type)
		default:
			v, err = convertPlain(f, c.t.Columns[k].Type)
		}
		if err != nil {
			return 0, fmt.Errorf("field %q: %w", f.key, err)
		}
		c.vals[k] = v
		c.set[k] = true
	}
	for k, col := range c.t.Columns {
		if !c.set[k] {
			c.vals[k] = value{null: true}
		}
		if c.vals[k].null && col.NotNull {
			if k == c.timeIdx {
				return 0, fmt.Errorf("time column %q is missing or null", col.Name)
			}
			return 0, fmt.Errorf("column %q is NOT NULL but the record has no value for it", col.Name)
		}
	}
	if len(c.pending) > 0 {
		// Valid but for its new fields: only such a record adds columns.
		return 0, errNewColumns
	}
	if c.timeIdx < 0 {
		return 0, nil
	}
	return ingest.ShardOf(c.t, c.vals[c.timeIdx].i), nil
}

// column finds the column named by the i-th member's key: the column the
// i-th member of the previous record named when the key is its name,
// else by name, else by the name folded to lower case.
func (c *converter) column(i int, key []byte) (int, bool) {
	if i < len(c.order) {
		if k := c.order[i]; k >= 0 && string(key) == c.t.Columns[k].Name {
			return k, true
		}
	} else {
		c.order = append(c.order, make([]int, i+1-len(c.order))...)
	}
	k, ok := c.byName[string(key)]
	if !ok {
		k, ok = c.byName[strings.ToLower(string(key))]
	}
	if !ok {
		k = -1
	}
	c.order[i] = k
	return k, ok
}

// appendRow appends c.vals (after a successful convert) to b.
func (c *converter) appendRow(b *array.RecordBuilder) {
	for k := range c.t.Columns {
		v := &c.vals[k]
		fb := b.Field(k)
		if v.null {
			fb.AppendNull()
			continue
		}
		switch bb := fb.(type) {
		case *array.TimestampBuilder:
			bb.Append(arrow.Timestamp(v.i))
		case *array.Date32Builder:
			bb.Append(arrow.Date32(v.i))
		case *array.StringBuilder:
			bb.BinaryBuilder.Append(v.s) // checked UTF-8 (scanner)
		case *array.BinaryBuilder:
			bb.Append(v.s)
		case *array.Int16Builder:
			bb.Append(int16(v.i))
		case *array.Int32Builder:
			bb.Append(int32(v.i))
		case *array.Int64Builder:
			bb.Append(v.i)
		case *array.Float32Builder:
			bb.Append(float32(v.f))
		case *array.Float64Builder:
			bb.Append(v.f)
		case *array.BooleanBuilder:
			bb.Append(v.b)
		case *array.Decimal128Builder:
			bb.Append(v.d)
		case *array.ListBuilder:
			appendListValue(bb, v.list)
		default:
			panic(fmt.Sprintf("kafka: no append for %T", fb)) // ArrowType and this switch disagree
		}
	}
}

// convertValue converts one JSON value for a column of type typ.
func convertValue(f *field, typ string) (value, error) {
	if typ != storage.TypeText && storage.IsTextual(typ) {
		return convertChar(f, typ)
	}
	if storage.IsNormalized(typ) {
		return convertUUIDInet(f, typ)
	}
	return convertPlain(f, typ)
}

// convertPlain is convertValue for a type that is not varchar(n) or
// char(n).
func convertPlain(f *field, typ string) (value, error) {
	if f.kind == kindNull {
		return value{null: true}, nil
	}
	bad := func() (value, error) {
		return value{}, fmt.Errorf("a JSON %s cannot be stored in a %s column", f.kind, typ)
	}
	if elem, ok := arrayColumnElem(typ); ok {
		return convertArray(f, elem)
	}
	switch typ {
	case storage.TypeText:
		switch f.kind {
		case kindString:
			return value{s: f.str}, nil
		case kindBool:
			return value{s: strconv.AppendBool(nil, f.b)}, nil
		default:
			return value{s: f.raw}, nil
		}
	case storage.TypeJSONB:
		if f.kind == kindString {
			return value{s: strconv.AppendQuote(nil, string(f.str))}, nil
		}
		if f.kind == kindBool {
			return value{s: strconv.AppendBool(nil, f.b)}, nil
		}
		return value{s: f.raw}, nil
	case storage.TypeBytea:
		if f.kind != kindString {
			return bad()
		}
		if hx, ok := bytes.CutPrefix(f.str, []byte(`\x`)); ok {
			b, err := hex.DecodeString(string(hx))
			if err != nil {
				return value{}, fmt.Errorf("bad hex bytea: %w", err)
			}
			return value{s: b}, nil
		}
		b, err := base64.StdEncoding.DecodeString(string(f.str))
		if err != nil {
			return value{}, fmt.Errorf("bytea wants base64 or \\x hex: %w", err)
		}
		return value{s: b}, nil
	case storage.TypeInt2, storage.TypeInt4, storage.TypeInt8:
		var i int64
		var err error
		switch f.kind {
		case kindNumber:
			i, err = parseInt(f.raw)
		case kindString:
			i, err = strconv.ParseInt(strings.TrimSpace(string(f.str)), 10, 64)
		default:
			return bad()
		}
		if err != nil {
			return value{}, fmt.Errorf("not an integer: %w", err)
		}
		lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
		switch typ {
		case storage.TypeInt2:
			lo, hi = math.MinInt16, math.MaxInt16
		case storage.TypeInt4:
			lo, hi = math.MinInt32, math.MaxInt32
		}
		if i < lo || i > hi {
			return value{}, fmt.Errorf("%d is out of range for %s", i, typ)
		}
		return value{i: i}, nil
	case storage.TypeFloat4, storage.TypeFloat8:
		var s string
		switch f.kind {
		case kindNumber:
			s = string(f.raw)
		case kindString:
			s = strings.TrimSpace(string(f.str))
		default:
			return bad()
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return value{}, fmt.Errorf("not a number: %q", s)
		}
		return value{f: x}, nil
	case storage.TypeBool:
		switch f.kind {
		case kindBool:
			return value{b: f.b}, nil
		case kindString:
			switch strings.ToLower(strings.TrimSpace(string(f.str))) {
			case "t", "true", "yes", "y", "on", "1":
				return value{b: true}, nil
			case "f", "false", "no", "n", "off", "0":
				return value{b: false}, nil
			}
			return value{}, fmt.Errorf("not a boolean: %q", f.str)
		}
		return bad()
	case storage.TypeTimestampTZ, storage.TypeTimestamp, storage.TypeDate:
		us, err := parseTime(f)
		if err != nil {
			return value{}, err
		}
		lo, hi := minDatetime, maxDatetime
		if typ == storage.TypeTimestampTZ {
			lo, hi = minTimestampTZ, maxTimestampTZ
		}
		if us < lo || us > hi {
			return value{}, fmt.Errorf("timestamp %s is out of range for %s (%s .. %s)", time.UnixMicro(us).UTC().Format(time.RFC3339Nano), typ,
				time.UnixMicro(lo).UTC().Format(time.RFC3339), time.UnixMicro(hi).UTC().Format(time.RFC3339))
		}
		if typ == storage.TypeDate {
			return value{i: int64(arrow.Date32FromTime(time.UnixMicro(us).UTC()))}, nil
		}
		return value{i: us}, nil
	}
	if p, sc, ok := storage.NumericPrecisionScale(typ); ok {
		var s string
		switch f.kind {
		case kindNumber:
			s = string(f.raw)
		case kindString:
			s = strings.TrimSpace(string(f.str))
		default:
			return bad()
		}
		d, err := decimal.NewFromString(s)
		if err != nil {
			return value{}, fmt.Errorf("not a numeric: %q", s)
		}
		scaled := d.Shift(int32(sc)).Round(0).BigInt()
		if scaled.CmpAbs(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(p)), nil)) >= 0 {
			return value{}, fmt.Errorf("numeric field overflow: %s does not fit %s", s, typ)
		}
		return value{d: decimal128.FromBigInt(scaled)}, nil
	}
	return value{}, fmt.Errorf("column type %s is not supported by Kafka ingest", typ)
}

// Layouts of time strings besides RFC 3339: PostgreSQL's output format
// and zone-less forms (read as UTC).
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z07",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// parseTime reads a time as Unix microseconds: a string in RFC 3339 (or
// one of timeLayouts), or an epoch number whose unit follows from its
// magnitude (epochSecondsBelow ...). A string of digits is an epoch
// number too.
func parseTime(f *field) (int64, error) {
	switch f.kind {
	case kindNumber:
		return epochMicros(f.raw)
	case kindString:
		s := strings.TrimSpace(string(f.str))
		if validNumber([]byte(s)) {
			return epochMicros([]byte(s))
		}
		for _, l := range timeLayouts {
			if t, err := time.Parse(l, s); err == nil {
				return t.UnixMicro(), nil
			}
		}
		return 0, fmt.Errorf("not a time: %q (want RFC 3339 or epoch seconds/ms/µs/ns)", f.str)
	}
	return 0, fmt.Errorf("a JSON %s is not a time", f.kind)
}

// epochMicros converts an epoch number to Unix microseconds, picking the
// unit by magnitude.
func epochMicros(raw []byte) (int64, error) {
	if isInteger(raw) {
		n, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("epoch %s: %w", raw, err)
		}
		a := n
		if a < 0 {
			a = -a
		}
		switch {
		case a < epochSecondsBelow:
			return n * 1_000_000, nil
		case a < epochMillisBelow:
			return n * 1_000, nil
		case a < epochMicrosBelow:
			return n, nil
		}
		return n / 1_000, nil
	}
	x, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
		return 0, fmt.Errorf("bad epoch number %s", raw)
	}
	a := math.Abs(x)
	switch {
	case a < epochSecondsBelow:
		return int64(math.Round(x * 1e6)), nil
	case a < epochMillisBelow:
		return int64(math.Round(x * 1e3)), nil
	case a < epochMicrosBelow:
		return int64(math.Round(x)), nil
	case a < 9.2e18:
		return int64(math.Round(x / 1e3)), nil
	}
	return 0, fmt.Errorf("epoch %s is out of range", raw)
}
