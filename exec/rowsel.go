package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// Late materialization. A selective filter (a needle lookup: trace_id =
// '…' in the one row group the Bloom filters leave) keeps a handful of
// the row group's rows, yet a scan would decode every projected column of
// the whole row group, zstd text included. The scan first reads only the
// filter's columns (probe), evaluates the filter and collects the
// positions of the rows that pass; when they are few (selMaxRows), it
// reads the projected columns of those rows only, through the Parquet page
// index (pqfile.Reader.ReadRows decodes just the pages holding them). The
// filter above the scan still evaluates the whole predicate on the rows
// read, so the result does not depend on the probe beyond its keeping
// every row that passes.
//
// A row selection can come from elsewhere too: a top-k keeps the rows of
// a row group whose order key can reach it (topk_sel.go), and a set of
// candidate rows from token postings would fit the same scanPart.

// scanPart is a part of a file scan, in output order: whole row groups
// read by one record reader, or the selected rows of one row group.
type scanPart struct {
	groups []int // whole row groups; nil with rows set: see group
	whole  bool  // groups is the list (nil: every row group)
	group  int
	rows   []int64 // the rows of group to read, ascending
	top    bool    // a row group of a top-k, decided when reached (topPart)
}

// selDensity bounds a row selection: a row group is read through its
// page index when at most 1 row in selDensity is wanted (and at most
// batchRows rows); past that, the wanted rows touch most pages anyway.
const selDensity = 128

// selMaxRows is the largest row selection of a row group of n rows.
func (s *Scan) selMaxRows(n int64) int {
	return int(min(n/selDensity, s.p.batchRows()))
}

// wholeParts returns the parts of a scan reading groups whole.
func wholeParts(groups []int) []scanPart {
	return []scanPart{{groups: groups, whole: true}}
}

// probe reads only the filter's columns of each row group, drops the row
// groups where no row passes and returns the parts of the scan: a row
// group where few rows pass is read for those rows only (see late
// materialization above). A row group where many pass is read whole,
// and its probe stops as soon as that is known.
func (s *Scan) probe(ctx context.Context, groups []int, selective bool) ([]scanPart, error) {
	if s.pruneBy == nil {
		return wholeParts(groups), nil
	}
	used := map[int]bool{}
	s.pruneBy.Columns(used)
	if len(used) == 0 || len(s.cols)-len(used) < 2 {
		return wholeParts(groups), nil // little to save
	}
	if groups == nil {
		groups = make([]int, s.rd.NumRowGroups())
		for g := range groups {
			groups[g] = g
		}
	}
	// The probe schema keeps the projected positions: unused columns are
	// absent, so the predicate is compiled over a remapped expression.
	var names []string
	remap := map[int]int{}
	for i := range s.cols {
		if used[i] {
			remap[i] = len(names)
			names = append(names, s.cols[i])
		}
	}
	fields := make([]arrow.Field, len(names))
	for i, n := range names {
		fields[i] = s.schema.Field(s.schema.FieldIndices(n)[0])
	}
	pred, err := compilePredicate(s.pruneBy.Remap(remap), arrow.NewSchema(fields, nil))
	if err != nil {
		return wholeParts(groups), nil // the filter itself reports it
	}
	var (
		parts []scanPart
		kept  int
		mask  []bool
	)
	for _, g := range groups {
		limit := -1 // no selection: stop at the first match
		if selective && s.rd.HasPageIndex(g, s.cols) {
			limit = s.selMaxRows(s.rd.RowGroupRows(g))
		}
		rr, err := s.rd.Read(ctx, names, []int{g}, s.p.batchRows())
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", s.src.File.Path, err)
		}
		var (
			rows  []int64
			pos   int64
			match bool
			whole bool
		)
		for !whole && rr.Next() {
			rec := rr.RecordBatch()
			n := int(rec.NumRows())
			if cap(mask) < n {
				mask = make([]bool, n)
			}
			if err := pred.test(s.p.mem(), rec, mask[:n], nil); err != nil {
				rr.Release()
				return nil, err
			}
			for i, m := range mask[:n] {
				if !m {
					continue
				}
				match = true
				if len(rows) >= limit {
					whole = true
					break
				}
				rows = append(rows, pos+int64(i))
			}
			pos += int64(n)
		}
		err = rr.Err()
		rr.Release()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", s.src.File.Path, err)
		}
		if !match {
			continue
		}
		kept++
		if whole {
			if k := len(parts) - 1; k >= 0 && parts[k].whole {
				parts[k].groups = append(parts[k].groups, g)
			} else {
				parts = append(parts, scanPart{groups: []int{g}, whole: true})
			}
			continue
		}
		s.RowGroupsSelected++
		parts = append(parts, scanPart{group: g, rows: rows})
	}
	s.RowGroupsPruned += len(groups) - kept
	s.RowGroups = kept
	return parts, nil
}

// readRows reads the selected rows of a part as one batch with the scan's
// schema.
func (s *Scan) readRows(ctx context.Context, part scanPart) (arrow.RecordBatch, error) {
	rec, err := s.rd.ReadRows(ctx, part.group, s.cols, part.rows)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", s.src.File.Path, err)
	}
	return s.relabel(rec), nil
}
