package node

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"openwit/ingest/kafka"
)

// KafkaConfig configures Kafka ingest (package ingest/kafka) on processes
// with the ingest role; off without brokers.
type KafkaConfig struct {
	Brokers []string `yaml:"brokers"`
	// Group is the consumer group (default "openwit"); it is also the
	// source id of the offsets stored in the catalog.
	Group string `yaml:"group"`
	// Topics map topics to tables (default: the table named as the topic)
	// with a policy for unknown fields (reject, ignore or add).
	Topics []kafka.Topic `yaml:"topics"`
	// CommitInterval is how often a partition's records are published
	// (files and offset in one catalog transaction): their freshness.
	CommitInterval time.Duration `yaml:"commit_interval"`
	// CommitRecords publishes a partition earlier at this many records.
	CommitRecords int `yaml:"commit_records"`
	// SessionTimeout is how long the group waits for a silent (crashed)
	// node before moving its partitions; default Kafka's 45s.
	SessionTimeout time.Duration `yaml:"session_timeout"`
}

// KafkaFlags registers the --kafka-* flags on fs.
func KafkaFlags(fs *flag.FlagSet, k *KafkaConfig) {
	fs.Func("kafka-brokers", "comma-separated host:port list of Kafka bootstrap brokers; enables Kafka ingest", func(v string) error {
		k.Brokers = splitList(v)
		return nil
	})
	fs.Func("kafka-topics", "comma-separated topics to ingest, each TOPIC (into the table of that name), TOPIC:TABLE or TOPIC:TABLE:POLICY (unknown fields: reject, ignore or add)", func(v string) error {
		k.Topics = nil
		for _, s := range splitList(v) {
			name, rest, _ := strings.Cut(s, ":")
			table, policy, _ := strings.Cut(rest, ":")
			k.Topics = append(k.Topics, kafka.Topic{Name: name, Table: table, UnknownFields: policy})
		}
		return nil
	})
	fs.StringVar(&k.Group, "kafka-group", k.Group, "Kafka consumer group of the ingest nodes (default openwit)")
	fs.DurationVar(&k.CommitInterval, "kafka-commit-interval", k.CommitInterval, "how often Kafka records are published as files with their offsets (default 5s): the freshness of Kafka rows")
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// validate checks the Kafka settings (nothing to check when off).
func (k *KafkaConfig) validate() error {
	if len(k.Brokers) == 0 {
		if len(k.Topics) > 0 {
			return errors.New("--kafka-topics needs --kafka-brokers")
		}
		return nil
	}
	if len(k.Topics) == 0 {
		return errors.New("--kafka-brokers needs --kafka-topics")
	}
	if k.CommitInterval < 0 || k.CommitRecords < 0 || k.SessionTimeout < 0 {
		return errors.New("--kafka-commit-interval and kafka commit_records and session_timeout must not be negative")
	}
	return nil
}

// kafkaRunner is a running Kafka consumer.
type kafkaRunner struct {
	c      *kafka.Consumer
	cancel context.CancelFunc
	done   chan struct{}
}

// startKafka starts the Kafka consumer when brokers are configured. With
// the storage role it encodes, uploads and publishes its files and offsets
// itself (one catalog transaction); without it (--storage-nodes) the
// storage nodes stage the files and publish them with the offsets
// (docs/design/027-kafka-through-storage.md). On a front node the files go
// to the ingester too so queries here see them at once.
func (n *Node) startKafka() error {
	k := n.cfg.Kafka
	if len(k.Brokers) == 0 {
		return nil
	}
	cfg := kafka.DefaultConfig()
	cfg.Brokers, cfg.Topics = k.Brokers, k.Topics
	if k.Group != "" {
		cfg.Group = k.Group
	}
	if k.CommitInterval > 0 {
		cfg.CommitInterval = k.CommitInterval
	}
	if k.CommitRecords > 0 {
		cfg.CommitRecords = k.CommitRecords
	}
	cfg.SessionTimeout = k.SessionTimeout
	cfg.Catalog, cfg.Bucket, cfg.Logger, cfg.Registerer = n.cat, n.bucket, n.log, n.reg
	cfg.DeferIndex = n.cfg.DeferIndex
	// Backpressure: the consumer's buffers share --ingest-buffer-limit's
	// size, and it pauses while the node's ingest is over its limits.
	cfg.BufferLimit = int64(n.cfg.IngestBufferLimit)
	// Column additions (unknown_fields: add) take the schema lock, as DDL
	// over SQL does.
	cfg.SchemaLock = n.lockSchema
	if n.ing != nil { // a Kafka ingest node (--roles ingest) has no ingester
		cfg.Sink = n.ing
		cfg.Pressure = n.ing.Overloaded
	}
	if roles, _ := n.cfg.RoleSet(); !roles[RoleStorage] && len(n.cfg.StorageNodes) > 0 {
		h, err := n.handoffClient()
		if err != nil {
			return err
		}
		cfg.Publisher = h
	}
	c, err := kafka.New(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &kafkaRunner{c: c, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		if err := c.Run(ctx); err != nil && ctx.Err() == nil {
			n.errc <- fmt.Errorf("kafka ingest: %w", err)
		}
	}()
	n.kafka = r
	return nil
}

// stopKafka publishes what the consumer holds and leaves the group.
func (n *Node) stopKafka(ctx context.Context) {
	if n.kafka == nil {
		return
	}
	n.kafka.cancel()
	select {
	case <-n.kafka.done:
	case <-ctx.Done():
	}
	n.kafka = nil
}
