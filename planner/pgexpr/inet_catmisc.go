package pgexpr

import (
	"strconv"

	"openwit/storage"
)

// abbrevCIDR6 is abbrev(cidr) of an IPv6 network, as PostgreSQL 15 prints
// it: only the 16-bit words the mask covers (at least two), the longest
// run of zero words among them as "::", and the last 32 bits as dotted
// octets when the shown words look like an IPv4-compatible or -mapped
// address. PostgreSQL's run search has a quirk kept here: a run that is
// not longer than the best so far is not reset, so a later run of zeros
// continues counting from it.
func abbrevCIDR6(a storage.Inet) string {
	bits := a.Bits
	if bits <= 0 {
		return "::/0"
	}
	s := a.Addr.As16()
	for i := range s {
		s[i] &= maskByte(bits, i)
	}
	words := (bits + 15) / 16
	if words == 1 {
		words = 2
	}
	zeroStart, zeroLen, runStart, runLen := 0, 0, 0, 0
	for w := range words {
		if s[2*w]|s[2*w+1] == 0 {
			if runLen == 0 {
				runStart = w
			}
			runLen++
			continue
		}
		if runLen > 0 && zeroLen < runLen {
			zeroStart, zeroLen, runLen = runStart, runLen, 0
		}
	}
	if runLen > 0 && zeroLen < runLen {
		zeroStart, zeroLen = runStart, runLen
	}
	v4 := zeroLen != words && zeroStart == 0 &&
		(zeroLen == 6 || zeroLen == 5 && s[10] == 0xff && s[11] == 0xff || zeroLen == 7 && s[14] != 0 && s[15] != 1)
	out := make([]byte, 0, 48)
	for w := range words {
		if zeroLen > 0 && w >= zeroStart && w < zeroStart+zeroLen {
			if w == zeroStart {
				out = append(out, ':')
			}
			if w == words-1 {
				out = append(out, ':')
			}
			continue
		}
		if v4 && w > 5 {
			if w == 6 {
				out = append(out, ':')
			} else {
				out = append(out, '.')
			}
			out = strconv.AppendUint(out, uint64(s[2*w]), 10)
			if w != 7 || bits > 120 {
				out = append(out, '.')
				out = strconv.AppendUint(out, uint64(s[2*w+1]), 10)
			}
			continue
		}
		if len(out) > 0 {
			out = append(out, ':')
		}
		out = strconv.AppendUint(out, uint64(s[2*w])<<8|uint64(s[2*w+1]), 16)
	}
	out = append(out, '/')
	return string(strconv.AppendInt(out, int64(bits), 10))
}
