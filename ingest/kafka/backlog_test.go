package kafka

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"openwit/storage/catalog"
)

// missCatalog is the test env's catalog; it closes missed after the first
// lookup of a table that does not exist.
type missCatalog struct {
	catalog.Catalog
	once   sync.Once
	missed chan struct{}
}

func (m *missCatalog) GetTable(ctx context.Context, name string) (*catalog.Table, error) {
	t, err := m.Catalog.GetTable(ctx, name)
	if errors.Is(err, catalog.ErrNotFound) {
		m.once.Do(func() { close(m.missed) })
	}
	return t, err
}

// TestTableCreatedAfterStart: a consumer started before its topic's table
// exists finds the table soon after it is created, not a commit interval
// later (the interval here is an hour: the consumer used to sleep that long
// between lookups). CommitRecords makes it publish.
func TestTableCreatedAfterStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, "logs")
	const n = 200
	var values [][]byte
	for k := range n {
		values = append(values, logRecord(k))
	}
	e.produce("logs", values)
	mc := &missCatalog{Catalog: e.cat, missed: make(chan struct{})}
	c := e.consumer("g", prometheus.NewRegistry(), Topic{Name: "logs"})
	c.cfg.Catalog = mc
	c.cfg.CommitInterval, c.cfg.CommitRecords = time.Hour, n
	stop := run(t, c)
	select {
	case <-mc.missed:
	case <-time.After(30 * time.Second):
		t.Fatal("the consumer never looked the table up")
	}
	e.createLogs("logs")
	e.waitOffsets("g", "logs", n)
	stop()
	checkKeys(t, e, "logs", n)
}

// TestBacklogPublishes: a partition whose backlog in Kafka is at least a
// quarter of CommitRecords publishes every quarter of CommitRecords, and
// once it has caught up publishes the rest at once, without waiting for the
// commit interval (an hour here: with the interval and CommitRecords alone
// the last 200 records would wait that long). Polls of at most 60 records
// spread the backlog over several. Every record lands once. A
// partition that has caught up waits for the interval again: records
// arriving later, fewer than the backlog threshold, stay buffered.
func TestBacklogPublishes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, "logs")
	e.createLogs("logs")
	const n = 1000
	var values [][]byte
	for k := range n {
		values = append(values, logRecord(k))
	}
	e.produce("logs", values)
	reg := prometheus.NewRegistry()
	c := e.consumer("g", reg, Topic{Name: "logs"})
	c.cfg.CommitInterval, c.cfg.CommitRecords = time.Hour, 400 // behind at a backlog of 100
	c.pollMax = 60                                             // the backlog takes several polls
	stop := run(t, c)
	e.waitOffsets("g", "logs", n)
	if got := labeledValue(t, reg, "openwit_kafka_publishes_total", "ok"); got < 2 {
		t.Errorf("%v publishes, want several (one per 100 records while behind)", got)
	}

	// Caught up: 50 more records (a backlog below 100) are buffered and not
	// published. The poll that buffers them decides its publishes under
	// c.mu, so once the records are counted and the lock taken, the
	// decision is made.
	more := make([][]byte, 50)
	for i := range more {
		more[i] = logRecord(n + i)
	}
	e.produce("logs", more)
	deadline := time.Now().Add(30 * time.Second)
	for counterValue(t, reg, "openwit_kafka_buffered_records") != 50 {
		if time.Now().After(deadline) {
			t.Fatalf("buffered %v records, want 50", counterValue(t, reg, "openwit_kafka_buffered_records"))
		}
		time.Sleep(10 * time.Millisecond)
	}
	// (The backlog's last flight may be done but not yet settled: the
	// next poll settles it. A publish of the 50 would have taken them out
	// of the buffer.)
	c.mu.Lock()
	for _, ps := range c.parts {
		if ps.flying() || ps.count != 50 || ps.behind {
			t.Errorf("partition %d: flying %v, %d records buffered, behind %v; want no flight, 50, not behind", ps.tp.part, ps.flying(), ps.count, ps.behind)
		}
	}
	c.mu.Unlock()
	stop() // publishes the 50
	checkKeys(t, e, "logs", n+50)
}
