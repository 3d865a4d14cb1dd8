package pgtypes

import (
	"fmt"
	"strconv"
	"strings"
)

// memUnits are PostgreSQL's memory units (powers of 1024, as in
// postgresql.conf), largest first.
var memUnits = []struct {
	name string
	size int64
}{{"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"kB", 1 << 10}, {"B", 1}}

// ParseMemory parses a memory size the way PostgreSQL parses memory
// settings ("2GB", "512MB", "64kB", "100B"; units are case-insensitive
// here and may be separated by spaces; "GiB" and "G" style names are
// accepted too, all meaning powers of 1024). A number without a unit is in bareUnit bytes (PostgreSQL uses kB
// for work_mem); bareUnit 0 rejects it, except for 0.
func ParseMemory(s string, bareUnit int64) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '-' && i == 0) {
		i++
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid memory size %q", s)
	}
	unit := strings.TrimSpace(t[i:])
	mult := bareUnit
	if unit != "" {
		mult = 0
		u := strings.Replace(unit, "iB", "B", 1)
		if !strings.HasSuffix(strings.ToUpper(u), "B") {
			u += "B" // "2G", "64k"
		}
		for _, m := range memUnits {
			if strings.EqualFold(u, m.name) {
				mult = m.size
			}
		}
		if mult == 0 {
			return 0, fmt.Errorf("invalid memory unit %q in %q (valid units: B, kB, MB, GB, TB)", unit, s)
		}
	}
	if mult == 0 && n != 0 {
		return 0, fmt.Errorf("memory size %q needs a unit (B, kB, MB, GB, TB)", s)
	}
	if n > 0 && n > (1<<62)/mult {
		return 0, fmt.Errorf("memory size %q is too large", s)
	}
	return n * mult, nil
}

// FormatMemory formats n bytes with the largest unit that divides it, as
// PostgreSQL's SHOW does.
func FormatMemory(n int64) string {
	if n == 0 {
		return "0"
	}
	for _, m := range memUnits {
		if n%m.size == 0 {
			return strconv.FormatInt(n/m.size, 10) + m.name
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}
