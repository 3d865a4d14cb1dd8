package planner_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"openwit/internal/pgerror"
)

// TestJSONVectorized: JSON filters, group keys and casts run in the
// vectorized executor (EXPLAIN shows them in the VectorizedScan) and
// return what the row engine returns, over Parquet files and fresh rows.
func TestJSONVectorized(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`CREATE TABLE ev (ts timestamptz NOT NULL, doc jsonb) WITH (time_column = 'ts')`)
	rng := rand.New(rand.NewPCG(3, 4))
	insert := func(n int) {
		var b strings.Builder
		b.WriteString("INSERT INTO ev VALUES ")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			var parts []string
			if rng.IntN(10) > 0 {
				parts = append(parts, fmt.Sprintf(`"svc": "%s"`, []string{"api", "web", "db"}[rng.IntN(3)]))
			}
			if rng.IntN(8) > 0 {
				parts = append(parts, fmt.Sprintf(`"status": "%d"`, []int{200, 404, 500, 503}[rng.IntN(4)]))
			}
			if rng.IntN(2) == 0 {
				parts = append(parts, fmt.Sprintf(`"k8s": {"pod": "web-%d", "n": %de1}`, rng.IntN(3), rng.IntN(4)))
			}
			if rng.IntN(3) == 0 {
				parts = append(parts, fmt.Sprintf(`"level": "%s"`, []string{"error", "info"}[rng.IntN(2)]))
			}
			if rng.IntN(7) == 0 {
				parts = append(parts, `"error": true`)
			}
			doc := "'{" + strings.Join(parts, ", ") + "}'"
			if rng.IntN(25) == 0 {
				doc = "NULL"
			}
			fmt.Fprintf(&b, "('2024-01-01 00:00:00+00'::timestamptz + interval '%d second', %s)", rng.IntN(86400), doc)
		}
		h.mustQuery(b.String())
	}
	insert(400)
	if err := h.ing.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	insert(300) // fresh rows in the ingest buffers
	queries := []struct{ q, pushed string }{
		{`SELECT count(*) FROM ev WHERE doc ->> 'svc' = 'api'`, `filter=(doc ->> 'svc') = 'api'`},
		{`SELECT count(*) FROM ev WHERE doc -> 'k8s' ->> 'pod' LIKE '%b-1'`, `filter=(doc -> 'k8s' ->> 'pod') LIKE '%b-1'`},
		{`SELECT count(*) FROM ev WHERE doc #>> '{k8s,n}' = '20'`, `filter=(doc #>> '{"k8s","n"}') = '20'`},
		{`SELECT count(*) FROM ev WHERE doc ? 'error'`, `filter=doc ? 'error'`},
		{`SELECT count(*) FROM ev WHERE doc @> '{"level": "error", "svc": "web"}'`, `filter=doc @> '{"svc": "web", "level": "error"}'`},
		{`SELECT count(*) FROM ev WHERE (doc ->> 'status')::int >= 500`, `filter=((doc ->> 'status'))::int4 >= 500`},
		{`SELECT count(*) FROM ev WHERE doc ->> 'svc' IN ('api', 'db') AND (doc ->> 'status')::float8 < 300`, `::float8 < 300`},
		{`SELECT count(*) FROM ev WHERE doc ->> 'level' IS NULL`, `filter=(doc ->> 'level') IS NULL`},
		{`SELECT doc ->> 'svc', count(*) FROM ev GROUP BY doc ->> 'svc' ORDER BY 1`, `group=[(doc ->> 'svc')]`},
		{`SELECT doc -> 'k8s' ->> 'pod' AS pod, count(*) FROM ev WHERE doc ->> 'svc' <> 'db' GROUP BY 1 ORDER BY 1`, `group=[(doc -> 'k8s' ->> 'pod')]`},
		{`SELECT ts, doc ->> 'svc' FROM ev WHERE doc ? 'error' ORDER BY ts DESC LIMIT 5`, `filter=doc ? 'error'`},
	}
	for _, tc := range queries {
		plan := h.mustQuery("EXPLAIN " + tc.q)
		if !strings.Contains(plan, "VectorizedScan") || !strings.Contains(plan, tc.pushed) {
			t.Errorf("%s: the JSON expression is not pushed (want %q):\n%s", tc.q, tc.pushed, plan)
		}
		vec := h.mustQuery(tc.q)
		h.mustQuery(`SET openwit.vectorize = off`)
		row := h.mustQuery(tc.q)
		h.mustQuery(`SET openwit.vectorize = on`)
		if vec != row {
			t.Errorf("%s: vectorized\n%s\nrow engine\n%s", tc.q, vec, row)
		}
		if vec == "" || vec == "0" {
			t.Errorf("%s: no rows; the data lost its point", tc.q)
		}
	}
	// Bad text: the same error in both engines; none where an earlier
	// condition rejects the row.
	h.mustQuery(`INSERT INTO ev VALUES ('2024-01-01 00:00:00+00', '{"svc": "bad", "status": "n/a"}')`)
	for _, mode := range []string{"on", "off"} {
		h.mustQuery(`SET openwit.vectorize = ` + mode)
		_, err := h.query(`SELECT count(*) FROM ev WHERE (doc ->> 'status')::int >= 500`)
		if pe := pgerror.As(err); pe == nil || pe.Code != pgerror.InvalidTextRepr || pe.Message != `invalid input syntax for type integer: "n/a"` {
			t.Errorf("vectorize=%s: error %v, want 22P02", mode, err)
		}
		h.mustQuery(`SELECT count(*) FROM ev WHERE doc ->> 'svc' <> 'bad' AND (doc ->> 'status')::int >= 500`)
	}
	// A containment with a nested object, or jsonb compared as jsonb, stays
	// in the row engine.
	for _, q := range []string{
		`SELECT count(*) FROM ev WHERE doc @> '{"k8s": {"pod": "web-1"}}'`,
		`SELECT count(*) FROM ev WHERE doc -> 'svc' = '"api"'`,
	} {
		if plan := h.mustQuery("EXPLAIN " + q); strings.Contains(plan, "filter=") {
			t.Errorf("%s: pushed, but the executor does not run it:\n%s", q, plan)
		}
	}
}
