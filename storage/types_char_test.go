package storage

import (
	"errors"
	"testing"
)

func TestCanonicalCharTypes(t *testing.T) {
	for _, tc := range []struct {
		name string
		mods []int32
		want string
		err  bool
	}{
		{"varchar", []int32{16}, "varchar(16)", false},
		{"pg_catalog.varchar", nil, "varchar", false},
		{"character varying", []int32{3}, "varchar(3)", false},
		{"bpchar", []int32{1}, "bpchar(1)", false},
		{"bpchar", nil, "bpchar", false},
		{"character", []int32{4}, "bpchar(4)", false},
		{"text", nil, "text", false},
		{"varchar", []int32{0}, "", true},
		{"varchar", []int32{MaxCharLength + 1}, "", true},
		{"bpchar", []int32{1, 2}, "", true},
	} {
		got, err := CanonicalType(tc.name, tc.mods)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("CanonicalType(%q, %v) = %q, %v; want %q (error %v)", tc.name, tc.mods, got, err, tc.want, tc.err)
		}
	}
}

func TestFitAndCastChar(t *testing.T) {
	for _, tc := range []struct {
		typ, in   string
		fit, cast string
		tooLong   bool
	}{
		{"varchar(3)", "abc", "abc", "abc", false},
		{"varchar(3)", "abcd", "", "abc", true},
		{"varchar(3)", "ab    ", "ab ", "ab ", false},
		{"varchar(3)", "abc d", "", "abc", true},
		{"varchar(3)", "日本語", "日本語", "日本語", false},
		{"varchar(3)", "日本語x", "", "日本語", true},
		{"bpchar(4)", "ab", "ab  ", "ab  ", false},
		{"bpchar(4)", "abcd  ", "abcd", "abcd", false},
		{"bpchar(2)", "abc", "", "ab", true},
		{"varchar", "any length at all", "any length at all", "any length at all", false},
		{"text", "abcd", "abcd", "abcd", false},
	} {
		got, err := FitChar(tc.typ, tc.in)
		if tc.tooLong {
			if !errors.Is(err, ErrValueTooLong) {
				t.Errorf("FitChar(%s, %q) = %q, %v; want ErrValueTooLong", tc.typ, tc.in, got, err)
			}
		} else if err != nil || got != tc.fit {
			t.Errorf("FitChar(%s, %q) = %q, %v; want %q", tc.typ, tc.in, got, err, tc.fit)
		}
		if got := CastChar(tc.typ, tc.in); got != tc.cast {
			t.Errorf("CastChar(%s, %q) = %q, want %q", tc.typ, tc.in, got, tc.cast)
		}
	}
	if _, err := FitChar("varchar(3)", "abcd"); err == nil || err.Error() != "value too long for type character varying(3)" {
		t.Errorf("message: %v", err)
	}
	if _, err := FitChar("bpchar(2)", "abc"); err == nil || err.Error() != "value too long for type character(2)" {
		t.Errorf("message: %v", err)
	}
}

// BenchmarkFitChar is the per-value cost of the varchar(n) check that
// INSERT, COPY and bulk ingest add for each string of such a column.
func BenchmarkFitChar(b *testing.B) {
	b.ReportAllocs()
	v := "a log message of forty characters or so."
	b.SetBytes(int64(len(v)))
	for b.Loop() {
		if _, err := FitChar("varchar(64)", v); err != nil {
			b.Fatal(err)
		}
	}
}
