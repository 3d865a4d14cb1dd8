package exec

import (
	"cmp"
	"container/heap"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// SortKey is one ORDER BY key: a column of the input.
type SortKey struct {
	Col  int  `json:"col"`
	Desc bool `json:"desc,omitempty"`
	// NullsFirst puts NULLs before every value in the output order
	// (PostgreSQL's default for DESC).
	NullsFirst bool `json:"nulls_first,omitempty"`
	// Order names an order other than the column type's: OrderInet sorts
	// a text column of stored inet/cidr values in network order
	// (topk_inet.go). A fragment that sets it is encoded as version 3.
	Order string `json:"order,omitempty"`
}

// TopKSpec keeps the first K rows in the order of Keys.
type TopKSpec struct {
	K    int64     `json:"k"`
	Keys []SortKey `json:"keys"`
	// Seed, when set, is a value of the first key that at least K rows of
	// the whole top-k's input (over every fragment of the query) rank at
	// least as well as: rows ranking strictly worse are dropped, and row
	// groups holding only such rows skipped. A coordinator computes it
	// from the files' zone maps (see topBound.seed). An int literal for
	// integer keys, a float literal for float keys; ignored otherwise.
	Seed *Lit `json:"seed,omitempty"`
}

// MaxTopK is the largest K the executor keeps in memory.
const MaxTopK = 100_000

// topEntry is a kept row: its batch (retained), its index and its keys.
type topEntry struct {
	rec  arrow.RecordBatch
	row  int
	keys []any // int64, float64, string or bool; nil for NULL
	seq  int64 // arrival order, the last tie-breaker
}

// topK is a bounded max-heap of rows: the worst kept row is at the root.
type topK struct {
	bound   *topBound // shared with the other workers and the scans; may be nil
	spec    *TopKSpec
	entries []*topEntry
	seq     int64
	buf     []byte // an inet sort key being built (topk_inet.go)
}

func newTopK(spec *TopKSpec, schema *arrow.Schema) (*topK, error) {
	if spec.K < 0 || spec.K > MaxTopK {
		return nil, unsupported("top-k with k=%d", spec.K)
	}
	for _, k := range spec.Keys {
		if k.Col < 0 || k.Col >= schema.NumFields() {
			return nil, fmt.Errorf("exec: sort column %d out of range", k.Col)
		}
		if k.Order != "" {
			if err := checkSortOrder(k, schema.Field(k.Col).Type); err != nil {
				return nil, err
			}
			continue
		}
		if _, ok := classOf(schema.Field(k.Col).Type); !ok {
			if id := schema.Field(k.Col).Type.ID(); id != arrow.DATE32 && id != arrow.TIME64 && id != arrow.DECIMAL128 {
				return nil, unsupported("ORDER BY on %s", schema.Field(k.Col).Type)
			}
		}
	}
	return &topK{spec: spec}, nil
}

func (t *topK) Len() int           { return len(t.entries) }
func (t *topK) Less(i, j int) bool { return t.order(t.entries[i], t.entries[j]) > 0 }
func (t *topK) Swap(i, j int)      { t.entries[i], t.entries[j] = t.entries[j], t.entries[i] }
func (t *topK) Push(x any)         { t.entries = append(t.entries, x.(*topEntry)) }
func (t *topK) Pop() any {
	e := t.entries[len(t.entries)-1]
	t.entries = t.entries[:len(t.entries)-1]
	return e
}

// order compares two entries in output order.
func (t *topK) order(a, b *topEntry) int {
	for i, k := range t.spec.Keys {
		if c := orderValues(a.keys[i], b.keys[i], k); c != 0 {
			return c
		}
	}
	return cmp.Compare(a.seq, b.seq)
}

func orderValues(a, b any, k SortKey) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		if k.NullsFirst {
			return -1
		}
		return 1
	case b == nil:
		if k.NullsFirst {
			return 1
		}
		return -1
	}
	c := compareValues(a, b)
	if k.Desc {
		c = -c
	}
	return c
}

// keyAt reads a sort key value of row i.
func keyAt(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch x := a.(type) {
	case *array.Int64:
		return x.Value(i)
	case *array.Int32:
		return int64(x.Value(i))
	case *array.Int16:
		return int64(x.Value(i))
	case *array.Int8:
		return int64(x.Value(i))
	case *array.Timestamp:
		return int64(x.Value(i))
	case *array.Date32:
		return int64(x.Value(i))
	case *array.Time64:
		return int64(x.Value(i))
	case *array.Float64:
		return x.Value(i)
	case *array.Float32:
		return float64(x.Value(i))
	case *array.String:
		return x.Value(i) // cloned when kept
	case *array.Boolean:
		return x.Value(i)
	case *array.Decimal128:
		return x.Value(i) // a column's values share its scale
	}
	return nil
}

// cmpRowKey is orderValues(row i of a, v) without boxing the row's value.
func cmpRowKey(a arrow.Array, i int, v any, k SortKey) int {
	if a.IsNull(i) || v == nil {
		return orderValues(keyAt(a, i), v, k)
	}
	c := 0
	switch x := a.(type) {
	case *array.Float64:
		c = CompareFloat(x.Value(i), v.(float64))
	case *array.Int64:
		c = cmp.Compare(x.Value(i), v.(int64))
	case *array.Int32:
		c = cmp.Compare(int64(x.Value(i)), v.(int64))
	case *array.Timestamp:
		c = cmp.Compare(int64(x.Value(i)), v.(int64))
	case *array.String:
		c = cmp.Compare(x.Value(i), v.(string))
	default:
		return orderValues(keyAt(a, i), v, k)
	}
	if k.Desc {
		c = -c
	}
	return c
}

// consume offers every row of rec.
func (t *topK) consume(rec arrow.RecordBatch) error {
	if t.spec.K == 0 {
		return nil
	}
	n := int(rec.NumRows())
	if len(t.spec.Keys) == 0 && int64(len(t.entries)) >= t.spec.K {
		return nil // no keys: the first K rows in arrival order are kept
	}
	cols := make([]arrow.Array, len(t.spec.Keys))
	for i, k := range t.spec.Keys {
		cols[i] = rec.Column(k.Col)
	}
	// Rows ranking strictly worse than the shared bound cannot make the
	// top k, whether or not this heap is full yet.
	bv, bset := t.bound.value()
	inet, err := t.inetKeys(cols)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if len(cols) == 0 && int64(len(t.entries)) >= t.spec.K {
			return nil
		}
		if bset && cmpRowKey(cols[0], i, bv, t.spec.Keys[0]) > 0 {
			continue
		}
		if len(cols) > 0 && int64(len(t.entries)) >= t.spec.K {
			first := t.spec.Keys[0]
			// Cheap rejection on the first key before building an entry.
			root := t.entries[0]
			if inet != nil && inet[0].ok {
				c, err := t.cmpInetRow(inet[0], i, root.keys[0], first)
				if err != nil {
					return err
				}
				if c > 0 {
					continue
				}
			} else if c := cmpRowKey(cols[0], i, root.keys[0], first); c > 0 {
				continue
			}
		}
		e := &topEntry{rec: rec, row: i, keys: make([]any, len(cols)), seq: t.seq}
		t.seq++
		for j, c := range cols {
			if inet != nil && inet[j].ok {
				k, err := t.inetKeyAt(inet[j], i)
				if err != nil {
					return err
				}
				e.keys[j] = k
				continue
			}
			k := keyAt(c, i)
			if s, ok := k.(string); ok {
				k = strings.Clone(s)
			}
			e.keys[j] = k
		}
		if int64(len(t.entries)) < t.spec.K {
			rec.Retain()
			heap.Push(t, e)
			continue
		}
		if t.order(e, t.entries[0]) < 0 {
			rec.Retain()
			old := t.entries[0]
			t.entries[0] = e
			heap.Fix(t, 0)
			old.rec.Release()
		}
	}
	return nil
}

// publish offers the heap's worst kept first key to the shared bound once
// the heap is full.
func (t *topK) publish() {
	if t != nil && t.bound != nil && len(t.entries) > 0 && int64(len(t.entries)) >= t.spec.K {
		t.bound.offer(t.entries[0].keys[0])
	}
}

// merge moves o's rows into t.
func (t *topK) merge(o *topK) {
	for _, e := range o.entries {
		e.seq += t.seq
		if int64(len(t.entries)) < t.spec.K {
			heap.Push(t, e)
			continue
		}
		if t.order(e, t.entries[0]) < 0 {
			old := t.entries[0]
			t.entries[0] = e
			heap.Fix(t, 0)
			old.rec.Release()
		} else {
			e.rec.Release()
		}
	}
	t.seq += o.seq
	o.entries = nil
}

// result returns the kept rows in order and releases them.
func (t *topK) result(mem memory.Allocator, schema *arrow.Schema) (arrow.RecordBatch, error) {
	es := t.entries
	t.entries = nil
	defer func() {
		for _, e := range es {
			e.rec.Release()
		}
	}()
	sort.Slice(es, func(i, j int) bool { return t.order(es[i], es[j]) < 0 })
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for _, e := range es {
		for c := 0; c < schema.NumFields(); c++ {
			if err := appendFrom(b.Field(c), e.rec.Column(c), e.row); err != nil {
				return nil, err
			}
		}
	}
	return b.NewRecordBatch(), nil
}

func (t *topK) release() {
	for _, e := range t.entries {
		e.rec.Release()
	}
	t.entries = nil
}

// topBound shares, between the workers of one top-k, the first sort key of
// the worst row kept by any full heap. A row group whose statistics show no
// first-key value ranking at least as well cannot contribute a row, so its
// scan skips it after reading only the footer. It is used for integer,
// timestamp and float keys. Parquet statistics leave NaN out, and NaN ranks
// first in descending order: a float row group is skipped in descending
// order only when its file records that the column holds no NaN
// (pqfile.Reader.NaNFree).
//
// The bound is also seeded before any row is read (seed): each row group
// whose statistics have a best value holds a row with exactly that value,
// so the k-th best of the row groups' best values is ranked at least as
// well by k distinct rows, and a row ranked strictly worse cannot be in the
// top k. The same holds for any subset of the row groups, which is why each
// fragment of a distributed top-k may seed from its own files.
type topBound struct {
	key   SortKey
	k     int64  // the top-k's K
	col   string // the scanned column of the key
	float bool   // a float key: NaN is not in the statistics
	// exact: the statistics hold values of rows (not rounded), so they may
	// seed the bound. Timestamps in other units than µs are rounded.
	exact bool

	mu  sync.Mutex
	set bool
	v   any // int64 or float64
}

// newTopBound returns the bound for spec over schema, or nil when the
// first key's statistics cannot be trusted for it.
func newTopBound(spec *TopKSpec, schema *arrow.Schema) *topBound {
	if spec == nil || len(spec.Keys) == 0 || spec.K == 0 {
		return nil
	}
	k := spec.Keys[0]
	f := schema.Field(k.Col)
	b := &topBound{key: k, k: spec.K, col: f.Name, exact: true}
	switch f.Type.ID() {
	case arrow.INT16, arrow.INT32, arrow.INT64:
	case arrow.TIMESTAMP:
		b.exact = false
	case arrow.FLOAT32, arrow.FLOAT64:
		b.float = true
	default:
		return nil
	}
	return b
}

// offer tightens the bound with v, the first key of a full heap's root.
func (b *topBound) offer(v any) {
	if v == nil {
		return // NULL ranks last here (or first, and then nothing is skipped)
	}
	if f, ok := v.(float64); ok && f != f {
		return // NaN: statistics cannot rule anything out against it
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.set || orderValues(v, b.v, b.key) < 0 {
		b.v, b.set = v, true
	}
}

// value returns the bound, ok false while there is none.
func (b *topBound) value() (v any, ok bool) {
	if b == nil {
		return nil, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.v, b.set
}

// best is the first key value that ranks first among a row group's
// statistics (nil when they give none).
func (b *topBound) best(min, max any, ok bool) any {
	if !ok {
		return nil
	}
	if b.key.Desc {
		return max
	}
	return min
}

// seedLit offers a coordinator's seed (TopKSpec.Seed).
func (b *topBound) seedLit(l *Lit) {
	if l == nil || !b.exact {
		return
	}
	switch {
	case l.Kind == LitInt && !b.float:
		b.offer(l.I)
	case l.Kind == LitFloat && b.float:
		b.offer(l.F)
	}
}

// rank orders two best values of sources or row groups for visiting:
// unknown (nil) first, as they cannot be skipped and may tighten the
// bound, then best first.
func (b *topBound) rank(x, y any) int {
	switch {
	case x == nil && y == nil:
		return 0
	case x == nil:
		return -1
	case y == nil:
		return 1
	}
	return orderValues(x, y, b.key)
}

// seed offers the k-th best of bests, the best first-key values of
// distinct row groups (nil entries left out); see the type's comment.
func (b *topBound) seed(k int64, bests []any) {
	if !b.exact {
		return
	}
	vals := make([]any, 0, len(bests))
	for _, v := range bests {
		if v != nil {
			vals = append(vals, v)
		}
	}
	if int64(len(vals)) < k || k <= 0 {
		return
	}
	sort.Slice(vals, func(i, j int) bool { return orderValues(vals[i], vals[j], b.key) < 0 })
	b.offer(vals[k-1])
}

// skip reports whether a row group with these first-key statistics cannot
// hold a row that ranks before the bound. nulls < 0 means unknown; nanFree
// says the row group's key holds no NaN.
func (b *topBound) skip(min, max any, nulls int64, ok, nanFree bool) bool {
	if !ok || min == nil || max == nil {
		return false
	}
	if nulls != 0 && (b.key.NullsFirst || nulls < 0) {
		return false // a NULL would rank first
	}
	if b.float && b.key.Desc && !nanFree {
		return false // a NaN would rank first
	}
	best := min
	if b.key.Desc {
		best = max
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	// Equal first keys may still win on later keys: skip only when the
	// group's best is strictly worse.
	return b.set && orderValues(best, b.v, b.key) > 0
}
