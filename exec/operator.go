package exec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/objstore"
	"openwit/storage/pqfile"
)

// Operator is a vectorized operator; see the package documentation for the
// contract.
type Operator interface {
	// Schema is the schema of every batch Next returns.
	Schema() *arrow.Schema
	// Open prepares the operator; it is idempotent.
	Open(ctx context.Context) error
	// Next returns the next batch or io.EOF. The batch stays valid until
	// the next call to Next or Close.
	Next(ctx context.Context) (arrow.RecordBatch, error)
	// Close releases the operator's resources; it is idempotent.
	Close() error
}

// Params are what operators need from the node.
type Params struct {
	// Mem allocates every Arrow buffer; nil means memory.DefaultAllocator.
	Mem memory.Allocator
	// Bucket is the object store holding the files of file sources.
	Bucket objstore.Bucket
	// BatchRows bounds the rows of a scanned batch; 0 means 64Ki.
	BatchRows int64
	// Parallelism is how many sources run at once; 0 means 1.
	Parallelism int
	// MemoryLimit bounds the bytes the hash aggregations of one Run (all
	// its workers together) may hold; 0 means no limit. Exceeding it fails
	// the query with ErrMemoryLimit.
	MemoryLimit int64
	// Footers, when not nil, caches the footers of the files scanned.
	Footers *FooterCache
	// Reads, when not nil, caches small decoded reads (ReadCache).
	Reads *ReadCache

	heads bool // a plain LIMIT: the scans' first batches go through Reads

	budget *memBudget // shared by the operators of one Run
}

// withBudget returns p with the budget its operators share.
func (p Params) withBudget() Params {
	if p.budget == nil && p.MemoryLimit > 0 {
		p.budget = &memBudget{limit: p.MemoryLimit}
	}
	return p
}

func (p Params) budgetOf() *memBudget { return p.withBudget().budget }

func (p Params) mem() memory.Allocator {
	if p.Mem == nil {
		return memory.DefaultAllocator
	}
	return p.Mem
}

func (p Params) batchRows() int64 {
	if p.BatchRows <= 0 {
		return 64 * 1024
	}
	return p.BatchRows
}

// Source is one input of a scan: a Parquet file, or in-memory batches
// (the ingest buffers, which never leave the node that holds them).
type Source struct {
	File *FileSource `json:"file,omitempty"`
	// Batches hold all of the table's columns in table order.
	Batches []arrow.RecordBatch `json:"-"`
	// Matched, without File or Batches, is a number of rows already known
	// to pass the fragment's filter (counted from index artifacts by the
	// coordinator): the scan yields that many rows of NULLs and the filter
	// is not applied to them. Only fragments whose aggregates read no
	// column (count(*)) take such a source.
	Matched int64 `json:"-"`
}

// FileSource names a Parquet file in the object store.
type FileSource struct {
	ID   string `json:"id"`
	Path string `json:"path"`
	Rows int64  `json:"rows"`
	// RowGroups, when not nil, are the only row groups to read, in
	// ascending order (the coordinator pruned the others with the file's
	// index artifact); nil means all.
	RowGroups []int `json:"row_groups,omitempty"`
	// Candidates narrow some row groups to the rows that may pass the
	// fragment's filter (candidates.go); the others read every row. A
	// reader that ignores them reads every row and returns the same
	// result (the filter decides), so they need no new fragment version.
	Candidates []RowCandidates `json:"candidates,omitempty"`
}

// Scan reads the projected columns of one source.
type Scan struct {
	p       Params
	src     Source
	cols    []string // projected column names, in output order
	colIdx  []int    // for batch sources: table column index of each output column
	schema  *arrow.Schema
	pruneBy *Expr // conjuncts used to skip row groups (over cols)

	rd *pqfile.Reader
	rr *pqfile.RecordReader // of the current whole part
	// parts are the parts of a file scan still to read (rowsel.go), read
	// (the file's columns read) and dictCols (those read as
	// dictionaries) what their record readers read; reading is set once
	// they are.
	parts    []scanPart
	read     []string
	dictCols []string
	reading  bool
	// absent marks the projected columns the file does not have (added
	// to the table after it was written): they read as NULL. nil when
	// the file has every projected column.
	absent []bool
	// dict reads dictionary-encoded string columns as Arrow dictionaries;
	// only for consumers whose kernels take them (see dict.go).
	dict bool
	// bound skips row groups that cannot reach a top-k (may be nil).
	bound *topBound
	// text, when not nil, tests the text column where it is decoded
	// (textscan.go); textGroups are the row groups still to read and
	// textOut the batches of the current one.
	text       *textFilter
	cand       map[int]*roaring.Bitmap // candidate rows by row group (candidates.go)
	sel        *rowSelection           // keeps the candidates of rr's batches
	textGroups []int
	textOut    []arrow.RecordBatch
	counts     []int64   // rows per row group still to emit, without columns
	file       io.Closer // the open object, when the bucket opens files
	bi         int
	cur        arrow.RecordBatch
	headTaken  bool // the first batch of a plain LIMIT's scan was asked for (headKey)
	skipHead   bool // it came from Params.Reads: skip the reader's first batch
	opened     bool
	openErr    error // sticky: Open and Next keep returning it
	closed     bool

	// RowGroups and RowGroupsPruned count what the scan kept and skipped
	// (by statistics or by probing the filter columns) of the row groups
	// its source lists (all, without a list): row groups the list leaves
	// out are not counted.
	RowGroups, RowGroupsPruned int
	// RowGroupsSelected counts the row groups read for a selection of
	// their rows only (late materialization, rowsel.go).
	RowGroupsSelected int
	// Rows counts the rows the scan returned; a text scan counts the rows
	// it tested, as a scan does before its filter.
	Rows int64
	// bytes counts the bytes read from the data file (BytesRead).
	bytes atomic.Int64
}

// BytesRead returns the bytes the scan read from its data file (footer,
// probes and column chunks), whatever tier served them.
func (s *Scan) BytesRead() int64 { return s.bytes.Load() }

// countingReaderAt counts the bytes read through it.
type countingReaderAt struct {
	r io.ReaderAt
	n *atomic.Int64
}

func (c countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// dictColumns returns the projected string columns that are
// dictionary-encoded in every row group read (nil groups: all).
func (s *Scan) dictColumns(groups []int) []string {
	if groups == nil {
		groups = make([]int, s.rd.NumRowGroups())
		for g := range groups {
			groups[g] = g
		}
	}
	var out []string
	for i, c := range s.cols {
		if s.schema.Field(i).Type.ID() != arrow.STRING {
			continue
		}
		all := true
		for _, g := range groups {
			if !s.rd.DictEncoded(g, c) {
				all = false
				break
			}
		}
		if all {
			out = append(out, c)
		}
	}
	return out
}

var _ Operator = (*Scan)(nil)

// NewScan returns a scan of src producing columns cols (by name) of table
// schema tableSchema. prune, when not nil, is a predicate over cols whose
// conjuncts of the form column-op-constant are checked against row-group
// statistics; rows are not filtered by it.
func NewScan(p Params, src Source, tableSchema *arrow.Schema, cols []string, prune *Expr) (*Scan, error) {
	if tableSchema == nil {
		return nil, errors.New("exec: scan without a table schema")
	}
	fields := make([]arrow.Field, len(cols))
	idx := make([]int, len(cols))
	for i, c := range cols {
		j := tableSchema.FieldIndices(c)
		if len(j) != 1 {
			return nil, fmt.Errorf("exec: scan: no column %q", c)
		}
		idx[i] = j[0]
		fields[i] = tableSchema.Field(j[0])
	}
	return &Scan{p: p, src: src, cols: cols, colIdx: idx, schema: arrow.NewSchema(fields, nil), pruneBy: prune}, nil
}

// Schema implements Operator.
func (s *Scan) Schema() *arrow.Schema { return s.schema }

// Open implements Operator.
func (s *Scan) Open(ctx context.Context) error {
	if s.opened {
		return s.openErr
	}
	s.opened = true
	s.openErr = s.open(ctx)
	return s.openErr
}

func (s *Scan) open(ctx context.Context) error {
	if s.src.File == nil {
		if s.src.Matched > 0 {
			s.counts = []int64{s.src.Matched}
		}
		return nil
	}
	rd, file, err := openFile(ctx, s.p, s.src.File.Path, &s.bytes)
	if err != nil {
		return err
	}
	s.rd, s.file = rd, file
	read := s.cols
	defer func() { s.read = read }()
	for i, c := range s.cols {
		if len(rd.Schema().FieldIndices(c)) == 0 {
			if s.absent == nil {
				s.absent = make([]bool, len(s.cols))
				read = slices.Clone(s.cols[:i])
			}
			s.absent[i] = true
		} else if s.absent != nil {
			read = append(read, c)
		}
	}
	groups, err := s.keptRowGroups()
	if err != nil {
		return err
	}
	if s.cand, err = s.candidates(); err != nil {
		return err
	}
	if len(read) == 0 {
		// Nothing projected (count(*)): the row counts come from the
		// footer; no column is decoded.
		s.text = nil
		if groups == nil {
			groups = make([]int, rd.NumRowGroups())
			for g := range groups {
				groups[g] = g
			}
		}
		for _, g := range groups {
			s.counts = append(s.counts, rd.RowGroupRows(g))
		}
		return nil
	}
	var dict []string
	parts := wholeParts(groups)
	if s.absent == nil { // probing and dictionaries assume every column
		// Dictionary arrays come from whole row groups only: a scan that
		// reads them never reads a row selection.
		if parts, err = s.probe(ctx, groups, !s.dict); err != nil {
			return err
		}
		if len(parts) == 0 {
			groups = []int{}
		} else if len(parts) == 1 && parts[0].whole {
			groups = parts[0].groups
		}
		if s.dict && len(parts) <= 1 {
			dict = s.dictColumns(groups)
		}
		if s.text != nil && len(parts) <= 1 && len(dict) == 0 {
			// A dictionary is tested once per distinct value: better.
			if groups == nil {
				groups = make([]int, rd.NumRowGroups())
				for g := range groups {
					groups[g] = g
				}
			}
			s.textGroups = groups
			return nil
		}
	}
	s.text = nil
	s.dictCols = dict
	if s.topSelective() {
		parts = topParts(groups, rd.NumRowGroups())
	} else if s.cand != nil && s.absent == nil && len(dict) == 0 {
		parts = s.candidateParts(parts)
	}
	s.parts = parts
	s.reading = true
	return nil
}

// openFile opens the Parquet file at path, with its footer from
// p.Footers when cached there, counting the bytes read in n. The caller
// closes file when it is not nil.
func openFile(ctx context.Context, p Params, path string, n *atomic.Int64) (rd *pqfile.Reader, file io.Closer, err error) {
	f, err := objstore.OpenObject(ctx, p.Bucket, path)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", path, err)
	}
	file, size := f, f.Size()
	ra := countingReaderAt{f, n}
	if ft := p.Footers.lookup(path, size); ft != nil {
		rd, err = pqfile.NewReaderFooter(ra, size, p.mem(), ft)
	} else if rd, err = pqfile.NewReader(ra, size, p.mem()); err == nil && p.Footers != nil {
		p.Footers.put(path, rd.Footer())
	}
	if err != nil {
		if file != nil {
			file.Close()
		}
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	return rd, file, nil
}

// keptRowGroups returns the row groups of the source's list whose
// statistics do not rule out the prune predicate (nil: all).
func (s *Scan) keptRowGroups() ([]int, error) {
	n := s.rd.NumRowGroups()
	listed := s.src.File.RowGroups
	for _, g := range listed {
		if g < 0 || g >= n {
			return nil, fmt.Errorf("read %s: row group %d of %d", s.src.File.Path, g, n)
		}
	}
	s.RowGroups = n
	if s.pruneBy == nil && s.bound == nil {
		if listed != nil {
			s.RowGroups = len(listed)
			return slices.Clone(listed), nil
		}
		return nil, nil
	}
	if listed == nil {
		listed = make([]int, n)
		for g := range listed {
			listed[g] = g
		}
	}
	kept := make([]int, 0, n)
	nanFree := s.bound != nil && s.rd.NaNFree(s.bound.col)
	for _, g := range listed {
		if s.bound != nil {
			mn, mx, nulls, ok := s.rd.RowGroupStats(g, s.bound.col)
			if s.bound.skip(mn, mx, nulls, ok, nanFree) {
				continue
			}
		}
		if s.pruneBy == nil || mayMatch(s.pruneBy, func(col int) (min, max any, ok bool) {
			mn, mx, nulls, ok := s.rd.RowGroupStats(g, s.cols[col])
			if !ok || (mn == nil && nulls >= 0) {
				// All NULL: no comparison can be true.
				return nil, nil, ok && mn == nil
			}
			return mn, mx, true
		}) {
			kept = append(kept, g)
		}
	}
	s.RowGroupsPruned = len(listed) - len(kept)
	s.RowGroups = len(kept)
	if s.bound != nil && len(kept) > 1 {
		// Best first, so the top-k fills from the row groups most likely
		// to hold its rows and the bound rules out more of the others.
		best := make(map[int]any, len(kept))
		for _, g := range kept {
			mn, mx, _, ok := s.rd.RowGroupStats(g, s.bound.col)
			best[g] = s.bound.best(mn, mx, ok)
		}
		slices.SortStableFunc(kept, func(a, b int) int { return s.bound.rank(best[a], best[b]) })
	}
	return kept, nil
}

// Next implements Operator.
func (s *Scan) next(ctx context.Context) (arrow.RecordBatch, error) {
	if s.openErr != nil {
		return nil, s.openErr
	}
	if s.cur != nil {
		s.cur.Release()
		s.cur = nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.src.File == nil {
		for s.bi < len(s.src.Batches) {
			b := s.src.Batches[s.bi]
			s.bi++
			if b.NumRows() == 0 {
				continue
			}
			cols := make([]arrow.Array, len(s.colIdx))
			for i, c := range s.colIdx {
				cols[i] = b.Column(c)
			}
			s.cur = array.NewRecordBatch(s.schema, cols, b.NumRows())
			s.Rows += s.cur.NumRows()
			return s.cur, nil
		}
		if len(s.counts) == 0 {
			return nil, io.EOF
		}
	}
	if s.text != nil {
		for len(s.textOut) == 0 && len(s.textGroups) > 0 {
			g := s.textGroups[0]
			var out []arrow.RecordBatch
			var err error
			if rows := s.cand[g]; rows != nil {
				out, err = s.textRowsBatches(ctx, g, rows)
			} else {
				out, err = s.textBatches(ctx, g)
			}
			if err != nil {
				return nil, err
			}
			s.textGroups, s.textOut = s.textGroups[1:], out
		}
		if len(s.textOut) == 0 {
			return nil, io.EOF
		}
		s.cur, s.textOut = s.textOut[0], s.textOut[1:]
		return s.cur, nil
	}
	if !s.reading { // no columns: row counts only
		for len(s.counts) > 0 {
			n := min(s.counts[0], s.p.batchRows())
			s.counts[0] -= n
			if s.counts[0] == 0 {
				s.counts = s.counts[1:]
			}
			if n > 0 {
				// No column, or only columns the file lacks (NULL).
				cols := make([]arrow.Array, len(s.cols))
				for i := range cols {
					cols[i] = pqfile.AbsentArray(s.p.mem(), s.schema.Field(i), int(n))
				}
				s.cur = array.NewRecordBatch(s.schema, cols, n)
				for _, c := range cols {
					c.Release()
				}
				s.Rows += s.cur.NumRows()
				return s.cur, nil
			}
		}
		return nil, io.EOF
	}
	for s.rr == nil || !s.rr.Next() {
		if s.rr != nil {
			err := s.rr.Err()
			s.rr.Release()
			s.rr = nil
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", s.src.File.Path, err)
			}
		}
		if len(s.parts) == 0 {
			return nil, io.EOF
		}
		part := s.parts[0]
		s.parts = s.parts[1:]
		if part.top {
			p, skip, err := s.topPart(ctx, part.group)
			if err != nil {
				return nil, err
			}
			if skip || (!p.whole && len(p.rows) == 0) {
				continue
			}
			part = p
		}
		if !part.whole {
			rec, err := s.readRowsCached(ctx, part)
			if err != nil {
				return nil, err
			}
			s.cur = rec
			s.Rows += rec.NumRows()
			return s.cur, nil
		}
		rr, err := s.rd.ReadDict(ctx, s.read, s.dictCols, part.groups, s.p.batchRows())
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", s.src.File.Path, err)
		}
		s.rr = rr
		// The token postings' candidate rows of this part's row groups
		// (a row-selected part holds only rows the filter chose).
		s.sel = s.newRowSelection(part.groups, s.cand)
	}
	// The file's schema carries Parquet field metadata: relabel the columns
	// with the scan's schema, the schema of every batch (Arrow IPC writers
	// check it).
	rec := s.rr.RecordBatch()
	if s.skipHead {
		// The first batch came from the read cache.
		s.skipHead = false
		return s.next(ctx)
	}
	if s.sel != nil {
		// Only the candidate rows of the row groups that have them.
		kept, err := s.sel.apply(s.p.mem(), rec)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", s.src.File.Path, err)
		}
		if kept.NumRows() == 0 {
			kept.Release()
			return s.next(ctx)
		}
		// kept lives until the next call, as s.cur does.
		defer kept.Release()
		rec = kept
	}
	if s.absent != nil {
		cols := make([]arrow.Array, len(s.cols))
		j := 0
		for i := range cols {
			if s.absent[i] {
				cols[i] = pqfile.AbsentArray(s.p.mem(), s.schema.Field(i), int(rec.NumRows()))
				continue
			}
			cols[i] = rec.Column(j)
			cols[i].Retain()
			j++
		}
		s.cur = array.NewRecordBatch(s.schema, cols, rec.NumRows())
		for _, c := range cols {
			c.Release()
		}
		s.Rows += s.cur.NumRows()
		return s.cur, nil
	}
	rec.Retain()
	s.cur = s.relabel(rec)
	s.Rows += s.cur.NumRows()
	return s.cur, nil
}

// relabel returns rec (whose reference it takes) with the scan's schema
// when only the schemas' metadata differ.
func (s *Scan) relabel(rec arrow.RecordBatch) arrow.RecordBatch {
	if sameTypes(rec.Schema(), s.schema) && !rec.Schema().Equal(s.schema) {
		out := array.NewRecordBatch(s.schema, rec.Columns(), rec.NumRows())
		rec.Release()
		return out
	}
	return rec
}

// sameTypes reports whether two schemas have the same column types.
func sameTypes(a, b *arrow.Schema) bool {
	if a.NumFields() != b.NumFields() {
		return false
	}
	for i := range a.Fields() {
		if !arrow.TypeEqual(a.Field(i).Type, b.Field(i).Type) {
			return false
		}
	}
	return true
}

// Close implements Operator.
func (s *Scan) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.cur != nil {
		s.cur.Release()
		s.cur = nil
	}
	if s.rr != nil {
		s.rr.Release()
	}
	for _, r := range s.textOut {
		r.Release()
	}
	s.textOut = nil
	var err error
	if s.rd != nil {
		err = s.rd.Close()
	}
	if s.file != nil {
		if cerr := s.file.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// Filter keeps the rows for which a predicate is TRUE.
type Filter struct {
	p      Params
	child  Operator
	pred   predicate
	cur    arrow.RecordBatch
	mask   []bool
	closed bool
}

var _ Operator = (*Filter)(nil)

// NewFilter returns a filter of child by e.
func NewFilter(p Params, child Operator, e *Expr) (*Filter, error) {
	pred, err := compilePredicate(e, child.Schema())
	if err != nil {
		return nil, err
	}
	return &Filter{p: p, child: child, pred: pred}, nil
}

// Schema implements Operator.
func (f *Filter) Schema() *arrow.Schema { return f.child.Schema() }

// Open implements Operator.
func (f *Filter) Open(ctx context.Context) error { return f.child.Open(ctx) }

// Next implements Operator.
func (f *Filter) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if f.cur != nil {
		f.cur.Release()
		f.cur = nil
	}
	for {
		rec, err := f.child.Next(ctx)
		if err != nil {
			return nil, err
		}
		n := int(rec.NumRows())
		if cap(f.mask) < n {
			f.mask = make([]bool, n)
		}
		mask := f.mask[:n]
		if err := f.pred.test(f.p.mem(), rec, mask, nil); err != nil {
			return nil, err
		}
		out, err := selectRows(f.p.mem(), rec, mask)
		if err != nil {
			return nil, err
		}
		if out.NumRows() == 0 {
			out.Release()
			continue
		}
		f.cur = out
		return out, nil
	}
}

// Close implements Operator.
func (f *Filter) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	if f.cur != nil {
		f.cur.Release()
		f.cur = nil
	}
	return f.child.Close()
}
