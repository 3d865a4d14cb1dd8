package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"

	"openwit/internal/pgserver"
)

// CopyConfig configures the COPY FROM STDIN benchmark (`openwit bench
// --copy`).
type CopyConfig struct {
	Gen GenConfig
	// StatementRows is the number of rows per COPY statement (the input is
	// split into statements of this size; the same on both engines).
	StatementRows int64
	// PostgresURL as in Config; empty starts a scratch server.
	PostgresURL string
	NodeLogger  *slog.Logger
	Progress    io.Writer
}

// CopyResult is one engine loading the rows in one COPY format.
type CopyResult struct {
	Engine     string  `json:"engine"`
	Format     string  `json:"format"` // "text" (psql-style COPY FROM STDIN) or "binary" (pgx CopyFrom)
	Rows       int64   `json:"rows"`
	Seconds    float64 `json:"seconds"`
	RowsPerSec float64 `json:"rows_per_sec"`
}

// RunCopy generates the logs, renders them in COPY text format once, and
// loads them into a fresh OpenWit node and into PostgreSQL 15 (unindexed
// table) with COPY FROM STDIN, text format through pgconn's CopyFrom and
// binary format through pgx's CopyFrom. Each timing covers sending every
// statement and receiving its CommandComplete (OpenWit acknowledges after
// the WAL fsync; the scratch PostgreSQL runs with fsync=off).
func RunCopy(ctx context.Context, cfg CopyConfig) ([]CopyResult, error) {
	if err := cfg.Gen.Validate(); err != nil {
		return nil, err
	}
	if cfg.StatementRows <= 0 {
		cfg.StatementRows = cfg.Gen.Rows
	}
	say, nodeLog := outputs(cfg.Progress, cfg.NodeLogger)
	gen, err := NewGenerator(cfg.Gen)
	if err != nil {
		return nil, err
	}
	var recs []arrow.RecordBatch
	for i := range gen.NumBatches() {
		recs = append(recs, gen.Batch(memory.DefaultAllocator, i))
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	statements := renderCopyText(recs, cfg.StatementRows)
	say("generated %d rows, %d COPY statements", cfg.Gen.Rows, len(statements))

	dir, err := os.MkdirTemp("", "openwit-bench-copy-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	pgURL := cfg.PostgresURL
	if pgURL == "" {
		srv, err := pgserver.Start()
		if err != nil {
			return nil, fmt.Errorf("start postgresql: %w", err)
		}
		defer srv.Stop()
		pgURL = srv.DSN("")
	}

	var results []CopyResult
	for _, format := range []string{"text", "binary"} {
		ow, err := startOpenWit(ctx, fmt.Sprintf("%s/openwit-%s", dir, format), nodeLog, false, 0, "", "")
		if err != nil {
			return nil, err
		}
		res, err := copyInto(ctx, EngineOpenWit, ow.DSN(), format, statements, recs, cfg.StatementRows)
		if serr := ow.shutdown(); err == nil && serr != nil {
			err = serr
		}
		if err != nil {
			return nil, err
		}
		say("%s %s: %.0f rows/s", res.Engine, format, res.RowsPerSec)
		results = append(results, res)
		if res, err = copyInto(ctx, EnginePostgres, pgURL, format, statements, recs, cfg.StatementRows); err != nil {
			return nil, err
		}
		say("%s %s: %.0f rows/s", res.Engine, format, res.RowsPerSec)
		results = append(results, res)
	}
	return results, nil
}

// copyInto creates the logs table on one engine and times the COPY.
func copyInto(ctx context.Context, engine, dsn, format string, statements [][]byte, recs []arrow.RecordBatch, perStmt int64) (CopyResult, error) {
	postgres := engine == EnginePostgres
	conn, err := connectPG(ctx, dsn, postgres)
	if err != nil {
		return CopyResult{}, fmt.Errorf("%s: connect: %w", engine, err)
	}
	defer conn.Close(context.Background())
	ddl := []string{CreateTableSQL}
	if postgres {
		ddl = []string{"DROP SCHEMA IF EXISTS " + pgSchema + " CASCADE", "CREATE SCHEMA " + pgSchema, createTablePG}
	}
	for _, s := range ddl {
		if _, err := conn.Exec(ctx, s); err != nil {
			return CopyResult{}, fmt.Errorf("%s: %s: %w", engine, s, err)
		}
	}
	var rows int64
	start := time.Now()
	if format == "text" {
		for _, s := range statements {
			tag, err := conn.PgConn().CopyFrom(ctx, bytes.NewReader(s), "COPY logs FROM STDIN")
			if err != nil {
				return CopyResult{}, fmt.Errorf("%s: copy: %w", engine, err)
			}
			rows += tag.RowsAffected()
		}
	} else {
		src := &copySource{recs: recs}
		for {
			n, err := conn.CopyFrom(ctx, pgx.Identifier{"logs"}, columnNames(), &limitSource{src: src, left: perStmt})
			if err != nil {
				return CopyResult{}, fmt.Errorf("%s: binary copy: %w", engine, err)
			}
			rows += n
			if n < perStmt {
				break
			}
		}
	}
	secs := time.Since(start).Seconds()
	var want int64
	for _, r := range recs {
		want += r.NumRows()
	}
	if rows != want {
		return CopyResult{}, fmt.Errorf("%s: copied %d rows, want %d", engine, rows, want)
	}
	var got int64
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM logs").Scan(&got); err != nil || got != want {
		return CopyResult{}, fmt.Errorf("%s: count after copy: %d, %v (want %d)", engine, got, err, want)
	}
	return CopyResult{Engine: engine, Format: format, Rows: rows, Seconds: secs, RowsPerSec: float64(rows) / secs}, nil
}

// limitSource hands at most left rows of src to one CopyFrom.
type limitSource struct {
	src  *copySource
	left int64
}

func (l *limitSource) Next() bool {
	if l.left <= 0 {
		return false
	}
	l.left--
	return l.src.Next()
}
func (l *limitSource) Values() ([]any, error) { return l.src.Values() }
func (l *limitSource) Err() error             { return nil }

// renderCopyText renders the rows in COPY text format, perStmt rows per
// buffer. Generated strings hold no tabs, newlines or backslashes.
func renderCopyText(recs []arrow.RecordBatch, perStmt int64) [][]byte {
	var out [][]byte
	var buf []byte
	var n int64
	for _, r := range recs {
		ts := r.Column(0).(*array.Timestamp)
		str := func(c, i int) {
			a := r.Column(c).(*array.String)
			if a.IsNull(i) {
				buf = append(buf, `\N`...)
			} else {
				buf = append(buf, a.Value(i)...)
			}
		}
		status, lat := r.Column(4).(*array.Int32), r.Column(5).(*array.Float64)
		for i := 0; i < int(r.NumRows()); i++ {
			buf = time.UnixMicro(int64(ts.Value(i))).UTC().AppendFormat(buf, "2006-01-02 15:04:05.999999Z07:00")
			for _, c := range []int{1, 2, 3} {
				buf = append(buf, '\t')
				str(c, i)
			}
			buf = append(buf, '\t')
			buf = strconv.AppendInt(buf, int64(status.Value(i)), 10)
			buf = append(buf, '\t')
			buf = strconv.AppendFloat(buf, lat.Value(i), 'g', -1, 64)
			for _, c := range []int{6, 7} {
				buf = append(buf, '\t')
				str(c, i)
			}
			buf = append(buf, '\n')
			if n++; n == perStmt {
				out = append(out, buf)
				buf, n = nil, 0
			}
		}
	}
	if n > 0 {
		out = append(out, buf)
	}
	return out
}
