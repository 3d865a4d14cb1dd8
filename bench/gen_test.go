package bench

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func newGen(tb testing.TB, cfg GenConfig) *Generator {
	tb.Helper()
	g, err := NewGenerator(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

func TestGeneratorDeterministic(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	cfg := GenConfig{Rows: 5000, Seed: 7, Days: 2, BatchSize: 1024}
	a, err := newGen(t, cfg).Generate(context.Background(), mem, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer Release(a)
	b, err := newGen(t, cfg).Generate(context.Background(), mem, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer Release(b)
	if len(a) != 5 || len(b) != 5 || a[4].NumRows() != 5000-4*1024 {
		t.Fatalf("batches: %d and %d, last has %d rows", len(a), len(b), a[len(a)-1].NumRows())
	}
	for i := range a {
		if !array.RecordEqual(a[i], b[i]) {
			t.Fatalf("batch %d differs between runs with the same seed", i)
		}
	}
	cfg.Seed = 8
	c := newGen(t, cfg).Batch(mem, 0)
	defer c.Release()
	if array.RecordEqual(a[0], c) {
		t.Error("seeds 7 and 8 made the same batch")
	}
}

func TestGeneratorDistributions(t *testing.T) {
	const rows = 200_000
	g := newGen(t, GenConfig{Rows: rows, Seed: 1, Days: 3, BatchSize: 50_000})
	recs, err := g.Generate(context.Background(), memory.DefaultAllocator, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer Release(recs)

	services, hosts, levels, statuses := map[string]int{}, map[string]int{}, map[string]int{}, map[int32]int{}
	traces := make(map[string]struct{}, rows)
	var lat []float64
	var timeoutN, errN, err5xx int
	var prevTS int64
	lo, hi := Epoch.UnixMicro(), Epoch.Add(3*24*time.Hour).UnixMicro()
	needle, needleFound := g.TraceID(g.NeedleRow()), false
	for _, rec := range recs {
		ts := rec.Column(0).(*array.Timestamp)
		svc, host, lvl := rec.Column(1).(*array.String), rec.Column(2).(*array.String), rec.Column(3).(*array.String)
		st, l := rec.Column(4).(*array.Int32), rec.Column(5).(*array.Float64)
		tr, msg := rec.Column(6).(*array.String), rec.Column(7).(*array.String)
		for i := 0; i < int(rec.NumRows()); i++ {
			v := int64(ts.Value(i))
			if v < lo || v >= hi || v < prevTS {
				t.Fatalf("ts %d out of range or not ascending", v)
			}
			prevTS = v
			services[svc.Value(i)]++
			hosts[host.Value(i)]++
			levels[lvl.Value(i)]++
			statuses[st.Value(i)]++
			lat = append(lat, l.Value(i))
			id := tr.Value(i)
			if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
				t.Fatalf("trace id %q", id)
			}
			if _, dup := traces[id]; dup {
				t.Fatalf("duplicate trace id %s", id)
			}
			traces[id] = struct{}{}
			needleFound = needleFound || id == needle
			if strings.Contains(msg.Value(i), "timeout") {
				timeoutN++
			}
			if lvl.Value(i) == "error" {
				errN++
				if st.Value(i) >= 500 {
					err5xx++
				}
			}
		}
	}
	if !needleFound {
		t.Error("the needle trace id is not in the data")
	}
	if len(services) != 20 || len(hosts) != 200 {
		t.Errorf("%d services, %d hosts; want 20 and 200", len(services), len(hosts))
	}
	// Zipf-like: the most frequent service has several times the share of
	// the 10th and the 20th.
	top, tenth, last := services[Services[0]], services[Services[9]], services[Services[19]]
	if !(top > 5*tenth && tenth > last && float64(top)/rows > 0.2 && float64(top)/rows < 0.35) {
		t.Errorf("service skew: first %d, 10th %d, 20th %d", top, tenth, last)
	}
	share := func(n int) float64 { return float64(n) / rows }
	for _, c := range []struct {
		level  string
		lo, hi float64
	}{{"error", 0.025, 0.035}, {"warn", 0.11, 0.13}, {"debug", 0.09, 0.11}, {"info", 0.72, 0.78}} {
		if s := share(levels[c.level]); s < c.lo || s > c.hi {
			t.Errorf("level %s: share %.4f, want %.3f..%.3f", c.level, s, c.lo, c.hi)
		}
	}
	if err5xx != errN {
		t.Errorf("%d of %d errors have a 5xx status", err5xx, errN)
	}
	if s := share(statuses[200]); s < 0.65 || s > 0.8 {
		t.Errorf("status 200 share %.3f", s)
	}
	if s := share(timeoutN); s < 0.02 || s > 0.05 {
		t.Errorf("messages with \"timeout\": share %.4f", s)
	}
	// Lognormal latencies: positive, right-skewed (mean well above the
	// median), long tail.
	slices.Sort(lat)
	var sum float64
	for _, v := range lat {
		sum += v
	}
	mean, median, p99 := sum/float64(len(lat)), lat[len(lat)/2], lat[len(lat)*99/100]
	if lat[0] <= 0 || mean < 1.2*median || p99 < 5*median || math.IsInf(lat[len(lat)-1], 0) {
		t.Errorf("latency: min %.3f median %.3f mean %.3f p99 %.3f", lat[0], median, mean, p99)
	}
}

func TestGeneratorValidate(t *testing.T) {
	for _, cfg := range []GenConfig{
		{Rows: 0, Days: 1, BatchSize: 1},
		{Rows: 1, Days: 0, BatchSize: 1},
		{Rows: 1, Days: 1, BatchSize: 0},
		{Rows: 1, Days: 5000, BatchSize: 1},
	} {
		if _, err := NewGenerator(cfg); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}

func BenchmarkGenerator(b *testing.B) {
	g := newGen(b, GenConfig{Rows: 1 << 30, Seed: 1, Days: 3, BatchSize: 65536})
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		g.Batch(memory.DefaultAllocator, i).Release()
	}
	b.ReportMetric(float64(b.N)*65536/b.Elapsed().Seconds(), "rows/s")
}
