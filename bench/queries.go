package bench

import (
	"fmt"
	"time"
)

// Query is one benchmark query: the same SQL text runs on every engine
// (PostgreSQL's dialect, written so DuckDB accepts it too).
type Query struct {
	Name string
	SQL  string
	// RowCountOnly compares only the number of rows (the rows themselves
	// are not determined, e.g. SELECT * ... LIMIT).
	RowCountOnly bool
}

// Queries returns the benchmark queries for data made by g: the time
// ranges fall in the middle day of the data, and the needle is a trace id
// that exists. Every multi-row result has a total ORDER BY.
func Queries(g *Generator) []Query {
	day := Epoch.AddDate(0, 0, (g.cfg.Days-1)/2)
	ts := func(t time.Time) string { return "'" + t.Format("2006-01-02 15:04:05") + "+00'" }
	return []Query{
		{Name: "count", SQL: `SELECT count(*) FROM logs`},
		{Name: "count_errors", SQL: `SELECT count(*) FROM logs WHERE level = 'error'`},
		{Name: "by_level", SQL: `SELECT level, count(*) AS n FROM logs GROUP BY level ORDER BY level`},
		{Name: "top_error_services", SQL: `SELECT service, count(*) AS errors FROM logs WHERE level = 'error' GROUP BY service ORDER BY errors DESC, service LIMIT 10`},
		{Name: "p95_latency", SQL: `SELECT service, percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95 FROM logs GROUP BY service ORDER BY service`},
		{Name: "per_minute_day", SQL: fmt.Sprintf(`SELECT date_trunc('minute', ts) AS minute, count(*) AS n FROM logs WHERE ts >= %s AND ts < %s GROUP BY 1 ORDER BY 1`,
			ts(day), ts(day.AddDate(0, 0, 1)))},
		// A Grafana panel on the PostgreSQL data source: errors and requests
		// per 5 minutes over one day ($__timeGroup and $__timeFilter,
		// design 080), to_timestamp so that every engine returns a timestamp.
		{Name: "grafana_errors_5m", SQL: fmt.Sprintf(`SELECT to_timestamp(floor(extract(epoch from ts)/300)*300) AS "time", count(*) FILTER (WHERE level = 'error') AS errors, count(*) AS n FROM logs WHERE ts BETWEEN %s AND %s GROUP BY 1 ORDER BY 1`,
			ts(day), ts(day.AddDate(0, 0, 1)))},
		{Name: "distinct_hosts", SQL: `SELECT count(DISTINCT host) FROM logs`},
		{Name: "needle_trace", SQL: fmt.Sprintf(`SELECT ts, service, host, level, status, latency_ms, trace_id, message FROM logs WHERE trace_id = '%s'`,
			g.TraceID(g.NeedleRow()))},
		{Name: "like_timeout", SQL: `SELECT count(*) FROM logs WHERE message LIKE '%timeout%'`},
		// Selective single-word search, issue 8's "'%timeout%' style, < 1% of rows" (0.61% of the rows).
		{Name: "like_declined", SQL: `SELECT count(*) FROM logs WHERE message LIKE '%declined%'`},
		// Selective text search (about 0.04% of the rows).
		{Name: "like_lock_selective", SQL: `SELECT count(*) FROM logs WHERE message LIKE '%waiting for lock on orders%'`},
		// The same search returning rows (issue 8, multi-word search with
		// the candidate rows of the token postings).
		{Name: "like_lock_rows", SQL: `SELECT ts, message FROM logs WHERE message LIKE '%waiting for lock on orders%' LIMIT 100`, RowCountOnly: true},
		{Name: "top_slowest", SQL: `SELECT trace_id, service, latency_ms FROM logs ORDER BY latency_ms DESC, trace_id LIMIT 10`},
		{Name: "hour_by_service", SQL: fmt.Sprintf(`SELECT service, count(*) AS n, avg(latency_ms) AS avg_ms, max(latency_ms) AS max_ms FROM logs WHERE ts >= %s AND ts < %s GROUP BY service ORDER BY service`,
			ts(day.Add(12*time.Hour)), ts(day.Add(13*time.Hour)))},
		{Name: "select_star_limit", SQL: `SELECT * FROM logs LIMIT 1000`, RowCountOnly: true},
	}
}
