package pgnet

import (
	"net/netip"
	"strings"
)

// Key is the compact form of an inet or cidr value that the vectorized
// executor compares (docs/design/077): the address in 16 bytes (an IPv4
// address in the first 4), its family and its netmask length. Its order and
// containment tests are Inet's (network_cmp, >>, >>=, &&); the cidr flag
// plays no part in them, as in PostgreSQL.
type Key struct {
	Addr [16]byte
	Fam  uint8 // 4 or 6
	Bits uint8
}

// KeyOf returns a's Key.
func KeyOf(a Inet) Key {
	k := Key{Bits: uint8(a.Bits), Fam: uint8(a.Family())}
	if a.Addr.Is4() {
		b := a.Addr.As4()
		copy(k.Addr[:4], b[:])
	} else {
		k.Addr = a.Addr.As16()
	}
	return k
}

// ParseKey reads a stored inet or cidr value: the canonical text inet_out
// and cidr_out print ("10.1.2.3", "10.0.0.0/8", "2001:db8::/32",
// "::1.2.3.4"). It does not allocate. Text that is not of that form falls
// back to ParseInet's full input rules (and its error).
func ParseKey(s string) (Key, error) {
	if k, ok := parseKey4(s); ok {
		return k, nil
	}
	addr, bits := s, 128
	if i := strings.IndexByte(s, '/'); i >= 0 {
		addr = s[:i]
		n, ok := smallInt(s[i+1:])
		if !ok || n > 128 {
			return slowKey(s)
		}
		bits = n
	}
	if strings.IndexByte(addr, ':') < 0 {
		return slowKey(s)
	}
	ip, err := netip.ParseAddr(addr)
	if err != nil || ip.Zone() != "" || !ip.Is6() {
		return slowKey(s)
	}
	return Key{Addr: ip.As16(), Fam: 6, Bits: uint8(bits)}, nil
}

func slowKey(s string) (Key, error) {
	a, err := ParseInet(s, false)
	if err != nil {
		return Key{}, err
	}
	return KeyOf(a), nil
}

// parseKey4 reads a.b.c.d[/n] with four octets.
func parseKey4(s string) (Key, bool) {
	k := Key{Fam: 4, Bits: 32}
	oct, n, digits := 0, 0, 0
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			n = n*10 + int(c-'0')
			digits++
			if digits > 3 || n > 255 {
				return Key{}, false
			}
		case c == '.' && digits > 0 && oct < 3:
			k.Addr[oct] = byte(n)
			oct, n, digits = oct+1, 0, 0
		case c == '/':
			goto mask
		default:
			return Key{}, false
		}
	}
mask:
	if oct != 3 || digits == 0 {
		return Key{}, false
	}
	k.Addr[3] = byte(n)
	if i < len(s) {
		b, ok := smallInt(s[i+1:])
		if !ok || b > 32 {
			return Key{}, false
		}
		k.Bits = uint8(b)
	}
	return k, true
}

// smallInt reads 1 to 3 decimal digits.
func smallInt(s string) (int, bool) {
	if s == "" || len(s) > 3 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func (k *Key) width() int {
	if k.Fam == 4 {
		return 32
	}
	return 128
}

// Compare is Inet.Compare: family, then the network over the shorter
// mask, then the mask length, then the whole address.
func (k *Key) Compare(o *Key) int {
	if k.Fam != o.Fam {
		return int(k.Fam) - int(o.Fam)
	}
	if c := keyBits(&k.Addr, &o.Addr, int(min(k.Bits, o.Bits))); c != 0 {
		return c
	}
	if k.Bits != o.Bits {
		return int(k.Bits) - int(o.Bits)
	}
	return keyBits(&k.Addr, &o.Addr, k.width())
}

// keyBits compares the first n bits of x and y.
func keyBits(x, y *[16]byte, n int) int {
	for i := 0; n > 0; i++ {
		m := byte(0xff)
		if n < 8 {
			m = byte(0xff << (8 - n))
		}
		if a, b := x[i]&m, y[i]&m; a != b {
			if a < b {
				return -1
			}
			return 1
		}
		n -= 8
	}
	return 0
}

// ContainsOrEquals is Inet.ContainsOrEquals (>>=).
func (k *Key) ContainsOrEquals(o *Key) bool {
	return k.Fam == o.Fam && k.Bits <= o.Bits && keyBits(&k.Addr, &o.Addr, int(k.Bits)) == 0
}

// Contains is Inet.Contains (>>).
func (k *Key) Contains(o *Key) bool {
	return k.Bits < o.Bits && k.ContainsOrEquals(o)
}

// Overlaps is Inet.Overlaps (&&).
func (k *Key) Overlaps(o *Key) bool {
	return k.Fam == o.Fam && keyBits(&k.Addr, &o.Addr, int(min(k.Bits, o.Bits))) == 0
}
