// Package pgnet reads and prints PostgreSQL's uuid, inet and cidr values
// with PostgreSQL's input rules and output forms, for every layer that
// meets them as text (storage, the planner, the wire protocol). Errors
// wrap ErrInvalidText (SQLSTATE 22P02 at the gateways).
package pgnet

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
)

// ErrInvalidText is wrapped by the input errors: the value is not valid
// input for its type.
var ErrInvalidText = errors.New("invalid input syntax")

// invalidText is an input error; errors.Is(err, ErrInvalidText) holds.
type invalidText string

func (e invalidText) Error() string        { return string(e) }
func (e invalidText) Is(target error) bool { return target == ErrInvalidText }

// UUIDError is the input error of a bad uuid.
func UUIDError(s string) error {
	return invalidText("invalid input syntax for type uuid: \"" + s + "\"")
}

// ParseUUID reads PostgreSQL's uuid input: 32 hex digits (either case),
// optionally in braces, with an optional hyphen after any group of four
// digits (so the canonical 8-4-4-4-12 form, no hyphens at all, and
// "a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11" are all accepted). No blanks.
func ParseUUID(s string) (u [16]byte, ok bool) {
	braces := strings.HasPrefix(s, "{")
	if braces {
		s = s[1:]
	}
	i := 0
	for k := range 16 {
		if i+2 > len(s) {
			return u, false
		}
		hi, ok1 := hexDigit(s[i])
		lo, ok2 := hexDigit(s[i+1])
		if !ok1 || !ok2 {
			return u, false
		}
		u[k] = hi<<4 | lo
		i += 2
		if i < len(s) && s[i] == '-' && k%2 == 1 && k < 15 {
			i++
		}
	}
	if braces {
		if i >= len(s) || s[i] != '}' {
			return u, false
		}
		i++
	}
	return u, i == len(s)
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// FormatUUID returns the canonical lower-case 8-4-4-4-12 form of u.
func FormatUUID(u [16]byte) string {
	const hexd = "0123456789abcdef"
	var b [36]byte
	j := 0
	for k, x := range u {
		if k == 4 || k == 6 || k == 8 || k == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = hexd[x>>4], hexd[x&15]
		j += 2
	}
	return string(b[:])
}

// Inet is a value of PostgreSQL's inet or cidr: an address, its netmask
// length and which of the two types it is. A cidr has no bits set past
// Bits.
type Inet struct {
	Addr netip.Addr // IPv4 (4 bytes) or IPv6, without a zone
	Bits int        // netmask length: 0..32 or 0..128
	CIDR bool
}

// Family is 4 or 6.
func (a Inet) Family() int {
	if a.Addr.Is4() {
		return 4
	}
	return 6
}

// MaxBits is 32 for IPv4 and 128 for IPv6.
func (a Inet) MaxBits() int { return a.Addr.BitLen() }

// String is PostgreSQL's output: inet omits a full-length mask
// ("10.0.0.1", "10.0.0.1/8"), cidr always shows it ("10.0.0.0/8").
func (a Inet) String() string {
	s := formatAddr(a.Addr)
	if a.CIDR || a.Bits != a.MaxBits() {
		s += "/" + strconv.Itoa(a.Bits)
	}
	return s
}

// Text is PostgreSQL's text(inet) and inet::text: always with the mask
// length ("10.0.0.1/32").
func (a Inet) Text() string {
	return formatAddr(a.Addr) + "/" + strconv.Itoa(a.Bits)
}

// formatAddr prints an address as PostgreSQL does: Go's RFC 5952 form,
// except that an IPv6 address whose first 96 bits are zero and whose last
// 32 are not a small number prints its last 32 bits as dotted IPv4
// ("::1.2.3.4"), as PostgreSQL's inet_net_ntop does.
func formatAddr(a netip.Addr) string {
	if a.Is6() && !a.Is4In6() {
		b := a.As16()
		zero := true
		for _, x := range b[:12] {
			zero = zero && x == 0
		}
		if zero && (b[12] != 0 || b[13] != 0) {
			return "::" + netip.AddrFrom4([4]byte(b[12:])).String()
		}
	}
	return a.String()
}

// ParseInet reads PostgreSQL's inet (cidr false) or cidr input. inet: an
// IPv4 address of four octets, or fewer when a mask length covers only
// those ("10.1/16"), or an IPv6 address, with an optional "/bits". cidr
// also takes abbreviated IPv4 networks ("10", "172.16", "10.1.2/24",
// with the classful default mask length when none is given) and rejects
// bits set past the mask.
func ParseInet(s string, cidr bool) (Inet, error) {
	typ := "inet"
	if cidr {
		typ = "cidr"
	}
	bad := func() (Inet, error) {
		return Inet{}, invalidText("invalid input syntax for type " + typ + ": \"" + s + "\"")
	}
	addr, bits := s, -1
	if i := strings.IndexByte(s, '/'); i >= 0 {
		addr = s[:i]
		n := s[i+1:]
		if n == "" || len(n) > 3 {
			return bad()
		}
		for _, c := range []byte(n) {
			if c < '0' || c > '9' {
				return bad()
			}
		}
		bits, _ = strconv.Atoi(n)
	}
	var a Inet
	if strings.IndexByte(addr, ':') >= 0 {
		ip, err := netip.ParseAddr(addr)
		if err != nil || ip.Zone() != "" || !ip.Is6() {
			return bad()
		}
		if bits < 0 {
			bits = 128
		}
		if bits > 128 {
			return bad()
		}
		a = Inet{Addr: ip, Bits: bits}
	} else {
		var oct []byte
		for _, part := range strings.Split(addr, ".") {
			if part == "" || len(part) > 3 {
				return bad()
			}
			n := 0
			for _, c := range []byte(part) {
				if c < '0' || c > '9' {
					return bad()
				}
				n = n*10 + int(c-'0')
			}
			if n > 255 {
				return bad()
			}
			oct = append(oct, byte(n))
		}
		if len(oct) == 0 || len(oct) > 4 || bits > 32 {
			return bad()
		}
		if bits < 0 {
			if !cidr {
				if len(oct) != 4 {
					return bad()
				}
				bits = 32
			} else {
				bits = classfulBits(oct)
			}
		}
		if !cidr && bits/8 > len(oct) {
			return bad()
		}
		var b [4]byte
		copy(b[:], oct)
		a = Inet{Addr: netip.AddrFrom4(b), Bits: bits}
	}
	if cidr {
		a.CIDR = true
		if a.Masked().Addr != a.Addr {
			return Inet{}, invalidText("invalid cidr value: \"" + s + "\"")
		}
	}
	return a, nil
}

// classfulBits is the mask length an abbreviated cidr IPv4 network gets
// without an explicit one: the class of the first octet, widened to cover
// every octet given.
func classfulBits(oct []byte) int {
	var bits int
	switch first := oct[0]; {
	case first >= 240:
		bits = 32
	case first >= 224:
		bits = 8
	case first >= 192:
		bits = 24
	case first >= 128:
		bits = 16
	default:
		bits = 8
	}
	if bits < len(oct)*8 {
		bits = len(oct) * 8
	}
	if bits == 8 && oct[0] == 224 {
		bits = 4
	}
	return bits
}

// Masked returns a with the bits past its mask length cleared.
func (a Inet) Masked() Inet {
	p, err := a.Addr.Prefix(a.Bits)
	if err != nil {
		return a
	}
	a.Addr = p.Addr()
	return a
}

// Compare orders inet and cidr values as PostgreSQL's network_cmp: IPv4
// before IPv6, then the network part over the shorter of the two masks,
// then the mask length, then the whole address.
func (a Inet) Compare(b Inet) int {
	if fa, fb := a.Family(), b.Family(); fa != fb {
		return fa - fb
	}
	x, y := a.Addr.AsSlice(), b.Addr.AsSlice()
	if c := compareBits(x, y, min(a.Bits, b.Bits)); c != 0 {
		return c
	}
	if a.Bits != b.Bits {
		return a.Bits - b.Bits
	}
	return compareBits(x, y, len(x)*8)
}

// compareBits compares the first n bits of x and y.
func compareBits(x, y []byte, n int) int {
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

// ContainsOrEquals reports whether network a contains b or equals it
// (PostgreSQL's >>=): same family, a's mask no longer than b's, and b's
// address inside a's network.
func (a Inet) ContainsOrEquals(b Inet) bool {
	return a.Family() == b.Family() && a.Bits <= b.Bits &&
		compareBits(a.Addr.AsSlice(), b.Addr.AsSlice(), a.Bits) == 0
}

// Contains reports whether network a strictly contains b (>>).
func (a Inet) Contains(b Inet) bool {
	return a.Bits < b.Bits && a.ContainsOrEquals(b)
}

// Overlaps reports whether either network contains or equals the other
// (&&).
func (a Inet) Overlaps(b Inet) bool {
	return a.Family() == b.Family() &&
		compareBits(a.Addr.AsSlice(), b.Addr.AsSlice(), min(a.Bits, b.Bits)) == 0
}

// PostgreSQL's address family codes in the binary form of inet and cidr.
const (
	familyInet  = 2 // PGSQL_AF_INET
	familyInet6 = 3 // PGSQL_AF_INET6
)

// AppendBinary appends the binary wire form of a (inet_send): family,
// mask length, is_cidr, address length, address bytes.
func (a Inet) AppendBinary(buf []byte) []byte {
	fam := byte(familyInet)
	if !a.Addr.Is4() {
		fam = familyInet6
	}
	addr := a.Addr.AsSlice()
	cidr := byte(0)
	if a.CIDR {
		cidr = 1
	}
	buf = append(buf, fam, byte(a.Bits), cidr, byte(len(addr)))
	return append(buf, addr...)
}

// ReadBinary reads the binary wire form of an inet (cidr false) or cidr
// value (inet_recv): a cidr must have no bits set past its mask.
func ReadBinary(data []byte, cidr bool) (Inet, error) {
	bad := func() (Inet, error) {
		return Inet{}, invalidText("invalid external \"inet\" value")
	}
	if len(data) < 4 {
		return bad()
	}
	fam, bits, nb := data[0], int(data[1]), int(data[3])
	var a Inet
	switch {
	case fam == familyInet && nb == 4 && len(data) == 8 && bits <= 32:
		a = Inet{Addr: netip.AddrFrom4([4]byte(data[4:8])), Bits: bits}
	case fam == familyInet6 && nb == 16 && len(data) == 20 && bits <= 128:
		a = Inet{Addr: netip.AddrFrom16([16]byte(data[4:20])), Bits: bits}
	default:
		return bad()
	}
	if cidr {
		a.CIDR = true
		if a.Masked().Addr != a.Addr {
			return Inet{}, invalidText("invalid external \"cidr\" value")
		}
	}
	return a, nil
}
