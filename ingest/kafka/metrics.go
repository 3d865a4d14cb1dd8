package kafka

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

type metrics struct {
	rows          prometheus.Counter
	deadLetters   *prometheus.CounterVec
	rowsPublished prometheus.Counter
	publishes     *prometheus.CounterVec
	buffered      prometheus.Gauge
	assigned      prometheus.Gauge
	bufferedBytes prometheus.Gauge
	paused        prometheus.Gauge
	pauses        *prometheus.CounterVec
	columnsAdded  *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	f := promauto.With(reg)
	return &metrics{
		rows: f.NewCounter(prometheus.CounterOpts{Name: "openwit_kafka_records_total",
			Help: "Kafka records converted to rows (buffered; published at the next commit)."}),
		deadLetters: f.NewCounterVec(prometheus.CounterOpts{Name: "openwit_kafka_dead_letters_total",
			Help: "Kafka records that could not become rows and went to openwit_errors."}, []string{"topic"}),
		rowsPublished: f.NewCounter(prometheus.CounterOpts{Name: "openwit_kafka_rows_published_total",
			Help: "Rows from Kafka published in files (with their offsets) that this node's queries see."}),
		publishes: f.NewCounterVec(prometheus.CounterOpts{Name: "openwit_kafka_publishes_total",
			Help: "Partition publishes (files + offset in one catalog transaction) by result: ok, conflict (another consumer had published the range), error."},
			[]string{"result"}),
		buffered: f.NewGauge(prometheus.GaugeOpts{Name: "openwit_kafka_buffered_records",
			Help: "Kafka records read but not yet published."}),
		assigned: f.NewGauge(prometheus.GaugeOpts{Name: "openwit_kafka_assigned_partitions",
			Help: "Kafka partitions assigned to this node."}),
		bufferedBytes: f.NewGauge(prometheus.GaugeOpts{Name: "openwit_kafka_buffered_bytes",
			Help: "Bytes of Kafka record values read but not yet published (bounded by the buffer limit)."}),
		paused: f.NewGauge(prometheus.GaugeOpts{Name: "openwit_kafka_paused",
			Help: "1 while Kafka consumption is paused by backpressure, else 0."}),
		pauses: f.NewCounterVec(prometheus.CounterOpts{Name: "openwit_kafka_pauses_total",
			Help: "Times Kafka consumption paused, by reason: buffer_limit (the consumer's own buffers could not be published under the limit) or ingest (the node's ingest buffers or WAL are over their limits)."},
			[]string{"reason"}),
		columnsAdded: f.NewCounterVec(prometheus.CounterOpts{Name: "openwit_kafka_columns_added_total",
			Help: "Columns this node added to tables for new JSON fields (unknown_fields: add)."}, []string{"table"}),
	}
}
