package pgnet

import (
	"errors"
	"testing"
)

// TestParseInet checks inet and cidr input and output against what
// PostgreSQL 15 prints for the same input (sqltests/testdata/inet.slt has
// the end-to-end records).
func TestParseInet(t *testing.T) {
	for _, tc := range []struct {
		in   string
		cidr bool
		want string // "" for invalid input
	}{
		{"192.168.1.5", false, "192.168.1.5"},
		{"192.168.1.5/32", false, "192.168.1.5"},
		{"192.168.1.5/24", false, "192.168.1.5/24"},
		{"10.1/16", false, "10.1.0.0/16"},
		{"10.1", false, ""},
		{"10.1.2.3/33", false, ""},
		{"256.1.2.3", false, ""},
		{"1.2.3.4/", false, ""},
		{"::1.2.3.4", false, "::1.2.3.4"},
		{"::ffff:10.1.2.3", false, "::ffff:10.1.2.3"},
		{"2001:DB8::1/64", false, "2001:db8::1/64"},
		{"fe80::1%eth0", false, ""},
		{"10", true, "10.0.0.0/8"},
		{"172.16", true, "172.16.0.0/16"},
		{"192.168.100", true, "192.168.100.0/24"},
		{"224", true, "224.0.0.0/4"},
		{"10.1.2.3", true, "10.1.2.3/32"},
		{"10.1.2.3/8", true, ""},
		{"::1", true, "::1/128"},
	} {
		a, err := ParseInet(tc.in, tc.cidr)
		if tc.want == "" {
			if !errors.Is(err, ErrInvalidText) {
				t.Errorf("%q (cidr %v): %v, %v; want ErrInvalidText", tc.in, tc.cidr, a, err)
			}
			continue
		}
		if err != nil || a.String() != tc.want {
			t.Errorf("%q (cidr %v): %q, %v; want %q", tc.in, tc.cidr, a.String(), err, tc.want)
		}
		b, err := ReadBinary(a.AppendBinary(nil), tc.cidr)
		if err != nil || b != a {
			t.Errorf("%q: binary round trip %v, %v", tc.in, b, err)
		}
	}
}

// TestInetOrder checks network_cmp's order: family, network over the
// shorter mask, mask length, whole address.
func TestInetOrder(t *testing.T) {
	order := []string{"9.255.255.255", "10.0.0.0/8", "10.0.0.1/8", "10.0.0.0/16", "10.0.0.1", "10.128.0.0/9", "::", "::1"}
	for i := 1; i < len(order); i++ {
		a, _ := ParseInet(order[i-1], false)
		b, _ := ParseInet(order[i], false)
		if a.Compare(b) >= 0 || b.Compare(a) <= 0 {
			t.Errorf("%s should sort before %s", order[i-1], order[i])
		}
	}
}

// TestParseUUID checks uuid input spellings and the canonical output.
func TestParseUUID(t *testing.T) {
	const want = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
	for _, in := range []string{want, "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
		"a0eebc999c0b4ef8bb6d6bb9bd380a11", "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11"} {
		u, ok := ParseUUID(in)
		if !ok || FormatUUID(u) != want {
			t.Errorf("%q: %s, %v", in, FormatUUID(u), ok)
		}
	}
	for _, in := range []string{"", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
		" a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc9-99c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-"} {
		if _, ok := ParseUUID(in); ok {
			t.Errorf("%q accepted", in)
		}
	}
}

// FuzzParseInet checks that any input either fails cleanly or prints a
// form that reads back as the same value.
func FuzzParseInet(f *testing.F) {
	for _, s := range []string{"10.1.2.3/8", "::1", "10", "2001:db8::/32", "1.2.3.4/"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, cidr bool) {
		a, err := ParseInet(s, cidr)
		if err != nil {
			return
		}
		b, err := ParseInet(a.String(), cidr)
		if err != nil || b.Compare(a) != 0 {
			t.Fatalf("%q printed %q, read back %v, %v", s, a.String(), b, err)
		}
	})
}
