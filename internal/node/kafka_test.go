package node

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"openwit/ingest/kafka"
)

func TestKafkaConfig(t *testing.T) {
	t.Run("flags", func(t *testing.T) {
		c := DefaultConfig()
		c.DataDir = t.TempDir()
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		KafkaFlags(fs, &c.Kafka)
		if err := fs.Parse([]string{"--kafka-brokers", "a:9092, b:9092", "--kafka-topics", "logs,events:ev,m::add", "--kafka-group", "g", "--kafka-commit-interval", "2s"}); err != nil {
			t.Fatal(err)
		}
		want := KafkaConfig{Brokers: []string{"a:9092", "b:9092"}, Group: "g", CommitInterval: 2 * time.Second,
			Topics: []kafka.Topic{{Name: "logs"}, {Name: "events", Table: "ev"}, {Name: "m", UnknownFields: "add"}}}
		if !reflect.DeepEqual(c.Kafka, want) {
			t.Fatalf("parsed %+v, want %+v", c.Kafka, want)
		}
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("yaml", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "c.yaml")
		os.WriteFile(p, []byte(`kafka:
  brokers: [127.0.0.1:9092]
  group: ingest
  commit_interval: 3s
  commit_records: 1000
  session_timeout: 10s
  topics:
    - name: logs
      table: app_logs
      unknown_fields: ignore
`), 0o644)
		c := DefaultConfig()
		if err := c.LoadFile(p); err != nil {
			t.Fatal(err)
		}
		want := KafkaConfig{Brokers: []string{"127.0.0.1:9092"}, Group: "ingest", CommitInterval: 3 * time.Second, CommitRecords: 1000,
			SessionTimeout: 10 * time.Second, Topics: []kafka.Topic{{Name: "logs", Table: "app_logs", UnknownFields: "ignore"}}}
		if !reflect.DeepEqual(c.Kafka, want) {
			t.Fatalf("loaded %+v, want %+v", c.Kafka, want)
		}
	})
	for _, tc := range []struct {
		k    KafkaConfig
		want string
	}{
		{KafkaConfig{Topics: []kafka.Topic{{Name: "x"}}}, "needs --kafka-brokers"},
		{KafkaConfig{Brokers: []string{"a:1"}}, "needs --kafka-topics"},
		{KafkaConfig{Brokers: []string{"a:1"}, Topics: []kafka.Topic{{Name: "x"}}, CommitInterval: -time.Second}, "must not be negative"},
	} {
		c := DefaultConfig()
		c.DataDir = t.TempDir()
		c.Kafka = tc.k
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tc.k, err, tc.want)
		}
	}
}
