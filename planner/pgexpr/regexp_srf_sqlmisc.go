package pgexpr

import (
	"openwit/planner/pgtypes"
)

// RegexpMatchRows returns the rows of the set-returning regexp_matches(s,
// pattern [, flags]), each a text[] in PostgreSQL's array text form: the
// parenthesized groups of one match (NULL for a group that took no part),
// or the whole match when the pattern has none. Without the "g" flag there
// is at most one row; with it, one per match, searched as regexp_replace's
// "g" searches (after an empty match, one character further).
func RegexpMatchRows(s, pattern, flags string) ([]string, error) {
	var f areFlags
	global, err := parseREFlags(&f, flags)
	if err != nil {
		return nil, err
	}
	re, err := compileARE(pattern, f)
	if err != nil {
		return nil, err
	}
	max := 1
	if global {
		max = -1
	}
	ms, err := re.findAll(s, 0, max)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		if len(m) == 2 {
			whole := s[m[0]:m[1]]
			out = append(out, pgtypes.FormatArrayText([]*string{&whole}))
			continue
		}
		elems := make([]*string, 0, len(m)/2-1)
		for i := 2; i < len(m); i += 2 {
			if m[i] < 0 {
				elems = append(elems, nil)
				continue
			}
			g := s[m[i]:m[i+1]]
			elems = append(elems, &g)
		}
		out = append(out, pgtypes.FormatArrayText(elems))
	}
	return out, nil
}
