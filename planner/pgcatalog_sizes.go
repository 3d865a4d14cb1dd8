package planner

import (
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"openwit/internal/pgerror"
	"openwit/storage/catalog"
)

// Object sizes and server times that operators' tools ask for: the
// pg_*_size functions over what the catalog publishes (a table's size is
// its Parquet files; its "indexes" are the files' index artifacts; rows not
// yet flushed to files count nothing), pg_size_pretty and pg_size_bytes,
// pg_postmaster_start_time.

// processStart is when this server process started.
var processStart = time.Now()

// relationBytes is what a table's published files and index artifacts take
// in the object store.
type relationBytes struct{ data, index int64 }

// tableSizes sums the files of the table a pg_*_size argument names: a
// relation OID or a name; found is false for an OID of no table (the
// functions return NULL, as PostgreSQL does), and a catalog relation has
// size 0 here.
func (e *Engine) tableSizes(ctx *sql.Context, arg any) (sz relationBytes, found bool, err error) {
	var oid int64
	if s, ok := arg.(string); ok {
		o, ok, err := e.relationOID(ctx, s)
		if err != nil {
			return sz, false, err
		}
		if !ok {
			return sz, false, pgerror.New(pgerror.UndefinedTable, "relation %q does not exist", s)
		}
		oid = o
	} else if oid, err = toInt64(arg); err != nil {
		return sz, false, err
	}
	if oid <= tableOIDBase {
		for _, r := range e.systemRelations() {
			if r.oid == oid {
				return sz, true, nil
			}
		}
		return sz, false, nil
	}
	ts, err := e.listTables(ctx)
	if err != nil {
		return sz, false, err
	}
	for _, t := range ts {
		if int64(tableOIDBase+t.ID) != oid {
			continue
		}
		snap, _ := ctx.Session.(*pgSession)
		if snap != nil {
			if sz, ok := snap.sizes.get(ctx.QueryTime(), oid); ok {
				return sz, true, nil
			}
		}
		fs, err := e.cfg.Catalog.ListFiles(ctx, t.ID)
		if err != nil {
			return sz, false, err
		}
		sz = sumFiles(fs)
		if snap != nil {
			snap.sizes.put(ctx.QueryTime(), oid, sz)
		}
		return sz, true, nil
	}
	return sz, false, nil
}

// sizeSnapshot keeps the sizes one statement read, so that every size
// function of the statement sees the same files: pg_total_relation_size(t)
// >= pg_relation_size(t) held only when no flush or compaction swapped
// files between the two reads.
type sizeSnapshot struct {
	mu sync.Mutex
	at time.Time // the statement's start (sql.Context.QueryTime)
	m  map[int64]relationBytes
}

func (s *sizeSnapshot) get(at time.Time, oid int64) (relationBytes, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.at.Equal(at) {
		return relationBytes{}, false
	}
	sz, ok := s.m[oid]
	return sz, ok
}

func (s *sizeSnapshot) put(at time.Time, oid int64, sz relationBytes) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.at.Equal(at) {
		s.at, s.m = at, map[int64]relationBytes{}
	}
	s.m[oid] = sz
}

func sumFiles(fs []*catalog.File) relationBytes {
	var sz relationBytes
	for _, f := range fs {
		sz.data += f.Bytes
		if f.Index != nil {
			sz.index += f.Index.Bytes
		}
	}
	return sz
}

// sizeFunctions are the functions of this file.
func sizeFunctions(e *Engine) []sql.Function {
	text, i8, tstz := types.LongText, types.Int64, types.Timestamp
	size := func(pick func(relationBytes) int64) func(*sql.Context, []any) (any, error) {
		return func(ctx *sql.Context, a []any) (any, error) {
			if len(a) == 2 && fmt.Sprint(a[1]) != "main" {
				// The other forks (fsm, vm, init) do not exist here.
				switch fmt.Sprint(a[1]) {
				case "fsm", "vm", "init":
					return int64(0), nil
				}
				return nil, &pgerror.Error{Code: pgerror.InvalidParameterValue, Message: "invalid fork name",
					Hint: `Valid fork names are "main", "fsm", "vm", and "init".`}
			}
			sz, ok, err := e.tableSizes(ctx, a[0])
			if err != nil || !ok {
				return nil, err
			}
			return pick(sz), nil
		}
	}
	data := func(s relationBytes) int64 { return s.data }
	return []sql.Function{
		catalogFn("pg_relation_size", 1, 2, true, fixed(i8), size(data)),
		catalogFn("pg_table_size", 1, 1, true, fixed(i8), size(data)),
		catalogFn("pg_indexes_size", 1, 1, true, fixed(i8), size(func(s relationBytes) int64 { return s.index })),
		catalogFn("pg_total_relation_size", 1, 1, true, fixed(i8), size(func(s relationBytes) int64 { return s.data + s.index })),
		catalogFn("pg_database_size", 1, 1, true, fixed(i8), func(ctx *sql.Context, a []any) (any, error) {
			if s, ok := a[0].(string); ok && s != "openwit" {
				return nil, pgerror.New(pgerror.InvalidCatalogName, "database %q does not exist", s)
			}
			if _, ok := a[0].(string); !ok {
				if oid, err := toInt64(a[0]); err != nil || oid != oidDatabase {
					return nil, err // an unknown OID is NULL
				}
			}
			ts, err := e.listTables(ctx)
			if err != nil {
				return nil, err
			}
			var total int64
			for _, t := range ts {
				fs, err := e.cfg.Catalog.ListFiles(ctx, t.ID)
				if err != nil {
					return nil, err
				}
				sz := sumFiles(fs)
				total += sz.data + sz.index
			}
			return total, nil
		}),
		catalogFn("pg_size_pretty", 1, 1, true, fixed(text), func(_ *sql.Context, a []any) (any, error) {
			n, err := sizeArg(a[0])
			if err != nil {
				return nil, err
			}
			return sizePretty(n), nil
		}),
		catalogFn("pg_size_bytes", 1, 1, true, fixed(i8), func(_ *sql.Context, a []any) (any, error) {
			return sizeBytes(fmt.Sprint(a[0]))
		}),
		catalogFn("pg_postmaster_start_time", 0, 0, true, fixed(tstz), func(*sql.Context, []any) (any, error) {
			return processStart.UTC(), nil
		}),
		catalogFn("pg_conf_load_time", 0, 0, true, fixed(tstz), func(*sql.Context, []any) (any, error) {
			return processStart.UTC(), nil
		}),
	}
}

// sizeArg reads pg_size_pretty's bigint or numeric argument (a numeric is
// rounded to a whole number of bytes first, as PostgreSQL's numeric
// variant does).
func sizeArg(v any) (*big.Int, error) {
	switch x := v.(type) {
	case decimal.Decimal:
		return x.Round(0).BigInt(), nil
	case float64:
		return decimal.NewFromFloat(x).Round(0).BigInt(), nil
	case float32:
		return decimal.NewFromFloat32(x).Round(0).BigInt(), nil
	}
	n, err := toInt64(v)
	if err != nil {
		return nil, pgerror.New(pgerror.UndefinedFunction, "function pg_size_pretty(%T) does not exist", v)
	}
	return big.NewInt(n), nil
}

// sizeUnits are pg_size_pretty's units: a size is printed in the first
// unit it is below the limit of (kB and up rounded half away from zero
// from the half unit below).
var sizeUnits = []struct {
	name  string
	limit int64 // in this unit; half units when round
	round bool
	bits  uint
}{
	{"bytes", 10 * 1024, false, 0},
	{"kB", 20*1024 - 1, true, 10},
	{"MB", 20*1024 - 1, true, 20},
	{"GB", 20*1024 - 1, true, 30},
	{"TB", 20*1024 - 1, true, 40},
	{"PB", 20*1024 - 1, true, 50},
}

func sizePretty(n *big.Int) string {
	size := new(big.Int).Set(n)
	limit := new(big.Int)
	for i, u := range sizeUnits {
		abs := new(big.Int).Abs(size)
		if i == len(sizeUnits)-1 || abs.Cmp(limit.SetInt64(u.limit)) < 0 {
			if u.round {
				// half_rounded: (x + sign(x)) / 2, truncating.
				if size.Sign() < 0 {
					size.Sub(size, big.NewInt(1))
				} else {
					size.Add(size, big.NewInt(1))
				}
				size.Quo(size, big.NewInt(2))
			}
			return size.String() + " " + u.name
		}
		next := sizeUnits[i+1]
		bits := next.bits - u.bits
		if next.round {
			bits--
		}
		if u.round {
			bits++
		}
		size.Quo(size, new(big.Int).Lsh(big.NewInt(1), bits))
	}
	return size.String()
}

// sizeBytes is pg_size_bytes: a number with an optional unit (bytes, B,
// kB, MB, GB, TB, PB; case-insensitive; 1 kB = 1024 bytes).
func sizeBytes(s string) (any, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] == '-' || t[i] == '+' || t[i] == '.' || t[i] >= '0' && t[i] <= '9' || t[i] == 'e' || t[i] == 'E') {
		if (t[i] == 'e' || t[i] == 'E') && (i+1 >= len(t) || !strings.ContainsRune("+-0123456789", rune(t[i+1]))) {
			break
		}
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	d, err := decimal.NewFromString(num)
	if num == "" || err != nil {
		return nil, pgerror.New(pgerror.InvalidParameterValue, "invalid size: %q", s)
	}
	mult := int64(1)
	switch unit {
	case "", "bytes", "b":
	case "kb":
		mult = 1 << 10
	case "mb":
		mult = 1 << 20
	case "gb":
		mult = 1 << 30
	case "tb":
		mult = 1 << 40
	case "pb":
		mult = 1 << 50
	default:
		return nil, &pgerror.Error{Code: pgerror.InvalidParameterValue, Message: fmt.Sprintf("invalid size: %q", s),
			Detail: fmt.Sprintf("Invalid size unit: %q.", strings.TrimSpace(t[i:])),
			Hint:   `Valid units are "bytes", "kB", "MB", "GB", "TB", and "PB".`}
	}
	v := d.Mul(decimal.NewFromInt(mult)).Truncate(0)
	if !v.BigInt().IsInt64() {
		return nil, pgerror.New(pgerror.NumericOutOfRange, "bigint out of range")
	}
	return v.IntPart(), nil
}

// statUserTables is pg_stat_user_tables: one row per OpenWit table, with
// the rows its published files hold as n_live_tup and n_tup_ins (what
// tools show as a table's row estimate). OpenWit keeps no scan or vacuum
// statistics: those counters are 0 and their times NULL.
func (e *Engine) statUserTables(name string) sql.Table {
	text, i8, tstz := types.LongText, types.Int64, types.Timestamp
	schema := cols(name, "relid", i8, "schemaname", text, "relname", text, "seq_scan", i8, "seq_tup_read", i8,
		"idx_scan", i8, "idx_tup_fetch", i8, "n_tup_ins", i8, "n_tup_upd", i8, "n_tup_del", i8, "n_tup_hot_upd", i8,
		"n_live_tup", i8, "n_dead_tup", i8, "n_mod_since_analyze", i8, "n_ins_since_vacuum", i8,
		"last_vacuum", tstz, "last_autovacuum", tstz, "last_analyze", tstz, "last_autoanalyze", tstz,
		"vacuum_count", i8, "autovacuum_count", i8, "analyze_count", i8, "autoanalyze_count", i8)
	return &rowsTable{name: name, schema: schema, rows: func(ctx *sql.Context) ([]sql.Row, error) {
		ts, err := e.listTables(ctx)
		if err != nil {
			return nil, err
		}
		var out []sql.Row
		for _, t := range ts {
			fs, err := e.cfg.Catalog.ListFiles(ctx, t.ID)
			if err != nil {
				return nil, err
			}
			var rows int64
			for _, f := range fs {
				rows += f.Rows
			}
			out = append(out, sql.Row{int64(tableOIDBase + t.ID), "public", t.Name, int64(0), int64(0), nil, nil,
				rows, int64(0), int64(0), int64(0), rows, int64(0), int64(0), int64(0), nil, nil, nil, nil,
				int64(0), int64(0), int64(0), int64(0)})
		}
		return out, nil
	}}
}
