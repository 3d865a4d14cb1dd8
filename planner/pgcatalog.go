package planner

import (
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/planner/pgtypes"
	"openwit/storage/catalog"
)

// A minimal pg_catalog, generated from OpenWit's catalog on every query:
// enough for clients' table listings (psql \dt). OIDs: namespaces 11
// (pg_catalog) and 2200 (public); a table's OID is 16384 + its catalog id.

const (
	oidPgCatalog = 11
	oidPublic    = 2200
	oidUser      = 10
	tableOIDBase = 16384
)

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

// pgCatalogTable returns the pg_catalog table name, or nil.
func (e *Engine) pgCatalogTable(name string) sql.Table {
	text, i8, i4, i2, b := types.LongText, types.Int64, types.Int32, types.Int16, types.Boolean
	tables := func(ctx *sql.Context) ([]*catalog.Table, error) { return e.cfg.Catalog.ListTables(ctx) }
	switch strings.ToLower(name) {
	case "pg_namespace":
		return &rowsTable{name: "pg_namespace", schema: cols("pg_namespace", "oid", i8, "nspname", text, "nspowner", i8),
			rows: func(*sql.Context) ([]sql.Row, error) {
				return []sql.Row{{int64(oidPgCatalog), "pg_catalog", int64(oidUser)}, {int64(oidPublic), "public", int64(oidUser)}}, nil
			}}
	case "pg_am":
		return &rowsTable{name: "pg_am", schema: cols("pg_am", "oid", i8, "amname", text),
			rows: func(*sql.Context) ([]sql.Row, error) { return []sql.Row{{int64(2), "heap"}}, nil }}
	case "pg_class":
		return &rowsTable{name: "pg_class", schema: cols("pg_class", "oid", i8, "relname", text, "relnamespace", i8,
			"relkind", text, "relowner", i8, "relam", i8, "reltuples", types.Float32, "relhasindex", b, "relpersistence", text, "relnatts", i2),
			rows: func(ctx *sql.Context) ([]sql.Row, error) {
				ts, err := tables(ctx)
				if err != nil {
					return nil, err
				}
				out := make([]sql.Row, 0, len(ts))
				for _, t := range ts {
					out = append(out, sql.Row{int64(tableOIDBase + t.ID), t.Name, int64(oidPublic), "r", int64(oidUser), int64(2),
						float32(-1), int8(0), "p", int16(len(t.Columns))})
				}
				return out, nil
			}}
	case "pg_attribute":
		return &rowsTable{name: "pg_attribute", schema: cols("pg_attribute", "attrelid", i8, "attname", text, "atttypid", i8,
			"attnum", i2, "attnotnull", b, "attisdropped", b, "atttypmod", i4, "attlen", i2, "atthasdef", b),
			rows: func(ctx *sql.Context) ([]sql.Row, error) {
				ts, err := tables(ctx)
				if err != nil {
					return nil, err
				}
				var out []sql.Row
				for _, t := range ts {
					for i, c := range t.Columns {
						gt, err := pgtypes.GMSType(c.Type)
						if err != nil {
							return nil, err
						}
						oid, size := pgtypes.OID(gt)
						out = append(out, sql.Row{int64(tableOIDBase + t.ID), c.Name, int64(oid), int16(i + 1),
							boolInt8(c.NotNull), int8(0), int32(-1), size, int8(0)})
					}
				}
				return out, nil
			}}
	case "openwit_batches":
		return e.batchesTable()
	case "pg_database":
		return &rowsTable{name: "pg_database", schema: cols("pg_database", "oid", i8, "datname", text, "datdba", i8, "encoding", i4,
			"datcollate", text, "datctype", text, "datallowconn", b),
			rows: func(*sql.Context) ([]sql.Row, error) {
				return []sql.Row{{int64(16383), "openwit", int64(oidUser), int32(6), "C", "C", int8(1)}}, nil
			}}
	}
	return nil
}

// batchesLimit is the most rows openwit_batches returns.
const batchesLimit = 100_000

// batchesTable is openwit_batches: the progress of recent ingest batches
// from the catalog's batch log (most recent first), written there by the
// ingest nodes about once a second.
func (e *Engine) batchesTable() sql.Table {
	text, i8, ts := types.LongText, types.Int64, types.TimestampMaxPrecision
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
			ts, err := e.cfg.Catalog.ListTables(ctx)
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
	return []string{"openwit_batches", "pg_am", "pg_attribute", "pg_class", "pg_database", "pg_namespace"}, nil
}
