package planner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/shopspring/decimal"

	"openwit/ingest"
	"openwit/ingest/wal"
	"openwit/internal/pgerror"
	"openwit/internal/pgtime"
	"openwit/planner/pgparse"
	"openwit/planner/pgtypes"
	"openwit/storage"
	"openwit/storage/catalog"
)

// DefaultCopyMaxBytes is the default of Config.CopyMaxBytes.
const DefaultCopyMaxBytes = 192 << 20

// copyBatchRows is how many rows a COPY builds (over all its shards)
// before it writes them to the WAL as one provisional record, with one
// Arrow batch per shard.
const copyBatchRows = 64 << 10

// Range of values the planner's types accept (pgtypes.TimestampTZType for
// timestamptz, go-mysql-server's DATETIME for timestamp and DATE for
// date), enforced on COPY input as INSERT enforces them.
var (
	copyMinTimestampTZ = pgtime.MinTimestampTZ.UnixMicro()
	copyMaxTimestampTZ = pgtime.MaxTimestampTZ.UnixMicro()
	copyMinDatetime    = time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	copyMaxDatetime    = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC).UnixMicro()
)

// Copy returns the COPY of a COPY statement, nil for other statements.
func (p *Prepared) Copy() *pgparse.Copy {
	if p.st.Kind == pgparse.KindCopyFrom || p.st.Kind == pgparse.KindCopyTo {
		return p.st.Copy
	}
	return nil
}

// CopyIn collects the rows of one COPY FROM STDIN as Arrow batches of the
// table's storage schema, split by time shard, and every copyBatchRows
// rows writes them to the WAL as a provisional record of an
// ingest.Stream; Commit writes the rest and the stream's commit record,
// fsynced before the COPY is acknowledged, so a COPY is applied whole or
// not at all (replay ignores provisional records without their commit).
// In a transaction block the batches are staged at Commit instead, and
// the block's COMMIT writes them. Parsed rows are held as Arrow batches
// until Commit; their size is bounded by Config.CopyMaxBytes (a larger
// COPY fails with 54000 and applies nothing). Not safe for concurrent
// use.
type CopyIn struct {
	e      *Engine
	t      *catalog.Table
	schema *arrow.Schema
	mem    memory.Allocator

	cols   []Column // incoming columns
	target []int    // per incoming column: table column index
	absent []int    // table columns not in the COPY (NULL)
	// defaults are the table columns not in the COPY that have a DEFAULT
	// (copy_default.go).
	defaults []copyDefault
	timeSrc  int // incoming column of the time-shard key; -1 = unsharded
	timeIdx  int // table column of the time-shard key; -1 = unsharded

	// b builds the rows of every shard in arrival order; finishBatches
	// splits them by shard (copy_batch.go).
	b         *array.RecordBuilder
	dataLens  []int          // per table column: string bytes of the last full batch
	reserved  bool           // b was sized for a full batch
	stream    *ingest.Stream // finished batches, in the WAL
	pending   int            // rows in b, not yet in the stream
	bytes     int64          // approximate Arrow size of every row appended
	rows      int64
	limit     int64
	charLimit bool        // a column is varchar(n) or char(n): values are checked (fitChar)
	arrays    *copyArrays // array columns' values are parsed first (copy_arraytypes.go)
	done      bool
	typed     *copyTyped // AppendValues' state, made at its first call
	// txw are the session's staged writes when the COPY runs in a
	// transaction block: the batches wait in parts and Commit stages them
	// there (nil: they go to stream, written as they fill).
	txw   *txWrites
	parts []ingest.Part // finished batches, in a transaction block
}

// BeginCopyFrom resolves a COPY FROM's table and columns.
func (p *Prepared) BeginCopyFrom(ctx context.Context) (*CopyIn, error) {
	c := p.Copy()
	if c == nil || !c.From {
		return nil, pgerror.New(pgerror.InternalError, "not a COPY FROM statement")
	}
	if err := p.s.checkWritable("COPY FROM"); err != nil {
		p.s.failed()
		return nil, err
	}
	e := p.s.e
	t, err := e.cfg.Catalog.GetTable(ctx, c.Table)
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, pgerror.New(pgerror.UndefinedTable, "relation %q does not exist", c.Table)
	}
	if err != nil {
		return nil, fmt.Errorf("look up table %s: %w", c.Table, err)
	}
	if err := e.cfg.Ingester.AddTable(ctx, t); err != nil { // created on another node: see tableDef
		return nil, fmt.Errorf("load table %s: %w", c.Table, err)
	}
	schema, err := e.arrowSchema(t)
	if err != nil {
		return nil, err
	}
	limit := e.cfg.CopyMaxBytes
	if limit <= 0 {
		limit = DefaultCopyMaxBytes
	}
	in := &CopyIn{e: e, t: t, schema: schema, mem: memory.DefaultAllocator, timeSrc: -1, timeIdx: -1,
		limit: limit, charLimit: hasCharLimit(t), txw: p.s.base.txw}
	in.arrays = newCopyArrays(ctx, p.s, t)
	if in.txw == nil {
		in.stream = e.cfg.Ingester.BeginStream(t.ID)
	}
	byName := map[string]int{}
	for i, col := range t.Columns {
		byName[col.Name] = i
	}
	names := c.Columns
	if names == nil {
		for _, col := range t.Columns {
			names = append(names, col.Name)
		}
	}
	listed := make([]bool, len(t.Columns))
	for _, name := range names {
		i, ok := byName[name]
		if !ok {
			return nil, pgerror.New(pgerror.UndefinedColumn, "column %q of relation %q does not exist", name, t.Name)
		}
		listed[i] = true
		typ, err := pgtypes.GMSType(t.Columns[i].Type)
		if err != nil {
			return nil, err
		}
		oid, size := pgtypes.OID(typ)
		if name == t.TimeColumn {
			in.timeSrc, in.timeIdx = len(in.cols), i
		}
		in.cols = append(in.cols, Column{Name: name, TypeOID: oid, TypeSize: size})
		in.target = append(in.target, i)
	}
	for i, col := range t.Columns {
		if listed[i] {
			continue
		}
		if col.Default != "" {
			if err := in.addDefault(p.s.sqlContext(ctx), i, col); err != nil {
				return nil, err
			}
			continue
		}
		if col.NotNull {
			return nil, pgerror.New(pgerror.NotNullViolation, "null value in column %q of relation %q violates not-null constraint (the column is not in the COPY column list)", col.Name, t.Name)
		}
		in.absent = append(in.absent, i)
	}
	return in, nil
}

// Columns returns the incoming columns in order.
func (in *CopyIn) Columns() []Column { return in.cols }

// Append adds one row of decoded wire values (nil, bool, int64, float64,
// string, []byte, time.Time), one per incoming column.
func (in *CopyIn) Append(ctx context.Context, row []any) error {
	if in.done {
		return pgerror.New(pgerror.InternalError, "COPY already finished")
	}
	if len(row) != len(in.cols) {
		return pgerror.New(pgerror.InternalError, "COPY row has %d values for %d columns", len(row), len(in.cols))
	}
	for k, v := range row {
		if v == nil && in.t.Columns[in.target[k]].NotNull {
			return pgerror.New(pgerror.NotNullViolation, "null value in column %q of relation %q violates not-null constraint", in.cols[k].Name, in.t.Name)
		}
	}
	if in.timeSrc >= 0 {
		if _, ok := row[in.timeSrc].(time.Time); !ok {
			return pgerror.New(pgerror.DatatypeMismatch, "column %q: expected a timestamp, got %T", in.cols[in.timeSrc].Name, row[in.timeSrc])
		}
	}
	b := in.builder()
	if in.charLimit {
		// Check every value before appending any (see fitChar).
		fitted := make([]any, len(row))
		for k, v := range row {
			f, err := fitChar(in.t.Columns[in.target[k]], v)
			if err != nil {
				return err
			}
			fitted[k] = f
		}
		row = fitted
	}
	if in.arrays != nil {
		var err error
		if row, err = in.arrays.parse(in, row); err != nil {
			return err
		}
	}
	for k, v := range row {
		i := in.target[k]
		switch x := v.(type) {
		case string:
			in.bytes += int64(len(x)) + 4
		case []byte:
			in.bytes += int64(len(x)) + 4
		default:
			in.bytes += 8
		}
		if err := appendCopyValue(b.Field(i), in.t.Columns[i], v); err != nil {
			// Keep the builder's columns the same length: the row is
			// rejected and the whole COPY with it.
			return err
		}
	}
	for _, i := range in.absent {
		b.Field(i).AppendNull()
	}
	if err := in.appendDefaults(b); err != nil {
		return err
	}
	return in.rowAppended(ctx)
}

// rowAppended counts a row appended, enforces CopyMaxBytes and writes the
// built rows to the WAL every copyBatchRows rows.
func (in *CopyIn) rowAppended(ctx context.Context) error {
	in.rows++
	in.bytes += int64(8 * len(in.absent))
	if in.bytes > in.limit {
		return &pgerror.Error{Code: pgerror.ProgramLimitExceeded,
			Message: fmt.Sprintf("COPY into %q holds more than %d bytes of rows; one COPY is written atomically and must fit", in.t.Name, in.limit),
			Hint:    "split the input into several COPY statements"}
	}
	in.pending++
	if in.pending >= copyBatchRows {
		return in.finishBatches(ctx)
	}
	return nil
}

// Commit writes the rows not yet in the WAL and the COPY's commit record,
// waits for its fsync and returns the row count.
func (in *CopyIn) Commit(ctx context.Context) (int64, error) {
	if in.done {
		return 0, pgerror.New(pgerror.InternalError, "COPY already finished")
	}
	defer in.Abort()
	if err := in.finishBatches(ctx); err != nil {
		return 0, err
	}
	if in.rows == 0 {
		return 0, nil
	}
	var err error
	if in.txw != nil {
		err = in.txw.stage(in.t, in.parts)
	} else {
		_, err = in.stream.Commit(ctx)
	}
	if err != nil {
		return 0, in.ingestError(err)
	}
	return in.rows, nil
}

// ingestError maps an error of the COPY's stream, or of staging it in a
// transaction block, to its SQLSTATE.
func (in *CopyIn) ingestError(err error) error {
	var pe *pgerror.Error
	switch {
	case errors.As(err, &pe): // the transaction block's limit
		return err
	case errors.Is(err, catalog.ErrNotFound):
		return pgerror.New(pgerror.UndefinedTable, "relation %q was dropped during COPY", in.t.Name)
	case errors.Is(err, ingest.ErrOverloaded):
		return overloadedError(err)
	case errors.Is(err, wal.ErrTooLarge):
		return &pgerror.Error{Code: pgerror.ProgramLimitExceeded,
			Message: fmt.Sprintf("COPY into %q is larger than one WAL record may be", in.t.Name),
			Hint:    "split the input into several COPY statements", Err: err}
	case err != nil:
		return fmt.Errorf("copy into %s: %w", in.t.Name, err)
	}
	return nil
}

// overloadedError turns an ingest.ErrOverloaded into SQLSTATE 53000
// (insufficient_resources: retry later; nothing was written); nil for
// other errors.
func overloadedError(err error) error {
	if !errors.Is(err, ingest.ErrOverloaded) {
		return nil
	}
	return &pgerror.Error{Code: pgerror.InsufficientResources, Message: err.Error(),
		Hint: "nothing was written; retry the statement after a backoff", Err: err}
}

// Abort releases everything the COPY holds; it is idempotent.
func (in *CopyIn) Abort() {
	in.done = true
	if in.stream != nil {
		in.stream.Abort()
	}
	for _, p := range in.parts {
		p.Rec.Release()
	}
	in.parts = nil
	if in.b != nil {
		in.b.Release()
		in.b = nil
	}
}

// appendCopyValue appends one decoded value to the builder of column c,
// checking what the column's type accepts.
func appendCopyValue(b array.Builder, c catalog.Column, v any) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	bad := func() error {
		return pgerror.New(pgerror.DatatypeMismatch, "column %q: unexpected value %T for type %s", c.Name, v, c.Type)
	}
	switch bb := b.(type) {
	case *array.TimestampBuilder:
		t, ok := v.(time.Time)
		if !ok {
			return bad()
		}
		us := t.UnixMicro()
		lo, hi := copyMinDatetime, copyMaxDatetime
		if c.Type == storage.TypeTimestampTZ {
			lo, hi = copyMinTimestampTZ, copyMaxTimestampTZ
		}
		if us < lo || us > hi {
			return pgerror.New(pgerror.DatetimeOverflow, "timestamp out of range: %q (column %q accepts %s .. %s)", t.UTC().Format(time.RFC3339Nano), c.Name,
				time.UnixMicro(lo).UTC().Format(time.RFC3339), time.UnixMicro(hi).UTC().Format(time.RFC3339))
		}
		bb.Append(arrow.Timestamp(us))
	case *array.Date32Builder:
		t, ok := v.(time.Time)
		if !ok {
			return bad()
		}
		if us := t.UnixMicro(); us < copyMinDatetime || us > copyMaxDatetime {
			return pgerror.New(pgerror.DatetimeOverflow, "date out of range: %q", t.UTC().Format("2006-01-02"))
		}
		bb.Append(arrow.Date32FromTime(t))
	case *array.Time64Builder:
		t, ok := v.(pgtypes.TimeOfDay)
		if !ok {
			return bad()
		}
		bb.Append(arrow.Time64(t))
	case *array.StringBuilder:
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		if c.Type == storage.TypeJSONB && !json.Valid([]byte(s)) {
			return pgerror.New(pgerror.InvalidTextRepr, "invalid input syntax for type json")
		}
		bb.Append(s)
	case *array.BinaryBuilder:
		switch x := v.(type) {
		case []byte:
			bb.Append(x)
		case string:
			bb.AppendString(x)
		default:
			return bad()
		}
	case *array.Int16Builder:
		i, ok := v.(int64)
		if !ok || i < math.MinInt16 || i > math.MaxInt16 {
			return bad()
		}
		bb.Append(int16(i))
	case *array.Int32Builder:
		i, ok := v.(int64)
		if !ok || i < math.MinInt32 || i > math.MaxInt32 {
			return bad()
		}
		bb.Append(int32(i))
	case *array.Int64Builder:
		i, ok := v.(int64)
		if !ok {
			return bad()
		}
		bb.Append(i)
	case *array.Float32Builder:
		f, ok := v.(float64)
		if !ok {
			return bad()
		}
		f4, err := narrowFloat8(f)
		if err != nil {
			return pgerror.New(pgerror.NumericOutOfRange, "column %q: %v is out of range for type real", c.Name, f)
		}
		bb.Append(f4)
	case *array.Float64Builder:
		f, ok := v.(float64)
		if !ok {
			return bad()
		}
		bb.Append(f)
	case *array.BooleanBuilder:
		x, ok := v.(bool)
		if !ok {
			return bad()
		}
		bb.Append(x)
	case *array.Decimal128Builder:
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		d, err := decimal.NewFromString(s)
		if err != nil {
			return pgerror.New(pgerror.FeatureNotSupported, "column %q: numeric value %q cannot be stored (NaN and infinity are not supported)", c.Name, s)
		}
		dt := bb.Type().(*arrow.Decimal128Type)
		scaled := d.Shift(dt.Scale).Round(0).BigInt()
		if scaled.CmpAbs(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(dt.Precision)), nil)) >= 0 {
			return &pgerror.Error{Code: pgerror.NumericOutOfRange, Message: "numeric field overflow",
				Detail: fmt.Sprintf("A field with precision %d, scale %d must round to an absolute value less than 10^%d.", dt.Precision, dt.Scale, dt.Precision-dt.Scale)}
		}
		bb.Append(decimal128.FromBigInt(scaled))
	case *array.ListBuilder:
		return appendCopyArray(bb, c, v)
	default:
		return pgerror.New(pgerror.FeatureNotSupported, "column %q: COPY into type %s is not supported", c.Name, c.Type)
	}
	return nil
}
