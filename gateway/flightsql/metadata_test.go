package flightsql_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql/schema_ref"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func ptr[T any](v T) *T { return &v }

// testMetadata checks every metadata command: the FlightInfo schema, the
// GetSchema answer and the stream schema all equal the Flight SQL
// reference schema, and the rows are what OpenWit has.
func testMetadata(t *testing.T, cl *flightsql.Client) {
	ctx := context.Background()
	ref := flightsql.TableRef{Table: "logs"}
	for _, tt := range []struct {
		name   string
		want   *arrow.Schema
		info   func() (*flight.FlightInfo, error)
		schema func() (*flight.SchemaResult, error)
		rows   string // fmt of the rows; "" = don't check
	}{
		{"catalogs", schema_ref.Catalogs,
			func() (*flight.FlightInfo, error) { return cl.GetCatalogs(ctx) },
			func() (*flight.SchemaResult, error) { return cl.GetCatalogsSchema(ctx) }, "[[openwit]]"},
		{"db schemas", schema_ref.DBSchemas,
			func() (*flight.FlightInfo, error) { return cl.GetDBSchemas(ctx, &flightsql.GetDBSchemasOpts{}) },
			func() (*flight.SchemaResult, error) { return cl.GetDBSchemasSchema(ctx) }, "[[openwit public]]"},
		{"db schemas filtered out", schema_ref.DBSchemas,
			func() (*flight.FlightInfo, error) {
				return cl.GetDBSchemas(ctx, &flightsql.GetDBSchemasOpts{DbSchemaFilterPattern: ptr("x%")})
			},
			func() (*flight.SchemaResult, error) { return cl.GetDBSchemasSchema(ctx) }, "[]"},
		{"tables", schema_ref.Tables,
			func() (*flight.FlightInfo, error) {
				return cl.GetTables(ctx, &flightsql.GetTablesOpts{TableNameFilterPattern: ptr("lo_s")})
			},
			func() (*flight.SchemaResult, error) { return cl.GetTablesSchema(ctx, &flightsql.GetTablesOpts{}) },
			"[[openwit public logs TABLE]]"},
		{"tables with schema", schema_ref.TablesWithIncludedSchema,
			func() (*flight.FlightInfo, error) {
				return cl.GetTables(ctx, &flightsql.GetTablesOpts{IncludeSchema: true, TableTypes: []string{"TABLE"},
					Catalog: ptr("openwit"), DbSchemaFilterPattern: ptr("pub%")})
			},
			func() (*flight.SchemaResult, error) {
				return cl.GetTablesSchema(ctx, &flightsql.GetTablesOpts{IncludeSchema: true})
			}, ""},
		{"tables of another type", schema_ref.Tables,
			func() (*flight.FlightInfo, error) {
				return cl.GetTables(ctx, &flightsql.GetTablesOpts{TableTypes: []string{"VIEW"}})
			},
			func() (*flight.SchemaResult, error) { return cl.GetTablesSchema(ctx, &flightsql.GetTablesOpts{}) }, "[]"},
		{"table types", schema_ref.TableTypes,
			func() (*flight.FlightInfo, error) { return cl.GetTableTypes(ctx) },
			func() (*flight.SchemaResult, error) { return cl.GetTableTypesSchema(ctx) }, "[[TABLE]]"},
		{"primary keys", schema_ref.PrimaryKeys,
			func() (*flight.FlightInfo, error) { return cl.GetPrimaryKeys(ctx, ref) },
			func() (*flight.SchemaResult, error) { return cl.GetPrimaryKeysSchema(ctx) }, "[]"},
		{"exported keys", schema_ref.ExportedKeys,
			func() (*flight.FlightInfo, error) { return cl.GetExportedKeys(ctx, ref) },
			func() (*flight.SchemaResult, error) { return cl.GetExportedKeysSchema(ctx) }, "[]"},
		{"imported keys", schema_ref.ImportedKeys,
			func() (*flight.FlightInfo, error) { return cl.GetImportedKeys(ctx, ref) },
			func() (*flight.SchemaResult, error) { return cl.GetImportedKeysSchema(ctx) }, "[]"},
		{"cross reference", schema_ref.CrossReference,
			func() (*flight.FlightInfo, error) { return cl.GetCrossReference(ctx, ref, ref) },
			func() (*flight.SchemaResult, error) { return cl.GetCrossReferenceSchema(ctx) }, "[]"},
		{"xdbc type info", schema_ref.XdbcTypeInfo,
			func() (*flight.FlightInfo, error) { return cl.GetXdbcTypeInfo(ctx, nil) },
			func() (*flight.SchemaResult, error) { return cl.GetXdbcTypeInfoSchema(ctx) }, ""},
		{"xdbc type info of one type", schema_ref.XdbcTypeInfo,
			func() (*flight.FlightInfo, error) { return cl.GetXdbcTypeInfo(ctx, ptr[int32](4)) },
			func() (*flight.SchemaResult, error) { return cl.GetXdbcTypeInfoSchema(ctx) }, ""},
		{"sql info", schema_ref.SqlInfo,
			func() (*flight.FlightInfo, error) { return cl.GetSqlInfo(ctx, nil) },
			func() (*flight.SchemaResult, error) { return cl.GetSqlInfoSchema(ctx) }, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			info, err := tt.info()
			if err != nil {
				t.Fatal(err)
			}
			schema, recs, err := fetch(t, ctx, cl, info)
			if err != nil {
				t.Fatal(err)
			}
			if !schema.Equal(tt.want) {
				t.Errorf("flight info schema\n%s\nwant\n%s", schema, tt.want)
			}
			for _, r := range recs {
				if !r.Schema().Equal(tt.want) {
					t.Errorf("batch schema %s", r.Schema())
				}
			}
			sr, err := tt.schema()
			if err != nil {
				t.Fatal(err)
			}
			if s, err := flight.DeserializeSchema(sr.GetSchema(), memory.DefaultAllocator); err != nil || !s.Equal(tt.want) {
				t.Errorf("GetSchema: %v, %v", s, err)
			}
			if tt.rows != "" {
				if got := fmt.Sprint(rowsOf(recs)); got != tt.rows {
					t.Errorf("rows %s, want %s", got, tt.rows)
				}
			}
			switch tt.name {
			case "tables with schema":
				checkTableSchemas(t, recs)
			case "xdbc type info":
				if n := len(rowsOf(recs)); n != 13 {
					t.Errorf("%d types, want 13", n)
				}
			case "xdbc type info of one type":
				if got := fmt.Sprint(rowsOf(recs)[0][0]); len(rowsOf(recs)) != 1 || got != "integer" {
					t.Errorf("type 4 (INTEGER): %v", rowsOf(recs))
				}
			case "sql info":
				checkSqlInfo(t, recs)
			}
		})
	}
}

func checkTableSchemas(t *testing.T, recs []arrow.RecordBatch) {
	seen := map[string]*arrow.Schema{}
	for _, rec := range recs {
		names := rec.Column(2).(*array.String)
		blobs := rec.Column(4).(*array.Binary)
		for i := 0; i < int(rec.NumRows()); i++ {
			s, err := flight.DeserializeSchema(blobs.Value(i), memory.DefaultAllocator)
			if err != nil {
				t.Fatalf("table %s: %v", names.Value(i), err)
			}
			seen[names.Value(i)] = s
		}
	}
	s := seen["typed"]
	if s == nil || seen["logs"] == nil {
		t.Fatalf("tables %v", seen)
	}
	want := "ts:timestamp[us, tz=UTC] b:bool i2:int16 i4:int32 i8:int64 f4:float32 f8:float64 n:decimal(10, 2) t:utf8 j:utf8 by:binary d:date32 tl:timestamp[us]"
	var got []string
	for _, f := range s.Fields() {
		got = append(got, f.Name+":"+f.Type.String())
	}
	if strings.Join(got, " ") != want {
		t.Errorf("typed schema\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
	if s.Field(0).Nullable || !s.Field(1).Nullable {
		t.Errorf("nullability: %s", s)
	}
	md := &flightsql.ColumnMetadata{Data: ptr(s.Field(0).Metadata)}
	if tn, _ := md.TypeName(); tn != "timestamp with time zone" {
		t.Errorf("ts type name %q", tn)
	}
	if tn, _ := md.TableName(); tn != "typed" {
		t.Errorf("ts table name %q", tn)
	}
}

func checkSqlInfo(t *testing.T, recs []arrow.RecordBatch) {
	values := map[flightsql.SqlInfo]any{}
	for _, rec := range recs {
		ids := rec.Column(0).(*array.Uint32)
		u := rec.Column(1).(*array.DenseUnion)
		for i := 0; i < int(rec.NumRows()); i++ {
			child := u.Field(u.ChildID(i))
			values[flightsql.SqlInfo(ids.Value(i))] = child.GetOneForMarshal(int(u.ValueOffset(i)))
		}
	}
	for id, want := range map[flightsql.SqlInfo]any{
		flightsql.SqlInfoFlightSqlServerName:          "OpenWit",
		flightsql.SqlInfoFlightSqlServerReadOnly:      false,
		flightsql.SqlInfoFlightSqlServerArrowVersion:  arrow.PkgVersion,
		flightsql.SqlInfoIdentifierQuoteChar:          `"`,
		flightsql.SqlInfoNullOrdering:                 int32(flightsql.SqlNullOrderingSortHigh),
		flightsql.SqlInfoFlightSqlServerTransaction:   int32(flightsql.SqlTransactionNone),
		flightsql.SqlInfoTransactionsSupported:        false,
		flightsql.SqlInfoFlightSqlServerBulkIngestion: true,
		flightsql.SqlInfoMaxColumnNameLen:             int64(63),
	} {
		if got := values[id]; fmt.Sprint(got) != fmt.Sprint(want) || fmt.Sprintf("%T", got) != fmt.Sprintf("%T", want) {
			t.Errorf("%s = %v (%T), want %v (%T)", id, got, got, want, want)
		}
	}
	if len(values) < 80 {
		t.Errorf("only %d sql info entries", len(values))
	}
	if kw, ok := values[flightsql.SqlInfoKeywords].(json.RawMessage); !ok || !strings.Contains(string(kw), `"ILIKE"`) {
		t.Errorf("keywords: %v", values[flightsql.SqlInfoKeywords])
	}
}
