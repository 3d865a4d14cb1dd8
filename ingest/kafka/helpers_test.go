package kafka

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"openwit/internal/retry"
	"openwit/storage"
	"openwit/storage/catalog"
	"openwit/storage/handoff"
	"openwit/storage/objstore"
	"openwit/storage/pqfile"
)

// env is a kfake cluster, an SQLite catalog and a local object store.
type env struct {
	t       testing.TB
	brokers []string
	cat     catalog.Catalog
	bucket  *objstore.Local
	dir     string // bucket is dir/objects
	// pub, when set (viaStorage), is the consumers' publisher: a storage
	// service's client; the consumers get no object store.
	pub Publisher
}

func newEnv(t testing.TB, partitions int32, topics ...string) *env {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topics...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	dir := t.TempDir()
	cat, err := catalog.OpenSQLite(context.Background(), dir+"/catalog.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close() })
	b, err := objstore.NewLocal(dir + "/objects")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return &env{t: t, brokers: c.ListenAddrs(), cat: cat, bucket: b, dir: dir}
}

// viaStorage starts a storage service (storage/handoff) over the env's
// catalog and object store and makes the consumers publish through it: they
// stage their files there and publish them there with their offsets. The
// service builds index artifacts unless deferIndex. It returns the
// service's metrics.
func (e *env) viaStorage(deferIndex bool) *prometheus.Registry {
	e.t.Helper()
	reg := prometheus.NewRegistry()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	e.serveStorage(l, deferIndex, reg)
	e.storageClient(l.Addr().String())
	return reg
}

// serveStorage serves a storage service over the env's catalog and object
// store on l until the test ends.
func (e *env) serveStorage(l net.Listener, deferIndex bool, reg prometheus.Registerer) {
	e.t.Helper()
	pub := &storage.Publisher{Bucket: e.bucket, Catalog: e.cat, DeferIndex: deferIndex}
	srv, err := handoff.NewServer(handoff.Config{Publisher: pub, Catalog: e.cat, Registerer: reg})
	if err != nil {
		e.t.Fatal(err)
	}
	go srv.Serve(context.Background(), l)
	e.t.Cleanup(func() { srv.Shutdown(context.Background()) })
}

// storageClient makes the consumers publish through the storage service
// at addr.
func (e *env) storageClient(addr string) {
	e.t.Helper()
	c, err := handoff.NewClient(handoff.ClientConfig{Nodes: func() []string { return []string{addr} },
		Retry: retry.Policy{Attempts: 3, Base: time.Millisecond, Max: 10 * time.Millisecond}})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	e.pub = c
}

// logsTable is the table the tests consume into.
func (e *env) createLogs(name string) *catalog.Table {
	e.t.Helper()
	t, err := e.cat.CreateTable(context.Background(), &catalog.Table{
		Name: name,
		Columns: []catalog.Column{
			{Name: "ts", Type: "timestamptz", NotNull: true},
			{Name: "key", Type: "int8", NotNull: true},
			{Name: "service", Type: "text"},
			{Name: "status", Type: "int4"},
			{Name: "latency", Type: "float8"},
			{Name: "ok", Type: "bool"},
			{Name: "attrs", Type: "jsonb"},
		},
		TimeColumn: "ts", ShardDuration: time.Hour,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return t
}

// produce writes values to topic, spread over partitions by key.
func (e *env) produce(topic string, values [][]byte) {
	e.t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.brokers...), kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	if err != nil {
		e.t.Fatal(err)
	}
	defer cl.Close()
	const batch = 5000
	for i := 0; i < len(values); i += batch {
		var rs []*kgo.Record
		for _, v := range values[i:min(i+batch, len(values))] {
			rs = append(rs, &kgo.Record{Value: v})
		}
		if err := cl.ProduceSync(context.Background(), rs...).FirstErr(); err != nil {
			e.t.Fatal(err)
		}
	}
}

// logRecord is a valid record of the logs table with key k.
func logRecord(k int) []byte {
	// Epoch milliseconds in 2024, a few per second.
	ms := int64(1_717_000_000_000) + int64(k)*250
	return fmt.Appendf(nil, `{"ts":%d,"key":%d,"service":"svc-%d","status":%d,"latency":%d.5,"ok":%t,"attrs":{"k":[%d]}}`,
		ms, k, k%7, 200+k%3, k%100, k%2 == 0, k)
}

func (e *env) consumer(group string, reg prometheus.Registerer, topics ...Topic) *Consumer {
	e.t.Helper()
	cfg := DefaultConfig()
	cfg.Brokers, cfg.Group, cfg.Topics = e.brokers, group, topics
	cfg.Catalog, cfg.Bucket, cfg.Registerer = e.cat, e.bucket, reg
	if e.pub != nil {
		cfg.Bucket, cfg.Publisher = nil, e.pub
	}
	cfg.CommitInterval = 200 * time.Millisecond
	cfg.ClientOptions = []kgo.Opt{kgo.SessionTimeout(6 * time.Second), kgo.HeartbeatInterval(500 * time.Millisecond)}
	c, err := New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// run starts c and returns a function that stops it and waits.
func run(t testing.TB, c *Consumer) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var stopped bool
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil && err != context.Canceled {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(60 * time.Second):
			t.Errorf("consumer did not stop")
		}
	}
	t.Cleanup(stop)
	return stop
}

// waitOffsets waits until the catalog's offsets of (group, topic) add up
// to n.
func (e *env) waitOffsets(group, topic string, n int64) {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var sum int64
	for time.Now().Before(deadline) {
		o, err := e.cat.SourceOffsets(context.Background(), group, topic)
		if err != nil {
			e.t.Fatal(err)
		}
		sum = 0
		for _, v := range o {
			sum += v
		}
		if sum == n {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatalf("offsets of %s/%s add up to %d, want %d", group, topic, sum, n)
}

// column reads one column of every published file of a table as strings
// (ints formatted with %d).
func (e *env) column(table, col string) []string {
	e.t.Helper()
	ctx := context.Background()
	t, err := e.cat.GetTable(ctx, table)
	if err != nil {
		e.t.Fatal(err)
	}
	fs, err := e.cat.ListFiles(ctx, t.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, f := range fs {
		ra, err := objstore.NewReaderAt(ctx, e.bucket, f.Path)
		if err != nil {
			e.t.Fatal(err)
		}
		rd, err := pqfile.NewReader(ra, ra.Size(), memory.DefaultAllocator)
		if err != nil {
			e.t.Fatal(err)
		}
		if _, absent := rd.Absent([]string{col}); absent != nil {
			// Written before the column was added: NULL.
			for range f.Rows {
				out = append(out, "NULL")
			}
			continue
		}
		rr, err := rd.Read(ctx, []string{col}, nil, 1<<16)
		if err != nil {
			e.t.Fatal(err)
		}
		var n int64
		for rr.Next() {
			rec := rr.RecordBatch()
			n += rec.NumRows()
			a := rec.Column(0)
			for i := range a.Len() {
				if a.IsNull(i) {
					out = append(out, "NULL")
					continue
				}
				switch a := a.(type) {
				case *array.Int64:
					out = append(out, fmt.Sprint(a.Value(i)))
				case *array.Int32:
					out = append(out, fmt.Sprint(a.Value(i)))
				case *array.Float64:
					out = append(out, fmt.Sprint(a.Value(i)))
				case *array.Boolean:
					out = append(out, fmt.Sprint(a.Value(i)))
				case *array.String:
					out = append(out, a.Value(i))
				case *array.List:
					out = append(out, listString(a, i))
				default:
					e.t.Fatalf("column %s: %T", col, a)
				}
			}
		}
		if err := rr.Err(); err != nil {
			e.t.Fatal(err)
		}
		rr.Release()
		if n != f.Rows {
			e.t.Fatalf("file %s has %d rows, catalog says %d", f.ID, n, f.Rows)
		}
	}
	return out
}

func counterValue(t testing.TB, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if c := m.GetCounter(); c != nil {
				sum += c.GetValue()
			}
			if g := m.GetGauge(); g != nil {
				sum += g.GetValue()
			}
		}
	}
	return sum
}

// labeledValue returns the value of the counter name whose one label has
// the given value.
func labeledValue(t testing.TB, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) == 1 && m.GetLabel()[0].GetValue() == label {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func jsonValidObject(b []byte) bool {
	var m map[string]any
	return json.Unmarshal(b, &m) == nil
}
