package handoff

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	dto "github.com/prometheus/client_model/go"

	"openwit/internal/retry"
	"openwit/internal/testcert"
	"openwit/internal/testlocal"
	"openwit/storage"
	"openwit/storage/catalog"
	"openwit/storage/objstore"
)

// fixture is a SQLite catalog, a local object store, a table and one
// storage service over them listening on loopback.
type fixture struct {
	cat    catalog.Catalog
	bucket objstore.Bucket
	tbl    *catalog.Table
	schema *arrow.Schema
	addr   string
	srv    *Server
	pub    *storage.Publisher // the server's
	dir    string             // the bucket is dir/objects
	mem    *memory.CheckedAllocator
}

func newFixture(t *testing.T, tlsOn *testcert.Set) *fixture {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	cat, bucket := testlocal.Store(t, dir)
	tbl, err := cat.CreateTable(ctx, &catalog.Table{Name: "logs", TimeColumn: "ts", ShardDuration: time.Hour,
		Columns: []catalog.Column{{Name: "ts", Type: storage.TypeTimestampTZ, NotNull: true}, {Name: "msg", Type: storage.TypeText}}})
	if err != nil {
		t.Fatal(err)
	}
	schema, err := storage.ArrowSchema(tbl)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{cat: cat, bucket: bucket, tbl: tbl, schema: schema, dir: dir, mem: memory.NewCheckedAllocator(memory.DefaultAllocator),
		pub: &storage.Publisher{Bucket: bucket, Catalog: cat}}
	cfg := Config{Publisher: f.pub, Catalog: cat, Mem: f.mem, MaxBytes: 1 << 20}
	if tlsOn != nil {
		cfg.TLS = tlsOn.MutualServerConfig()
	}
	if f.srv, err = NewServer(cfg); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.addr = l.Addr().String()
	go f.srv.Serve(context.Background(), l)
	t.Cleanup(func() {
		f.srv.Shutdown(context.Background())
		f.mem.AssertSize(t, 0)
	})
	return f
}

func (f *fixture) batch(t *testing.T, n int, text string) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(memory.DefaultAllocator, f.schema)
	defer b.Release()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	for i := range n {
		b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(base + int64(i)))
		b.Field(1).(*array.StringBuilder).Append(text)
	}
	r := b.NewRecordBatch()
	t.Cleanup(r.Release)
	return r
}

func (f *fixture) files(t *testing.T) []*catalog.File {
	t.Helper()
	fs, err := f.cat.ListFiles(t.Context(), f.tbl.ID)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func (f *fixture) client(t *testing.T, nodes ...string) *Client {
	t.Helper()
	c, err := NewClient(ClientConfig{Nodes: func() []string { return nodes },
		Retry: retry.Policy{Attempts: 2, Base: time.Millisecond, Max: 5 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestHandoffPublishesOnceAndIsIdempotent(t *testing.T) {
	f := newFixture(t, nil)
	c := f.client(t, f.addr)
	ctx := t.Context()
	batches := []arrow.RecordBatch{f.batch(t, 3, "a"), f.batch(t, 2, "b")}
	got, err := c.Publish(ctx, "w1", f.tbl, 0, batches, 7)
	if err != nil {
		t.Fatal(err)
	}
	if got == nil || got.Rows != 5 || got.MaxLSN != 7 || got.TableID != f.tbl.ID {
		t.Fatalf("published %+v, want 5 rows at lsn 7", got)
	}
	files := f.files(t)
	if len(files) != 1 || files[0].ID != got.ID || files[0].Rows != 5 {
		t.Fatalf("catalog holds %+v, want the one file %s", files, got.ID)
	}
	// The same hand-off again (a retry after a lost answer) publishes
	// nothing new and answers with the same file.
	again, err := c.Publish(ctx, "w1", f.tbl, 0, batches, 7)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != got.ID || len(f.files(t)) != 1 {
		t.Fatalf("repeated hand-off: %+v and %d files, want %s alone", again, len(f.files(t)), got.ID)
	}
}

func TestHandoffFailsOverToTheNextNode(t *testing.T) {
	f := newFixture(t, nil)
	// A node that refuses connections ranks first for some keys: every
	// shard must still end up published by the live one.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	c := f.client(t, dead, f.addr)
	// The ranking depends on the ports the two nodes got: publish shards
	// until the dead node ranked first for at least two (at least 8 shards;
	// 64 at most, where a 50/50 ranking misses with odds of 2^-58).
	deadFirst, shards := 0, int64(0)
	for ; shards < 64 && (shards < 8 || deadFirst < 2); shards++ {
		d := Descriptor{TableID: f.tbl.ID, Shard: shards * 3600e6}
		if Rank(d.Key(), []string{dead, f.addr})[0] == dead {
			deadFirst++
		}
		if _, err := c.Publish(t.Context(), "w1", f.tbl, shards*3600e6, []arrow.RecordBatch{f.batch(t, 1, "x")}, uint64(shards+1)); err != nil {
			t.Fatalf("shard %d: %v", shards, err)
		}
	}
	if deadFirst == 0 {
		t.Fatal("the dead node owns no shard: the test proves nothing")
	}
	if n := len(f.files(t)); int64(n) != shards {
		t.Fatalf("%d files, want %d", n, shards)
	}
	if v := counterValue(c.failovers); v != float64(deadFirst) {
		t.Fatalf("%v failovers, want %d", v, deadFirst)
	}
}

func TestHandoffDroppedTableIsNotFound(t *testing.T) {
	f := newFixture(t, nil)
	c := f.client(t, f.addr)
	if err := f.cat.DropTable(t.Context(), "logs"); err != nil {
		t.Fatal(err)
	}
	_, err := c.Publish(t.Context(), "w1", f.tbl, 0, []arrow.RecordBatch{f.batch(t, 1, "x")}, 1)
	if !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("hand-off to a dropped table: %v, want catalog.ErrNotFound", err)
	}
	// A table of the same name created again is another table.
	if _, err := f.cat.CreateTable(t.Context(), &catalog.Table{Name: "logs", TimeColumn: "ts", Columns: f.tbl.Columns}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Publish(t.Context(), "w1", f.tbl, 0, []arrow.RecordBatch{f.batch(t, 1, "x")}, 1); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("hand-off to a recreated table: %v, want catalog.ErrNotFound", err)
	}
}

// rawPut sends a DoPut with the given descriptor bytes and batches and
// returns the call's error.
func rawPut(t *testing.T, addr string, cmd []byte, batches ...arrow.RecordBatch) error {
	t.Helper()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	stream, err := flight.NewFlightServiceClient(cc).DoPut(t.Context())
	if err != nil {
		return err
	}
	w := flight.NewRecordWriter(stream, ipc.WithSchema(batches[0].Schema()))
	if cmd != nil {
		w.SetFlightDescriptor(&flight.FlightDescriptor{Type: flight.DescriptorCMD, Cmd: cmd})
	}
	for _, b := range batches {
		if err := w.Write(b); err != nil {
			break
		}
	}
	w.Close()
	stream.CloseSend()
	for {
		if _, err := stream.Recv(); err != nil {
			if err.Error() == "EOF" {
				return nil
			}
			return err
		}
	}
}

func TestHandoffBadInput(t *testing.T) {
	f := newFixture(t, nil)
	good := Descriptor{V: Version, Writer: "w1", TableID: f.tbl.ID, Table: "logs", Schema: SchemaID(f.tbl), Shard: 0, MaxLSN: 3}
	enc := func(d Descriptor) []byte {
		b, err := d.Encode()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	wrongSchema := arrow.NewSchema([]arrow.Field{{Name: "ts", Type: arrow.FixedWidthTypes.Timestamp_us}, {Name: "msg", Type: arrow.PrimitiveTypes.Int64}}, nil)
	ib := array.NewRecordBuilder(memory.DefaultAllocator, wrongSchema)
	ib.Field(0).(*array.TimestampBuilder).Append(1)
	ib.Field(1).(*array.Int64Builder).Append(1)
	wrong := ib.NewRecordBatch()
	ib.Release()
	defer wrong.Release()
	otherSchema := good
	otherSchema.Schema = "0123456789abcdef01234567"
	v3 := good
	v3.V = StageVersion + 1
	big := f.batch(t, 40000, strings.Repeat("x", 40)) // over the 1 MiB limit
	for _, tc := range []struct {
		name    string
		cmd     []byte
		batches []arrow.RecordBatch
		code    codes.Code
	}{
		{"no descriptor", nil, []arrow.RecordBatch{f.batch(t, 1, "x")}, codes.InvalidArgument},
		{"garbage descriptor", []byte("{not json"), []arrow.RecordBatch{f.batch(t, 1, "x")}, codes.InvalidArgument},
		{"unknown field", []byte(`{"v":1,"writer":"w","table_id":1,"table":"logs","schema":"s","max_lsn":1,"evil":1}`), []arrow.RecordBatch{f.batch(t, 1, "x")}, codes.InvalidArgument},
		{"writer escaping the object key", enc(Descriptor{V: Version, Writer: "../../x", TableID: f.tbl.ID, Table: "logs", Schema: SchemaID(f.tbl), MaxLSN: 1}), []arrow.RecordBatch{f.batch(t, 1, "x")}, codes.InvalidArgument},
		{"future version", enc(v3), []arrow.RecordBatch{f.batch(t, 1, "x")}, codes.Unimplemented},
		{"schema id mismatch", enc(otherSchema), []arrow.RecordBatch{f.batch(t, 1, "x")}, codes.InvalidArgument},
		{"wrong column type", enc(good), []arrow.RecordBatch{wrong}, codes.InvalidArgument},
		{"oversized", enc(good), []arrow.RecordBatch{big}, codes.InvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := rawPut(t, f.addr, tc.cmd, tc.batches...)
			if status.Code(err) != tc.code {
				t.Fatalf("got %v, want %v", err, tc.code)
			}
			if n := len(f.files(t)); n != 0 {
				t.Fatalf("%d files published after a refused hand-off", n)
			}
		})
	}
	// The client maps a refusal to ErrInvalid and does not fail over.
	c := f.client(t, f.addr)
	bad := *f.tbl
	bad.Columns = []catalog.Column{{Name: "ts", Type: storage.TypeTimestampTZ, NotNull: true}, {Name: "msg", Type: "int8"}}
	if _, err := c.Publish(t.Context(), "w1", &bad, 0, []arrow.RecordBatch{wrong}, 9); !errors.Is(err, ErrInvalid) {
		t.Fatalf("client, wrong schema: %v, want ErrInvalid", err)
	}
	// The service still works.
	if _, err := c.Publish(t.Context(), "w1", f.tbl, 0, []arrow.RecordBatch{f.batch(t, 2, "ok")}, 10); err != nil {
		t.Fatal(err)
	}
}

func TestHandoffMutualTLS(t *testing.T) {
	certs := testcert.New(t)
	f := newFixture(t, certs)
	c, err := NewClient(ClientConfig{Nodes: func() []string { return []string{f.addr} },
		TLS: certs.MutualClientConfig(), Retry: retry.Policy{Attempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Publish(t.Context(), "w1", f.tbl, 0, []arrow.RecordBatch{f.batch(t, 1, "x")}, 1); err != nil {
		t.Fatalf("with a client certificate: %v", err)
	}
	plain := f.client(t, f.addr)
	if _, err := plain.Publish(t.Context(), "w1", f.tbl, 0, []arrow.RecordBatch{f.batch(t, 1, "y")}, 2); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("plain text against mutual TLS: %v, want ErrUnavailable", err)
	}
	if n := len(f.files(t)); n != 1 {
		t.Fatalf("%d files, want 1", n)
	}
}

func FuzzDecodeDescriptor(f *testing.F) {
	f.Add([]byte(`{"v":1,"writer":"w","table_id":1,"table":"t","schema":"s","shard":0,"max_lsn":1}`))
	f.Add([]byte(`{"v":2}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeDescriptor(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrVersion) {
				t.Fatalf("error %v is neither ErrInvalid nor ErrVersion", err)
			}
			return
		}
		if _, err := d.Encode(); err != nil {
			t.Fatalf("a decoded descriptor does not encode: %v", err)
		}
	})
}

func counterValue(c interface{ Write(*dto.Metric) error }) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}
