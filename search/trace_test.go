package search_test

import (
	"context"
	"net"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"openwit/exec"
	"openwit/search"
)

// oldWorker serves fragments like a worker of the release before fragment
// stats: the same stream, no trailer.
type oldWorker struct {
	flight.BaseFlightServer
	srv *search.Server
}

func (o *oldWorker) DoGet(t *flight.Ticket, s flight.FlightService_DoGetServer) error {
	return o.srv.DoGet(t, noTrailer{s})
}

type noTrailer struct {
	flight.FlightService_DoGetServer
}

func (noTrailer) SetTrailer(metadata.MD) {}

// TestDistributeTrace: each fragment of a distributed count reports its
// worker, files and counters; they add up to the table (files on workers,
// buffers here), and a worker of the older release, which sends no stats,
// shows as not reported while the answer stays right.
func TestDistributeTrace(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	const files, perFile, buffered = 12, 200, 10 + 1
	d := newDataset(t, mem, files, perFile, 10)
	w := startWorker(t, d.bucket)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	flight.RegisterFlightServiceServer(gs, &oldWorker{srv: w.srv})
	go gs.Serve(ln)
	t.Cleanup(gs.Stop)
	addrs := []string{w.addr, ln.Addr().String()}
	c := search.NewClient(search.ClientConfig{Mem: mem})
	defer c.Close()
	p := exec.Params{Mem: mem, Bucket: d.bucket, Parallelism: 2}

	f := fragment(d.sources(true))
	f.Agg = &exec.AggSpec{Aggs: []exec.Agg{{Func: exec.AggCountStar}}}
	var tr search.Trace
	op, err := search.Distribute(search.WithTrace(context.Background(), &tr), p, c, search.Equal(addrs), f)
	if err != nil {
		t.Fatal(err)
	}
	if got := collect(t, op); !slices.Equal(got, []string{"2411"}) {
		t.Fatalf("count %q, want 2411", got)
	}
	runs := tr.Runs()
	if len(runs) != 3 {
		t.Fatalf("%d fragment runs, want 3 (two workers, the buffers): %+v", len(runs), runs)
	}
	var fileCount int
	for _, r := range runs {
		fileCount += r.Files
		switch r.Worker {
		case w.addr:
			if !r.Reported || r.Stats.Rows != int64(r.Files*perFile) || r.Stats.RowsOut != 1 || r.Stats.Sources != r.Files ||
				r.Stats.BytesRead <= 0 || r.Stats.CacheBytes != 0 || r.WorkerTime <= 0 || r.Elapsed < r.WorkerTime {
				t.Errorf("new worker's run: %+v", r)
			}
		case addrs[1]:
			if r.Reported || r.Stats != (exec.Stats{}) || r.Files == 0 {
				t.Errorf("old worker's run: %+v, want not reported", r)
			}
		case "":
			if !r.Reported || r.Files != 0 || r.Stats.Rows != buffered || r.Stats.RowsOut != 1 || r.Stats.BytesRead != 0 {
				t.Errorf("buffers' run: %+v", r)
			}
		default:
			t.Errorf("run on %q", r.Worker)
		}
	}
	if fileCount != files {
		t.Errorf("the runs scanned %d files, want %d", fileCount, files)
	}
	// Without a trace nothing is recorded and nothing changes.
	op, err = search.Distribute(context.Background(), p, c, search.Equal(addrs), f)
	if err != nil {
		t.Fatal(err)
	}
	if got := collect(t, op); !slices.Equal(got, []string{"2411"}) {
		t.Fatalf("count %q without a trace", got)
	}
	if n := len(tr.Runs()); n != 3 {
		t.Errorf("a run without the trace recorded into it: %d runs", n)
	}
}
