package kafka

import (
	"bytes"
	"testing"

	"openwit/storage"
)

// TestConvertFastMatchesPlain: for every type convertFast knows and many
// JSON values (common shapes, strings for numbers, out of range, wrong
// kinds, epochs of every unit), a value convertFast takes is the value
// convertPlain gives, without error; the common shapes take the fast path.
func TestConvertFastMatchesPlain(t *testing.T) {
	t.Parallel()
	types := []string{storage.TypeText, storage.TypeInt2, storage.TypeInt4, storage.TypeInt8, storage.TypeFloat4,
		storage.TypeFloat8, storage.TypeTimestampTZ, storage.TypeBool, storage.TypeJSONB, storage.TypeDate, "varchar(3)"}
	vals := []string{`null`, `"abc"`, `""`, `"h\u00e9\n"`, `0`, `-0`, `1`, `-1`, `32767`, `32768`, `-32768`, `-32769`,
		`2147483647`, `2147483648`, `-2147483649`, `9223372036854775807`, `9223372036854775808`, `1e3`, `1.5`, `-2.25e-3`,
		`1E400`, `"12"`, `" 7 "`, `true`, `false`, `{"a":1}`, `[1,2]`, `1717000000`, `1717000000123`, `1717000000123456`,
		`1717000000123456789`, `1717000000.5`, `253402300800`, `-62135596801`, `99999999999999999999`, `"2024-06-01T00:00:00Z"`}
	fast := map[string]bool{}
	for _, typ := range types {
		k := kindPlain
		if typ == storage.TypeText || !storage.IsTextual(typ) {
			k = columnKind(typ)
		}
		for _, raw := range vals {
			fields, err := scanObject([]byte(`{"v":`+raw+`}`), nil)
			if err != nil || len(fields) != 1 {
				t.Fatalf("scan %s: %v", raw, err)
			}
			f := &fields[0]
			got, ok := convertFast(f, k)
			if !ok {
				continue
			}
			fast[typ+" "+raw] = true
			want, err := convertValue(f, typ)
			if err != nil {
				t.Errorf("%s %s: fast path took a value convertPlain rejects: %v", typ, raw, err)
				continue
			}
			if got.null != want.null || got.i != want.i || got.f != want.f || !bytes.Equal(got.s, want.s) || got.b != want.b || got.d != want.d {
				t.Errorf("%s %s: fast %+v, plain %+v", typ, raw, got, want)
			}
		}
	}
	for _, c := range []string{"text \"abc\"", "int4 32768", "int2 -32768", "int8 9223372036854775807", "float8 1.5",
		"float4 1e3", "timestamptz 1717000000123", "timestamptz null", "text null"} {
		if !fast[c] {
			t.Errorf("%s did not take the fast path", c)
		}
	}
	for _, c := range []string{"int2 32768", "int4 1e3", "int8 9223372036854775808", "timestamptz -62135596801", "bool true", "varchar(3) \"abc\"", "text 1"} {
		if fast[c] {
			t.Errorf("%s took the fast path", c)
		}
	}
}
