package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/prometheus/client_golang/prometheus"

	"openwit/storage"
	"openwit/storage/catalog"
)

// gatePublisher is the consumer's own publisher (storage.Publisher) with
// a gate: its first Stage waits until open is closed, and its first
// PublishAt fails when failFirst is set (a catalog that was unreachable).
type gatePublisher struct {
	Publisher
	open      chan struct{}
	staging   chan struct{} // closed when the first Stage has started
	failFirst bool
	failStage int // when > 0, the Stage call with this number fails

	mu            sync.Mutex
	stages, pubs  int
	schemaColumns []int // per Stage of the logs table: its batches' column count
}

var errInjected = errors.New("injected: catalog unreachable")

func (g *gatePublisher) Stage(ctx context.Context, t *catalog.Table, shard int64, id string, batches []arrow.RecordBatch) (*catalog.File, error) {
	g.mu.Lock()
	g.stages++
	first := g.stages == 1 && g.open != nil
	fail := g.failStage > 0 && g.stages == g.failStage
	if t.Name == "logs" && len(batches) > 0 {
		g.schemaColumns = append(g.schemaColumns, int(batches[0].NumCols()))
	}
	g.mu.Unlock()
	if fail {
		return nil, errInjected
	}
	if first {
		close(g.staging)
		select {
		case <-g.open:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return g.Publisher.Stage(ctx, t, shard, id, batches)
}

func (g *gatePublisher) PublishAt(ctx context.Context, files []*catalog.File, d catalog.OffsetDelta) error {
	g.mu.Lock()
	g.pubs++
	fail := g.failFirst && g.pubs == 1
	g.mu.Unlock()
	if fail {
		return errInjected
	}
	return g.Publisher.PublishAt(ctx, files, d)
}

// TestPublishOverlapsConvert holds a partition's first publish in Stage
// and produces more records: the consumer converts them while the publish
// waits (the old consumer converted nothing until its publish returned).
// The held publish then fails in the catalog: its rows go back in front of
// the partition's buffer and are published once, in order, with the rest.
// Under schema evolution the records produced during the held publish add
// a column, so the failed publish's rows are widened to the new schema.
func TestPublishOverlapsConvert(t *testing.T) {
	for _, evolve := range []bool{false, true} {
		t.Run(fmt.Sprintf("evolve=%v", evolve), func(t *testing.T) {
			t.Parallel()
			publishOverlapsConvert(t, evolve)
		})
	}
}

func publishOverlapsConvert(t *testing.T, evolve bool) {
	e := newEnv(t, 1, "logs")
	e.createLogs("logs")
	const n = 100
	var first [][]byte
	for k := range n {
		first = append(first, logRecord(k))
	}
	e.produce("logs", first)
	reg := prometheus.NewRegistry()
	policy := PolicyReject
	if evolve {
		policy = PolicyAdd
	}
	c := e.consumer("g", reg, Topic{Name: "logs", UnknownFields: policy})
	gate := &gatePublisher{Publisher: &localPublisher{p: &storage.Publisher{Bucket: e.bucket, Catalog: e.cat}},
		open: make(chan struct{}), staging: make(chan struct{}), failFirst: true}
	c.pub = gate
	stop := run(t, c)
	select {
	case <-gate.staging:
	case <-time.After(30 * time.Second):
		t.Fatal("the first publish did not start")
	}
	var second [][]byte
	for k := n; k < 2*n; k++ {
		r := logRecord(k)
		if evolve {
			r = append(r[:len(r)-1], fmt.Sprintf(`,"extra":"x%d"}`, k)...)
		}
		second = append(second, r)
	}
	e.produce("logs", second)
	deadline := time.Now().Add(30 * time.Second)
	for counterValue(t, reg, "openwit_kafka_records_total") != 2*n {
		if time.Now().After(deadline) {
			t.Fatalf("converted %v records while a publish was held, want %d", counterValue(t, reg, "openwit_kafka_records_total"), 2*n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := counterValue(t, reg, "openwit_kafka_rows_published_total"); got != 0 {
		t.Fatalf("%v rows published while the first publish was held", got)
	}
	close(gate.open)
	e.waitOffsets("g", "logs", 2*n)
	stop()
	if got := labeledValue(t, reg, "openwit_kafka_publishes_total", "error"); got != 1 {
		t.Errorf("%v failed publishes, want 1 (the injected one)", got)
	}
	keys := e.column("logs", "key")
	want := make([]string, 2*n)
	for k := range want {
		want[k] = strconv.Itoa(k)
	}
	if !slices.Equal(keys, want) {
		t.Fatalf("keys %v, want 0..%d once each, in order", keys, 2*n-1)
	}
	if got := counterValue(t, reg, "openwit_kafka_rows_published_total"); got != 2*n {
		t.Errorf("%v rows counted published, want %d", got, 2*n)
	}
	if !evolve {
		return
	}
	extra := e.column("logs", "extra")
	for k, v := range extra {
		w := "NULL"
		if k >= n {
			w = fmt.Sprintf("x%d", k)
		}
		if v != w {
			t.Fatalf("row %d: extra %q, want %q", k, v, w)
		}
	}
	gate.mu.Lock()
	defer gate.mu.Unlock()
	// The held Stage saw the old schema (7 columns); the retry wrote the
	// failed rows and the new ones in one file of the new schema.
	if last := gate.schemaColumns[len(gate.schemaColumns)-1]; last != 8 {
		t.Errorf("the retried file had %d columns, want 8 (widened)", last)
	}
}

// TestStageFailureRetried: a partition's records span several time shards,
// so its publish stages several files at once; one of them fails. Nothing
// is published, the rows go back and are published once with the retry.
func TestStageFailureRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, "logs")
	e.createLogs("logs")
	const n = 60
	var values [][]byte
	for k := range n {
		// 20 minutes apart: 20 hour shards.
		values = append(values, fmt.Appendf(nil, `{"ts":%d,"key":%d}`, int64(1_717_000_000)+int64(k)*1200, k))
	}
	e.produce("logs", values)
	reg := prometheus.NewRegistry()
	c := e.consumer("g", reg, Topic{Name: "logs"})
	gate := &gatePublisher{Publisher: &localPublisher{p: &storage.Publisher{Bucket: e.bucket, Catalog: e.cat}}, failStage: 3}
	c.pub = gate
	stop := run(t, c)
	e.waitOffsets("g", "logs", n)
	stop()
	if got := labeledValue(t, reg, "openwit_kafka_publishes_total", "error"); got != 1 {
		t.Errorf("%v failed publishes, want 1 (the injected Stage)", got)
	}
	keys := e.column("logs", "key")
	seen := map[string]int{}
	for _, k := range keys {
		seen[k]++
	}
	for k := range n {
		if seen[strconv.Itoa(k)] != 1 {
			t.Fatalf("key %d published %d times (keys %v)", k, seen[strconv.Itoa(k)], keys)
		}
	}
	if len(keys) != n {
		t.Fatalf("%d rows, want %d", len(keys), n)
	}
	gate.mu.Lock()
	defer gate.mu.Unlock()
	if gate.stages < 3 {
		t.Fatalf("%d stages, want several files per publish", gate.stages)
	}
}
