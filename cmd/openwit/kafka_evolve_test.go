package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// waitRows polls sql on conn until it returns want (one line per row).
func waitRows(t *testing.T, conn *pgx.Conn, sql string, want []string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var got []string
	for time.Now().Before(deadline) {
		if got = queryText(t, conn, sql); slices.Equal(got, want) {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s:\n got %q\nwant %q", sql, got, want)
}

// TestKafkaSchemaEvolution runs two `openwit serve` processes consuming a
// 2-partition topic with unknown_fields: add into a shared PostgreSQL
// catalog and one etcd. Records on both partitions bring the same new fields at once:
// each becomes ONE nullable column, queryable over pgx on both nodes and
// listed by information_schema (what psql's \d shows); older rows read
// NULL. One node is SIGKILLed after a schema change and restarted: no
// record is lost or repeated.
func TestKafkaSchemaEvolution(t *testing.T) {
	t.Parallel()
	const topic = "ev"
	kc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, topic))
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	pg := testpg.Start(t)
	catDSN := pg.CreateDB(t, "kafka_evolve")
	shared := t.TempDir()
	args := []string{"--catalog", catDSN, "--object-store", "file://" + filepath.Join(shared, "objects"),
		"--kafka-brokers", strings.Join(kc.ListenAddrs(), ","), "--kafka-topics", topic + "::add",
		"--kafka-group", "ow", "--kafka-commit-interval", "300ms"}
	a := testserver.Start(t, testserver.Options{Args: args})
	ca := testserver.Connect(t, a.DSN())
	mustExec(t, ca, `CREATE TABLE ev (ts timestamptz NOT NULL, key int8 NOT NULL)`)
	// b shares a's embedded etcd: column additions on both nodes take one
	// cluster-wide schema lock.
	b := testserver.Start(t, testserver.Options{Args: append(slices.Clone(args), "--etcd-endpoints", fmt.Sprintf("http://127.0.0.1:%d", a.EtcdPort))})
	// Each node owns one partition, so both meet the new fields.
	waitMetric(t, a.HTTPURL(), "openwit_kafka_assigned_partitions", func(v float64) bool { return v == 1 })
	waitMetric(t, b.HTTPURL(), "openwit_kafka_assigned_partitions", func(v float64) bool { return v == 1 })

	prod, err := kgo.NewClient(kgo.SeedBrokers(kc.ListenAddrs()...), kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	produce := func(from, to int, extra func(k int) string) {
		var rs []*kgo.Record
		for k := from; k < to; k++ {
			rs = append(rs, &kgo.Record{Value: fmt.Appendf(nil, `{"ts":%d,"key":%d%s}`, int64(1_717_000_000_000)+int64(k), k, extra(k))})
		}
		if err := prod.ProduceSync(context.Background(), rs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	produce(0, 10, func(int) string { return "" })
	waitRows(t, ca, `SELECT count(*) FROM ev`, []string{"10"})
	produce(10, 20, func(k int) string { return fmt.Sprintf(`,"User":"u%d","bytes":%d,"tags":{"k":%d}`, k, k*10, k) })

	cols := `SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = 'ev' ORDER BY ordinal_position`
	wantCols := []string{"ts|timestamp with time zone|NO", "key|bigint|NO", "user|text|YES", "bytes|bigint|YES", "tags|jsonb|YES"}
	ordered := func(c []string) []string { // the two nodes may add in either order
		return append(c[:2:2], slices.Sorted(slices.Values(c[2:]))...)
	}
	var got []string
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if got = ordered(queryText(t, ca, cols)); slices.Equal(got, ordered(slices.Clone(wantCols))) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !slices.Equal(got, ordered(slices.Clone(wantCols))) {
		t.Fatalf("information_schema.columns on node a: %q, want %q", got, wantCols)
	}
	cb := testserver.Connect(t, b.DSN())
	if got := ordered(queryText(t, cb, cols)); !slices.Equal(got, ordered(slices.Clone(wantCols))) {
		t.Fatalf("information_schema.columns on node b: %q", got)
	}
	var wantRows []string
	for k := range 20 {
		if k < 10 {
			wantRows = append(wantRows, fmt.Sprintf("%d|NULL|NULL|NULL", k))
		} else {
			wantRows = append(wantRows, fmt.Sprintf(`%d|u%d|%d|{"k": %d}`, k, k, k*10, k))
		}
	}
	q := `SELECT key, "user", bytes, tags FROM ev ORDER BY key`
	waitRows(t, ca, q, wantRows)
	waitRows(t, cb, q, wantRows)
	if got := queryText(t, ca, `SELECT count(*) FROM ev WHERE bytes >= 150`); got[0] != "5" {
		t.Errorf("filter on an added column: %v", got)
	}

	// Crash after a schema change: b dies, its partition moves or waits
	// for the restart; the records read again land once.
	b.Kill()
	produce(20, 40, func(k int) string { return fmt.Sprintf(`,"late":%d.5`, k) })
	b.Restart()
	waitRows(t, ca, `SELECT count(*), count(DISTINCT key), count(late), min(late) FROM ev`, []string{"40|40|20|20.5"})
	if got := queryText(t, ca, `SELECT count(*) FROM information_schema.columns WHERE table_name = 'ev' AND column_name = 'late'`); got[0] != "1" {
		t.Errorf("late columns: %v", got)
	}
	if got := queryText(t, ca, `SELECT count(*) FROM openwit_errors`); got[0] != "0" {
		t.Errorf("dead letters: %v", got)
	}
}
