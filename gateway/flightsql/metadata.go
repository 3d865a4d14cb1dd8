package flightsql

import (
	"context"
	"regexp"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql/schema_ref"

	"openwit/planner/pgtypes"
	"openwit/storage"
	"openwit/storage/catalog"
)

// The one catalog and schema OpenWit has (PostgreSQL's terms: database
// "openwit", schema "public").
const (
	catalogName = "openwit"
	schemaName  = "public"
	tableType   = "TABLE"
)

// metaInfo is the FlightInfo of a metadata command: its ticket is the
// command itself, redeemed by the matching DoGet handler.
func (s *Server) metaInfo(desc *flight.FlightDescriptor, schema *arrow.Schema) *flight.FlightInfo {
	return &flight.FlightInfo{
		Endpoint:         []*flight.FlightEndpoint{{Ticket: &flight.Ticket{Ticket: desc.Cmd}}},
		FlightDescriptor: desc,
		Schema:           flight.SerializeSchema(schema, s.mem),
		TotalRecords:     -1,
		TotalBytes:       -1,
	}
}

// oneBatch streams a single record batch.
func oneBatch(rec arrow.RecordBatch) <-chan flight.StreamChunk {
	ch := make(chan flight.StreamChunk, 1)
	ch <- flight.StreamChunk{Data: rec}
	close(ch)
	return ch
}

// build fills a batch of schema with fill and streams it.
func (s *Server) build(schema *arrow.Schema, fill func(b *array.RecordBuilder) error) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	b := array.NewRecordBuilder(s.mem, schema)
	defer b.Release()
	if err := fill(b); err != nil {
		return nil, nil, statusError(err)
	}
	return schema, oneBatch(b.NewRecordBatch()), nil
}

// GetFlightInfoCatalogs implements flightsql.Server.
func (s *Server) GetFlightInfoCatalogs(_ context.Context, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.metaInfo(desc, schema_ref.Catalogs), nil
}

// DoGetCatalogs returns the one catalog, "openwit".
func (s *Server) DoGetCatalogs(context.Context) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return s.build(schema_ref.Catalogs, func(b *array.RecordBuilder) error {
		b.Field(0).(*array.StringBuilder).Append(catalogName)
		return nil
	})
}

// GetFlightInfoSchemas implements flightsql.Server.
func (s *Server) GetFlightInfoSchemas(_ context.Context, _ flightsql.GetDBSchemas, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.metaInfo(desc, schema_ref.DBSchemas), nil
}

// DoGetDBSchemas returns the one schema, "public", when it matches the
// filters.
func (s *Server) DoGetDBSchemas(_ context.Context, cmd flightsql.GetDBSchemas) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return s.build(schema_ref.DBSchemas, func(b *array.RecordBuilder) error {
		if catalogMatches(cmd.GetCatalog()) && likeMatch(cmd.GetDBSchemaFilterPattern(), schemaName) {
			b.Field(0).(*array.StringBuilder).Append(catalogName)
			b.Field(1).(*array.StringBuilder).Append(schemaName)
		}
		return nil
	})
}

// GetFlightInfoTables implements flightsql.Server.
func (s *Server) GetFlightInfoTables(_ context.Context, cmd flightsql.GetTables, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	if cmd.GetIncludeSchema() {
		return s.metaInfo(desc, schema_ref.TablesWithIncludedSchema), nil
	}
	return s.metaInfo(desc, schema_ref.Tables), nil
}

// DoGetTables lists the catalog's tables matching the filters, ordered by
// name, with each table's Arrow schema when asked.
func (s *Server) DoGetTables(ctx context.Context, cmd flightsql.GetTables) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	schema := schema_ref.Tables
	if cmd.GetIncludeSchema() {
		schema = schema_ref.TablesWithIncludedSchema
	}
	var tables []*catalog.Table
	if catalogMatches(cmd.GetCatalog()) && likeMatch(cmd.GetDBSchemaFilterPattern(), schemaName) &&
		(len(cmd.GetTableTypes()) == 0 || slices.ContainsFunc(cmd.GetTableTypes(), func(t string) bool { return strings.EqualFold(t, tableType) })) {
		all, err := s.cfg.Catalog.ListTables(ctx)
		if err != nil {
			return nil, nil, statusError(err)
		}
		for _, t := range all {
			if !t.SetAside() && likeMatch(cmd.GetTableNameFilterPattern(), t.Name) {
				tables = append(tables, t)
			}
		}
	}
	return s.build(schema, func(b *array.RecordBuilder) error {
		for _, t := range tables {
			b.Field(0).(*array.StringBuilder).Append(catalogName)
			b.Field(1).(*array.StringBuilder).Append(schemaName)
			b.Field(2).(*array.StringBuilder).Append(t.Name)
			b.Field(3).(*array.StringBuilder).Append(tableType)
			if cmd.GetIncludeSchema() {
				ts, err := tableSchema(t)
				if err != nil {
					return err
				}
				b.Field(4).(*array.BinaryBuilder).Append(flight.SerializeSchema(ts, s.mem))
			}
		}
		return nil
	})
}

// tableSchema is a table's Arrow schema (storage.ArrowSchema, the types
// bulk ingest expects) with Flight SQL column metadata.
func tableSchema(t *catalog.Table) (*arrow.Schema, error) {
	base, err := storage.ArrowSchema(t)
	if err != nil {
		return nil, err
	}
	fields := base.Fields()
	for i, c := range t.Columns {
		md := flightsql.NewColumnMetadataBuilder().CatalogName(catalogName).SchemaName(schemaName).TableName(t.Name).
			TypeName(columnTypeName(c.Type)).IsAutoIncrement(false).IsReadOnly(false).IsSearchable(true).
			IsCaseSensitive(fields[i].Type.ID() == arrow.STRING)
		if d, ok := fields[i].Type.(*arrow.Decimal128Type); ok {
			md.Precision(d.Precision).Scale(d.Scale)
		}
		fields[i].Metadata = md.Metadata()
	}
	return arrow.NewSchema(fields, nil), nil
}

// columnTypeName is PostgreSQL's format_type name of a stored column type.
func columnTypeName(t string) string {
	if _, _, ok := storage.CharLength(t); ok {
		return storage.CharTypeName(t)
	}
	gt, err := pgtypes.GMSType(t)
	if err != nil {
		return t
	}
	oid, _ := pgtypes.OID(gt)
	return pgtypes.TypeName(oid)
}

// GetFlightInfoTableTypes implements flightsql.Server.
func (s *Server) GetFlightInfoTableTypes(_ context.Context, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.metaInfo(desc, schema_ref.TableTypes), nil
}

// DoGetTableTypes returns "TABLE", the only kind of relation.
func (s *Server) DoGetTableTypes(context.Context) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return s.build(schema_ref.TableTypes, func(b *array.RecordBuilder) error {
		b.Field(0).(*array.StringBuilder).Append(tableType)
		return nil
	})
}

func empty(schema *arrow.Schema) func() (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return func() (*arrow.Schema, <-chan flight.StreamChunk, error) {
		ch := make(chan flight.StreamChunk)
		close(ch)
		return schema, ch, nil
	}
}

// GetFlightInfoPrimaryKeys implements flightsql.Server.
func (s *Server) GetFlightInfoPrimaryKeys(_ context.Context, _ flightsql.TableRef, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.metaInfo(desc, schema_ref.PrimaryKeys), nil
}

// DoGetPrimaryKeys returns no rows: OpenWit tables have no keys.
func (s *Server) DoGetPrimaryKeys(context.Context, flightsql.TableRef) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return empty(schema_ref.PrimaryKeys)()
}

// GetFlightInfoExportedKeys implements flightsql.Server.
func (s *Server) GetFlightInfoExportedKeys(_ context.Context, _ flightsql.TableRef, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.metaInfo(desc, schema_ref.ExportedKeys), nil
}

// DoGetExportedKeys returns no rows: OpenWit has no foreign keys.
func (s *Server) DoGetExportedKeys(context.Context, flightsql.TableRef) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return empty(schema_ref.ExportedKeys)()
}

// GetFlightInfoImportedKeys implements flightsql.Server.
func (s *Server) GetFlightInfoImportedKeys(_ context.Context, _ flightsql.TableRef, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.metaInfo(desc, schema_ref.ImportedKeys), nil
}

// DoGetImportedKeys returns no rows: OpenWit has no foreign keys.
func (s *Server) DoGetImportedKeys(context.Context, flightsql.TableRef) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return empty(schema_ref.ImportedKeys)()
}

// GetFlightInfoCrossReference implements flightsql.Server.
func (s *Server) GetFlightInfoCrossReference(_ context.Context, _ flightsql.CrossTableRef, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.metaInfo(desc, schema_ref.CrossReference), nil
}

// DoGetCrossReference returns no rows: OpenWit has no foreign keys.
func (s *Server) DoGetCrossReference(context.Context, flightsql.CrossTableRef) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return empty(schema_ref.CrossReference)()
}

// catalogMatches reports whether a catalog filter (nil: any) names ours.
func catalogMatches(c *string) bool { return c == nil || *c == catalogName }

// likeMatch reports whether s matches a SQL LIKE pattern (nil or empty
// pattern: everything). '%' matches any run, '_' one character, '\'
// escapes the next character.
func likeMatch(pattern *string, s string) bool {
	if pattern == nil || *pattern == "" {
		return true
	}
	var re strings.Builder
	re.WriteString("^(?s:")
	esc := false
	for _, r := range *pattern {
		switch {
		case esc:
			re.WriteString(regexp.QuoteMeta(string(r)))
			esc = false
		case r == '\\':
			esc = true
		case r == '%':
			re.WriteString(".*")
		case r == '_':
			re.WriteString(".")
		default:
			re.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	re.WriteString(")$")
	ok, _ := regexp.MatchString(re.String(), s)
	return ok
}
