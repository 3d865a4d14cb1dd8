package pgnet

// SortKeyLen4 and SortKeyLen6 are the lengths of AppendSortKey's output for
// an IPv4 and an IPv6 value.
const (
	SortKeyLen4 = 1 + 4 + 1 + 4
	SortKeyLen6 = 1 + 16 + 1 + 16
)

// AppendSortKey appends k's sortable key to dst: byte strings whose plain
// bytewise order (bytes.Compare) is Key.Compare's, PostgreSQL's network_cmp
// (docs/design/092). The key is
//
//	family (4 or 6, one byte)
//	the address with the bits past the mask cleared (4 or 16 bytes)
//	the mask length (one byte)
//	the whole address (4 or 16 bytes)
//
// Why the masked address stands for network_cmp's "network over the
// shorter of the two masks": let a's mask be the shorter. Where the first
// bits of the two networks under a's mask differ, the masked addresses
// differ first there too. Where they agree, a's masked address has only
// zeros past a's mask, so b's is at least as large: larger exactly when b
// has a one between the two masks, and a sorts first in both orders
// (network_cmp then orders by mask length, a's being shorter). When the
// masked addresses are equal the mask lengths decide next, and with equal
// mask lengths the whole addresses, as in network_cmp. IPv4 keys are
// shorter, but the family byte decides between families before the lengths
// matter. The cidr flag plays no part, as in PostgreSQL.
func AppendSortKey(dst []byte, k *Key) []byte {
	n := 4
	if k.Fam != 4 {
		n = 16
	}
	dst = append(dst, k.Fam)
	bits := int(k.Bits)
	for i := 0; i < n; i++ {
		b := k.Addr[i]
		switch {
		case bits >= 8:
		case bits <= 0:
			b = 0
		default:
			b &= byte(0xff << (8 - bits))
		}
		bits -= 8
		dst = append(dst, b)
	}
	dst = append(dst, k.Bits)
	return append(dst, k.Addr[:n]...)
}

// SortKeyText is AppendSortKey of the stored inet or cidr text s
// (ParseKey's input), appended to dst.
func SortKeyText(dst []byte, s string) ([]byte, error) {
	k, err := ParseKey(s)
	if err != nil {
		return dst, err
	}
	return AppendSortKey(dst, &k), nil
}
