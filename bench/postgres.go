package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/jackc/pgx/v5"
)

// pgSchema holds the benchmark table in PostgreSQL, so a --postgres
// database's own tables are never touched.
const pgSchema = "openwit_bench"

// connectPG connects to a PostgreSQL-wire endpoint with the benchmark's
// session settings: TimeZone UTC (both engines), and for PostgreSQL the
// benchmark schema and a work_mem large enough for in-memory sorts and
// hashes at 10M rows.
func connectPG(ctx context.Context, dsn string, postgres bool) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.RuntimeParams["timezone"] = "UTC"
	if postgres {
		cfg.RuntimeParams["search_path"] = pgSchema
		cfg.RuntimeParams["work_mem"] = "256MB"
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	return pgx.ConnectConfig(ctx, cfg)
}

// createPostgres (re)creates the bench schema and its unindexed logs table.
func createPostgres(ctx context.Context, conn *pgx.Conn) error {
	for _, stmt := range []string{
		"DROP SCHEMA IF EXISTS " + pgSchema + " CASCADE",
		"CREATE SCHEMA " + pgSchema,
		createTablePG,
	} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("postgres: %s: %w", stmt, err)
		}
	}
	return nil
}

// copyPostgres appends recs to the logs table with binary COPY.
func copyPostgres(ctx context.Context, conn *pgx.Conn, recs []arrow.RecordBatch) (time.Duration, error) {
	start := time.Now()
	n, err := conn.CopyFrom(ctx, pgx.Identifier{pgSchema, "logs"}, columnNames(), &copySource{recs: recs})
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("postgres copy: %w", err)
	}
	if want := recRows(recs); n != want {
		return 0, fmt.Errorf("postgres copy: %d rows copied, want %d", n, want)
	}
	return d, nil
}

// copySource feeds Arrow batches to pgx's binary COPY.
type copySource struct {
	recs []arrow.RecordBatch
	b, i int // current batch and row; i == -1 before the first row
	vals []any

	ts               *array.Timestamp
	svc, host, level *array.String
	status           *array.Int32
	latency          *array.Float64
	trace, msg       *array.String
}

var _ pgx.CopyFromSource = (*copySource)(nil)

func (c *copySource) Next() bool {
	if c.vals == nil {
		c.vals = make([]any, Schema.NumFields())
		c.b, c.i = -1, 0
	}
	c.i++
	for c.b < 0 || c.i >= int(c.recs[c.b].NumRows()) {
		c.b++
		c.i = 0
		if c.b >= len(c.recs) {
			return false
		}
		r := c.recs[c.b]
		c.ts = r.Column(0).(*array.Timestamp)
		c.svc, c.host, c.level = r.Column(1).(*array.String), r.Column(2).(*array.String), r.Column(3).(*array.String)
		c.status, c.latency = r.Column(4).(*array.Int32), r.Column(5).(*array.Float64)
		c.trace, c.msg = r.Column(6).(*array.String), r.Column(7).(*array.String)
	}
	return true
}

func (c *copySource) Values() ([]any, error) {
	i := c.i
	c.vals[0] = time.UnixMicro(int64(c.ts.Value(i))).UTC()
	c.vals[1] = c.svc.Value(i)
	c.vals[2] = c.host.Value(i)
	c.vals[3] = c.level.Value(i)
	c.vals[4] = c.status.Value(i)
	c.vals[5] = c.latency.Value(i)
	c.vals[6] = c.trace.Value(i)
	c.vals[7] = c.msg.Value(i)
	return c.vals, nil
}

func (c *copySource) Err() error { return nil }

func columnNames() []string {
	names := make([]string, Schema.NumFields())
	for i, f := range Schema.Fields() {
		names[i] = f.Name
	}
	return names
}
