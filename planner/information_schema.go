package planner

import (
	"cmp"
	"fmt"
	"strconv"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/planner/pgtypes"
	"openwit/storage"
)

// PostgreSQL's information_schema views over the generated catalog
// (schema browsers such as Grafana's and DBeaver's read them). The
// translator maps information_schema.X to the pg_catalog database's table
// "information_schema.X" (go-mysql-server keeps the information_schema
// name for its MySQL views). Values use the SQL standard's spellings as
// PostgreSQL does: 'BASE TABLE', 'YES'/'NO', data_type 'integer'.

// informationSchemaNames are the views provided, by name.
var informationSchemaNames = []string{"character_sets", "columns", "key_column_usage", "routines", "schemata",
	"table_constraints", "table_privileges", "tables", "views"}

// relationColumn is one column of a relation as information_schema.columns
// shows it.
type relationColumn struct {
	name    string
	oid     uint32
	colType string // OpenWit's stored type ("numeric(12,2)"); "" for catalog columns
	notNull bool
	def     string // DEFAULT expression; "" for none
	num     int    // attnum (ordinal_position); 0: the position
	// readOnly marks a view column UPDATE cannot assign (views_viewdml.go).
	readOnly bool
}

type relationInfo struct {
	schema, name, kind string // kind "r" or "v"
	cols               []relationColumn
	def                string // a user view's definition (views_catalog.go)
	// insertable and updatable (UPDATE and DELETE) tell whether a view is
	// automatically updatable; checkOption is its check option
	// (views_viewdml.go).
	insertable, updatable bool
	checkOption           string
}

// relations lists OpenWit's tables (public), then the catalog's own
// relations.
func (e *Engine) relations(ctx *sql.Context) ([]relationInfo, error) {
	ts, err := e.listTables(ctx)
	if err != nil {
		return nil, err
	}
	var out []relationInfo
	for _, t := range ts {
		r := relationInfo{schema: "public", name: t.Name, kind: "r"}
		for i, c := range t.Columns {
			gt, err := pgtypes.GMSType(c.Type)
			if err != nil {
				return nil, err
			}
			oid, _ := pgtypes.OID(gt)
			r.cols = append(r.cols, relationColumn{name: c.Name, oid: oid, colType: c.Type, notNull: c.NotNull, def: e.shownDefault(ctx, c), num: t.AttNum(i)})
		}
		out = append(out, r)
	}
	vs, err := e.viewRelations(ctx) // views_catalog.go
	if err != nil {
		return nil, err
	}
	out = append(out, vs...)
	for _, sr := range e.systemRelations() {
		r := relationInfo{schema: "pg_catalog", name: sr.name, kind: sr.kind}
		if sr.ns == oidInfoSchema {
			r.schema = "information_schema"
		}
		for _, c := range sr.table.Schema() {
			oid, _ := pgtypes.OID(c.Type)
			r.cols = append(r.cols, relationColumn{name: c.Name, oid: oid})
		}
		out = append(out, r)
	}
	return out, nil
}

func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "NO"
}

// informationSchemaTable returns information_schema.name, or nil.
func (e *Engine) informationSchemaTable(name string) sql.Table {
	text, i4 := types.LongText, types.Int32
	full := "information_schema." + name
	c := func(spec ...any) sql.Schema { return cols(name, spec...) }
	empty := func(*sql.Context) ([]sql.Row, error) { return nil, nil }
	switch name {
	case "table_constraints":
		// OpenWit's only constraints are NOT NULL columns, which
		// PostgreSQL lists as CHECK constraints named
		// <namespace oid>_<table oid>_<column number>_not_null.
		return &rowsTable{name: full, schema: c("constraint_catalog", text, "constraint_schema", text, "constraint_name", text,
			"table_catalog", text, "table_schema", text, "table_name", text, "constraint_type", text, "is_deferrable", text,
			"initially_deferred", text, "enforced", text, "nulls_distinct", text),
			rows: func(ctx *sql.Context) ([]sql.Row, error) {
				ts, err := e.listTables(ctx)
				if err != nil {
					return nil, err
				}
				var out []sql.Row
				for _, t := range ts {
					for i, col := range t.Columns {
						if col.NotNull {
							name := fmt.Sprintf("%d_%d_%d_not_null", oidPublic, tableOIDBase+t.ID, t.AttNum(i))
							out = append(out, sql.Row{"openwit", "public", name, "openwit", "public", t.Name, "CHECK", "NO", "NO", "YES", nil})
						}
					}
				}
				return out, nil
			}}
	case "key_column_usage":
		// No primary, unique or foreign keys.
		return &rowsTable{name: full, schema: c("constraint_catalog", text, "constraint_schema", text, "constraint_name", text,
			"table_catalog", text, "table_schema", text, "table_name", text, "column_name", text, "ordinal_position", i4,
			"position_in_unique_constraint", i4), rows: empty}
	case "routines":
		// No user-defined functions (the built-in ones are in pg_proc).
		return &rowsTable{name: full, schema: c("specific_catalog", text, "specific_schema", text, "specific_name", text,
			"routine_catalog", text, "routine_schema", text, "routine_name", text, "routine_type", text, "data_type", text,
			"type_udt_catalog", text, "type_udt_schema", text, "type_udt_name", text, "routine_body", text,
			"routine_definition", text, "external_language", text, "is_deterministic", text, "security_type", text),
			rows: empty}
	case "character_sets":
		return &rowsTable{name: full, schema: c("character_set_catalog", text, "character_set_schema", text, "character_set_name", text,
			"character_repertoire", text, "form_of_use", text, "default_collate_catalog", text, "default_collate_schema", text,
			"default_collate_name", text),
			rows: func(*sql.Context) ([]sql.Row, error) {
				return []sql.Row{{nil, nil, "UTF8", "UCS", "UTF8", "openwit", "pg_catalog", "C"}}, nil
			}}
	case "schemata":
		return &rowsTable{name: full, schema: c("catalog_name", text, "schema_name", text, "schema_owner", text,
			"default_character_set_catalog", text, "default_character_set_schema", text, "default_character_set_name", text, "sql_path", text),
			rows: func(*sql.Context) ([]sql.Row, error) {
				owner := e.roleNames()[0]
				var out []sql.Row
				for _, s := range []string{"information_schema", "pg_catalog", "public"} {
					out = append(out, sql.Row{"openwit", s, owner, nil, nil, nil, nil})
				}
				return out, nil
			}}
	case "table_privileges":
		// OpenWit has no GRANT: the session's role holds every table
		// privilege on every relation, granted by the owner, in
		// PostgreSQL's ACL order.
		return &rowsTable{name: full, schema: c("grantor", text, "grantee", text, "table_catalog", text, "table_schema", text,
			"table_name", text, "privilege_type", text, "is_grantable", text, "with_hierarchy", text),
			rows: func(ctx *sql.Context) ([]sql.Row, error) {
				rs, err := e.relations(ctx)
				if err != nil {
					return nil, err
				}
				owner, user := e.roleNames()[0], ctx.Client().User
				var out []sql.Row
				for _, r := range rs {
					for _, p := range []string{"INSERT", "SELECT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"} {
						out = append(out, sql.Row{owner, user, "openwit", r.schema, r.name, p, "YES", yesNo(p == "SELECT")})
					}
				}
				return out, nil
			}}
	case "tables":
		return &rowsTable{name: full, schema: c("table_catalog", text, "table_schema", text, "table_name", text, "table_type", text,
			"self_referencing_column_name", text, "reference_generation", text, "user_defined_type_catalog", text,
			"user_defined_type_schema", text, "user_defined_type_name", text, "is_insertable_into", text, "is_typed", text, "commit_action", text),
			rows: func(ctx *sql.Context) ([]sql.Row, error) {
				rs, err := e.relations(ctx)
				if err != nil {
					return nil, err
				}
				out := make([]sql.Row, 0, len(rs))
				for _, r := range rs {
					typ := "BASE TABLE"
					if r.kind == "v" {
						typ = "VIEW"
					}
					out = append(out, sql.Row{"openwit", r.schema, r.name, typ, nil, nil, nil, nil, nil,
						yesNo(r.schema == "public" && (r.kind == "r" || r.insertable)), "NO", nil})
				}
				return out, nil
			}}
	case "views":
		return &rowsTable{name: full, schema: c("table_catalog", text, "table_schema", text, "table_name", text,
			"view_definition", text, "check_option", text, "is_updatable", text, "is_insertable_into", text,
			"is_trigger_updatable", text, "is_trigger_deletable", text, "is_trigger_insertable_into", text),
			rows: func(ctx *sql.Context) ([]sql.Row, error) {
				rs, err := e.relations(ctx)
				if err != nil {
					return nil, err
				}
				var out []sql.Row
				for _, r := range rs {
					if r.kind == "v" {
						var def any
						if r.def != "" {
							def = r.def
						}
						out = append(out, sql.Row{"openwit", r.schema, r.name, def, checkOptionName(r.checkOption),
							yesNo(r.updatable), yesNo(r.insertable), "NO", "NO", "NO"})
					}
				}
				return out, nil
			}}
	case "columns":
		return &rowsTable{name: full, schema: c("table_catalog", text, "table_schema", text, "table_name", text, "column_name", text,
			"ordinal_position", i4, "column_default", text, "is_nullable", text, "data_type", text,
			"character_maximum_length", i4, "character_octet_length", i4, "numeric_precision", i4, "numeric_precision_radix", i4,
			"numeric_scale", i4, "datetime_precision", i4, "interval_type", text, "interval_precision", i4,
			"character_set_catalog", text, "character_set_schema", text, "character_set_name", text,
			"collation_catalog", text, "collation_schema", text, "collation_name", text,
			"domain_catalog", text, "domain_schema", text, "domain_name", text,
			"udt_catalog", text, "udt_schema", text, "udt_name", text,
			"scope_catalog", text, "scope_schema", text, "scope_name", text, "maximum_cardinality", i4, "dtd_identifier", text,
			"is_self_referencing", text, "is_identity", text, "identity_generation", text, "identity_start", text,
			"identity_increment", text, "identity_maximum", text, "identity_minimum", text, "identity_cycle", text,
			"is_generated", text, "generation_expression", text, "is_updatable", text),
			rows: func(ctx *sql.Context) ([]sql.Row, error) {
				rs, err := e.relations(ctx)
				if err != nil {
					return nil, err
				}
				var out []sql.Row
				for _, r := range rs {
					for i, col := range r.cols {
						var charLen, octets, prec, radix, scale, dtprec any
						switch col.oid {
						case pgtypes.OIDText, pgtypes.OIDVarchar, pgtypes.OIDBPChar:
							octets = int32(1073741824)
							if _, n, ok := storage.CharLength(col.colType); ok && n > 0 {
								charLen, octets = int32(n), int32(4*n) // UTF8: up to 4 bytes a character
							}
						case pgtypes.OIDInt2, pgtypes.OIDInt4, pgtypes.OIDInt8:
							bits := map[uint32]int32{pgtypes.OIDInt2: 16, pgtypes.OIDInt4: 32, pgtypes.OIDInt8: 64}[col.oid]
							prec, radix, scale = bits, int32(2), int32(0)
						case pgtypes.OIDFloat4:
							prec, radix = int32(24), int32(2)
						case pgtypes.OIDFloat8:
							prec, radix = int32(53), int32(2)
						case pgtypes.OIDNumeric:
							radix = int32(10)
							if p, s, ok := storage.NumericPrecisionScale(col.colType); ok {
								prec, scale = int32(p), int32(s)
							}
						case pgtypes.OIDDate:
							dtprec = int32(0)
						case pgtypes.OIDTimestamp, pgtypes.OIDTimestampTZ, pgtypes.OIDInterval:
							dtprec = int32(6)
						}
						udt := "text"
						for _, t := range catalogTypes {
							if t.oid == col.oid {
								udt = t.name
							}
						}
						dataType := pgtypes.TypeName(col.oid)
						if dt, u, ok := arrayInfoSchema(col.oid); ok {
							dataType, udt = dt, u
						}
						var def any
						if col.def != "" {
							def = col.def
						}
						out = append(out, sql.Row{"openwit", r.schema, r.name, col.name,
							int32(cmp.Or(col.num, i+1)), def, yesNo(!col.notNull), dataType,
							charLen, octets, prec, radix,
							scale, dtprec, nil, nil,
							nil, nil, nil,
							nil, nil, nil,
							nil, nil, nil,
							"openwit", "pg_catalog", udt,
							nil, nil, nil, nil, strconv.Itoa(i + 1),
							"NO", "NO", nil, nil,
							nil, nil, nil, "NO",
							"NEVER", nil, yesNo(r.schema == "public" && !col.readOnly)})
					}
				}
				return out, nil
			}}
	}
	return nil
}
