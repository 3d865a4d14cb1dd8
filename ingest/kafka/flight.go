package kafka

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/twmb/franz-go/pkg/kgo"

	"openwit/storage"
	"openwit/storage/catalog"
)

// flight is one partition publish running in the background while the
// poll loop converts the partition's next records into fresh builders
// (docs/design/055-kafka-publish-pipeline.md). A partition has at most
// one flight; its next publish starts after it is settled, so the offset
// ranges a partition publishes stay contiguous and in order.
//
// The goroutine reads only the flight (and the consumer's thread-safe
// publisher, sink, metrics and byte counter); the partition's state is
// changed by settle, under Consumer.mu.
type flight struct {
	done  chan struct{}
	table *catalog.Table // the topic's table when the flight started (its batches' schema)
	held  map[bkey][]arrow.RecordBatch
	from  int64 // the catalog offset the delta starts from (partState.stored)
	first int64 // offset of the first record in the flight
	to    int64 // offset after the last record
	count int
	bytes int64
	since time.Time
	err   error // set before done is closed
}

// startFlight cuts ps's buffer into a flight and publishes it in the
// background. ps must have no flight and records buffered. The caller
// holds c.mu.
func (c *Consumer) startFlight(ctx context.Context, ps *partState) {
	for k, b := range ps.build {
		if b.Field(0).Len() > 0 {
			ps.held[k] = append(ps.held[k], b.NewRecordBatch())
		}
	}
	fl := &flight{done: make(chan struct{}), table: ps.info.table, held: ps.held, from: ps.stored,
		first: ps.first, to: ps.last + 1, count: ps.count, bytes: ps.bytes, since: ps.since}
	ps.held = map[bkey][]arrow.RecordBatch{}
	ps.first, ps.count, ps.bytes = -1, 0, 0
	ps.fl = fl
	tp, hash := ps.tp, ps.info.hash
	go func() {
		defer close(fl.done)
		defer func() {
			if r := recover(); r != nil {
				fl.err = fmt.Errorf("kafka publish of %s/%d panicked: %v", tp.topic, tp.part, r)
			}
		}()
		fl.err = c.fly(ctx, fl, tp, hash)
	}()
}

// fly writes a flight's files (one per table and shard; Publisher.Stage:
// here or on a storage node), several at once (each holds one of
// Consumer.slots), and publishes them with the offset delta in one
// catalog transaction (Publisher.PublishAt). Once published, the
// node's sink is told and the rows and bytes counted, before settle: a
// reader of openwit_kafka_rows_published_total then finds the rows.
func (c *Consumer) fly(ctx context.Context, fl *flight, tp tp, hash string) error {
	keys := make([]bkey, 0, len(fl.held))
	for k := range fl.held {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].table < keys[j].table || (keys[i].table == keys[j].table && keys[i].shard < keys[j].shard)
	})
	files, err := c.stageAll(ctx, fl, keys, tp, hash)
	if err != nil {
		return err
	}
	var rows int64
	for i, k := range keys {
		if k.table == fl.table.ID {
			rows += files[i].Rows
		}
	}
	d := catalog.OffsetDelta{Source: c.cfg.Group, Topic: tp.topic, Partition: tp.part, From: fl.from, To: fl.to}
	if err := c.pub.PublishAt(ctx, files, d); err != nil {
		return err
	}
	c.m.buffered.Sub(float64(fl.count))
	c.addBytes(-fl.bytes)
	if c.cfg.Sink != nil {
		byTable := map[int64][]*catalog.File{}
		for _, f := range files {
			byTable[f.TableID] = append(byTable[f.TableID], f)
		}
		for id, fs := range byTable {
			c.cfg.Sink.AddFiles(id, fs)
		}
	}
	// Counted once the node's queries see the files (both counters, so a
	// reader that sees the rows also sees their publish).
	c.m.publishes.WithLabelValues("ok").Inc()
	c.m.rowsPublished.Add(float64(rows))
	return nil
}

// stageAll stages the flight's file of each key, up to cap(c.slots) at
// once across the consumer's flights, and returns them in keys' order or
// the first error (the other stages are then cancelled).
func (c *Consumer) stageAll(ctx context.Context, fl *flight, keys []bkey, tp tp, hash string) ([]*catalog.File, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	files := make([]*catalog.File, len(keys))
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	fail := func(err error) {
		once.Do(func() { first = err; cancel() })
	}
	for i, k := range keys {
		acquired := false
		select {
		case c.slots <- struct{}{}:
			acquired = true
		case <-ctx.Done():
		}
		if err := ctx.Err(); err != nil {
			if acquired {
				<-c.slots
			}
			fail(err)
			break
		}
		t := fl.table
		if k.table == c.errT.ID {
			t = c.errT
		}
		// The id names the records it holds (first..to-1 of the
		// partition), so two consumers racing for one range write the
		// same object with the same rows.
		id := fmt.Sprintf("t%d-s%d-k%s-p%d-o%d-%d", k.table, k.shard, hash, tp.part, fl.first, fl.to)
		wg.Add(1)
		go func() {
			defer func() {
				if r := recover(); r != nil {
					fail(fmt.Errorf("stage %s panicked: %v", id, r))
				}
				<-c.slots
				wg.Done()
			}()
			f, err := c.pub.Stage(ctx, t, k.shard, id, fl.held[k])
			if err != nil {
				fail(err)
				return
			}
			files[i] = f
		}()
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	return files, nil
}

// settle waits for ps's flight, if any, and applies its result to ps:
// published, the partition's stored offset moves to the flight's end (and
// Kafka's committed offset, a hint, is queued); on a conflict (another
// consumer published the range) the flight and everything buffered after
// it are dropped and the partition re-seeks to the catalog's offset; on
// another error the flight's batches go back in front of ps's buffer, to
// be published again with what came after them. The caller holds c.mu.
func (c *Consumer) settle(ctx context.Context, ps *partState) {
	fl := ps.fl
	if fl == nil {
		return
	}
	<-fl.done
	ps.fl = nil
	switch err := fl.err; {
	case err == nil: // counted by fly
		ps.stored = fl.to
		releaseHeld(fl.held)
		c.queueCommit(ps.tp, fl.to)
	case errors.Is(err, catalog.ErrConflict):
		// Another consumer published this range (we were a zombie
		// owner): drop ours and continue from the catalog's offset.
		c.m.publishes.WithLabelValues("conflict").Inc()
		releaseHeld(fl.held)
		c.m.buffered.Sub(float64(fl.count + ps.count))
		c.addBytes(-fl.bytes - ps.bytes)
		ps.reset()
		stored, rerr := c.cfg.Catalog.SourceOffsets(ctx, c.cfg.Group, ps.tp.topic)
		o, ok := stored[ps.tp.part]
		if rerr != nil || !ok {
			// Seek again on the next assignment; until then accept
			// nothing older than what we had.
			c.log.Warn("kafka: offset conflict, catalog unreadable", "topic", ps.tp.topic, "partition", ps.tp.part, "err", rerr)
			return
		}
		c.log.Info("kafka: offset conflict, seeking to the catalog's offset", "topic", ps.tp.topic, "partition", ps.tp.part, "offset", o)
		ps.stored, ps.next = o, o
		c.queueSeek(ps.tp, o)
	default:
		c.m.publishes.WithLabelValues("error").Inc()
		c.log.Warn("kafka publish failed; will retry", "topic", ps.tp.topic, "partition", ps.tp.part, "err", err)
		c.unfly(ps, fl)
	}
}

// unfly puts a failed flight's batches back in front of ps's buffer. The
// flight's batches of the topic's table are widened to the partition's
// converter schema when columns were added meanwhile (schema evolution),
// so one file of the partition keeps one schema.
func (c *Consumer) unfly(ps *partState, fl *flight) {
	for k, rs := range fl.held {
		if k.table == fl.table.ID && fl.table != ps.conv.t {
			for i, r := range rs {
				w, err := storage.Widen(c.mem, r, ps.conv.schema)
				if err != nil {
					// Cannot happen: columns are only added. Drop nothing
					// silently: keep the batch and let Stage report it.
					c.log.Error("kafka: widen a failed publish's rows", "table", fl.table.Name, "err", err)
					continue
				}
				r.Release()
				rs[i] = w
			}
		}
		ps.held[k] = append(rs, ps.held[k]...)
	}
	if ps.count == 0 {
		ps.last = fl.to - 1
	}
	ps.first, ps.since = fl.first, fl.since
	ps.count += fl.count
	ps.bytes += fl.bytes
}

// flying reports whether ps has a flight that has not finished.
func (ps *partState) flying() bool {
	if ps.fl == nil {
		return false
	}
	select {
	case <-ps.fl.done:
		return false
	default:
		return true
	}
}

// reap settles the flights that have finished, without waiting. The
// caller holds c.mu.
func (c *Consumer) reap(ctx context.Context) {
	for _, ps := range c.parts {
		if ps.fl == nil {
			continue
		}
		select {
		case <-ps.fl.done:
			c.settle(ctx, ps)
		default:
		}
	}
}

func releaseHeld(held map[bkey][]arrow.RecordBatch) {
	for _, rs := range held {
		for _, r := range rs {
			r.Release()
		}
	}
}

// queueCommit notes Kafka's committed offset (a hint) for a partition,
// sent by flushOffsets.
func (c *Consumer) queueCommit(k tp, o int64) {
	if c.commit[k.topic] == nil {
		c.commit[k.topic] = map[int32]kgo.EpochOffset{}
	}
	c.commit[k.topic][k.part] = kgo.EpochOffset{Epoch: -1, Offset: o}
}

// queueSeek notes a partition to re-seek, sent by flushOffsets.
func (c *Consumer) queueSeek(k tp, o int64) {
	if c.seek[k.topic] == nil {
		c.seek[k.topic] = map[int32]kgo.EpochOffset{}
	}
	c.seek[k.topic][k.part] = kgo.EpochOffset{Epoch: -1, Offset: o}
}

// flushOffsets re-seeks the partitions that lost a compare-and-set and
// commits Kafka's offsets of the publishes settled since the last call.
// The caller holds c.mu.
func (c *Consumer) flushOffsets(ctx context.Context) {
	// The client may read the maps after the calls return (the commit
	// is asynchronous): start new ones.
	if len(c.seek) > 0 {
		if c.cl != nil {
			c.cl.SetOffsets(c.seek)
		}
		c.seek = map[string]map[int32]kgo.EpochOffset{}
	}
	if len(c.commit) > 0 {
		if c.cl != nil {
			c.cl.CommitOffsets(ctx, c.commit, nil)
		}
		c.commit = map[string]map[int32]kgo.EpochOffset{}
	}
}
