package exec

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"openwit/internal/pgnet"
)

// OrderInet is SortKey.Order for a text column holding stored inet or cidr
// values (their canonical output, design 069): the top-k orders them by
// pgnet.AppendSortKey, whose bytewise order is PostgreSQL's network_cmp
// (design 092). Rows keep their text; only the kept key is the sort key.
const OrderInet = "inet"

// checkSortOrder validates a sort key with an Order on a column of type dt.
func checkSortOrder(k SortKey, dt arrow.DataType) error {
	if k.Order != OrderInet {
		return unsupported("sort order %q", k.Order)
	}
	if !isStringType(dt) {
		return unsupported("inet order of %s", dt)
	}
	return nil
}

// inetSortCol is a sort key column read in inet order.
type inetSortCol struct {
	ok  bool
	col strCol
	a   arrow.Array
}

// inetKeys returns, per key, the columns to read in inet order (nil when
// no key has that order).
func (t *topK) inetKeys(cols []arrow.Array) ([]inetSortCol, error) {
	var out []inetSortCol
	for j, k := range t.spec.Keys {
		if k.Order != OrderInet {
			continue
		}
		if out == nil {
			out = make([]inetSortCol, len(cols))
		}
		sc, ok := asStrCol(cols[j])
		if !ok {
			return nil, unsupported("inet order of %s", cols[j].DataType())
		}
		out[j] = inetSortCol{ok: true, col: sc, a: cols[j]}
	}
	return out, nil
}

// inetKeyAt returns row i's sort key as a string (nil for NULL).
func (t *topK) inetKeyAt(c inetSortCol, i int) (any, error) {
	if c.a.IsNull(i) {
		return nil, nil
	}
	if err := t.inetKey(c, i); err != nil {
		return nil, err
	}
	return string(t.buf), nil
}

// inetKey builds row i's sort key in t.buf.
func (t *topK) inetKey(c inetSortCol, i int) error {
	s := c.col.value(i)
	var err error
	if t.buf, err = pgnet.SortKeyText(t.buf[:0], s); err != nil {
		return fmt.Errorf("exec: ORDER BY a stored inet value %q: %w", s, err)
	}
	return nil
}

// cmpInetRow is cmpRowKey for a key in inet order: row i against v, a
// kept key, without allocating.
func (t *topK) cmpInetRow(c inetSortCol, i int, v any, k SortKey) (int, error) {
	if c.a.IsNull(i) || v == nil {
		var row any
		if !c.a.IsNull(i) {
			row = ""
		}
		return orderValues(row, v, k), nil
	}
	if err := t.inetKey(c, i); err != nil {
		return 0, err
	}
	s := v.(string)
	r := 0
	switch {
	case string(t.buf) < s:
		r = -1
	case string(t.buf) > s:
		r = 1
	}
	if k.Desc {
		r = -r
	}
	return r, nil
}
