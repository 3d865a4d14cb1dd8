package search_test

import (
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"openwit/exec"
	"openwit/search"
)

func TestServerRunsFragments(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	d := newDataset(t, mem, 4, 300, 0)
	w := startWorker(t, d.bucket)
	c := search.NewClient(search.ClientConfig{Mem: mem})
	defer c.Close()
	p := exec.Params{Mem: mem, Bucket: d.bucket, Parallelism: 1}

	cases := map[string]func(f *exec.Fragment){
		"scan": func(f *exec.Fragment) {},
		"filter": func(f *exec.Fragment) {
			f.Filter = exec.Call(exec.OpAnd, exec.Call(exec.OpGe, col("status"), exec.Int(400)), exec.Call(exec.OpIsNotNull, col("svc")))
		},
		"limit": func(f *exec.Fragment) { f.Limit = 7 },
		"partial aggregation": func(f *exec.Fragment) {
			f.Agg = &exec.AggSpec{Mode: exec.AggPartial, Keys: []*exec.Expr{col("svc")}, Aggs: []exec.Agg{
				{Func: exec.AggCountStar}, {Func: exec.AggSum, Arg: col("bytes")}, {Func: exec.AggCountDistinct, Arg: col("status")},
				{Func: exec.AggMax, Arg: col("lat")}, {Func: exec.AggList, Arg: col("status")},
			}}
		},
		"complete aggregation": func(f *exec.Fragment) {
			f.Agg = &exec.AggSpec{Aggs: []exec.Agg{{Func: exec.AggCountStar}, {Func: exec.AggSum, Arg: col("bytes")}}}
		},
		"top-k": func(f *exec.Fragment) {
			f.TopK = &exec.TopKSpec{K: 25, Keys: []exec.SortKey{{Col: 3, Desc: true, NullsFirst: true}, {Col: 0}}}
		},
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			f := fragment(d.sources(false))
			mod(f)
			want := local(t, p, f)
			op, err := c.Run(w.addr, f)
			if err != nil {
				t.Fatal(err)
			}
			got := collect(t, op)
			if f.Agg != nil && f.Agg.Mode == exec.AggPartial {
				// List and distinct-value states are in no set order.
				got, want = len3(got), len3(want)
			}
			if f.Limit > 0 {
				if len(got) != int(f.Limit) {
					t.Fatalf("%d rows, want %d", len(got), f.Limit)
				}
				return
			}
			if !slices.Equal(sorted(got), sorted(want)) {
				t.Fatalf("got %d rows %q\nwant %d rows %q", len(got), got, len(want), want)
			}
		})
	}
	if n := w.fragments(t)["OK"]; n < float64(len(cases)) {
		t.Fatalf("openwit_search_fragments_total{code=OK} = %v, want >= %d", n, len(cases))
	}
}

func mustRun(t *testing.T, c *search.Client, addr string, f *exec.Fragment) exec.Operator {
	t.Helper()
	op, err := c.Run(addr, f)
	if err != nil {
		t.Fatal(err)
	}
	return op
}

// len3 keeps the first three columns of rendered rows (key, count, sum).
func len3(rows []string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		n, cut := 0, len(r)
		for j := 0; j+2 < len(r); j++ {
			if r[j:j+3] == " | " {
				n++
				if n == 3 {
					cut = j
					break
				}
			}
		}
		out[i] = r[:cut]
	}
	slices.Sort(out)
	return out
}

// doGet sends a raw ticket and returns the error of the first message.
func doGet(t *testing.T, addr string, ticket []byte) error {
	t.Helper()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	stream, err := flight.NewFlightServiceClient(cc).DoGet(context.Background(), &flight.Ticket{Ticket: ticket})
	if err != nil {
		return err
	}
	for {
		if _, err := stream.Recv(); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

func TestServerErrors(t *testing.T) {
	d := newDataset(t, memory.DefaultAllocator, 1, 10, 0)
	w := startWorker(t, d.bucket)
	ticket := func(mod func(f *exec.Fragment)) []byte {
		f := fragment(d.sources(false))
		mod(f)
		b, err := search.EncodeTicket(f)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	good := ticket(func(*exec.Fragment) {})
	v2 := append([]byte(nil), good...)
	v2[len(search.TicketMagic)] = 2
	cases := []struct {
		name   string
		ticket []byte
		code   codes.Code
	}{
		{"ok", good, codes.OK},
		{"garbage", []byte("garbage"), codes.InvalidArgument},
		{"envelope version", v2, codes.Unimplemented},
		{"unknown column", ticket(func(f *exec.Fragment) { f.Columns = []string{"nope"} }), codes.InvalidArgument},
		{"column out of range", ticket(func(f *exec.Fragment) { f.Filter = exec.Call(exec.OpIsNull, exec.Col(99)) }), codes.InvalidArgument},
		{"unsupported", ticket(func(f *exec.Fragment) {
			f.Agg = &exec.AggSpec{Aggs: []exec.Agg{{Func: exec.AggSum, Arg: col("svc")}}}
		}), codes.Unimplemented},
		{"missing file", ticket(func(f *exec.Fragment) { f.Sources[0].File.Path = "tables/1/gone.parquet" }), codes.NotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := status.Code(doGet(t, w.addr, c.ticket)); got != c.code {
				t.Fatalf("code %s, want %s", got, c.code)
			}
		})
	}
	// The client maps codes to the executor's sentinels.
	c := search.NewClient(search.ClientConfig{})
	defer c.Close()
	f := fragment(d.sources(false))
	f.Sources[0].File.Path = "tables/1/gone.parquet"
	op := mustRun(t, c, w.addr, f)
	err := op.Open(context.Background())
	op.Close()
	var we *search.WorkerError
	if !errors.As(err, &we) || we.Code != codes.NotFound || we.Addr != w.addr {
		t.Fatalf("missing file: %v", err)
	}
	got := w.fragments(t)
	if got["InvalidArgument"] < 3 || got["Unimplemented"] < 2 || got["NotFound"] < 2 {
		t.Fatalf("fragments by code: %v", got)
	}
}

func TestServerMemoryLimit(t *testing.T) {
	d := newDataset(t, memory.DefaultAllocator, 2, 5000, 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := search.New(search.Config{Bucket: d.bucket, MemoryLimit: 1})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(context.Background(), ln)
	defer srv.Shutdown(context.Background())
	f := fragment(d.sources(false))
	f.Agg = &exec.AggSpec{Mode: exec.AggPartial, Keys: []*exec.Expr{col("ts")}, Aggs: []exec.Agg{{Func: exec.AggCountStar}}}
	c := search.NewClient(search.ClientConfig{})
	defer c.Close()
	op := mustRun(t, c, ln.Addr().String(), f)
	defer op.Close()
	if err := op.Open(context.Background()); !errors.Is(err, exec.ErrMemoryLimit) {
		t.Fatalf("got %v, want ErrMemoryLimit", err)
	}
}

func TestClientRetriesUnavailable(t *testing.T) {
	d := newDataset(t, memory.DefaultAllocator, 1, 10, 0)
	// Reserve an address, close it, and start the worker there only
	// after the client's first attempts failed.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	started := make(chan *worker, 1)
	go func() {
		time.Sleep(150 * time.Millisecond)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Error(err)
			started <- nil
			return
		}
		started <- startWorkerOn(t, d.bucket, ln)
	}()
	c := search.NewClient(search.ClientConfig{Attempts: 20, BaseDelay: 20 * time.Millisecond, MaxDelay: 100 * time.Millisecond})
	defer c.Close()
	f := fragment(d.sources(false))
	rows := collect(t, mustRun(t, c, addr, f))
	if len(rows) != 10 {
		t.Fatalf("%d rows, want 10", len(rows))
	}
	if w := <-started; w == nil {
		t.Fatal("worker did not start")
	}
}

func TestClientGivesUp(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := search.NewClient(search.ClientConfig{Attempts: 3, BaseDelay: 10 * time.Millisecond})
	defer c.Close()
	f := fragment([]exec.Source{{File: &exec.FileSource{ID: "a", Path: "a.parquet"}}})
	op := mustRun(t, c, addr, f)
	defer op.Close()
	// Retries that never gave up would end in the deadline instead.
	octx, ocancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer ocancel()
	err = op.Open(octx)
	if !errors.Is(err, search.ErrUnavailable) {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
	// A cancelled context stops the retries at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	op2 := mustRun(t, c, addr, f)
	defer op2.Close()
	if err := op2.Open(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestServerCancelledByClient(t *testing.T) {
	// More data than gRPC's flow-control windows (up to 16 MiB) hold, so
	// the worker cannot have finished streaming when the client cancels.
	d := newDataset(t, memory.DefaultAllocator, 4, 150_000, 0)
	w := startWorker(t, d.bucket)
	c := search.NewClient(search.ClientConfig{})
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	op := mustRun(t, c, w.addr, fragment(d.sources(false)))
	if err := op.Open(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := op.Next(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	op.Close()
	deadline := time.Now().Add(10 * time.Second)
	for w.fragments(t)["Canceled"] == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the worker did not see the cancellation: %v", w.fragments(t))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
