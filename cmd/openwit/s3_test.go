package main

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"openwit/internal/tests3"
	"openwit/internal/testserver"
	"openwit/storage/objstore"
)

// TestServeS3 runs a coordinator and a search worker (with a local read
// cache) on versitygw, both through a proxy that fails about one request in
// ten: rows inserted over pgwire become Parquet files in the bucket, and
// queries over them give the generator's answers, first from the object
// store and then from the worker's cache.
func TestServeS3(t *testing.T) {
	t.Parallel()
	srv := tests3.Versitygw(t)
	bucket := srv.CreateBucket(t, "openwit")
	proxy := tests3.NewFaultProxy(t, srv.Endpoint, tests3.Faults{
		Unavailable: 0.05, DropAfter: 0.02, DropBody: 0.02, Stall: 0.01, StallFor: time.Second, Seed: 3,
	})
	q := url.Values{"endpoint": {proxy.URL}, "region": {tests3.Region}}
	store := fmt.Sprintf("s3://%s/cluster-1?%s", bucket, q.Encode())

	workerAddr := fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t))
	worker := testserver.Start(t, testserver.Options{Env: srv.Env(), Args: []string{
		"--roles", "search", "--search-addr", workerAddr, "--object-store", store,
		"--cache-dir", t.TempDir(), "--cache-size", "64MiB",
	}})
	coord := testserver.Start(t, testserver.Options{Env: srv.Env(), Args: []string{
		"--roles", "gateway,coordinator", "--search-workers", workerAddr,
		"--object-store", store, "--flush-age", "10ms",
	}})

	const nRows, batch = 3000, 250
	rows := genLogs(nRows)
	conn := testserver.Connect(t, coord.DSN())
	mustExec(t, conn, logsDDL)
	for i := 0; i < nRows; i += batch {
		mustExec(t, conn, insertSQL(rows[i:i+batch]))
	}
	waitMetric(t, coord.HTTPURL(), "openwit_ingest_buffered_rows", func(v float64) bool { return v == 0 })

	// The Parquet files are in the bucket under the prefix, complete, and
	// no multipart upload is left open.
	direct, err := objstore.NewS3(t.Context(), srv.Config("", bucket, "cluster-1"))
	if err != nil {
		t.Fatal(err)
	}
	var files int
	err = direct.List(t.Context(), "", func(key string, size int64) error {
		if strings.HasSuffix(key, ".parquet") {
			files++
			if size == 0 {
				t.Errorf("empty Parquet file %s", key)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 4 {
		t.Fatalf("%d Parquet files in the bucket, want at least one per time shard (4)", files)
	}
	ups, err := srv.Client().ListMultipartUploads(t.Context(), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups.Uploads) != 0 {
		t.Errorf("%d multipart uploads left open", len(ups.Uploads))
	}

	plan := strings.Join(queryText(t, conn, "EXPLAIN SELECT service, count(*) FROM logs GROUP BY service"), "\n")
	if !strings.Contains(plan, "search workers=1") {
		t.Fatalf("the coordinator does not distribute the aggregation:\n%s", plan)
	}
	want := expectedAnswers(rows)
	checkAnswers(t, "cold cache", queryAnswers(t, "cold cache", conn), want)
	_, body := httpGet(t, worker.HTTPURL()+"/metrics")
	misses, _ := metricValue(body, "openwit_objstore_cache_misses_total")
	if misses < 1 {
		t.Fatalf("the worker's cache saw no misses: the worker did not read through it\n%s", worker.Log())
	}
	checkAnswers(t, "warm cache", queryAnswers(t, "warm cache", conn), want)
	_, body = httpGet(t, worker.HTTPURL()+"/metrics")
	hits, _ := metricValue(body, "openwit_objstore_cache_hits_total")
	misses2, _ := metricValue(body, "openwit_objstore_cache_misses_total")
	if hits < 1 || misses2 != misses {
		t.Errorf("warm queries: %v hits, misses %v -> %v; want hits and no new misses", hits, misses, misses2)
	}
	t.Logf("%d files; proxy: %d requests, %d 503s, %d dropped, %d bodies cut, %d stalls; worker cache: %v misses, %v hits",
		files, proxy.Requests.Load(), proxy.Unavailable.Load(), proxy.DropAfter.Load(), proxy.DropBody.Load(),
		proxy.Stalls.Load(), misses, hits)
	if proxy.Unavailable.Load()+proxy.DropAfter.Load()+proxy.DropBody.Load()+proxy.Stalls.Load() == 0 {
		t.Error("no fault was injected")
	}
}
