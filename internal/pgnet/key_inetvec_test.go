package pgnet

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// randomInet draws an address from a few small networks (so that
// containment and equal prefixes happen), of either family, as inet or
// cidr.
func randomInet(rng *rand.Rand) Inet {
	var a Inet
	if rng.IntN(2) == 0 {
		b := [4]byte{10, byte(rng.IntN(3)), byte(rng.IntN(3)), byte(rng.IntN(256))}
		if rng.IntN(4) == 0 {
			b[0] = byte(rng.IntN(256))
		}
		a = Inet{Addr: netip.AddrFrom4(b), Bits: []int{0, 8, 16, 24, 31, 32, 32, 32}[rng.IntN(8)]}
	} else {
		var b [16]byte
		b[0], b[1], b[2], b[3] = 0x20, 0x01, 0x0d, 0xb8
		b[5] = byte(rng.IntN(3))
		b[15] = byte(rng.IntN(256))
		if rng.IntN(5) == 0 {
			b = [16]byte{12: byte(rng.IntN(3)), 13: 2, 14: 3, 15: byte(rng.IntN(4))} // ::a.b.c.d
		}
		a = Inet{Addr: netip.AddrFrom16(b), Bits: []int{0, 32, 48, 64, 120, 128, 128}[rng.IntN(7)]}
	}
	if rng.IntN(3) == 0 {
		a = a.Masked()
		a.CIDR = true
	}
	return a
}

// TestKeyAgreesWithInet: ParseKey of the stored text and Key's order and
// containment tests agree with Inet's (the row engine's) on every pair.
func TestKeyAgreesWithInet(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	vals := make([]Inet, 300)
	keys := make([]Key, len(vals))
	for i := range vals {
		vals[i] = randomInet(rng)
		k, err := ParseKey(vals[i].String())
		if err != nil {
			t.Fatalf("ParseKey(%q): %v", vals[i].String(), err)
		}
		if k != KeyOf(vals[i]) {
			t.Fatalf("ParseKey(%q) = %+v, want %+v", vals[i].String(), k, KeyOf(vals[i]))
		}
		keys[i] = k
	}
	sign := func(x int) int { return min(max(x, -1), 1) }
	for i := range vals {
		for j := range vals {
			a, b := vals[i], vals[j]
			ka, kb := &keys[i], &keys[j]
			if g, w := sign(ka.Compare(kb)), sign(a.Compare(b)); g != w {
				t.Errorf("Compare(%s, %s) = %d, want %d", a, b, g, w)
			}
			if ka.ContainsOrEquals(kb) != a.ContainsOrEquals(b) || ka.Contains(kb) != a.Contains(b) || ka.Overlaps(kb) != a.Overlaps(b) {
				t.Errorf("containment of %s and %s differs", a, b)
			}
		}
	}
	for _, s := range []string{"", "1.2.3", "1.2.3.4/33", "1.2.3.256", "::1/129", "x", "1.2.3.4/", "fe80::1%eth0"} {
		if _, err := ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) succeeded", s)
		}
	}
	// Non-canonical input still reads as inet input does.
	for _, s := range []string{"10.1/16", "::FFFF:1.2.3.4", "001.2.3.4"} {
		k, err := ParseKey(s)
		a, err2 := ParseInet(s, false)
		if (err == nil) != (err2 == nil) || (err == nil && k != KeyOf(a)) {
			t.Errorf("ParseKey(%q) = %+v, %v; ParseInet %v, %v", s, k, err, a, err2)
		}
	}
}

func BenchmarkParseKey(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := ParseKey("192.168.10.200"); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzParseKey: ParseKey accepts exactly what inet input accepts, with
// the same value.
func FuzzParseKey(f *testing.F) {
	for _, s := range []string{"10.1.2.3", "10.0.0.0/8", "1.2.3.4/33", "001.2.3.4", "10.1/16", "::1", "::1.2.3.4", "2001:db8::/32", "::ffff:1.2.3.4/120", "1.2.3.4/", "1..2.3", "fe80::1%eth0", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKey(s)
		a, err2 := ParseInet(s, false)
		if (err == nil) != (err2 == nil) {
			t.Fatalf("ParseKey(%q) error %v, ParseInet error %v", s, err, err2)
		}
		if err == nil && k != KeyOf(a) {
			t.Fatalf("ParseKey(%q) = %+v, want %+v", s, k, KeyOf(a))
		}
	})
}
