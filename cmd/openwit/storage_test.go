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

	"openwit/coordinator/membership"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
	"openwit/storage"
	"openwit/storage/catalog"
	"openwit/storage/handoff"
)

// storageCluster is one front node handing its buffers to two storage
// nodes (--roles storage), all sharing a PostgreSQL catalog and an object
// store.
type storageCluster struct {
	front   *testserver.Server
	stores  []*testserver.Server
	addrs   []string // storage service addresses, stores[i] at addrs[i]
	cat     catalog.Catalog
	objects string
}

// startStorageCluster starts the storage nodes (storeEnv[i] is the
// environment of stores[i]) and the front node with frontArgs added.
func startStorageCluster(t *testing.T, frontArgs []string, storeEnv ...[]string) *storageCluster {
	t.Helper()
	pg := testpg.Start(t)
	dsn := pg.CreateDB(t, "storage")
	c := &storageCluster{objects: filepath.Join(t.TempDir(), "objects")}
	shared := []string{"--catalog", dsn, "--object-store", "file://" + c.objects}
	for _, env := range storeEnv {
		addr := fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t))
		c.addrs = append(c.addrs, addr)
		c.stores = append(c.stores, testserver.Start(t, testserver.Options{Env: env,
			Args: append([]string{"--roles", "storage", "--storage-addr", addr}, shared...)}))
	}
	args := append([]string{"--roles", "gateway,coordinator", "--storage-nodes", strings.Join(c.addrs, ",")}, shared...)
	c.front = testserver.Start(t, testserver.Options{Args: append(args, frontArgs...)})
	var err error
	if c.cat, err = catalog.Open(t.Context(), dsn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.cat.Close() })
	return c
}

// table returns the catalog's record of a table.
func (c *storageCluster) table(t *testing.T, name string) *catalog.Table {
	t.Helper()
	tbl, err := c.cat.GetTable(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

// hourOwnedBy returns an hour (from 2026-01-01 00:00 UTC) whose shard the
// storage node i owns under rendezvous hashing, skipping the hours in skip.
func (c *storageCluster) hourOwnedBy(t *testing.T, tbl *catalog.Table, i int, skip ...int) int {
	t.Helper()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for h := range 256 {
		shard := ingestShard(tbl, base.Add(time.Duration(h)*time.Hour))
		d := handoff.Descriptor{TableID: tbl.ID, Shard: shard}
		if !slices.Contains(skip, h) && handoff.Rank(d.Key(), c.addrs)[0] == c.addrs[i] {
			return h
		}
	}
	t.Fatalf("no hour owned by storage node %d", i)
	return 0
}

func ingestShard(tbl *catalog.Table, ts time.Time) int64 {
	d := tbl.ShardDuration.Microseconds()
	return ts.UnixMicro() / d * d
}

// insertHours inserts n rows (ids from first) spread over the given hours
// and returns the next id.
func insertHours(t *testing.T, conn *pgx.Conn, first, n int, hours ...int) int {
	t.Helper()
	var sb strings.Builder
	sb.WriteString("INSERT INTO logs VALUES ")
	for i := range n {
		if i > 0 {
			sb.WriteString(", ")
		}
		h := hours[i%len(hours)]
		ts := time.Date(2026, 1, 1, h, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond)
		fmt.Fprintf(&sb, "('%s', %d)", ts.Format(time.RFC3339Nano), first+i)
	}
	mustExec(t, conn, sb.String())
	return first + n
}

// exactlyOnce checks that ids 0..n-1 are each queryable once on the front
// node and that the catalog's files hold n rows.
func (c *storageCluster) exactlyOnce(t *testing.T, n int) {
	t.Helper()
	conn := testserver.Connect(t, c.front.DSN())
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var count, distinct, sum int64
	if err := conn.QueryRow(ctx, "SELECT count(*), count(DISTINCT id), coalesce(sum(id), 0) FROM logs").Scan(&count, &distinct, &sum); err != nil {
		t.Fatalf("count: %v\n%s", err, c.front.Log())
	}
	if count != int64(n) || distinct != int64(n) || sum != int64(n*(n-1)/2) {
		t.Fatalf("count %d, distinct %d, sum %d; want %d rows once each (sum %d)", count, distinct, sum, n, n*(n-1)/2)
	}
	files, err := c.cat.ListFiles(t.Context(), c.table(t, "logs").ID)
	if err != nil {
		t.Fatal(err)
	}
	var rows int64
	for _, f := range files {
		rows += f.Rows
	}
	if rows != int64(n) {
		t.Fatalf("the catalog's %d files hold %d rows, want %d", len(files), rows, n)
	}
}

// handedOff returns a storage node's published hand-off files and rows.
func handedOff(t *testing.T, s *testserver.Server) (files, rows float64) {
	t.Helper()
	_, body := httpGet(t, s.HTTPURL()+"/metrics")
	files, _ = metricValue(body, "openwit_storage_handoff_files_total")
	rows, _ = metricValue(body, "openwit_storage_handoff_rows_total")
	return files, rows
}

// waitPublished waits until the front node holds no buffered rows.
func (c *storageCluster) waitPublished(t *testing.T) {
	t.Helper()
	waitFor(t, "every buffer handed off", c.front, func() bool {
		_, body := httpGet(t, c.front.HTTPURL()+"/metrics")
		v, ok := metricValue(body, "openwit_ingest_buffered_rows")
		return ok && v == 0
	})
}

// TestStorageRoleHandoff: rows written through INSERT and COPY on a front
// node become files published by the two storage nodes, each row queryable
// once; /readyz and /cluster show the roles.
func TestStorageRoleHandoff(t *testing.T) {
	t.Parallel()
	c := startStorageCluster(t, []string{"--flush-age", "50ms"}, nil, nil)
	conn := testserver.Connect(t, c.front.DSN())
	mustExec(t, conn, "CREATE TABLE logs (ts timestamptz NOT NULL, id int8)")
	tbl := c.table(t, "logs")
	h0 := c.hourOwnedBy(t, tbl, 0)
	h1 := c.hourOwnedBy(t, tbl, 1)
	n := insertHours(t, conn, 0, 300, h0, h1)
	var copyIn strings.Builder
	for i := range 200 {
		ts := time.Date(2026, 1, 1, []int{h0, h1}[i%2], 30, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond)
		fmt.Fprintf(&copyIn, "%s\t%d\n", ts.Format(time.RFC3339Nano), n+i)
	}
	if _, err := conn.PgConn().CopyFrom(t.Context(), strings.NewReader(copyIn.String()), "COPY logs (ts, id) FROM STDIN"); err != nil {
		t.Fatal(err)
	}
	n += 200
	c.waitPublished(t)
	c.exactlyOnce(t, n)
	var total float64
	for i, s := range c.stores {
		files, rows := handedOff(t, s)
		if files < 1 {
			t.Errorf("storage node %d published no hand-off (it owns hour %d)", i, []int{h0, h1}[i])
		}
		total += rows
	}
	if total != float64(n) {
		t.Errorf("the storage nodes published %v rows, want %d", total, n)
	}
	if _, body := httpGet(t, c.front.HTTPURL()+"/metrics"); !strings.Contains(body, `openwit_ingest_handoffs_total{code="OK"}`) {
		t.Errorf("the front node counted no hand-off")
	}
	if _, body := httpGet(t, c.stores[0].HTTPURL()+"/readyz"); !strings.Contains(body, "roles: storage\n") {
		t.Errorf("storage node /readyz: %q", body)
	}
	if _, body := httpGet(t, c.front.HTTPURL()+"/readyz"); !strings.Contains(body, "roles: gateway,coordinator,ingest\n") {
		t.Errorf("front node /readyz: %q", body)
	}
	if _, body := httpGet(t, c.stores[1].HTTPURL()+"/cluster"); !strings.Contains(body, `"storage"`) || !strings.Contains(body, c.addrs[1]) {
		t.Errorf("storage node /cluster shows neither its role nor its address: %s", body)
	}
	// A storage node opens no client port.
	if err := testserver.WaitTCP(shortCtx(t), fmt.Sprintf("127.0.0.1:%d", c.stores[0].PGPort)); err == nil {
		t.Error("a storage node listens on --pg-addr")
	}
}

func shortCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	t.Cleanup(cancel)
	return ctx
}

// TestStorageNodeCrashBeforePublish kills (SIGKILL) a storage node after it
// uploaded a hand-off's file but before the catalog publish: the front node
// retries and fails over to the other storage node; no row is lost or
// doubled.
func TestStorageNodeCrashBeforePublish(t *testing.T) {
	t.Parallel()
	c := startStorageCluster(t, []string{"--flush-age", "50ms"},
		[]string{"OPENWIT_TEST_FAILPOINT=publish-after-upload"}, nil)
	conn := testserver.Connect(t, c.front.DSN())
	mustExec(t, conn, "CREATE TABLE logs (ts timestamptz NOT NULL, id int8)")
	tbl := c.table(t, "logs")
	h0, h1 := c.hourOwnedBy(t, tbl, 0), c.hourOwnedBy(t, tbl, 1)
	n := insertHours(t, conn, 0, 400, h0, h1)
	waitFor(t, "the storage node at the failpoint", c.stores[0], func() bool {
		return strings.Contains(c.stores[0].Log(), "failpoint reached")
	})
	// The file of hour h0 is uploaded and not published.
	shard := ingestShard(tbl, time.Date(2026, 1, 1, h0, 0, 0, 0, time.UTC))
	uploaded, _ := filepath.Glob(filepath.Join(c.objects, storage.FileKey(tbl.ID, shard, "*")))
	if len(uploaded) == 0 {
		t.Fatalf("no object uploaded for shard %d before the failpoint", shard)
	}
	files, err := c.cat.ListFiles(t.Context(), tbl.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Shard == shard {
			t.Fatalf("shard %d published before the failpoint: %+v", shard, f)
		}
	}
	c.stores[0].Kill()
	c.waitPublished(t)
	c.exactlyOnce(t, n)
	if _, rows := handedOff(t, c.stores[1]); rows != float64(n) {
		t.Errorf("the surviving storage node published %v rows, want all %d", rows, n)
	}
	waitMetric(t, c.front.HTTPURL(), "openwit_ingest_handoff_failovers_total", func(v float64) bool { return v >= 1 })
	// The front node keeps working on the surviving node.
	n = insertHours(t, conn, n, 50, h0, h1)
	c.waitPublished(t)
	c.exactlyOnce(t, n)
}

// TestIngestNodeCrashHandoff kills (SIGKILL) the front node (a) after it
// acknowledged rows and before any hand-off, (b) after a storage node
// published a hand-off and before the front node truncated its WAL. After
// a restart, WAL replay hands the rows of (a) off again and skips those of
// (b): each row is queryable once.
func TestIngestNodeCrashHandoff(t *testing.T) {
	t.Parallel()
	c := startStorageCluster(t, []string{"--flush-age", "1h"}, nil, nil)
	conn := testserver.Connect(t, c.front.DSN())
	mustExec(t, conn, "CREATE TABLE logs (ts timestamptz NOT NULL, id int8)")
	tbl := c.table(t, "logs")
	h0, h1 := c.hourOwnedBy(t, tbl, 0), c.hourOwnedBy(t, tbl, 1)
	n := insertHours(t, conn, 0, 300, h0, h1) // acknowledged, buffered for an hour
	conn.Close(t.Context())
	c.front.Kill()
	if files, err := c.cat.ListFiles(t.Context(), tbl.ID); err != nil || len(files) != 0 {
		t.Fatalf("files before any hand-off: %v %v", files, err)
	}

	// (a) The restarted node replays its WAL and hands the rows off.
	setFlag(c.front, "--flush-age", "50ms")
	c.front.Env = []string{"OPENWIT_TEST_FAILPOINT=handoff-after-publish"}
	c.front.Restart()
	waitFor(t, "a hand-off published after the replay", c.front, func() bool {
		return strings.Contains(c.front.Log(), "failpoint reached")
	})
	// (b) Killed right after a storage node published, before the WAL is
	// truncated: the replay must skip what the catalog holds.
	var published int64
	waitFor(t, "the published hand-off in the catalog", c.front, func() bool {
		files, err := c.cat.ListFiles(t.Context(), tbl.ID)
		if err != nil {
			t.Fatal(err)
		}
		published = 0
		for _, f := range files {
			published += f.Rows
		}
		return published > 0
	})
	c.front.Kill()
	c.front.Env = nil
	c.front.Restart()
	c.waitPublished(t)
	c.exactlyOnce(t, n)
	t.Logf("%d rows published before the second kill, %d in all", published, n)
}

// setFlag sets a flag's value in a test server's arguments.
func setFlag(s *testserver.Server, name, value string) {
	for i := 0; i+1 < len(s.Args); i++ {
		if s.Args[i] == name {
			s.Args[i+1] = value
			return
		}
	}
	s.Args = append(s.Args, name, value)
}

// TestStorageNodesFromGossip: a front node with --storage-nodes gossip and
// no storage node yet keeps acknowledged rows buffered (queryable, in its
// WAL); a storage node that joins the gossip cluster gets the hand-offs.
func TestStorageNodesFromGossip(t *testing.T) {
	t.Parallel()
	pg := testpg.Start(t)
	dsn := pg.CreateDB(t, "storage_gossip")
	objects := filepath.Join(t.TempDir(), "objects")
	shared := []string{"--catalog", dsn, "--object-store", "file://" + objects}
	frontGossip := fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t))
	front := testserver.Start(t, testserver.Options{Args: append([]string{"--roles", "gateway,coordinator",
		"--storage-nodes", "gossip", "--gossip-addr", frontGossip, "--flush-age", "50ms"}, shared...)})
	conn := testserver.Connect(t, front.DSN())
	mustExec(t, conn, "CREATE TABLE logs (ts timestamptz NOT NULL, id int8)")
	n := insertHours(t, conn, 0, 200, 1, 2, 3)
	// No storage node: the hand-off fails and is retried; the rows stay
	// buffered and in the WAL, and queries see them.
	waitMetric(t, front.HTTPURL(), "openwit_ingest_flushes_total{result=\"error\"}", func(v float64) bool { return v >= 1 })
	_, body := httpGet(t, front.HTTPURL()+"/metrics")
	if v, _ := metricValue(body, "openwit_ingest_buffered_rows"); v != float64(n) {
		t.Fatalf("buffered rows %v, want %d", v, n)
	}
	if v, ok := metricValue(body, "openwit_wal_bytes"); !ok || v == 0 {
		t.Fatalf("wal bytes %v (found %v): the WAL was truncated before any publish", v, ok)
	}
	if got := queryText(t, conn, "SELECT count(*) FROM logs"); got[0] != fmt.Sprint(n) {
		t.Fatalf("buffered rows are not queryable: %v", got)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t))
	store := testserver.Start(t, testserver.Options{Args: append([]string{"--roles", "storage", "--storage-addr", addr,
		"--gossip-addr", fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t)), "--join", frontGossip}, shared...)})
	c := &storageCluster{front: front, stores: []*testserver.Server{store}, addrs: []string{addr}, objects: objects}
	var err error
	if c.cat, err = catalog.Open(t.Context(), dsn); err != nil {
		t.Fatal(err)
	}
	defer c.cat.Close()
	c.waitPublished(t)
	c.exactlyOnce(t, n)
	if _, rows := handedOff(t, store); rows != float64(n) {
		t.Errorf("the storage node published %v rows, want %d", rows, n)
	}
	if st := clusterStatus(t, front); !slices.ContainsFunc(st.Nodes, func(m membership.Member) bool { return m.StorageAddr == addr }) {
		t.Errorf("the front node's /cluster does not show the storage address %s: %+v", addr, st.Nodes)
	}
}

// TestKafkaIngestNode: --roles ingest alone is a Kafka ingest node (no
// client ports) publishing files and offsets into the shared catalog, where
// a front node queries them.
func TestKafkaIngestNode(t *testing.T) {
	t.Parallel()
	const topic, n = "kev", 500
	kc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, topic))
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	pg := testpg.Start(t)
	dsn := pg.CreateDB(t, "kafka_node")
	shared := []string{"--catalog", dsn, "--object-store", "file://" + filepath.Join(t.TempDir(), "objects")}
	front := testserver.Start(t, testserver.Options{Args: append([]string{"--roles", "gateway,coordinator"}, shared...)})
	conn := testserver.Connect(t, front.DSN())
	mustExec(t, conn, "CREATE TABLE kev (ts timestamptz NOT NULL, key int8 NOT NULL)")
	ing := testserver.Start(t, testserver.Options{Args: append([]string{"--roles", "ingest", "--kafka-brokers", strings.Join(kc.ListenAddrs(), ","),
		"--kafka-topics", topic, "--kafka-commit-interval", "200ms"}, shared...)})
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
	want := fmt.Sprintf("%d|%d", n, n)
	waitFor(t, "the Kafka rows on the front node", front, func() bool {
		return queryText(t, conn, "SELECT count(*), count(DISTINCT key) FROM kev")[0] == want
	})
	if _, body := httpGet(t, ing.HTTPURL()+"/readyz"); !strings.Contains(body, "roles: ingest\n") {
		t.Errorf("ingest node /readyz: %q", body)
	}
	if err := testserver.WaitTCP(shortCtx(t), fmt.Sprintf("127.0.0.1:%d", ing.PGPort)); err == nil {
		t.Error("a Kafka ingest node listens on --pg-addr")
	}
}
