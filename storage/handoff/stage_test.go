package handoff

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"openwit/storage"
	"openwit/storage/catalog"
	"openwit/storage/compact"
	"openwit/storage/objstore"
)

// kafkaID is the id a Kafka consumer gives the file of (table, shard)
// holding records first..next-1 of partition part.
func kafkaID(tableID, shard int64, part int32, first, next int64) string {
	return fmt.Sprintf("t%d-s%d-k0badcafe-p%d-o%d-%d", tableID, shard, part, first, next)
}

// offset returns the catalog's offset of partition part of g/top, or
// catalog.NoOffset.
func (f *fixture) offset(t *testing.T, part int32) int64 {
	t.Helper()
	o, err := f.cat.SourceOffsets(t.Context(), "g", "top")
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := o[part]; ok {
		return v
	}
	return catalog.NoOffset
}

func (f *fixture) rows(t *testing.T) int64 {
	t.Helper()
	var n int64
	for _, fl := range f.files(t) {
		n += fl.Rows
	}
	return n
}

// rawAction runs DoAction and returns its error.
func rawAction(t *testing.T, addr, typ string, body []byte) error {
	t.Helper()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	stream, err := flight.NewFlightServiceClient(cc).DoAction(t.Context(), &flight.Action{Type: typ, Body: body})
	if err != nil {
		return err
	}
	for {
		if _, err := stream.Recv(); err != nil {
			if err.Error() == "EOF" {
				return nil
			}
			return err
		}
	}
}

// TestStageThenPublishAt: staged files are uploaded (with their index
// artifacts) but not published; publish-at publishes them with the offset
// in one transaction; repeating it publishes nothing twice; a publish-at
// whose From is not the stored offset is refused (Aborted,
// catalog.ErrConflict) and publishes nothing.
func TestStageThenPublishAt(t *testing.T) {
	f := newFixture(t, nil)
	c := f.client(t, f.addr)
	ctx := t.Context()
	const hour = int64(3600e6)
	var staged []*catalog.File
	for _, shard := range []int64{0, hour} {
		id := kafkaID(f.tbl.ID, shard, 3, 10, 20)
		fl, err := c.Stage(ctx, f.tbl, shard, id, []arrow.RecordBatch{f.batch(t, 3, "a"), f.batch(t, 2, "b")})
		if err != nil {
			t.Fatal(err)
		}
		if fl.ID != id || fl.Rows != 5 || fl.Path != storage.FileKey(f.tbl.ID, shard, id) || fl.Index == nil {
			t.Fatalf("staged %+v, want %s with 5 rows and an index artifact", fl, id)
		}
		for _, key := range []string{fl.Path, fl.Index.Path} {
			if _, err := objstore.NewReaderAt(ctx, f.bucket, key); err != nil {
				t.Fatalf("staged object %s: %v", key, err)
			}
		}
		staged = append(staged, fl)
	}
	// Staging the same id again (a retry) writes the same object.
	again, err := c.Stage(ctx, f.tbl, 0, staged[0].ID, []arrow.RecordBatch{f.batch(t, 3, "a"), f.batch(t, 2, "b")})
	if err != nil || again.Bytes != staged[0].Bytes {
		t.Fatalf("stage again: %+v %v, want %d bytes", again, err, staged[0].Bytes)
	}
	if n := len(f.files(t)); n != 0 || f.offset(t, 3) != catalog.NoOffset {
		t.Fatalf("%d files published and offset %d after staging only", n, f.offset(t, 3))
	}

	d := catalog.OffsetDelta{Source: "g", Topic: "top", Partition: 3, From: catalog.NoOffset, To: 20}
	if err := c.PublishAt(ctx, staged, d); err != nil {
		t.Fatal(err)
	}
	if got, rows := len(f.files(t)), f.rows(t); got != 2 || rows != 10 || f.offset(t, 3) != 20 {
		t.Fatalf("after publish-at: %d files, %d rows, offset %d; want 2, 10, 20", got, rows, f.offset(t, 3))
	}
	// Indexed as hand-offs are: the artifacts are linked, nothing queued.
	for _, fl := range f.files(t) {
		if fl.Index == nil {
			t.Errorf("file %s published without its index artifact", fl.ID)
		}
	}
	if q, err := f.cat.IndexQueueDepth(ctx); err != nil || q != 0 {
		t.Errorf("index queue depth %d (%v), want 0", q, err)
	}
	// The same publish again (the answer was lost): a no-op.
	if err := c.PublishAt(ctx, staged, d); err != nil {
		t.Fatalf("repeated publish-at: %v", err)
	}
	if got, rows := len(f.files(t)), f.rows(t); got != 2 || rows != 10 {
		t.Fatalf("after a repeated publish-at: %d files, %d rows; want 2, 10", got, rows)
	}

	// A stale owner: its From (15) is not the stored offset (20).
	id := kafkaID(f.tbl.ID, 0, 3, 20, 30)
	next, err := c.Stage(ctx, f.tbl, 0, id, []arrow.RecordBatch{f.batch(t, 4, "c")})
	if err != nil {
		t.Fatal(err)
	}
	stale := catalog.OffsetDelta{Source: "g", Topic: "top", Partition: 3, From: 15, To: 30}
	if err := c.PublishAt(ctx, []*catalog.File{next}, stale); !errors.Is(err, catalog.ErrConflict) {
		t.Fatalf("publish-at from a stale offset: %v, want catalog.ErrConflict", err)
	}
	body, _ := json.Marshal(&PublishAtRequest{V: PublishAtVersion, Offset: stale, Files: []*catalog.File{next}})
	if err := rawAction(t, f.addr, ActionPublishAt, body); status.Code(err) != codes.Aborted {
		t.Fatalf("publish-at from a stale offset: %v, want Aborted", err)
	}
	if got, rows := len(f.files(t)), f.rows(t); got != 2 || rows != 10 || f.offset(t, 3) != 20 {
		t.Fatalf("after refused publish-ats: %d files, %d rows, offset %d; want 2, 10, 20", got, rows, f.offset(t, 3))
	}
	// The owner continues from the stored offset.
	if err := c.PublishAt(ctx, []*catalog.File{next}, catalog.OffsetDelta{Source: "g", Topic: "top", Partition: 3, From: 20, To: 30}); err != nil {
		t.Fatal(err)
	}
	if got, rows := len(f.files(t)), f.rows(t); got != 3 || rows != 14 || f.offset(t, 3) != 30 {
		t.Fatalf("after the next publish-at: %d files, %d rows, offset %d; want 3, 14, 30", got, rows, f.offset(t, 3))
	}
}

// TestStagedOrphansCollected: a staged file never published is an orphan
// that the garbage job deletes after the grace; a publish-at of it then
// (or of one staged too long ago) fails FailedPrecondition
// (storage.ErrStaleUpload) and publishes nothing.
func TestStagedOrphansCollected(t *testing.T) {
	f := newFixture(t, nil)
	c := f.client(t, f.addr)
	ctx := t.Context()
	orphan, err := c.Stage(ctx, f.tbl, 0, kafkaID(f.tbl.ID, 0, 0, 0, 5), []arrow.RecordBatch{f.batch(t, 5, "o")})
	if err != nil {
		t.Fatal(err)
	}
	grace := time.Hour
	young, err := compact.New(compact.Config{Catalog: f.cat, Bucket: f.bucket, Grace: grace})
	if err != nil {
		t.Fatal(err)
	}
	if err := young.Collect(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := objstore.NewReaderAt(ctx, f.bucket, orphan.Path); err != nil {
		t.Fatalf("a young staged object was collected: %v", err)
	}
	// Staged too long ago: half the grace is the most a publish may wait.
	f.pub.MaxUploadAge = grace / 2
	old := time.Now().Add(-grace/2 - time.Minute)
	if err := os.Chtimes(filepath.Join(f.dir, "objects", orphan.Path), old, old); err != nil {
		t.Fatal(err)
	}
	d := catalog.OffsetDelta{Source: "g", Topic: "top", Partition: 0, From: catalog.NoOffset, To: 5}
	if err := c.PublishAt(ctx, []*catalog.File{orphan}, d); !errors.Is(err, storage.ErrStaleUpload) {
		t.Fatalf("publish-at of an old staged file: %v, want storage.ErrStaleUpload", err)
	}
	later, err := compact.New(compact.Config{Catalog: f.cat, Bucket: f.bucket, Grace: grace, Now: func() time.Time { return time.Now().Add(2 * grace) }})
	if err != nil {
		t.Fatal(err)
	}
	if err := later.Collect(ctx); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{orphan.Path, orphan.Index.Path} {
		if _, err := objstore.NewReaderAt(ctx, f.bucket, key); !errors.Is(err, objstore.ErrNotFound) {
			t.Fatalf("staged object %s after the grace: %v, want it collected", key, err)
		}
	}
	body, _ := json.Marshal(&PublishAtRequest{V: PublishAtVersion, Offset: d, Files: []*catalog.File{orphan}})
	if err := rawAction(t, f.addr, ActionPublishAt, body); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("publish-at of a collected file: %v, want FailedPrecondition", err)
	}
	if n := len(f.files(t)); n != 0 || f.offset(t, 0) != catalog.NoOffset {
		t.Fatalf("%d files and offset %d after refused publish-ats", n, f.offset(t, 0))
	}
	// Staged again (as the consumer's retry does), it publishes.
	if orphan, err = c.Stage(ctx, f.tbl, 0, orphan.ID, []arrow.RecordBatch{f.batch(t, 5, "o")}); err != nil {
		t.Fatal(err)
	}
	if err := c.PublishAt(ctx, []*catalog.File{orphan}, d); err != nil {
		t.Fatal(err)
	}
	if f.rows(t) != 5 || f.offset(t, 0) != 5 {
		t.Fatalf("%d rows, offset %d; want 5, 5", f.rows(t), f.offset(t, 0))
	}
}

// TestStageOlderTableVersion: a consumer that has not seen a column
// another node added stages files without it (readers fill NULL); more
// columns than the table has, or a NOT NULL column missing, is refused.
func TestStageOlderTableVersion(t *testing.T) {
	f := newFixture(t, nil)
	c := f.client(t, f.addr)
	ctx := t.Context()
	if _, err := f.cat.AddColumns(ctx, "logs", []catalog.Column{{Name: "extra", Type: storage.TypeInt8}}); err != nil {
		t.Fatal(err)
	}
	fl, err := c.Stage(ctx, f.tbl, 0, kafkaID(f.tbl.ID, 0, 1, 0, 2), []arrow.RecordBatch{f.batch(t, 2, "x")})
	if err != nil {
		t.Fatalf("stage with the table as it was: %v", err)
	}
	if err := c.PublishAt(ctx, []*catalog.File{fl}, catalog.OffsetDelta{Source: "g", Topic: "top", Partition: 1, From: catalog.NoOffset, To: 2}); err != nil {
		t.Fatal(err)
	}
	if f.rows(t) != 2 {
		t.Fatalf("%d rows, want 2", f.rows(t))
	}
	// A prefix that drops a NOT NULL column is not an older version.
	full := *f.tbl
	full.Columns = append(full.Columns[:2:2], catalog.Column{Name: "z", Type: storage.TypeText, NotNull: true})
	if got := asOf(&full, 2); got != &full {
		t.Errorf("asOf dropped a NOT NULL column: %+v", got.Columns)
	}
}

func TestStageBadInput(t *testing.T) {
	f := newFixture(t, nil)
	enc := func(d Descriptor) []byte {
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	good := Descriptor{V: StageVersion, Kind: KindStage, TableID: f.tbl.ID, Table: "logs", Schema: SchemaID(f.tbl), File: kafkaID(f.tbl.ID, 0, 0, 0, 1)}
	with := func(change func(d *Descriptor)) []byte {
		d := good
		change(&d)
		return enc(d)
	}
	for _, tc := range []struct {
		name string
		cmd  []byte
		code codes.Code
	}{
		{"a WAL file id", with(func(d *Descriptor) { d.File = fmt.Sprintf("t%d-s0-wabc-l5", f.tbl.ID) }), codes.InvalidArgument},
		{"another table's id", with(func(d *Descriptor) { d.File = kafkaID(f.tbl.ID+1, 0, 0, 0, 1) }), codes.InvalidArgument},
		{"another shard's id", with(func(d *Descriptor) { d.File = kafkaID(f.tbl.ID, 3600e6, 0, 0, 1) }), codes.InvalidArgument},
		{"escaping the object key", with(func(d *Descriptor) { d.File = fmt.Sprintf("t%d-s0-k0badcafe-p0-o0-1/../../x", f.tbl.ID) }), codes.InvalidArgument},
		{"empty range", with(func(d *Descriptor) { d.File = kafkaID(f.tbl.ID, 0, 0, 5, 5) }), codes.InvalidArgument},
		{"leading zero", with(func(d *Descriptor) { d.File = fmt.Sprintf("t%d-s0-k0badcafe-p0-o00-1", f.tbl.ID) }), codes.InvalidArgument},
		{"no file", with(func(d *Descriptor) { d.File = "" }), codes.InvalidArgument},
		{"a writer", with(func(d *Descriptor) { d.Writer = "w1" }), codes.InvalidArgument},
		{"unknown kind", with(func(d *Descriptor) { d.Kind = "compact" }), codes.InvalidArgument},
		{"kind in version 1", with(func(d *Descriptor) { d.V = Version }), codes.InvalidArgument},
		{"a hand-off naming a file", with(func(d *Descriptor) { d.Kind, d.Writer, d.MaxLSN = KindHandoff, "w1", 3 }), codes.InvalidArgument},
		{"future version", with(func(d *Descriptor) { d.V = StageVersion + 1 }), codes.Unimplemented},
		{"schema id mismatch", with(func(d *Descriptor) { d.Schema = "0123456789abcdef01234567" }), codes.InvalidArgument},
		{"dropped table", with(func(d *Descriptor) { d.TableID, d.Table, d.File = 999, "gone", kafkaID(999, 0, 0, 0, 1) }), codes.NotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := rawPut(t, f.addr, tc.cmd, f.batch(t, 1, "x")); status.Code(err) != tc.code {
				t.Fatalf("got %v, want %v", err, tc.code)
			}
		})
	}
	// A version 2 hand-off is a hand-off.
	v2 := Descriptor{V: StageVersion, Kind: KindHandoff, Writer: "w1", TableID: f.tbl.ID, Table: "logs", Schema: SchemaID(f.tbl), MaxLSN: 4}
	if err := rawPut(t, f.addr, enc(v2), f.batch(t, 1, "x")); err != nil {
		t.Fatalf("version 2 hand-off: %v", err)
	}
	if n := len(f.files(t)); n != 1 {
		t.Fatalf("%d files, want the hand-off's 1", n)
	}

	staged, err := f.client(t, f.addr).Stage(t.Context(), f.tbl, 0, kafkaID(f.tbl.ID, 0, 2, 7, 9), []arrow.RecordBatch{f.batch(t, 2, "s")})
	if err != nil {
		t.Fatal(err)
	}
	d := catalog.OffsetDelta{Source: "g", Topic: "top", Partition: 2, From: catalog.NoOffset, To: 9}
	req := func(change func(r *PublishAtRequest)) []byte {
		fl := *staged
		r := PublishAtRequest{V: PublishAtVersion, Offset: d, Files: []*catalog.File{&fl}}
		change(&r)
		b, err := json.Marshal(&r)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		typ  string
		body []byte
		code codes.Code
	}{
		{"unknown action", "drop-everything", req(func(*PublishAtRequest) {}), codes.Unimplemented},
		{"garbage", ActionPublishAt, []byte("{nope"), codes.InvalidArgument},
		{"empty", ActionPublishAt, nil, codes.InvalidArgument},
		{"unknown field", ActionPublishAt, []byte(`{"v":1,"offset":{},"files":[],"evil":1}`), codes.InvalidArgument},
		{"future version", ActionPublishAt, req(func(r *PublishAtRequest) { r.V = 2 }), codes.Unimplemented},
		{"another partition's file", ActionPublishAt, req(func(r *PublishAtRequest) { r.Offset.Partition = 1 }), codes.InvalidArgument},
		{"a file ending elsewhere", ActionPublishAt, req(func(r *PublishAtRequest) { r.Offset.To = 10 }), codes.InvalidArgument},
		{"path not its key", ActionPublishAt, req(func(r *PublishAtRequest) { r.Files[0].Path = "tables/1/shard=0/other.parquet" }), codes.InvalidArgument},
		{"index not its key", ActionPublishAt, req(func(r *PublishAtRequest) {
			r.Files[0].Index = &catalog.IndexArtifact{Path: "tables/1/x.idx"}
		}), codes.InvalidArgument},
		{"a WAL writer", ActionPublishAt, req(func(r *PublishAtRequest) { r.Files[0].Writer = "w1" }), codes.InvalidArgument},
		{"a null file", ActionPublishAt, req(func(r *PublishAtRequest) { r.Files[0] = nil }), codes.InvalidArgument},
		{"bad delta", ActionPublishAt, req(func(r *PublishAtRequest) { r.Offset.Source = "" }), codes.InvalidArgument},
		{"a file never staged", ActionPublishAt, req(func(r *PublishAtRequest) {
			id := kafkaID(f.tbl.ID, 0, 2, 8, 9)
			r.Files[0].ID, r.Files[0].Path, r.Files[0].Index = id, storage.FileKey(f.tbl.ID, 0, id), nil
		}), codes.FailedPrecondition},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := rawAction(t, f.addr, tc.typ, tc.body); status.Code(err) != tc.code {
				t.Fatalf("got %v, want %v", err, tc.code)
			}
			if n := len(f.files(t)); n != 1 || f.offset(t, 2) != catalog.NoOffset {
				t.Fatalf("%d files, offset %d after a refused publish-at", n, f.offset(t, 2))
			}
		})
	}
	if err := rawAction(t, f.addr, ActionPublishAt, req(func(*PublishAtRequest) {})); err != nil {
		t.Fatalf("the good request: %v", err)
	}
	if f.offset(t, 2) != 9 {
		t.Fatalf("offset %d, want 9", f.offset(t, 2))
	}
}

func TestValidStageID(t *testing.T) {
	for id, want := range map[string]bool{
		"t7-s0-k0badcafe-p0-o0-1":                                              true,
		"t7-s3600000000-k0123abcd-p2147483647-o5-9":                            false, // another shard
		"t7-s0-k0123abcd-p2147483647-o9223372036854775806-9223372036854775807": true,
		"t7-s0-k0123abcd-p2147483648-o0-1":                                     false, // partition over int32
		"t7-s0-k0123abcd-p0-o0-9223372036854775808":                            false, // over int64
		"t7-s0-k0BADCAFE-p0-o0-1":                                              false, // upper-case hex
		"t7-s0-k0badcaf-p0-o0-1":                                               false, // 7 digits
		"t7-s0-k0badcafe-p-1-o0-1":                                             false,
		"t7-s0-k0badcafe-p0-o1-0":                                              false,
		"t7-s0-k0badcafe-p0-o0-1-":                                             false,
		"t7-s0-k0badcafe-p0-o0-1.parquet":                                      false,
		"t7-s0-wabc-l1":                                                        false,
		"t70-s0-k0badcafe-p0-o0-1":                                             false,
		"":                                                                     false,
	} {
		if got := ValidStageID(id, 7, 0); got != want {
			t.Errorf("ValidStageID(%q) = %v, want %v", id, got, want)
		}
	}
}

func FuzzDecodePublishAt(f *testing.F) {
	f.Add([]byte(`{"v":1,"offset":{"Source":"g","Topic":"t","Partition":0,"From":-1,"To":1},"files":[]}`))
	f.Add([]byte(`{"v":1,"offset":{},"files":[null]}`))
	f.Add([]byte(`{"v":1,"offset":{"Partition":0,"To":1},"files":[{"ID":"t1-s0-k0badcafe-p0-o0-1","TableID":1,"Path":"tables/1/shard=0/t1-s0-k0badcafe-p0-o0-1.parquet"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodePublishAt(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrVersion) {
				t.Fatalf("error %v is neither ErrInvalid nor ErrVersion", err)
			}
			return
		}
		for _, fl := range r.Files {
			if !ValidStageID(fl.ID, fl.TableID, fl.Shard) || fl.Path != storage.FileKey(fl.TableID, fl.Shard, fl.ID) {
				t.Fatalf("accepted file %+v", fl)
			}
		}
	})
}
