package search_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"

	"openwit/exec"
	"openwit/search"
	"openwit/storage/objstore"
	"openwit/storage/pqfile"
)

var testSchema = arrow.NewSchema([]arrow.Field{
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
	{Name: "svc", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "status", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "bytes", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "lat", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
}, nil)

var testColumns = []string{"ts", "svc", "status", "bytes", "lat"}

func col(name string) *exec.Expr { return exec.Col(slices.Index(testColumns, name)) }

// genBatch builds n rows with timestamps from base on, one per second.
func genBatch(mem memory.Allocator, r *rand.Rand, base int64, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, testSchema)
	defer b.Release()
	svcs := []string{"api", "web", "db", "queue"}
	for i := 0; i < n; i++ {
		b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(base + int64(i)*1_000_000))
		if r.IntN(7) == 0 {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append(svcs[r.IntN(len(svcs))])
		}
		if r.IntN(9) == 0 {
			b.Field(2).AppendNull()
		} else {
			b.Field(2).(*array.Int32Builder).Append([]int32{200, 404, 500}[r.IntN(3)])
		}
		if r.IntN(5) == 0 {
			b.Field(3).AppendNull()
		} else {
			b.Field(3).(*array.Int64Builder).Append(r.Int64N(10_000))
		}
		b.Field(4).(*array.Float64Builder).Append(float64(r.IntN(400)) / 8)
	}
	return b.NewRecordBatch()
}

// dataset is a table's worth of Parquet files in a local bucket plus some
// in-memory batches.
type dataset struct {
	bucket  *objstore.Local
	files   []exec.Source
	buffers []arrow.RecordBatch
}

func newDataset(t *testing.T, mem memory.Allocator, files, rowsPerFile, bufferRows int) *dataset {
	t.Helper()
	bucket, err := objstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bucket.Close() })
	d := &dataset{bucket: bucket}
	r := rand.New(rand.NewPCG(7, uint64(files)))
	base := int64(1_700_000_000_000_000)
	for i := 0; i < files; i++ {
		rec := genBatch(memory.DefaultAllocator, r, base, rowsPerFile)
		base += int64(rowsPerFile) * 1_000_000
		var buf bytes.Buffer
		n, _, err := pqfile.Write(&buf, testSchema, []arrow.RecordBatch{rec}, pqfile.WriterOptions{RowGroupRows: int64(max(100, rowsPerFile/8))})
		rec.Release()
		if err != nil {
			t.Fatal(err)
		}
		key := fmt.Sprintf("tables/1/shard=%d/%08d.parquet", i%3, i)
		if err := bucket.Put(context.Background(), key, &buf, int64(buf.Len())); err != nil {
			t.Fatal(err)
		}
		d.files = append(d.files, exec.Source{File: &exec.FileSource{ID: fmt.Sprintf("f%d", i), Path: key, Rows: n}})
	}
	if bufferRows > 0 {
		d.buffers = append(d.buffers, genBatch(mem, r, base, bufferRows), genBatch(mem, r, base+int64(bufferRows)*1_000_000, 1))
		t.Cleanup(func() {
			for _, b := range d.buffers {
				b.Release()
			}
		})
	}
	return d
}

// sources returns the file sources and, when buffers is set, the
// in-memory batches as one more source.
func (d *dataset) sources(buffers bool) []exec.Source {
	out := slices.Clone(d.files)
	if buffers && len(d.buffers) > 0 {
		out = append(out, exec.Source{Batches: d.buffers})
	}
	return out
}

func fragment(srcs []exec.Source) *exec.Fragment {
	return &exec.Fragment{Table: "logs", Schema: testSchema, Columns: slices.Clone(testColumns), Sources: srcs}
}

// worker is a search server on a loopback port.
type worker struct {
	addr string
	srv  *search.Server
	reg  *prometheus.Registry
	mem  *memory.CheckedAllocator
	done chan error
}

func startWorker(t *testing.T, bucket objstore.Bucket) *worker {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return startWorkerOn(t, bucket, ln)
}

func startWorkerOn(t *testing.T, bucket objstore.Bucket, ln net.Listener) *worker {
	t.Helper()
	w := &worker{addr: ln.Addr().String(), reg: prometheus.NewRegistry(),
		mem: memory.NewCheckedAllocator(memory.NewGoAllocator()), done: make(chan error, 1)}
	srv, err := search.New(search.Config{Bucket: bucket, Registerer: w.reg, Mem: w.mem, Parallelism: 2})
	if err != nil {
		t.Fatal(err)
	}
	w.srv = srv
	go func() { w.done <- srv.Serve(context.Background(), ln) }()
	t.Cleanup(func() {
		w.stop(t)
		w.mem.AssertSize(t, 0)
	})
	return w
}

func (w *worker) stop(t *testing.T) {
	t.Helper()
	if w.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.srv.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if err := <-w.done; err != nil {
		t.Errorf("serve: %v", err)
	}
	w.srv = nil
}

// fragments returns the worker's openwit_search_fragments_total by code.
func (w *worker) fragments(t *testing.T) map[string]float64 {
	t.Helper()
	mfs, err := w.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "openwit_search_fragments_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			out[m.GetLabel()[0].GetValue()] += m.GetCounter().GetValue()
		}
	}
	return out
}

// collect runs op to the end and renders its rows in order.
func collect(t *testing.T, op exec.Operator) []string {
	t.Helper()
	ctx := context.Background()
	defer op.Close()
	if err := op.Open(ctx); err != nil {
		t.Fatalf("open: %v", err)
	}
	var rows []string
	for {
		rec, err := op.Next(ctx)
		if err == io.EOF {
			return rows
		}
		if err != nil {
			t.Fatalf("next: %v", err)
		}
		if !rec.Schema().Equal(op.Schema()) {
			t.Fatalf("batch schema %s, operator schema %s", rec.Schema(), op.Schema())
		}
		rows = append(rows, render(rec)...)
	}
}

func render(rec arrow.RecordBatch) []string {
	rows := make([]string, rec.NumRows())
	for i := range rows {
		var b strings.Builder
		for c := 0; c < int(rec.NumCols()); c++ {
			if c > 0 {
				b.WriteString(" | ")
			}
			a := rec.Column(c)
			if a.IsNull(i) {
				b.WriteString("NULL")
			} else {
				b.WriteString(a.ValueStr(i))
			}
		}
		rows[i] = b.String()
	}
	return rows
}

func sorted(rows []string) []string {
	out := slices.Clone(rows)
	slices.Sort(out)
	return out
}

// local runs f in this process.
func local(t *testing.T, p exec.Params, f *exec.Fragment) []string {
	t.Helper()
	op, err := exec.Run(context.Background(), p, f)
	if err != nil {
		t.Fatal(err)
	}
	return collect(t, op)
}
