package proxy

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the proxy's Prometheus collectors.
type metrics struct {
	up      *prometheus.GaugeVec   // gateway
	weight  *prometheus.GaugeVec   // gateway
	conns   *prometheus.GaugeVec   // gateway, protocol
	total   *prometheus.CounterVec // gateway, protocol
	refused *prometheus.CounterVec // protocol, reason
	cancels *prometheus.CounterVec // result
	lost    *prometheus.CounterVec // gateway
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "openwit_proxy_gateway_up",
			Help: "1 when the gateway passes the proxy's health checks and takes new connections, 0 when it is down.",
		}, []string{"gateway"}),
		weight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "openwit_proxy_gateway_weight",
			Help: "Weighted round-robin weight of the gateway.",
		}, []string{"gateway"}),
		conns: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "openwit_proxy_connections",
			Help: "Open client connections relayed to the gateway, by protocol (pg, flight).",
		}, []string{"gateway", "protocol"}),
		total: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openwit_proxy_connections_total",
			Help: "Client connections relayed to the gateway, by protocol (pg, flight).",
		}, []string{"gateway", "protocol"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openwit_proxy_refused_total",
			Help: "Client connections the proxy ended itself, by protocol and reason: startup (malformed startup packet), tls_handshake, no_tls (TLS required), no_gateway (none up).",
		}, []string{"protocol", "reason"}),
		cancels: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openwit_proxy_cancel_requests_total",
			Help: "PostgreSQL CancelRequests, by result: forwarded (to the session's gateway), unknown (no session with that key), failed (the gateway could not be reached).",
		}, []string{"result"}),
		lost: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openwit_proxy_sessions_lost_total",
			Help: "PostgreSQL sessions ended because the connection to their gateway broke (the client got FATAL 08006).",
		}, []string{"gateway"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.up, m.weight, m.conns, m.total, m.refused, m.cancels, m.lost} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}
