package kafka

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/twmb/franz-go/pkg/kgo"

	"openwit/ingest"
	"openwit/storage"
	"openwit/storage/catalog"
)

// maxRawText bounds the raw text of a record kept in the dead-letter table.
const maxRawText = 64 << 10

// pollRecords is the most records one poll hands over.
const pollRecords = 50_000

// Consumer reads the configured topics in a consumer group and publishes
// their records as Parquet files, exactly once in effect (see doc.go).
// Run it once; it is not restartable.
type Consumer struct {
	cfg       Config
	log       *slog.Logger
	m         *metrics
	mem       memory.Allocator
	cl        *kgo.Client
	pub       Publisher
	topics    map[string]*topicInfo
	errT      *catalog.Table // the dead-letter table
	errSchema *arrow.Schema

	mu    sync.Mutex // the partition states; held while processing
	parts map[tp]*partState

	names   []string     // the topics, sorted
	bytes   atomic.Int64 // record value bytes buffered (all partitions)
	paused  atomic.Bool  // fetching paused by backpressure (set by Run)
	retryAt time.Time    // after a failed column addition: poll again then
	// stuck is set when a publish at the buffer limit failed during the
	// current poll: no more publishes are tried until the next poll.
	stuck bool
	// seenRecords and seenBytes size polls: the average record size.
	seenRecords, seenBytes int64
	// pollMax is the most records one poll hands over (pollRecords; tests
	// lower it to spread a backlog over several polls).
	pollMax int64
	// slots bounds the flights staging files at once (GOMAXPROCS).
	slots chan struct{}
	// commit and seek collect, from settled flights, Kafka's committed
	// offsets (a hint) and the partitions to re-seek (flushOffsets).
	commit, seek map[string]map[int32]kgo.EpochOffset
}

type tp struct {
	topic string
	part  int32
}

type topicInfo struct {
	cfg   Topic
	table *catalog.Table
	hash  string // short hash of (group, topic) for file ids
}

// bkey is one output file of a partition: a table and a time shard.
type bkey struct {
	table int64
	shard int64
}

// partState is the buffer of one assigned partition.
type partState struct {
	tp     tp
	info   *topicInfo
	conv   *converter
	stored int64 // the catalog's offset (next to read), or NoOffset
	next   int64 // records below it are stale; -1 accepts any
	first  int64 // offset of the first buffered record; -1: empty
	last   int64
	count  int   // buffered records
	bytes  int64 // their value bytes
	// halt, when >= 0, is the offset of a record whose new columns could
	// not be added (catalog or schema lock unavailable): the partition
	// takes no record from it on, and Run seeks back to it.
	halt int64
	// hw is the partition's high watermark at the last fetch (-1: none
	// seen); behind is set when a fetch found a backlog of at least
	// backlogRecords() after the records taken, and cleared by the publish
	// that starts once the partition has caught up (backlogDue).
	hw     int64
	behind bool
	since  time.Time
	build  map[bkey]*array.RecordBuilder
	held   map[bkey][]arrow.RecordBatch // built, not yet published
	// fl is the partition's publish in progress (nil: none); its records
	// come before the buffered ones and are still counted in
	// Consumer.bytes until published.
	fl *flight
}

// New checks cfg; Run does the work.
func New(cfg Config) (*Consumer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Consumer{cfg: cfg, log: cfg.Logger, m: newMetrics(cfg.Registerer), mem: memory.DefaultAllocator,
		topics: map[string]*topicInfo{}, parts: map[tp]*partState{}, pub: cfg.Publisher,
		slots: make(chan struct{}, runtime.GOMAXPROCS(0)), pollMax: pollRecords,
		commit: map[string]map[int32]kgo.EpochOffset{}, seek: map[string]map[int32]kgo.EpochOffset{}}
	if c.pub == nil {
		c.pub = &localPublisher{p: &storage.Publisher{Bucket: cfg.Bucket, Catalog: cfg.Catalog, Writer: cfg.Writer,
			DeferIndex: cfg.DeferIndex, Logger: cfg.Logger}}
	}
	for _, t := range cfg.Topics {
		h := fnv.New32a()
		h.Write([]byte(cfg.Group + "\x00" + t.Name))
		c.topics[t.Name] = &topicInfo{cfg: t, hash: fmt.Sprintf("%08x", h.Sum32())}
	}
	return c, nil
}

// Run resolves the tables (waiting for them to be created), joins the
// group and consumes until ctx is cancelled; then it publishes what it
// holds and leaves the group.
func (c *Consumer) Run(ctx context.Context) error {
	if err := c.resolveTables(ctx); err != nil {
		return err
	}
	names := make([]string, 0, len(c.topics))
	for n := range c.topics {
		names = append(names, n)
	}
	sort.Strings(names)
	c.names = names
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.cfg.Brokers...),
		kgo.ConsumerGroup(c.cfg.Group),
		kgo.ConsumeTopics(names...),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(time.Second),
		// The client buffers one fetch per broker while we publish: make
		// it big enough to keep the partitions busy.
		kgo.FetchMaxPartitionBytes(8 << 20),
		kgo.AdjustFetchOffsetsFn(c.adjustOffsets),
		kgo.OnPartitionsRevoked(c.revoked),
		kgo.OnPartitionsLost(c.lost),
	}
	if st := c.cfg.SessionTimeout; st > 0 {
		opts = append(opts, kgo.SessionTimeout(st), kgo.HeartbeatInterval(st/4))
	}
	cl, err := kgo.NewClient(append(opts, c.cfg.ClientOptions...)...)
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	c.cl = cl
	c.log.Info("kafka consumer started", "group", c.cfg.Group, "topics", names, "commit_interval", c.cfg.CommitInterval)
	for ctx.Err() == nil {
		if d := time.Until(c.retryAt); d > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(d):
			}
			continue
		}
		c.backpressure(ctx)
		wait := c.untilDue()
		if c.paused.Load() {
			// Fetching is paused: come back soon to see whether the
			// pressure is gone.
			wait = min(wait, pausedCheck)
		}
		pctx, cancel := context.WithTimeout(ctx, wait)
		fetches := cl.PollRecords(pctx, c.pollSize())
		cancel()
		if fetches.IsClientClosed() {
			break
		}
		fetches.EachError(func(topic string, part int32, err error) {
			if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				c.log.Warn("kafka fetch error", "topic", topic, "partition", part, "err", err)
			}
		})
		c.mu.Lock()
		c.stuck = false
		c.reap(ctx)
		fetches.EachRecord(func(r *kgo.Record) { c.add(ctx, r) })
		fetches.EachPartition(c.noteLag)
		c.seekHalted()
		c.publish(ctx, c.bytes.Load() >= c.cfg.BufferLimit, nil)
		c.mu.Unlock()
		cl.AllowRebalance()
	}
	// Publish what is buffered, then leave the group (the revoke callback
	// finds the buffers empty).
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	c.mu.Lock()
	c.publish(sctx, true, nil)
	c.mu.Unlock()
	cl.Close()
	c.mu.Lock()
	for k, ps := range c.parts {
		ps.release()
		delete(c.parts, k)
	}
	c.mu.Unlock()
	c.m.assigned.Set(0)
	c.m.buffered.Set(0)
	c.m.bufferedBytes.Set(0)
	c.m.paused.Set(0)
	return nil
}

// pollSize is how many records the next poll may take: what fits under
// Config.BufferLimit at the average record size seen, at least one, at
// most pollMax (pollRecords). The client's own fetch buffers (a fetch per broker)
// come on top.
func (c *Consumer) pollSize() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seenRecords == 0 {
		return 1 // learn the record size first
	}
	avg := max(c.seenBytes/c.seenRecords, 1)
	room := max(c.cfg.BufferLimit-c.bytes.Load(), 0)
	return int(min(room/avg+1, c.pollMax))
}

// pausedCheck is how often a paused consumer looks at the pressure again.
const pausedCheck = 100 * time.Millisecond

// pressure returns why consumption should pause, or "".
func (c *Consumer) pressure() string {
	if c.bytes.Load() >= c.cfg.BufferLimit {
		return "buffer_limit"
	}
	if c.cfg.Pressure != nil && c.cfg.Pressure() != nil {
		return "ingest"
	}
	return ""
}

// backpressure pauses fetching while the consumer's buffers are over
// Config.BufferLimit after publishing them (a publish that fails, say the
// object store is down) or the node's ingest is over its limits
// (Config.Pressure), and resumes it when the pressure is gone. Records
// the client had fetched for paused topics are dropped by franz-go and
// fetched again after the resume, from the next offset not yet taken, so
// pausing neither loses nor repeats a record.
func (c *Consumer) backpressure(ctx context.Context) {
	why := c.pressure()
	if why == "buffer_limit" {
		c.mu.Lock()
		c.publish(ctx, true, nil)
		c.mu.Unlock()
		why = c.pressure()
	}
	switch {
	case why != "" && !c.paused.Load():
		c.cl.PauseFetchTopics(c.names...)
		c.paused.Store(true)
		c.m.paused.Set(1)
		c.m.pauses.WithLabelValues(why).Inc()
		c.log.Warn("kafka consumption paused by backpressure", "reason", why, "buffered_bytes", c.bytes.Load(), "buffer_limit", c.cfg.BufferLimit)
	case why == "" && c.paused.Load():
		c.cl.ResumeFetchTopics(c.names...)
		c.paused.Store(false)
		c.m.paused.Set(0)
		c.log.Info("kafka consumption resumed")
	}
}

// Paused reports whether consumption is paused by backpressure.
func (c *Consumer) Paused() bool { return c.paused.Load() }

// seekHalted moves halted partitions back to the record that could not
// be taken, to be read again after a pause. The caller holds c.mu.
func (c *Consumer) seekHalted() {
	seek := map[string]map[int32]kgo.EpochOffset{}
	for _, ps := range c.parts {
		if ps.halt < 0 {
			continue
		}
		if seek[ps.tp.topic] == nil {
			seek[ps.tp.topic] = map[int32]kgo.EpochOffset{}
		}
		seek[ps.tp.topic][ps.tp.part] = kgo.EpochOffset{Epoch: -1, Offset: ps.halt}
		ps.next, ps.halt = ps.halt, -1
	}
	if len(seek) > 0 && c.cl != nil {
		c.cl.SetOffsets(seek)
		c.retryAt = time.Now().Add(time.Second)
	}
}

// tableWaitFirst is how long resolveTables first waits for a missing
// table; each further wait doubles, up to the commit interval.
const tableWaitFirst = 25 * time.Millisecond

// resolveTables looks the topics' tables up, waiting for missing ones,
// and creates the dead-letter table when needed. A missing table is
// looked up again after tableWaitFirst, then at doubling intervals up to
// the commit interval: a table created just after the node started (as
// `openwit bench ingest` and most deployments do) is found within a few
// tens of milliseconds, not a commit interval later.
func (c *Consumer) resolveTables(ctx context.Context) error {
	wait := min(tableWaitFirst, c.cfg.CommitInterval)
	for warned := false; ; {
		missing := ""
		for _, ti := range c.topics {
			if ti.table != nil {
				continue
			}
			t, err := c.cfg.Catalog.GetTable(ctx, ti.cfg.Table)
			if err != nil {
				missing = ti.cfg.Table
				if !errors.Is(err, catalog.ErrNotFound) {
					c.log.Warn("kafka: read table", "table", ti.cfg.Table, "err", err)
				}
				continue
			}
			ti.table = t
		}
		if missing == "" {
			break
		}
		if !warned || wait >= c.cfg.CommitInterval {
			c.log.Warn("kafka: waiting for the table of a topic to be created", "table", missing)
			warned = true
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, c.cfg.CommitInterval)
	}
	t, err := c.cfg.Catalog.GetTable(ctx, ErrorsTable)
	if errors.Is(err, catalog.ErrNotFound) {
		t, err = c.cfg.Catalog.CreateTable(ctx, ErrorsTableDef())
		if errors.Is(err, catalog.ErrExists) { // another node won
			t, err = c.cfg.Catalog.GetTable(ctx, ErrorsTable)
		}
	}
	if err != nil {
		return fmt.Errorf("dead-letter table %s: %w", ErrorsTable, err)
	}
	c.errT = t
	if c.errSchema, err = storage.ArrowSchema(t); err != nil {
		return err
	}
	if c.cfg.Sink != nil {
		if err := c.cfg.Sink.AddTable(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

// ErrorsTableDef is the definition of the dead-letter table.
func ErrorsTableDef() *catalog.Table {
	return &catalog.Table{
		Name: ErrorsTable,
		Columns: []catalog.Column{
			{Name: "ts", Type: storage.TypeTimestampTZ, NotNull: true},
			{Name: "topic", Type: storage.TypeText, NotNull: true},
			{Name: "partition", Type: storage.TypeInt4, NotNull: true},
			{Name: "offset", Type: storage.TypeInt8, NotNull: true},
			{Name: "error", Type: storage.TypeText, NotNull: true},
			{Name: "raw", Type: storage.TypeText},
		},
		TimeColumn:    "ts",
		ShardDuration: 24 * time.Hour,
	}
}

// untilDue is how long the next poll may wait: until the oldest buffer
// is due, at most a commit interval.
func (c *Consumer) untilDue() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.cfg.CommitInterval
	for _, ps := range c.parts {
		if ps.count > 0 {
			d = min(d, time.Until(ps.since.Add(c.cfg.CommitInterval)))
			if c.backlogDue(ps) {
				d = 0
			}
		}
	}
	return max(d, 10*time.Millisecond)
}

// backlogRecords is the backlog (records in Kafka after those taken) at
// which a partition counts as behind, and the buffer at which a behind
// partition publishes without waiting for the commit interval: a quarter
// of Config.CommitRecords.
func (c *Consumer) backlogRecords() int64 {
	return max(int64(c.cfg.CommitRecords)/4, 1)
}

// noteLag records a fetched partition's high watermark and marks the
// partition behind when the records after those taken are at least
// backlogRecords(). The caller holds c.mu.
func (c *Consumer) noteLag(p kgo.FetchTopicPartition) {
	ps := c.parts[tp{p.Topic, p.Partition}]
	if ps == nil || p.Err != nil || p.HighWatermark < 0 {
		return
	}
	ps.hw = p.HighWatermark
	if ps.next >= 0 && ps.hw-ps.next >= c.backlogRecords() {
		ps.behind = true
	}
}

// backlogDue reports whether a partition catching up on a backlog should
// publish now rather than at the commit interval: it is behind and holds
// backlogRecords() records, or it has caught up (taken every record up
// to the last high watermark), so the backlog's last records do not wait
// an interval. Publishes then follow each other as fast as they are
// staged, each carrying what was converted during the previous one
// (docs/design/068-kafka-backlog-publishes.md). The caller holds c.mu.
func (c *Consumer) backlogDue(ps *partState) bool {
	return ps.behind && ps.count > 0 && (int64(ps.count) >= c.backlogRecords() || ps.caughtUp())
}

// caughtUp reports whether ps has taken every record below the high
// watermark of its last fetch.
func (ps *partState) caughtUp() bool {
	return ps.hw >= 0 && ps.next >= ps.hw
}

// newPart makes the state of an assigned partition; stored is the
// catalog's offset or NoOffset.
func (c *Consumer) newPart(k tp, stored int64) (*partState, error) {
	ti := c.topics[k.topic]
	if ti == nil {
		return nil, fmt.Errorf("kafka: records of unknown topic %q", k.topic)
	}
	conv, err := newConverter(ti.table, ti.cfg.UnknownFields)
	if err != nil {
		return nil, err
	}
	ps := &partState{tp: k, info: ti, conv: conv, stored: stored, next: stored, first: -1, halt: -1, hw: -1,
		build: map[bkey]*array.RecordBuilder{}, held: map[bkey][]arrow.RecordBatch{}}
	if old := c.parts[k]; old != nil {
		c.settle(context.Background(), old)
		old.release()
	}
	c.parts[k] = ps
	c.m.assigned.Set(float64(len(c.parts)))
	return ps, nil
}

// adjustOffsets runs when partitions are assigned: it starts each at the
// catalog's offset, the only one that counts (Kafka's committed offset is
// a hint used when the catalog has none).
func (c *Consumer) adjustOffsets(ctx context.Context, offsets map[string]map[int32]kgo.Offset) (map[string]map[int32]kgo.Offset, error) {
	for topic, parts := range offsets {
		stored, err := c.cfg.Catalog.SourceOffsets(ctx, c.cfg.Group, topic)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		for p := range parts {
			o, ok := stored[p]
			if !ok {
				o = catalog.NoOffset
			} else {
				parts[p] = kgo.NewOffset().At(o).WithEpoch(-1)
			}
			if _, err := c.newPart(tp{topic, p}, o); err != nil {
				c.mu.Unlock()
				return nil, err
			}
			c.log.Info("kafka partition assigned", "topic", topic, "partition", p, "catalog_offset", o)
		}
		c.mu.Unlock()
	}
	return offsets, nil
}

// revoked publishes the revoked partitions' buffers, so the next owner
// starts where this one stopped, and forgets them.
func (c *Consumer) revoked(ctx context.Context, _ *kgo.Client, revoked map[string][]int32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	only := map[tp]bool{}
	for topic, parts := range revoked {
		for _, p := range parts {
			only[tp{topic, p}] = true
		}
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	c.publish(pctx, true, only)
	cancel()
	c.drop(only)
}

// lost forgets partitions taken away without a clean revoke; their
// buffers are dropped (Kafka still has the records).
func (c *Consumer) lost(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	only := map[tp]bool{}
	for topic, parts := range lost {
		for _, p := range parts {
			only[tp{topic, p}] = true
		}
	}
	c.drop(only)
}

func (c *Consumer) drop(only map[tp]bool) {
	for k := range only {
		if ps := c.parts[k]; ps != nil {
			// A publish in flight either commits (the range was still
			// ours) or conflicts; wait for it, so its batches are
			// released and its files reach the sink.
			c.settle(context.Background(), ps)
			c.m.buffered.Sub(float64(ps.count))
			c.addBytes(-ps.bytes)
			ps.release()
			delete(c.parts, k)
		}
	}
	c.m.assigned.Set(float64(len(c.parts)))
}

// add buffers one record: a row of the topic's table, or a dead letter.
// Under PolicyAdd a record with new fields first adds their columns.
func (c *Consumer) add(ctx context.Context, r *kgo.Record) {
	k := tp{r.Topic, r.Partition}
	ps := c.parts[k]
	if ps == nil {
		// Assigned without adjustOffsets (should not happen): read the
		// catalog now.
		stored, err := c.cfg.Catalog.SourceOffsets(context.Background(), c.cfg.Group, r.Topic)
		if err != nil {
			c.log.Warn("kafka: read offsets", "topic", r.Topic, "err", err)
			return
		}
		o, ok := stored[r.Partition]
		if !ok {
			o = catalog.NoOffset
		}
		if ps, err = c.newPart(k, o); err != nil {
			c.log.Warn("kafka: partition", "topic", r.Topic, "partition", r.Partition, "err", err)
			return
		}
	}
	if ps.halt >= 0 || (ps.next >= 0 && r.Offset < ps.next) {
		return // halted, or from before a seek
	}
	shard, err := c.convert(ctx, ps, r.Value)
	if errors.Is(err, errHalt) {
		ps.halt = r.Offset
		return
	}
	if ps.first < 0 {
		ps.first, ps.since = r.Offset, time.Now()
	}
	ps.last, ps.next = r.Offset, r.Offset+1
	ps.count++
	ps.bytes += int64(len(r.Value))
	c.addBytes(int64(len(r.Value)))
	c.seenRecords++
	c.seenBytes += int64(len(r.Value))
	c.m.buffered.Inc()
	defer c.atLimit(ctx)
	if err == nil {
		b := ps.builder(c.mem, bkey{ps.info.table.ID, shard}, ps.conv.schema)
		ps.conv.appendRow(b)
		c.m.rows.Inc()
		return
	}
	c.m.deadLetters.WithLabelValues(r.Topic).Inc()
	ts := r.Timestamp.UnixMicro()
	ts = min(max(ts, minTimestampTZ), maxTimestampTZ)
	b := ps.builder(c.mem, bkey{c.errT.ID, ingest.ShardOf(c.errT, ts)}, c.errSchema)
	b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(ts))
	b.Field(1).(*array.StringBuilder).Append(r.Topic)
	b.Field(2).(*array.Int32Builder).Append(r.Partition)
	b.Field(3).(*array.Int64Builder).Append(r.Offset)
	b.Field(4).(*array.StringBuilder).Append(err.Error())
	raw := r.Value
	if len(raw) > maxRawText {
		raw = raw[:maxRawText]
	}
	if r.Value == nil {
		b.Field(5).AppendNull()
	} else {
		b.Field(5).(*array.StringBuilder).Append(strings.ToValidUTF8(string(raw), string(utf8.RuneError)))
	}
}

func (ps *partState) builder(mem memory.Allocator, k bkey, schema *arrow.Schema) *array.RecordBuilder {
	b := ps.build[k]
	if b == nil {
		b = array.NewRecordBuilder(mem, schema)
		ps.build[k] = b
	}
	return b
}

// atLimit publishes every buffer once the buffered bytes reach
// Config.BufferLimit, so memory stays within the limit plus one record.
// The caller holds c.mu.
func (c *Consumer) atLimit(ctx context.Context) {
	if c.stuck || c.bytes.Load() < c.cfg.BufferLimit {
		return
	}
	c.publish(ctx, true, nil)
	c.stuck = c.bytes.Load() >= c.cfg.BufferLimit
}

// addBytes counts buffered record bytes.
func (c *Consumer) addBytes(n int64) {
	c.m.bufferedBytes.Set(float64(c.bytes.Add(n)))
}

// reset drops the buffered records.
func (ps *partState) reset() {
	for k, rs := range ps.held {
		for _, r := range rs {
			r.Release()
		}
		delete(ps.held, k)
	}
	for _, b := range ps.build {
		if b.Field(0).Len() > 0 {
			b.NewRecordBatch().Release()
		}
	}
	ps.first, ps.count, ps.bytes = -1, 0, 0
}

func (ps *partState) release() {
	ps.reset()
	for k, b := range ps.build {
		b.Release()
		delete(ps.build, k)
	}
}

// publish starts publishing the buffers that are due (all: every
// non-empty one), limited to only when it is not nil, each in a flight of
// its own (flight.go). A partition whose previous flight still runs is
// skipped (it stays due) unless all, which waits for it and then for
// every flight it started, so the buffers it covers are empty afterwards
// unless a publish failed. Then it commits Kafka's offsets of the settled
// flights (a hint) and re-seeks partitions that lost a compare-and-set.
// The caller holds c.mu.
func (c *Consumer) publish(ctx context.Context, all bool, only map[tp]bool) {
	now := time.Now()
	var started []*partState
	for k, ps := range c.parts {
		if only != nil && !only[k] {
			continue
		}
		if ps.count == 0 {
			if all {
				c.settle(ctx, ps) // it may fail and give its records back
			}
			if ps.count == 0 {
				continue
			}
		}
		if all || ps.count >= c.cfg.CommitRecords || now.Sub(ps.since) >= c.cfg.CommitInterval || c.backlogDue(ps) {
			if !all && ps.flying() {
				// Due, but its previous publish still runs: keep
				// converting; the loop comes back within 10 ms
				// (untilDue) and starts it once that one is done.
				continue
			}
			c.settle(ctx, ps)
			if ps.count > 0 { // a conflict may have dropped the buffer
				if ps.caughtUp() {
					ps.behind = false // the backlog's last records go now
				}
				c.startFlight(ctx, ps)
				started = append(started, ps)
			}
		}
	}
	if all {
		for _, ps := range started {
			c.settle(ctx, ps)
		}
	}
	c.flushOffsets(ctx)
}

// localPublisher encodes and uploads the files itself and publishes them
// in the catalog: a consumer on a node with the storage role. Files are
// written as the WAL path writes them (storage.Publisher: recycled file
// buffers, the index artifact built from the batches while the file
// uploads), so the indexer does not decode every Kafka file again.
type localPublisher struct {
	p *storage.Publisher
}

var _ Publisher = (*localPublisher)(nil)

// Stage encodes batches as one Parquet file and uploads it.
func (p *localPublisher) Stage(ctx context.Context, t *catalog.Table, shard int64, id string, batches []arrow.RecordBatch) (*catalog.File, error) {
	return p.p.Stage(ctx, t, shard, id, batches)
}

// PublishAt publishes the files with d in one catalog transaction.
func (p *localPublisher) PublishAt(ctx context.Context, files []*catalog.File, d catalog.OffsetDelta) error {
	return p.p.Catalog.PublishFilesAt(ctx, files, d)
}
