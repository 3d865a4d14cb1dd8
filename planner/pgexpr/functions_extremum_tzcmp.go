package pgexpr

import (
	"strings"

	"openwit/planner/pgtypes"
)

// charExtremum is GREATEST/LEAST over character values (CharCommonType
// decides the result type), as PostgreSQL compares them after converting
// every argument to that type: a bpchar result compares with bpchar's
// semantics (trailing blanks do not count; of equal values the first
// wins) and returns the winner as it is; a text or varchar result
// converts bpchar arguments to it first, which drops their trailing
// blanks. ok is false when the arguments are not character values.
func charExtremum(f *Func, vals []any) (best any, ok bool) {
	rt, ok := CharCommonType(f.Args)
	if !ok {
		return nil, false
	}
	_, bpResult := pgtypes.BPChar(rt)
	dir := 1
	if f.Name == "least" {
		dir = -1
	}
	bestKey := ""
	for i, v := range vals {
		if v == nil {
			continue
		}
		s, isStr := v.(string)
		if !isStr {
			return nil, false
		}
		key := s
		if _, bp := pgtypes.BPChar(f.Args[i].Type()); bp && !bpResult {
			s, key = strings.TrimRight(s, " "), strings.TrimRight(s, " ")
		} else if bpResult {
			key = strings.TrimRight(s, " ")
		}
		if best == nil || strings.Compare(key, bestKey)*dir > 0 {
			best, bestKey = s, key
		}
	}
	return best, true
}
