package wal

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

type metrics struct {
	appendedBytes prometheus.Counter
	fsyncs        prometheus.Counter
	fsyncDuration prometheus.Histogram
	segments      prometheus.Gauge
	bytes         prometheus.Gauge
}

// newMetrics creates the WAL metrics and registers them with reg unless reg
// is nil.
func newMetrics(reg prometheus.Registerer) *metrics {
	f := promauto.With(reg)
	return &metrics{
		appendedBytes: f.NewCounter(prometheus.CounterOpts{
			Name: "openwit_wal_appended_bytes_total",
			Help: "Bytes of records appended to the WAL, headers included.",
		}),
		fsyncs: f.NewCounter(prometheus.CounterOpts{
			Name: "openwit_wal_fsyncs_total",
			Help: "Fsyncs of WAL segment files.",
		}),
		fsyncDuration: f.NewHistogram(prometheus.HistogramOpts{
			Name:    "openwit_wal_fsync_duration_seconds",
			Help:    "Duration of WAL segment fsyncs.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16), // 100µs .. ~3.3s
		}),
		segments: f.NewGauge(prometheus.GaugeOpts{
			Name: "openwit_wal_segments",
			Help: "Live WAL segment files.",
		}),
		bytes: f.NewGauge(prometheus.GaugeOpts{
			Name: "openwit_wal_bytes",
			Help: "Bytes in live WAL segment files.",
		}),
	}
}
