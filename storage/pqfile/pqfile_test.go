package pqfile_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"openwit/storage/objstore"
	"openwit/storage/pqfile"
)

func TestRoundTrip(t *testing.T) {
	all := typedColumns()
	type tc struct {
		name string
		cols []column
	}
	var tests []tc
	for _, c := range all {
		tests = append(tests, tc{c.arrowName(), []column{c}})
	}
	tests = append(tests, tc{"all types", all})
	for _, tt := range tests {
		for _, comp := range []pqfile.Compression{pqfile.CompressionZstd, pqfile.CompressionSnappy, pqfile.CompressionNone, pqfile.CompressionLZ4Raw} {
			t.Run(tt.name+"/"+comp.String(), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)

				schema := schemaOf(tt.cols)
				batches := buildBatches(t, mem, schema, tt.cols, 1000, 300)
				defer release(batches)
				data := writeFile(t, schema, batches, pqfile.WriterOptions{Compression: comp, Allocator: mem, RowGroupRows: 400})

				r := openReader(t, data, mem)
				assertSchema(t, r.Schema(), schema)
				if r.NumRows() != 1000 || r.NumRowGroups() != 3 {
					t.Errorf("file has %d rows in %d row groups, want 1000 in 3", r.NumRows(), r.NumRowGroups())
				}
				gotSchema, got := readAll(t, r, nil, nil, 256)
				defer release(got)
				assertSchema(t, gotSchema, schema)
				gotAll := concat(t, mem, gotSchema, got)
				defer gotAll.Release()
				wantAll := concat(t, mem, schema, batches)
				defer wantAll.Release()
				assertBatchEqual(t, gotAll, wantAll)
			})
		}
	}
}

func (c column) arrowName() string { return c.typ.String() }

func TestRoundTripRequiredColumns(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "ts", Type: arrow.FixedWidthTypes.Timestamp_us, Nullable: false},
		{Name: "msg", Type: arrow.BinaryTypes.String, Nullable: false},
	}, nil)
	rb := array.NewRecordBuilder(mem, schema)
	defer rb.Release()
	rb.Field(0).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{3, 1, 2}, nil)
	rb.Field(1).(*array.StringBuilder).AppendValues([]string{"c", "a", "b"}, nil)
	batch := rb.NewRecordBatch()
	defer batch.Release()

	data := writeFile(t, schema, []arrow.RecordBatch{batch}, pqfile.WriterOptions{Allocator: mem})
	r := openReader(t, data, mem)
	assertSchema(t, r.Schema(), schema)
	_, got := readAll(t, r, nil, nil, 10)
	defer release(got)
	if len(got) != 1 {
		t.Fatalf("%d batches, want 1", len(got))
	}
	assertBatchEqual(t, got[0], batch)
}

func TestEmptyFile(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cols := typedColumns()
	schema := schemaOf(cols)
	empty := buildBatch(t, mem, schema, cols, 0, 0)
	defer empty.Release()
	for _, batches := range [][]arrow.RecordBatch{nil, {empty}} {
		data := writeFile(t, schema, batches, pqfile.WriterOptions{Allocator: mem})
		r := openReader(t, data, mem)
		assertSchema(t, r.Schema(), schema)
		if r.NumRows() != 0 || r.NumRowGroups() != 0 {
			t.Errorf("empty file has %d rows, %d row groups", r.NumRows(), r.NumRowGroups())
		}
		_, got := readAll(t, r, []string{"str"}, nil, 10)
		release(got)
		if len(got) != 0 {
			t.Errorf("read %d batches from an empty file", len(got))
		}
	}
}

func TestProjection(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cols := typedColumns()
	schema := schemaOf(cols)
	batches := buildBatches(t, mem, schema, cols, 500, 500)
	defer release(batches)
	data := writeFile(t, schema, batches, pqfile.WriterOptions{Allocator: mem})
	r := openReader(t, data, mem)

	tests := []struct {
		name    string
		columns []string
	}{
		{"one", []string{"str"}},
		{"reordered", []string{"f64", "str", "ts_utc"}},
		{"reverse of all", reversedNames(schema)},
		{"decimal and date", []string{"dec", "date"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotSchema, got := readAll(t, r, tt.columns, nil, 128)
			defer release(got)
			if names := fieldNames(gotSchema); !slices.Equal(names, tt.columns) {
				t.Fatalf("batch columns = %v, want %v", names, tt.columns)
			}
			gotAll := concat(t, mem, gotSchema, got)
			defer gotAll.Release()
			// Expected: the same columns picked from the written batch.
			var wantCols []arrow.Array
			var wantFields []arrow.Field
			for _, name := range tt.columns {
				i := schema.FieldIndices(name)[0]
				wantCols = append(wantCols, batches[0].Column(i))
				wantFields = append(wantFields, schema.Field(i))
			}
			want := array.NewRecordBatch(arrow.NewSchema(wantFields, nil), wantCols, batches[0].NumRows())
			defer want.Release()
			assertSchema(t, gotSchema, want.Schema())
			assertBatchEqual(t, gotAll, want)
		})
	}

	errTests := []struct {
		name    string
		columns []string
		want    string
	}{
		{"unknown", []string{"str", "nope"}, `no column "nope"`},
		{"duplicate", []string{"str", "str"}, "requested twice"},
		{"empty", []string{}, "no columns"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			rr, err := r.Read(t.Context(), tt.columns, nil, 10)
			if err == nil {
				rr.Release()
				t.Fatal("Read succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Read error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func reversedNames(s *arrow.Schema) []string {
	names := fieldNames(s)
	slices.Reverse(names)
	return names
}

func fieldNames(s *arrow.Schema) []string {
	var names []string
	for _, f := range s.Fields() {
		names = append(names, f.Name)
	}
	return names
}

func TestRowGroups(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cols := typedColumns()
	schema := schemaOf(cols)
	// Batches of 64 rows fill row groups of 100 across batch boundaries.
	batches := buildBatches(t, mem, schema, cols, 1050, 64)
	defer release(batches)
	data := writeFile(t, schema, batches, pqfile.WriterOptions{Allocator: mem, RowGroupRows: 100})
	r := openReader(t, data, mem)
	if r.NumRowGroups() != 11 {
		t.Fatalf("NumRowGroups = %d, want 11", r.NumRowGroups())
	}
	for rg := range 11 {
		want := int64(100)
		if rg == 10 {
			want = 50
		}
		if got := r.RowGroupRows(rg); got != want {
			t.Errorf("row group %d has %d rows, want %d", rg, got, want)
		}
	}
	if r.RowGroupRows(11) != -1 || r.RowGroupRows(-1) != -1 {
		t.Error("RowGroupRows of a missing row group is not -1")
	}
	all := concat(t, mem, schema, batches)
	defer all.Release()

	tests := []struct {
		name      string
		rowGroups []int
		batchRows int64
	}{
		{"one", []int{4}, 1000},
		{"out of order", []int{3, 0, 10}, 30},
		{"all explicitly", []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 77},
		{"single rows", []int{10}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotSchema, got := readAll(t, r, nil, tt.rowGroups, tt.batchRows)
			defer release(got)
			gotAll := concat(t, mem, gotSchema, got)
			defer gotAll.Release()
			var parts []arrow.RecordBatch
			for _, rg := range tt.rowGroups {
				from := int64(rg * 100)
				parts = append(parts, all.NewSlice(from, min(from+100, all.NumRows())))
			}
			want := concat(t, mem, schema, parts)
			defer want.Release()
			release(parts)
			assertBatchEqual(t, gotAll, want)
		})
	}
	t.Run("none", func(t *testing.T) {
		gotSchema, got := readAll(t, r, []string{"i64", "str"}, []int{}, 10)
		release(got)
		if len(got) != 0 {
			t.Errorf("read %d batches from no row groups", len(got))
		}
		if names := fieldNames(gotSchema); !slices.Equal(names, []string{"i64", "str"}) {
			t.Errorf("schema of an empty read = %v", names)
		}
	})
	for _, bad := range [][]int{{11}, {-1}, {0, 12}} {
		if rr, err := r.Read(t.Context(), nil, bad, 10); err == nil {
			rr.Release()
			t.Errorf("Read of row groups %v succeeded", bad)
		}
	}
	if rr, err := r.Read(t.Context(), nil, nil, 0); err == nil {
		rr.Release()
		t.Error("Read with batchRows 0 succeeded")
	}
}

func TestStats(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i64", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "ts", Type: arrow.FixedWidthTypes.Timestamp_us, Nullable: true},
		{Name: "str", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "i16", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
		{Name: "bool", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "date", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "bin", Type: arrow.BinaryTypes.Binary, Nullable: true},
		{Name: "dec", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
		{Name: "long", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	// Row group 0: rows 0-3, row group 1: rows 4-7 (all nulls but i64).
	rb := array.NewRecordBuilder(mem, schema)
	defer rb.Release()
	valid := []bool{true, false, true, true, false, false, false, false}
	rb.Field(0).(*array.Int64Builder).AppendValues([]int64{5, 0, -3, 9, 100, 200, -100, 0}, []bool{true, false, true, true, true, true, true, false})
	rb.Field(1).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{1_700_000_000_000_001, 0, -5, 1_700_000_000_000_000, 0, 0, 0, 0}, valid)
	rb.Field(2).(*array.StringBuilder).AppendValues([]string{"warn", "", "error", "Zebra", "", "", "", ""}, valid)
	rb.Field(3).(*array.Float32Builder).AppendValues([]float32{1.5, 0, -2.25, 3, 0, 0, 0, 0}, valid)
	rb.Field(4).(*array.Int16Builder).AppendValues([]int16{7, 0, -7, 3, 0, 0, 0, 0}, valid)
	rb.Field(5).(*array.BooleanBuilder).AppendValues([]bool{true, false, true, true, false, false, false, false}, valid)
	rb.Field(6).(*array.Date32Builder).AppendValues([]arrow.Date32{19000, 0, 18000, 20000, 0, 0, 0, 0}, valid)
	rb.Field(7).(*array.BinaryBuilder).AppendValues([][]byte{{2}, nil, {1, 0}, {0xff}, nil, nil, nil, nil}, valid)
	for i := range 8 {
		rb.Field(8).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(i)))
		long := strings.Repeat("x", 5000)
		if valid[i] {
			rb.Field(9).(*array.StringBuilder).Append(long)
		} else {
			rb.Field(9).AppendNull()
		}
	}
	batch := rb.NewRecordBatch()
	defer batch.Release()
	data := writeFile(t, schema, []arrow.RecordBatch{batch}, pqfile.WriterOptions{Allocator: mem, RowGroupRows: 4})
	r := openReader(t, data, mem)

	tests := []struct {
		rowGroup int
		column   string
		min, max any
		nulls    int64
		ok       bool
	}{
		{0, "i64", int64(-3), int64(9), 1, true},
		{1, "i64", int64(-100), int64(200), 1, true},
		{0, "ts", int64(-5), int64(1_700_000_000_000_001), 1, true},
		{0, "str", "Zebra", "warn", 1, true}, // byte order: 'Z' < 'e' < 'w'
		{0, "f32", float64(-2.25), float64(3), 1, true},
		{0, "i16", int64(-7), int64(7), 1, true},
		{0, "bool", true, true, 1, true},
		{0, "date", int64(18000), int64(20000), 1, true},
		// An all-null chunk has statistics without min and max.
		{1, "ts", nil, nil, 4, true},
		{1, "str", nil, nil, 4, true},
		// Absent or unusable statistics.
		{0, "dec", nil, nil, 0, false},
		{0, "long", nil, nil, 0, false},
		{0, "nope", nil, nil, 0, false},
		{2, "i64", nil, nil, 0, false},
		{-1, "i64", nil, nil, 0, false},
	}
	for _, tt := range tests {
		min, max, nulls, ok := r.RowGroupStats(tt.rowGroup, tt.column)
		if ok != tt.ok || nulls != tt.nulls || min != tt.min || max != tt.max {
			t.Errorf("RowGroupStats(%d, %q) = %v (%T), %v (%T), %d, %v; want %v, %v, %d, %v",
				tt.rowGroup, tt.column, min, min, max, max, nulls, ok, tt.min, tt.max, tt.nulls, tt.ok)
		}
	}
	// []byte is not comparable with !=.
	min, max, nulls, ok := r.RowGroupStats(0, "bin")
	if !ok || nulls != 1 || !bytes.Equal(min.([]byte), []byte{1, 0}) || !bytes.Equal(max.([]byte), []byte{0xff}) {
		t.Errorf("RowGroupStats(0, bin) = %v, %v, %d, %v", min, max, nulls, ok)
	}
}

// TestStatsMatchData checks min and max of every row group against the
// values in it, over the generated columns.
func TestStatsMatchData(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cols := typedColumns()
	schema := schemaOf(cols)
	batches := buildBatches(t, mem, schema, cols, 900, 900)
	defer release(batches)
	data := writeFile(t, schema, batches, pqfile.WriterOptions{Allocator: mem, RowGroupRows: 250})
	r := openReader(t, data, mem)
	b := batches[0]
	for rg := range r.NumRowGroups() {
		from, to := rg*250, min(rg*250+250, 900)
		for _, name := range []string{"i64", "ts_utc", "ts_local", "str", "i32", "f64"} {
			col := b.Column(schema.FieldIndices(name)[0])
			var wantMin, wantMax any
			var nulls int64
			for i := from; i < to; i++ {
				if col.IsNull(i) {
					nulls++
					continue
				}
				v := goValue(col, i)
				if wantMin == nil || less(v, wantMin) {
					wantMin = v
				}
				if wantMax == nil || less(wantMax, v) {
					wantMax = v
				}
			}
			min, max, gotNulls, ok := r.RowGroupStats(rg, name)
			if !ok || min != wantMin || max != wantMax || gotNulls != nulls {
				t.Errorf("row group %d %s: stats %v..%v nulls %d ok %v; data %v..%v nulls %d",
					rg, name, min, max, gotNulls, ok, wantMin, wantMax, nulls)
			}
		}
	}
}

func goValue(a arrow.Array, i int) any {
	switch a := a.(type) {
	case *array.Int64:
		return a.Value(i)
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Timestamp:
		return int64(a.Value(i))
	case *array.Float64:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	}
	panic("unexpected array type " + a.DataType().String())
}

func less(a, b any) bool {
	switch a := a.(type) {
	case int64:
		return a < b.(int64)
	case float64:
		return a < b.(float64)
	case string:
		return a < b.(string)
	}
	panic("unexpected value type")
}

func TestWriteErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cols := typedColumns()
	schema := schemaOf(cols)
	batch := buildBatch(t, mem, schema, cols, 0, 10)
	defer batch.Release()
	other := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	tests := []struct {
		name   string
		schema *arrow.Schema
		opts   pqfile.WriterOptions
		want   string
	}{
		{"schema mismatch", other, pqfile.WriterOptions{Allocator: mem}, "batch 0 schema"},
		{"negative row group rows", schema, pqfile.WriterOptions{RowGroupRows: -1}, "negative"},
		{"unknown compression", schema, pqfile.WriterOptions{Compression: 99}, "unknown compression"},
		{"nil schema", nil, pqfile.WriterOptions{}, "nil schema"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := pqfile.Write(io.Discard, tt.schema, []arrow.RecordBatch{batch}, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Write error = %v, want one containing %q", err, tt.want)
			}
		})
	}
	if err := pqfile.DefaultWriterOptions().Validate(); err != nil {
		t.Errorf("DefaultWriterOptions().Validate() = %v", err)
	}
	t.Run("writer error", func(t *testing.T) {
		errDisk := errors.New("disk full")
		_, _, err := pqfile.Write(&failingWriter{after: 100, err: errDisk}, schema, []arrow.RecordBatch{batch}, pqfile.WriterOptions{Allocator: mem})
		if !errors.Is(err, errDisk) {
			t.Errorf("Write error = %v, want the writer's error", err)
		}
	})
}

type failingWriter struct {
	after int
	err   error
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.after {
		n := w.after
		w.after = 0
		return n, w.err
	}
	w.after -= len(p)
	return len(p), nil
}

// TestCorrupt feeds damaged files to the reader: it must return errors and
// never panic.
func TestCorrupt(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	cols := typedColumns()
	schema := schemaOf(cols)
	batches := buildBatches(t, mem, schema, cols, 2000, 2000)
	good := writeFile(t, schema, batches, pqfile.WriterOptions{Allocator: mem, RowGroupRows: 500})
	release(batches)
	mem.AssertSize(t, 0)

	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	withMagic := slices.Concat([]byte("PAR1"), random, []byte("PAR1"))

	// These never open.
	openFails := map[string][]byte{
		"empty":           nil,
		"magic only":      []byte("PAR1"),
		"header and tail": []byte("PAR1PAR1"),
		"random":          random,
		"random in magic": withMagic,
		"truncated 1":     good[:len(good)-1],
		"truncated 8":     good[:len(good)-8],
		"truncated half":  good[:len(good)/2],
		"truncated 100":   good[:100],
		"footer length":   withFooterLength(good, 1<<30),
	}
	for name, data := range openFails {
		t.Run(name, func(t *testing.T) {
			r, err := pqfile.NewReader(bytes.NewReader(data), int64(len(data)), memory.NewGoAllocator())
			if err == nil {
				t.Fatal("NewReader succeeded on a corrupt file")
			}
			_ = r
		})
	}

	// Damage inside the data pages may or may not be detected, but reading
	// must end in data or an error, not a panic. Damage in the footer is
	// where lengths that size buffers live: big varints (0xff runs) make
	// them huge, which must be rejected rather than allocated.
	footer := footerStart(good)
	mutations := []struct {
		name     string
		from, to int // range of offsets to damage
		mutate   func(rng *rand.Rand, b []byte)
	}{
		{"data flip", 4, footer, func(rng *rand.Rand, b []byte) { b[0] ^= byte(1 + rng.IntN(255)) }},
		{"footer byte", footer, len(good) - 8, func(rng *rand.Rand, b []byte) { b[0] = byte(rng.Uint32()) }},
		{"footer varint", footer, len(good) - 12, func(rng *rand.Rand, b []byte) {
			copy(b, []byte{0xff, 0xff, 0xff, 0x7f}[:1+rng.IntN(4)])
		}},
	}
	for _, m := range mutations {
		t.Run(m.name, func(t *testing.T) {
			for seed := range uint64(150) {
				data := bytes.Clone(good)
				rng := rand.New(rand.NewPCG(seed, 7))
				for range 1 + seed%4 {
					m.mutate(rng, data[m.from+rng.IntN(m.to-m.from):])
				}
				readEverything(t, data)
			}
		})
	}
}

// footerStart returns the offset of the Thrift footer in a Parquet file.
func footerStart(data []byte) int {
	n := int(uint32(data[len(data)-8]) | uint32(data[len(data)-7])<<8 | uint32(data[len(data)-6])<<16 | uint32(data[len(data)-5])<<24)
	return len(data) - 8 - n
}

func withFooterLength(data []byte, n uint32) []byte {
	out := bytes.Clone(data)
	out[len(out)-8], out[len(out)-7], out[len(out)-6], out[len(out)-5] = byte(n), byte(n>>8), byte(n>>16), byte(n>>24)
	return out
}

// readEverything opens data and reads all of it, stats included; it fails
// the test only on a panic, which pqfile must not let through.
func readEverything(t testing.TB, data []byte) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("panic reading a corrupt file: %v", p)
		}
	}()
	r, err := pqfile.NewReader(bytes.NewReader(data), int64(len(data)), memory.NewGoAllocator())
	if err != nil {
		return
	}
	defer r.Close()
	names := make([]string, 0, r.Schema().NumFields())
	for _, f := range r.Schema().Fields() {
		names = append(names, f.Name)
	}
	for rg := range r.NumRowGroups() {
		for _, f := range r.Schema().Fields() {
			r.RowGroupStats(rg, f.Name)
		}
		// The first and last rows, through the page index when there is one.
		if n := r.RowGroupRows(rg); n > 1 && n < 1<<20 {
			if rec, err := r.ReadRows(context.Background(), rg, names, []int64{0, n - 1}); err == nil {
				rec.Release()
			}
		}
	}
	rr, err := r.Read(context.Background(), nil, nil, 333)
	if err != nil {
		return
	}
	defer rr.Release()
	for rr.Next() {
		_ = rr.RecordBatch().NumRows()
	}
	_ = rr.Err()
}

// FuzzReader opens and reads arbitrary bytes.
func FuzzReader(f *testing.F) {
	mem := memory.NewGoAllocator()
	cols := typedColumns()
	schema := schemaOf(cols)
	batches := buildBatches(f, mem, schema, cols, 100, 100)
	for _, comp := range []pqfile.Compression{pqfile.CompressionZstd, pqfile.CompressionNone} {
		f.Add(writeFile(f, schema, batches, pqfile.WriterOptions{Compression: comp, RowGroupRows: 40}))
	}
	release(batches)
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		readEverything(t, data)
	})
}

func TestConcurrentReads(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cols := typedColumns()
	schema := schemaOf(cols)
	batches := buildBatches(t, mem, schema, cols, 3000, 1000)
	defer release(batches)
	data := writeFile(t, schema, batches, pqfile.WriterOptions{Allocator: mem, RowGroupRows: 700})
	r := openReader(t, data, mem)
	want := concat(t, mem, schema, batches)
	defer want.Release()

	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			_, got := readAll(t, r, nil, nil, 500)
			defer release(got)
			gotAll := concat(t, mem, schema, got)
			defer gotAll.Release()
			assertBatchEqual(t, gotAll, want)
			for rg := range r.NumRowGroups() {
				if _, _, _, ok := r.RowGroupStats(rg, "i64"); !ok {
					t.Errorf("no stats for row group %d", rg)
				}
			}
		})
	}
	wg.Wait()
}

func TestReadCanceled(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cols := typedColumns()
	schema := schemaOf(cols)
	batches := buildBatches(t, mem, schema, cols, 1000, 1000)
	defer release(batches)
	data := writeFile(t, schema, batches, pqfile.WriterOptions{Allocator: mem})
	r := openReader(t, data, mem)

	ctx, cancel := context.WithCancel(t.Context())
	rr, err := r.Read(ctx, nil, nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	if !rr.Next() {
		t.Fatalf("first Next failed: %v", rr.Err())
	}
	cancel()
	if rr.Next() {
		t.Fatal("Next succeeded after cancel")
	}
	if !errors.Is(rr.Err(), context.Canceled) {
		t.Errorf("Err = %v, want context.Canceled", rr.Err())
	}
	if _, err := rr.Read(); !errors.Is(err, context.Canceled) {
		t.Errorf("Read after cancel = %v, want context.Canceled", err)
	}
	if rr.RecordBatch() != nil {
		t.Error("RecordBatch after a failed Next is not nil")
	}
}

// TestReadFromObjectStore reads a file through objstore.ReaderAt, the way
// OpenWit reads its data files.
func TestReadFromObjectStore(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := t.Context()
	bucket, err := objstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()

	cols := typedColumns()
	schema := schemaOf(cols)
	batches := buildBatches(t, mem, schema, cols, 2000, 500)
	defer release(batches)
	data := writeFile(t, schema, batches, pqfile.WriterOptions{Allocator: mem, RowGroupRows: 600})
	key := "tables/7/shard=0/00000001.parquet"
	if err := bucket.Put(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	ra, err := objstore.NewReaderAt(ctx, bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	r, err := pqfile.NewReader(ra, ra.Size(), mem)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	gotSchema, got := readAll(t, r, []string{"str", "ts_utc"}, []int{1, 2}, 1000)
	defer release(got)
	gotAll := concat(t, mem, gotSchema, got)
	defer gotAll.Release()
	if gotAll.NumRows() != 1200 {
		t.Errorf("read %d rows, want 1200", gotAll.NumRows())
	}
	assertSchema(t, gotSchema, arrow.NewSchema([]arrow.Field{schema.Field(2), schema.Field(0)}, nil))
}

// writeWithPqarrow writes batch with pqarrow directly, as another program
// would, optionally adding key-value metadata.
func writeWithPqarrow(t *testing.T, batch arrow.RecordBatch, kv map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	fw, err := pqarrow.NewFileWriter(batch.Schema(), &buf, parquet.NewWriterProperties(),
		pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range kv {
		if err := fw.AppendKeyValueMetadata(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := fw.Write(batch); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestStoredSchemaChecksum(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cols := typedColumns()
	schema := schemaOf(cols)
	batch := buildBatch(t, mem, schema, cols, 0, 100)
	defer batch.Release()

	t.Run("mismatch", func(t *testing.T) {
		data := writeWithPqarrow(t, batch, map[string]string{"openwit:arrow_schema_crc32c": "00000000"})
		_, err := pqfile.NewReader(bytes.NewReader(data), int64(len(data)), mem)
		if !errors.Is(err, pqfile.ErrCorrupt) {
			t.Errorf("NewReader error = %v, want ErrCorrupt", err)
		}
	})
	t.Run("foreign file", func(t *testing.T) {
		// Without the checksum the stored Arrow schema is ignored and the
		// schema comes from the Parquet types, which keep these types.
		data := writeWithPqarrow(t, batch, nil)
		r := openReader(t, data, mem)
		assertSchema(t, r.Schema(), schema)
		_, got := readAll(t, r, nil, nil, 1000)
		defer release(got)
		if len(got) != 1 {
			t.Fatalf("%d batches, want 1", len(got))
		}
		assertBatchEqual(t, got[0], batch)
	})
}

// failAfter is an io.ReaderAt whose reads fail once off+len passes limit.
type failAfter struct {
	r     io.ReaderAt
	limit int64
	err   error
}

func (f failAfter) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > f.limit {
		return 0, f.err
	}
	return f.r.ReadAt(p, off)
}

// TestStorageErrorIsNotCorruption checks that a failing store surfaces its
// own error rather than ErrCorrupt, so callers do not quarantine good files.
func TestStorageErrorIsNotCorruption(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cols := typedColumns()
	schema := schemaOf(cols)
	batches := buildBatches(t, mem, schema, cols, 500, 500)
	defer release(batches)
	data := writeFile(t, schema, batches, pqfile.WriterOptions{Allocator: mem})
	errStore := errors.New("store unavailable")
	footer := int64(footerStart(data))
	for _, limit := range []int64{0, footer + 10, int64(len(data)) - 9} {
		// Every read ending past limit fails: the header, the footer body,
		// or only the footer length.
		_, err := pqfile.NewReader(failAfter{bytes.NewReader(data), limit, errStore}, int64(len(data)), mem)
		if !errors.Is(err, errStore) || errors.Is(err, pqfile.ErrCorrupt) {
			t.Errorf("limit %d: NewReader error = %v, want the store's error and not ErrCorrupt", limit, err)
		}
	}
	t.Run("while reading", func(t *testing.T) {
		fr := &flakyReaderAt{r: bytes.NewReader(data), err: errStore}
		r, err := pqfile.NewReader(fr, int64(len(data)), mem)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		fr.fail.Store(true)
		rr, err := r.Read(t.Context(), nil, nil, 100)
		if err == nil {
			for rr.Next() {
			}
			err = rr.Err()
			rr.Release()
		}
		if !errors.Is(err, errStore) {
			t.Errorf("read error = %v, want the store's error", err)
		}
	})
}

type flakyReaderAt struct {
	r    io.ReaderAt
	fail atomic.Bool
	err  error
}

func (f *flakyReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if f.fail.Load() {
		return 0, f.err
	}
	return f.r.ReadAt(p, off)
}
