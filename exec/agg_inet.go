package exec

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/internal/pgnet"
)

// min and max of stored inet/cidr values (design 092). The argument is a
// text column of canonical inet or cidr output (design 069); values are
// compared by pgnet.AppendSortKey, PostgreSQL's network_cmp order, and the
// result is the winning value's stored text, which is how PostgreSQL
// prints it. The partial state is that text (utf8; NULL when every value
// was NULL), so a final aggregation folds states exactly as it folds rows.
// They are functions of their own, not min/max with a flag, so that a
// worker that predates them refuses them instead of comparing text.
const (
	AggMinInet AggFunc = "min_inet"
	AggMaxInet AggFunc = "max_inet"
)

// inetMinMax keeps, per group, the least or greatest value and its key.
type inetMinMax struct {
	max  bool
	set  []bool
	strs []string // the value's stored text
	keys []string // its sort key

	buf   []byte
	dkeys []string // per dictionary value of the batch: its key, "" unread
	dict  arrow.Array
}

func newInetMinMax(f AggFunc, dt arrow.DataType) (aggState, error) {
	if !isStringType(dt) {
		return nil, unsupported("%s of %s", f, dt)
	}
	return &inetMinMax{max: f == AggMaxInet}, nil
}

func (s *inetMinMax) typ() arrow.DataType { return arrow.BinaryTypes.String }
func (s *inetMinMax) grow(n int) {
	s.set, s.strs, s.keys = growTo(s.set, n), growTo(s.strs, n), growTo(s.keys, n)
}

// better reports whether key c replaces key v.
func (s *inetMinMax) better(c, v string) bool {
	if s.max {
		return c > v
	}
	return c < v
}

func (s *inetMinMax) update(gids []uint32, a arrow.Array, n int) error {
	sc, ok := asStrCol(a)
	if !ok {
		return unsupported("inet min/max of %s", a.DataType())
	}
	if sc.isDict() {
		return s.updateDict(gids, a, sc, n)
	}
	hasNulls := a.NullN() > 0
	for i := 0; i < n; i++ {
		if hasNulls && a.IsNull(i) {
			continue
		}
		v := sc.value(i)
		var err error
		if s.buf, err = pgnet.SortKeyText(s.buf[:0], v); err != nil {
			return inetValueError(v, err)
		}
		g := gids[i]
		if s.set[g] && !s.better(string(s.buf), s.keys[g]) {
			continue
		}
		s.set[g], s.strs[g], s.keys[g] = true, strings.Clone(v), string(s.buf)
	}
	return nil
}

// updateDict reads each dictionary value's key once (for the values the
// rows use).
func (s *inetMinMax) updateDict(gids []uint32, a arrow.Array, sc strCol, n int) error {
	if d := sc.dict.Dictionary(); d != s.dict {
		s.dict = d
		s.dkeys = growTo(s.dkeys[:0], d.Len())
	}
	hasNulls := a.NullN() > 0
	for i := 0; i < n; i++ {
		if hasNulls && a.IsNull(i) {
			continue
		}
		c := sc.code(i)
		if s.dkeys[c] == "" {
			v := sc.vals.Value(c)
			b, err := pgnet.SortKeyText(s.buf[:0], v)
			if err != nil {
				return inetValueError(v, err)
			}
			s.buf, s.dkeys[c] = b, string(b)
		}
		g, k := gids[i], s.dkeys[c]
		if s.set[g] && !s.better(k, s.keys[g]) {
			continue
		}
		s.set[g], s.strs[g], s.keys[g] = true, strings.Clone(sc.vals.Value(c)), k
	}
	return nil
}

func inetValueError(v string, err error) error {
	return fmt.Errorf("exec: min/max of a stored inet value %q: %w", v, err)
}

func (s *inetMinMax) merge(o aggState, m []uint32) error {
	os := o.(*inetMinMax)
	for g := range os.set {
		if !os.set[g] {
			continue
		}
		t := m[g]
		if !s.set[t] || s.better(os.keys[g], s.keys[t]) {
			s.set[t], s.strs[t], s.keys[t] = true, os.strs[g], os.keys[g]
		}
	}
	return nil
}

func (s *inetMinMax) result(mem memory.Allocator, groups int) (arrow.Array, error) {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(groups)
	for g := 0; g < groups; g++ {
		if !s.set[g] {
			b.AppendNull()
			continue
		}
		b.Append(s.strs[g])
	}
	return b.NewArray(), nil
}

func (s *inetMinMax) partialType() arrow.DataType { return arrow.BinaryTypes.String }
func (s *inetMinMax) partial(mem memory.Allocator, groups int) (arrow.Array, error) {
	return s.result(mem, groups)
}
func (s *inetMinMax) absorb(gids []uint32, a arrow.Array, n int) error {
	if a.DataType().ID() != arrow.STRING {
		return fmt.Errorf("exec: inet min/max state of type %s, want utf8", a.DataType())
	}
	return s.update(gids, a, n)
}
