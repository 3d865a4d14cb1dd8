package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// buildDuckDB builds openwit-duckdb from the nested module bench/duckdb
// into a temporary directory (no skipping: the DuckDB bindings come from
// the Go module proxy like every other dependency).
func buildDuckDB(t *testing.T) string {
	t.Helper()
	// Read the sources so that go test's cache is invalidated when they
	// change (the go build below is invisible to it).
	for _, f := range []string{"main.go", "go.mod", "go.sum"} {
		if _, err := os.ReadFile(filepath.Join("duckdb", f)); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(t.TempDir(), "openwit-duckdb")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = "duckdb"
	cmd.Env = append(os.Environ(), "GOWORK=off")
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build openwit-duckdb: %v\n%s", err, out)
	}
	t.Logf("built openwit-duckdb in %s", time.Since(start).Round(time.Millisecond))
	return bin
}

type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestEndToEnd runs the whole benchmark in-process on a small data set:
// OpenWit (Flight SQL ingest, flush to Parquet, queries over pgwire), a
// scratch PostgreSQL 15 (COPY) and DuckDB over OpenWit's Parquet files,
// and checks that the engines agree on every query OpenWit answers.
func TestEndToEnd(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Gen = GenConfig{Rows: 20_000, Seed: 3, Days: 3, BatchSize: 4096}
	cfg.DuckDBBin = buildDuckDB(t)
	rep, _ := runSmall(t, cfg)

	if rep.ParquetFiles == 0 || len(rep.Load) != 4 || len(rep.Queries) != len(Queries(mustGen(t, cfg.Gen))) {
		t.Errorf("report: %d parquet files, %d load steps, %d queries", rep.ParquetFiles, len(rep.Load), len(rep.Queries))
	}
	for _, q := range rep.Queries {
		for _, e := range []string{EngineDuckDB, EnginePostgres} {
			if r := q.Results[e]; r == nil || r.Error != "" {
				t.Errorf("%s on %s: %+v", q.Name, e, r)
			}
		}
		// An engine that failed has no mismatch entry: this asserts
		// agreement among every engine that answered.
		for e, d := range q.Mismatches {
			t.Errorf("%s: %s disagrees: %s", q.Name, e, d)
		}
		ow := q.Results[EngineOpenWit]
		if ow == nil {
			t.Fatalf("%s: no openwit result", q.Name)
		}
		if ow.Error != "" {
			// A gap in OpenWit's SQL: reported, not asserted (yet).
			t.Logf("%s fails on openwit: %s", q.Name, ow.Error)
			continue
		}
		if q.Name == "count" && (len(ow.Rows) != 1 || Normalize(ow.Rows[0][0]) != "20000") {
			t.Errorf("count on openwit: %v", ow.Rows)
		}
		if q.Name == "needle_trace" && ow.RowCount != 1 {
			t.Errorf("needle_trace found %d rows on openwit", ow.RowCount)
		}
	}

	path := filepath.Join(t.TempDir(), "bench.json")
	if err := rep.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	var back Report
	if err := json.Unmarshal(b, &back); err != nil || back.Rows != 20_000 || len(back.Queries) != len(rep.Queries) {
		t.Errorf("json report: %v, %d rows, %d queries", err, back.Rows, len(back.Queries))
	}
}

// runSmall runs cfg once per query (Runs 1) in a temporary work dir
// unless cfg names one, and returns the report and its printed table.
func runSmall(t *testing.T, cfg Config) (*Report, string) {
	t.Helper()
	cfg.Runs = 1
	if cfg.WorkDir == "" {
		cfg.WorkDir = t.TempDir()
	}
	cfg.Progress = logWriter{t}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	rep, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	rep.WriteTable(&table)
	t.Log("\n" + table.String())
	return rep, table.String()
}

func mustGen(t *testing.T, cfg GenConfig) *Generator {
	g, err := NewGenerator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestCellsEqual(t *testing.T) {
	s := func(v string) *string { return &v }
	for _, tt := range []struct {
		a, b *string
		want bool
	}{
		{s("42"), s("42"), true},
		{s("42"), s("43"), false},
		{s("1234567"), s("1234568"), false}, // integers compare exactly
		{s("1234567"), s("1.234567e+06"), true},
		{s("12.345678901"), s("12.3456789"), true},
		{s("0.30000000000000004"), s("0.3"), true},
		{s("12.3457"), s("12.3458"), false},
		{s("2024-01-02 00:00:00.000000Z"), s("2024-01-02 01:00:00+01"), true},
		{s("2024-01-02 00:00:00.000000Z"), s("2024-01-02 00:00:00.000001Z"), false},
		{s("error"), s("error"), true},
		{s("error"), s("Error"), false},
		{nil, nil, true},
		{nil, s("NULL"), false},
		{nil, s("1"), false},
	} {
		if got := cellsEqual(tt.a, tt.b); got != tt.want {
			t.Errorf("cellsEqual(%v, %v) = %v, want %v", Normalize(tt.a), Normalize(tt.b), got, tt.want)
		}
	}
}

func TestFormatValue(t *testing.T) {
	ts := time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.FixedZone("x", 3600))
	for _, tt := range []struct {
		v    any
		want string
	}{
		{ts, "2024-01-02 02:04:05.123456Z"},
		{float64(0.1), "0.1"},
		{int64(-7), "-7"},
		{int32(200), "200"},
		{"a b", "a b"},
		{true, "true"},
	} {
		if got := FormatValue(tt.v); got == nil || *got != tt.want {
			t.Errorf("FormatValue(%#v) = %v, want %q", tt.v, got, tt.want)
		}
	}
	if FormatValue(nil) != nil {
		t.Error("FormatValue(nil) is not NULL")
	}
}

func TestCompareRows(t *testing.T) {
	s := func(v string) *string { return &v }
	want := [][]*string{{s("a"), s("1")}, {s("b"), s("2.5")}}
	if d := compareRows(Query{}, want, [][]*string{{s("a"), s("1")}, {s("b"), s("2.5000001")}}, "postgres", "openwit"); d != "" {
		t.Errorf("equal rows: %s", d)
	}
	if d := compareRows(Query{}, want, [][]*string{{s("a"), s("1")}, {s("b"), s("3")}}, "postgres", "openwit"); !strings.Contains(d, "row 2 column 2") {
		t.Errorf("different cell: %q", d)
	}
	if d := compareRows(Query{}, want, want[:1], "postgres", "openwit"); !strings.Contains(d, "openwit returned 1 rows, postgres 2") {
		t.Errorf("different row count: %q", d)
	}
	if d := compareRows(Query{RowCountOnly: true}, want, [][]*string{{s("x")}, {s("y")}}, "postgres", "openwit"); d != "" {
		t.Errorf("row count only: %s", d)
	}
}

// TestChunkedLoadAndNoIndex loads the rows in chunks (each generated,
// loaded into OpenWit and PostgreSQL, flushed and released before the
// next) and runs the queries on openwit-noindex too: every engine agrees,
// every row arrives once, and a chunk boundary inside an hour gives that
// hour a second file.
func TestChunkedLoadAndNoIndex(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Gen = GenConfig{Rows: 20_000, Seed: 4, Days: 3, BatchSize: 1000}
	cfg.LoadChunkRows = 6000 // 4 chunks: 6, 6, 6 and 2 batches
	cfg.Engines = []string{EngineOpenWit, EnginePostgres, EngineOpenWitNoIndex}
	rep, table := runSmall(t, cfg)

	hours := 3 * 24
	if rep.ParquetFiles <= hours || rep.ParquetFiles > hours+3 {
		t.Errorf("%d parquet files, want %d hours plus one per chunk boundary inside an hour (at most 3)", rep.ParquetFiles, hours)
	}
	var ingested, copied int64
	for _, l := range rep.Load {
		switch {
		case l.Engine == EngineOpenWit && l.Step == "flight sql bulk ingest":
			ingested = l.Rows
		case l.Engine == EnginePostgres && l.Step == "copy":
			copied = l.Rows
		}
	}
	if ingested != 20_000 || copied != 20_000 {
		t.Errorf("load steps: openwit %d rows, postgres %d rows; want 20000 each", ingested, copied)
	}
	for _, q := range rep.Queries {
		for _, e := range cfg.Engines {
			if r := q.Results[e]; r == nil || r.Error != "" {
				t.Errorf("%s on %s: %+v", q.Name, e, r)
			}
		}
		for e, d := range q.Mismatches {
			t.Errorf("%s: %s disagrees: %s", q.Name, e, d)
		}
		if q.Name == "count" {
			for _, e := range cfg.Engines {
				if r := q.Results[e]; r != nil && (len(r.Rows) != 1 || Normalize(r.Rows[0][0]) != "20000") {
					t.Errorf("count on %s: %v", e, r.Rows)
				}
			}
		}
	}
	if rep.GeomeanNoIndexVsIndex <= 0 || !strings.Contains(table, "no-index/openwit") {
		t.Errorf("no-index geometric mean %v; table:\n%s", rep.GeomeanNoIndexVsIndex, table)
	}
}

func TestChunkBatches(t *testing.T) {
	for _, c := range []struct {
		n, size int
		rows    int64
		want    [][2]int
	}{
		{10, 100, 0, [][2]int{{0, 10}}},
		{10, 100, 350, [][2]int{{0, 3}, {3, 6}, {6, 9}, {9, 10}}},
		{3, 100, 50, [][2]int{{0, 1}, {1, 2}, {2, 3}}}, // at least one batch per chunk
		{4, 100, 1000, [][2]int{{0, 4}}},
	} {
		if got := chunkBatches(c.n, c.size, c.rows); !slices.Equal(got, c.want) {
			t.Errorf("chunkBatches(%d, %d, %d) = %v, want %v", c.n, c.size, c.rows, got, c.want)
		}
	}
}
