package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// indexQueue is the catalog's index queue and artifacts as the catalog
// database holds them.
type indexQueue struct {
	files, queued, artifacts int64
	leased                   []string // queued files under a live lease: "id owner attempts"
	expired                  int64    // queued files whose lease has expired after being taken
}

func readIndexQueue(t *testing.T, cat *pgx.Conn) indexQueue {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var q indexQueue
	now := time.Now().UnixMicro()
	err := cat.QueryRow(ctx, `SELECT (SELECT count(*) FROM openwit_files), (SELECT count(*) FROM openwit_index_queue),
		(SELECT count(*) FROM openwit_index_artifacts),
		(SELECT count(*) FROM openwit_index_queue WHERE lease_owner <> '' AND lease_until_us < $1)`, now).
		Scan(&q.files, &q.queued, &q.artifacts, &q.expired)
	if err != nil {
		t.Fatalf("read the index queue: %v", err)
	}
	q.leased = queryRows(t, cat, `SELECT file_id || ' ' || lease_owner || ' ' || attempts FROM openwit_index_queue WHERE lease_until_us >= $1 ORDER BY file_id`,
		func(r pgx.CollectableRow) (string, error) {
			var s string
			return s, r.Scan(&s)
		}, now)
	return q
}

// idxObjects lists the index artifact objects under objects.
func idxObjects(t *testing.T, objects string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	err := filepath.WalkDir(objects, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".idx") {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(objects, path)
		out[filepath.ToSlash(rel)] = info.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestIndexerCrash: a front node publishes files without artifacts
// (--defer-index) into a PostgreSQL catalog; a separate indexer process
// links some artifacts and is SIGKILLed between uploading the next one and
// linking it, holding that file's lease. A new indexer takes the file once
// the lease expires: every file ends with exactly one linked artifact, the
// queue is empty, the depth metric is 0, and queries answer the same,
// now pruned by the artifacts.
func TestIndexerCrash(t *testing.T) {
	t.Parallel()
	pg := testpg.Start(t)
	catalogDSN := pg.CreateDB(t, "indexer")
	shared := t.TempDir()
	objects := filepath.Join(shared, "objects")
	common := []string{"--catalog", catalogDSN, "--object-store", "file://" + objects}
	front := testserver.Start(t, testserver.Options{Args: append([]string{
		"--roles", "gateway,coordinator", "--defer-index", "--flush-age", "10ms", "--compaction-interval", "0",
	}, common...)})
	conn := testserver.Connect(t, front.DSN())
	const nFiles, per = 12, 200
	loadExplainTraces(t, conn, front, nFiles, per)
	cat := testserver.Connect(t, catalogDSN)
	if q := readIndexQueue(t, cat); q.files != nFiles || q.queued != nFiles || q.artifacts != 0 {
		t.Fatalf("after publishing: %+v, want %d files queued without artifacts", q, nFiles)
	}

	// The first indexer links 3 artifacts and stops after uploading the
	// 4th (failpoint), holding its lease; it is killed there.
	const lease = 5 * time.Second
	indexer := func(env ...string) *testserver.Server {
		return testserver.Start(t, testserver.Options{Env: env, Args: append([]string{
			"--roles", "indexer", "--index-lease", lease.String()}, common...)})
	}
	first := indexer("OPENWIT_TEST_FAILPOINT=index-after-upload@4")
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(first.Log(), "failpoint reached") {
		if time.Now().After(deadline) {
			t.Fatalf("the indexer never reached its failpoint\n%s", first.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
	first.Kill()
	q := readIndexQueue(t, cat)
	if q.artifacts != 3 || q.queued != nFiles-3 || len(q.leased) != 1 || !strings.HasSuffix(q.leased[0], " 1") {
		t.Fatalf("at the kill: %+v, want 3 artifacts, %d queued, one of them leased (attempt 1)", q, nFiles-3)
	}
	if n := len(idxObjects(t, objects)); n != 4 {
		t.Errorf("%d artifact objects at the kill, want 4 (3 linked, 1 uploaded and not linked)", n)
	}
	var leasedID string
	var leaseUntil int64
	if err := cat.QueryRow(context.Background(), `SELECT file_id, lease_until_us FROM openwit_index_queue WHERE lease_owner <> ''`).Scan(&leasedID, &leaseUntil); err != nil {
		t.Fatalf("the leased file: %v", err)
	}

	// A new indexer builds the rest, the dead one's file after its lease.
	second := indexer()
	waitMetric(t, second.HTTPURL(), "openwit_index_queue_depth", func(v float64) bool { return v == 0 })
	var linkedAt int64
	if err := cat.QueryRow(context.Background(), `SELECT created_at_us FROM openwit_index_artifacts WHERE file_id = $1`, leasedID).Scan(&linkedAt); err != nil {
		t.Fatalf("the dead indexer's file has no artifact: %v", err)
	}
	if linkedAt < leaseUntil {
		t.Errorf("the dead indexer's file was linked at %d, before its lease ran out at %d", linkedAt, leaseUntil)
	}
	_, body := httpGet(t, second.HTTPURL()+"/metrics")
	if n, _ := metricValue(body, "openwit_indexer_artifacts_built_total"); n != nFiles-3 {
		t.Errorf("the second indexer built %v artifacts, want %d", n, nFiles-3)
	}
	q = readIndexQueue(t, cat)
	if q.files != nFiles || q.artifacts != nFiles || q.queued != 0 || len(q.leased) != 0 || q.expired != 0 {
		t.Errorf("at the end: %+v, want %d files, each with an artifact, nothing queued", q, nFiles)
	}
	// Exactly one artifact per file, at the file's key, with the linked
	// size; no stray artifact objects.
	type link struct {
		path, idx string
		size      int64
	}
	links := queryRows(t, cat, `SELECT f.path, a.path, a.byte_size FROM openwit_files f JOIN openwit_index_artifacts a ON a.file_id = f.id ORDER BY f.path`,
		func(r pgx.CollectableRow) (link, error) {
			var l link
			return l, r.Scan(&l.path, &l.idx, &l.size)
		})
	objs := idxObjects(t, objects)
	if len(links) != nFiles || len(objs) != nFiles {
		t.Errorf("%d linked artifacts and %d artifact objects, want %d of each", len(links), len(objs), nFiles)
	}
	for _, l := range links {
		if l.idx != l.path+".idx" || objs[l.idx] != l.size {
			t.Errorf("file %s: artifact %s of %d bytes linked, object holds %d bytes", l.path, l.idx, l.size, objs[l.idx])
		}
	}

	// The answers, now with artifacts, are the generator's; a needle is
	// pruned by the Bloom filters of every other file.
	for _, j := range []int{0, 3*per + 17, nFiles*per - 1} {
		if got := queryText(t, conn, `SELECT count(*), min(status) FROM traces WHERE trace_id = '`+explainTraceID(j)+`'`); !slices.Equal(got, []string{fmt.Sprintf("1|%d", 200+j%3)}) {
			t.Errorf("needle %d: %v", j, got)
		}
	}
	if got, want := queryText(t, conn, `SELECT count(*) FROM traces WHERE message LIKE '%DeadLock%'`), deadlocks(nFiles*per); !slices.Equal(got, []string{fmt.Sprint(want)}) {
		t.Errorf("LIKE count %v, want %d", got, want)
	}
	if got := queryText(t, conn, `SELECT count(*) FROM traces`); !slices.Equal(got, []string{fmt.Sprint(nFiles * per)}) {
		t.Errorf("count %v", got)
	}
	plan := strings.Join(queryText(t, conn, `EXPLAIN ANALYZE SELECT count(*) FROM traces WHERE trace_id = '`+explainTraceID(3*per+17)+`'`), "\n")
	if want := fmt.Sprintf("files: %d considered, %d pruned (time 0, zone map 0, bloom %d, full-text 0), 1 scanned; %d with index artifacts", nFiles, nFiles-1, nFiles-1, nFiles); !strings.Contains(plan, want) {
		t.Errorf("EXPLAIN ANALYZE of a needle does not say %q:\n%s", want, plan)
	}
}
