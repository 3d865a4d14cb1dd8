package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// TestClusterDMLKafka: records a Kafka ingest node consumed and still
// buffers (a long commit interval) are published before a DELETE on a
// front node, so the DELETE removes them and they do not appear after it
// (docs/design/078-cluster-dml.md, decision 4).
func TestClusterDMLKafka(t *testing.T) {
	t.Parallel()
	const topic, n = "kdel", 100
	kc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, topic))
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	etcd := startEtcdEmbedded(t)
	pg := testpg.Start(t)
	dsn := pg.CreateDB(t, "clusterdml_kafka")
	shared := []string{"--catalog", dsn, "--object-store", "file://" + filepath.Join(t.TempDir(), "objects"), "--etcd-endpoints", etcd.Endpoint}
	front := testserver.Start(t, testserver.Options{Args: append([]string{"--node-id", "front"}, shared...)})
	conn := testserver.Connect(t, front.DSN())
	mustExec(t, conn, "CREATE TABLE kdel (ts timestamptz NOT NULL, key int8 NOT NULL)")
	ing := testserver.Start(t, testserver.Options{Args: append([]string{"--roles", "ingest", "--node-id", "kafka",
		"--kafka-brokers", strings.Join(kc.ListenAddrs(), ","), "--kafka-topics", topic, "--kafka-commit-interval", "1h"}, shared...)})
	prod, err := kgo.NewClient(kgo.SeedBrokers(kc.ListenAddrs()...), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	var rs []*kgo.Record
	for i := range n {
		rs = append(rs, &kgo.Record{Value: fmt.Appendf(nil, `{"ts":%d,"key":%d}`, int64(1_717_000_000_000)+int64(i), i)})
	}
	if err := prod.ProduceSync(t.Context(), rs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	waitIngesters(t, etcd.Endpoint, "front", "kafka")
	waitMetric(t, ing.HTTPURL(), "openwit_kafka_buffered_records", func(v float64) bool { return v == n })
	if got := count(t, conn, "kdel"); got != 0 {
		t.Fatalf("%d rows visible before the DELETE: the consumer published already (the test needs them buffered)", got)
	}
	if tag := execTag(t, conn, "DELETE FROM kdel WHERE key % 2 = 0"); tag != fmt.Sprintf("DELETE %d", n/2) {
		t.Fatalf("DELETE on the front node: %s, want DELETE %d (the consumer's buffered records)", tag, n/2)
	}
	waitCount(t, conn, "SELECT count(*) FROM kdel", n/2)
	time.Sleep(500 * time.Millisecond)
	waitCount(t, conn, "SELECT count(*) FROM kdel WHERE key % 2 = 0", 0)
}
