package planner

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/planner/pgparse"
	"openwit/planner/pgtypes"
	"openwit/storage"
)

// The rest of the generated pg_catalog (see pgcatalog.go): types, roles,
// settings, and the catalogs of objects OpenWit does not have (indexes,
// constraints, defaults, comments, functions), which are empty but have
// PostgreSQL's columns so that clients' joins over them plan and return
// nothing.

// catalogTableNames are the tables catalogTable answers for.
var catalogTableNames = []string{"pg_attrdef", "pg_auth_members", "pg_collation", "pg_constraint", "pg_description",
	"pg_event_trigger", "pg_extension", "pg_index", "pg_inherits", "pg_language", "pg_matviews", "pg_policy", "pg_proc", "pg_publication", "pg_publication_namespace",
	"pg_publication_rel", "pg_roles", "pg_settings", "pg_shdescription", "pg_stat_activity", "pg_stat_user_tables", "pg_statistic_ext", "pg_tables",
	"pg_tablespace", "pg_type", "pg_user", "pg_views",
	// psql's other meta-commands (pgcatalog_psqlmeta.go).
	"pg_cast", "pg_conversion", "pg_db_role_setting", "pg_foreign_data_wrapper", "pg_foreign_server", "pg_foreign_table",
	"pg_largeobject_metadata", "pg_opclass", "pg_operator", "pg_opfamily", "pg_rewrite", "pg_trigger", "pg_ts_config",
	"pg_ts_dict", "pg_ts_parser", "pg_ts_template"}

// catalogOIDs are the OIDs PostgreSQL gives its catalog relations; views
// without a fixed OID get one from 12000 up.
var catalogOIDs = map[string]int64{
	"pg_type": 1247, "pg_attribute": 1249, "pg_proc": 1255, "pg_class": 1259, "pg_database": 1262,
	"pg_tablespace": 1213, "pg_am": 2601, "pg_attrdef": 2604, "pg_constraint": 2606, "pg_description": 2609,
	"pg_index": 2610, "pg_inherits": 2611, "pg_namespace": 2615, "pg_collation": 3456, "pg_auth_members": 1261,
	"pg_shdescription": 2396, "pg_language": 2612, "pg_extension": 3079, "pg_event_trigger": 3466,
}

// catalogViews are the pg_catalog relations that are views in PostgreSQL.
var catalogViews = map[string]bool{"pg_roles": true, "pg_settings": true, "pg_user": true, "pg_tables": true, "pg_views": true,
	"pg_matviews": true, "pg_stat_activity": true, "pg_stat_user_tables": true}

// systemRelation is a relation of pg_catalog or information_schema as
// pg_class lists it.
type systemRelation struct {
	oid   int64
	name  string
	ns    int64
	kind  string // "r" table, "v" view
	table sql.Table
}

// systemRelations lists the catalog's own relations, pg_catalog then
// information_schema, each by name.
func (e *Engine) systemRelations() []systemRelation {
	names, _ := (&pgCatalogDB{eng: e}).GetTableNames(nil)
	names = slices.Sorted(slices.Values(names))
	var out []systemRelation
	next := int64(12000)
	for _, n := range names {
		r := systemRelation{name: n, ns: oidPgCatalog, kind: "r", table: e.pgCatalogTable(n)}
		if catalogViews[n] {
			r.kind = "v"
		}
		if oid, ok := catalogOIDs[n]; ok {
			r.oid = oid
		} else if oid, ok := psqlMetaOIDs[n]; ok {
			r.oid = oid
		} else {
			r.oid, next = next, next+1
		}
		out = append(out, r)
	}
	for i, n := range informationSchemaNames {
		out = append(out, systemRelation{oid: oidInfoSchema + 1 + int64(i), name: n, ns: oidInfoSchema, kind: "v",
			table: e.pgCatalogTable(pgparse.InformationSchemaPrefix + n)})
	}
	return out
}

// relationOID returns the OID of a relation named as ::regclass accepts it
// (optionally schema-qualified, optionally double-quoted), or false.
func (e *Engine) relationOID(ctx *sql.Context, name string) (int64, bool, error) {
	parts := splitQualified(name)
	schema, rel := "", parts[len(parts)-1]
	if len(parts) == 2 {
		schema = parts[0]
	} else if len(parts) > 2 {
		return 0, false, nil
	}
	if schema == "" || schema == "public" {
		ts, err := e.listTables(ctx)
		if err != nil {
			return 0, false, err
		}
		for _, t := range ts {
			if t.Name == rel {
				return int64(tableOIDBase + t.ID), true, nil
			}
		}
		if oid, ok, err := e.viewRelationOID(ctx, rel); err != nil || ok { // views_catalog.go
			return oid, ok, err
		}
	}
	for _, r := range e.systemRelations() {
		if r.name == rel && (schema == "" && r.ns == oidPgCatalog || schema == "pg_catalog" && r.ns == oidPgCatalog ||
			schema == "information_schema" && r.ns == oidInfoSchema) {
			return r.oid, true, nil
		}
	}
	return 0, false, nil
}

// relationName returns the name of the relation with the given OID, or "".
func (e *Engine) relationName(ctx *sql.Context, oid int64) (string, error) {
	if v, err := e.viewByOID(ctx, oid); err != nil || v != nil { // views_catalog.go
		if v == nil {
			return "", err
		}
		return v.Name, nil
	}
	if oid > tableOIDBase {
		ts, err := e.listTables(ctx)
		if err != nil {
			return "", err
		}
		for _, t := range ts {
			if int64(tableOIDBase+t.ID) == oid {
				return t.Name, nil
			}
		}
	}
	for _, r := range e.systemRelations() {
		if r.oid == oid {
			if r.ns == oidInfoSchema {
				return "information_schema." + r.name, nil
			}
			return r.name, nil
		}
	}
	return "", nil
}

// splitQualified splits a possibly qualified, possibly quoted name;
// unquoted parts fold to lower case.
func splitQualified(name string) []string {
	var parts []string
	var cur strings.Builder
	quoted := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '"' && quoted && i+1 < len(name) && name[i+1] == '"':
			cur.WriteByte('"')
			i++
		case c == '"':
			quoted = !quoted
		case c == '.' && !quoted:
			parts = append(parts, cur.String())
			cur.Reset()
		case !quoted:
			cur.WriteString(strings.ToLower(string(c)))
		default:
			cur.WriteByte(c)
		}
	}
	return append(parts, cur.String())
}

// typmod is PostgreSQL's atttypmod of a column type as OpenWit stores it:
// numeric(p,s) is ((p << 16) | s) + 4, varchar(n) and char(n) n + 4,
// every other type -1.
func typmod(colType string) int32 {
	if m, ok := arrayTypmod(colType); ok {
		return m
	}
	if p, s, ok := storage.NumericPrecisionScale(colType); ok {
		return int32(p<<16|s) + 4
	}
	if _, n, ok := storage.CharLength(colType); ok && n > 0 {
		return int32(n) + 4
	}
	return -1
}

// pgType is a pg_type row.
type pgType struct {
	oid      uint32
	name     string
	len      int16
	category string
	io       string // input/output function prefix: int4 -> int4in, int4out
}

// catalogTypes are the types OpenWit's columns and results have, by OID.
var catalogTypes = []pgType{
	{pgtypes.OIDBool, "bool", 1, "B", "bool"},
	{pgtypes.OIDBytea, "bytea", -1, "U", "bytea"},
	{pgtypes.OIDName, "name", 64, "S", "name"},
	{pgtypes.OIDInt8, "int8", 8, "N", "int8"},
	{pgtypes.OIDInt2, "int2", 2, "N", "int2"},
	{pgtypes.OIDInt4, "int4", 4, "N", "int4"},
	{pgtypes.OIDText, "text", -1, "S", "text"},
	{pgtypes.OIDOid, "oid", 4, "N", "oid"},
	{pgtypes.OIDJSON, "json", -1, "U", "json"},
	{pgtypes.OIDFloat4, "float4", 4, "N", "float4"},
	{pgtypes.OIDFloat8, "float8", 8, "N", "float8"},
	{pgtypes.OIDBPChar, "bpchar", -1, "S", "bpchar"},
	{pgtypes.OIDVarchar, "varchar", -1, "S", "varchar"},
	{pgtypes.OIDDate, "date", 4, "D", "date"},
	{pgtypes.OIDTimestamp, "timestamp", 8, "D", "timestamp"},
	{pgtypes.OIDTimestampTZ, "timestamptz", 8, "D", "timestamptz"},
	{pgtypes.OIDInterval, "interval", 16, "T", "interval"},
	{pgtypes.OIDNumeric, "numeric", -1, "N", "numeric"},
	{pgtypes.OIDJSONB, "jsonb", -1, "U", "jsonb"},
	{pgtypes.OIDUUID, "uuid", 16, "U", "uuid_"},
	{pgtypes.OIDInet, "inet", -1, "I", "inet_"},
	{pgtypes.OIDCIDR, "cidr", -1, "I", "cidr_"},
	{pgtypes.OIDVoid, "void", 4, "P", "void_"}, // a pseudo-type (typtype p)
	{pgtypes.OIDXid8, "xid8", 8, "U", "xid8"},
}

// typeOID returns the OID of a type named as ::regtype accepts it.
func typeOID(name string) (int64, bool) {
	n := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(name)), "pg_catalog.")
	// Internal names first: TypeName falls back to "text" for types it does
	// not name (name, oid, varchar, json), so 'text' must not stop at name.
	for _, t := range catalogTypes {
		if t.name == n {
			return int64(t.oid), true
		}
	}
	for _, t := range catalogTypes {
		if pgtypes.TypeName(t.oid) == n {
			return int64(t.oid), true
		}
	}
	switch n {
	case "integer", "int":
		return pgtypes.OIDInt4, true
	case "boolean":
		return pgtypes.OIDBool, true
	case "character varying":
		return pgtypes.OIDVarchar, true
	}
	return arrayTypeOID(n)
}

// roleNames are the roles pg_roles lists: the configured users, or the
// default user when authentication is off. The first has OID 10 (the
// owner of every object).
func (e *Engine) roleNames() []string {
	if len(e.cfg.Users) > 0 {
		return e.cfg.Users
	}
	return []string{"openwit"}
}

func roleOID(i int) int64 {
	if i == 0 {
		return oidUser
	}
	return 20000 + int64(i)
}

// catalogTable returns the table of catalogTableNames called name, or nil.
func (e *Engine) catalogTable(name string) sql.Table {
	text, i8, i4, i2, b, f4 := types.LongText, types.Int64, types.Int32, types.Int16, types.Boolean, types.Float32
	empty := func(*sql.Context) ([]sql.Row, error) { return nil, nil }
	switch name {
	case "pg_type":
		return &rowsTable{name: name, schema: cols(name, "oid", i8, "typname", text, "typnamespace", i8, "typowner", i8,
			"typlen", i2, "typbyval", b, "typtype", text, "typcategory", text, "typispreferred", b, "typisdefined", b,
			"typdelim", text, "typrelid", i8, "typsubscript", text, "typelem", i8, "typarray", i8, "typinput", text,
			"typoutput", text, "typreceive", text, "typsend", text, "typmodin", text, "typmodout", text, "typanalyze", text,
			"typalign", text, "typstorage", text, "typnotnull", b, "typbasetype", i8, "typtypmod", i4, "typndims", i4,
			"typcollation", i8, "typdefaultbin", text, "typdefault", text, "typacl", text),
			rows: func(*sql.Context) ([]sql.Row, error) {
				out := make([]sql.Row, 0, 2*len(catalogTypes))
				for _, t := range catalogTypes {
					coll := int64(0)
					if t.category == "S" {
						coll = 100
					}
					align, storage := typAlign(t.oid, t.len), typStorage(t.oid, t.len)
					typtype := "b"
					if t.category == "P" {
						typtype = "p"
					}
					out = append(out, sql.Row{int64(t.oid), t.name, int64(oidPgCatalog), int64(oidUser),
						t.len, boolInt8(t.len > 0 && t.len <= 8), typtype, t.category, int8(0), int8(1),
						",", int64(0), "-", int64(0), int64(arrayOIDs[t.oid]), t.io + "in",
						t.io + "out", t.io + "recv", t.io + "send", "-", "-", "-",
						align, storage, int8(0), int64(0), int32(-1), int32(0),
						coll, nil, nil, nil})
					if arrayOIDs[t.oid] != 0 { // a base type without one would get an array row of oid 0
						out = append(out, pgTypeArrayRow(t, align))
					}
				}
				return out, nil
			}}
	case "pg_attrdef":
		return &rowsTable{name: name, schema: cols(name, "oid", i8, "adrelid", i8, "adnum", i2, "adbin", text), rows: e.attrdefRows}
	case "pg_description":
		return &rowsTable{name: name, schema: cols(name, "objoid", i8, "classoid", i8, "objsubid", i4, "description", text), rows: e.descriptionRows}
	case "pg_shdescription":
		return &rowsTable{name: name, schema: cols(name, "objoid", i8, "classoid", i8, "description", text), rows: empty}
	case "pg_index":
		return &rowsTable{name: name, schema: cols(name, "indexrelid", i8, "indrelid", i8, "indnatts", i2, "indnkeyatts", i2,
			"indisunique", b, "indnullsnotdistinct", b, "indisprimary", b, "indisexclusion", b, "indimmediate", b,
			"indisclustered", b, "indisvalid", b, "indcheckxmin", b, "indisready", b, "indislive", b, "indisreplident", b,
			"indkey", text, "indcollation", text, "indclass", text, "indoption", text, "indexprs", text, "indpred", text), rows: empty}
	case "pg_constraint":
		return &rowsTable{name: name, schema: cols(name, "oid", i8, "conname", text, "connamespace", i8, "contype", text,
			"condeferrable", b, "condeferred", b, "convalidated", b, "conrelid", i8, "contypid", i8, "conindid", i8,
			"conparentid", i8, "confrelid", i8, "confupdtype", text, "confdeltype", text, "confmatchtype", text,
			"conislocal", b, "coninhcount", i4, "connoinherit", b, "conkey", text, "confkey", text, "conpfeqop", text,
			"conppeqop", text, "conffeqop", text, "confdelsetcols", text, "conexclop", text, "conbin", text), rows: empty}
	case "pg_inherits":
		return &rowsTable{name: name, schema: cols(name, "inhrelid", i8, "inhparent", i8, "inhseqno", i4, "inhdetachpending", b), rows: empty}
	case "pg_extension":
		// No extensions: OpenWit has none to install (CREATE EXTENSION is
		// 0A000), and tools probe this for timescaledb or postgis.
		return &rowsTable{name: name, schema: cols(name, "oid", i8, "extname", text, "extowner", i8, "extnamespace", i8,
			"extrelocatable", b, "extversion", text, "extconfig", text, "extcondition", text), rows: empty}
	case "pg_event_trigger":
		return &rowsTable{name: name, schema: cols(name, "oid", i8, "evtname", text, "evtevent", text, "evtowner", i8,
			"evtfoid", i8, "evtenabled", text, "evttags", text), rows: empty}
	case "pg_policy":
		return &rowsTable{name: name, schema: cols(name, "oid", i8, "polname", text, "polrelid", i8, "polcmd", text,
			"polpermissive", b, "polroles", text, "polqual", text, "polwithcheck", text), rows: empty}
	case "pg_statistic_ext":
		return &rowsTable{name: name, schema: cols(name, "oid", i8, "stxrelid", i8, "stxname", text, "stxnamespace", i8,
			"stxowner", i8, "stxstattarget", i4, "stxkeys", text, "stxkind", text, "stxexprs", text), rows: empty}
	case "pg_publication":
		return &rowsTable{name: name, schema: cols(name, "oid", i8, "pubname", text, "pubowner", i8, "puballtables", b,
			"pubinsert", b, "pubupdate", b, "pubdelete", b, "pubtruncate", b, "pubviaroot", b), rows: empty}
	case "pg_publication_namespace":
		return &rowsTable{name: name, schema: cols(name, "oid", i8, "pnpubid", i8, "pnnspid", i8), rows: empty}
	case "pg_publication_rel":
		return &rowsTable{name: name, schema: cols(name, "oid", i8, "prpubid", i8, "prrelid", i8, "prqual", text, "prattrs", text), rows: empty}
	case "pg_auth_members":
		return &rowsTable{name: name, schema: cols(name, "roleid", i8, "member", i8, "grantor", i8, "admin_option", b), rows: empty}
	case "pg_collation":
		return &rowsTable{name: name, schema: cols(name, "oid", i8, "collname", text, "collnamespace", i8, "collowner", i8,
			"collprovider", text, "collisdeterministic", b, "collencoding", i4, "collcollate", text, "collctype", text),
			rows: func(*sql.Context) ([]sql.Row, error) {
				return []sql.Row{{int64(100), "default", int64(oidPgCatalog), int64(oidUser), "d", int8(1), int32(-1), nil, nil},
					{int64(950), "C", int64(oidPgCatalog), int64(oidUser), "c", int8(1), int32(-1), "C", "C"}}, nil
			}}
	case "pg_tablespace":
		return &rowsTable{name: name, schema: cols(name, "oid", i8, "spcname", text, "spcowner", i8, "spcacl", text, "spcoptions", text),
			rows: func(*sql.Context) ([]sql.Row, error) {
				return []sql.Row{{int64(1663), "pg_default", int64(oidUser), nil, nil}, {int64(1664), "pg_global", int64(oidUser), nil, nil}}, nil
			}}
	case "pg_language":
		return &rowsTable{name: name, schema: cols(name, "oid", i8, "lanname", text, "lanowner", i8, "lanispl", b,
			"lanpltrusted", b, "lanplcallfoid", i8, "laninline", i8, "lanvalidator", i8, "lanacl", text),
			rows: func(*sql.Context) ([]sql.Row, error) {
				return []sql.Row{{int64(12), "internal", int64(oidUser), int8(0), int8(0), int64(0), int64(0), int64(0), nil}}, nil
			}}
	case "pg_proc":
		return &rowsTable{name: name, schema: cols(name, "oid", i8, "proname", text, "pronamespace", i8, "proowner", i8,
			"prolang", i8, "procost", f4, "prorows", f4, "provariadic", i8, "prosupport", text, "prokind", text,
			"prosecdef", b, "proleakproof", b, "proisstrict", b, "proretset", b, "provolatile", text, "proparallel", text,
			"pronargs", i2, "pronargdefaults", i2, "prorettype", i8, "proargtypes", text, "proallargtypes", text,
			"proargmodes", text, "proargnames", text, "proargdefaults", text, "protrftypes", text, "prosrc", text,
			"probin", text, "prosqlbody", text, "proconfig", text, "proacl", text), rows: procRows}
	case "pg_roles":
		return &rowsTable{name: name, schema: cols(name, "rolname", text, "rolsuper", b, "rolinherit", b, "rolcreaterole", b,
			"rolcreatedb", b, "rolcanlogin", b, "rolreplication", b, "rolconnlimit", i4, "rolpassword", text,
			"rolvaliduntil", types.Timestamp, "rolbypassrls", b, "rolconfig", text, "oid", i8),
			rows: func(*sql.Context) ([]sql.Row, error) {
				var out []sql.Row
				for i, u := range e.roleNames() {
					out = append(out, sql.Row{u, int8(1), int8(1), int8(1), int8(1), int8(1), int8(0), int32(-1), "********",
						nil, int8(0), nil, roleOID(i)})
				}
				return out, nil
			}}
	case "pg_tables":
		// OpenWit's tables and the catalog's own relations that are
		// tables in PostgreSQL.
		return &rowsTable{name: name, schema: cols(name, "schemaname", text, "tablename", text, "tableowner", text,
			"tablespace", text, "hasindexes", b, "hasrules", b, "hastriggers", b, "rowsecurity", b),
			rows: func(ctx *sql.Context) ([]sql.Row, error) {
				ts, err := e.listTables(ctx)
				if err != nil {
					return nil, err
				}
				owner := e.roleNames()[0]
				var out []sql.Row
				for _, t := range ts {
					out = append(out, sql.Row{"public", t.Name, owner, nil, int8(0), int8(0), int8(0), int8(0)})
				}
				for _, r := range e.systemRelations() {
					if r.kind == "r" {
						out = append(out, sql.Row{nsName(r.ns), r.name, owner, nil, int8(0), int8(0), int8(0), int8(0)})
					}
				}
				return out, nil
			}}
	case "pg_views":
		return &rowsTable{name: name, schema: cols(name, "schemaname", text, "viewname", text, "viewowner", text, "definition", text),
			rows: func(ctx *sql.Context) ([]sql.Row, error) {
				owner := e.roleNames()[0]
				var out []sql.Row
				vs, err := e.catalogViewList(ctx) // views_catalog.go
				if err != nil {
					return nil, err
				}
				for _, v := range vs {
					out = append(out, sql.Row{"public", v.Name, owner, e.viewDefinitionText(ctx, v, false)})
				}
				for _, r := range e.systemRelations() {
					if r.kind == "v" {
						// Built in, not defined by a query: no definition.
						out = append(out, sql.Row{nsName(r.ns), r.name, owner, nil})
					}
				}
				return out, nil
			}}
	case "pg_matviews":
		return &rowsTable{name: name, schema: cols(name, "schemaname", text, "matviewname", text, "matviewowner", text,
			"tablespace", text, "hasindexes", b, "ispopulated", b, "definition", text), rows: empty}
	case "pg_stat_user_tables":
		return e.statUserTables(name)
	case "pg_stat_activity":
		// Every session of this node (activity_session.go).
		return &rowsTable{name: name, schema: cols(name, "datid", i8, "datname", text, "pid", i4, "leader_pid", i4,
			"usesysid", i8, "usename", text, "application_name", text, "client_addr", text, "client_hostname", text,
			"client_port", i4, "backend_start", types.Timestamp, "xact_start", types.Timestamp, "query_start", types.Timestamp,
			"state_change", types.Timestamp, "wait_event_type", text, "wait_event", text, "state", text, "backend_xid", text,
			"backend_xmin", text, "query_id", i8, "query", text, "backend_type", text),
			rows: func(*sql.Context) ([]sql.Row, error) {
				roles := e.roleNames()
				ts := func(t time.Time) any {
					if t.IsZero() {
						return nil
					}
					return t.UTC()
				}
				var out []sql.Row
				for _, a := range e.sessions.list() {
					var oid any
					for i, r := range roles {
						if r == a.user {
							oid = roleOID(i)
						}
					}
					var addr, port any
					if a.clientAddr != "" {
						addr, port = a.clientAddr, a.clientPort
					}
					out = append(out, sql.Row{int64(oidDatabase), "openwit", int32(a.pid), nil, oid, a.user, a.application, addr, nil,
						port, ts(a.backendStart), ts(a.xactStart), ts(a.queryStart), ts(a.stateChange), nil, nil, a.state, nil, nil, nil,
						a.query, "client backend"})
				}
				return out, nil
			}}
	case "pg_user":
		return &rowsTable{name: name, schema: cols(name, "usename", text, "usesysid", i8, "usecreatedb", b, "usesuper", b,
			"userepl", b, "usebypassrls", b, "passwd", text, "valuntil", types.Timestamp, "useconfig", text),
			rows: func(*sql.Context) ([]sql.Row, error) {
				var out []sql.Row
				for i, u := range e.roleNames() {
					out = append(out, sql.Row{u, roleOID(i), int8(1), int8(1), int8(0), int8(0), "********", nil, nil})
				}
				return out, nil
			}}
	case "pg_settings":
		return &rowsTable{name: name, schema: cols(name, "name", text, "setting", text, "unit", text, "category", text,
			"short_desc", text, "extra_desc", text, "context", text, "vartype", text, "source", text, "min_val", text,
			"max_val", text, "enumvals", text, "boot_val", text, "reset_val", text, "sourcefile", text, "sourceline", i4,
			"pending_restart", b),
			rows: func(ctx *sql.Context) ([]sql.Row, error) {
				settings := map[string]string{"max_index_keys": "32", "block_size": "8192", "max_function_args": "100"}
				if ps, ok := ctx.Session.(*pgSession); ok {
					for k, v := range ps.settings {
						settings[k] = v
					}
				}
				names := make([]string, 0, len(settings))
				for k := range settings {
					names = append(names, k)
				}
				sort.Strings(names)
				out := make([]sql.Row, 0, len(names))
				for _, n := range names {
					out = append(out, sql.Row{settingName(n), settings[n], nil, "", "", nil, "user", "string", "default",
						nil, nil, nil, settings[n], settings[n], nil, nil, int8(0)})
				}
				return out, nil
			}}
	}
	return psqlMetaTable(name)
}

// settingName spells a setting as pg_settings does (TimeZone, DateStyle).
func settingName(n string) string {
	switch n {
	case "timezone":
		return "TimeZone"
	case "datestyle":
		return "DateStyle"
	case "intervalstyle":
		return "IntervalStyle"
	}
	return n
}

// columnSource is the table column a result column reads.
type columnSource struct{ table, column string }

// columnSources returns, for each result column of a query plan, the table
// column it is (plain or aliased column references of the outermost
// projection), or nil when the plan has no projection on top.
func columnSources(node sql.Node) []columnSource {
	for {
		switch n := node.(type) {
		case *plan.Project:
			out := make([]columnSource, len(n.Projections))
			for i, e := range n.Projections {
				if a, ok := e.(*expression.Alias); ok {
					e = a.Child
				}
				if gf, ok := e.(*expression.GetField); ok {
					out[i] = columnSource{table: gf.Table(), column: gf.Name()}
				}
			}
			return out
		case *plan.Sort, *plan.Limit, *plan.Offset, *plan.Distinct, *plan.Filter, *plan.TopN:
			node = n.Children()[0]
		default:
			return nil
		}
	}
}

// describeSource fills in the table OID, attribute number and type
// modifier of a result column that is a column of an OpenWit table, as
// PostgreSQL's RowDescription does (pgjdbc's ResultSetMetaData reads them).
func (e *Engine) describeSource(ctx context.Context, c columnSource, col *Column) {
	if c.table == "" {
		return
	}
	t, err := e.tableDef(ctx, c.table)
	if err != nil || !strings.EqualFold(t.Name, c.table) {
		return
	}
	for i, tc := range t.Columns {
		if strings.EqualFold(tc.Name, c.column) {
			col.TableOID, col.TableAttrNum = uint32(tableOIDBase+t.ID), uint16(t.AttNum(i))
			if m := typmod(tc.Type); m >= 0 {
				col.TypeModifier = m
			}
			return
		}
	}
}
