package planner_test

import (
	"context"
	"testing"
	"time"

	"openwit/ingest"
	"openwit/internal/testlocal"
	"openwit/internal/tests3"
	"openwit/planner"
	"openwit/storage"
	"openwit/storage/objstore"
)

// TestWarmQueriesSendNoRequests runs queries over files on an S3 server
// (gofakes3, behind a proxy that counts requests) read through the disk
// read cache, with the vectorized executor and with the row engine: once
// a query has run, running it again sends nothing to the object store.
func TestWarmQueriesSendNoRequests(t *testing.T) {
	ctx := context.Background()
	srv := tests3.Gofakes3(t)
	name := srv.CreateBucket(t, "warm")
	proxy := tests3.NewFaultProxy(t, srv.Endpoint, tests3.Faults{})
	s3b, err := objstore.NewS3(ctx, srv.Config(proxy.URL, name, ""))
	if err != nil {
		t.Fatal(err)
	}
	bucket, err := objstore.Cached(s3b, t.TempDir(), 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	p := testlocal.Open(t, t.TempDir())
	ing, err := ingest.New(ctx, ingest.Config{WAL: p.WAL, Catalog: p.Catalog, Publisher: &storage.Publisher{Bucket: bucket, Catalog: p.Catalog}, FlushAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	cfg := planner.Config{Catalog: p.Catalog, Ingester: ing, Bucket: bucket}
	eng, err := planner.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, eng: eng, ing: ing, s: eng.NewSession("openwit", "test"), bucket: bucket, cfg: cfg}
	loadLogs(t, h, 3000, 2, true)

	queries := []string{
		`SELECT count(*) FROM logs WHERE level = 'error'`,
		`SELECT level, count(*) FROM logs GROUP BY level ORDER BY level`,
		`SELECT ts, host, status FROM logs ORDER BY ts DESC LIMIT 9`,
		`SELECT * FROM logs LIMIT 10`,
	}
	for _, vectorize := range []string{"on", "off"} {
		h.mustQuery(`SET openwit.vectorize = ` + vectorize)
		for _, q := range queries {
			cold := h.mustQuery(q)
			before := proxy.Requests.Load()
			warm := h.mustQuery(q)
			if n := proxy.Requests.Load() - before; n != 0 {
				t.Errorf("vectorize=%s: %s: the warm run sent %d requests, want 0", vectorize, q, n)
			}
			if warm != cold || warm == "" {
				t.Errorf("vectorize=%s: %s: warm run returned %q, cold %q", vectorize, q, warm, cold)
			}
		}
	}
}
