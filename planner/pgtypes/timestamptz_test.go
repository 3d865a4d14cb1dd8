package pgtypes

import (
	"context"
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
)

func TestTimestampTZType(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		in   any
		want time.Time
		code string
	}{
		{time.Unix(0, 0), time.Unix(0, 0).UTC(), ""},
		{time.Date(1960, 5, 1, 0, 0, 0, 0, time.FixedZone("x", 3600)), time.Date(1960, 4, 30, 23, 0, 0, 0, time.UTC), ""},
		{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), ""},
		{time.Date(9999, 12, 31, 23, 59, 59, 999_999_400, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999_999_000, time.UTC), ""},
		{time.Date(9999, 12, 31, 23, 59, 59, 999_999_600, time.UTC), time.Time{}, pgerror.DatetimeOverflow}, // rounds past the end
		{time.Date(0, 12, 31, 23, 59, 59, 0, time.UTC), time.Time{}, pgerror.DatetimeOverflow},
		{PosInfinity, PosInfinity, ""},
		{NegInfinity, NegInfinity, ""},
		{"2100-01-01 00:00:00", time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), ""},
	} {
		got, _, err := TimestampTZType.Convert(ctx, tt.in)
		if tt.code != "" {
			if pgerror.Code(err) != tt.code {
				t.Errorf("Convert(%v): %v, want %s", tt.in, err, tt.code)
			}
			continue
		}
		if err != nil || !got.(time.Time).Equal(tt.want) || got.(time.Time).Location() != time.UTC {
			t.Errorf("Convert(%v) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	if oid, size := OID(TimestampTZType); oid != OIDTimestampTZ || size != 8 {
		t.Errorf("OID = %d, %d", oid, size)
	}
	if g, err := GMSType("timestamptz"); err != nil || !IsTimestampTZ(g) {
		t.Errorf("GMSType(timestamptz) = %v, %v", g, err)
	}
	if !IsTime(TimestampTZType) || IsTimestampTZ(types.DatetimeMaxPrecision) || TimestampTZType.Equals(types.DatetimeMaxPrecision) {
		t.Error("timestamptz must be a time type distinct from timestamp")
	}
	c, err := TimestampTZType.Compare(ctx, time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), NegInfinity)
	if err != nil || c != 1 {
		t.Errorf("Compare(1900, -infinity) = %d, %v", c, err)
	}
}

// BenchmarkTimestampTZCompare compares the sort comparison of the
// timestamptz type with go-mysql-server's TIMESTAMP(6) it replaced.
func BenchmarkTimestampTZCompare(b *testing.B) {
	ctx := sql.NewEmptyContext()
	var x, y any = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 1, 1, 0, 0, 1, 0, time.UTC)
	for _, bt := range []struct {
		name string
		typ  sql.Type
	}{{"ours", TimestampTZType}, {"gms-timestamp", types.TimestampMaxPrecision}} {
		b.Run(bt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if c, _ := bt.typ.Compare(ctx, x, y); c != -1 {
					b.Fatal(c)
				}
			}
		})
	}
}

// BenchmarkTimestampTZConvert compares Convert of a time value (INSERT,
// UNION, CASE) with go-mysql-server's TIMESTAMP(6).
func BenchmarkTimestampTZConvert(b *testing.B) {
	ctx := sql.NewEmptyContext()
	var x any = time.Date(2024, 1, 1, 0, 0, 0, 123456000, time.UTC)
	for _, bt := range []struct {
		name string
		typ  sql.Type
	}{{"ours", TimestampTZType}, {"gms-timestamp", types.TimestampMaxPrecision}} {
		b.Run(bt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := bt.typ.Convert(ctx, x); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
