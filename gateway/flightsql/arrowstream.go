package flightsql

import (
	"context"
	"errors"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/planner"
	"openwit/planner/pgtypes"
)

// colConv turns one executor column into the advertised result column.
type colConv func(arrow.Array) arrow.Array

// arrowConverters returns, for each result field, how to turn the
// executor's column of type got into it without touching values one by
// one (dictionary strings excepted); ok is false when some column needs a
// value conversion the row path does (then the row path runs).
func arrowConverters(mem memory.Allocator, cols []planner.Column, got, want *arrow.Schema) ([]colConv, bool) {
	if got.NumFields() != want.NumFields() || len(cols) != want.NumFields() {
		return nil, false
	}
	convs := make([]colConv, want.NumFields())
	for i := range convs {
		if cols[i].TypeOID == pgtypes.OIDJSONB {
			// The row path re-renders JSON text; keep one rendering.
			return nil, false
		}
		g, w := got.Field(i).Type, want.Field(i).Type
		switch {
		case arrow.TypeEqual(g, w):
			convs[i] = func(a arrow.Array) arrow.Array { a.Retain(); return a }
		case g.ID() == arrow.TIMESTAMP && w.ID() == arrow.TIMESTAMP &&
			g.(*arrow.TimestampType).Unit == w.(*arrow.TimestampType).Unit:
			// Same instants, another zone label: relabel the buffers.
			convs[i] = relabel(w)
		case g.ID() == arrow.DECIMAL128 && w.ID() == arrow.DECIMAL128 &&
			g.(*arrow.Decimal128Type).Scale == w.(*arrow.Decimal128Type).Scale:
			convs[i] = relabel(w)
		case g.ID() == arrow.DICTIONARY && w.ID() == arrow.STRING &&
			g.(*arrow.DictionaryType).ValueType.ID() == arrow.STRING:
			convs[i] = func(a arrow.Array) arrow.Array { return decodeDict(mem, a.(*array.Dictionary)) }
		default:
			return nil, false
		}
	}
	return convs, true
}

func relabel(t arrow.DataType) colConv {
	return func(a arrow.Array) arrow.Array {
		d := a.Data()
		nd := array.NewData(t, d.Len(), d.Buffers(), d.Children(), d.NullN(), d.Offset())
		defer nd.Release()
		return array.MakeFromData(nd)
	}
}

func decodeDict(mem memory.Allocator, d *array.Dictionary) arrow.Array {
	vals := d.Dictionary().(*array.String)
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(d.Len())
	for i := range d.Len() {
		if d.IsNull(i) {
			b.AppendNull()
			continue
		}
		b.Append(vals.Value(d.GetValueIndex(i)))
	}
	return b.NewArray()
}

// streamArrow starts last with ExecuteArrow when its plan is fully
// vectorized and the executor's columns convert to schema without
// per-value work; ok is false (nothing running) otherwise.
func (s *Server) streamArrow(call, ctx context.Context, finish func(), last *planner.Prepared, params []any, schema *arrow.Schema) (<-chan flight.StreamChunk, bool, error) {
	ar, ok, err := last.ExecuteArrow(ctx, params)
	if err != nil || !ok {
		return nil, false, err
	}
	convs, ok := arrowConverters(s.mem, last.Columns(), ar.Schema(), schema)
	if !ok {
		ar.Close()
		return nil, false, nil
	}
	s.met.arrowResults.Inc()
	ch := make(chan flight.StreamChunk, 1)
	go s.produceArrow(call, finish, ar, convs, schema, ch)
	return ch, true, nil
}

// produceArrow sends the executor's batches, converted to schema and cut
// to the configured batch limits, to ch while call lasts; it closes ch and
// ar and calls finish.
func (s *Server) produceArrow(call context.Context, finish func(), ar *planner.ArrowRows, convs []colConv, schema *arrow.Schema, ch chan<- flight.StreamChunk) {
	defer close(ch)
	defer finish()
	defer ar.Close()
	defer func() {
		if r := recover(); r != nil {
			s.send(call, ch, flight.StreamChunk{Err: s.panicked("DoGet", r)})
		}
	}()
	for {
		rec, err := ar.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			s.send(call, ch, flight.StreamChunk{Err: statusError(err)})
			return
		}
		cols := make([]arrow.Array, len(convs))
		for i, conv := range convs {
			cols[i] = conv(rec.Column(i))
		}
		out := array.NewRecordBatch(schema, cols, rec.NumRows())
		for _, c := range cols {
			c.Release()
		}
		rec.Release()
		if !s.sendCut(call, ch, out) {
			return
		}
	}
	if err := ar.Close(); err != nil {
		s.send(call, ch, flight.StreamChunk{Err: statusError(err)})
	}
}

// sendCut sends rec in slices of at most BatchRows rows and about
// BatchBytes bytes, and releases it.
func (s *Server) sendCut(ctx context.Context, ch chan<- flight.StreamChunk, rec arrow.RecordBatch) bool {
	defer rec.Release()
	n := rec.NumRows()
	step := int64(s.cfg.BatchRows)
	if size := recordSize(rec); size > 0 {
		perRow := max(size/n, 1)
		step = max(min(step, int64(s.cfg.BatchBytes)/perRow), 1)
	}
	if step >= n {
		rec.Retain()
		if !s.send(ctx, ch, flight.StreamChunk{Data: rec}) {
			return false
		}
		s.met.rowsSent.Add(float64(n))
		return true
	}
	for off := int64(0); off < n; off += step {
		end := min(off+step, n)
		if !s.send(ctx, ch, flight.StreamChunk{Data: rec.NewSlice(off, end)}) {
			return false
		}
		s.met.rowsSent.Add(float64(end - off))
	}
	return true
}

// recordSize is the byte size of rec's buffers (children and dictionaries
// included).
func recordSize(rec arrow.RecordBatch) int64 {
	var n int64
	var walk func(d arrow.ArrayData)
	walk = func(d arrow.ArrayData) {
		for _, b := range d.Buffers() {
			if b != nil {
				n += int64(b.Len())
			}
		}
		for _, c := range d.Children() {
			walk(c)
		}
		if d.DataType().ID() == arrow.DICTIONARY {
			walk(d.Dictionary())
		}
	}
	for _, c := range rec.Columns() {
		walk(c.Data())
	}
	return n
}
