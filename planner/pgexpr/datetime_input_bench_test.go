package pgexpr

import (
	"testing"
	"time"
)

// BenchmarkTimestampInput compares PostgreSQL-form input (ParseDateTimeInput)
// with the layout list it replaced in casts (ParseTimestamp).
func BenchmarkTimestampInput(b *testing.B) {
	now := time.Now()
	for _, in := range []string{"2024-02-29 13:45:00.123456", "2024-02-29 13:45:00+05:30", "2024-02-29"} {
		b.Run("dtinput/"+in, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := ParseDateTimeInput(in, "timestamp", time.UTC, now); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("layouts/"+in, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := ParseTimestamp(in, time.UTC); !ok {
					b.Fatal(in)
				}
			}
		})
	}
}
