package flightsql

import (
	"context"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql/schema_ref"
	pb "github.com/apache/arrow-go/v18/arrow/flight/gen/flight"

	"openwit/planner/pgtypes"
)

// xdbcType is one row of GetXdbcTypeInfo: a column type OpenWit stores.
type xdbcType struct {
	oid          uint32
	dataType     pb.XdbcDataType
	columnSize   int32 // 0: not applicable (null)
	quote        bool  // literals are quoted with '
	createParams []string
	caseSens     bool
	searchable   pb.Searchable
	signed       *bool // nil: not numeric
	minScale     *int32
	maxScale     *int32
	subcode      *pb.XdbcDatetimeSubcode
	radix        int32 // 0: null
}

func ptr[T any](v T) *T { return &v }

// xdbcTypes are the column types of OpenWit tables, as ODBC/JDBC see them;
// type_name is PostgreSQL's format_type name, the TYPE_NAME column metadata
// of results and table schemas carries.
var xdbcTypes = []xdbcType{
	{oid: pgtypes.OIDBool, dataType: pb.XdbcDataType_XDBC_BIT, columnSize: 1, searchable: pb.Searchable_SEARCHABLE_BASIC},
	{oid: pgtypes.OIDInt2, dataType: pb.XdbcDataType_XDBC_SMALLINT, columnSize: 5, searchable: pb.Searchable_SEARCHABLE_BASIC, signed: ptr(true), minScale: ptr[int32](0), maxScale: ptr[int32](0), radix: 10},
	{oid: pgtypes.OIDInt4, dataType: pb.XdbcDataType_XDBC_INTEGER, columnSize: 10, searchable: pb.Searchable_SEARCHABLE_BASIC, signed: ptr(true), minScale: ptr[int32](0), maxScale: ptr[int32](0), radix: 10},
	{oid: pgtypes.OIDInt8, dataType: pb.XdbcDataType_XDBC_BIGINT, columnSize: 19, searchable: pb.Searchable_SEARCHABLE_BASIC, signed: ptr(true), minScale: ptr[int32](0), maxScale: ptr[int32](0), radix: 10},
	{oid: pgtypes.OIDFloat4, dataType: pb.XdbcDataType_XDBC_REAL, columnSize: 24, searchable: pb.Searchable_SEARCHABLE_BASIC, signed: ptr(true), radix: 2},
	{oid: pgtypes.OIDFloat8, dataType: pb.XdbcDataType_XDBC_DOUBLE, columnSize: 53, searchable: pb.Searchable_SEARCHABLE_BASIC, signed: ptr(true), radix: 2},
	{oid: pgtypes.OIDNumeric, dataType: pb.XdbcDataType_XDBC_NUMERIC, columnSize: 38, createParams: []string{"precision", "scale"}, searchable: pb.Searchable_SEARCHABLE_BASIC, signed: ptr(true), minScale: ptr[int32](0), maxScale: ptr[int32](38), radix: 10},
	{oid: pgtypes.OIDText, dataType: pb.XdbcDataType_XDBC_LONGVARCHAR, columnSize: 1 << 30, quote: true, caseSens: true, searchable: pb.Searchable_SEARCHABLE_FULL},
	{oid: pgtypes.OIDJSONB, dataType: pb.XdbcDataType_XDBC_LONGVARCHAR, columnSize: 1 << 30, quote: true, caseSens: true, searchable: pb.Searchable_SEARCHABLE_NONE},
	{oid: pgtypes.OIDBytea, dataType: pb.XdbcDataType_XDBC_LONGVARBINARY, columnSize: 1 << 30, quote: true, searchable: pb.Searchable_SEARCHABLE_NONE},
	{oid: pgtypes.OIDDate, dataType: pb.XdbcDataType_XDBC_DATE, columnSize: 10, quote: true, searchable: pb.Searchable_SEARCHABLE_BASIC, subcode: ptr(pb.XdbcDatetimeSubcode_XDBC_SUBCODE_DATE)},
	{oid: pgtypes.OIDTimestamp, dataType: pb.XdbcDataType_XDBC_TIMESTAMP, columnSize: 26, quote: true, searchable: pb.Searchable_SEARCHABLE_BASIC, minScale: ptr[int32](6), maxScale: ptr[int32](6), subcode: ptr(pb.XdbcDatetimeSubcode_XDBC_SUBCODE_TIMESTAMP)},
	{oid: pgtypes.OIDTimestampTZ, dataType: pb.XdbcDataType_XDBC_TIMESTAMP, columnSize: 32, quote: true, searchable: pb.Searchable_SEARCHABLE_BASIC, minScale: ptr[int32](6), maxScale: ptr[int32](6), subcode: ptr(pb.XdbcDatetimeSubcode_XDBC_SUBCODE_TIMESTAMP_WITH_TIMEZONE)},
}

// GetFlightInfoXdbcTypeInfo implements flightsql.Server.
func (s *Server) GetFlightInfoXdbcTypeInfo(_ context.Context, _ flightsql.GetXdbcTypeInfo, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.metaInfo(desc, schema_ref.XdbcTypeInfo), nil
}

// DoGetXdbcTypeInfo lists the column types, ordered by data_type (then
// name), filtered to one data_type when asked.
func (s *Server) DoGetXdbcTypeInfo(_ context.Context, cmd flightsql.GetXdbcTypeInfo) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	rows := make([]xdbcType, 0, len(xdbcTypes))
	for _, t := range xdbcTypes {
		if dt := cmd.GetDataType(); dt == nil || *dt == int32(t.dataType) {
			rows = append(rows, t)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].dataType < rows[j].dataType })
	return s.build(schema_ref.XdbcTypeInfo, func(b *array.RecordBuilder) error {
		str := func(i int) *array.StringBuilder { return b.Field(i).(*array.StringBuilder) }
		i32 := func(i int) *array.Int32Builder { return b.Field(i).(*array.Int32Builder) }
		boolean := func(i int) *array.BooleanBuilder { return b.Field(i).(*array.BooleanBuilder) }
		optI32 := func(i int, v *int32) {
			if v == nil {
				i32(i).AppendNull()
			} else {
				i32(i).Append(*v)
			}
		}
		for _, t := range rows {
			str(0).Append(pgtypes.TypeName(t.oid))
			i32(1).Append(int32(t.dataType))
			if t.columnSize > 0 {
				i32(2).Append(t.columnSize)
			} else {
				i32(2).AppendNull()
			}
			if t.quote {
				str(3).Append("'")
				str(4).Append("'")
			} else {
				str(3).AppendNull()
				str(4).AppendNull()
			}
			lb := b.Field(5).(*array.ListBuilder)
			if t.createParams == nil {
				lb.AppendNull()
			} else {
				lb.Append(true)
				lb.ValueBuilder().(*array.StringBuilder).AppendValues(t.createParams, nil)
			}
			i32(6).Append(int32(pb.Nullable_NULLABILITY_NULLABLE))
			boolean(7).Append(t.caseSens)
			i32(8).Append(int32(t.searchable))
			if t.signed == nil {
				boolean(9).AppendNull()
			} else {
				boolean(9).Append(!*t.signed)
			}
			boolean(10).Append(false)
			boolean(11).Append(false)
			str(12).Append(pgtypes.TypeName(t.oid))
			optI32(13, t.minScale)
			optI32(14, t.maxScale)
			i32(15).Append(int32(t.dataType))
			if t.subcode == nil {
				i32(16).AppendNull()
			} else {
				i32(16).Append(int32(*t.subcode))
			}
			if t.radix > 0 {
				i32(17).Append(t.radix)
			} else {
				i32(17).AppendNull()
			}
			i32(18).AppendNull()
		}
		return nil
	})
}
