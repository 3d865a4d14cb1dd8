package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// TestKafkaExactlyOnce runs openwit processes consuming one Kafka group
// (kfake in the test process) into a shared PostgreSQL catalog and object
// store: a 6-partition topic gets 200k records with unique keys and some
// malformed ones; one node is SIGKILLed mid-stream and restarted, a third
// node joins. Every valid record is in the table exactly once, every
// malformed one in openwit_errors, and the catalog offsets cover the log.
func TestKafkaExactlyOnce(t *testing.T) {
	t.Parallel()
	const topic, parts, n, badEvery = "events", 6, 200_000, 4000
	kc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(parts, topic))
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	brokers := strings.Join(kc.ListenAddrs(), ",")
	pg := testpg.Start(t)
	catDSN := pg.CreateDB(t, "kafka_eo")
	shared := t.TempDir()
	cfgPath := filepath.Join(shared, "kafka.yaml")
	if err := os.WriteFile(cfgPath, []byte("kafka:\n  session_timeout: 6s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--config", cfgPath, "--catalog", catDSN, "--object-store", "file://" + filepath.Join(shared, "objects"),
		"--kafka-brokers", brokers, "--kafka-topics", topic, "--kafka-group", "ow", "--kafka-commit-interval", "500ms"}
	a := testserver.Start(t, testserver.Options{Args: args})
	ca := testserver.Connect(t, a.DSN())
	mustExec(t, ca, `CREATE TABLE events (ts timestamptz NOT NULL, key int8 NOT NULL, service text, status int4, latency float8, attrs jsonb)`)
	b := testserver.Start(t, testserver.Options{Args: args})
	waitMetric(t, a.HTTPURL(), "openwit_kafka_assigned_partitions", func(v float64) bool { return v > 0 && v < parts })

	prod, err := kgo.NewClient(kgo.SeedBrokers(kc.ListenAddrs()...), kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	produced, bad := 0, 0
	key := 0
	produce := func(count int) {
		var rs []*kgo.Record
		for range count {
			if produced%badEvery == badEvery-1 {
				rs = append(rs, &kgo.Record{Value: fmt.Appendf(nil, `{"ts":"not a time","key":%d}`, produced)})
				bad++
			} else {
				ms := int64(1_717_000_000_000) + int64(key)
				rs = append(rs, &kgo.Record{Value: fmt.Appendf(nil,
					`{"ts":%d,"key":%d,"service":"svc-%d","status":%d,"latency":%d.25,"attrs":{"i":%d}}`,
					ms, key, key%13, 200+key%5, key%1000, key)})
				key++
			}
			produced++
		}
		if err := prod.ProduceSync(context.Background(), rs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	const chunk = 20_000
	for range 3 {
		produce(chunk)
	}
	// Mid-stream: b has buffered and published some ranges.
	waitMetric(t, b.HTTPURL(), "openwit_kafka_rows_published_total", func(v float64) bool { return v > 0 })
	b.Kill()
	produce(chunk)
	produce(chunk)
	b.Restart()
	produce(chunk)
	c := testserver.Start(t, testserver.Options{Args: args})
	produce(chunk)
	waitMetric(t, c.HTTPURL(), "openwit_kafka_assigned_partitions", func(v float64) bool { return v > 0 })
	for produced < n+n/badEvery {
		produce(min(chunk, n+n/badEvery-produced))
	}
	valid := produced - bad
	if valid != key {
		t.Fatalf("bookkeeping: %d valid, %d keys", valid, key)
	}

	// Wait until node a sees every row (its own files, and the others'
	// through the catalog), then check there is no duplicate.
	deadline := time.Now().Add(120 * time.Second)
	var got []string
	want := fmt.Sprintf("%d|%d", valid, valid)
	for time.Now().Before(deadline) {
		got = queryText(t, ca, `SELECT count(*), count(DISTINCT key) FROM events`)
		if len(got) == 1 && got[0] == want {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("count(*), count(DISTINCT key) = %v, want %s", got, want)
	}
	if got := queryText(t, ca, `SELECT min(key), max(key), sum(key) FROM events`); got[0] != fmt.Sprintf("0|%d|%d", valid-1, int64(valid-1)*int64(valid)/2) {
		t.Errorf("min, max, sum of keys = %v", got)
	}
	if got := queryText(t, ca, `SELECT count(*), count(DISTINCT "offset"), min(error) FROM openwit_errors WHERE topic = 'events'`); got[0] != fmt.Sprintf("%d|%d|field \"ts\": not a time: \"not a time\" (want RFC 3339 or epoch seconds/ms/µs/ns)", bad, bad) {
		t.Errorf("dead letters: %v, want %d rows", got, bad)
	}
	// The catalog's offsets cover the whole log.
	cat, err := pgx.Connect(context.Background(), catDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close(context.Background())
	var sum int64
	if err := cat.QueryRow(context.Background(), `SELECT sum(next_offset) FROM openwit_source_offsets WHERE source = 'ow' AND topic = $1`, topic).Scan(&sum); err != nil {
		t.Fatal(err)
	}
	if sum != int64(produced) {
		t.Errorf("catalog offsets add up to %d, want %d", sum, produced)
	}
	// The same answer from the node that joined last.
	cc := testserver.Connect(t, c.DSN())
	deadline = time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if got = queryText(t, cc, `SELECT count(*), count(DISTINCT key) FROM events`); got[0] == want {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if got[0] != want {
		t.Errorf("node c: count(*), count(DISTINCT key) = %v, want %s", got, want)
	}
	var published float64
	for _, s := range []*testserver.Server{a, b, c} {
		_, body := httpGet(t, s.HTTPURL()+"/metrics")
		v, _ := metricValue(body, "openwit_kafka_rows_published_total")
		published += v
		t.Logf("node %s published %v rows", s.HTTPURL(), v)
	}
	if dl := waitMetric(t, a.HTTPURL(), "openwit_kafka_buffered_records", func(v float64) bool { return v == 0 }); dl != 0 {
		t.Errorf("node a still buffers %v records", dl)
	}
}
