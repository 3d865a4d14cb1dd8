package main

import (
	"strings"
	"testing"

	"openwit/internal/testserver"
)

func TestHTTPEndpoints(t *testing.T) {
	t.Parallel()
	s := testserver.Start(t, testserver.Options{})
	// Three acknowledged rows, so the ingest and WAL counters have moved.
	conn := testserver.Connect(t, s.DSN())
	mustExec(t, conn, "CREATE TABLE m (ts timestamptz NOT NULL, v int)")
	mustExec(t, conn, "INSERT INTO m VALUES ('2024-01-01 00:00:00+00', 1), ('2024-01-01 00:00:01+00', 2), ('2024-01-01 02:00:00+00', 3)")

	tests := []struct {
		path    string
		status  int
		bodyHas []string
	}{
		{"/healthz", 200, nil},
		{"/readyz", 200, nil},
		{"/metrics", 200, []string{"openwit_wal_fsyncs_total", "openwit_ingest_rows_total", "go_goroutines"}},
		{"/debug/pprof/", 200, []string{"goroutine", "heap"}},
		{"/debug/pprof/goroutine?debug=1", 200, []string{"goroutine profile"}},
		{"/nosuch", 404, nil},
	}
	for _, tt := range tests {
		t.Run(strings.TrimPrefix(tt.path, "/"), func(t *testing.T) {
			status, body := httpGet(t, s.HTTPURL()+tt.path)
			if status != tt.status {
				t.Errorf("GET %s: status %d, want %d; body %q", tt.path, status, tt.status, body)
			}
			for _, w := range tt.bodyHas {
				if !strings.Contains(body, w) {
					t.Errorf("GET %s: body does not contain %q", tt.path, w)
				}
			}
		})
	}

	t.Run("metric values", func(t *testing.T) {
		_, body := httpGet(t, s.HTTPURL()+"/metrics")
		checks := []struct {
			name string
			ok   func(float64) bool
			want string
		}{
			{"openwit_ingest_rows_total", func(v float64) bool { return v == 3 }, "3"},
			{"openwit_wal_fsyncs_total", func(v float64) bool { return v >= 1 }, ">= 1"},
			{"go_goroutines", func(v float64) bool { return v >= 1 }, ">= 1"},
		}
		for _, c := range checks {
			v, found := metricValue(body, c.name)
			if !found || !c.ok(v) {
				t.Errorf("%s = %v (found %v), want %s", c.name, v, found, c.want)
			}
		}
	})
}
