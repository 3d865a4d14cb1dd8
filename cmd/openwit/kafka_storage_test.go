package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
	"openwit/storage/catalog"
)

// TestKafkaThroughStorage: a Kafka ingest node (--roles ingest
// --storage-nodes) stages its files on a storage node, which publishes them
// with the partition offsets. The storage node is SIGKILLed (a) after it
// uploaded a staged file, before any publish, and (b) right after a
// publish committed, before answering; restarted each time. Every record
// is queryable once on a front node, and the ingest node wrote no Parquet
// object itself (its own object store stays empty).
func TestKafkaThroughStorage(t *testing.T) {
	t.Parallel()
	start := time.Now()
	phase := func(what string) { t.Logf("%v: %s", time.Since(start).Round(time.Millisecond), what) }
	const topic, n = "kev", 600
	kc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, topic))
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	pg := testpg.Start(t)
	dsn := pg.CreateDB(t, "kafka_storage")
	objects := filepath.Join(t.TempDir(), "objects")
	shared := []string{"--catalog", dsn, "--object-store", "file://" + objects}
	addr := fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t))
	store := testserver.Start(t, testserver.Options{Env: []string{"OPENWIT_TEST_FAILPOINT=stage-after-upload"},
		Args: append([]string{"--roles", "storage", "--storage-addr", addr}, shared...)})
	front := testserver.Start(t, testserver.Options{Args: append([]string{"--roles", "gateway,coordinator", "--storage-nodes", addr}, shared...)})
	conn := testserver.Connect(t, front.DSN())
	mustExec(t, conn, "CREATE TABLE kev (ts timestamptz NOT NULL, key int8 NOT NULL)")
	// The ingest node's own object store: nothing may land there.
	own := filepath.Join(t.TempDir(), "own-objects")
	ing := testserver.Start(t, testserver.Options{Args: []string{"--roles", "ingest", "--storage-nodes", addr,
		"--catalog", dsn, "--object-store", "file://" + own,
		"--kafka-brokers", strings.Join(kc.ListenAddrs(), ","), "--kafka-topics", topic, "--kafka-commit-interval", "200ms"}})
	phase("catalog, storage, front and ingest nodes up")
	prod, err := kgo.NewClient(kgo.SeedBrokers(kc.ListenAddrs()...), kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	key := 0
	produce := func(count int) {
		var rs []*kgo.Record
		for range count {
			rs = append(rs, &kgo.Record{Value: fmt.Appendf(nil, `{"ts":%d,"key":%d}`, int64(1_717_000_000_000)+int64(key), key)})
			key++
		}
		if err := prod.ProduceSync(t.Context(), rs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	cat, err := catalog.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	offsets := func() (sum int64) {
		o, err := cat.SourceOffsets(t.Context(), "openwit", topic)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range o {
			sum += v
		}
		return sum
	}
	stopped := func(point string) bool { return strings.Contains(store.Log(), `failpoint reached" point=`+point) }

	// (a) Killed after uploading a staged file: nothing is published. The
	// failpoint holds every stage (the two partitions stage concurrently:
	// holding only the first would let the other publish).
	produce(n / 3)
	waitFor(t, "the storage node stopped after a stage", store, func() bool { return stopped("stage-after-upload") })
	staged, _ := filepath.Glob(filepath.Join(objects, "tables", "*", "shard=*", "*-k*-p*-o*.parquet"))
	if len(staged) == 0 {
		t.Fatal("no staged object in the shared object store")
	}
	if o := offsets(); o != 0 {
		t.Fatalf("offsets add up to %d before any publish", o)
	}
	store.Kill()
	phase("(a) killed after a stage")
	produce(n / 3)

	// (b) Killed right after a publish committed, before the answer.
	store.Env = []string{"OPENWIT_TEST_FAILPOINT=commit-after-publish@1"} // the first publish only
	store.Restart()
	waitFor(t, "the storage node stopped after a publish", store, func() bool { return stopped("commit-after-publish") })
	if o := offsets(); o == 0 {
		t.Fatal("no offset published at the commit failpoint")
	}
	store.Kill()
	phase("(b) killed after a publish")
	store.Env = nil
	store.Restart()
	produce(n - 2*(n/3))

	want := fmt.Sprintf("%d|%d|%d", n, n, n*(n-1)/2)
	waitFor(t, "every record once on the front node", front, func() bool {
		return queryText(t, conn, "SELECT count(*), count(DISTINCT key), sum(key) FROM kev")[0] == want
	})
	phase("every record once on the front node")
	waitFor(t, "the offsets at the log's end", ing, func() bool { return offsets() == n })
	if got := queryText(t, conn, "SELECT count(*), count(DISTINCT key) FROM kev")[0]; got != fmt.Sprintf("%d|%d", n, n) {
		t.Fatalf("count(*), count(DISTINCT key) = %s after the offsets reached the end", got)
	}
	// The ingest node encoded and uploaded nothing: its object store holds
	// no Parquet file, and it staged on the storage node.
	var mine []string
	_ = filepath.Walk(own, func(p string, fi os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".parquet") {
			mine = append(mine, p)
		}
		return nil
	})
	if len(mine) != 0 {
		t.Errorf("the ingest node wrote Parquet objects itself: %v", mine)
	}
	_, body := httpGet(t, ing.HTTPURL()+"/metrics")
	if v, _ := metricValue(body, "openwit_kafka_staged_files_total"); v < 1 {
		t.Errorf("the ingest node staged %v files on storage nodes", v)
	}
	// Rows whose publish committed while the answer was lost (b) are not
	// counted: the ingest node saw an error, then a conflict or a repeat.
	if v, _ := metricValue(body, "openwit_kafka_rows_published_total"); v <= 0 || v > n {
		t.Errorf("the ingest node counted %v rows published, want 1 to %d", v, n)
	}
	_, body = httpGet(t, store.HTTPURL()+"/metrics")
	if v, _ := metricValue(body, "openwit_storage_publish_at_total"); v < 1 {
		t.Errorf("the restarted storage node committed %v publishes", v)
	}
}
