package bench

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"runtime"
	"runtime/trace"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"openwit/ingest/kafka"
	"openwit/internal/node"
)

// MethodKafka loads the rows as JSON records from a Kafka topic: franz-go's
// kfake broker in this process, one partition per core, the records
// produced (round robin) before the clock starts. The node's consumer
// publishes every KafkaCommitInterval; the time ends when its counter of
// published rows reaches every row (a count over the files checks it).
const MethodKafka = "kafka"

// KafkaCommitInterval is the consumer's commit interval in the benchmark
// (`openwit serve` defaults to 5s): the end of the run waits for the last
// commit, so it bounds how much the rate is understated.
const KafkaCommitInterval = time.Second

// ingestKafka runs the Kafka method on dataDir. values are the rows as
// JSON records (kafkaRecords).
func ingestKafka(ctx context.Context, dataDir string, values [][]byte, want int64, say func(string, ...any), nodeLog *slog.Logger) (IngestResult, error) {
	res := IngestResult{Engine: EngineOpenWit, Method: MethodKafka}
	partitions := int32(runtime.GOMAXPROCS(0))
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, "logs"))
	if err != nil {
		return res, fmt.Errorf("start kafka (kfake): %w", err)
	}
	defer cluster.Close()
	if err := produce(ctx, cluster.ListenAddrs(), "logs", values); err != nil {
		return res, err
	}
	say("produced %d records to kafka (%d partitions)", len(values), partitions)
	ow, err := startOpenWit(ctx, dataDir, nodeLog, false, 0, "", "", func(c *node.Config) {
		c.Kafka = node.KafkaConfig{Brokers: cluster.ListenAddrs(), Topics: []kafka.Topic{{Name: "logs"}}, CommitInterval: KafkaCommitInterval}
	})
	if err != nil {
		return res, err
	}
	defer ow.shutdown()
	cpu := processCPU()
	if err := ow.createTable(ctx); err != nil {
		return res, err
	}
	// The consumer waits for the table, then joins the group and reads.
	// Its published-rows counter is polled (a count(*) every few
	// milliseconds cost a seventh of the method's CPU); a count over the
	// published files checks the end.
	start := time.Now()
	// The timed part is a region of an execution trace (--trace).
	region := trace.StartRegion(ctx, "kafka")
	for {
		n, err := kafkaMetric(ctx, ow.http, "openwit_kafka_rows_published_total")
		if err != nil {
			return res, err
		}
		if n >= want {
			break
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	res.Seconds = time.Since(start).Seconds()
	region.End()
	res.CPUSeconds = processCPU() - cpu
	// Each publish is a catalog transaction with its files: at a fixed
	// commit interval a slower run publishes smaller files, more often.
	if res.Publishes, err = kafkaMetric(ctx, ow.http, `openwit_kafka_publishes_total{result="ok"}`); err != nil {
		return res, err
	}
	conn, err := pgx.Connect(ctx, ow.DSN())
	if err != nil {
		return res, fmt.Errorf("connect to openwit: %w", err)
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM logs", pgx.QueryExecModeSimpleProtocol).Scan(&res.Rows); err != nil {
		return res, fmt.Errorf("count kafka rows: %w", err)
	}
	if res.Rows != want {
		return res, fmt.Errorf("kafka: %d rows in published files, want %d", res.Rows, want)
	}
	return res, nil
}

// kafkaMetric reads a counter (name with its labels, as /metrics prints
// it) from the node's /metrics (0 before the consumer registered it).
func kafkaMetric(ctx context.Context, addr, name string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	// Uncompressed: the gzip of every 20 ms poll was about 2% of the
	// method's CPU, measurement overhead the other methods do not pay.
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("read openwit metrics: %w", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return int64(f), err
		}
	}
	return 0, sc.Err()
}

// produce writes values to topic, round robin over its partitions.
func produce(ctx context.Context, brokers []string, topic string, values [][]byte) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.RoundRobinPartitioner()), kgo.ProducerBatchMaxBytes(16<<20))
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	defer cl.Close()
	const batch = 10_000
	rs := make([]*kgo.Record, 0, batch)
	for i := 0; i < len(values); i += batch {
		rs = rs[:0]
		for _, v := range values[i:min(i+batch, len(values))] {
			rs = append(rs, &kgo.Record{Value: v})
		}
		if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
			return fmt.Errorf("produce to kafka: %w", err)
		}
	}
	return nil
}

// kafkaRecords renders the rows as the JSON objects the Kafka consumer
// reads (ingest/kafka): the column names as members, ts as epoch
// microseconds, NULL as null.
func kafkaRecords(recs []arrow.RecordBatch) [][]byte {
	var out [][]byte
	for _, r := range recs {
		ts := r.Column(0).(*array.Timestamp)
		status, lat := r.Column(4).(*array.Int32), r.Column(5).(*array.Float64)
		for i := 0; i < int(r.NumRows()); i++ {
			b := make([]byte, 0, 320)
			b = append(b, `{"ts":`...)
			b = strconv.AppendInt(b, int64(ts.Value(i)), 10)
			for c := 1; c < int(r.NumCols()); c++ {
				b = append(b, `,"`...)
				b = append(b, r.ColumnName(c)...)
				b = append(b, `":`...)
				col := r.Column(c)
				switch {
				case col.IsNull(i):
					b = append(b, "null"...)
				case c == 4:
					b = strconv.AppendInt(b, int64(status.Value(i)), 10)
				case c == 5:
					if v := lat.Value(i); math.IsNaN(v) || math.IsInf(v, 0) {
						b = append(b, "null"...)
					} else {
						b = strconv.AppendFloat(b, v, 'g', -1, 64)
					}
				default:
					b = appendJSONString(b, col.(*array.String).Value(i))
				}
			}
			out = append(out, append(b, '}'))
		}
	}
	return out
}

// appendJSONString appends s as a JSON string (s is valid UTF-8).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
