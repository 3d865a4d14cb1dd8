package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"openwit/coordinator/membership"
	"openwit/internal/node"
	"openwit/internal/testserver"
)

// gossipCluster is a coordinator and search workers joined by gossip over
// one object store, with the test logs loaded as Parquet files.
type gossipCluster struct {
	objects    string
	coord      *testserver.Server
	coordGsp   string
	workers    []*testserver.Server
	workerAddr []string
}

func startGossipCluster(t *testing.T, nWorkers int) *gossipCluster {
	t.Helper()
	c := &gossipCluster{objects: "file://" + filepath.Join(t.TempDir(), "objects")}
	c.coordGsp = fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t))
	c.coord = testserver.Start(t, testserver.Options{Args: []string{
		"--roles", "gateway,coordinator", "--gossip-addr", c.coordGsp,
		"--object-store", c.objects, "--flush-age", "10ms",
	}})
	for range nWorkers {
		c.addWorker(t, 1)
	}
	c.waitWorkers(t, nWorkers)
	conn := testserver.Connect(t, c.coord.DSN())
	mustExec(t, conn, logsDDL)
	rows := genLogs(6000)
	for i := 0; i < len(rows); i += 300 {
		mustExec(t, conn, insertSQL(rows[i:i+300]))
	}
	waitMetric(t, c.coord.HTTPURL(), "openwit_ingest_buffered_rows", func(v float64) bool { return v == 0 })
	return c
}

// addWorker starts a search worker joining the coordinator's gossip.
func (c *gossipCluster) addWorker(t *testing.T, weight float64) *testserver.Server {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t))
	w := testserver.Start(t, testserver.Options{Args: []string{
		"--roles", "search", "--search-addr", addr, "--object-store", c.objects,
		"--gossip-addr", fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t)), "--join", c.coordGsp,
		"--weight", fmt.Sprint(weight),
	}})
	c.workers = append(c.workers, w)
	c.workerAddr = append(c.workerAddr, addr)
	return w
}

// waitWorkers waits until the coordinator would send a query's fragments
// to n search workers.
func (c *gossipCluster) waitWorkers(t *testing.T, n int) {
	t.Helper()
	waitMetric(t, c.coord.HTTPURL(), "openwit_search_workers", func(v float64) bool { return v == float64(n) })
}

// fragmentsOK returns a worker's count of fragments served.
func fragmentsOK(t *testing.T, w *testserver.Server) float64 {
	t.Helper()
	_, body := httpGet(t, w.HTTPURL()+"/metrics")
	v, _ := metricValue(body, `openwit_search_fragments_total{code="OK"}`)
	return v
}

// clusterStatus reads a node's GET /cluster.
func clusterStatus(t *testing.T, s *testserver.Server) node.ClusterStatus {
	t.Helper()
	code, body := httpGet(t, s.HTTPURL()+"/cluster")
	var st node.ClusterStatus
	if err := json.Unmarshal([]byte(body), &st); code != 200 || err != nil {
		t.Fatalf("GET /cluster: %d %v\n%s", code, err, body)
	}
	return st
}

var gossipQueries = []string{
	"SELECT count(*), sum(status), min(ts), max(latency_ms) FROM logs",
	"SELECT service, count(*), count(DISTINCT status) FROM logs GROUP BY service ORDER BY service",
	"SELECT ts, service, latency_ms FROM logs ORDER BY latency_ms DESC, ts LIMIT 12",
	// A plain scan: rows of a fragment re-run after its worker died
	// would show twice if the part already received were kept.
	"SELECT ts, service, level, status FROM logs WHERE level <> 'debug'",
}

// TestGossipKillSearchWorkers: SIGKILL two of three search workers while
// 20 queries run (four clients); every query succeeds with the answer of
// the full cluster, and the coordinator's view marks the killed workers
// dead.
func TestGossipKillSearchWorkers(t *testing.T) {
	t.Parallel()
	c := startGossipCluster(t, 3)
	conn := testserver.Connect(t, c.coord.DSN())
	want := map[string][]string{}
	for _, q := range gossipQueries {
		rows := queryText(t, conn, q)
		if !strings.Contains(q, "ORDER BY") {
			slices.Sort(rows)
		}
		want[q] = rows
	}
	for i, w := range c.workers {
		if fragmentsOK(t, w) == 0 {
			t.Fatalf("search worker %d served no fragment before the kills\n%s", i, w.Log())
		}
	}

	const runs = 20
	var mu sync.Mutex
	started, failures := 0, []string{}
	next := make(chan int, runs)
	for i := range runs {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cc := testserver.Connect(t, c.coord.DSN())
			for i := range next {
				mu.Lock()
				started++
				mu.Unlock()
				q := gossipQueries[i%len(gossipQueries)]
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				rows, err := cc.Query(ctx, q)
				var got []string
				if err == nil {
					for rows.Next() {
						vals, _ := rows.Values()
						got = append(got, fmt.Sprint(vals...))
					}
					rows.Close()
					err = rows.Err()
				}
				cancel()
				mu.Lock()
				if err != nil {
					failures = append(failures, fmt.Sprintf("run %d %q: %v", i, q, err))
				} else if len(got) != len(want[q]) {
					failures = append(failures, fmt.Sprintf("run %d %q: %d rows, want %d", i, q, len(got), len(want[q])))
				}
				mu.Unlock()
			}
		}()
	}
	killAfter := map[int]*testserver.Server{4: c.workers[0], 10: c.workers[1]}
	for len(killAfter) > 0 {
		mu.Lock()
		n := started
		mu.Unlock()
		for at, w := range killAfter {
			if n >= at {
				w.Kill()
				delete(killAfter, at)
			}
		}
		time.Sleep(time.Millisecond)
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d of %d runs failed:\n%s\ncoordinator log:\n%s", len(failures), runs, strings.Join(failures, "\n"), c.coord.Log())
	}
	// Exact answers after the kills, against the full cluster's.
	for _, q := range gossipQueries {
		rows := queryText(t, conn, q)
		if !strings.Contains(q, "ORDER BY") {
			slices.Sort(rows)
		}
		if !slices.Equal(rows, want[q]) {
			t.Errorf("%s: %d rows after the kills, %d before", q, len(rows), len(want[q]))
		}
	}
	c.waitWorkers(t, 1)
	// Gossip confirms the deaths within its suspicion timeout; the bound
	// only keeps a broken detector from hanging the test.
	var health map[string]membership.Health
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		health = map[string]membership.Health{}
		for _, m := range clusterStatus(t, c.coord).Nodes {
			health[m.SearchAddr] = m.Health
		}
		if health[c.workerAddr[0]] == membership.Dead && health[c.workerAddr[1]] == membership.Dead && health[c.workerAddr[2]] == membership.Alive {
			break
		}
	}
	if health[c.workerAddr[0]] != membership.Dead || health[c.workerAddr[1]] != membership.Dead || health[c.workerAddr[2]] != membership.Alive {
		t.Errorf("coordinator's view after the kills: %v", health)
	}
	_, body := httpGet(t, c.coord.HTTPURL()+"/metrics")
	reruns, _ := metricValue(body, "openwit_search_fragment_reruns_total")
	t.Logf("%d runs succeeded; %v fragments re-run after their worker died", runs, reruns)
}

// TestGossipJoinedWorkerGetsFragments: a search worker started while the
// cluster runs is used by the next queries, with a share of the files
// that follows its weight, and `openwit status` lists it.
func TestGossipJoinedWorkerGetsFragments(t *testing.T) {
	t.Parallel()
	c := startGossipCluster(t, 1)
	conn := testserver.Connect(t, c.coord.DSN())
	const q = "SELECT level, count(*) FROM logs GROUP BY level ORDER BY level"
	want := queryText(t, conn, q)
	late := c.addWorker(t, 3)
	c.waitWorkers(t, 2)
	if got := queryText(t, conn, q); !slices.Equal(got, want) {
		t.Fatalf("after the join: %q, want %q", got, want)
	}
	if n := fragmentsOK(t, late); n == 0 {
		t.Fatalf("the joined worker served no fragment\n%s", late.Log())
	}

	out, err := exec.Command(testserver.Binary(t), "status", "--http-addr", strings.TrimPrefix(c.coord.HTTPURL(), "http://")).CombinedOutput()
	if err != nil {
		t.Fatalf("openwit status: %v\n%s", err, out)
	}
	table := string(out)
	// The front node runs the embedded etcd but is no control candidate
	// (--roles gateway,coordinator): nobody leads, and status says what
	// that means. It publishes its own files: it has the storage hint.
	// The hints table is there (whether a hint says "ok" or "scale in"
	// depends on the load when it was sampled).
	for _, s := range []string{"NODE", "HEALTH", c.workerAddr[0], c.workerAddr[1], "search", "gateway,coordinator", "HINT", "running fragments per core",
		"CPU use per core", "upload lag / flush age", "control: leader none, decisions active, quorum yes; this node: observer",
		"no node is a control candidate"} {
		if !strings.Contains(table, s) {
			t.Errorf("openwit status lacks %q:\n%s", s, table)
		}
	}
	if strings.Count(table, "alive") != 3 {
		t.Errorf("openwit status does not show three alive nodes:\n%s", table)
	}
}
