package storage

import "openwit/internal/pgnet"

// Canonical names of the uuid and network address column types. All three
// are stored as their PostgreSQL text output (Arrow utf8): a uuid as 36
// lower-case characters, whose byte order is uuid's order; inet and cidr
// as inet_out/cidr_out print them (docs/design/069-uuid-inet.md).
const (
	TypeUUID = "uuid"
	TypeInet = "inet"
	TypeCIDR = "cidr"
)

// ErrInvalidText is wrapped by FitValue when a value is not valid input
// for its column's type (SQLSTATE 22P02 at the gateways).
var ErrInvalidText = pgnet.ErrInvalidText

// Inet is an inet or cidr value (pgnet.Inet).
type Inet = pgnet.Inet

// ParseInet reads inet (cidr false) or cidr input (pgnet.ParseInet).
func ParseInet(s string, cidr bool) (Inet, error) { return pgnet.ParseInet(s, cidr) }

// ParseUUID reads uuid input (pgnet.ParseUUID).
func ParseUUID(s string) ([16]byte, bool) { return pgnet.ParseUUID(s) }

// FormatUUID prints the canonical form of u (pgnet.FormatUUID).
func FormatUUID(u [16]byte) string { return pgnet.FormatUUID(u) }

// IsNormalized reports whether values of canonical type t are stored in a
// canonical text form that FitValue produces (uuid, inet, cidr).
func IsNormalized(t string) bool {
	return t == TypeUUID || t == TypeInet || t == TypeCIDR
}

// FitValue returns the stored text of s for a column of type t: the
// canonical form of a uuid, inet or cidr value (an error wrapping
// ErrInvalidText when s is not valid input), s itself for other types.
func FitValue(t, s string) (string, error) {
	switch t {
	case TypeUUID:
		u, ok := ParseUUID(s)
		if !ok {
			return "", pgnet.UUIDError(s)
		}
		return FormatUUID(u), nil
	case TypeInet, TypeCIDR:
		a, err := ParseInet(s, t == TypeCIDR)
		if err != nil {
			return "", err
		}
		return a.String(), nil
	}
	return s, nil
}
