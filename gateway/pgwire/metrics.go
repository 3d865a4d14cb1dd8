package pgwire

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the server's Prometheus collectors.
type metrics struct {
	connections   prometheus.Gauge
	queriesOK     prometheus.Counter
	queriesError  prometheus.Counter
	queryDuration prometheus.Histogram
	// Refused connections by reason: password, tls_handshake, no_tls.
	authPassword     prometheus.Counter
	authTLSHandshake prometheus.Counter
	authNoTLS        prometheus.Counter
}

// newMetrics builds the collectors and registers them with reg when it is
// not nil. Collectors that are already registered (a second server on the
// same registry) are shared.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	connections := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "openwit_pgwire_connections",
		Help: "Open PostgreSQL wire protocol connections.",
	})
	queries := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "openwit_pgwire_queries_total",
		Help: "Statements executed over the PostgreSQL wire protocol, by result.",
	}, []string{"result"})
	duration := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "openwit_pgwire_query_duration_seconds",
		Help:    "Time spent executing one statement, from execution start to its CommandComplete or error.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10),
	})
	refused := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "openwit_pgwire_auth_failures_total",
		Help: "Connections refused during startup, by reason: password (wrong password or unknown user), tls_handshake, no_tls (TLS required).",
	}, []string{"reason"})
	if reg != nil {
		var err error
		if refused, err = register(reg, refused); err != nil {
			return nil, err
		}
		if connections, err = register(reg, connections); err != nil {
			return nil, err
		}
		if queries, err = register(reg, queries); err != nil {
			return nil, err
		}
		if duration, err = register(reg, duration); err != nil {
			return nil, err
		}
	}
	return &metrics{
		connections:   connections,
		queriesOK:     queries.WithLabelValues("ok"),
		queriesError:  queries.WithLabelValues("error"),
		queryDuration: duration,

		authPassword:     refused.WithLabelValues("password"),
		authTLSHandshake: refused.WithLabelValues("tls_handshake"),
		authNoTLS:        refused.WithLabelValues("no_tls"),
	}, nil
}

// register registers c, returning the existing collector when an identical
// one is already registered.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, fmt.Errorf("register pgwire metrics: %w", err)
	}
	return c, nil
}
