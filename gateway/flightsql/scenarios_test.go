package flightsql_test

// The checks of arrow-go's Flight SQL integration scenarios
// (arrow/internal/flight_integration/scenario.go in arrow-go v18: the
// "flight_sql", "flight_sql:extension" and "flight_sql:ingestion"
// scenarios), run against OpenWit. Those scenarios pair a client with a
// mock server that answers fixed values; here the client-side checks that
// hold for any real server are asserted with OpenWit's own answers, and the
// features OpenWit leaves out (Substrait, transactions, ingest modes other
// than append) must fail with a clear status.

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql/schema_ref"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	fsql "openwit/gateway/flightsql"
)

// checkInfo redeems info's first endpoint and checks that the FlightInfo
// schema and the stream's schema both equal want, and that the stream
// reads to its end.
func checkInfo(t *testing.T, cl *flightsql.Client, want *arrow.Schema, info *flight.FlightInfo) [][]any {
	t.Helper()
	schema, recs, err := fetch(t, context.Background(), cl, info)
	if err != nil {
		t.Fatal(err)
	}
	if !schema.Equal(want) {
		t.Errorf("flight info schema\n%s\nwant\n%s", schema, want)
	}
	return rowsOf(recs)
}

func checkSchemaResult(t *testing.T, want *arrow.Schema, sr *flight.SchemaResult, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	s, err := flight.DeserializeSchema(sr.GetSchema(), memory.DefaultAllocator)
	if err != nil || !s.Equal(want) {
		t.Errorf("GetSchema: %v (%v), want %s", s, err, want)
	}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func TestIntegrationScenarios(t *testing.T) {
	ctx := context.Background()
	a, _ := newStack(t).start(t, fsql.Config{Trust: true})
	cl := newClient(t, a)
	exec(t, cl, `CREATE TABLE test_table (test_field int8)`)

	// flight_sql: ValidateMetadataRetrieval — every metadata command with
	// the scenario's filters (which match nothing here): the FlightInfo
	// schema, the stream schema and GetSchema are the reference schemas.
	t.Run("flight_sql metadata", func(t *testing.T) {
		catalog, schemaPattern, tablePattern := "catalog", "db_schema_filter_pattern", "table_filter_pattern"
		ref := flightsql.TableRef{Catalog: ptr("catalog"), DBSchema: ptr("db_schema"), Table: "table"}
		pk := flightsql.TableRef{Catalog: ptr("pk_catalog"), DBSchema: ptr("pk_db_schema"), Table: "pk_table"}
		fk := flightsql.TableRef{Catalog: ptr("fk_catalog"), DBSchema: ptr("fk_db_schema"), Table: "fk_table"}
		info := must[*flight.FlightInfo](t)
		schema := func(sr *flight.SchemaResult, err error) func(*arrow.Schema) {
			return func(want *arrow.Schema) { checkSchemaResult(t, want, sr, err) }
		}

		checkInfo(t, cl, schema_ref.Catalogs, info(cl.GetCatalogs(ctx)))
		schema(cl.GetCatalogsSchema(ctx))(schema_ref.Catalogs)
		if rows := checkInfo(t, cl, schema_ref.DBSchemas, info(cl.GetDBSchemas(ctx,
			&flightsql.GetDBSchemasOpts{Catalog: &catalog, DbSchemaFilterPattern: &schemaPattern}))); len(rows) != 0 {
			t.Errorf("db schemas of catalog %q: %v", catalog, rows)
		}
		schema(cl.GetDBSchemasSchema(ctx))(schema_ref.DBSchemas)
		checkInfo(t, cl, schema_ref.TablesWithIncludedSchema, info(cl.GetTables(ctx, &flightsql.GetTablesOpts{
			Catalog: &catalog, DbSchemaFilterPattern: &schemaPattern, TableNameFilterPattern: &tablePattern,
			IncludeSchema: true, TableTypes: []string{"table", "view"}})))
		schema(cl.GetTablesSchema(ctx, &flightsql.GetTablesOpts{IncludeSchema: true}))(schema_ref.TablesWithIncludedSchema)
		schema(cl.GetTablesSchema(ctx, &flightsql.GetTablesOpts{IncludeSchema: false}))(schema_ref.Tables)
		checkInfo(t, cl, schema_ref.TableTypes, info(cl.GetTableTypes(ctx)))
		schema(cl.GetTableTypesSchema(ctx))(schema_ref.TableTypes)
		checkInfo(t, cl, schema_ref.PrimaryKeys, info(cl.GetPrimaryKeys(ctx, ref)))
		schema(cl.GetPrimaryKeysSchema(ctx))(schema_ref.PrimaryKeys)
		checkInfo(t, cl, schema_ref.ExportedKeys, info(cl.GetExportedKeys(ctx, ref)))
		schema(cl.GetExportedKeysSchema(ctx))(schema_ref.ExportedKeys)
		checkInfo(t, cl, schema_ref.ImportedKeys, info(cl.GetImportedKeys(ctx, ref)))
		schema(cl.GetImportedKeysSchema(ctx))(schema_ref.ImportedKeys)
		checkInfo(t, cl, schema_ref.CrossReference, info(cl.GetCrossReference(ctx, pk, fk)))
		schema(cl.GetCrossReferenceSchema(ctx))(schema_ref.CrossReference)
		checkInfo(t, cl, schema_ref.XdbcTypeInfo, info(cl.GetXdbcTypeInfo(ctx, nil)))
		schema(cl.GetXdbcTypeInfoSchema(ctx))(schema_ref.XdbcTypeInfo)
		rows := checkInfo(t, cl, schema_ref.SqlInfo, info(cl.GetSqlInfo(ctx,
			[]flightsql.SqlInfo{flightsql.SqlInfoFlightSqlServerName, flightsql.SqlInfoFlightSqlServerReadOnly})))
		if len(rows) != 2 {
			t.Errorf("sql info for 2 ids: %v", rows)
		}
		schema(cl.GetSqlInfoSchema(ctx))(schema_ref.SqlInfo)
	})

	// flight_sql: ValidateStatementExecution — a query's stream has the
	// schema GetFlightInfo and GetExecuteSchema announced; an update
	// returns its row count.
	t.Run("flight_sql statements", func(t *testing.T) {
		if n := exec(t, cl, `INSERT INTO test_table (test_field) VALUES (1), (2), (NULL)`); n != 3 {
			t.Errorf("update count %d, want 3", n)
		}
		const q = `SELECT test_field FROM test_table ORDER BY test_field`
		info := must[*flight.FlightInfo](t)(cl.Execute(ctx, q))
		want := must[*arrow.Schema](t)(flight.DeserializeSchema(info.Schema, memory.DefaultAllocator))
		if rows := checkInfo(t, cl, want, info); fmt.Sprint(rows) != "[[1] [2] [<nil>]]" {
			t.Errorf("rows %v", rows)
		}
		sr, err := cl.GetExecuteSchema(ctx, q)
		checkSchemaResult(t, want, sr, err)
	})

	// flight_sql: ValidatePreparedStatementExecution — a prepared query
	// with an Int64 parameter bound, its stream and GetSchema agree; a
	// prepared update returns its count; both close cleanly.
	t.Run("flight_sql prepared statements", func(t *testing.T) {
		ps := must[*flightsql.PreparedStatement](t)(cl.Prepare(ctx, `SELECT test_field FROM test_table WHERE test_field >= $1`))
		arr, _, err := array.FromJSON(memory.DefaultAllocator, arrow.PrimitiveTypes.Int64, stringsReader("[2]"))
		if err != nil {
			t.Fatal(err)
		}
		defer arr.Release()
		params := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "$1", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil), []arrow.Array{arr}, 1)
		defer params.Release()
		ps.SetParameters(params)
		info := must[*flight.FlightInfo](t)(ps.Execute(ctx))
		want := must[*arrow.Schema](t)(flight.DeserializeSchema(info.Schema, memory.DefaultAllocator))
		if rows := checkInfo(t, cl, want, info); fmt.Sprint(rows) != "[[2]]" {
			t.Errorf("rows %v", rows)
		}
		sr, err := ps.GetSchema(ctx)
		checkSchemaResult(t, want, sr, err)
		if err := ps.Close(ctx); err != nil {
			t.Error(err)
		}
		up := must[*flightsql.PreparedStatement](t)(cl.Prepare(ctx, `INSERT INTO test_table (test_field) VALUES (10), (11)`))
		if n, err := up.ExecuteUpdate(ctx); err != nil || n != 2 {
			t.Errorf("prepared update: %d, %v", n, err)
		}
		if err := up.Close(ctx); err != nil {
			t.Error(err)
		}
	})

	// flight_sql:extension: ValidateMetadataRetrieval — the extension
	// SqlInfo ids decode from the dense union without duplicates, with
	// OpenWit's values; ValidateStatementExecution's CancelQuery answers
	// CANCELLED; Substrait and transactions (which OpenWit does not have)
	// fail with Unimplemented instead of the scenario's mock answers.
	t.Run("flight_sql:extension", func(t *testing.T) {
		ids := []flightsql.SqlInfo{
			flightsql.SqlInfoFlightSqlServerSql, flightsql.SqlInfoFlightSqlServerSubstrait,
			flightsql.SqlInfoFlightSqlServerSubstraitMinVersion, flightsql.SqlInfoFlightSqlServerSubstraitMaxVersion,
			flightsql.SqlInfoFlightSqlServerTransaction, flightsql.SqlInfoFlightSqlServerCancel,
			flightsql.SqlInfoFlightSqlServerStatementTimeout, flightsql.SqlInfoFlightSqlServerTransactionTimeout,
		}
		info := must[*flight.FlightInfo](t)(cl.GetSqlInfo(ctx, ids))
		_, recs, err := fetch(t, ctx, cl, info)
		if err != nil {
			t.Fatal(err)
		}
		got := map[uint32]any{}
		for _, rec := range recs {
			if !rec.Schema().Equal(schema_ref.SqlInfo) {
				t.Fatalf("schema %s", rec.Schema())
			}
			names, values := rec.Column(0).(*array.Uint32), rec.Column(1).(*array.DenseUnion)
			for i := range int(rec.NumRows()) {
				id := names.Value(i)
				if _, dup := got[id]; dup {
					t.Errorf("sql info %d twice", id)
				}
				off := int(values.ValueOffset(i))
				switch values.TypeCode(i) {
				case 0:
					got[id] = values.Field(0).(*array.String).Value(off)
				case 1:
					got[id] = values.Field(1).(*array.Boolean).Value(off)
				case 2:
					got[id] = values.Field(2).(*array.Int64).Value(off)
				case 3:
					got[id] = values.Field(3).(*array.Int32).Value(off)
				default:
					t.Errorf("sql info %d: value of type code %d", id, values.TypeCode(i))
				}
			}
		}
		want := map[flightsql.SqlInfo]any{
			flightsql.SqlInfoFlightSqlServerSql:                true,
			flightsql.SqlInfoFlightSqlServerSubstrait:          false,
			flightsql.SqlInfoFlightSqlServerTransaction:        int32(flightsql.SqlTransactionNone),
			flightsql.SqlInfoFlightSqlServerCancel:             true,
			flightsql.SqlInfoFlightSqlServerStatementTimeout:   int32(0),
			flightsql.SqlInfoFlightSqlServerTransactionTimeout: int32(0),
		}
		for id, v := range want {
			if got[uint32(id)] != v {
				t.Errorf("sql info %s = %#v, want %#v", id, got[uint32(id)], v)
			}
		}

		plan := flightsql.SubstraitPlan{Plan: []byte("plan"), Version: "0.1"}
		if _, err := cl.ExecuteSubstrait(ctx, plan); status.Code(err) != codes.Unimplemented {
			t.Errorf("ExecuteSubstrait: %v, want Unimplemented", err)
		}
		if _, err := cl.PrepareSubstrait(ctx, plan); status.Code(err) != codes.Unimplemented {
			t.Errorf("PrepareSubstrait: %v, want Unimplemented", err)
		}
		if _, err := cl.BeginTransaction(ctx); status.Code(err) != codes.Unimplemented {
			t.Errorf("BeginTransaction: %v, want Unimplemented", err)
		}
		qi := must[*flight.FlightInfo](t)(cl.Execute(ctx, `SELECT count(*) FROM test_table`))
		//lint:ignore SA1019 the scenario checks the deprecated action
		if res, err := cl.CancelQuery(ctx, qi); err != nil || res != flightsql.CancelResultCancelled {
			t.Errorf("CancelQuery: %v, %v", res, err)
		}
	})

	// flight_sql:ingestion: ValidateIngestion — ExecuteIngest of a
	// nullable Int64 column returns the row count. The scenario's options
	// (create/replace, a temporary table, a transaction) are refused with
	// clear statuses; with catalog, schema and free-form options that
	// apply, the rows land.
	t.Run("flight_sql:ingestion", func(t *testing.T) {
		schema := arrow.NewSchema([]arrow.Field{{Name: "test_field", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
		const rows = 3
		nulls := array.MakeArrayOfNull(memory.DefaultAllocator, arrow.PrimitiveTypes.Int64, rows)
		defer nulls.Release()
		rec := array.NewRecordBatch(schema, []arrow.Array{nulls}, rows)
		defer rec.Release()
		before := countRows(t, cl, "test_table")
		ingest := func(o *flightsql.ExecuteIngestOpts) (int64, error) {
			o.Table = "test_table"
			if o.TableDefinitionOptions == nil {
				o.TableDefinitionOptions = &flightsql.TableDefinitionOptions{IfExists: flightsql.TableDefinitionOptionsTableExistsOptionAppend}
			}
			return cl.ExecuteIngest(ctx, reader(t, schema, rec), o)
		}
		for _, tt := range []struct {
			name string
			opts *flightsql.ExecuteIngestOpts
			code codes.Code
		}{
			{"replace", &flightsql.ExecuteIngestOpts{TableDefinitionOptions: &flightsql.TableDefinitionOptions{
				IfNotExist: flightsql.TableDefinitionOptionsTableNotExistOptionCreate,
				IfExists:   flightsql.TableDefinitionOptionsTableExistsOptionReplace}}, codes.Unimplemented},
			{"temporary", &flightsql.ExecuteIngestOpts{Temporary: true}, codes.Unimplemented},
			{"transaction", &flightsql.ExecuteIngestOpts{TransactionId: []byte("123")}, codes.Unimplemented},
			{"other catalog", &flightsql.ExecuteIngestOpts{Catalog: ptr("test_catalog")}, codes.NotFound},
		} {
			if _, err := ingest(tt.opts); status.Code(err) != tt.code {
				t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
			}
		}
		n, err := ingest(&flightsql.ExecuteIngestOpts{
			TableDefinitionOptions: &flightsql.TableDefinitionOptions{IfExists: flightsql.TableDefinitionOptionsTableExistsOptionAppend},
			Catalog:                ptr("openwit"), Schema: ptr("public"),
			Options: map[string]string{"key1": "val1", "key2": "val2"},
		})
		if err != nil || n != rows {
			t.Errorf("ingest: %d, %v; want %d", n, err, rows)
		}
		if got := countRows(t, cl, "test_table"); got != before+rows {
			t.Errorf("count %d, want %d (nothing from the refused calls)", got, before+rows)
		}
	})
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
