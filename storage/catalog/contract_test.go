package catalog

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// runContract runs the behaviour every Catalog implementation must have.
// open returns a catalog on the database that belongs to t (one per subtest);
// calling it again in the same test reopens the same database. The catalog is
// closed when t ends.
func runContract(t *testing.T, open func(t *testing.T) Catalog) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T) Catalog)
	}{
		{"create_get_list_drop", testCreateGetListDrop},
		{"exists_and_not_found", testExistsNotFound},
		{"invalid_arguments", testInvalid},
		{"ids_not_reused", testIDsNotReused},
		{"round_trip", testRoundTrip},
		{"publish_and_list_order", testPublishListOrder},
		{"checkpoint_max", testCheckpointMax},
		{"checkpoint_per_writer", testCheckpointPerWriter},
		{"idempotent_publish", testIdempotentPublish},
		{"publish_dropped_table", testPublishDroppedTable},
		{"drop_removes_rows", testDropRemovesRows},
		{"concurrent_publish", testConcurrentPublish},
		{"publish_races_drop", testPublishRacesDrop},
		{"reopen", testReopen},
		{"schema_version_checks", testSchemaVersionChecks},
		{"offsets_compare_and_set", testOffsetsCompareAndSet},
		{"offsets_concurrent", testOffsetsConcurrent},
		{"index_artifacts", testIndexArtifacts},
		{"index_lease_concurrent", testIndexLeaseConcurrent},
		{"batch_log", testBatchLog},
		{"batch_log_prune", testBatchLogPrune},
		{"replace_files", testReplaceFiles},
		{"replace_races_replace", testReplaceRacesReplace},
		{"drop_to_garbage", testDropToGarbage},
		{"update_table_options", testUpdateTableOptions},
		{"add_columns", testAddColumns},
		{"rename", testRename},
		{"alter_table", testAlterTable},
		{"default_display", testDefaultDisplay},
		{"comment_migration", testCommentMigration},
		{"views", testViews},
		{"fence", testFence},
		{"char_types", testCharTypes},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open)
		})
	}
}

// dbName derives a database (or file) name unique to t.
func dbName(t testing.TB) string {
	h := fnv.New32a()
	h.Write([]byte(t.Name()))
	s := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return '_'
	}, t.Name())
	if len(s) > 40 {
		s = s[len(s)-40:]
	}
	return fmt.Sprintf("cat_%s_%08x", s, h.Sum32())
}

func sampleTable(name string) *Table {
	return &Table{
		Name: name,
		Columns: []Column{
			{Name: "ts", Type: "timestamptz", NotNull: true},
			{Name: "host", Type: "text", Default: "'unknown'"},
			{Name: "value", Type: "float8"},
		},
		TimeColumn:    "ts",
		ShardDuration: time.Hour,
		Options:       map[string]string{"retention": "7d"},
	}
}

func mustCreate(t *testing.T, c Catalog, name string) *Table {
	t.Helper()
	tbl, err := c.CreateTable(t.Context(), sampleTable(name))
	if err != nil {
		t.Fatalf("CreateTable(%q): %v", name, err)
	}
	return tbl
}

func sampleFile(tableID int64, id string, shard, minTime int64, lsn uint64) *File {
	return &File{
		ID:        id,
		TableID:   tableID,
		Shard:     shard,
		Path:      fmt.Sprintf("tables/%d/%d/%s.parquet", tableID, shard, id),
		MinTime:   minTime,
		MaxTime:   minTime + 1000,
		Rows:      10,
		Bytes:     4096,
		MaxLSN:    lsn,
		CreatedAt: time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC),
	}
}

func mustPublish(t *testing.T, c Catalog, f *File) {
	t.Helper()
	if err := c.PublishFile(t.Context(), f); err != nil {
		t.Fatalf("PublishFile(%q): %v", f.ID, err)
	}
}

func mustFiles(t *testing.T, c Catalog, tableID int64) []*File {
	t.Helper()
	fs, err := c.ListFiles(t.Context(), tableID)
	if err != nil {
		t.Fatalf("ListFiles(%d): %v", tableID, err)
	}
	return fs
}

func mustCheckpoints(t *testing.T, c Catalog, tableID int64) map[int64]uint64 {
	t.Helper()
	cp, err := c.Checkpoints(t.Context(), "", tableID)
	if err != nil {
		t.Fatalf("Checkpoints(%d): %v", tableID, err)
	}
	return cp
}

func tableNames(t *testing.T, c Catalog) []string {
	t.Helper()
	ts, err := c.ListTables(t.Context())
	if err != nil {
		t.Fatalf("ListTables: %v", err)
	}
	names := []string{}
	for _, tb := range ts {
		names = append(names, tb.Name)
	}
	return names
}

func fileIDs(fs []*File) []string {
	ids := []string{}
	for _, f := range fs {
		ids = append(ids, f.ID)
	}
	return ids
}

func testCreateGetListDrop(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	ctx := t.Context()
	if got := tableNames(t, c); len(got) != 0 {
		t.Fatalf("fresh catalog lists %v", got)
	}
	created := map[string]*Table{}
	for _, name := range []string{"b", "a", "C"} {
		in := sampleTable(name)
		tbl, err := c.CreateTable(ctx, in)
		if err != nil {
			t.Fatalf("CreateTable(%q): %v", name, err)
		}
		if tbl.ID <= 0 || tbl.CreatedAt.IsZero() || tbl.Name != name {
			t.Errorf("CreateTable(%q) = %+v: want ID > 0, CreatedAt set, same name", name, tbl)
		}
		if in.ID != 0 || !in.CreatedAt.IsZero() {
			t.Errorf("CreateTable modified its argument: %+v", in)
		}
		created[name] = tbl
	}
	// Bytewise order: upper case first.
	if got, want := tableNames(t, c), []string{"C", "a", "b"}; !slices.Equal(got, want) {
		t.Errorf("ListTables = %v, want %v", got, want)
	}
	got, err := c.GetTable(ctx, "a")
	if err != nil {
		t.Fatalf("GetTable(a): %v", err)
	}
	if !reflect.DeepEqual(got, created["a"]) {
		t.Errorf("GetTable(a) = %+v, want %+v", got, created["a"])
	}
	if _, err := c.GetTable(ctx, "A"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetTable(A) (names are case-sensitive) err = %v, want ErrNotFound", err)
	}
	if err := c.DropTable(ctx, "a"); err != nil {
		t.Fatalf("DropTable(a): %v", err)
	}
	if _, err := c.GetTable(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetTable after drop err = %v, want ErrNotFound", err)
	}
	if got, want := tableNames(t, c), []string{"C", "b"}; !slices.Equal(got, want) {
		t.Errorf("ListTables after drop = %v, want %v", got, want)
	}
	if err := c.DropTable(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second DropTable(a) err = %v, want ErrNotFound", err)
	}
}

func testExistsNotFound(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	ctx := t.Context()
	first := mustCreate(t, c, "metrics")
	other := sampleTable("metrics")
	other.Columns = other.Columns[:1]
	if _, err := c.CreateTable(ctx, other); !errors.Is(err, ErrExists) {
		t.Errorf("CreateTable(duplicate) err = %v, want ErrExists", err)
	}
	if got, err := c.GetTable(ctx, "metrics"); err != nil || !reflect.DeepEqual(got, first) {
		t.Errorf("GetTable after rejected duplicate = %+v, %v; want the first definition", got, err)
	}
	if _, err := c.CreateTable(ctx, sampleTable("Metrics")); err != nil {
		t.Errorf("CreateTable(Metrics) (differs in case): %v", err)
	}
	if _, err := c.GetTable(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetTable(nope) err = %v, want ErrNotFound", err)
	}
	if err := c.DropTable(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("DropTable(nope) err = %v, want ErrNotFound", err)
	}
	missing := first.ID + 1000
	if _, err := c.ListFiles(ctx, missing); !errors.Is(err, ErrNotFound) {
		t.Errorf("ListFiles(missing) err = %v, want ErrNotFound", err)
	}
	if _, err := c.Checkpoints(ctx, "", missing); !errors.Is(err, ErrNotFound) {
		t.Errorf("Checkpoints(missing) err = %v, want ErrNotFound", err)
	}
	if err := c.PublishFile(ctx, sampleFile(missing, "f", 0, 0, 1)); !errors.Is(err, ErrNotFound) {
		t.Errorf("PublishFile(missing table) err = %v, want ErrNotFound", err)
	}
}

func testInvalid(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	ctx := t.Context()
	tbl := mustCreate(t, c, "t")
	tables := []struct {
		name string
		edit func(*Table)
	}{
		{"empty name", func(t *Table) { t.Name = "" }},
		{"empty column name", func(t *Table) { t.Columns[1].Name = "" }},
		{"duplicate column", func(t *Table) { t.Columns[1].Name = "ts" }},
		{"unknown type", func(t *Table) { t.Columns[1].Type = "money" }},
		{"varchar of length 0", func(t *Table) { t.Columns[1].Type = "varchar(0)" }},
		{"type case", func(t *Table) { t.Columns[1].Type = "TEXT" }},
		{"time column not a column", func(t *Table) { t.TimeColumn = "time" }},
		{"negative shard duration", func(t *Table) { t.ShardDuration = -time.Hour }},
		{"sub-microsecond shard duration", func(t *Table) { t.ShardDuration = time.Hour + 1 }},
	}
	for _, tc := range tables {
		in := sampleTable("bad_" + strings.ReplaceAll(tc.name, " ", "_"))
		tc.edit(in)
		if _, err := c.CreateTable(ctx, in); !errors.Is(err, ErrInvalid) {
			t.Errorf("CreateTable(%s) err = %v, want ErrInvalid", tc.name, err)
		}
	}
	if _, err := c.CreateTable(ctx, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("CreateTable(nil) err = %v, want ErrInvalid", err)
	}
	if got := tableNames(t, c); !slices.Equal(got, []string{"t"}) {
		t.Errorf("invalid tables were stored: %v", got)
	}

	files := []struct {
		name string
		edit func(*File)
	}{
		{"empty id", func(f *File) { f.ID = "" }},
		{"zero table id", func(f *File) { f.TableID = 0 }},
		{"empty path", func(f *File) { f.Path = "" }},
		{"min after max", func(f *File) { f.MinTime, f.MaxTime = 10, 9 }},
		{"negative rows", func(f *File) { f.Rows = -1 }},
		{"negative bytes", func(f *File) { f.Bytes = -1 }},
		{"lsn above 2^63-1", func(f *File) { f.MaxLSN = math.MaxInt64 + 1 }},
	}
	for _, tc := range files {
		f := sampleFile(tbl.ID, "bad", 0, 0, 1)
		tc.edit(f)
		if err := c.PublishFile(ctx, f); !errors.Is(err, ErrInvalid) {
			t.Errorf("PublishFile(%s) err = %v, want ErrInvalid", tc.name, err)
		}
	}
	if err := c.PublishFile(ctx, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("PublishFile(nil) err = %v, want ErrInvalid", err)
	}
	if fs := mustFiles(t, c, tbl.ID); len(fs) != 0 {
		t.Errorf("invalid files were stored: %v", fileIDs(fs))
	}
	if cp := mustCheckpoints(t, c, tbl.ID); len(cp) != 0 {
		t.Errorf("invalid files raised checkpoints: %v", cp)
	}
}

func testIDsNotReused(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	ctx := t.Context()
	x := mustCreate(t, c, "x")
	y := mustCreate(t, c, "y")
	// Drop the table holding the highest ID: a plain rowid would hand it out again.
	if err := c.DropTable(ctx, "y"); err != nil {
		t.Fatal(err)
	}
	z := mustCreate(t, c, "z")
	if z.ID <= y.ID {
		t.Errorf("after dropping y (ID %d), z got ID %d", y.ID, z.ID)
	}
	if err := c.DropTable(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	x2 := mustCreate(t, c, "x")
	if x2.ID <= z.ID || x2.ID == x.ID {
		t.Errorf("recreated x got ID %d (old x %d, z %d)", x2.ID, x.ID, z.ID)
	}
}

func testRoundTrip(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	ctx := t.Context()
	var all []Column
	for i, typ := range []string{"timestamptz", "timestamp", "text", "int2", "int4", "int8", "float4",
		"float8", "bool", "numeric", "date", "jsonb", "bytea"} {
		all = append(all, Column{Name: "c_" + typ, Type: typ, NotNull: i%2 == 0})
	}
	all = append(all, Column{Name: `Mixed "Case" é`, Type: "text"})
	tables := []*Table{
		{Name: "all_types", Columns: all, TimeColumn: "c_timestamptz", ShardDuration: 90 * time.Minute,
			Options: map[string]string{"retention": "30d", "empty": "", "ünï": "cödé \"q\" \n"}},
		{Name: "no_options", Columns: all[:1], TimeColumn: "c_timestamptz", ShardDuration: 24 * time.Hour},
		{Name: "empty_options", Columns: all[:2], Options: map[string]string{}},
		{Name: "no_columns"},
	}
	for _, in := range tables {
		out, err := c.CreateTable(ctx, in)
		if err != nil {
			t.Fatalf("CreateTable(%s): %v", in.Name, err)
		}
		want := cloneTable(in)
		want.ID, want.CreatedAt = out.ID, out.CreatedAt
		if !reflect.DeepEqual(out, want) {
			t.Errorf("CreateTable returned %+v, want %+v", out, want)
		}
		if out.CreatedAt.Location() != time.UTC || out.CreatedAt.Nanosecond()%1000 != 0 {
			t.Errorf("CreatedAt %v: want UTC, microsecond precision", out.CreatedAt)
		}
		got, err := c.GetTable(ctx, in.Name)
		if err != nil {
			t.Fatalf("GetTable(%s): %v", in.Name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("GetTable(%s) = %+v, want %+v", in.Name, got, want)
		}
	}
	list, err := c.ListTables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range list {
		byName, _ := c.GetTable(ctx, got.Name)
		if !reflect.DeepEqual(got, byName) {
			t.Errorf("ListTables entry %+v differs from GetTable %+v", got, byName)
		}
	}
	// Returned values are copies.
	got, _ := c.GetTable(ctx, "all_types")
	got.Options["retention"] = "changed"
	got.Columns[0].Name = "changed"
	again, _ := c.GetTable(ctx, "all_types")
	if again.Options["retention"] != "30d" || again.Columns[0].Name != "c_timestamptz" {
		t.Errorf("modifying a returned table changed the catalog: %+v", again)
	}
}

func testPublishListOrder(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	tbl := mustCreate(t, c, "t")
	other := mustCreate(t, c, "other")
	h := time.Hour.Microseconds()
	in := []*File{
		sampleFile(tbl.ID, "b", 2*h, 2*h+5, 7),
		sampleFile(tbl.ID, "a", 2*h, 2*h+5, 8),
		sampleFile(tbl.ID, "B", 2*h, 2*h+5, 9),
		sampleFile(tbl.ID, "z", 2*h, 2*h+1, 3),
		sampleFile(tbl.ID, "y", h, h+100, 2),
		sampleFile(tbl.ID, "neg", -h, -h, 1),
		sampleFile(other.ID, "o", h, h, 1),
	}
	noTime := sampleFile(tbl.ID, "x", h, h+50, 4)
	noTime.CreatedAt = time.Time{}
	in = append(in, noTime)
	for _, f := range in {
		mustPublish(t, c, f)
	}
	got := mustFiles(t, c, tbl.ID)
	if ids, want := fileIDs(got), []string{"neg", "x", "y", "z", "B", "a", "b"}; !slices.Equal(ids, want) {
		t.Fatalf("ListFiles order = %v, want %v", ids, want)
	}
	byID := map[string]*File{}
	for _, f := range in {
		byID[f.ID] = f
	}
	for _, f := range got {
		want := *byID[f.ID]
		if f.ID == "x" {
			if f.CreatedAt.IsZero() || f.CreatedAt.Location() != time.UTC {
				t.Errorf("file x: CreatedAt %v, want set by PublishFile, UTC", f.CreatedAt)
			}
			want.CreatedAt = f.CreatedAt
		}
		if !reflect.DeepEqual(f, &want) {
			t.Errorf("ListFiles returned %+v, want %+v", f, &want)
		}
	}
	if !noTime.CreatedAt.IsZero() {
		t.Errorf("PublishFile modified its argument: %+v", noTime)
	}
	if ids := fileIDs(mustFiles(t, c, other.ID)); !slices.Equal(ids, []string{"o"}) {
		t.Errorf("ListFiles(other) = %v, want [o]", ids)
	}
}

func testCheckpointMax(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	tbl := mustCreate(t, c, "t")
	if cp := mustCheckpoints(t, c, tbl.ID); cp == nil || len(cp) != 0 {
		t.Errorf("Checkpoints of an empty table = %#v, want empty non-nil map", cp)
	}
	const s1, s2 = 3_600_000_000, 7_200_000_000
	steps := []struct {
		id    string
		shard int64
		lsn   uint64
		want  map[int64]uint64
	}{
		{"f1", s1, 100, map[int64]uint64{s1: 100}},
		{"f2", s1, 50, map[int64]uint64{s1: 100}}, // older LSN: no change
		{"f3", s2, 7, map[int64]uint64{s1: 100, s2: 7}},
		{"f4", s1, 150, map[int64]uint64{s1: 150, s2: 7}},
		{"f5", s2, 0, map[int64]uint64{s1: 150, s2: 7}},
		{"f6", s2, math.MaxInt64, map[int64]uint64{s1: 150, s2: math.MaxInt64}},
		{"f7", s2, 1, map[int64]uint64{s1: 150, s2: math.MaxInt64}},
	}
	for _, st := range steps {
		mustPublish(t, c, sampleFile(tbl.ID, st.id, st.shard, st.shard, st.lsn))
		if got := mustCheckpoints(t, c, tbl.ID); !reflect.DeepEqual(got, st.want) {
			t.Errorf("after %s (shard %d, lsn %d): checkpoints %v, want %v", st.id, st.shard, st.lsn, got, st.want)
		}
	}
	fs := mustFiles(t, c, tbl.ID)
	var maxLSN uint64
	for _, f := range fs {
		maxLSN = max(maxLSN, f.MaxLSN)
	}
	if maxLSN != math.MaxInt64 {
		t.Errorf("largest stored MaxLSN = %d, want %d", maxLSN, uint64(math.MaxInt64))
	}
}

// testCheckpointPerWriter: the LSNs of two WALs are unrelated, so each
// writer's checkpoint of a shard moves only with its own files.
func testCheckpointPerWriter(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	ctx := t.Context()
	tbl := mustCreate(t, c, "t")
	for _, f := range []struct {
		id, writer string
		lsn        uint64
	}{{"a1", "wa", 500}, {"b1", "wb", 3}, {"b2", "wb", 2}, {"c1", "", 9}} {
		g := sampleFile(tbl.ID, f.id, 0, 0, f.lsn)
		g.Writer = f.writer
		mustPublish(t, c, g)
	}
	for writer, want := range map[string]map[int64]uint64{"wa": {0: 500}, "wb": {0: 3}, "": {0: 9}, "wz": {}} {
		got, err := c.Checkpoints(ctx, writer, tbl.ID)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("checkpoints of writer %q = %v, %v; want %v", writer, got, err, want)
		}
	}
	// The writer is not part of the file's content: ListFiles leaves it
	// empty and publishing the same file again is still a no-op.
	g := sampleFile(tbl.ID, "a1", 0, 0, 500)
	g.Writer = "wa"
	mustPublish(t, c, g)
	if fs := mustFiles(t, c, tbl.ID); len(fs) != 4 {
		t.Errorf("files after a repeated publish: %d, want 4", len(fs))
	}
}

func testIdempotentPublish(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	ctx := t.Context()
	tbl := mustCreate(t, c, "t")
	f := sampleFile(tbl.ID, "content-1", 0, 10, 42)
	mustPublish(t, c, f)
	retry := *f
	retry.CreatedAt = f.CreatedAt.Add(time.Minute) // a retry may carry a later time
	for range 3 {
		if err := c.PublishFile(ctx, &retry); err != nil {
			t.Fatalf("re-publish of the same file: %v", err)
		}
	}
	fs := mustFiles(t, c, tbl.ID)
	if len(fs) != 1 || !reflect.DeepEqual(fs[0], f) {
		t.Fatalf("after re-publishing: files %+v, want exactly %+v", fs, f)
	}
	conflicts := []struct {
		name string
		edit func(*File)
	}{
		{"path", func(f *File) { f.Path += ".other" }},
		{"max lsn", func(f *File) { f.MaxLSN = 1000 }},
		{"rows", func(f *File) { f.Rows++ }},
		{"shard", func(f *File) { f.Shard = 3_600_000_000 }},
	}
	for _, tc := range conflicts {
		g := *f
		tc.edit(&g)
		if err := c.PublishFile(ctx, &g); !errors.Is(err, ErrExists) {
			t.Errorf("publish same ID, different %s: err = %v, want ErrExists", tc.name, err)
		}
	}
	// Same ID into another table conflicts too.
	other := mustCreate(t, c, "other")
	g := *f
	g.TableID = other.ID
	if err := c.PublishFile(ctx, &g); !errors.Is(err, ErrExists) {
		t.Errorf("publish same ID into another table: err = %v, want ErrExists", err)
	}
	if fs := mustFiles(t, c, tbl.ID); len(fs) != 1 || !reflect.DeepEqual(fs[0], f) {
		t.Errorf("conflicting publishes changed the files: %+v", fs)
	}
	if cp := mustCheckpoints(t, c, tbl.ID); !reflect.DeepEqual(cp, map[int64]uint64{0: 42}) {
		t.Errorf("checkpoints = %v, want {0: 42}", cp)
	}
	if cp := mustCheckpoints(t, c, other.ID); len(cp) != 0 {
		t.Errorf("rejected publish raised checkpoints of other table: %v", cp)
	}
}

func testPublishDroppedTable(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	ctx := t.Context()
	old := mustCreate(t, c, "t")
	f := sampleFile(old.ID, "f1", 0, 0, 5)
	mustPublish(t, c, f)
	if err := c.DropTable(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	if err := c.PublishFile(ctx, sampleFile(old.ID, "f2", 0, 0, 6)); !errors.Is(err, ErrNotFound) {
		t.Errorf("publish into dropped table: err = %v, want ErrNotFound", err)
	}
	if err := c.PublishFile(ctx, f); !errors.Is(err, ErrNotFound) {
		t.Errorf("re-publish of a file of a dropped table: err = %v, want ErrNotFound", err)
	}
	if _, err := c.ListFiles(ctx, old.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("ListFiles(dropped) err = %v, want ErrNotFound", err)
	}
	if _, err := c.Checkpoints(ctx, "", old.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Checkpoints(dropped) err = %v, want ErrNotFound", err)
	}
	// The name can be reused; the new table starts empty.
	tbl := mustCreate(t, c, "t")
	if fs := mustFiles(t, c, tbl.ID); len(fs) != 0 {
		t.Errorf("recreated table has files %v", fileIDs(fs))
	}
	if cp := mustCheckpoints(t, c, tbl.ID); len(cp) != 0 {
		t.Errorf("recreated table has checkpoints %v", cp)
	}
	// The old file's row is gone, so its ID is free again.
	g := *f
	g.TableID = tbl.ID
	mustPublish(t, c, &g)
	if ids := fileIDs(mustFiles(t, c, tbl.ID)); !slices.Equal(ids, []string{"f1"}) {
		t.Errorf("files = %v, want [f1]", ids)
	}
}

func testDropRemovesRows(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	ctx := t.Context()
	drop := mustCreate(t, c, "drop")
	keep := mustCreate(t, c, "keep")
	for i := range 5 {
		mustPublish(t, c, sampleFile(drop.ID, fmt.Sprintf("d%d", i), int64(i%2), 0, uint64(i)))
		mustPublish(t, c, sampleFile(keep.ID, fmt.Sprintf("k%d", i), int64(i%2), 0, uint64(i)))
	}
	if err := c.DropTable(ctx, "drop"); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"openwit_files", "openwit_checkpoints"} {
		if n := rawCount(t, c, `SELECT count(*) FROM `+table+` WHERE table_id = $1`, drop.ID); n != 0 {
			t.Errorf("%s still has %d rows of the dropped table", table, n)
		}
		if n := rawCount(t, c, `SELECT count(*) FROM `+table+` WHERE table_id = $1`, keep.ID); n == 0 {
			t.Errorf("%s lost the rows of the table that was kept", table)
		}
	}
	if n := len(mustFiles(t, c, keep.ID)); n != 5 {
		t.Errorf("kept table has %d files, want 5", n)
	}
}

func testConcurrentPublish(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	tbl := mustCreate(t, c, "t")
	const workers, perWorker, shards = 16, 8, 4
	shared := sampleFile(tbl.ID, "shared", 0, 0, 1)
	want := map[int64]uint64{0: 1}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range perWorker {
				lsn := uint64(w*perWorker + i + 1)
				shard := int64((w + i) % shards)
				f := sampleFile(tbl.ID, fmt.Sprintf("w%02d-%02d", w, i), shard, int64(i), lsn)
				if err := c.PublishFile(t.Context(), f); err != nil {
					t.Errorf("PublishFile(%s): %v", f.ID, err)
				}
				if i == perWorker/2 {
					// Everyone publishes the same file too.
					g := *shared
					if err := c.PublishFile(t.Context(), &g); err != nil {
						t.Errorf("PublishFile(shared): %v", err)
					}
				}
			}
		}()
		for i := range perWorker {
			shard := int64((w + i) % shards)
			want[shard] = max(want[shard], uint64(w*perWorker+i+1))
		}
	}
	close(start)
	wg.Wait()
	fs := mustFiles(t, c, tbl.ID)
	seen := map[string]int{}
	for _, f := range fs {
		seen[f.ID]++
	}
	if len(fs) != workers*perWorker+1 {
		t.Errorf("%d files listed, want %d", len(fs), workers*perWorker+1)
	}
	for w := range workers {
		for i := range perWorker {
			if id := fmt.Sprintf("w%02d-%02d", w, i); seen[id] != 1 {
				t.Errorf("file %s listed %d times, want once", id, seen[id])
			}
		}
	}
	if seen["shared"] != 1 {
		t.Errorf("shared file listed %d times, want once", seen["shared"])
	}
	if got := mustCheckpoints(t, c, tbl.ID); !reflect.DeepEqual(got, want) {
		t.Errorf("checkpoints = %v, want %v", got, want)
	}
}

// testPublishRacesDrop drops a table while publishers are busy with it:
// every publish either lands before the drop (and the drop removes it) or
// fails with ErrNotFound; no file or checkpoint row outlives the table.
func testPublishRacesDrop(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	ctx := t.Context()
	tbl := mustCreate(t, c, "t")
	const workers, maxTries, dropAfter = 8, 5000, 16
	var landed atomic.Int64
	dropNow := make(chan struct{})
	var signal sync.Once
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range maxTries {
				err := c.PublishFile(ctx, sampleFile(tbl.ID, fmt.Sprintf("w%d-%d", w, i), int64(w), 0, uint64(i)))
				switch {
				case err == nil:
					if landed.Add(1) >= dropAfter {
						signal.Do(func() { close(dropNow) })
					}
				case errors.Is(err, ErrNotFound):
					return // the table is gone: every later publish fails too
				default:
					t.Errorf("PublishFile: %v", err)
					return
				}
			}
			t.Errorf("worker %d: %d publishes and the table is still there", w, maxTries)
		}()
	}
	select {
	case <-dropNow:
	case <-ctx.Done():
		t.Fatal("test ended before the publishes landed")
	}
	if err := c.DropTable(ctx, "t"); err != nil {
		t.Errorf("DropTable: %v", err)
	}
	wg.Wait()
	t.Logf("%d publishes landed before the drop", landed.Load())
	for _, table := range []string{"openwit_files", "openwit_checkpoints"} {
		if n := rawCount(t, c, `SELECT count(*) FROM `+table+` WHERE table_id = $1`, tbl.ID); n != 0 {
			t.Errorf("%s has %d rows of the dropped table", table, n)
		}
	}
}

func testReopen(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	ctx := t.Context()
	a := mustCreate(t, c, "a")
	b := mustCreate(t, c, "b")
	mustCreate(t, c, "gone")
	for i := range 4 {
		mustPublish(t, c, sampleFile(a.ID, fmt.Sprintf("a%d", i), int64(i%2), int64(i), uint64(10+i)))
	}
	mustPublish(t, c, sampleFile(b.ID, "b0", 0, 0, 3))
	if err := c.DropTable(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	tablesBefore, err := c.ListTables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	filesBefore := mustFiles(t, c, a.ID)
	cpBefore := mustCheckpoints(t, c, a.ID)
	migBefore := appliedMigrations(t, c)
	if len(migBefore) != len(migrations()) {
		t.Fatalf("applied migrations %v, want %d", migBefore, len(migrations()))
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	c = open(t)
	tablesAfter, err := c.ListTables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tablesAfter, tablesBefore) {
		t.Errorf("tables after reopen = %+v, want %+v", tablesAfter, tablesBefore)
	}
	if got := mustFiles(t, c, a.ID); !reflect.DeepEqual(got, filesBefore) {
		t.Errorf("files after reopen = %+v, want %+v", got, filesBefore)
	}
	if got := mustCheckpoints(t, c, a.ID); !reflect.DeepEqual(got, cpBefore) {
		t.Errorf("checkpoints after reopen = %v, want %v", got, cpBefore)
	}
	if got := appliedMigrations(t, c); !slices.Equal(got, migBefore) {
		t.Errorf("migrations after reopen = %v, want unchanged %v", got, migBefore)
	}
	next := mustCreate(t, c, "next")
	if next.ID <= b.ID+1 { // "gone" had b.ID+1
		t.Errorf("table created after reopen got ID %d, want > %d", next.ID, b.ID+1)
	}
	// Publishing still works and is still idempotent across the reopen.
	mustPublish(t, c, sampleFile(a.ID, "a0", 0, 0, 10))
	if n := len(mustFiles(t, c, a.ID)); n != 4 {
		t.Errorf("%d files after re-publishing a0, want 4", n)
	}
}

func testSchemaVersionChecks(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	tests := []struct {
		name          string
		breakSQL, fix string
		fixArgs       []any
	}{
		{
			name:     "unknown newer version",
			breakSQL: `INSERT INTO openwit_schema_migrations (version, name, applied_at_us) VALUES (99, 'from the future', 0)`,
			fix:      `DELETE FROM openwit_schema_migrations WHERE version = 99`,
		},
		{
			name:     "edited migration name",
			breakSQL: `UPDATE openwit_schema_migrations SET name = 'edited' WHERE version = 1`,
			fix:      `UPDATE openwit_schema_migrations SET name = $1 WHERE version = 1`,
			fixArgs:  []any{migrations()[0].name},
		},
	}
	for _, tc := range tests {
		rawExec(t, c, tc.breakSQL)
		if c2, err := reopen(t, c); !errors.Is(err, ErrSchemaVersion) {
			t.Errorf("%s: Open err = %v, want ErrSchemaVersion", tc.name, err)
			if err == nil {
				c2.Close()
			}
		}
		rawExec(t, c, tc.fix, tc.fixArgs...)
		c2, err := reopen(t, c)
		if err != nil {
			t.Errorf("%s: Open after repair: %v", tc.name, err)
			continue
		}
		c2.Close()
	}
	if got := appliedMigrations(t, c); len(got) != len(migrations()) {
		t.Errorf("applied migrations %v, want %d", got, len(migrations()))
	}
}

func batchLog(t *testing.T, c Catalog) BatchLog {
	t.Helper()
	bl, err := AsBatchLog(c)
	if err != nil {
		t.Fatal(err)
	}
	return bl
}

func testBatchLog(t *testing.T, open func(t *testing.T) Catalog) {
	ctx := t.Context()
	c := open(t)
	bl := batchLog(t, c)
	tb, err := c.CreateTable(ctx, sampleTable("logs"))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.UnixMicro(1_700_000_000_000_000).UTC()
	b1 := Batch{ID: "n1:1", Node: "n1", TableID: tb.ID, LSN: 1, Rows: 10, Bytes: 100, ReceivedAt: t0}
	b2 := Batch{ID: "n1:2", Node: "n1", TableID: tb.ID, LSN: 2, Rows: 20, Bytes: 200, ReceivedAt: t0.Add(time.Second),
		WALWrittenAt: t0.Add(2 * time.Second)}
	if err := bl.RecordBatches(ctx, []Batch{b1, b2}); err != nil {
		t.Fatal(err)
	}
	// Later reports: b1 becomes durable and stored; a repeated report of
	// b2 with another WAL time keeps the first one.
	b1.WALWrittenAt, b1.StoredAt = t0.Add(3*time.Second), t0.Add(4*time.Second)
	b2late := b2
	b2late.WALWrittenAt = t0.Add(9 * time.Second)
	if err := bl.RecordBatches(ctx, []Batch{b1, b2late}); err != nil {
		t.Fatal(err)
	}
	got, err := bl.ListBatches(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []Batch{b2, b1} // most recent first
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ListBatches =\n%+v\nwant\n%+v", got, want)
	}
	if got[0].Stage() != StageWALWritten || got[1].Stage() != StageStored {
		t.Errorf("stages %s, %s; want wal_written, stored", got[0].Stage(), got[1].Stage())
	}
	if got, err := bl.ListBatches(ctx, 1); err != nil || len(got) != 1 || got[0].ID != "n1:2" {
		t.Errorf("ListBatches(1) = %+v, %v", got, err)
	}
	if err := bl.RecordBatches(ctx, []Batch{{ID: "", ReceivedAt: t0}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("batch without id: %v, want ErrInvalid", err)
	}
	if err := c.DropTable(ctx, "logs"); err != nil {
		t.Fatal(err)
	}
	if got, err := bl.ListBatches(ctx, 10); err != nil || len(got) != 0 {
		t.Errorf("batches after drop table: %+v, %v", got, err)
	}
}

func testBatchLogPrune(t *testing.T, open func(t *testing.T) Catalog) {
	ctx := t.Context()
	bl := batchLog(t, open(t))
	t0 := time.UnixMicro(1_700_000_000_000_000)
	var bs []Batch
	for i := range 10 {
		b := Batch{ID: fmt.Sprintf("n:%d", i+1), Node: "n", TableID: 1, LSN: uint64(i + 1), Rows: 1, Bytes: 1,
			ReceivedAt: t0.Add(time.Duration(i) * time.Minute), WALWrittenAt: t0.Add(time.Duration(i) * time.Minute)}
		if i != 2 { // batch 3 is stuck: never stored
			b.StoredAt = b.ReceivedAt.Add(time.Second)
		}
		bs = append(bs, b)
	}
	if err := bl.RecordBatches(ctx, bs); err != nil {
		t.Fatal(err)
	}
	ids := func() []string {
		got, err := bl.ListBatches(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, b := range got {
			out = append(out, b.ID)
		}
		return out
	}
	// By age: stored batches received before minute 5 (n:1..n:5) go; the
	// stuck one stays.
	n, err := bl.PruneBatches(ctx, t0.Add(5*time.Minute), 100)
	if err != nil || n != 4 {
		t.Fatalf("PruneBatches by age = %d, %v; want 4", n, err)
	}
	if got, want := ids(), []string{"n:10", "n:9", "n:8", "n:7", "n:6", "n:3"}; !slices.Equal(got, want) {
		t.Errorf("after prune by age: %v, want %v", got, want)
	}
	// By count: keep the 2 newest (and the stuck one).
	n, err = bl.PruneBatches(ctx, t0, 2)
	if err != nil || n != 3 {
		t.Fatalf("PruneBatches by count = %d, %v; want 3", n, err)
	}
	if got, want := ids(), []string{"n:10", "n:9", "n:3"}; !slices.Equal(got, want) {
		t.Errorf("after prune by count: %v, want %v", got, want)
	}
}

func testFence(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	f, ok := c.(Fencer)
	if !ok {
		t.Fatalf("%T does not implement Fencer", c)
	}
	ctx := t.Context()
	for _, step := range []struct {
		job   string
		token int64
		want  error
	}{
		{"gc", 10, nil},
		{"gc", 10, nil}, // a retry
		{"gc", 12, nil},
		{"gc", 11, ErrStaleToken},
		{"gc", 10, ErrStaleToken},
		{"compact", 11, nil}, // per job
		{"gc", 13, nil},
		{"", 1, ErrInvalid},
		{"gc", 0, ErrInvalid},
	} {
		if err := f.Fence(ctx, step.job, step.token); !errors.Is(err, step.want) || (step.want == nil) != (err == nil) {
			t.Errorf("Fence(%q, %d) = %v, want %v", step.job, step.token, err, step.want)
		}
	}
	// The fence survives a reopen.
	if err := open(t).(Fencer).Fence(ctx, "gc", 12); !errors.Is(err, ErrStaleToken) {
		t.Errorf("after reopen: %v, want ErrStaleToken", err)
	}
}
