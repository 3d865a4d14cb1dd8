package pgwire

import (
	"bytes"
	"context"
	"io"
	"math"
	"net"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5/pgtype"

	"openwit/internal/pgerror"
)

// recordTestRows serves the same Arrow batches either as RecordRows or,
// when rowsOnly, through Next with the values RecordRows' contract names.
type recordTestRows struct {
	recs     []arrow.RecordBatch
	rowsOnly bool
	schema   *arrow.Schema
	b, i     int
	nexts    int // NextRecord calls
	row      []any
}

func (r *recordTestRows) RecordSchema() *arrow.Schema {
	if r.rowsOnly {
		return nil
	}
	return r.schema
}

func (r *recordTestRows) NextRecord(context.Context) (arrow.RecordBatch, error) {
	r.nexts++
	if r.b >= len(r.recs) {
		return nil, io.EOF
	}
	rec := r.recs[r.b]
	r.b++
	rec.Retain()
	return rec, nil
}

func (r *recordTestRows) Next(context.Context) ([]any, error) {
	for r.b < len(r.recs) && r.i >= int(r.recs[r.b].NumRows()) {
		r.b, r.i = r.b+1, 0
	}
	if r.b >= len(r.recs) {
		return nil, io.EOF
	}
	rec := r.recs[r.b]
	r.row = r.row[:0]
	for _, col := range rec.Columns() {
		r.row = append(r.row, plainArrowValue(col, r.i))
	}
	r.i++
	return r.row, nil
}

func (r *recordTestRows) Tag() string  { return "" }
func (r *recordTestRows) Close() error { return nil }

// plainArrowValue is the value RecordRows' contract names for row i.
func plainArrowValue(col arrow.Array, i int) any {
	if col.IsNull(i) {
		return nil
	}
	switch a := col.(type) {
	case *array.Int16:
		return int64(a.Value(i))
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Int64:
		return a.Value(i)
	case *array.Float32:
		return a.Value(i)
	case *array.Float64:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	case *array.Boolean:
		return a.Value(i)
	case *array.Timestamp:
		return time.UnixMicro(int64(a.Value(i))).UTC()
	case *array.Date32:
		return a.Value(i).ToTime().UTC()
	}
	panic("unexpected column type " + col.DataType().String())
}

// recordTestBatches builds two batches of every Arrow type RecordRows
// names, with nulls, extremes and infinite times, and the result columns
// that describe them.
func recordTestBatches(t *testing.T) ([]Column, *arrow.Schema, []arrow.RecordBatch) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	ts := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	cols := []Column{
		{Name: "i2", TypeOID: pgtype.Int2OID}, {Name: "i4", TypeOID: pgtype.Int4OID}, {Name: "i8", TypeOID: pgtype.Int8OID},
		{Name: "i8as4", TypeOID: pgtype.Int4OID}, {Name: "f4", TypeOID: pgtype.Float4OID}, {Name: "f8", TypeOID: pgtype.Float8OID},
		{Name: "f8num", TypeOID: pgtype.NumericOID}, {Name: "t", TypeOID: pgtype.TextOID}, {Name: "vc", TypeOID: pgtype.VarcharOID},
		{Name: "js", TypeOID: pgtype.JSONOID}, {Name: "by", TypeOID: pgtype.ByteaOID}, {Name: "b", TypeOID: pgtype.BoolOID},
		{Name: "tstz", TypeOID: pgtype.TimestamptzOID}, {Name: "ts", TypeOID: pgtype.TimestampOID}, {Name: "d", TypeOID: pgtype.DateOID},
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i2", Type: arrow.PrimitiveTypes.Int16, Nullable: true}, {Name: "i4", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "i8", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, {Name: "i8as4", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "f4", Type: arrow.PrimitiveTypes.Float32, Nullable: true}, {Name: "f8", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "f8num", Type: arrow.PrimitiveTypes.Float64, Nullable: true}, {Name: "t", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "vc", Type: arrow.BinaryTypes.String, Nullable: true}, {Name: "js", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "by", Type: arrow.BinaryTypes.String, Nullable: true}, {Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "tstz", Type: ts, Nullable: true}, {Name: "ts", Type: ts, Nullable: true},
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	}, nil)
	day := func(y int, m time.Month, d int) arrow.Date32 {
		return arrow.Date32FromTime(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
	}
	var recs []arrow.RecordBatch
	for n := range 2 {
		b := array.NewRecordBuilder(mem, schema)
		for row := range 5 + n {
			if row == 2 { // a row of NULLs
				for _, f := range b.Fields() {
					f.AppendNull()
				}
				continue
			}
			k := int64(row + 10*n)
			b.Field(0).(*array.Int16Builder).Append([]int16{-32768, 7, 0, 32767, -1, 12}[row])
			b.Field(1).(*array.Int32Builder).Append(int32(k*100003 - 250000))
			b.Field(2).(*array.Int64Builder).Append([]int64{math.MinInt64, 1 << 40, 0, math.MaxInt64, -5, 99}[row])
			b.Field(3).(*array.Int64Builder).Append(k - 3)
			b.Field(4).(*array.Float32Builder).Append([]float32{1.1, float32(math.Inf(-1)), 0, float32(math.NaN()), 3.4e38, -0.0}[row])
			b.Field(5).(*array.Float64Builder).Append([]float64{0.1, 1e300, 0, math.Inf(1), -123.456e-7, 2.5}[row])
			b.Field(6).(*array.Float64Builder).Append(float64(k) / 3)
			b.Field(7).(*array.StringBuilder).Append([]string{"hé", "", "x", "multi\nline\ttext", "'q'", "z"}[row])
			b.Field(8).(*array.StringBuilder).Append("v" + string(rune('a'+row)))
			b.Field(9).(*array.StringBuilder).Append(`{"a": 1}`)
			b.Field(10).(*array.StringBuilder).Append("\x00\xffb")
			b.Field(11).(*array.BooleanBuilder).Append(row%2 == 0)
			tsv := []int64{1709288430123456, math.MaxInt64, 0, math.MinInt64, -1, 946684800000001}[row]
			b.Field(12).(*array.TimestampBuilder).Append(arrow.Timestamp(tsv))
			b.Field(13).(*array.TimestampBuilder).Append(arrow.Timestamp(tsv))
			b.Field(14).(*array.Date32Builder).Append([]arrow.Date32{day(2024, 2, 29), day(1, 1, 1), 0, day(1999, 12, 31), -1, day(2000, 1, 1)}[row])
		}
		recs = append(recs, b.NewRecordBatch())
		b.Release()
	}
	t.Cleanup(func() {
		for _, r := range recs {
			r.Release()
		}
	})
	return cols, schema, recs
}

// TestRecordRowsMatchNext: DataRows encoded from Arrow batches are the
// bytes the row path sends for the same values, in text and binary, in
// other time zones and float settings, across portal suspensions.
func TestRecordRowsMatchNext(t *testing.T) {
	cols, schema, recs := recordTestBatches(t)
	run := func(t *testing.T, rowsOnly bool, format int16, maxRows uint32, settings map[string]string) ([]byte, int) {
		b := newTestBackend()
		srv, err := NewServer(Config{Backend: b, Trust: true})
		if err != nil {
			t.Fatal(err)
		}
		client, server := net.Pipe()
		defer client.Close()
		defer server.Close()
		c := newConn(srv, context.Background(), server)
		var out bytes.Buffer
		c.w.w = &out
		sess := &testSession{b: b, settings: defaultSettings()}
		for k, v := range settings {
			sess.settings[k] = v
		}
		c.sess, c.reported = sess, map[string]string{}
		c.reportChangedParams()
		rows := &recordTestRows{recs: recs, rowsOnly: rowsOnly, schema: schema}
		st := &testStmt{cols: cols, exec: func(context.Context, []any) (Rows, error) { return rows, nil }}
		ps, err := c.newPrepared("", "q", st, nil)
		if err != nil {
			t.Fatal(err)
		}
		formats := make([]int16, len(cols))
		for i := range formats {
			formats[i] = format
		}
		p := c.newPortal("", ps, nil, formats)
		for i := 0; ; i++ {
			err := c.runPortal(p, maxRows)
			if err != nil {
				// The row path's errors must be the record path's too.
				out.WriteString("error: " + err.Error())
				break
			}
			if p.state == portalDone {
				break
			}
			if i > 100 {
				t.Fatal("portal never finished")
			}
		}
		c.release(p)
		if err := c.w.flush(); err != nil {
			t.Fatal(err)
		}
		return out.Bytes(), rows.nexts
	}
	for _, tc := range []struct {
		name     string
		format   int16
		maxRows  uint32
		settings map[string]string
	}{
		{"text", formatText, 0, nil},
		{"binary", formatBinary, 0, nil},
		{"text suspended", formatText, 3, nil},
		{"binary suspended", formatBinary, 4, nil},
		{"text Asia/Kolkata, extra_float_digits 0", formatText, 0,
			map[string]string{"TimeZone": "Asia/Kolkata", "extra_float_digits": "0"}},
		{"text America/St_Johns, extra_float_digits -3", formatText, 2,
			map[string]string{"TimeZone": "America/St_Johns", "extra_float_digits": "-3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, n := run(t, true, tc.format, tc.maxRows, tc.settings)
			if n != 0 {
				t.Fatalf("the row path read %d batches", n)
			}
			got, n := run(t, false, tc.format, tc.maxRows, tc.settings)
			if n == 0 {
				t.Fatal("the record path was not taken")
			}
			if tc.maxRows == 0 && !bytes.Contains(want, []byte("SELECT 11\x00")) {
				t.Fatalf("the row path did not send 11 rows: %q", want)
			}
			if tc.maxRows > 0 && bytes.Count(want, []byte("s\x00\x00\x00\x04")) != 10/int(tc.maxRows) {
				t.Fatalf("the row path was not suspended %d times: %q", 10/tc.maxRows, want)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("record path:\n%q\nrow path:\n%q", got, want)
			}
		})
	}
}

// TestRecordRowsFallBack: a schema with a column type RecordRows does
// not name, or a batch whose types differ from the schema, never sends
// wrong bytes.
func TestRecordRowsFallBack(t *testing.T) {
	cols, schema, recs := recordTestBatches(t)
	var e encoder
	e.setTimeZone("UTC")
	var cur arrow.RecordBatch
	if enc := e.recordEncoders(schema, cols, make([]int16, len(cols)), &cur); enc == nil {
		t.Fatal("the test schema is not encodable")
	}
	dec := arrow.NewSchema([]arrow.Field{{Name: "x", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}}}, nil)
	if enc := e.recordEncoders(dec, []Column{{Name: "x", TypeOID: pgtype.NumericOID}}, []int16{0}, &cur); enc != nil {
		t.Error("a decimal column got a record encoder")
	}
	ns := arrow.NewSchema([]arrow.Field{{Name: "x", Type: &arrow.TimestampType{Unit: arrow.Nanosecond}}}, nil)
	if enc := e.recordEncoders(ns, []Column{{Name: "x", TypeOID: pgtype.TimestamptzOID}}, []int16{0}, &cur); enc != nil {
		t.Error("a nanosecond timestamp column got a record encoder")
	}
	if enc := e.recordEncoders(schema, cols[1:], make([]int16, len(cols)-1), &cur); enc != nil {
		t.Error("a schema of another width got record encoders")
	}

	// A batch of other types than the schema promised: an error, no row.
	srv, err := NewServer(Config{Backend: newTestBackend(), Trust: true})
	if err != nil {
		t.Fatal(err)
	}
	client, server := net.Pipe()
	defer client.Close()
	defer server.Close()
	c := newConn(srv, context.Background(), server)
	var out bytes.Buffer
	c.w.w = &out
	c.sess, c.reported = &testSession{b: newTestBackend(), settings: defaultSettings()}, map[string]string{}
	c.enc.setTimeZone("UTC")
	other := arrow.NewSchema(append([]arrow.Field{{Name: "i2", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, schema.Fields()[1:]...), nil)
	rows := &recordTestRows{recs: recs, schema: other}
	cols[0].TypeOID = pgtype.Int8OID
	st := &testStmt{cols: cols, exec: func(context.Context, []any) (Rows, error) { return rows, nil }}
	ps, err := c.newPrepared("", "q", st, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := c.newPortal("", ps, nil, nil)
	if err := c.runPortal(p, 0); err == nil || pgerror.Code(err) != pgerror.InternalError {
		t.Errorf("mismatched batch: %v, want XX000", err)
	}
	c.release(p)
	_ = c.w.flush()
	if bytes.Contains(out.Bytes(), []byte{'D'}) {
		t.Errorf("rows sent for a mismatched batch: %q", out.Bytes())
	}
}
