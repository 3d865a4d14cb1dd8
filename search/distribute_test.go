package search_test

import (
	"context"
	"io"
	"math"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/exec"
	"openwit/search"
)

// distCases are the fragment shapes a coordinator distributes.
func distCases() map[string]func(f *exec.Fragment) {
	return map[string]func(f *exec.Fragment){
		"count": func(f *exec.Fragment) {
			f.Agg = &exec.AggSpec{Aggs: []exec.Agg{{Func: exec.AggCountStar}}}
		},
		"filtered count": func(f *exec.Fragment) {
			f.Filter = exec.Call(exec.OpEq, col("status"), exec.Int(500))
			f.Agg = &exec.AggSpec{Aggs: []exec.Agg{{Func: exec.AggCountStar}, {Func: exec.AggCount, Arg: col("bytes")}}}
		},
		"count over nothing": func(f *exec.Fragment) {
			f.Filter = exec.Call(exec.OpLt, col("status"), exec.Int(0))
			f.Agg = &exec.AggSpec{Aggs: []exec.Agg{{Func: exec.AggCountStar}, {Func: exec.AggSum, Arg: col("bytes")}, {Func: exec.AggMin, Arg: col("svc")}}}
		},
		"group by with NULL keys": func(f *exec.Fragment) {
			f.Agg = &exec.AggSpec{Keys: []*exec.Expr{col("svc")}, Aggs: []exec.Agg{
				{Func: exec.AggFirst, Arg: col("svc")}, {Func: exec.AggCountStar},
				{Func: exec.AggSum, Arg: col("bytes")}, {Func: exec.AggSum, Arg: col("lat")},
				{Func: exec.AggMin, Arg: col("lat")}, {Func: exec.AggMax, Arg: col("ts")},
				{Func: exec.AggCountDistinct, Arg: col("status")}, {Func: exec.AggCountDistinct, Arg: col("lat")},
			}}
		},
		"group by two keys": func(f *exec.Fragment) {
			f.Agg = &exec.AggSpec{Keys: []*exec.Expr{col("status"), &exec.Expr{Op: exec.OpDateTrunc, Str: "hour", Args: []*exec.Expr{col("ts")}}},
				Aggs: []exec.Agg{{Func: exec.AggFirst, Arg: col("status")}, {Func: exec.AggCountStar}, {Func: exec.AggMax, Arg: col("bytes")}}}
		},
		"top-k": func(f *exec.Fragment) {
			f.TopK = &exec.TopKSpec{K: 17, Keys: []exec.SortKey{{Col: 3, Desc: true, NullsFirst: true}, {Col: 0}}}
		},
		"filtered top-k": func(f *exec.Fragment) {
			f.Filter = exec.Call(exec.OpIsNotNull, col("svc"))
			f.TopK = &exec.TopKSpec{K: 5, Keys: []exec.SortKey{{Col: 0, Desc: true, NullsFirst: true}}}
		},
		"filter": func(f *exec.Fragment) {
			f.Filter = exec.Call(exec.OpAnd, exec.Call(exec.OpEq, col("svc"), exec.Str("db")), exec.Call(exec.OpGe, col("lat"), exec.Float(25)))
		},
	}
}

func TestDistributeEqualsLocal(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	// 30 files: rendezvous hashing over three workers on random ports
	// leaves one of them without a file with probability 3·(2/3)^30.
	d := newDataset(t, mem, 30, 160, 150)
	workers := []*worker{startWorker(t, d.bucket), startWorker(t, d.bucket), startWorker(t, d.bucket)}
	addrs := []string{workers[0].addr, workers[1].addr, workers[2].addr}
	c := search.NewClient(search.ClientConfig{Mem: mem})
	defer c.Close()
	p := exec.Params{Mem: mem, Bucket: d.bucket, Parallelism: 2}

	for name, mod := range distCases() {
		for _, buffers := range []bool{false, true} {
			t.Run(name+map[bool]string{false: "", true: "/with buffers"}[buffers], func(t *testing.T) {
				f := fragment(d.sources(buffers))
				mod(f)
				want := local(t, p, f)
				op, err := search.Distribute(context.Background(), p, c, search.Equal(addrs), f)
				if err != nil {
					t.Fatal(err)
				}
				got := collect(t, op)
				if f.TopK == nil {
					got, want = sorted(got), sorted(want)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("got %d rows\n%s\nwant %d rows\n%s", len(got), strings.Join(got, "\n"), len(want), strings.Join(want, "\n"))
				}
			})
		}
	}
	for i, w := range workers {
		if n := w.fragments(t)["OK"]; n == 0 {
			t.Errorf("worker %d served no fragment", i)
		}
	}

	t.Run("limit", func(t *testing.T) {
		f := fragment(d.sources(true))
		f.Limit = 30
		op, err := search.Distribute(context.Background(), p, c, search.Equal(addrs), f)
		if err != nil {
			t.Fatal(err)
		}
		if got := collect(t, op); len(got) != 30 {
			t.Fatalf("%d rows, want 30", len(got))
		}
	})
	t.Run("only buffers", func(t *testing.T) {
		f := fragment(d.sources(true)[len(d.files):])
		f.Agg = &exec.AggSpec{Aggs: []exec.Agg{{Func: exec.AggCountStar}}}
		op, err := search.Distribute(context.Background(), p, c, search.Equal(addrs), f)
		if err != nil {
			t.Fatal(err)
		}
		if got := collect(t, op); !slices.Equal(got, []string{"151"}) {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("no sources", func(t *testing.T) {
		f := fragment(nil)
		f.Agg = &exec.AggSpec{Aggs: []exec.Agg{{Func: exec.AggCountStar}}}
		op, err := search.Distribute(context.Background(), p, c, search.Equal(addrs), f)
		if err != nil {
			t.Fatal(err)
		}
		if got := collect(t, op); !slices.Equal(got, []string{"0"}) {
			t.Fatalf("got %q", got)
		}
	})
}

func TestDistributeMovesFragmentsOffDeadWorkers(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	d := newDataset(t, mem, 8, 200, 10)
	live := startWorker(t, d.bucket)
	dead := startWorker(t, d.bucket)
	dead.stop(t)
	c := search.NewClient(search.ClientConfig{Mem: mem, Attempts: 2, BaseDelay: 5 * time.Millisecond})
	defer c.Close()
	p := exec.Params{Mem: mem, Bucket: d.bucket}
	for name, mod := range distCases() {
		t.Run(name, func(t *testing.T) {
			f := fragment(d.sources(true))
			mod(f)
			want := sorted(local(t, p, f))
			for _, workers := range [][]string{{dead.addr, live.addr}, {dead.addr}} {
				op, err := search.Distribute(context.Background(), p, c, search.Equal(workers), f)
				if err != nil {
					t.Fatal(err)
				}
				if got := sorted(collect(t, op)); !slices.Equal(got, want) {
					t.Fatalf("workers %v: got %q, want %q", workers, got, want)
				}
			}
		})
	}
	if live.fragments(t)["OK"] == 0 {
		t.Fatal("the live worker served nothing")
	}
}

func TestDistributeCancel(t *testing.T) {
	d := newDataset(t, memory.DefaultAllocator, 4, 20000, 0)
	w := startWorker(t, d.bucket)
	c := search.NewClient(search.ClientConfig{})
	defer c.Close()
	p := exec.Params{Bucket: d.bucket}
	ctx, cancel := context.WithCancel(context.Background())
	op, err := search.Distribute(ctx, p, c, search.Equal([]string{w.addr}), fragment(d.sources(false)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := op.Next(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	done := make(chan struct{})
	go func() { op.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close hung after cancel")
	}
}

// TestDistributeShipsNonFiniteLiterals: a NaN constant travels in the
// ticket (exec.Lit encodes it as a string) and the worker's answer is
// PostgreSQL's.
func TestDistributeShipsNonFiniteLiterals(t *testing.T) {
	d := newDataset(t, memory.DefaultAllocator, 3, 50, 5)
	w := startWorker(t, d.bucket)
	c := search.NewClient(search.ClientConfig{})
	defer c.Close()
	p := exec.Params{Bucket: d.bucket}
	f := fragment(d.sources(true))
	f.Filter = exec.Call(exec.OpLt, col("lat"), exec.Float(math.NaN()))
	f.Agg = &exec.AggSpec{Aggs: []exec.Agg{{Func: exec.AggCountStar}}}
	op, err := search.Distribute(context.Background(), p, c, search.Equal([]string{w.addr}), f)
	if err != nil {
		t.Fatal(err)
	}
	// NaN is larger than every other float: every row (3×50 in files, 6
	// buffered) passes.
	if got := collect(t, op); !slices.Equal(got, []string{"156"}) {
		t.Fatalf("got %q", got)
	}
	if n := w.fragments(t); n["OK"] < 1 {
		t.Fatalf("the worker ran no fragment: %v", n)
	}
}

// cutProxy forwards TCP to a worker and, once it has passed cutAfter
// HTTP/2 DATA frames back to the client, closes every connection and its
// listener: from the coordinator's side the worker died in the middle of a
// stream (the first frame carries the schema, the next ones batches).
type cutProxy struct {
	addr     string
	ln       net.Listener
	cutAfter int

	mu     sync.Mutex
	frames int
	conns  []net.Conn
	cut    bool
}

func startCutProxy(t *testing.T, backend string, cutAfter int) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{addr: ln.Addr().String(), ln: ln, cutAfter: cutAfter}
	t.Cleanup(p.kill)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b, err := net.Dial("tcp", backend)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, b)
			p.mu.Unlock()
			go func() { io.Copy(b, c); b.Close() }()
			go p.back(c, b)
		}
	}()
	return p
}

// back copies the worker's HTTP/2 frames to the client, counting DATA
// frames, and cuts when the budget is spent.
func (p *cutProxy) back(c, b net.Conn) {
	defer c.Close()
	hdr := make([]byte, 9)
	for {
		if _, err := io.ReadFull(b, hdr); err != nil {
			return
		}
		n := int(hdr[0])<<16 | int(hdr[1])<<8 | int(hdr[2])
		payload := make([]byte, n)
		if _, err := io.ReadFull(b, payload); err != nil {
			return
		}
		if _, err := c.Write(append(hdr, payload...)); err != nil {
			return
		}
		if hdr[3] != 0 || n == 0 { // not DATA
			continue
		}
		p.mu.Lock()
		p.frames++
		over := p.frames >= p.cutAfter
		p.mu.Unlock()
		if over {
			p.kill()
			return
		}
	}
}

func (p *cutProxy) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
}

// TestDistributeRerunsAFragmentWhoseWorkerDiesMidStream: a worker whose
// connection breaks after it sent the schema and a first batch: the
// fragment runs again whole elsewhere and the answer is exact, for
// aggregations, top-k and plain scans (whose rows would show twice if the
// part already received were kept).
func TestDistributeRerunsAFragmentWhoseWorkerDiesMidStream(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	d := newDataset(t, mem, 12, 4000, 10)
	p := exec.Params{Mem: mem, Bucket: d.bucket}
	cases := distCases()
	cases["plain scan"] = func(*exec.Fragment) {}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			f := fragment(d.sources(true))
			mod(f)
			want := sorted(local(t, p, f))
			live := startWorker(t, d.bucket)
			px := startCutProxy(t, startWorker(t, d.bucket).addr, 2)
			c := search.NewClient(search.ClientConfig{Mem: mem, Attempts: 2, BaseDelay: 5 * time.Millisecond})
			defer c.Close()
			ws := []search.Worker{{Addr: px.addr, Weight: 1}, {Addr: live.addr, Weight: 1}}
			op, err := search.Distribute(t.Context(), p, c, ws, f)
			if err != nil {
				t.Fatal(err)
			}
			if got := sorted(collect(t, op)); !slices.Equal(got, want) {
				t.Fatalf("got %d rows, want %d", len(got), len(want))
			}
			px.mu.Lock()
			cut, frames := px.cut, px.frames
			px.mu.Unlock()
			if !cut || frames < 2 || c.Reruns() == 0 {
				t.Fatalf("the proxied worker was not cut mid-stream (cut %v after %d data frames, %d reruns)", cut, frames, c.Reruns())
			}
		})
	}
}
