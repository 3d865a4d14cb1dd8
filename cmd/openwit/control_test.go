package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	clientv3 "go.etcd.io/etcd/client/v3"

	"openwit/coordinator/control"
	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// etcdMember is one member of a real etcd cluster (Debian's etcd-server,
// which .ci/run installs) run as a child process.
type etcdMember struct {
	name, dir, client, peer, log string
	cmd                          *exec.Cmd
	done                         chan struct{}
}

// startEtcdCluster starts n members on free loopback ports.
func startEtcdCluster(t *testing.T, n int) []*etcdMember {
	t.Helper()
	bin, err := exec.LookPath("etcd")
	if err != nil {
		t.Fatalf("etcd not found (apt-get install etcd-server; .ci/run does): %v", err)
	}
	var ms []*etcdMember
	var initial []string
	for i := range n {
		m := &etcdMember{name: fmt.Sprintf("m%d", i+1), dir: filepath.Join(t.TempDir(), "etcd"),
			client: fmt.Sprintf("http://127.0.0.1:%d", testserver.FreePort(t)),
			peer:   fmt.Sprintf("http://127.0.0.1:%d", testserver.FreePort(t)),
			log:    filepath.Join(t.TempDir(), "etcd.log")}
		ms = append(ms, m)
		initial = append(initial, m.name+"="+m.peer)
	}
	for _, m := range ms {
		m.start(t, bin, strings.Join(initial, ","))
	}
	t.Cleanup(func() {
		for _, m := range ms {
			m.kill()
		}
	})
	return ms
}

func (m *etcdMember) start(t *testing.T, bin, initial string) {
	t.Helper()
	f, err := os.OpenFile(m.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	m.cmd = exec.Command(bin, "--name", m.name, "--data-dir", m.dir,
		"--listen-client-urls", m.client, "--advertise-client-urls", m.client,
		"--listen-peer-urls", m.peer, "--initial-advertise-peer-urls", m.peer,
		"--initial-cluster", initial, "--initial-cluster-state", "new", "--initial-cluster-token", "openwit-test",
		"--log-level", "warn")
	m.cmd.Stdout, m.cmd.Stderr = f, f
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	m.done = make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { c.Wait(); close(done) }(m.cmd, m.done)
}

func (m *etcdMember) kill() {
	if m.cmd == nil {
		return
	}
	_ = m.cmd.Process.Signal(syscall.SIGKILL)
	<-m.done
	m.cmd = nil
}

// controlStatus fetches GET /control.
func controlStatus(t *testing.T, s *testserver.Server) control.Status {
	t.Helper()
	code, body := httpGet(t, s.HTTPURL()+"/control")
	var st control.Status
	if code != 200 || json.Unmarshal([]byte(body), &st) != nil {
		t.Fatalf("GET /control: %d %s", code, body)
	}
	return st
}

// waitControl polls GET /control until cond holds; the bound only keeps a
// broken build from hanging.
func waitControl(t *testing.T, s *testserver.Server, what string, cond func(control.Status) bool) control.Status {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var st control.Status
	for time.Now().Before(deadline) {
		if st = controlStatus(t, s); cond(st) {
			return st
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: never; last status %+v\n%s", what, st, s.Log())
	return st
}

// jobRuns returns the storage-maintenance runs a node counted (committed, failed).
func jobRuns(t *testing.T, s *testserver.Server) (committed, failed float64) {
	_, body := httpGet(t, s.HTTPURL()+"/metrics")
	committed, _ = metricValue(body, `openwit_control_job_runs_total{job="storage-maintenance",result="committed"}`)
	failed, _ = metricValue(body, `openwit_control_job_runs_total{job="storage-maintenance",result="failed"}`)
	return
}

// TestControlPlaneFaults runs two openwit nodes sharing a PostgreSQL catalog
// and an object store against a 3-member etcd cluster, and takes members
// and the leader away.
func TestControlPlaneFaults(t *testing.T) {
	t.Parallel()
	members := startEtcdCluster(t, 3)
	var endpoints []string
	for _, m := range members {
		endpoints = append(endpoints, m.client)
	}
	pg := testpg.Start(t)
	catalogDSN := pg.CreateDB(t, "control")
	shared := t.TempDir()
	objects := filepath.Join(shared, "objects")
	const ttl = 4 * time.Second
	node := func(id string) *testserver.Server {
		return testserver.Start(t, testserver.Options{Args: []string{
			"--node-id", id, "--etcd-endpoints", strings.Join(endpoints, ","), "--control-lease-ttl", ttl.String(),
			"--catalog", catalogDSN, "--object-store", "file://" + objects,
			"--compaction-interval", "200ms", "--garbage-grace", "1m", "--flush-age", "10ms",
		}})
	}
	t0 := time.Now()
	nodes := map[string]*testserver.Server{"a": node("a"), "b": node("b")}
	a := nodes["a"]
	st := waitControl(t, a, "a leader and both nodes registered", func(s control.Status) bool {
		return s.Leader != "" && len(s.Nodes) == 2 && s.Quorum && s.Decisions == "active"
	})
	leader, term := st.Leader, st.LeaderTerm
	other := map[string]string{"a": "b", "b": "a"}[leader]
	t.Logf("%v: control leader %s (term %d)", time.Since(t0), leader, term)
	// GET /cluster carries the same control status.
	if cs := clusterStatus(t, nodes[other]); cs.Control == nil || cs.Control.Leader != leader || !cs.Control.Quorum || len(cs.Control.Members) != 3 {
		t.Fatalf("GET /cluster on %s: control %+v, want leader %s with quorum over 3 members", other, cs.Control, leader)
	}
	for _, m := range st.Members {
		if !m.Reachable {
			t.Fatalf("member %s unreachable: %+v", m.Endpoint, st.Members)
		}
	}

	conn := testserver.Connect(t, a.DSN())
	mustExec(t, conn, "CREATE TABLE logs (ts timestamptz NOT NULL, v int)")
	mustExec(t, conn, "INSERT INTO logs VALUES ('2026-01-01 00:00:00+00', 1), ('2026-01-01 00:00:01+00', 2)")
	bconn := testserver.Connect(t, nodes["b"].DSN())
	mustExec(t, bconn, "CREATE TABLE b_logs (ts timestamptz NOT NULL, v int)")
	mustExec(t, bconn, "INSERT INTO b_logs VALUES ('2026-01-01 00:00:00+00', 1)")
	count := func(conn *pgx.Conn) int64 {
		t.Helper()
		var n int64
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM logs").Scan(&n); err != nil {
			t.Fatalf("count: %v", err)
		}
		return n
	}

	// The storage-maintenance job (garbage collection) deletes an object no
	// catalog row references.
	orphan := filepath.Join(objects, "tables", "1", "shard=0", "t1-s0-l999.parquet")
	putOrphan := func() {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(orphan), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(orphan, []byte("never published"), 0o644); err != nil {
			t.Fatal(err)
		}
		// Older than the garbage grace; the nodes' own fresh uploads are
		// younger and must survive until they are published.
		old := time.Now().Add(-time.Hour)
		if err := os.Chtimes(orphan, old, old); err != nil {
			t.Fatal(err)
		}
	}
	waitGone := func(what string) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			if _, err := os.Stat(orphan); errors.Is(err, os.ErrNotExist) {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("%s: the orphan object was never deleted", what)
	}
	putOrphan()
	waitGone("first leader")
	waitMetric(t, nodes[leader].HTTPURL(), `openwit_garbage_objects_deleted_total{kind="orphan"}`, func(v float64) bool { return v >= 1 })

	t.Logf("%v: orphan deleted", time.Since(t0))
	// One member down: no interruption (same leader, DDL and queries work).
	members[2].kill()
	if _, err := conn.Exec(t.Context(), "CREATE TABLE one_down (ts timestamptz NOT NULL)"); err != nil {
		var pe *pgconn.PgError
		errors.As(err, &pe)
		t.Fatalf("CREATE TABLE with one member down: %v (detail: %s)", err, pe.Detail)
	}
	if st := controlStatus(t, a); st.Leader != leader || st.LeaderTerm != term || !st.Quorum || st.Decisions != "active" {
		t.Fatalf("with one member down: %+v", st)
	}

	t.Logf("%v: one member down: no interruption", time.Since(t0))
	// Two down: no quorum. Decisions pause, nobody leads, queries and
	// acknowledged writes go on.
	members[1].kill()
	for id, s := range nodes {
		waitControl(t, s, id+" pauses", func(s control.Status) bool {
			return !s.Quorum && s.Decisions == "paused" && s.Leader == "" && s.Role == control.RoleDisconnected
		})
		waitMetric(t, s.HTTPURL(), "openwit_control_leader", func(v float64) bool { return v == 0 })
	}
	mustExec(t, conn, "INSERT INTO logs VALUES ('2026-01-01 00:00:02+00', 3)")
	if n := count(conn); n != 3 {
		t.Fatalf("count without quorum = %d, want 3", n)
	}
	var bn int64
	if err := bconn.QueryRow(t.Context(), "SELECT count(*) FROM b_logs").Scan(&bn); err != nil || bn != 1 {
		t.Fatalf("count on b without quorum: %d, %v", bn, err)
	}
	t.Logf("%v: no quorum: paused, queries answered, DDL refused", time.Since(t0))
	_, err := conn.Exec(t.Context(), "CREATE TABLE no_quorum (ts timestamptz NOT NULL)")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "55P03" {
		t.Fatalf("CREATE TABLE without quorum: %v, want SQLSTATE 55P03", err)
	}

	// Members back: a leader again, jobs resume.
	bin, _ := exec.LookPath("etcd")
	var initial []string
	for _, m := range members {
		initial = append(initial, m.name+"="+m.peer)
	}
	members[1].start(t, bin, strings.Join(initial, ","))
	members[2].start(t, bin, strings.Join(initial, ","))
	st = waitControl(t, a, "leader after quorum is back", func(s control.Status) bool {
		return s.Leader != "" && s.Quorum && s.Decisions == "active" && len(s.Nodes) == 2
	})
	leader, term = st.Leader, st.LeaderTerm
	other = map[string]string{"a": "b", "b": "a"}[leader]
	mustExec(t, conn, "CREATE TABLE quorum_back (ts timestamptz NOT NULL)")
	putOrphan()
	waitGone("after quorum came back")
	t.Logf("%v: quorum back: leader %s, DDL and jobs resumed", time.Since(t0), leader)

	// The control leader is killed: the other node leads within the
	// lease TTL (plus the time to notice), and the job goes on there.
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	// Leadership may have moved since the status above (a lease that
	// expired while quorum came back): kill the node that leads now, once
	// both nodes agree on it and it has committed a run of the job.
	var before control.JobState
	for deadline := time.Now().Add(60 * time.Second); ; {
		sa, sb := controlStatus(t, nodes["a"]), controlStatus(t, nodes["b"])
		before = jobState(t, cli)
		if sa.Leader != "" && sa.Leader == sb.Leader && sa.LeaderTerm == sb.LeaderTerm && before.Holder == sa.Leader {
			leader, term = sa.Leader, sa.LeaderTerm
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no settled leader: a says %s (term %d), b says %s (term %d), job holder %s", sa.Leader, sa.LeaderTerm, sb.Leader, sb.LeaderTerm, before.Holder)
		}
		time.Sleep(100 * time.Millisecond)
	}
	other = map[string]string{"a": "b", "b": "a"}[leader]
	c0, _ := jobRuns(t, nodes[other]) // it may have led for a while already
	killed := time.Now()
	nodes[leader].Kill()
	st = waitControl(t, nodes[other], "new leader", func(s control.Status) bool { return s.Leader == other })
	took := time.Since(killed)
	t.Logf("new leader %s after %v (lease TTL %v)", other, took.Round(time.Millisecond), ttl)
	if st.LeaderTerm <= term {
		t.Fatalf("new term %d, old %d", st.LeaderTerm, term)
	}
	putOrphan()
	waitGone("after the leader was killed")
	// The run that deleted it commits after its last step.
	after := jobState(t, cli)
	for deadline := time.Now().Add(30 * time.Second); (after.Token <= before.Token || after.Holder != other) && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		after = jobState(t, cli)
	}
	if after.Token <= before.Token || after.Holder != other {
		t.Fatalf("job state before %+v after %+v: want a larger token held by %s", before, after, other)
	}
	// The catalog saw the new holder's token (it fences deletes).
	pgc, err := pgx.Connect(t.Context(), catalogDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer pgc.Close(context.Background())
	var fence int64
	if err := pgc.QueryRow(t.Context(), "SELECT token FROM openwit_fences WHERE name = 'storage-maintenance'").Scan(&fence); err != nil {
		t.Fatal(err)
	}
	if fence <= before.Token {
		t.Fatalf("catalog fence %d, want above the killed leader's last token %d", fence, before.Token)
	}
	// Every committed run is counted once: the runs the surviving node
	// and the killed one reported (before it died) add up to etcd's count,
	// give or take commits whose answer was lost with quorum.
	c1, f1 := jobRuns(t, nodes[other])
	for deadline := time.Now().Add(30 * time.Second); c1 <= c0 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond) // the run that deleted the orphan commits after its last step
		c1, f1 = jobRuns(t, nodes[other])
	}
	final := jobState(t, cli)
	t.Logf("storage-maintenance: %d runs in etcd; survivor committed %v since the kill (failed %v in all); before the kill %d", final.Runs, c1-c0, f1, before.Runs)
	if c1 <= c0 || final.Runs < before.Runs+int64(c1-c0) {
		t.Fatalf("etcd counts %d runs, but %d before the kill plus %v after", final.Runs, before.Runs, c1-c0)
	}
}

func jobState(t *testing.T, cli *clientv3.Client) control.JobState {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	g, err := cli.Get(ctx, "/openwit/jobs/storage-maintenance/state")
	if err != nil || len(g.Kvs) != 1 {
		t.Fatalf("job state: %v %v", g, err)
	}
	var st control.JobState
	if err := json.Unmarshal(g.Kvs[0].Value, &st); err != nil {
		t.Fatal(err)
	}
	return st
}
