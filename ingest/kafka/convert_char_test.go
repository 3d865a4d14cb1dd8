package kafka

import (
	"errors"
	"testing"

	"openwit/storage"
)

// TestConvertChar checks PostgreSQL's assignment rule for varchar(n) and
// char(n) columns fed from JSON: too long is an error (the record becomes
// a dead letter), blanks past n are cut, char(n) is padded, and non-string
// JSON values are checked on their text.
func TestConvertChar(t *testing.T) {
	for _, tc := range []struct {
		typ  string
		f    field
		want string
		err  bool
	}{
		{"varchar(3)", field{kind: kindString, str: []byte("abc")}, "abc", false},
		{"varchar(3)", field{kind: kindString, str: []byte("abcd")}, "", true},
		{"varchar(3)", field{kind: kindString, str: []byte("ab   ")}, "ab ", false},
		{"varchar(3)", field{kind: kindString, str: []byte("ééé")}, "ééé", false},
		{"varchar(3)", field{kind: kindNumber, raw: []byte("1234")}, "", true},
		{"varchar(5)", field{kind: kindBool, b: true}, "true", false},
		{"bpchar(4)", field{kind: kindString, str: []byte("ab")}, "ab  ", false},
		{"varchar", field{kind: kindString, str: []byte("no limit at all")}, "no limit at all", false},
	} {
		v, err := convertValue(&tc.f, tc.typ)
		if tc.err {
			if !errors.Is(err, storage.ErrValueTooLong) {
				t.Errorf("%s %q: err = %v, want ErrValueTooLong", tc.typ, tc.f.str, err)
			}
			continue
		}
		if err != nil || string(v.s) != tc.want {
			t.Errorf("%s %q: %q, %v; want %q", tc.typ, tc.f.str, v.s, err, tc.want)
		}
	}
}
