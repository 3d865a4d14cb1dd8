package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/jackc/pgx/v5"
)

// mustExec runs one statement and fails the test on error.
func mustExec(tb testing.TB, conn *pgx.Conn, sql string, args ...any) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		tb.Fatalf("%s: %v", abbrev(sql), err)
	}
}

// queryRows runs a query and collects its rows with scan.
func queryRows[T any](tb testing.TB, conn *pgx.Conn, sql string, scan func(pgx.CollectableRow) (T, error), args ...any) []T {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		tb.Fatalf("%s: %v", abbrev(sql), err)
	}
	out, err := pgx.CollectRows(rows, scan)
	if err != nil {
		tb.Fatalf("%s: %v", abbrev(sql), err)
	}
	return out
}

func abbrev(sql string) string {
	if len(sql) > 120 {
		return sql[:120] + "..."
	}
	return sql
}

// parquetFiles returns the .parquet files under dir/objects and their total
// row count, read from the Parquet footers (not through the server).
func parquetFiles(tb testing.TB, dataDir string) (files []string, rows int64) {
	tb.Helper()
	root := filepath.Join(dataDir, "objects")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted by garbage collection while we walk
		}
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".parquet") {
			return nil
		}
		r, err := file.OpenParquetFile(path, false)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("open %s: %w", path, err)
		}
		defer r.Close()
		files = append(files, path)
		rows += r.NumRows()
		return nil
	})
	if err != nil {
		tb.Fatalf("walk %s: %v", root, err)
	}
	return files, rows
}

// httpGet fetches url and returns the status code and body.
func httpGet(tb testing.TB, url string) (int, string) {
	tb.Helper()
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("GET %s: read body: %v", url, err)
	}
	return resp.StatusCode, string(b)
}

// metricValue returns the value of an unlabelled sample in a Prometheus text
// exposition, and whether it was found.
func metricValue(body, name string) (float64, bool) {
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, name+" ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		if err != nil {
			return 0, false
		}
		return v, true
	}
	return 0, false
}

// waitMetric polls /metrics until cond holds for the named sample. The
// bound only keeps a broken server from hanging the test.
func waitMetric(tb testing.TB, baseURL, name string, cond func(float64) bool) float64 {
	tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var last float64
	var found bool
	for time.Now().Before(deadline) {
		_, body := httpGet(tb, baseURL+"/metrics")
		last, found = metricValue(body, name)
		if found && cond(last) {
			return last
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("metric %s never reached the expected value (last %v, found %v)", name, last, found)
	return 0
}
