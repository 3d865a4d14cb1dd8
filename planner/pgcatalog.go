package planner

import (
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/planner/pgparse"
	"openwit/planner/pgtypes"
	"openwit/storage/catalog"
)

// A pg_catalog generated from OpenWit's catalog on every query: what
// drivers' metadata calls (pgjdbc's DatabaseMetaData), psql's \d commands
// and GUI schema browsers read. OIDs: namespaces 11 (pg_catalog), 2200
// (public) and 13000 (information_schema); a table's OID is 16384 + its
// catalog id; the catalog's own relations have PostgreSQL's OIDs where it
// has fixed ones (pg_class 1259, ...). OpenWit has no indexes, constraints
// or user functions: pg_index and pg_constraint are empty; pg_attrdef lists
// column defaults, pg_description the comments (pgcatalog_alterddl.go);
// pg_proc lists the built-in functions (pgcatalog_proc.go).

const (
	oidPgCatalog  = 11
	oidPublic     = 2200
	oidInfoSchema = 13000
	oidUser       = 10
	oidDatabase   = 16383 // the openwit database in pg_database
	tableOIDBase  = 16384
)

// nsName is the name of a schema OID of the catalog.
func nsName(oid int64) string {
	switch oid {
	case oidPgCatalog:
		return "pg_catalog"
	case oidInfoSchema:
		return "information_schema"
	}
	return "public"
}

// rowsTable is a read-only table over rows computed when scanned.
type rowsTable struct {
	name   string
	schema sql.Schema
	rows   func(ctx *sql.Context) ([]sql.Row, error)
}

var _ sql.Table = (*rowsTable)(nil)

func (t *rowsTable) Name() string               { return t.name }
func (t *rowsTable) String() string             { return t.name }
func (t *rowsTable) Schema() sql.Schema         { return t.schema }
func (t *rowsTable) Collation() sql.CollationID { return sql.Collation_Default }
func (t *rowsTable) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return &partitionIter{parts: []*partition{{key: []byte(t.name)}}}, nil
}

func (t *rowsTable) PartitionRows(ctx *sql.Context, _ sql.Partition) (sql.RowIter, error) {
	rows, err := t.rows(ctx)
	if err != nil {
		return nil, err
	}
	return sql.RowsToRowIter(rows...), nil
}

func cols(table string, spec ...any) sql.Schema {
	var s sql.Schema
	for i := 0; i < len(spec); i += 2 {
		s = append(s, &sql.Column{Name: spec[i].(string), Type: spec[i+1].(sql.Type), Nullable: true, Source: table, DatabaseSource: "pg_catalog"})
	}
	return s
}

// pgCatalogTable returns the pg_catalog table name, or nil. Tables not
// listed here are in pgcatalog_tables.go (catalogTables) and
// information_schema.go.
func (e *Engine) pgCatalogTable(name string) sql.Table {
	text, i8, i4, i2, b := types.LongText, types.Int64, types.Int32, types.Int16, types.Boolean
	tables := func(ctx *sql.Context) ([]*catalog.Table, error) { return e.listTables(ctx) }
	switch name = strings.ToLower(name); name {
	case "pg_namespace":
		return &rowsTable{name: "pg_namespace", schema: cols("pg_namespace", "oid", i8, "nspname", text, "nspowner", i8, "nspacl", text),
			rows: func(*sql.Context) ([]sql.Row, error) {
				return []sql.Row{{int64(oidPgCatalog), "pg_catalog", int64(oidUser), nil}, {int64(oidPublic), "public", int64(oidUser), nil},
					{int64(oidInfoSchema), "information_schema", int64(oidUser), nil}}, nil
			}}
	case "pg_am":
		return &rowsTable{name: "pg_am", schema: cols("pg_am", "oid", i8, "amname", text, "amhandler", text, "amtype", text),
			rows: func(*sql.Context) ([]sql.Row, error) {
				// PostgreSQL's built-in access methods: OpenWit's tables
				// are listed as heap (relam 2); it has no indexes of
				// these kinds.
				return []sql.Row{{int64(2), "heap", "heap_tableam_handler", "t"}, {int64(403), "btree", "bthandler", "i"},
					{int64(405), "hash", "hashhandler", "i"}, {int64(783), "gist", "gisthandler", "i"},
					{int64(2742), "gin", "ginhandler", "i"}, {int64(3580), "brin", "brinhandler", "i"},
					{int64(4000), "spgist", "spghandler", "i"}}, nil
			}}
	case "pg_class":
		return &rowsTable{name: "pg_class", schema: cols("pg_class", "oid", i8, "relname", text, "relnamespace", i8,
			"relkind", text, "relowner", i8, "relam", i8, "reltuples", types.Float32, "relhasindex", b, "relpersistence", text, "relnatts", i2,
			"reltype", i8, "reloftype", i8, "relfilenode", i8, "reltablespace", i8, "relpages", i4, "relallvisible", i4,
			"reltoastrelid", i8, "relisshared", b, "relchecks", i2, "relhasrules", b, "relhastriggers", b, "relhassubclass", b,
			"relrowsecurity", b, "relforcerowsecurity", b, "relispopulated", b, "relreplident", text, "relispartition", b,
			"relrewrite", i8, "relfrozenxid", i8, "relminmxid", i8, "relacl", text, "reloptions", pgtypes.ArrayType{Elem: pgtypes.OIDText}, "relpartbound", text),
			rows: func(ctx *sql.Context) ([]sql.Row, error) {
				ts, err := tables(ctx)
				if err != nil {
					return nil, err
				}
				row := func(oid int64, name string, ns int64, kind string, natts int) sql.Row {
					am := int64(2)
					if kind != "r" {
						am = 0
					}
					// A user table's replica identity is the default
					// (psql's \d+ prints none); catalogs and views have
					// none ("n").
					replident := "n"
					if kind == "r" && ns == int64(oidPublic) {
						replident = "d"
					}
					return sql.Row{oid, name, ns, kind, int64(oidUser), am, float32(-1), int8(0), "p", int16(natts),
						int64(0), int64(0), oid, int64(0), int32(0), int32(0),
						int64(0), int8(0), int16(0), int8(0), int8(0), int8(0),
						int8(0), int8(0), int8(1), replident, int8(0),
						int64(0), int64(0), int64(0), nil, nil, nil}
				}
				out := make([]sql.Row, 0, len(ts))
				for _, t := range ts {
					out = append(out, row(int64(tableOIDBase+t.ID), t.Name, int64(oidPublic), "r", len(t.Columns)))
				}
				vrows, err := e.viewClassRows(ctx, row) // views_catalog.go
				if err != nil {
					return nil, err
				}
				out = append(out, vrows...)
				for _, r := range e.systemRelations() {
					out = append(out, row(r.oid, r.name, r.ns, r.kind, len(r.table.Schema())))
				}
				return out, nil
			}}
	case "pg_attribute":
		return &rowsTable{name: "pg_attribute", schema: cols("pg_attribute", "attrelid", i8, "attname", text, "atttypid", i8,
			"attnum", i2, "attnotnull", b, "attisdropped", b, "atttypmod", i4, "attlen", i2, "atthasdef", b,
			"attstattarget", i4, "attndims", i4, "attcacheoff", i4, "attbyval", b, "attalign", text, "attstorage", text,
			"attcompression", text, "atthasmissing", b, "attidentity", text, "attgenerated", text, "attislocal", b,
			"attinhcount", i4, "attcollation", i8, "attacl", text, "attoptions", text),
			rows: func(ctx *sql.Context) ([]sql.Row, error) {
				ts, err := tables(ctx)
				if err != nil {
					return nil, err
				}
				var out []sql.Row
				row := func(rel int64, name string, typ sql.Type, colType string, num int, notNull, hasDef bool) sql.Row {
					oid, size := pgtypes.OID(typ)
					coll := int64(0)
					if oid == pgtypes.OIDText || oid == pgtypes.OIDVarchar || oid == pgtypes.OIDBPChar {
						coll = 100
					}
					ndims, coll := arrayColumnAttrs(colType, oid, coll)
					return sql.Row{rel, name, int64(oid), int16(num), boolInt8(notNull), int8(0), typmod(colType), size, boolInt8(hasDef),
						int32(-1), ndims, int32(-1), boolInt8(size > 0 && size <= 8), typAlign(oid, size), typStorage(oid, size),
						"", int8(0), "", "", int8(1),
						int32(0), coll, nil, nil}
				}
				for _, t := range ts {
					for i, c := range t.Columns {
						gt, err := pgtypes.GMSType(c.Type)
						if err != nil {
							return nil, err
						}
						out = append(out, row(int64(tableOIDBase+t.ID), c.Name, gt, c.Type, t.AttNum(i), c.NotNull, c.Default != ""))
					}
				}
				vrows, err := e.viewAttributeRows(ctx, row) // views_catalog.go
				if err != nil {
					return nil, err
				}
				out = append(out, vrows...)
				for _, r := range e.systemRelations() {
					for i, c := range r.table.Schema() {
						out = append(out, row(r.oid, c.Name, c.Type, "", i+1, false, false))
					}
				}
				return out, nil
			}}
	case "openwit_batches":
		return e.batchesTable()
	case "pg_database":
		return &rowsTable{name: "pg_database", schema: cols("pg_database", "oid", i8, "datname", text, "datdba", i8, "encoding", i4,
			"datcollate", text, "datctype", text, "datallowconn", b, "datlocprovider", text, "datistemplate", b,
			"datconnlimit", i4, "daticulocale", text, "datcollversion", text, "datacl", text, "dattablespace", i8),
			rows: func(*sql.Context) ([]sql.Row, error) {
				return []sql.Row{{int64(oidDatabase), "openwit", int64(oidUser), int32(6), "C", "C", int8(1), "c", int8(0),
					int32(-1), nil, nil, nil, int64(1663)}}, nil
			}}
	}
	if strings.HasPrefix(name, pgparse.InformationSchemaPrefix) {
		return e.informationSchemaTable(strings.TrimPrefix(name, pgparse.InformationSchemaPrefix))
	}
	return e.catalogTable(name)
}

// batchesLimit is the most rows openwit_batches returns.
const batchesLimit = 100_000

// batchesTable is openwit_batches: the progress of recent ingest batches
// from the catalog's batch log (most recent first), written there by the
// ingest nodes about once a second.
func (e *Engine) batchesTable() sql.Table {
	text, i8, ts := types.LongText, types.Int64, pgtypes.TimestampTZType
	return &rowsTable{name: "openwit_batches", schema: cols("openwit_batches", "batch_id", text, "node", text,
		"table_name", text, "table_id", i8, "lsn", i8, "rows", i8, "bytes", i8, "stage", text,
		"received_at", ts, "wal_written_at", ts, "stored_at", ts, "indexed_at", ts),
		rows: func(ctx *sql.Context) ([]sql.Row, error) {
			bl, err := catalog.AsBatchLog(e.cfg.Catalog)
			if err != nil {
				return nil, nil
			}
			bs, err := bl.ListBatches(ctx, batchesLimit)
			if err != nil {
				return nil, err
			}
			ts, err := e.listTables(ctx)
			if err != nil {
				return nil, err
			}
			names := map[int64]string{}
			for _, t := range ts {
				names[t.ID] = t.Name
			}
			at := func(t time.Time) any {
				if t.IsZero() {
					return nil
				}
				return t.UTC()
			}
			out := make([]sql.Row, 0, len(bs))
			for _, b := range bs {
				var name any
				if n, ok := names[b.TableID]; ok {
					name = n
				}
				out = append(out, sql.Row{b.ID, b.Node, name, b.TableID, int64(b.LSN), b.Rows, b.Bytes, b.Stage(),
					at(b.ReceivedAt), at(b.WALWrittenAt), at(b.StoredAt), at(b.IndexedAt)})
			}
			return out, nil
		}}
}

func boolInt8(b bool) int8 {
	if b {
		return 1
	}
	return 0
}

// pgCatalogDB is the pg_catalog schema as a go-mysql-server database.
type pgCatalogDB struct{ eng *Engine }

var _ sql.Database = (*pgCatalogDB)(nil)

func (d *pgCatalogDB) Name() string { return "pg_catalog" }
func (d *pgCatalogDB) GetTableInsensitive(_ *sql.Context, name string) (sql.Table, bool, error) {
	t := d.eng.pgCatalogTable(name)
	return t, t != nil, nil
}
func (d *pgCatalogDB) GetTableNames(*sql.Context) ([]string, error) {
	return append([]string{"openwit_batches", "pg_am", "pg_attribute", "pg_class", "pg_database", "pg_namespace"}, catalogTableNames...), nil
}
