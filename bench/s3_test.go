package bench

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"openwit/internal/tests3"
)

// TestS3Engine runs the openwit-s3 engine (a second node on a scratch
// versitygw with its disk read cache) next to the local-disk node on a
// small data set: both answer every query alike, the Parquet files are in
// the bucket, and the queries went through the read cache: once a query
// has run, running it again sends no GET to the object store (counted at
// the server's side, so a read that bypasses the cache is counted).
func TestS3Engine(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Gen = GenConfig{Rows: 20_000, Seed: 5, Days: 1, BatchSize: 4096}
	cfg.Engines = []string{EngineOpenWit, EngineOpenWitS3}
	cfg.VersitygwBin = tests3.VersitygwBinary(t)
	cfg.WorkDir = t.TempDir()
	cfg.Keep = true
	rep, table := runSmall(t, cfg)
	if !strings.Contains(table, "s3 warm/local") {
		t.Error("no openwit-s3 table in the report")
	}
	if rep.Failures != 0 || rep.Mismatches != 0 {
		t.Errorf("%d failures, %d mismatches", rep.Failures, rep.Mismatches)
	}
	steps := 0
	for _, l := range rep.Load {
		if l.Engine == EngineOpenWitS3 {
			steps++
		}
	}
	if steps != 2 {
		t.Errorf("openwit-s3 load steps: %d, want 2", steps)
	}
	coldGets := int64(0)
	for _, q := range rep.Queries {
		r := q.Results[EngineOpenWitS3]
		if r == nil || r.Error != "" || r.ColdMs <= 0 {
			t.Errorf("%s on openwit-s3: %+v", q.Name, r)
			continue
		}
		if r.ColdRequests == nil || r.WarmRequests == nil {
			t.Errorf("%s on openwit-s3: requests not counted", q.Name)
			continue
		}
		coldGets += r.ColdRequests.Gets
		t.Logf("%s: cold %v; %d warm runs %v", q.Name, *r.ColdRequests, rep.Runs, *r.WarmRequests)
		if w := r.WarmRequests; w.Reads() != 0 {
			t.Errorf("%s: %d warm runs sent %v to the object store, want none", q.Name, rep.Runs, *w)
		}
	}
	if coldGets == 0 {
		t.Error("the cold runs sent no GET: are the requests counted?")
	}
	if rep.GeomeanS3VsLocal <= 0 {
		t.Error("no s3/local geometric mean")
	}
	// The files are objects in the bucket (versitygw's posix backend keeps
	// them as files), and reading them filled the disk read cache.
	if n := countFiles(t, filepath.Join(cfg.WorkDir, "versitygw", "data", "openwit-bench"), ".parquet"); n == 0 {
		t.Error("no parquet object in the bucket")
	}
	if n := countFiles(t, filepath.Join(cfg.WorkDir, "openwit-s3", "cache"), ""); n == 0 {
		t.Error("the read cache is empty after the queries")
	}
}

func countFiles(t *testing.T, dir, suffix string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, suffix) {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
