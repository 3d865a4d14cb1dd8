package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"openwit/coordinator/control"
	"openwit/internal/testpg"
	"openwit/internal/testserver"
	"openwit/storage/catalog"
	"openwit/storage/handoff"
)

// TestStorageShardOwnersInEtcd: two front nodes whose --storage-nodes
// differ hand every (table, shard) to the one storage node etcd assigned
// it to; when that node is killed, the shards move to the other one and
// every row is published once.
func TestStorageShardOwnersInEtcd(t *testing.T) {
	t.Parallel()
	start := time.Now()
	var etcd *control.Embedded
	var err error
	for range 3 { // a free port can be taken before etcd binds it
		etcd, err = control.StartEmbedded(t.Context(), control.EmbedConfig{Dir: t.TempDir(),
			ClientAddr: fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t)), PeerAddr: fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t))})
		if err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(etcd.Close)
	pg := testpg.Start(t)
	dsn := pg.CreateDB(t, "shardown")
	objects := filepath.Join(t.TempDir(), "objects")
	shared := []string{"--catalog", dsn, "--object-store", "file://" + objects, "--etcd-endpoints", etcd.Endpoint, "--control-lease-ttl", "2s"}
	addrs := []string{fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t)), fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t))}
	var stores []*testserver.Server
	for i, a := range addrs {
		stores = append(stores, testserver.Launch(t, testserver.Options{Args: append([]string{"--roles", "storage",
			"--storage-addr", a, "--node-id", fmt.Sprintf("s%d", i)}, shared...)}))
	}
	front := func(id string, nodes ...string) *testserver.Server {
		return testserver.Launch(t, testserver.Options{Args: append([]string{"--roles", "gateway,coordinator", "--node-id", id,
			"--storage-nodes", strings.Join(nodes, ","), "--flush-age", "50ms"}, shared...)})
	}
	// b knows only storage node 1 (its gossip view lags, say).
	fa, fb := front("fa", addrs...), front("fb", addrs[1])
	for _, s := range append(stores, fa, fb) {
		s.WaitReady()
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{etcd.Endpoint}, DialTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	t.Logf("%s: started", time.Since(start))
	waitFor(t, "both storage nodes registered", fa, func() bool {
		st := clusterStatus(t, fa)
		return st.Control != nil && len(st.Control.Nodes) == 4
	})
	cat, err := catalog.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	ca := &storageCluster{front: fa, stores: stores, addrs: addrs, cat: cat, objects: objects}
	cb := &storageCluster{front: fb, stores: stores, addrs: addrs, cat: cat, objects: objects}
	connA, connB := testserver.Connect(t, fa.DSN()), testserver.Connect(t, fb.DSN())
	mustExec(t, connA, "CREATE TABLE logs (ts timestamptz NOT NULL, id int8)")
	tbl := ca.table(t, "logs")
	hours := []int{0, 1, 2, 3, 4, 5, 6, 7}
	owners := func() map[int]string { // hour → owner node id in etcd
		g, err := cli.Get(t.Context(), "/openwit/shards/", clientv3.WithPrefix())
		if err != nil {
			t.Fatal(err)
		}
		recs := map[string]string{}
		for _, kv := range g.Kvs {
			var o control.Owner
			if err := json.Unmarshal(kv.Value, &o); err != nil {
				t.Fatal(err)
			}
			recs[strings.TrimPrefix(string(kv.Key), "/openwit/shards/")] = o.NodeID
		}
		out := map[int]string{}
		for _, h := range hours {
			d := handoff.Descriptor{TableID: tbl.ID, Shard: ingestShard(tbl, time.Date(2026, 1, 1, h, 0, 0, 0, time.UTC))}
			if id, ok := recs[d.Key()]; ok {
				out[h] = id
			}
		}
		return out
	}

	// a hands off first and assigns the shards over both storage nodes.
	n := insertHours(t, connA, 0, 400, hours...)
	ca.waitPublished(t)
	t.Logf("%s: a handed off", time.Since(start))
	first := owners()
	var of0 []int
	for _, h := range hours {
		switch first[h] {
		case "s0":
			of0 = append(of0, h)
		case "s1":
		default:
			t.Fatalf("hour %d has owner %q; records %v", h, first[h], first)
		}
	}
	if len(of0) == 0 {
		t.Fatal("storage node 0 owns no shard: b's narrower list is never overruled, the test proves nothing")
	}
	// b's hand-offs of those shards go to storage node 0, which b does
	// not even list.
	files0, _ := handedOff(t, stores[0])
	n = insertHours(t, connB, n, 400, hours...)
	cb.waitPublished(t)
	t.Logf("%s: b handed off", time.Since(start))
	if f, _ := handedOff(t, stores[0]); f < files0+float64(len(of0)) {
		t.Fatalf("storage node 0 published %v files after b's insert, %v before: want %d more (b's hand-offs of its shards)", f, files0, len(of0))
	}
	for i, s := range stores {
		_, body := httpGet(t, s.HTTPURL()+"/metrics")
		if v, _ := metricValue(body, "openwit_handoff_not_owner_total"); v != 0 {
			t.Errorf("storage node %d took %v hand-offs of shards it does not own", i, v)
		}
	}
	// Both storage nodes show, even one that owns nothing (rendezvous can
	// give every hour to one node).
	if st := clusterStatus(t, fb); st.Control == nil || !maps.Equal(st.Control.ShardOwners, map[string]int{"s0": len(of0), "s1": len(hours) - len(of0)}) {
		t.Errorf("/cluster shard owners %+v, want s0 %d, s1 %d", st.Control, len(of0), len(hours)-len(of0))
	}
	out, err := exec.Command(testserver.Binary(t), "status", "--http-addr", strings.TrimPrefix(fb.HTTPURL(), "http://")).CombinedOutput()
	if want := fmt.Sprintf("shards owned: s0 %d, s1 %d\n", len(of0), len(hours)-len(of0)); err != nil || !strings.Contains(string(out), want) {
		t.Errorf("openwit status (%v) lacks %q:\n%s", err, want, out)
	}
	if now := owners(); !maps.Equal(now, first) {
		t.Errorf("owners changed without a failure: %v then %v", first, now)
	}
	seeAll(t, ca, n)
	t.Logf("%s: both fronts handed off to the etcd owners", time.Since(start))

	// Storage node 0 is killed: its hand-offs fail over to node 1, and
	// once its lease ended, the next hand-off records node 1 as the owner.
	stores[0].Kill()
	waitFor(t, "storage node 0's shards reassigned", fa, func() bool {
		n = insertHours(t, connA, n, 20, of0...)
		ca.waitPublished(t)
		now := owners()
		return !slices.ContainsFunc(of0, func(h int) bool { return now[h] != "s1" })
	})
	_, body := httpGet(t, fa.HTTPURL()+"/metrics")
	if v, _ := metricValue(body, "openwit_control_shard_reassignments_total"); v != float64(len(of0)) {
		t.Errorf("front a counted %v reassignments, want %d", v, len(of0))
	}
	t.Logf("%s: shards reassigned after the kill", time.Since(start))
	seeAll(t, ca, n)
}

// seeAll waits until c's front node sees n rows (files another front node
// published reach it with its catalog refresh), then checks each is there
// once.
func seeAll(t *testing.T, c *storageCluster, n int) {
	t.Helper()
	conn := testserver.Connect(t, c.front.DSN())
	waitFor(t, fmt.Sprintf("%d rows visible", n), c.front, func() bool {
		return queryText(t, conn, "SELECT count(*) FROM logs")[0] == fmt.Sprint(n)
	})
	c.exactlyOnce(t, n)
}
