// Package proxy is the proxy role (`openwit serve --roles proxy`): a
// client-facing router that spreads PostgreSQL wire and Flight SQL
// clients over healthy gateways by smooth weighted round-robin. It holds no
// data and runs no SQL.
//
// # Gateways
//
// A Backends provider lists the gateways (Gateway: name, PostgreSQL
// address, Flight SQL address, weight 1..1000). The proxy reads it at start
// and once per health-check interval, so a provider fed by gossip can add,
// remove and re-weight gateways: Static (--gateways or the config file's
// gateways list), or, with gossip, the node's provider (internal/node),
// which adds the alive gateways gossip knows. A gateway that leaves the list is draining:
// it gets no new connections, and its open sessions go on until the client
// or the gateway ends them.
//
// Health: every CheckInterval (1s) each gateway is probed in parallel,
// bounded by CheckTimeout (2s). On the PostgreSQL port the probe is a
// GSSENCRequest round trip (8 bytes; every PostgreSQL server answers one
// byte before authentication, 'N' from OpenWit; closing afterwards is not a
// failed login, so it leaves no trace in the gateway's metrics); on the
// Flight SQL port a TCP connect. Fall (2) failed checks in a row take a
// gateway down, Rise (2) good ones bring it back; the first check after
// start (run before the proxy serves) decides at once. A failed connection
// attempt for a client takes the gateway down at once and the client is
// sent to the next pick: a dead gateway costs no client a failed connect.
// A gateway that is down is drained like a removed one.
//
// Balancing: per protocol, each new connection goes to the gateway with
// the largest current weight after every eligible gateway (up, listed,
// serving the protocol) added its weight; the chosen one then gives back
// the total (nginx's smooth weighted round-robin). Over any window of
// sum(weights) connections each gateway gets exactly its weight, spread
// out (weights 5:1:1 give a a b a c a a). The unit is a connection, not a
// query: a PostgreSQL session and a Flight SQL client connection stay on
// one gateway for their life.
//
// # PostgreSQL wire
//
// The proxy runs the startup phase itself:
//
//   - Startup packets are 8 to 10000 bytes (else FATAL 08P01 "invalid
//     length of startup packet") and read without read-ahead.
//   - SSLRequest: with a certificate (--tls-cert/--tls-key) the proxy
//     answers 'S' and terminates TLS (1.2 at least); every later byte of
//     the client travels in that TLS session. Without one it answers 'N'.
//     GSSENCRequest is answered 'N'. Each may come once and neither after
//     TLS (FATAL 08P01). With TLSRequired a StartupMessage over plain TCP
//     gets FATAL 28000.
//   - Direct TLS (PostgreSQL 17's sslnegotiation=direct): with a
//     certificate, a connection whose first byte is a TLS handshake record
//     (0x16; no valid startup packet starts with it) gets the TLS
//     handshake at once; the client must negotiate the ALPN protocol
//     "postgresql" (else FATAL 08P01, sent inside TLS).
//   - StartupMessage: protocol 3.x with a well-formed parameter list (else
//     FATAL 08P01, as PostgreSQL words it). The proxy picks a gateway,
//     connects (plain TCP, or with GatewayTLS an SSLRequest and a verified
//     TLS handshake), sends the StartupMessage unchanged and from then on
//     relays. Authentication runs between client and gateway; the proxy
//     sees it only as messages. With no gateway up the client gets FATAL
//     57P03 "no gateway is available".
//   - CancelRequest: see below. Nothing is ever answered; the connection
//     closes.
//
// Relay: client→gateway bytes go on as they arrive (the proxy only follows
// message boundaries to see Terminate). Gateway→client goes by whole
// messages: a message is forwarded only once all of it has arrived (up to
// MaxMessageSize, 64 MiB; larger ones are streamed, see below), and the
// output is flushed whenever the next read could block. So when a gateway
// connection ends in the middle of a session (the gateway crashed, was
// killed, or the network broke) the client has received only whole
// messages, and the proxy then sends
//
//	FATAL 08006 connection_failure "terminating connection because the
//	connection to the gateway was lost" (DETAIL names the gateway)
//
// and closes the connection. 08006 (class 08, connection exception) and
// not 57P01: drivers and poolers treat class 08 as "this connection is
// gone, reconnect", and 57P01 stays what it means in PostgreSQL, an orderly
// shutdown; a gateway shutting down in order sends its own FATAL 57P01,
// which the proxy relays without adding another. When the proxy itself
// shuts down, sessions get FATAL 57P01 from the proxy. A message larger
// than MaxMessageSize is streamed as it comes; a gateway lost inside one
// closes the client connection without an ErrorResponse (logged).
//
// Cancel keys: the proxy replaces the gateway's BackendKeyData with its
// own key (a process id unique within the proxy, a random secret as long
// as the gateway's, at least 4 bytes) and maps it to the gateway's address
// and key. Gateways number their sessions independently, so their keys may
// collide; the client never learns a gateway key. A CancelRequest whose
// process id and secret match (constant-time compare) is forwarded to that
// gateway with the gateway's key; unknown keys are dropped silently, as
// PostgreSQL does. A key lives while its session does (at most 2^20
// sessions hold one). A CancelRequest must reach the proxy that carries
// the session.
//
// Channel binding: TLS ends at the proxy, so SCRAM-SHA-256-PLUS cannot
// work through it (the gateway would bind to another TLS session). With
// plain TCP to the gateways (the default) gateways offer plain
// SCRAM-SHA-256 and libpq's default channel_binding=prefer works;
// channel_binding=require does not. With GatewayTLS, TLS clients must set
// channel_binding=disable.
//
// # Flight SQL
//
// Flight SQL is relayed at layer 4: each client TCP connection (HTTP/2, in
// TLS or not) is joined to one gateway's Flight SQL port and bytes are
// copied both ways until either side closes. Balancing is therefore per
// connection: every call on one gRPC channel (GetFlightInfo, then DoGet of
// its ticket; prepared statements; bulk ingest) reaches the same gateway.
// TLS runs end to end between client and gateway (the gateway's
// certificate must name the address clients dial). Bearer tokens are HMAC
// tokens any gateway sharing --token-key-file accepts, so a client that
// reconnects to another gateway keeps its token. With no gateway up the
// connection is closed at once (gRPC reports Unavailable).
//
// # Metrics
//
// openwit_proxy_gateway_up{gateway}, openwit_proxy_gateway_weight{gateway},
// openwit_proxy_connections{gateway,protocol} (open),
// openwit_proxy_connections_total{gateway,protocol},
// openwit_proxy_refused_total{protocol,reason} (startup, tls_handshake,
// no_tls, no_gateway), openwit_proxy_cancel_requests_total{result}
// (forwarded, unknown, failed), openwit_proxy_sessions_lost_total{gateway}.
//
// # Shutdown
//
// Shutdown closes the listeners, stops the checks, closes every gateway
// connection (PostgreSQL sessions get FATAL 57P01 at a message boundary,
// Flight SQL connections close) and waits for the connection goroutines.
package proxy
