package flightsql

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"openwit/ingest"
	"openwit/internal/pgerror"
	"openwit/internal/pgtime"
	"openwit/storage"
	"openwit/storage/catalog"
)

// DoPutCommandStatementIngest appends the stream's record batches to an
// existing table. Each incoming batch is checked and converted as a whole,
// split by time shard and appended with one Ingester.Append (one WAL
// record) while the fsync of earlier batches runs; the result is sent
// once every batch is fsynced. See doc.go for the guarantees when the
// stream fails midway.
func (s *Server) DoPutCommandStatementIngest(ctx context.Context, cmd flightsql.StatementIngest, rdr flight.MessageReader) (int64, error) {
	t, err := s.ingestTable(ctx, cmd)
	if err != nil {
		return 0, err
	}
	return s.ingest(ctx, t, rdr)
}

// ingestMark is the number of rows of a stream appended up to an LSN.
type ingestMark struct {
	lsn  uint64
	rows int64
}

// ingest appends rdr's batches to t, one WAL record per batch, waits until
// they are durable and returns the rows committed.
func (s *Server) ingest(ctx context.Context, t *catalog.Table, rdr flight.MessageReader) (int64, error) {
	plan, err := newIngestPlan(t, rdr.Schema(), s.mem)
	if err != nil {
		return 0, statusError(err)
	}
	var n, batches int64
	var marks []ingestMark
	defer func() {
		s.log.Debug("flight sql bulk ingest", "table", t.Name, "rows", n, "batches", batches)
	}()
	// commit waits for the fsync of every appended batch, also when the
	// stream failed (those batches are durable soon anyway), and returns
	// the rows committed: all appended ones, or after a failed fsync the
	// ones known durable.
	commit := func(err error) (int64, error) {
		if len(marks) == 0 {
			return 0, err
		}
		last := marks[len(marks)-1]
		serr := s.cfg.Ingester.Sync(ctx, last.lsn)
		if serr == nil {
			return last.rows, err
		}
		durable := s.cfg.Ingester.DurableLSN()
		var done int64
		for _, m := range marks {
			if m.lsn <= durable {
				done = m.rows
			}
		}
		if err == nil {
			err = statusError(fmt.Errorf("ingest into %s: %w", t.Name, serr))
		}
		return done, err
	}
	for rdr.Next() {
		rec := rdr.RecordBatch()
		if rec.NumRows() == 0 {
			continue
		}
		parts, err := plan.convert(ctx, rec)
		if err != nil {
			return commit(statusError(err))
		}
		lsn, err := s.cfg.Ingester.Append(ctx, t.ID, parts)
		for _, p := range parts {
			p.Rec.Release()
		}
		if err != nil {
			return commit(ingestError(t, err))
		}
		n += rec.NumRows()
		batches++
		marks = append(marks, ingestMark{lsn: lsn, rows: n})
		s.met.rowsIngest.Add(float64(rec.NumRows()))
		s.met.batchIngest.Inc()
	}
	if err := rdr.Err(); err != nil {
		if ctx.Err() != nil {
			return commit(statusError(ctx.Err()))
		}
		return commit(status.Errorf(codes.InvalidArgument, "ERROR: read ingest stream after %d rows: %v (SQLSTATE 08P01)", n, err))
	}
	return commit(nil)
}

// ingestError maps an error of Ingester.Append to a status.
func ingestError(t *catalog.Table, err error) error {
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return pgStatus(pgerror.UndefinedTable, "relation %q was dropped during bulk ingest", t.Name)
	case errors.Is(err, ingest.ErrOverloaded):
		return statusError(&pgerror.Error{Code: pgerror.InsufficientResources, Message: err.Error(),
			Hint: "the batch was not written; retry it after a backoff", Err: err})
	}
	return statusError(fmt.Errorf("ingest into %s: %w", t.Name, err))
}

// ingestTable resolves and checks the target of a bulk ingest.
func (s *Server) ingestTable(ctx context.Context, cmd flightsql.StatementIngest) (*catalog.Table, error) {
	switch {
	case len(cmd.GetTransactionId()) > 0:
		return nil, errNoTransactions()
	case cmd.GetTemporary():
		return nil, pgStatus(pgerror.FeatureNotSupported, "bulk ingest into a temporary table is not supported")
	case cmd.GetCatalog() != "" && cmd.GetCatalog() != catalogName:
		return nil, pgStatus(pgerror.InvalidCatalogName, "catalog %q does not exist; OpenWit has one catalog, %q", cmd.GetCatalog(), catalogName)
	case cmd.GetSchema() != "" && cmd.GetSchema() != schemaName:
		return nil, pgStatus(pgerror.InvalidSchemaName, "schema %q does not exist; OpenWit has one schema, %q", cmd.GetSchema(), schemaName)
	}
	opts := cmd.GetTableDefinitionOptions()
	t, err := s.lookupIngestTable(ctx, cmd.GetTable(), opts.GetIfNotExist() == flightsql.TableDefinitionOptionsTableNotExistOptionCreate)
	if err != nil {
		return nil, err
	}
	switch opts.GetIfExists() {
	case flightsql.TableDefinitionOptionsTableExistsOptionFail:
		return nil, pgStatus(pgerror.DuplicateTable, "relation %q already exists; use ingest mode append (adbc.ingest.mode = adbc.ingest.mode.append)", t.Name)
	case flightsql.TableDefinitionOptionsTableExistsOptionReplace:
		return nil, pgStatus(pgerror.FeatureNotSupported, "bulk ingest mode replace is not supported; use append")
	}
	return t, nil
}

// lookupIngestTable finds the target table of an ingest (NotFound, 42P01,
// when it does not exist; create says the client asked to create it).
func (s *Server) lookupIngestTable(ctx context.Context, name string, create bool) (*catalog.Table, error) {
	t, err := s.cfg.Catalog.GetTable(ctx, name)
	if errors.Is(err, catalog.ErrNotFound) {
		msg := "relation %q does not exist"
		if create {
			msg += "; bulk ingest appends to existing tables only, create it first with CREATE TABLE"
		}
		return nil, pgStatus(pgerror.UndefinedTable, msg, name)
	}
	if err != nil {
		return nil, statusError(fmt.Errorf("look up table %s: %w", name, err))
	}
	// A table another node created (shared catalog) is new to this
	// node's ingester until its next refresh.
	if err := s.cfg.Ingester.AddTable(ctx, t); err != nil {
		return nil, statusError(fmt.Errorf("load table %s: %w", name, err))
	}
	return t, nil
}

// ingestPlan converts incoming batches to a table's Arrow schema.
type ingestPlan struct {
	table   *catalog.Table
	schema  *arrow.Schema // storage.ArrowSchema(table)
	src     []int         // per table column: incoming column index, -1 = absent (NULL)
	timeIdx int           // table column of the time-shard key, -1 = none
	mem     memory.Allocator
}

// newIngestPlan matches incoming columns to table columns by name and
// checks that every type converts without loss. Mismatches are
// InvalidArgument (SQLSTATE 42804/42703/23502) before anything is written.
func newIngestPlan(t *catalog.Table, in *arrow.Schema, mem memory.Allocator) (*ingestPlan, error) {
	target, err := storage.ArrowSchema(t)
	if err != nil {
		return nil, err
	}
	p := &ingestPlan{table: t, schema: target, src: make([]int, len(t.Columns)), timeIdx: -1, mem: mem}
	byName := map[string]int{}
	for i, c := range t.Columns {
		byName[c.Name] = i
		p.src[i] = -1
		if c.Name == t.TimeColumn {
			p.timeIdx = i
		}
	}
	for j, f := range in.Fields() {
		i, ok := byName[f.Name]
		if !ok {
			return nil, pgerror.New(pgerror.UndefinedColumn, "column %q of the ingest stream does not exist in relation %q", f.Name, t.Name)
		}
		if p.src[i] >= 0 {
			return nil, pgerror.New(pgerror.DuplicateColumn, "column %q appears twice in the ingest stream", f.Name)
		}
		to := target.Field(i).Type
		if f.Type.ID() == arrow.NULL && t.Columns[i].NotNull {
			return nil, pgerror.New(pgerror.NotNullViolation, "column %q of the ingest stream is all NULL (type null), but relation %q requires values (NOT NULL)", f.Name, t.Name)
		}
		if !castable(f.Type, to) && !(t.Columns[i].Type == storage.TypeUUID && uuidBytes(f.Type)) {
			return nil, &pgerror.Error{Code: pgerror.DatatypeMismatch,
				Message: fmt.Sprintf("column %q is of type %s but the ingest stream has %s", f.Name, columnTypeName(t.Columns[i].Type), f.Type),
				Hint:    fmt.Sprintf("send %s (or a type that converts to it without loss)", to)}
		}
		p.src[i] = j
	}
	for i, c := range t.Columns {
		if p.src[i] < 0 && c.NotNull {
			return nil, pgerror.New(pgerror.NotNullViolation, "the ingest stream has no column %q, which relation %q requires (NOT NULL)", c.Name, t.Name)
		}
	}
	return p, nil
}

// castable reports whether values of type from convert to the table type to
// without loss (integer narrowing and decimal rescaling are checked value
// by value at conversion; nanosecond timestamps are rounded to
// microseconds, as PostgreSQL does).
func castable(from, to arrow.DataType) bool {
	if arrow.TypeEqual(from, to) || from.ID() == arrow.NULL {
		return true
	}
	if d, ok := from.(*arrow.DictionaryType); ok {
		return to.ID() == arrow.STRING && castable(d.ValueType, to)
	}
	in := func(ids ...arrow.Type) bool { return slices.Contains(ids, from.ID()) }
	ints := []arrow.Type{arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64}
	switch to.ID() {
	case arrow.BOOL:
		return in(arrow.BOOL)
	case arrow.INT16, arrow.INT32, arrow.INT64:
		return in(ints...)
	case arrow.FLOAT32:
		return in(arrow.FLOAT16, arrow.FLOAT32, arrow.INT8, arrow.INT16, arrow.UINT8, arrow.UINT16)
	case arrow.FLOAT64:
		return in(arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64, arrow.INT8, arrow.INT16, arrow.INT32, arrow.UINT8, arrow.UINT16, arrow.UINT32)
	case arrow.DECIMAL128:
		return in(append(ints, arrow.DECIMAL128, arrow.DECIMAL256)...)
	case arrow.STRING:
		return in(arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW)
	case arrow.BINARY:
		return in(arrow.BINARY, arrow.LARGE_BINARY, arrow.BINARY_VIEW, arrow.FIXED_SIZE_BINARY)
	case arrow.TIMESTAMP:
		return in(arrow.TIMESTAMP)
	case arrow.DATE32:
		return in(arrow.DATE32, arrow.DATE64)
	case arrow.LIST:
		return castableList(from, to)
	}
	return false
}

// Value ranges the planner's types accept (pgtypes.TimestampTZType for
// timestamptz, go-mysql-server's DATETIME for timestamp, DATE for date).
var (
	minTimestampTZ = pgtime.MinTimestampTZ.UnixMicro()
	maxTimestampTZ = pgtime.MaxTimestampTZ.UnixMicro()
	minDatetime    = time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxDatetime    = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
)

// convert checks and converts one incoming batch and splits it by time
// shard. The parts are owned by the caller.
func (p *ingestPlan) convert(ctx context.Context, rec arrow.RecordBatch) (parts []ingest.Part, err error) {
	n := int(rec.NumRows())
	cols := make([]arrow.Array, len(p.src))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	cctx := compute.WithAllocator(ctx, p.mem)
	for i, j := range p.src {
		f, c := p.schema.Field(i), p.table.Columns[i]
		if j < 0 {
			cols[i] = array.MakeArrayOfNull(p.mem, f.Type, n)
			continue
		}
		if c.Type == storage.TypeUUID && uuidBytes(rec.Column(j).DataType()) {
			if cols[i], err = uuidText(p.mem, rec.Column(j)); err != nil {
				return nil, err
			}
		} else if cols[i], err = p.cast(cctx, rec.Column(j), f.Type); err != nil {
			return nil, &pgerror.Error{Code: codeOf(err, pgerror.NumericOutOfRange),
				Message: fmt.Sprintf("column %q: %v", c.Name, messageOf(err))}
		}
		if c.NotNull && cols[i].NullN() > 0 {
			return nil, pgerror.New(pgerror.NotNullViolation, "null value in column %q of relation %q violates not-null constraint", c.Name, p.table.Name)
		}
		if err := checkValues(c, cols[i]); err != nil {
			return nil, err
		}
		fitted, err := fitChars(p.mem, c, cols[i])
		if err != nil {
			return nil, err // cols[i] is still held and released above
		}
		cols[i] = fitted
	}
	out := array.NewRecordBatch(p.schema, cols, int64(n))
	defer out.Release()
	return ingest.SplitByShard(ctx, p.mem, p.table, out, p.timeIdx)
}

// cast converts one column to the table's type.
func (p *ingestPlan) cast(ctx context.Context, arr arrow.Array, to arrow.DataType) (arrow.Array, error) {
	if arrow.TypeEqual(arr.DataType(), to) {
		arr.Retain()
		return arr, nil
	}
	if arr.DataType().ID() == arrow.NULL {
		return array.MakeArrayOfNull(p.mem, to, arr.Len()), nil
	}
	if ts, ok := arr.(*array.Timestamp); ok {
		return toMicros(p.mem, ts, to.(*arrow.TimestampType))
	}
	return compute.CastArray(ctx, arr, compute.SafeCastOptions(to))
}

// toMicros converts timestamps of any unit to microseconds (rounding
// nanoseconds half away from zero); the zone label is replaced by the
// table's (values are instants either way).
func toMicros(mem memory.Allocator, ts *array.Timestamp, to *arrow.TimestampType) (arrow.Array, error) {
	unit := ts.DataType().(*arrow.TimestampType).Unit
	b := array.NewTimestampBuilder(mem, to)
	defer b.Release()
	b.Reserve(ts.Len())
	for i := 0; i < ts.Len(); i++ {
		if ts.IsNull(i) {
			b.AppendNull()
			continue
		}
		v := int64(ts.Value(i))
		switch unit {
		case arrow.Second, arrow.Millisecond:
			mul := int64(1_000_000)
			if unit == arrow.Millisecond {
				mul = 1000
			}
			if v > math.MaxInt64/mul || v < math.MinInt64/mul {
				return nil, pgerror.New(pgerror.DatetimeOverflow, "timestamp out of range")
			}
			v *= mul
		case arrow.Nanosecond:
			q, r := v/1000, v%1000
			if r >= 500 {
				q++
			} else if r <= -500 {
				q--
			}
			v = q
		}
		b.Append(arrow.Timestamp(v))
	}
	return b.NewArray(), nil
}

// checkValues enforces what the planner's types accept: the timestamp and
// date ranges, and valid JSON in jsonb columns.
func checkValues(c catalog.Column, arr arrow.Array) error {
	switch a := arr.(type) {
	case *array.Timestamp:
		lo, hi := minDatetime.UnixMicro(), maxDatetime.UnixMicro()
		if c.Type == storage.TypeTimestampTZ {
			lo, hi = minTimestampTZ, maxTimestampTZ
		}
		for i := 0; i < a.Len(); i++ {
			if v := int64(a.Value(i)); a.IsValid(i) && (v < lo || v > hi) {
				return pgerror.New(pgerror.DatetimeOverflow, "column %q: %s is out of range for type %s (%s .. %s)", c.Name,
					time.UnixMicro(v).UTC().Format(time.RFC3339Nano), columnTypeName(c.Type),
					time.UnixMicro(lo).UTC().Format(time.RFC3339), time.UnixMicro(hi).UTC().Format(time.RFC3339))
			}
		}
	case *array.Date32:
		lo, hi := arrow.Date32FromTime(minDatetime), arrow.Date32FromTime(maxDatetime)
		for i := 0; i < a.Len(); i++ {
			if v := a.Value(i); a.IsValid(i) && (v < lo || v > hi) {
				return pgerror.New(pgerror.DatetimeOverflow, "column %q: date %s is out of range", c.Name, v.FormattedString())
			}
		}
	case *array.String:
		if c.Type != storage.TypeJSONB {
			return nil
		}
		for i := 0; i < a.Len(); i++ {
			if a.IsValid(i) && !json.Valid([]byte(a.Value(i))) {
				return pgerror.New(pgerror.InvalidTextRepr, "column %q: invalid input syntax for type json in row %d", c.Name, i)
			}
		}
	}
	return nil
}

// codeOf returns err's SQLSTATE when it carries one, else def.
func codeOf(err error, def string) string {
	var pe *pgerror.Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return def
}

func messageOf(err error) string {
	var pe *pgerror.Error
	if errors.As(err, &pe) {
		return pe.Message
	}
	return err.Error()
}
