package kafka

import (
	"errors"
	"testing"

	"openwit/storage"
)

// TestConvertUUIDInet checks JSON strings fed to uuid, inet and cidr
// columns: stored in PostgreSQL's canonical output, bad input and other
// JSON kinds are errors (the record becomes a dead letter).
func TestConvertUUIDInet(t *testing.T) {
	for _, tc := range []struct {
		typ  string
		f    field
		want string
		bad  bool // invalid input (storage.ErrInvalidText)
		err  bool // any other error
	}{
		{"uuid", field{kind: kindString, str: []byte("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11")}, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", false, false},
		{"uuid", field{kind: kindString, str: []byte("{a0eebc999c0b4ef8bb6d6bb9bd380a11}")}, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", false, false},
		{"uuid", field{kind: kindString, str: []byte("a0eebc99")}, "", true, false},
		{"uuid", field{kind: kindNumber, raw: []byte("12")}, "", false, true},
		{"inet", field{kind: kindString, str: []byte("10.1.2.3/32")}, "10.1.2.3", false, false},
		{"inet", field{kind: kindString, str: []byte("2001:DB8::1/64")}, "2001:db8::1/64", false, false},
		{"inet", field{kind: kindString, str: []byte("10.1.2.256")}, "", true, false},
		{"cidr", field{kind: kindString, str: []byte("10.1")}, "10.1.0.0/16", false, false},
		{"cidr", field{kind: kindString, str: []byte("10.1.2.3/16")}, "", true, false},
	} {
		v, err := convertValue(&tc.f, tc.typ)
		switch {
		case tc.bad:
			if !errors.Is(err, storage.ErrInvalidText) {
				t.Errorf("%s %q: err = %v, want ErrInvalidText", tc.typ, tc.f.str, err)
			}
		case tc.err:
			if err == nil {
				t.Errorf("%s %s: no error", tc.typ, tc.f.raw)
			}
		case err != nil || string(v.s) != tc.want:
			t.Errorf("%s %q: %q, %v; want %q", tc.typ, tc.f.str, v.s, err, tc.want)
		}
	}
	if v, err := convertValue(&field{kind: kindNull}, "uuid"); err != nil || !v.null {
		t.Errorf("null: %+v, %v", v, err)
	}
}
