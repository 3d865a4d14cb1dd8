// Command openwit-duckdb runs `openwit bench`'s queries on DuckDB over the
// Parquet files OpenWit wrote. It lives in its own module so that the main
// module does not link DuckDB.
//
// It reads one JSON request on stdin:
//
//	{"files": ["/data/objects/tables/1/shard=0/x.parquet", ...],
//	 "queries": [{"name": "count", "sql": "SELECT count(*) FROM logs"}, ...],
//	 "warmup": 1, "runs": 5, "timeout_ms": 600000}
//
// creates the view logs over read_parquet(files) with TimeZone UTC, runs
// each query warmup+runs times (each run executes the query and reads every
// row) and writes one JSON response on stdout:
//
//	{"version": "v1.5.6", "setup_ms": 3.1,
//	 "results": [{"name": "count", "columns": ["count_star()"],
//	              "rows": [["1000000"]], "times_ms": [1.2, ...], "error": ""}, ...]}
//
// rows are the last run's, every value a string (null for NULL): timestamps
// in UTC with microseconds ("2006-01-02 15:04:05.000000Z"), floats in Go's
// shortest 'g' form, integers and decimals in decimal. A failing query has
// "error" set and the others still run; a failing setup sets the top-level
// "error". The exit status is 0 unless the request cannot be read or the
// response cannot be written.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

type request struct {
	Files     []string `json:"files"`
	Queries   []query  `json:"queries"`
	Warmup    int      `json:"warmup"`
	Runs      int      `json:"runs"`
	TimeoutMs int64    `json:"timeout_ms,omitempty"`
}

type query struct {
	Name string `json:"name"`
	SQL  string `json:"sql"`
}

type response struct {
	Version string   `json:"version"`
	SetupMs float64  `json:"setup_ms"`
	Results []result `json:"results"`
	Error   string   `json:"error,omitempty"`
}

type result struct {
	Name    string      `json:"name"`
	Columns []string    `json:"columns"`
	Rows    [][]*string `json:"rows"`
	TimesMs []float64   `json:"times_ms"`
	Error   string      `json:"error,omitempty"`
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fmt.Fprintln(os.Stderr, "openwit-duckdb: read request:", err)
		os.Exit(2)
	}
	resp := run(context.Background(), req)
	if err := json.NewEncoder(os.Stdout).Encode(resp); err != nil {
		fmt.Fprintln(os.Stderr, "openwit-duckdb: write response:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, req request) response {
	var resp response
	db, err := sql.Open("duckdb", "")
	if err != nil {
		resp.Error = err.Error()
		return resp
	}
	defer db.Close()
	// One connection: the session settings and the view live on it.
	db.SetMaxOpenConns(1)
	start := time.Now()
	if err := setup(ctx, db, req.Files, &resp.Version); err != nil {
		resp.Error = err.Error()
		return resp
	}
	resp.SetupMs = ms(time.Since(start))
	for _, q := range req.Queries {
		resp.Results = append(resp.Results, runQuery(ctx, db, q, req))
	}
	return resp
}

func setup(ctx context.Context, db *sql.DB, files []string, version *string) error {
	if len(files) == 0 {
		return fmt.Errorf("no parquet files")
	}
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = "'" + strings.ReplaceAll(f, "'", "''") + "'"
	}
	for _, stmt := range []string{
		"SET TimeZone = 'UTC'",
		"CREATE VIEW logs AS SELECT * FROM read_parquet([" + strings.Join(quoted, ", ") + "])",
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%.80s: %w", stmt, err)
		}
	}
	return db.QueryRowContext(ctx, "SELECT version()").Scan(version)
}

func runQuery(ctx context.Context, db *sql.DB, q query, req request) result {
	res := result{Name: q.Name}
	for i := range req.Warmup + req.Runs {
		qctx, cancel := ctx, context.CancelFunc(func() {})
		if req.TimeoutMs > 0 {
			qctx, cancel = context.WithTimeout(ctx, time.Duration(req.TimeoutMs)*time.Millisecond)
		}
		start := time.Now()
		cols, rows, err := fetch(qctx, db, q.SQL)
		elapsed := time.Since(start)
		cancel()
		if err != nil {
			res.Error = err.Error()
			return res
		}
		if i >= req.Warmup {
			res.TimesMs = append(res.TimesMs, ms(elapsed))
		}
		res.Columns = cols
		res.Rows = format(rows)
	}
	return res
}

// fetch runs one query and reads every row.
func fetch(ctx context.Context, db *sql.DB, q string) ([]string, [][]any, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, nil, err
	}
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		out = append(out, vals)
	}
	return cols, out, rows.Err()
}

func format(rows [][]any) [][]*string {
	out := make([][]*string, len(rows))
	for i, r := range rows {
		out[i] = make([]*string, len(r))
		for j, v := range r {
			out[i][j] = formatValue(v)
		}
	}
	return out
}

// formatValue is the canonical string of a value (bench.FormatValue's
// forms); nil for NULL.
func formatValue(v any) *string {
	var s string
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		s = v
	case []byte:
		s = string(v)
	case time.Time:
		s = v.UTC().Truncate(time.Microsecond).Format("2006-01-02 15:04:05.000000Z")
	case float64:
		s = strconv.FormatFloat(v, 'g', -1, 64)
	case float32:
		s = strconv.FormatFloat(float64(v), 'g', -1, 32)
	case int64:
		s = strconv.FormatInt(v, 10)
	case int32:
		s = strconv.FormatInt(int64(v), 10)
	case int16:
		s = strconv.FormatInt(int64(v), 10)
	case int8:
		s = strconv.FormatInt(int64(v), 10)
	case uint64:
		s = strconv.FormatUint(v, 10)
	case uint32:
		s = strconv.FormatUint(uint64(v), 10)
	case uint16:
		s = strconv.FormatUint(uint64(v), 10)
	case uint8:
		s = strconv.FormatUint(uint64(v), 10)
	case bool:
		s = strconv.FormatBool(v)
	case *big.Int:
		s = v.String()
	case duckdb.Decimal:
		s = new(big.Rat).SetFrac(v.Value, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(v.Scale)), nil)).FloatString(int(v.Scale))
	default:
		s = fmt.Sprint(v)
	}
	return &s
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
