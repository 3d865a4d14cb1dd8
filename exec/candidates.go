package exec

import (
	"context"
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Candidate rows. For a multi-word search ('%waiting for lock on
// orders%') the token postings of a file's index artifact give, per row
// group, a superset of the rows that match (CandidateRows) but not the
// matches themselves. When that superset is small, the coordinator hands
// it to the scan with the file (FileSource.Candidates): the scan reads
// and tests only those rows of the row group; the filter above still
// evaluates the whole predicate on them, so a candidate that does not
// match is dropped there and the result does not depend on the
// candidates being tight, only on them holding every match.

// RowCandidates are the rows of one row group that may pass a fragment's
// filter.
type RowCandidates struct {
	RowGroup int `json:"row_group"`
	// Rows is a Roaring bitmap of row positions within the row group, in
	// Roaring's portable serialization.
	Rows []byte `json:"rows"`
}

// NewRowCandidates returns the candidates of row group g.
func NewRowCandidates(g int, rows *roaring.Bitmap) (RowCandidates, error) {
	b, err := rows.ToBytes()
	if err != nil {
		return RowCandidates{}, fmt.Errorf("encode candidate rows: %w", err)
	}
	return RowCandidates{RowGroup: g, Rows: b}, nil
}

// bitmap decodes the candidate rows of a row group of n rows.
func (c RowCandidates) bitmap(n int64) (b *roaring.Bitmap, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("exec: candidate rows of row group %d: %v", c.RowGroup, r)
		}
	}()
	b = roaring.New()
	if err := b.UnmarshalBinary(c.Rows); err != nil {
		return nil, fmt.Errorf("exec: candidate rows of row group %d: %w", c.RowGroup, err)
	}
	if !b.IsEmpty() && int64(b.Maximum()) >= n {
		return nil, fmt.Errorf("exec: candidate row %d of row group %d past its %d rows", b.Maximum(), c.RowGroup, n)
	}
	return b, nil
}

// candidates decodes the source's candidate rows by row group (nil when
// it has none).
func (s *Scan) candidates() (map[int]*roaring.Bitmap, error) {
	if len(s.src.File.Candidates) == 0 {
		return nil, nil
	}
	n := s.rd.NumRowGroups()
	out := make(map[int]*roaring.Bitmap, len(s.src.File.Candidates))
	for _, c := range s.src.File.Candidates {
		if c.RowGroup < 0 || c.RowGroup >= n {
			return nil, fmt.Errorf("read %s: candidate rows of row group %d of %d", s.src.File.Path, c.RowGroup, n)
		}
		b, err := c.bitmap(s.rd.RowGroupRows(c.RowGroup))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", s.src.File.Path, err)
		}
		out[c.RowGroup] = b
	}
	return out, nil
}

// textRowsBatches is textBatches for the candidate rows of row group g
// only: the other rows are skipped undecoded (and, with a page index,
// their pages unread).
func (s *Scan) textRowsBatches(ctx context.Context, g int, rows *roaring.Bitmap) ([]arrow.RecordBatch, error) {
	var out []arrow.RecordBatch
	bld := array.NewStringBuilder(s.p.mem())
	defer bld.Release()
	limit := int(s.p.batchRows())
	flush := func() {
		if bld.Len() == 0 {
			return
		}
		a := bld.NewArray()
		out = append(out, array.NewRecordBatch(s.schema, []arrow.Array{a}, int64(a.Len())))
		a.Release()
	}
	err := s.rd.ScanBytesRows(ctx, g, s.cols[s.text.col], rows.ToArray(), func(_ uint32, v []byte, null bool) error {
		s.Rows++
		if !null && s.text.match(v) {
			bld.BinaryBuilder.Append(v)
			if bld.Len() >= limit {
				flush()
			}
		}
		return nil
	})
	if err != nil {
		for _, r := range out {
			r.Release()
		}
		return nil, fmt.Errorf("read %s: %w", s.src.File.Path, err)
	}
	flush()
	return out, nil
}

// candidateParts returns parts with the row groups of whole parts that
// have few candidate rows (at most selMaxRows) and a page index turned into
// row-selection parts of those rows: the scan reads the projected columns
// of the candidates only, through the page index (pqfile.Reader.ReadRows),
// so that the pages without a candidate are neither read nor decompressed.
// A row group whose candidate set is empty holds no match and is dropped.
// The other row groups stay whole parts, and their candidates are applied
// to the batches read (rowSelection).
func (s *Scan) candidateParts(parts []scanPart) []scanPart {
	out := make([]scanPart, 0, len(parts))
	addWhole := func(g int) {
		if k := len(out) - 1; k >= 0 && out[k].whole && out[k].groups != nil {
			out[k].groups = append(out[k].groups, g)
			return
		}
		out = append(out, scanPart{groups: []int{g}, whole: true})
	}
	for _, p := range parts {
		if !p.whole {
			out = append(out, p)
			continue
		}
		groups := p.groups
		if groups == nil {
			groups = make([]int, s.rd.NumRowGroups())
			for g := range groups {
				groups[g] = g
			}
		}
		for _, g := range groups {
			b := s.cand[g]
			if b == nil || b.GetCardinality() > uint64(s.selMaxRows(s.rd.RowGroupRows(g))) || !s.rd.HasPageIndex(g, s.cols) {
				addWhole(g)
				continue
			}
			if b.IsEmpty() {
				continue
			}
			rows := make([]int64, 0, b.GetCardinality())
			for it := b.Iterator(); it.HasNext(); {
				rows = append(rows, int64(it.Next()))
			}
			s.RowGroupsSelected++
			out = append(out, scanPart{group: g, rows: rows})
		}
	}
	return out
}

// rowSelection keeps the candidate rows of the batches a record reader
// returns over row groups, in the order it reads them.
type rowSelection struct {
	groups []int             // row groups in read order
	rows   []int64           // rows of each
	sel    []*roaring.Bitmap // candidates of each; nil: every row
	gi     int               // row group of the next row
	pos    int64             // its position in the row group
	mask   []bool
}

// newRowSelection returns the selection of a read of groups (nil: every
// row group of the file), or nil when no row group has candidates.
func (s *Scan) newRowSelection(groups []int, cand map[int]*roaring.Bitmap) *rowSelection {
	if len(cand) == 0 {
		return nil
	}
	if groups == nil {
		groups = make([]int, s.rd.NumRowGroups())
		for g := range groups {
			groups[g] = g
		}
	}
	r := &rowSelection{groups: groups}
	any := false
	for _, g := range groups {
		r.rows = append(r.rows, s.rd.RowGroupRows(g))
		r.sel = append(r.sel, cand[g])
		any = any || cand[g] != nil
	}
	if !any {
		return nil
	}
	return r
}

// apply returns the candidate rows of rec, the next rows of the read
// (rec itself, retained, when all are candidates).
func (r *rowSelection) apply(mem memory.Allocator, rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	n := int(rec.NumRows())
	if cap(r.mask) < n {
		r.mask = make([]bool, n)
	}
	mask := r.mask[:n]
	for i := 0; i < n; {
		for r.gi < len(r.groups) && r.pos >= r.rows[r.gi] {
			r.gi, r.pos = r.gi+1, 0
		}
		if r.gi >= len(r.groups) {
			return nil, fmt.Errorf("exec: the scan read more rows than its row groups hold")
		}
		k := int(min(int64(n-i), r.rows[r.gi]-r.pos))
		if b := r.sel[r.gi]; b == nil {
			for j := range k {
				mask[i+j] = true
			}
		} else {
			for j := range k {
				mask[i+j] = b.Contains(uint32(r.pos) + uint32(j))
			}
		}
		i += k
		r.pos += int64(k)
	}
	return selectRows(mem, rec, mask)
}
