package pgwire

import (
	"encoding/binary"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"openwit/internal/pgerror"
)

func TestAppendFloat(t *testing.T) {
	tests := []struct {
		in   float64
		bits int
		want string
	}{
		{1e20, 64, "1e+20"},
		{123456.789, 64, "123456.789"},
		{1e15, 64, "1e+15"},
		{100000, 64, "100000"},
		{123456789012345, 64, "123456789012345"},
		{1234567890123456, 64, "1.234567890123456e+15"},
		{0.0001, 64, "0.0001"},
		{0.00001, 64, "1e-05"},
		{0.000123, 64, "0.000123"},
		{-1.5, 64, "-1.5"},
		{0, 64, "0"},
		{math.Copysign(0, -1), 64, "-0"},
		{math.NaN(), 64, "NaN"},
		{math.Inf(1), 64, "Infinity"},
		{math.Inf(-1), 64, "-Infinity"},
		{0.30000000000000004, 64, "0.30000000000000004"},
		{math.MaxFloat64, 64, "1.7976931348623157e+308"},
		{5e-324, 64, "5e-324"},
		{1e100, 64, "1e+100"},
		{3.25, 64, "3.25"},
		{1e6, 32, "1e+06"},
		{100000, 32, "100000"},
		{123456, 32, "123456"},
		{1234567, 32, "1.234567e+06"},
		{float64(float32(0.1)), 32, "0.1"},
		{float64(float32(math.MaxFloat32)), 32, "3.4028235e+38"},
		{float64(float32(1.5e-5)), 32, "1.5e-05"},
		{math.NaN(), 32, "NaN"},
	}
	for _, tt := range tests {
		if got := string(appendFloat(nil, tt.in, tt.bits)); got != tt.want {
			t.Errorf("appendFloat(%v, %d) = %q, want %q", tt.in, tt.bits, got, tt.want)
		}
	}
}

func TestAppendTimestamp(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	kolkata, _ := time.LoadLocation("Asia/Kolkata")
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	base := time.Date(2024, 7, 4, 15, 16, 17, 0, time.UTC)
	tests := []struct {
		name     string
		t        time.Time
		withZone bool
		want     string
	}{
		{"utc", base, true, "2024-07-04 15:16:17+00"},
		{"no zone", base, false, "2024-07-04 15:16:17"},
		{"fraction trimmed", base.Add(120 * time.Millisecond), true, "2024-07-04 15:16:17.12+00"},
		{"micro", base.Add(time.Microsecond), false, "2024-07-04 15:16:17.000001"},
		{"rounds nanos", base.Add(999999600 * time.Nanosecond), false, "2024-07-04 15:16:18"},
		{"new york", base.In(ny), true, "2024-07-04 11:16:17-04"},
		{"kolkata", base.In(kolkata), true, "2024-07-04 20:46:17+05:30"},
		{"local mean time", time.Date(1900, 1, 1, 0, 0, 0, 0, ams), true, "1900-01-01 00:00:00+00:19:32"},
		{"fixed negative", base.In(time.FixedZone("", -(9*3600 + 30*60))), true, "2024-07-04 05:46:17-09:30"},
		{"small year", time.Date(99, 1, 2, 3, 4, 5, 0, time.UTC), false, "0099-01-02 03:04:05"},
		{"bc", time.Date(0, 1, 2, 0, 0, 0, 0, time.UTC), true, "0001-01-02 00:00:00+00 BC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(appendTimestamp(nil, tt.t, tt.withZone)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if got := string(appendDate(nil, time.Date(-43, 3, 15, 0, 0, 0, 0, time.UTC))); got != "0044-03-15 BC" {
		t.Errorf("date BC = %q", got)
	}
}

func TestAppendInterval(t *testing.T) {
	const h = int64(3600e6)
	tests := []struct {
		months, days int32
		micros       int64
		want         string
	}{
		{0, 0, 0, "00:00:00"},
		{14, 3, 4*h + 5*60e6 + 6.5e6, "1 year 2 mons 3 days 04:05:06.5"},
		{0, -1, 2 * h, "-1 days +02:00:00"},
		{0, 0, -25 * h, "-25:00:00"},
		{1, 0, 0, "1 mon"},
		{-1, 0, 0, "-1 mons"},
		{0, 1, 0, "1 day"},
		{12, 0, 0, "1 year"},
		{-13, 0, 0, "-1 years -1 mons"},
		{0, 0, 1, "00:00:00.000001"},
		{0, 2, -h, "2 days -01:00:00"},
		{0, 0, 100 * h, "100:00:00"},
	}
	for _, tt := range tests {
		if got := string(appendInterval(nil, tt.months, tt.days, tt.micros)); got != tt.want {
			t.Errorf("appendInterval(%d, %d, %d) = %q, want %q", tt.months, tt.days, tt.micros, got, tt.want)
		}
	}
}

func TestParseInterval(t *testing.T) {
	tests := []struct {
		in      string
		want    interval
		wantErr bool
	}{
		{"1 day 02:03:04", interval{days: 1, micros: 7384e6}, false},
		{"1 year 2 mons 3 days 04:05:06.5", interval{months: 14, days: 3, micros: 14706.5e6}, false},
		{"-1 days +02:00:00", interval{days: -1, micros: 7200e6}, false},
		{"-25:00:00", interval{micros: -90000e6}, false},
		{"00:00:00.000001", interval{micros: 1}, false},
		{"@ 3 hours 2 mins ago", interval{micros: -(3*3600 + 2*60) * 1e6}, false},
		{"1.5 seconds", interval{micros: 1.5e6}, false},
		{"250 ms", interval{micros: 250e3}, false},
		{"2 weeks", interval{days: 14}, false},
		{"", interval{}, true},
		{"1 fortnight", interval{}, true},
		{"1.5 days", interval{}, true},
		{"12:61:00", interval{}, true},
		{"P1D", interval{}, true},
	}
	for _, tt := range tests {
		got, err := parseInterval(tt.in)
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
			t.Errorf("parseInterval(%q) = %+v, %v; want %+v, err %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseTimestamp(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	tests := []struct {
		in   string
		oid  uint32
		want time.Time
		code string
	}{
		{"2024-02-29", pgtype.DateOID, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), ""},
		{"2024-02-29 12:00", pgtype.DateOID, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), ""},
		{"2024-02-30", pgtype.DateOID, time.Time{}, pgerror.DatetimeOverflow},
		{"2024-02-29 13:14:15.123456", pgtype.TimestampOID, time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC), ""},
		{"2024-02-29T13:14:15Z", pgtype.TimestampOID, time.Date(2024, 2, 29, 13, 14, 15, 0, time.UTC), ""},
		{"2024-02-29 13:14:15+05", pgtype.TimestampOID, time.Date(2024, 2, 29, 13, 14, 15, 0, time.UTC), ""},
		{"2024-02-29 13:14:15+05", pgtype.TimestamptzOID, time.Date(2024, 2, 29, 8, 14, 15, 0, time.UTC), ""},
		{"2024-02-29 13:14:15.5-03:30", pgtype.TimestamptzOID, time.Date(2024, 2, 29, 16, 44, 15, 5e8, time.UTC), ""},
		{"2024-02-29 13:14:15 -0330", pgtype.TimestamptzOID, time.Date(2024, 2, 29, 16, 44, 15, 0, time.UTC), ""},
		{"2024-02-29 13:14:15 UTC", pgtype.TimestamptzOID, time.Date(2024, 2, 29, 13, 14, 15, 0, time.UTC), ""},
		{"2024-07-01 12:00:00 America/New_York", pgtype.TimestamptzOID, time.Date(2024, 7, 1, 16, 0, 0, 0, time.UTC), ""},
		{"2024-07-01 12:00:00", pgtype.TimestamptzOID, time.Date(2024, 7, 1, 16, 0, 0, 0, time.UTC), ""}, // session zone
		{"2024-01-01 00:00:00.1234567", pgtype.TimestampOID, time.Date(2024, 1, 1, 0, 0, 0, 123457000, time.UTC), ""},
		{"0001-01-01 00:00:00 BC", pgtype.TimestampOID, time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), ""},
		{"epoch", pgtype.TimestamptzOID, time.Unix(0, 0).UTC(), ""},
		{"infinity", pgtype.TimestamptzOID, time.Time{}, pgerror.FeatureNotSupported},
		{"yesterday", pgtype.TimestamptzOID, time.Time{}, pgerror.InvalidDatetimeFormat},
		{"2024-01-01 25:00:00", pgtype.TimestampOID, time.Time{}, pgerror.DatetimeOverflow},
		{"2024-01-01 12:00:00 Mars/Olympus", pgtype.TimestamptzOID, time.Time{}, pgerror.InvalidDatetimeFormat},
		{"2024-01-01 12:", pgtype.TimestampOID, time.Time{}, pgerror.InvalidDatetimeFormat},
	}
	for _, tt := range tests {
		got, err := parseTimestamp(tt.in, tt.oid, ny)
		if tt.code != "" {
			if pgerror.Code(err) != tt.code {
				t.Errorf("parseTimestamp(%q) error = %v, want %s", tt.in, err, tt.code)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("parseTimestamp(%q, %d) = %v, %v; want %v", tt.in, tt.oid, got, err, tt.want)
		}
	}
}

func TestLoadLocation(t *testing.T) {
	at := time.Date(2024, 1, 15, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		wantOffset int
	}{
		{"UTC", 0},
		{"", 0},
		{"America/New_York", -5 * 3600},
		{"+05:30", 5*3600 + 1800},
		{"-08", -8 * 3600},
		{"UTC+3", -3 * 3600}, // POSIX: west positive
		{"GMT-2", 2 * 3600},
		{"No/Such_Zone", 0},
		{"../../etc/passwd", 0},
	}
	for _, tt := range tests {
		_, off := at.In(loadLocation(tt.name)).Zone()
		if off != tt.wantOffset {
			t.Errorf("loadLocation(%q) offset %d, want %d", tt.name, off, tt.wantOffset)
		}
	}
}

func TestParseBool(t *testing.T) {
	for _, s := range []string{"t", "true", "TRUE", " yes ", "y", "on", "1", "tr"} {
		if b, err := parseBool(s); err != nil || !b {
			t.Errorf("parseBool(%q) = %v, %v", s, b, err)
		}
	}
	for _, s := range []string{"f", "false", "no", "n", "off", "of", "0", "FALSE"} {
		if b, err := parseBool(s); err != nil || b {
			t.Errorf("parseBool(%q) = %v, %v", s, b, err)
		}
	}
	for _, s := range []string{"", "o", "maybe", "2", "truex"} {
		if _, err := parseBool(s); err == nil {
			t.Errorf("parseBool(%q) accepted", s)
		}
	}
}

func TestParseByteaText(t *testing.T) {
	tests := []struct {
		in      string
		want    []byte
		wantErr bool
	}{
		{`\x00ff10`, []byte{0, 0xff, 0x10}, false},
		{`\X0A 0b`, []byte{0x0a, 0x0b}, false},
		{`\x`, []byte{}, false},
		{`\x0`, nil, true},
		{`\xzz`, nil, true},
		{`abc`, []byte("abc"), false},
		{`a\\b\001`, []byte{'a', '\\', 'b', 1}, false},
		{`a\b`, nil, true},
		{`\400`, nil, true},
	}
	for _, tt := range tests {
		got, err := parseByteaText(tt.in)
		if (err != nil) != tt.wantErr || (!tt.wantErr && string(got) != string(tt.want)) {
			t.Errorf("parseByteaText(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func TestFirstKeyword(t *testing.T) {
	tests := map[string]string{
		"select 1":                  "select",
		"  ROLLBACK;":               "ROLLBACK",
		"-- c\ncommit":              "commit",
		"/* a /* nested */ */ end":  "end",
		"(select 1)":                "select",
		"":                          "",
		"-- only a comment":         "",
		"/* unterminated":           "",
		"\t\nabort transaction":     "abort",
		"rollback_to_nothing x":     "rollback_to_nothing",
		"123":                       "",
		"/**/start transaction ...": "start",
	}
	for in, want := range tests {
		if got := firstKeyword(in); got != want {
			t.Errorf("firstKeyword(%q) = %q, want %q", in, got, want)
		}
	}
}

func bigInt(v int64) *big.Int { return big.NewInt(v) }

type namedInt int16
type namedString string
type namedBytes []byte

func TestAppendTextLiberal(t *testing.T) {
	var e encoder
	e.setTimeZone("UTC")
	i := 5
	var nilPtr *int
	tests := []struct {
		name string
		oid  uint32
		v    any
		want string // "NULL" for nil
	}{
		{"int", pgtype.Int4OID, 7, "7"},
		{"int8 kind", pgtype.Int2OID, int8(-3), "-3"},
		{"uint16", pgtype.Int4OID, uint16(65535), "65535"},
		{"uint64", pgtype.Int8OID, uint64(math.MaxUint64), "18446744073709551615"},
		{"named int", pgtype.Int2OID, namedInt(9), "9"},
		{"pointer", pgtype.Int8OID, &i, "5"},
		{"nil pointer", pgtype.Int8OID, nilPtr, "NULL"},
		{"string in int column", pgtype.Int8OID, "0042", "0042"},
		{"float in int column", pgtype.Int8OID, 2.6, "3"},
		{"bool in int column", pgtype.Int4OID, true, "1"},
		{"int in float column", pgtype.Float8OID, int64(3), "3"},
		{"float32 in float8", pgtype.Float8OID, float32(1.1), "1.1"},
		{"float64 in float4", pgtype.Float4OID, 1.1, "1.1"},
		{"float in numeric", pgtype.NumericOID, 1e21, "1000000000000000000000"},
		{"nan in numeric", pgtype.NumericOID, math.NaN(), "NaN"},
		{"int in numeric", pgtype.NumericOID, int64(-4), "-4"},
		{"stringer in numeric", pgtype.NumericOID, testDecimal("1.50"), "1.50"},
		{"valuer", pgtype.NumericOID, pgtype.Numeric{Int: bigInt(150), Exp: -2, Valid: true}, "1.50"},
		{"invalid valuer", pgtype.NumericOID, pgtype.Numeric{}, "NULL"},
		{"named string", pgtype.TextOID, namedString("ns"), "ns"},
		{"named bytes", pgtype.ByteaOID, namedBytes{1}, `\x01`},
		{"string in bytea", pgtype.ByteaOID, "AB", `\x4142`},
		{"bytes in text", pgtype.TextOID, []byte("raw"), "raw"},
		{"bool in text", pgtype.TextOID, false, "f"},
		{"time in text", pgtype.TextOID, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), "2020-01-01 00:00:00+00"},
		{"duration", pgtype.IntervalOID, 36*time.Hour + time.Millisecond, "36:00:00.001"},
		{"interval string", pgtype.IntervalOID, "3 days", "3 days"},
		{"uuid array", pgtype.UUIDOID, [16]byte{15: 1}, "00000000-0000-0000-0000-000000000001"},
		{"uuid bytes", pgtype.UUIDOID, make([]byte, 16), "00000000-0000-0000-0000-000000000000"},
		{"json map", pgtype.JSONOID, map[string]int{"a": 1}, `{"a":1}`},
		{"json string", pgtype.JSONBOID, `[1]`, `[1]`},
		{"text array", pgtype.TextArrayOID, []string{"NULL", `q"b\`, "x"}, `{"NULL","q\"b\\",x}`},
		{"empty array", pgtype.TextArrayOID, []string{}, `{}`},
		{"named string slice", pgtype.TextArrayOID, []namedString{"a"}, `{a}`},
		{"date from timestamp", pgtype.DateOID, time.Date(2020, 5, 6, 23, 0, 0, 0, time.UTC), "2020-05-06"},
		{"oid", pgtype.OIDOID, uint32(4000000000), "4000000000"},
		{"unknown type", 999999, struct{ A int }{1}, "{1}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := normalize(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			got := "NULL"
			if v != nil {
				b, err := e.appendText(nil, tt.oid, v)
				if err != nil {
					t.Fatal(err)
				}
				got = string(b)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAppendBinary(t *testing.T) {
	var e encoder
	e.setTimeZone("UTC")
	m := pgtype.NewMap()
	ts := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
	tests := []struct {
		name string
		oid  uint32
		v    any
		want any // decoded by pgtype
	}{
		{"bool", pgtype.BoolOID, true, true},
		{"bool from string", pgtype.BoolOID, "off", false},
		{"int2", pgtype.Int2OID, int64(-300), int16(-300)},
		{"int2 from string", pgtype.Int2OID, " 12 ", int16(12)},
		{"int4 from uint", pgtype.Int4OID, uint8(200), int32(200)},
		{"int8", pgtype.Int8OID, int64(math.MinInt64), int64(math.MinInt64)},
		{"int8 from stringer", pgtype.Int8OID, testDecimal("77"), int64(77)},
		{"int8 from float", pgtype.Int8OID, 2.5, int64(3)},
		{"oid", pgtype.OIDOID, int64(4000000000), uint32(4000000000)},
		{"float4", pgtype.Float4OID, float32(0.1), float32(0.1)},
		{"float4 from float64", pgtype.Float4OID, 0.1, float32(0.1)},
		{"float8", pgtype.Float8OID, math.Inf(-1), math.Inf(-1)},
		{"float8 from float32", pgtype.Float8OID, float32(0.1), 0.1},
		{"float8 from string", pgtype.Float8OID, "-1.5e3", -1500.0},
		{"text", pgtype.TextOID, "héllo", "héllo"},
		{"varchar from int", pgtype.VarcharOID, int64(5), "5"},
		{"bytea", pgtype.ByteaOID, []byte{1, 2}, []byte{1, 2}},
		{"date", pgtype.DateOID, ts, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"date from string", pgtype.DateOID, "1999-12-31", time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC)},
		{"date before 2000", pgtype.DateOID, time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"timestamp", pgtype.TimestampOID, ts, ts},
		{"timestamp keeps wall clock", pgtype.TimestampOID, time.Date(2024, 1, 1, 10, 0, 0, 0, time.FixedZone("", 3600)), time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)},
		{"timestamptz", pgtype.TimestamptzOID, ts.In(time.FixedZone("", 3600)), ts},
		{"timestamptz from string", pgtype.TimestamptzOID, "2024-02-29 14:14:15.123456+01", ts},
		{"interval from duration", pgtype.IntervalOID, 90 * time.Minute, pgtype.Interval{Microseconds: 5400e6, Valid: true}},
		{"interval from string", pgtype.IntervalOID, "1 year 2 days 00:00:01", pgtype.Interval{Months: 12, Days: 2, Microseconds: 1e6, Valid: true}},
		{"json", pgtype.JSONOID, `{"a":1}`, map[string]any{"a": float64(1)}},
		{"jsonb", pgtype.JSONBOID, `[1,2]`, []any{float64(1), float64(2)}},
		{"uuid", pgtype.UUIDOID, "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", [16]byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}},
		{"text array", pgtype.TextArrayOID, []string{"a", "", "b c"}, []any{"a", "", "b c"}},
		{"empty array", pgtype.TextArrayOID, []string{}, []any{}},
		{"array from literal", pgtype.TextArrayOID, `{x,"y z"}`, []any{"x", "y z"}},
		{"varchar array", pgtype.VarcharArrayOID, []string{"v"}, []any{"v"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := normalize(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			b, err := e.appendBinary(nil, tt.oid, v)
			if err != nil {
				t.Fatal(err)
			}
			dt, _ := m.TypeForOID(tt.oid)
			got, err := dt.Codec.DecodeValue(m, tt.oid, pgtype.BinaryFormatCode, b)
			if err != nil {
				t.Fatalf("pgtype decode %x: %v", b, err)
			}
			if g, ok := got.(time.Time); ok {
				if !g.Equal(tt.want.(time.Time)) {
					t.Errorf("got %v, want %v", g, tt.want)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestAppendBinaryNumeric(t *testing.T) {
	var e encoder
	m := pgtype.NewMap()
	for _, in := range []any{"0", "-123.4500", "1e-7", "12345678901234567890.123456789", "NaN", "Infinity", "-Infinity",
		int64(-42), 2.75, testDecimal("99.9"), "0.0001", "-0.5", "10000", "100000000", "0.000", "1.50", "99999.99990",
		"0.00000001", "123456789", int64(math.MinInt64), "7.0000000000000000001"} {
		b, err := e.appendBinary(nil, pgtype.NumericOID, in)
		if err != nil {
			t.Fatalf("%v: %v", in, err)
		}
		var n pgtype.Numeric
		if err := m.Scan(pgtype.NumericOID, pgtype.BinaryFormatCode, b, &n); err != nil {
			t.Fatalf("%v: %v", in, err)
		}
		text, _ := m.Encode(pgtype.NumericOID, pgtype.TextFormatCode, n, nil)
		want := map[any]string{"1e-7": "0.0000001", "0.000": "0", // pgx drops the scale of zero, as with PostgreSQL
			int64(-42): "-42", 2.75: "2.75", testDecimal("99.9"): "99.9",
			int64(math.MinInt64): "-9223372036854775808"}[in]
		if want == "" {
			want = in.(string)
		}
		if string(text) != want {
			t.Errorf("numeric %v round trips to %q, want %q", in, text, want)
		}
		// The fast path (PostgreSQL's normalized form: no leading or
		// trailing zero digit groups) must agree in value and display
		// scale with pgtype's encoder.
		if str, ok := in.(string); ok {
			if fast, ok := appendPlainNumericBinary(nil, str); ok {
				n, _ := parseNumeric(str)
				slow, err := m.Encode(pgtype.NumericOID, pgtype.BinaryFormatCode, n, nil)
				if err != nil {
					t.Fatal(err)
				}
				if numericRat(t, m, fast).Cmp(numericRat(t, m, slow)) != 0 || string(fast[6:8]) != string(slow[6:8]) {
					t.Errorf("numeric %q: fast %x, pgtype %x", str, fast, slow)
				}
			}
		}
	}
}

// numericRat decodes a binary numeric into an exact rational.
func numericRat(t testing.TB, m *pgtype.Map, b []byte) *big.Rat {
	t.Helper()
	var n pgtype.Numeric
	if err := m.Scan(pgtype.NumericOID, pgtype.BinaryFormatCode, b, &n); err != nil {
		t.Fatal(err)
	}
	r := new(big.Rat).SetInt(n.Int)
	scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(n.Exp))), nil))
	if n.Exp < 0 {
		return r.Quo(r, scale)
	}
	return r.Mul(r, scale)
}

func abs(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

func TestEncodeErrors(t *testing.T) {
	var e encoder
	e.setTimeZone("UTC")
	tests := []struct {
		name   string
		oid    uint32
		v      any
		binary bool
		code   string
	}{
		{"int2 overflow", pgtype.Int2OID, int64(40000), true, pgerror.NumericOutOfRange},
		{"int8 from huge uint", pgtype.Int8OID, uint64(math.MaxUint64), true, pgerror.NumericOutOfRange},
		{"int from bad string", pgtype.Int4OID, "x", true, pgerror.InvalidTextRepr},
		{"int from NaN", pgtype.Int8OID, math.NaN(), true, pgerror.NumericOutOfRange},
		{"bool from time", pgtype.BoolOID, time.Now(), true, pgerror.DatatypeMismatch},
		{"numeric from garbage", pgtype.NumericOID, "12a", true, pgerror.InvalidTextRepr},
		{"date from int", pgtype.DateOID, int64(3), true, pgerror.DatatypeMismatch},
		{"uuid from short string", pgtype.UUIDOID, "abc", true, pgerror.InvalidTextRepr},
		{"interval from garbage", pgtype.IntervalOID, "soon", true, pgerror.InvalidDatetimeFormat},
		{"array from int", pgtype.TextArrayOID, int64(1), true, pgerror.DatatypeMismatch},
		{"no binary output", 999999, "x", true, pgerror.UndefinedFunction},
		{"json unmarshalable", pgtype.JSONOID, make(chan int), false, pgerror.InvalidTextRepr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.binary {
				_, err = e.appendBinary(nil, tt.oid, tt.v)
			} else {
				_, err = e.appendText(nil, tt.oid, tt.v)
			}
			if pgerror.Code(err) != tt.code {
				t.Errorf("error %v, want code %s", err, tt.code)
			}
		})
	}
}

func TestDecodeParam(t *testing.T) {
	var e encoder
	e.setTimeZone("UTC")
	be8 := func(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
	tests := []struct {
		name   string
		oid    uint32
		format int16
		in     []byte
		want   any
		code   string
	}{
		{"int2 text", pgtype.Int2OID, 0, []byte("-32768"), int64(-32768), ""},
		{"int2 text overflow", pgtype.Int2OID, 0, []byte("32768"), nil, pgerror.NumericOutOfRange},
		{"int8 text overflow", pgtype.Int8OID, 0, []byte("9223372036854775808"), nil, pgerror.NumericOutOfRange},
		{"oid text", pgtype.OIDOID, 0, []byte("4294967295"), int64(4294967295), ""},
		{"float4 text", pgtype.Float4OID, 0, []byte("0.1"), float64(float32(0.1)), ""},
		{"float8 text nan", pgtype.Float8OID, 0, []byte("NaN"), "NaN", ""},
		{"float8 text hex rejected", pgtype.Float8OID, 0, []byte("0x10"), nil, pgerror.InvalidTextRepr},
		{"float8 text overflow", pgtype.Float8OID, 0, []byte("1e400"), nil, pgerror.NumericOutOfRange},
		{"bool text", pgtype.BoolOID, 0, []byte("maybe"), nil, pgerror.InvalidTextRepr},
		{"numeric text", pgtype.NumericOID, 0, []byte(" 1.5e3 "), "1.5e3", ""},
		{"numeric nan", pgtype.NumericOID, 0, []byte("nan"), "NaN", ""},
		{"numeric bad", pgtype.NumericOID, 0, []byte("1..2"), nil, pgerror.InvalidTextRepr},
		{"invalid utf8", pgtype.TextOID, 0, []byte{0xff}, nil, "22021"},
		{"bytea escape", pgtype.ByteaOID, 0, []byte(`a\\`), []byte(`a\`), ""},
		{"uuid text", pgtype.UUIDOID, 0, []byte("{a0eebc999c0b4ef8bb6d6bb9bd380a11}"), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", ""},
		{"text array text", pgtype.TextArrayOID, 0, []byte(`{a,b}`), `{a,b}`, ""},
		{"int8 array text", pgtype.Int8ArrayOID, 0, []byte(`{1, NULL}`), `{1, NULL}`, ""},
		{"text array bad", pgtype.TextArrayOID, 0, []byte(`{a`), nil, pgerror.InvalidTextRepr},
		{"unknown type text", 999999, 0, []byte("x"), "x", ""},
		{"bool binary", pgtype.BoolOID, 1, []byte{1}, true, ""},
		{"int2 binary", pgtype.Int2OID, 1, []byte{0xff, 0xfe}, int64(-2), ""},
		{"int4 binary short", pgtype.Int4OID, 1, []byte{0, 1}, nil, codeInvalidBinaryRepresentation},
		{"float8 binary", pgtype.Float8OID, 1, be8(math.Float64bits(2.5)), 2.5, ""},
		{"timestamp binary", pgtype.TimestampOID, 1, be8(0), time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), ""},
		{"timestamp binary infinity", pgtype.TimestamptzOID, 1, be8(math.MaxInt64), nil, pgerror.FeatureNotSupported},
		{"date binary", pgtype.DateOID, 1, []byte{0xff, 0xff, 0xff, 0xff}, time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC), ""},
		{"interval binary", pgtype.IntervalOID, 1, append(be8(3600e6), 0, 0, 0, 2, 0, 0, 0, 13), "1 year 1 mon 2 days 01:00:00", ""},
		{"jsonb binary", pgtype.JSONBOID, 1, []byte("\x01{}"), "{}", ""},
		{"jsonb bad version", pgtype.JSONBOID, 1, []byte("\x02{}"), nil, codeInvalidBinaryRepresentation},
		{"uuid binary", pgtype.UUIDOID, 1, make([]byte, 16), "00000000-0000-0000-0000-000000000000", ""},
		{"numeric binary garbage", pgtype.NumericOID, 1, []byte{1}, nil, codeInvalidBinaryRepresentation},
		{"unknown type binary", 999999, 1, []byte{9}, []byte{9}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.decodeParam(tt.oid, tt.format, tt.in, 1)
			if tt.code != "" {
				if pgerror.Code(err) != tt.code {
					t.Errorf("error %v, want %s", err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f, ok := got.(float64); ok && math.IsNaN(f) && tt.want == "NaN" {
				return
			}
			if g, ok := got.(time.Time); ok {
				if !g.Equal(tt.want.(time.Time)) {
					t.Errorf("got %v, want %v", g, tt.want)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestValidNumeric(t *testing.T) {
	for _, s := range []string{"0", "-1", "+1.5", ".5", "5.", "1e10", "1E-3", "123.456e+7"} {
		if !validNumeric(s) {
			t.Errorf("validNumeric(%q) = false", s)
		}
	}
	for _, s := range []string{"", ".", "-", "1e", "e5", "1.2.3", "1 2", "0x10", strings.Repeat("1", 3) + "a"} {
		if validNumeric(s) {
			t.Errorf("validNumeric(%q) = true", s)
		}
	}
}
