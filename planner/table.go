package planner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"openwit/ingest"
	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
	"openwit/storage"
	"openwit/storage/catalog"
	"openwit/storage/objstore"
	"openwit/storage/pqfile"
)

// dbName is the go-mysql-server database that holds OpenWit's tables; it
// plays the role of PostgreSQL's `public` schema.
const dbName = "public"

// provider exposes OpenWit's tables (public) and the generated pg_catalog
// to go-mysql-server.
type provider struct {
	db      *database
	catalog *pgCatalogDB
}

var _ sql.DatabaseProvider = (*provider)(nil)

func (p *provider) Database(_ *sql.Context, name string) (sql.Database, error) {
	switch {
	case strings.EqualFold(name, dbName):
		return p.db, nil
	case strings.EqualFold(name, "pg_catalog"):
		return p.catalog, nil
	}
	return nil, sql.ErrDatabaseNotFound.New(name)
}

func (p *provider) HasDatabase(_ *sql.Context, name string) bool {
	return strings.EqualFold(name, dbName) || strings.EqualFold(name, "pg_catalog")
}

func (p *provider) AllDatabases(*sql.Context) []sql.Database { return []sql.Database{p.db, p.catalog} }

// database is the `public` schema: every table in the catalog.
type database struct {
	eng *Engine
}

var _ sql.Database = (*database)(nil)

func (d *database) Name() string { return dbName }

func (d *database) GetTableInsensitive(ctx *sql.Context, name string) (sql.Table, bool, error) {
	t, err := d.eng.tableDef(ctx, name)
	if err != nil {
		// pg_catalog is on every search_path, ahead of public.
		if pt := d.eng.pgCatalogTable(name); pt != nil {
			return pt, true, nil
		}
		return nil, false, nil
	}
	tbl, err := newTable(d.eng, t)
	if err != nil {
		return nil, false, err
	}
	tbl.txw = stagingOf(ctx) // EXPLAIN shows the block's staged rows too
	tbl.withDefaults(ctx)
	return tbl, true, nil
}

func (d *database) GetTableNames(ctx *sql.Context) ([]string, error) {
	ts, err := d.eng.listTables(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.Name
	}
	return names, nil
}

// table adapts an OpenWit table to go-mysql-server: it reads published
// Parquet files and the ingest buffers, and inserts through ingest.
type table struct {
	eng     *Engine
	def     *catalog.Table
	schema  sql.Schema // full schema
	projIdx []int      // projected column indexes; nil = all
	projSch sql.Schema
	// charLimit is set when a column is varchar(n) or char(n): inserted
	// values are checked against the length.
	charLimit bool
	arrays    []int // array columns (planner/arraycols.go)
	// txw are the rows the planning session's transaction block staged
	// (nil: none), for EXPLAIN; scans take them from their context.
	txw *txWrites
}

var (
	_ sql.Table           = (*table)(nil)
	_ sql.ProjectedTable  = (*table)(nil)
	_ sql.InsertableTable = (*table)(nil)
	_ sql.PrimaryKeyTable = (*table)(nil)
)

func newTable(eng *Engine, def *catalog.Table) (*table, error) {
	sch := make(sql.Schema, len(def.Columns))
	for i, c := range def.Columns {
		typ, err := pgtypes.GMSType(c.Type)
		if err != nil {
			return nil, err
		}
		sch[i] = &sql.Column{Name: c.Name, Type: typ, Nullable: !c.NotNull, Source: def.Name, DatabaseSource: dbName}
	}
	return &table{eng: eng, def: def, schema: sch, charLimit: hasCharLimit(def), arrays: arrayColumns(def)}, nil
}

func (t *table) Name() string               { return t.def.Name }
func (t *table) String() string             { return t.def.Name }
func (t *table) Collation() sql.CollationID { return sql.Collation_Default }

func (t *table) Schema() sql.Schema {
	if t.projSch != nil {
		return t.projSch
	}
	return t.schema
}

func (t *table) PrimaryKeySchema() sql.PrimaryKeySchema { return sql.NewPrimaryKeySchema(t.schema) }

func (t *table) WithProjections(cols []string) sql.Table {
	nt := *t
	nt.projIdx, nt.projSch = []int{}, sql.Schema{}
	for _, c := range cols {
		for i, col := range t.schema {
			if strings.EqualFold(col.Name, c) {
				nt.projIdx = append(nt.projIdx, i)
				nt.projSch = append(nt.projSch, col)
			}
		}
	}
	return &nt
}

func (t *table) Projections() []string {
	if t.projIdx == nil {
		return nil
	}
	out := make([]string, len(t.projIdx))
	for i, idx := range t.projIdx {
		out[i] = t.schema[idx].Name
	}
	return out
}

func (t *table) columns() []int {
	if t.projIdx != nil {
		return t.projIdx
	}
	all := make([]int, len(t.schema))
	for i := range all {
		all[i] = i
	}
	return all
}

// partition is one published file, or the buffered rows (file == nil).
type partition struct {
	key     []byte
	file    *catalog.File
	batches []arrow.RecordBatch
}

func (p *partition) Key() []byte { return p.key }

type partitionIter struct {
	parts []*partition
	i     int
}

func (it *partitionIter) Next(*sql.Context) (sql.Partition, error) {
	if it.i >= len(it.parts) {
		return nil, io.EOF
	}
	it.i++
	return it.parts[it.i-1], nil
}
func (it *partitionIter) Close(*sql.Context) error { return nil }

func (t *table) Partitions(ctx *sql.Context) (sql.PartitionIter, error) {
	snap, err := t.eng.snapshot(ctx, t.def.ID)
	if err != nil {
		return nil, pgerror.New(pgerror.UndefinedTable, "relation %q does not exist", t.def.Name)
	}
	parts := make([]*partition, 0, len(snap.Files)+1)
	for _, f := range snap.Files {
		parts = append(parts, &partition{key: []byte(f.ID), file: f})
	}
	if len(snap.Batches) > 0 {
		// The snapshot's references are handed to the partition; buffers are
		// Go-allocated, so a partition that is never read costs nothing.
		parts = append(parts, &partition{key: []byte("buffer"), batches: snap.Batches})
	}
	return &partitionIter{parts: parts}, nil
}

func (t *table) PartitionRows(ctx *sql.Context, p sql.Partition) (sql.RowIter, error) {
	part := p.(*partition)
	cols := t.columns()
	if part.file == nil {
		return &batchRowIter{t: t, cols: cols, batches: part.batches}, nil
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = fieldOf(t.def, t.schema[c].Name)
	}
	if len(names) == 0 {
		// count(*) and friends project no column; read the narrowest one
		// just to know how many rows there are.
		names = []string{fieldOf(t.def, t.schema[0].Name)}
	}
	// Through the bucket's file capability, so that a read cache serves it.
	f, err := objstore.OpenObject(ctx, t.eng.cfg.Bucket, part.file.Path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", part.file.Path, err)
	}
	rd, err := pqfile.NewReader(f, f.Size(), memory.DefaultAllocator)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("read %s: %w", part.file.Path, err)
	}
	// Columns added after the file was written read as NULL.
	read, absent := rd.Absent(names)
	var fill *arrow.Schema
	if absent != nil {
		fields := make([]arrow.Field, len(names))
		for i, n := range names {
			fields[i] = t.arrowField(n)
		}
		fill = arrow.NewSchema(fields, nil)
		if len(read) == 0 { // read one column for the row counts
			read = []string{rd.Schema().Field(0).Name}
		}
	}
	rr, err := rd.Read(ctx, read, nil, 64*1024)
	if err != nil {
		rd.Close()
		f.Close()
		return nil, fmt.Errorf("read %s: %w", part.file.Path, err)
	}
	return &fileRowIter{batchRowIter: batchRowIter{t: t, cols: cols, identity: true}, rd: rd, rr: rr, file: f, absent: absent, fill: fill}, nil
}

// arrowField is the Arrow field of the table's column data name (fieldOf).
func (t *table) arrowField(name string) arrow.Field {
	s, err := t.eng.arrowSchema(t.def)
	if err == nil {
		if i := s.FieldIndices(name); len(i) > 0 {
			return s.Field(i[0])
		}
	}
	return arrow.Field{Name: name, Type: arrow.Null, Nullable: true}
}

// batchRowIter turns Arrow batches into go-mysql-server rows.
type batchRowIter struct {
	t        *table
	cols     []int // schema column index for each output column
	identity bool  // batch columns are already projected in output order
	batches  []arrow.RecordBatch
	cur      arrow.RecordBatch
	row      int
}

func (it *batchRowIter) Next(ctx *sql.Context) (sql.Row, error) {
	for it.cur == nil || it.row >= int(it.cur.NumRows()) {
		if len(it.batches) == 0 {
			return nil, io.EOF
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		it.cur, it.batches, it.row = it.batches[0], it.batches[1:], 0
	}
	row := make(sql.Row, len(it.cols))
	for i, c := range it.cols {
		src := c
		if it.identity {
			src = i
		}
		v, err := arrowValue(ctx, it.cur.Column(src), it.row, it.t.schema[c].Type)
		if err != nil {
			return nil, err
		}
		row[i] = v
	}
	it.row++
	return row, nil
}

func (it *batchRowIter) Close(*sql.Context) error { return nil }

type fileRowIter struct {
	batchRowIter
	rd     *pqfile.Reader
	rr     *pqfile.RecordReader
	file   io.Closer
	absent []bool        // columns the file lacks (NULL); nil: none
	fill   *arrow.Schema // the output schema when absent is set
	own    arrow.RecordBatch
}

func (it *fileRowIter) Next(ctx *sql.Context) (sql.Row, error) {
	for it.cur == nil || it.row >= int(it.cur.NumRows()) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !it.rr.Next() {
			if err := it.rr.Err(); err != nil {
				return nil, err
			}
			return nil, io.EOF
		}
		it.cur, it.row = it.rr.RecordBatch(), 0
		if it.absent != nil {
			if it.own != nil {
				it.own.Release()
			}
			it.own = pqfile.FillAbsent(memory.DefaultAllocator, it.cur, it.fill, it.absent)
			it.cur = it.own
		}
	}
	return it.batchRowIter.Next(ctx)
}

func (it *fileRowIter) Close(*sql.Context) error {
	if it.own != nil {
		it.own.Release()
		it.own = nil
	}
	it.rr.Release()
	err := it.rd.Close()
	if cerr := it.file.Close(); err == nil {
		err = cerr
	}
	return err
}

// arrowValue converts one Arrow value to go-mysql-server's representation
// for type typ.
func arrowValue(ctx *sql.Context, col arrow.Array, i int, typ sql.Type) (any, error) {
	if col.IsNull(i) {
		return nil, nil
	}
	switch a := col.(type) {
	case *array.Timestamp:
		return time.UnixMicro(int64(a.Value(i))).UTC(), nil
	case *array.Date32:
		return a.Value(i).ToTime().UTC(), nil
	case *array.Time64:
		return pgtypes.TimeOfDay(a.Value(i)), nil
	case *array.List:
		if _, ok := typ.(pgtypes.ArrayType); ok {
			return listText(ctx, a, i)
		}
	case *array.String:
		s := a.Value(i)
		if typ == types.JSON {
			return pgexpr.ParseStoredJSONB(s)
		}
		if isInet, cidr := pgtypes.IsInet(typ); isInet {
			return storage.ParseInet(s, cidr)
		}
		return strings.Clone(s), nil
	case *array.Binary:
		return append([]byte(nil), a.Value(i)...), nil
	case *array.Int16:
		return a.Value(i), nil
	case *array.Int32:
		return a.Value(i), nil
	case *array.Int64:
		return a.Value(i), nil
	case *array.Float32:
		return a.Value(i), nil
	case *array.Float64:
		return a.Value(i), nil
	case *array.Boolean:
		if a.Value(i) {
			return int8(1), nil
		}
		return int8(0), nil
	case *array.Decimal128:
		dt := a.DataType().(*arrow.Decimal128Type)
		d := decimal.NewFromBigInt(a.Value(i).BigInt(), -dt.Scale)
		if dt.Precision == storage.DefaultNumericPrecision && dt.Scale == storage.DefaultNumericScale {
			// Unconstrained numeric is stored at a fixed scale; show the
			// significant digits, not the storage scale.
			d = trimZeros(d)
		}
		return d, nil
	case *array.Decimal256:
		// sum over a numeric column (exec.SumDecimalType), at its scale.
		dt := a.DataType().(*arrow.Decimal256Type)
		return decimal.NewFromBigInt(a.Value(i).BigInt(), -dt.Scale), nil
	}
	return nil, fmt.Errorf("unsupported arrow type %s", col.DataType())
}

// appendValue appends a go-mysql-server value to an Arrow builder.
func appendValue(b array.Builder, v any) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	switch bb := b.(type) {
	case *array.TimestampBuilder:
		t, ok := v.(time.Time)
		if !ok {
			return fmt.Errorf("expected a timestamp, got %T", v)
		}
		bb.Append(arrow.Timestamp(t.UnixMicro()))
	case *array.Date32Builder:
		t, ok := v.(time.Time)
		if !ok {
			return fmt.Errorf("expected a date, got %T", v)
		}
		bb.Append(arrow.Date32FromTime(t))
	case *array.Time64Builder:
		t, ok := v.(pgtypes.TimeOfDay)
		if !ok {
			return fmt.Errorf("expected a time, got %T", v)
		}
		bb.Append(arrow.Time64(t))
	case *array.ListBuilder:
		elem, err := arrayElemType(bb.Type())
		if err != nil {
			return err
		}
		return appendList(bb, elem, v)
	case *array.StringBuilder:
		switch x := v.(type) {
		case string:
			bb.Append(x)
		case []byte:
			bb.Append(string(x))
		case pgexpr.JSONB:
			bb.Append(x.String())
		case storage.Inet:
			bb.Append(x.String())
		case sql.JSONWrapper:
			s, err := types.JsonToMySqlString(x)
			if err != nil {
				return err
			}
			bb.Append(s)
		default:
			bb.Append(fmt.Sprint(x))
		}
	case *array.BinaryBuilder:
		switch x := v.(type) {
		case []byte:
			bb.Append(pgexpr.ByteaInput(x))
		case string:
			bb.Append(pgexpr.ByteaInput([]byte(x)))
		default:
			return fmt.Errorf("expected bytes, got %T", v)
		}
	case *array.Int16Builder:
		i, err := toInt(v)
		bb.Append(int16(i))
		return err
	case *array.Int32Builder:
		i, err := toInt(v)
		bb.Append(int32(i))
		return err
	case *array.Int64Builder:
		i, err := toInt(v)
		bb.Append(i)
		return err
	case *array.Float32Builder:
		switch x := v.(type) {
		case float32:
			bb.Append(x)
		case float64:
			bb.Append(float32(x))
		default:
			return fmt.Errorf("expected a float, got %T", v)
		}
	case *array.Float64Builder:
		switch x := v.(type) {
		case float64:
			bb.Append(x)
		case float32:
			bb.Append(float64(x))
		default:
			return fmt.Errorf("expected a float, got %T", v)
		}
	case *array.BooleanBuilder:
		switch x := v.(type) {
		case bool:
			bb.Append(x)
		default:
			i, err := toInt(v)
			bb.Append(i != 0)
			return err
		}
	case *array.Decimal128Builder:
		if pgtypes.IsNumericNaN(v) {
			return pgexpr.ErrStoreNumericNaN()
		}
		d, ok := v.(decimal.Decimal)
		if !ok {
			return fmt.Errorf("expected a decimal, got %T", v)
		}
		dt := bb.Type().(*arrow.Decimal128Type)
		scaled := d.Shift(dt.Scale).Round(0).BigInt()
		bb.Append(decimal128.FromBigInt(scaled))
	default:
		return fmt.Errorf("unsupported builder %T", b)
	}
	return nil
}

func toInt(v any) (int64, error) {
	if i, ok := pgtypes.Int64(v); ok {
		return i, nil
	}
	return 0, fmt.Errorf("expected an integer, got %T", v)
}

// trimZeros drops trailing fractional zeros (2.5000 → 2.5).
func trimZeros(d decimal.Decimal) decimal.Decimal {
	for d.Exponent() < 0 {
		c := d.Coefficient()
		if new(big.Int).Mod(c, big.NewInt(10)).Sign() != 0 {
			break
		}
		d = decimal.NewFromBigInt(c.Div(c, big.NewInt(10)), d.Exponent()+1)
	}
	return d
}

// inserter collects a statement's rows, splits them by time shard and hands
// them to ingest when the statement completes. Nothing is written before
// that: a failed statement leaves no trace.
type inserter struct {
	t        *table
	checks   *insertChecks // WITH CHECK OPTION of a write through views
	timeIdx  int
	builders map[int64]*array.RecordBuilder
	shards   []int64
	rows     int
}

func (t *table) Inserter(ctx *sql.Context) sql.RowInserter {
	idx := -1
	for i, c := range t.def.Columns {
		if c.Name == t.def.TimeColumn {
			idx = i
		}
	}
	in := &inserter{t: t, timeIdx: idx, builders: map[int64]*array.RecordBuilder{}, checks: insertChecksFor(ctx, t.def.ID)}
	registerReturning(ctx, in)
	return in
}

func (in *inserter) StatementBegin(*sql.Context) {}

func (in *inserter) Insert(ctx *sql.Context, row sql.Row) error {
	for i, c := range in.t.def.Columns {
		if c.NotNull && row[i] == nil {
			return pgerror.New(pgerror.NotNullViolation, "null value in column %q of relation %q violates not-null constraint", c.Name, in.t.def.Name)
		}
	}
	var shard int64
	if in.timeIdx >= 0 {
		ts, ok := row[in.timeIdx].(time.Time)
		if !ok {
			return pgerror.New(pgerror.NotNullViolation, "null value in column %q of relation %q violates not-null constraint (the time column)", in.t.def.TimeColumn, in.t.def.Name)
		}
		shard = ingest.ShardOf(in.t.def, ts.UnixMicro())
	}
	b := in.builders[shard]
	if b == nil {
		schema, err := in.t.eng.arrowSchema(in.t.def)
		if err != nil {
			return err
		}
		b = array.NewRecordBuilder(memory.DefaultAllocator, schema)
		in.builders[shard] = b
		in.shards = append(in.shards, shard)
	}
	if in.t.charLimit {
		// Check every value before appending any: a rejected row leaves
		// the builders' columns the same length.
		row = row.Copy()
		for i, c := range in.t.def.Columns {
			v, err := fitChar(c, row[i])
			if err != nil {
				return err
			}
			row[i] = v
		}
	}
	if len(in.t.arrays) > 0 {
		var err error
		if row, err = in.t.arrayValues(ctx, row); err != nil {
			return err
		}
	}
	if err := in.checks.check(ctx, row, in.t.schema); err != nil {
		return err
	}
	for i, v := range row {
		if err := appendValue(b.Field(i), v); err != nil {
			return pgerror.New(pgerror.DatatypeMismatch, "column %q: %v", in.t.def.Columns[i].Name, err)
		}
	}
	in.rows++
	return nil
}

func (in *inserter) DiscardChanges(*sql.Context, error) error {
	in.release()
	return nil
}

func (in *inserter) StatementComplete(ctx *sql.Context) error {
	defer in.release()
	if in.rows == 0 {
		return nil
	}
	parts := make([]ingest.Part, 0, len(in.shards))
	for _, s := range in.shards {
		rec := in.builders[s].NewRecordBatch()
		defer rec.Release()
		parts = append(parts, ingest.Part{Shard: s, Rec: rec})
	}
	if err := in.t.eng.writeRows(ctx, in.t.def, parts); err != nil {
		var pe *pgerror.Error
		if errors.As(err, &pe) { // the block's limit
			return err
		}
		if oerr := overloadedError(err); oerr != nil {
			return oerr
		}
		return fmt.Errorf("insert into %s: %w", in.t.def.Name, err)
	}
	return nil
}

func (in *inserter) release() {
	for _, b := range in.builders {
		b.Release()
	}
	in.builders = map[int64]*array.RecordBuilder{}
	in.shards, in.rows = nil, 0
}

func (in *inserter) Close(*sql.Context) error { return nil }

var _ context.Context = (*sql.Context)(nil)
