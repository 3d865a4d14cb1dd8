package pgtypes

import (
	"errors"
	"testing"

	"openwit/internal/pgerror"
)

func TestCommonType(t *testing.T) {
	tests := []struct {
		in   []uint32
		want uint32
		err  string // the 42804 message, "" for none
	}{
		{[]uint32{OIDInt4, OIDInt4}, OIDInt4, ""},
		{[]uint32{OIDInt4, OIDNumeric}, OIDNumeric, ""},
		{[]uint32{OIDNumeric, OIDInt4}, OIDNumeric, ""},
		{[]uint32{OIDInt4, OIDInt8, OIDInt2}, OIDInt8, ""},
		{[]uint32{OIDInt4, OIDFloat8, OIDNumeric}, OIDFloat8, ""},
		{[]uint32{OIDNumeric, OIDFloat4}, OIDFloat4, ""},
		{[]uint32{0, OIDInt4, OIDUnknown}, OIDInt4, ""},
		{[]uint32{0, 0}, OIDText, ""},
		{[]uint32{OIDVarchar, OIDText}, OIDVarchar, ""}, // they cast into each other: the first stays
		{[]uint32{OIDText, OIDVarchar}, OIDText, ""},
		{[]uint32{OIDVarchar, OIDName}, OIDName, ""},
		{[]uint32{OIDDate, OIDTimestampTZ, OIDTimestamp}, OIDTimestampTZ, ""},
		{[]uint32{OIDText, OIDInt4}, 0, "UNION types text and integer cannot be matched"},
		{[]uint32{OIDInt4, 0, OIDBool}, 0, "UNION types integer and boolean cannot be matched"},
		{[]uint32{OIDJSONB, OIDBytea}, 0, "UNION types jsonb and bytea cannot be matched"},
	}
	for _, tt := range tests {
		got, err := CommonType("UNION", tt.in)
		if tt.err != "" {
			var pe *pgerror.Error
			if !errors.As(err, &pe) || pe.Code != pgerror.DatatypeMismatch || pe.Message != tt.err {
				t.Errorf("%v: err %v, want 42804 %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%v: got %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}
