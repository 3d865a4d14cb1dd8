package pgwire

import (
	"context"
	"encoding/binary"
	"math"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/jackc/pgx/v5/pgtype"

	"openwit/internal/pgerror"
)

// RecordRows is implemented by Rows whose values come as Arrow record
// batches (the vectorized executor's). The server then encodes DataRows
// straight from the batches' columns, without a []any per row.
//
// RecordSchema is asked once, before any Next or NextRecord; nil means the
// rows must be read with Next. Otherwise the server reads only NextRecord,
// and the values of every batch must be exactly what Next would have
// returned, read as the plain Go value of the column's Arrow type: Int16,
// Int32 and Int64 as int64, Float32 as float32, Float64 as float64, String
// as string, Boolean as bool, Timestamp (microseconds) as
// time.UnixMicro(v).UTC(), Date32 as its day's UTC midnight; a null as nil.
// The server encodes them with the result column's TypeOID and format as it
// encodes those values from Next. A schema with another column type makes
// the server use Next.
type RecordRows interface {
	Rows
	// RecordSchema is the schema of every batch NextRecord returns, or nil.
	RecordSchema() *arrow.Schema
	// NextRecord returns the next batch, or io.EOF at the end. The caller
	// releases it.
	NextRecord(ctx context.Context) (arrow.RecordBatch, error)
}

// recordCursor is a portal's position in RecordRows' batches.
type recordCursor struct {
	rows   RecordRows
	schema *arrow.Schema
	cols   []colEncoder
	rec    arrow.RecordBatch // the batch being sent, or nil
	i      int               // its next row
}

// release drops the current batch.
func (rc *recordCursor) release() {
	if rc.rec != nil {
		rc.rec.Release()
		rc.rec = nil
	}
}

// colEncoder appends the wire value of row i of one column (not null).
type colEncoder func(buf []byte, i int) ([]byte, error)

// recordEncoders returns an encoder per result column for the batches of
// schema, or nil when a column's Arrow type is not one RecordRows may use.
// The encoders read the columns of the batch *cur points at.
func (e *encoder) recordEncoders(schema *arrow.Schema, cols []Column, formats []int16, cur *arrow.RecordBatch) []colEncoder {
	if schema == nil || schema.NumFields() != len(cols) || len(formats) != len(cols) {
		return nil
	}
	out := make([]colEncoder, len(cols))
	for c := range cols {
		enc := e.columnEncoder(schema.Field(c).Type, cols[c].TypeOID, formats[c], c, cur)
		if enc == nil {
			return nil
		}
		out[c] = enc
	}
	return out
}

// columnEncoder returns the encoder of column c (see recordEncoders): a
// direct one for the common pairs of Arrow type and result type in text
// format, else one that goes through the value Next would have returned
// and appendText/appendBinary, so both paths always agree.
func (e *encoder) columnEncoder(typ arrow.DataType, oid uint32, format int16, c int, cur *arrow.RecordBatch) colEncoder {
	var value func(i int) any
	text := format == formatText
	switch typ.ID() {
	case arrow.INT16, arrow.INT32, arrow.INT64:
		var get func(a arrow.Array, i int) int64
		switch typ.ID() {
		case arrow.INT16:
			get = func(a arrow.Array, i int) int64 { return int64(a.(*array.Int16).Value(i)) }
		case arrow.INT32:
			get = func(a arrow.Array, i int) int64 { return int64(a.(*array.Int32).Value(i)) }
		default:
			get = func(a arrow.Array, i int) int64 { return a.(*array.Int64).Value(i) }
		}
		switch {
		case text && (oid == pgtype.Int2OID || oid == pgtype.Int4OID || oid == pgtype.Int8OID):
			return func(buf []byte, i int) ([]byte, error) {
				return strconv.AppendInt(buf, get((*cur).Column(c), i), 10), nil
			}
		case !text && oid == pgtype.Int8OID:
			return func(buf []byte, i int) ([]byte, error) {
				return binary.BigEndian.AppendUint64(buf, uint64(get((*cur).Column(c), i))), nil
			}
		case !text && oid == pgtype.Int4OID && typ.ID() != arrow.INT64:
			return func(buf []byte, i int) ([]byte, error) {
				return binary.BigEndian.AppendUint32(buf, uint32(int32(get((*cur).Column(c), i)))), nil
			}
		}
		value = func(i int) any { return get((*cur).Column(c), i) }
	case arrow.FLOAT32:
		if text && oid == pgtype.Float4OID {
			return func(buf []byte, i int) ([]byte, error) {
				return e.appendFloat(buf, float64((*cur).Column(c).(*array.Float32).Value(i)), 32), nil
			}
		}
		value = func(i int) any { return (*cur).Column(c).(*array.Float32).Value(i) }
	case arrow.FLOAT64:
		switch {
		case text && oid == pgtype.Float8OID:
			return func(buf []byte, i int) ([]byte, error) {
				return e.appendFloat(buf, (*cur).Column(c).(*array.Float64).Value(i), 64), nil
			}
		case !text && oid == pgtype.Float8OID:
			return func(buf []byte, i int) ([]byte, error) {
				return binary.BigEndian.AppendUint64(buf, math.Float64bits((*cur).Column(c).(*array.Float64).Value(i))), nil
			}
		}
		value = func(i int) any { return (*cur).Column(c).(*array.Float64).Value(i) }
	case arrow.STRING:
		switch oid {
		case pgtype.TextOID, pgtype.VarcharOID, pgtype.NameOID, pgtype.BPCharOID, pgtype.UnknownOID:
			// Text and binary are the same bytes (appendGeneric).
			return func(buf []byte, i int) ([]byte, error) {
				return append(buf, (*cur).Column(c).(*array.String).Value(i)...), nil
			}
		}
		value = func(i int) any { return (*cur).Column(c).(*array.String).Value(i) }
	case arrow.BOOL:
		value = func(i int) any { return (*cur).Column(c).(*array.Boolean).Value(i) }
	case arrow.TIMESTAMP:
		if typ.(*arrow.TimestampType).Unit != arrow.Microsecond {
			return nil
		}
		at := func(i int) time.Time {
			return time.UnixMicro(int64((*cur).Column(c).(*array.Timestamp).Value(i))).UTC()
		}
		switch {
		case text && oid == pgtype.TimestamptzOID:
			return func(buf []byte, i int) ([]byte, error) {
				return appendTimestamp(buf, at(i).In(e.loc), true), nil
			}
		case text && oid == pgtype.TimestampOID:
			return func(buf []byte, i int) ([]byte, error) {
				return appendTimestamp(buf, at(i), false), nil
			}
		}
		value = func(i int) any { return at(i) }
	case arrow.DATE32:
		value = func(i int) any { return (*cur).Column(c).(*array.Date32).Value(i).ToTime().UTC() }
	default:
		return nil
	}
	if text {
		return func(buf []byte, i int) ([]byte, error) { return e.appendText(buf, oid, value(i)) }
	}
	return func(buf []byte, i int) ([]byte, error) { return e.appendBinary(buf, oid, value(i)) }
}

// openRecords sets up p to send its rows from RecordRows batches when its
// rows offer them and every column can be encoded from them.
func (c *conn) openRecords(p *portal) {
	rr, ok := p.rows.(RecordRows)
	if !ok || p.ps.cols == nil {
		return
	}
	var schema *arrow.Schema
	_ = protect(c.log, "Rows.RecordSchema", func() error {
		schema = rr.RecordSchema()
		return nil
	})
	rc := &recordCursor{rows: rr, schema: schema}
	if rc.cols = c.enc.recordEncoders(schema, p.ps.cols, p.formats, &rc.rec); rc.cols != nil {
		p.recs = rc
	}
}

// nextRecordRow makes p.recs point at an unsent row, reading batches as
// needed; io.EOF at the end of the rows.
func (c *conn) nextRecordRow(p *portal) error {
	rc := p.recs
	for rc.rec == nil || rc.i >= int(rc.rec.NumRows()) {
		rc.release()
		var rec arrow.RecordBatch
		err := protect(c.log, "Rows.NextRecord", func() error {
			var err error
			rec, err = rc.rows.NextRecord(p.ctx)
			return err
		})
		if err != nil {
			return err
		}
		if !sameColumnTypes(rec.Schema(), rc.schema) {
			rec.Release()
			return pgerror.New(pgerror.InternalError, "backend returned a batch whose column types differ from its schema")
		}
		rc.rec, rc.i = rec, 0
	}
	return nil
}

// appendRecordRow encodes the current row of p.recs as a DataRow and
// moves past it.
func (c *conn) appendRecordRow(p *portal) error {
	rc := p.recs
	w := &c.w
	start := w.beginMessage('D')
	w.buf = binary.BigEndian.AppendUint16(w.buf, uint16(len(rc.cols)))
	for col, enc := range rc.cols {
		if rc.rec.Column(col).IsNull(rc.i) {
			w.buf = binary.BigEndian.AppendUint32(w.buf, 0xFFFFFFFF)
			continue
		}
		lenPos := len(w.buf)
		w.buf = append(w.buf, 0, 0, 0, 0)
		var err error
		if w.buf, err = enc(w.buf, rc.i); err != nil {
			w.buf = w.buf[:start]
			return err
		}
		binary.BigEndian.PutUint32(w.buf[lenPos:], uint32(len(w.buf)-lenPos-4))
	}
	rc.i++
	return w.finishMessage(start)
}

// sameColumnTypes reports whether a and b have the same column types.
func sameColumnTypes(a, b *arrow.Schema) bool {
	if a.NumFields() != b.NumFields() {
		return false
	}
	for i := range a.NumFields() {
		if !arrow.TypeEqual(a.Field(i).Type, b.Field(i).Type) {
			return false
		}
	}
	return true
}
