package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"

	"openwit/storage/catalog"
	"openwit/storage/objstore"
	"openwit/storage/pqfile"
)

// Unknown-field policies of a topic (Topic.UnknownFields).
const (
	// PolicyReject sends a record with a field that is not a column to
	// the dead-letter table.
	PolicyReject = "reject"
	// PolicyIgnore drops fields that are not columns.
	PolicyIgnore = "ignore"
	// PolicyAdd adds a nullable column for a field the table lacks (its
	// type inferred from the value) before the record's row is written:
	// schema evolution (docs/design/022-kafka-schema-evolution.md).
	PolicyAdd = "add"
)

// ErrorsTable is the dead-letter table: records that cannot become rows.
const ErrorsTable = "openwit_errors"

// Topic maps one Kafka topic to a table.
type Topic struct {
	Name          string `yaml:"name"`
	Table         string `yaml:"table"`          // default: the topic name
	UnknownFields string `yaml:"unknown_fields"` // PolicyReject (default), PolicyIgnore or PolicyAdd
}

// Sink learns about tables and files the consumer creates, so queries on
// this node see them at once (the ingester implements it).
type Sink interface {
	AddTable(ctx context.Context, t *catalog.Table) error
	AddFiles(tableID int64, files []*catalog.File)
}

// Publisher writes a partition's files and publishes them with its offset
// delta. Without one (Config.Publisher nil) the consumer encodes and
// uploads the files itself (Config.Bucket) and publishes them in
// Config.Catalog; a node without the storage role uses the storage
// service's client (storage/handoff.Client), so the files are encoded and
// uploaded on storage nodes (docs/design/027-kafka-through-storage.md).
// Implementations are safe for concurrent use.
type Publisher interface {
	// Stage writes batches, rows of (t, shard), as the Parquet file id
	// and uploads it without publishing it. Staging an id again writes
	// the same object (the id names its records).
	Stage(ctx context.Context, t *catalog.Table, shard int64, id string, batches []arrow.RecordBatch) (*catalog.File, error)
	// PublishAt publishes staged files with d in one catalog transaction,
	// as catalog.PublishFilesAt: an error wrapping catalog.ErrConflict
	// when the stored offset is not d.From (nothing published), nil when
	// this very publish is repeated.
	PublishAt(ctx context.Context, files []*catalog.File, d catalog.OffsetDelta) error
}

// Config configures a Consumer.
type Config struct {
	Brokers []string
	Group   string // consumer group; also the source id of the catalog offsets
	Topics  []Topic
	// CommitInterval is how often each partition's buffered records are
	// published (files + offset in one catalog transaction): the freshness
	// of Kafka rows. CommitRecords publishes a partition earlier once it
	// holds that many records.
	CommitInterval time.Duration
	CommitRecords  int
	// SessionTimeout is how long the group waits for a silent member (a
	// crashed node) before giving its partitions to others; 0 is Kafka's
	// default (45s).
	SessionTimeout time.Duration
	// BufferLimit bounds the bytes of record values read but not yet
	// published: past it every partition publishes, and consumption
	// pauses while the publish cannot bring it back under.
	BufferLimit int64
	// Pressure, when set, reports whether the node's ingest is over its
	// limits (the ingester's buffers or WAL, ingest.ErrOverloaded):
	// consumption pauses while it returns an error.
	Pressure func() error
	// SchemaLock, when set, is taken around a column addition (the
	// cluster-wide etcd schema lock, as for DDL over SQL).
	SchemaLock func(ctx context.Context) (unlock func(), err error)

	Catalog catalog.Catalog
	// Publisher writes and publishes the files; nil: the consumer does it
	// with Bucket, Writer and Catalog (storage.Publisher: each file's index
	// artifact is built from the batches while the file uploads, unless
	// DeferIndex leaves it to the indexer role).
	Publisher  Publisher
	Bucket     objstore.Bucket
	Writer     pqfile.WriterOptions
	DeferIndex bool
	Sink       Sink // optional
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// ClientOptions are appended to the franz-go client options (tests use
	// them for short session timeouts).
	ClientOptions []kgo.Opt
}

// DefaultConfig returns the defaults of `openwit serve`.
func DefaultConfig() Config {
	return Config{Group: "openwit", CommitInterval: 5 * time.Second, CommitRecords: 500_000, BufferLimit: 1 << 30}
}

// Validate checks the configuration and fills defaults.
func (c *Config) Validate() error {
	d := DefaultConfig()
	if len(c.Brokers) == 0 {
		return errors.New("kafka: no brokers")
	}
	if len(c.Topics) == 0 {
		return errors.New("kafka: no topics")
	}
	if c.Group == "" {
		c.Group = d.Group
	}
	if c.CommitInterval <= 0 {
		c.CommitInterval = d.CommitInterval
	}
	if c.CommitRecords <= 0 {
		c.CommitRecords = d.CommitRecords
	}
	if c.BufferLimit <= 0 {
		c.BufferLimit = d.BufferLimit
	}
	seen := map[string]bool{}
	for i := range c.Topics {
		t := &c.Topics[i]
		if t.Name == "" {
			return errors.New("kafka: a topic without a name")
		}
		if seen[t.Name] {
			return fmt.Errorf("kafka: topic %q listed twice", t.Name)
		}
		seen[t.Name] = true
		if t.Table == "" {
			t.Table = t.Name
		}
		switch t.UnknownFields {
		case "":
			t.UnknownFields = PolicyReject
		case PolicyReject, PolicyIgnore, PolicyAdd:
		default:
			return fmt.Errorf("kafka: topic %q: unknown_fields %q: want %s, %s or %s", t.Name, t.UnknownFields, PolicyReject, PolicyIgnore, PolicyAdd)
		}
	}
	if c.Catalog == nil || (c.Bucket == nil && c.Publisher == nil) {
		return errors.New("kafka: catalog and an object store or publisher are required")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Registerer == nil {
		c.Registerer = prometheus.NewRegistry()
	}
	return nil
}
