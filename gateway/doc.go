// Package gateway connects OpenWit's client-facing protocols to the
// planner: gateway/pgwire speaks the PostgreSQL wire protocol, and this
// package adapts planner sessions to the backend interface it serves.
// Errors carry PostgreSQL SQLSTATEs (internal/pgerror) end to end; only the
// gateways turn them into protocol messages.
package gateway
