package compact

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"openwit/internal/testpg"
	"openwit/internal/tests3"
	"openwit/storage"
	"openwit/storage/catalog"
	"openwit/storage/objstore"
	"openwit/storage/pqfile"
)

// rig is a catalog and a bucket (real backends) and jobs on a clock the
// test moves.
type rig struct {
	cat    catalog.Catalog
	bucket objstore.Bucket
	jobs   *Jobs
	reg    *prometheus.Registry
	skew   atomic.Int64 // added to time.Now by the jobs' clock
	swaps  [][]string   // OnReplace calls: removed IDs
}

const grace = time.Hour

// backends runs fn over SQLite + a local directory and PostgreSQL +
// gofakes3.
func backends(t *testing.T, fn func(t *testing.T, r *rig)) {
	t.Run("sqlite_local", func(t *testing.T) {
		cat, err := catalog.Open(t.Context(), "sqlite:"+t.TempDir()+"/cat.db")
		if err != nil {
			t.Fatal(err)
		}
		b, err := objstore.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		fn(t, newRig(t, cat, b))
	})
	t.Run("postgres_s3", func(t *testing.T) {
		pg := testpg.Start(t)
		cat, err := catalog.Open(t.Context(), pg.CreateDB(t, "compact"))
		if err != nil {
			t.Fatal(err)
		}
		srv := tests3.Gofakes3(t)
		b, err := objstore.NewS3(t.Context(), srv.Config("", srv.CreateBucket(t, "compact"), "data"))
		if err != nil {
			t.Fatal(err)
		}
		fn(t, newRig(t, cat, b))
	})
}

func newRig(t *testing.T, cat catalog.Catalog, b objstore.Bucket) *rig {
	t.Cleanup(func() { cat.Close() })
	r := &rig{cat: cat, bucket: b, reg: prometheus.NewRegistry()}
	jobs, err := New(Config{Catalog: cat, Bucket: b, Grace: grace, Registerer: r.reg,
		Now: func() time.Time { return time.Now().Add(time.Duration(r.skew.Load())) },
		OnReplace: func(_ int64, removed []string, _ []*catalog.File) {
			r.swaps = append(r.swaps, removed)
		}})
	if err != nil {
		t.Fatal(err)
	}
	r.jobs = jobs
	return r
}

func (r *rig) advance(d time.Duration) { r.skew.Add(int64(d)) }

var hour = time.Hour.Microseconds()

// base is the start of shard 0 of the tests: an hour boundary.
var base = time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC).UnixMicro()

func (r *rig) createTable(t *testing.T, name string, opts map[string]string) *catalog.Table {
	t.Helper()
	tbl, err := r.cat.CreateTable(t.Context(), &catalog.Table{Name: name, Columns: []catalog.Column{
		{Name: "ts", Type: "timestamptz", NotNull: true}, {Name: "host", Type: "text"}, {Name: "v", Type: "int8"},
	}, TimeColumn: "ts", ShardDuration: time.Hour, Options: opts})
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

// publish writes one file of n rows with random times in the shard.
func (r *rig) publish(t *testing.T, tbl *catalog.Table, shard int64, n int, lsn uint64, rnd *rand.Rand) *catalog.File {
	t.Helper()
	schema, err := storage.ArrowSchema(tbl)
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for range n {
		b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(shard + rnd.Int64N(hour)))
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("host-%d", rnd.IntN(37)))
		b.Field(2).(*array.Int64Builder).Append(rnd.Int64N(1000))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	p := &storage.Publisher{Bucket: r.bucket, Catalog: r.cat}
	f, err := p.Publish(t.Context(), "w1", tbl, shard, []arrow.RecordBatch{rec}, lsn)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// stats is what a query over the table computes.
type stats struct {
	count, sum int64
	hosts      int
}

// read returns the stats of files and whether every file is sorted by ts.
func (r *rig) read(t *testing.T, files []*catalog.File) (stats, bool) {
	t.Helper()
	var s stats
	hosts := map[string]bool{}
	sorted := true
	for _, f := range files {
		rc, err := r.bucket.Get(t.Context(), f.Path)
		if err != nil {
			t.Fatalf("read %s: %v", f.Path, err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		rd, err := pqfile.NewReader(bytes.NewReader(data), int64(len(data)), memory.DefaultAllocator)
		if err != nil {
			t.Fatal(err)
		}
		rr, err := rd.Read(t.Context(), nil, nil, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		prev := int64(-1 << 63)
		for rr.Next() {
			b := rr.RecordBatch()
			ts := b.Column(0).(*array.Timestamp)
			hs := b.Column(1).(*array.String)
			vs := b.Column(2).(*array.Int64)
			for i := range int(b.NumRows()) {
				if v := int64(ts.Value(i)); v < prev {
					sorted = false
				} else {
					prev = v
				}
				hosts[hs.Value(i)] = true
				s.sum += vs.Value(i)
				s.count++
			}
		}
		if err := rr.Err(); err != nil {
			t.Fatal(err)
		}
		rr.Release()
	}
	s.hosts = len(hosts)
	return s, sorted
}

func (r *rig) files(t *testing.T, tbl *catalog.Table) []*catalog.File {
	t.Helper()
	fs, err := r.cat.ListFiles(t.Context(), tbl.ID)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func (r *rig) exists(t *testing.T, key string) bool {
	t.Helper()
	_, err := r.bucket.Size(t.Context(), key)
	if errors.Is(err, objstore.ErrNotFound) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

func TestCompactMergesAndCollectsAfterGrace(t *testing.T) {
	backends(t, func(t *testing.T, r *rig) {
		ctx := t.Context()
		rnd := rand.New(rand.NewPCG(1, 2))
		tbl := r.createTable(t, "m", nil)
		var inputs []*catalog.File
		for i := range 6 {
			inputs = append(inputs, r.publish(t, tbl, base, 200+i, uint64(10+i), rnd))
		}
		lone := r.publish(t, tbl, base+hour, 50, 3, rnd) // alone in its shard: kept as is
		before, _ := r.read(t, r.files(t, tbl))
		cpBefore, err := r.cat.Checkpoints(ctx, "w1", tbl.ID)
		if err != nil {
			t.Fatal(err)
		}

		if err := r.jobs.Compact(ctx); err != nil {
			t.Fatalf("Compact: %v", err)
		}
		files := r.files(t, tbl)
		if len(files) != 2 || files[1].ID != lone.ID {
			t.Fatalf("files after compaction = %v, want one merged file and %s", ids(files), lone.ID)
		}
		merged := files[0]
		if merged.MaxLSN != 15 || merged.Shard != base || merged.Rows != 200+201+202+203+204+205 {
			t.Errorf("merged file = %+v, want MaxLSN 15, shard %d, all rows", merged, base)
		}
		after, _ := r.read(t, files)
		if after != before {
			t.Errorf("stats after compaction = %+v, before %+v", after, before)
		}
		if _, ok := r.read(t, files[:1]); !ok {
			t.Error("merged file is not sorted by the time column")
		}
		if cp, _ := r.cat.Checkpoints(ctx, "w1", tbl.ID); !equalMaps(cp, cpBefore) {
			t.Errorf("checkpoints %v after compaction, want unchanged %v", cp, cpBefore)
		}
		if got := testutil.ToFloat64(r.jobs.m.filesCompacted); got != 6 {
			t.Errorf("files compacted metric = %v, want 6", got)
		}
		if len(r.swaps) != 1 || len(r.swaps[0]) != 6 {
			t.Errorf("OnReplace calls = %v, want one with the 6 inputs", r.swaps)
		}
		// A second run has nothing to merge.
		if err := r.jobs.Compact(ctx); err != nil || len(r.files(t, tbl)) != 2 {
			t.Errorf("second Compact: %v, %d files", err, len(r.files(t, tbl)))
		}

		// Within the grace period the inputs stay readable (a query
		// planned before the swap reads them).
		if err := r.jobs.Collect(ctx); err != nil {
			t.Fatal(err)
		}
		if s, _ := r.read(t, inputs); s.count != int64(200+201+202+203+204+205) {
			t.Errorf("inputs read after the swap within the grace: %d rows", s.count)
		}
		r.advance(grace + time.Minute)
		if err := r.jobs.Collect(ctx); err != nil {
			t.Fatal(err)
		}
		for _, f := range inputs {
			if r.exists(t, f.Path) {
				t.Errorf("input %s still exists after the grace", f.Path)
			}
		}
		for _, f := range files {
			if !r.exists(t, f.Path) {
				t.Errorf("published file %s was deleted", f.Path)
			}
		}
		if gs, _ := r.cat.ListGarbage(ctx, time.Now().Add(48*time.Hour), 0); len(gs) != 0 {
			t.Errorf("%d garbage rows left after collection", len(gs))
		}
		// Each input goes with its index artifact.
		if got := testutil.ToFloat64(r.jobs.m.garbageDeleted.WithLabelValues("retired")); got != 12 {
			t.Errorf("retired objects deleted metric = %v, want 12 (6 files and their artifacts)", got)
		}
		if final, _ := r.read(t, r.files(t, tbl)); final != before {
			t.Errorf("stats after collection = %+v, want %+v", final, before)
		}
	})
}

func TestCompactLosesRaceToDrop(t *testing.T) {
	backends(t, func(t *testing.T, r *rig) {
		ctx := t.Context()
		rnd := rand.New(rand.NewPCG(3, 4))
		tbl := r.createTable(t, "raced", nil)
		var group []*catalog.File
		for i := range 3 {
			group = append(group, r.publish(t, tbl, base, 10, uint64(i+1), rnd))
		}
		// Retention (or another compactor) takes one input first: the
		// swap must fail and change nothing.
		if err := r.cat.ReplaceFiles(ctx, tbl.ID, []string{group[1].ID}, nil); err != nil {
			t.Fatal(err)
		}
		err := r.jobs.merge(ctx, tbl, group)
		if !errors.Is(err, catalog.ErrConflict) {
			t.Fatalf("merge over a gone input: %v, want ErrConflict", err)
		}
		if got := ids(r.files(t, tbl)); !slices.Equal(sorted(got), sorted([]string{group[0].ID, group[2].ID})) {
			t.Errorf("files after the lost race = %v", got)
		}
		// The abandoned upload is an orphan: young now, deleted after
		// the grace; published files stay.
		var keys []string
		r.bucket.List(ctx, TablesPrefix, func(k string, _ int64) error {
			if strings.HasSuffix(k, ".parquet") {
				keys = append(keys, k)
			}
			return nil
		})
		if len(keys) != 4 { // 3 inputs (one retired) + the orphan; their index artifacts aside
			t.Fatalf("Parquet objects = %v, want 4", keys)
		}
		if err := r.jobs.Collect(ctx); err != nil {
			t.Fatal(err)
		}
		if got := testutil.ToFloat64(r.jobs.m.garbageDeleted.WithLabelValues("orphan")); got != 0 {
			t.Errorf("young orphan deleted (%v)", got)
		}
		r.advance(grace + time.Minute)
		if err := r.jobs.Collect(ctx); err != nil {
			t.Fatal(err)
		}
		if got := testutil.ToFloat64(r.jobs.m.garbageDeleted.WithLabelValues("orphan")); got != 1 {
			t.Errorf("orphans deleted = %v, want 1", got)
		}
		for _, f := range []*catalog.File{group[0], group[2]} {
			if !r.exists(t, f.Path) {
				t.Errorf("published %s deleted", f.Path)
			}
		}
		if r.exists(t, group[1].Path) {
			t.Errorf("retired %s not deleted", group[1].Path)
		}
	})
}

func TestOrphansYoungKept(t *testing.T) {
	backends(t, func(t *testing.T, r *rig) {
		ctx := t.Context()
		tbl := r.createTable(t, "o", nil)
		f := r.publish(t, tbl, base, 10, 1, rand.New(rand.NewPCG(5, 6)))
		orphan := storage.FileKey(tbl.ID, base, "t1-crashed-upload")
		if err := r.bucket.Put(ctx, orphan, bytes.NewReader([]byte("partial")), 7); err != nil {
			t.Fatal(err)
		}
		other := "elsewhere/not-ours.parquet" // outside tables/: never touched
		if err := r.bucket.Put(ctx, other, bytes.NewReader([]byte("x")), 1); err != nil {
			t.Fatal(err)
		}
		r.advance(grace - time.Minute)
		if err := r.jobs.Collect(ctx); err != nil {
			t.Fatal(err)
		}
		if !r.exists(t, orphan) {
			t.Fatal("orphan younger than the grace was deleted")
		}
		r.advance(2 * time.Minute)
		if err := r.jobs.Collect(ctx); err != nil {
			t.Fatal(err)
		}
		if r.exists(t, orphan) {
			t.Error("orphan older than the grace was kept")
		}
		if !r.exists(t, f.Path) || !r.exists(t, other) {
			t.Error("a published file or an object outside tables/ was deleted")
		}
	})
}

// TestOrphanArtifacts: an index artifact that an indexer uploaded and never
// linked is kept while its data file is published (an indexer will link
// it) and deleted after the grace once no file names it (its file was
// compacted away, or never published).
func TestOrphanArtifacts(t *testing.T) {
	backends(t, func(t *testing.T, r *rig) {
		ctx := t.Context()
		tbl := r.createTable(t, "oa", nil)
		schema, err := storage.ArrowSchema(tbl)
		if err != nil {
			t.Fatal(err)
		}
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer b.Release()
		b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(base))
		b.Field(1).(*array.StringBuilder).Append("h")
		b.Field(2).(*array.Int64Builder).Append(1)
		rec := b.NewRecordBatch()
		defer rec.Release()
		p := &storage.Publisher{Bucket: r.bucket, Catalog: r.cat, DeferIndex: true}
		f, err := p.Publish(ctx, "w1", tbl, base, []arrow.RecordBatch{rec}, 1)
		if err != nil {
			t.Fatal(err)
		}
		pending := storage.IndexKey(f.Path) // uploaded, the indexer died before linking
		orphan := storage.IndexKey(storage.FileKey(tbl.ID, base, "t1-compacted-away"))
		for _, k := range []string{pending, orphan} {
			if err := r.bucket.Put(ctx, k, bytes.NewReader([]byte("OWIX")), 4); err != nil {
				t.Fatal(err)
			}
		}
		r.advance(grace + time.Minute)
		if err := r.jobs.Collect(ctx); err != nil {
			t.Fatal(err)
		}
		if r.exists(t, orphan) {
			t.Error("an artifact no file names was kept past the grace")
		}
		if !r.exists(t, pending) || !r.exists(t, f.Path) {
			t.Error("the artifact of a published file (not linked yet), or the file, was deleted")
		}
	})
}

func TestRetentionDropsOldShards(t *testing.T) {
	backends(t, func(t *testing.T, r *rig) {
		ctx := t.Context()
		rnd := rand.New(rand.NewPCG(7, 8))
		now := time.Now().UTC()
		cur := now.Truncate(time.Hour).UnixMicro()
		tbl := r.createTable(t, "ret", map[string]string{RetentionOption: "2 days"})
		keepT := r.createTable(t, "noret", nil)
		old1 := r.publish(t, tbl, cur-72*hour, 10, 1, rnd)
		old2 := r.publish(t, tbl, cur-72*hour, 10, 2, rnd)
		old3 := r.publish(t, tbl, cur-49*hour, 10, 3, rnd) // ends 48h ago: just older than 2 days
		recent := r.publish(t, tbl, cur-47*hour, 10, 4, rnd)
		nowF := r.publish(t, tbl, cur, 10, 5, rnd)
		untouched := r.publish(t, keepT, cur-1000*hour, 10, 1, rnd)
		cp, _ := r.cat.Checkpoints(ctx, "w1", tbl.ID)

		if err := r.jobs.Retain(ctx); err != nil {
			t.Fatal(err)
		}
		if got := ids(r.files(t, tbl)); !slices.Equal(got, []string{recent.ID, nowF.ID}) {
			t.Errorf("files after retention = %v, want [%s %s]", got, recent.ID, nowF.ID)
		}
		if got := ids(r.files(t, keepT)); !slices.Equal(got, []string{untouched.ID}) {
			t.Errorf("table without retention lost files: %v", got)
		}
		if got := testutil.ToFloat64(r.jobs.m.shardsDropped); got != 2 {
			t.Errorf("shards dropped = %v, want 2", got)
		}
		if cp2, _ := r.cat.Checkpoints(ctx, "w1", tbl.ID); !equalMaps(cp, cp2) {
			t.Errorf("checkpoints changed by retention: %v -> %v (replay would re-ingest)", cp, cp2)
		}
		// The dropped files are garbage: readable until the grace ends.
		for _, f := range []*catalog.File{old1, old2, old3} {
			if !r.exists(t, f.Path) {
				t.Errorf("%s deleted before the grace", f.Path)
			}
		}
		r.advance(grace + time.Minute)
		if err := r.jobs.Collect(ctx); err != nil {
			t.Fatal(err)
		}
		for _, f := range []*catalog.File{old1, old2, old3} {
			if r.exists(t, f.Path) {
				t.Errorf("%s kept after the grace", f.Path)
			}
		}
		// A bad option is reported, not fatal for other tables.
		if _, err := r.cat.UpdateTableOptions(ctx, "noret", map[string]string{RetentionOption: "forever"}, nil); err != nil {
			t.Fatal(err)
		}
		if err := r.jobs.Retain(ctx); err == nil {
			t.Error("Retain with retention = 'forever': no error")
		}
	})
}

func TestDropTableFilesBecomeGarbage(t *testing.T) {
	backends(t, func(t *testing.T, r *rig) {
		ctx := t.Context()
		tbl := r.createTable(t, "gone", nil)
		f := r.publish(t, tbl, base, 10, 1, rand.New(rand.NewPCG(9, 9)))
		if err := r.cat.DropTable(ctx, "gone"); err != nil {
			t.Fatal(err)
		}
		if err := r.jobs.Collect(ctx); err != nil {
			t.Fatal(err)
		}
		if !r.exists(t, f.Path) {
			t.Fatal("file of a dropped table deleted before the grace")
		}
		r.advance(grace + time.Minute)
		if err := r.jobs.Collect(ctx); err != nil {
			t.Fatal(err)
		}
		if r.exists(t, f.Path) {
			t.Error("file of a dropped table kept after the grace")
		}
	})
}

func TestParseRetention(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"30 days", 30 * 24 * time.Hour}, {"1 day 12 hours", 36 * time.Hour}, {"90d", 90 * 24 * time.Hour},
		{"2 weeks", 14 * 24 * time.Hour}, {"45 min", 45 * time.Minute}, {"1.5h", 90 * time.Minute},
	} {
		if got, err := ParseRetention(tc.in); err != nil || got != tc.want {
			t.Errorf("ParseRetention(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "30", "days", "30 fortnights", "-1 day", "0 days", "1000 weeks 9999 weeks"} {
		if _, err := ParseRetention(bad); err == nil {
			t.Errorf("ParseRetention(%q): no error", bad)
		}
	}
}

func ids(fs []*catalog.File) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

func equalMaps(a, b map[int64]uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
