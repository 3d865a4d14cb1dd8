package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
)

// duckRequest is what `openwit bench` sends to openwit-duckdb on stdin
// (bench/duckdb/main.go has the same types).
type duckRequest struct {
	Files     []string    `json:"files"`
	Queries   []duckQuery `json:"queries"`
	Warmup    int         `json:"warmup"`
	Runs      int         `json:"runs"`
	TimeoutMs int64       `json:"timeout_ms,omitempty"` // per run; 0 = none
}

type duckQuery struct {
	Name string `json:"name"`
	SQL  string `json:"sql"`
}

// duckResponse is what openwit-duckdb writes on stdout.
type duckResponse struct {
	Version string       `json:"version"`
	SetupMs float64      `json:"setup_ms"`
	Results []duckResult `json:"results"`
	Error   string       `json:"error,omitempty"` // setup failed
}

type duckResult struct {
	Name    string      `json:"name"`
	Columns []string    `json:"columns"`
	Rows    [][]*string `json:"rows"`
	TimesMs []float64   `json:"times_ms"`
	Error   string      `json:"error,omitempty"`
}

// runDuckDB runs the openwit-duckdb program bin with req.
func runDuckDB(ctx context.Context, bin string, req duckRequest) (*duckResponse, error) {
	in, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin)
	cmd.Stdin = bytes.NewReader(in)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("run %s: %w: %s", bin, err, strings.TrimSpace(stderr.String()))
	}
	var resp duckResponse
	if err := json.Unmarshal(out.Bytes(), &resp); err != nil {
		return nil, fmt.Errorf("decode the output of %s: %w", bin, err)
	}
	if resp.Error != "" {
		return nil, fmt.Errorf("duckdb: %s", resp.Error)
	}
	if len(resp.Results) != len(req.Queries) {
		return nil, fmt.Errorf("duckdb answered %d queries of %d", len(resp.Results), len(req.Queries))
	}
	return &resp, nil
}
